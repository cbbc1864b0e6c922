"""Writing what we made: WAV for models, OGG/Opus for replies, square clips for Telegram."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import soundfile as sf

from media import ffmpeg
from media.audio import Audio
from media.probe import MediaInfo

VOICE_NOTE_BITRATE = "48k"  # Opus at this rate is transparent for speech
OPUS_RATE = 48_000  # Hz, what voice notes carry
STEREO_BITRATE = "160k"  # high enough that Opus codes both channels fully
MP3_BITRATE = "160k"  # transparent enough for music and generated sound


def write_wav(audio: Audio, path: Path) -> Path:
    """Write 16-bit PCM WAV."""
    sf.write(str(path), np.clip(audio.samples, -1.0, 1.0), audio.sample_rate, subtype="PCM_16")
    return path


def encode_voice_note(source: Path, target: Path) -> Path:
    """Encode to OGG/Opus mono at 48 kHz: what Telegram and Discord play as voice notes."""
    ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *ffmpeg.input_args(source), "-vn",
                "-ac", "1", "-ar", "48000", "-c:a", "libopus", "-b:a", VOICE_NOTE_BITRATE,
                "-application", "voip", str(target)])
    return target


def opus_voice_note(audio: Audio | Iterable[Audio], target: Path) -> MediaInfo:
    """Samples to the voice note `encode_voice_note` makes (OGG/Opus, mono, 48 kHz, the same
    libopus settings), encoded in this process: no ffmpeg child, no WAV in between, and what
    the file holds is known without probing it. Given pieces of one recording (a
    synthesizer's sentences as they are made), each is encoded as it comes, so the file is
    done soon after the last piece is."""
    import av

    resampler = av.AudioResampler(format="flt", layout="mono", rate=OPUS_RATE)
    frames, rate = 0, OPUS_RATE
    with av.open(str(target), "w", format="ogg") as out:
        stream = out.add_stream("libopus", rate=OPUS_RATE, layout="mono")
        stream.bit_rate = int(VOICE_NOTE_BITRATE.removesuffix("k")) * 1000
        stream.options = {"application": "voip"}
        for piece in [audio] if isinstance(audio, Audio) else audio:
            mono = np.clip(piece.mono, -1.0, 1.0).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(mono[None, :], format="flt", layout="mono")
            frame.sample_rate = piece.sample_rate
            for resampled in resampler.resample(frame):
                out.mux(stream.encode(resampled))
            frames, rate = frames + mono.size, piece.sample_rate
        for resampled in resampler.resample(None):
            out.mux(stream.encode(resampled))
        out.mux(stream.encode(None))
    return MediaInfo("audio", "ogg", frames / rate, OPUS_RATE, 1, container="ogg")


def warm_encoder() -> None:
    """Encode a moment of silence, so that the first voice note does not wait for the
    encoder to load (PyAV and libopus: a few tenths of a second)."""
    with tempfile.TemporaryDirectory(prefix="audiogpt-warm-") as folder:
        opus_voice_note(Audio(np.zeros(OPUS_RATE // 100, np.float32), OPUS_RATE),
                        Path(folder) / "warm.ogg")


def encode_stereo(source: Path, target: Path) -> Path:
    """Encode two channels to OGG/Opus at 48 kHz with full stereo (no intensity coding),
    so spatial cues such as binaural time differences survive."""
    ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *ffmpeg.input_args(source), "-vn",
                "-ac", "2", "-ar", "48000", "-c:a", "libopus", "-b:a", STEREO_BITRATE,
                "-application", "audio", str(target)])
    return target


def encode_mp3(source: Path, target: Path, bitrate: str = MP3_BITRATE) -> Path:
    """Encode to MP3 (channels and rate kept, left and right coded apart so spatial cues
    survive): what every chat plays as music, and what Telegram's audio player takes."""
    ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *ffmpeg.input_args(source), "-vn",
                "-c:a", "libmp3lame", "-b:a", bitrate, "-joint_stereo", "0", str(target)])
    return target


def encode_video_note(source: Path, target: Path, side: int, seconds: float) -> Path:
    """A square H.264 + AAC clip of at most `seconds`, cropped to the centre and scaled to
    `side` pixels: what Telegram plays as a round video note."""
    crop = "min(iw\\,ih)"
    ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *ffmpeg.input_args(source),
                "-t", str(seconds), "-vf", f"crop={crop}:{crop},scale={side}:{side}",
                "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(target)])
    return target


def ffmpeg_filter(source: Path, target: Path, filters: list[str], extra: list[str] | None = None
                  ) -> Path:
    """Run an ffmpeg audio filter chain from one file to another."""
    chain = ["-af", ",".join(filters)] if filters else []
    ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *ffmpeg.input_args(source), "-vn",
                *chain, *(extra or []), str(target)])
    return target
