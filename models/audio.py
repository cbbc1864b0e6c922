"""Decoding, probing and encoding media with ffmpeg: every format in, OGG/Opus out.

Every file is read through `models/ffmpeg.py`, which opens it with the one demuxer its
header proves and nothing else, and every decode is cut at a length limit as it runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from models import ffmpeg
from models.containers import CONTAINERS, Container, identify, picture_size, read_head
from models.errors import MediaError
from models.scores import check_upload

ASR_RATE = 16_000  # Hz, what Whisper and most speech models take
VOICE_NOTE_BITRATE = "48k"  # Opus at this rate is transparent for speech
STEREO_BITRATE = "160k"  # high enough that Opus codes both channels fully
FFMPEG_TIMEOUT = ffmpeg.TIMEOUT
# What any one decode may yield, whatever a file's header says: above every sensible
# AUDIOGPT_MAX_AUDIO_SECONDS. Uploads are held to the configured limit at ingest, by
# decoding them (`probe(..., max_seconds=...)`).
DECODE_LIMIT_SECONDS = 2 * 3600
MEASURE_RATE = 1000  # Hz: counting a file's real length needs no fidelity
MAX_PICTURE_PIXELS = 100_000_000  # what a picture decoder is ever handed
MIME = {
    "ogg": "audio/ogg", "oga": "audio/ogg", "opus": "audio/ogg", "mp3": "audio/mpeg",
    "wav": "audio/wav", "flac": "audio/flac", "m4a": "audio/mp4", "webm": "video/webm",
    "mp4": "video/mp4", "mov": "video/quicktime", "mkv": "video/x-matroska",
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp",
    "gif": "image/gif", "bmp": "image/bmp",
}
# Scores people sing from: read by mido and music21 (models/scores.py), never by ffprobe.
SCORES = {"midi": ("audio/midi", ".mid"),
          "musicxml": ("application/vnd.recordare.musicxml+xml", ".musicxml")}
SCORE_HEAD_BYTES = 2048  # where a MusicXML document names its root element


def sniff_score(path: Path) -> str | None:
    """"midi" or "musicxml" when the file is a score, else None."""
    with path.open("rb") as source:
        head = source.read(SCORE_HEAD_BYTES)
    if head.startswith(b"MThd") and head[4:8] == b"\x00\x00\x00\x06":
        return "midi"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and (
            b"<score-partwise" in head or b"<score-timewise" in head):
        return "musicxml"
    return None


@dataclass(frozen=True)
class Audio:
    """Samples as float32 in [-1, 1], shape (frames,) for mono or (frames, channels)."""

    samples: np.ndarray
    sample_rate: int

    @property
    def duration(self) -> float:
        """Seconds."""
        return len(self.samples) / self.sample_rate

    @property
    def channels(self) -> int:
        """1 for mono."""
        return 1 if self.samples.ndim == 1 else int(self.samples.shape[1])

    @property
    def mono(self) -> np.ndarray:
        """The samples as one channel (the mean of all channels)."""
        return self.samples if self.samples.ndim == 1 else self.samples.mean(axis=1)


def resample(audio: Audio, rate: int) -> np.ndarray:
    """Mono float32 at `rate`."""
    x = audio.mono.astype(np.float32)
    if audio.sample_rate != rate:
        from scipy import signal

        g = np.gcd(audio.sample_rate, rate)
        x = signal.resample_poly(x, rate // g, audio.sample_rate // g).astype(np.float32)
    return x


def to_16k(audio: Audio) -> np.ndarray:
    """Mono float32 at 16 kHz, what the speech and tagging models take."""
    return resample(audio, ASR_RATE)


def limit_peak(samples: np.ndarray, ceiling: float = 0.99) -> np.ndarray:
    """Scale down to the ceiling if any sample exceeds it; quieter sound is left as it is."""
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    return (samples / peak * ceiling if peak > ceiling else samples).astype(np.float32)


@dataclass(frozen=True)
class MediaInfo:
    """What a file really holds, read from its content."""

    kind: str  # audio | video | image | file (a score)
    format: str
    duration: float | None  # seconds
    sample_rate: int | None  # Hz
    channels: int | None
    width: int | None = None
    height: int | None = None
    container: str = ""  # MIME subtype of the container, from its first bytes

    @property
    def mime(self) -> str:
        """The MIME type the content shows, whatever the name or sender claimed."""
        if self.kind == "file":
            return SCORES[self.container][0]
        return f"{self.kind}/{self.container}"

    @property
    def suffix(self) -> str:
        """The file name ending that matches the content."""
        if self.kind == "file":
            return SCORES[self.container][1]
        return CONTAINERS[self.container].suffix


def probe(path: Path, max_seconds: float | None = None) -> MediaInfo:
    """Identify a file by content: audio, video (with or without sound), image, or a
    score (MIDI, MusicXML). Anything else is refused before ffprobe reads it.

    A picture's size comes from its own header. With `max_seconds`, the sound is decoded
    once to measure its real length (a header's duration can lie), and a file longer
    than that is refused as soon as the decoding passes it.
    """
    if not path.is_file() or path.stat().st_size == 0:
        raise MediaError("it is empty")
    if (score := sniff_score(path)) is not None:
        check_upload(path, score)
        return MediaInfo("file", score, None, None, None, container=score)
    head = read_head(path)
    if (container := identify(head)) is None:
        raise MediaError("it isn't audio, video, a picture or a score I can read")
    if container.kind == "image":
        return _picture(path, head, container)
    out, _ = ffmpeg.run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams",
                         "-show_format", *ffmpeg.input_args(path)])
    info = json.loads(out or b"{}")
    streams, fmt = info.get("streams", []), info.get("format", {})
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not s.get("disposition", {}).get("attached_pic")), None)
    if audio is None and video is None:
        raise MediaError("the file holds no audio, video or picture")
    duration = _float(fmt.get("duration")) or _float((audio or video or {}).get("duration"))
    if audio is not None and max_seconds is not None:
        duration = measure(path, max_seconds)
    return MediaInfo(
        kind="video" if video is not None else "audio",
        format=fmt.get("format_name", ""),
        duration=duration,
        sample_rate=int(audio["sample_rate"]) if audio and audio.get("sample_rate") else None,
        channels=audio.get("channels") if audio else None,
        width=video.get("width") if video else None,
        height=video.get("height") if video else None,
        container=container.subtype,
    )


def _picture(path: Path, head: bytes, container: Container) -> MediaInfo:
    """A picture, sized by its header; one whose header gives no size is refused."""
    size = picture_size(head, container)
    if size is None or 0 in size:
        raise MediaError("the picture's header does not say its size")
    return MediaInfo("image", container.demuxer, None, None, None, size[0], size[1],
                     container.subtype)


class TooLong(MediaError):
    """Sound that really runs longer than a limit, whatever its header said."""

    def __init__(self, limit_seconds: float) -> None:
        super().__init__(f"it runs longer than {_minutes(limit_seconds)}, the limit")
        self.limit_seconds = limit_seconds


def _minutes(seconds: float) -> str:
    """A limit as people say it: "1 minute", "30 minutes", "45 seconds", "2.5 minutes"."""
    if seconds < 60 or seconds % 30:
        return f"{seconds:.0f} seconds" if seconds < 120 else f"{seconds / 60:.1f} minutes"
    minutes = seconds / 60
    return f"{minutes:g} minute" + ("" if minutes == 1 else "s")


def measure(path: Path, max_seconds: float) -> float:
    """Seconds of sound the file really decodes to; TooLong past `max_seconds`."""
    try:
        out, _ = ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", *ffmpeg.input_args(path),
                             "-vn", "-ac", "1", "-ar", str(MEASURE_RATE), "-f", "u8", "-"],
                            limit=int(max_seconds * MEASURE_RATE) + MEASURE_RATE // 10)
    except ffmpeg.OutputTooLong as err:
        raise TooLong(max_seconds) from err
    if not out:
        raise MediaError("the file has no sound in it")
    return len(out) / MEASURE_RATE


def _float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def decode(path: Path, sample_rate: int = ASR_RATE, mono: bool = True,
           max_seconds: float = DECODE_LIMIT_SECONDS) -> Audio:
    """Decode any audio or video file's sound to float32 samples, at most `max_seconds`
    of it (TooLong beyond: the samples are counted as they arrive)."""
    channels = 1 if mono else min(probe(path).channels or 1, 8)
    try:
        raw, _ = ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", *ffmpeg.input_args(path),
                             "-vn", "-ac", str(channels), "-ar", str(sample_rate),
                             "-f", "f32le", "-"],
                            limit=int(max_seconds * sample_rate) * channels * 4)
    except ffmpeg.OutputTooLong as err:
        raise TooLong(max_seconds) from err
    samples = np.frombuffer(raw, dtype=np.float32)
    if samples.size == 0:
        raise MediaError("the file has no sound in it")
    if not mono:
        samples = samples[:samples.size - samples.size % channels].reshape(-1, channels)
    return Audio(samples.copy(), sample_rate)


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


def encode_stereo(source: Path, target: Path) -> Path:
    """Encode two channels to OGG/Opus at 48 kHz with full stereo (no intensity coding),
    so spatial cues such as binaural time differences survive."""
    ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *ffmpeg.input_args(source), "-vn",
                "-ac", "2", "-ar", "48000", "-c:a", "libopus", "-b:a", STEREO_BITRATE,
                "-application", "audio", str(target)])
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


def mime_for(path: Path) -> str:
    """The MIME type for a file we wrote, by its suffix."""
    return MIME.get(path.suffix.lower().lstrip("."), "application/octet-stream")
