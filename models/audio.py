"""Decoding, probing and encoding media with ffmpeg: every format in, OGG/Opus out."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from models.errors import MediaError

ASR_RATE = 16_000  # Hz, what Whisper and most speech models take
VOICE_NOTE_BITRATE = "48k"  # Opus at this rate is transparent for speech
STEREO_BITRATE = "160k"  # high enough that Opus codes both channels fully
FFMPEG_TIMEOUT = 300  # seconds for any one ffmpeg call
IMAGE_CODECS = {"png", "mjpeg", "webp", "gif", "bmp", "tiff", "jpegls", "jpeg2000"}
MIME = {
    "ogg": "audio/ogg", "oga": "audio/ogg", "opus": "audio/ogg", "mp3": "audio/mpeg",
    "wav": "audio/wav", "flac": "audio/flac", "m4a": "audio/mp4", "webm": "video/webm",
    "mp4": "video/mp4", "mov": "video/quicktime", "mkv": "video/x-matroska",
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp",
    "gif": "image/gif", "bmp": "image/bmp",
}

# (offset, magic bytes, MIME subtype, suffix): the containers phones, browsers and chat
# platforms send. Nothing else reaches ffprobe, whose demuxers would follow playlists and
# other indirections to files and URLs.
SIGNATURES: list[tuple[int, bytes, str, str]] = [
    (0, b"OggS", "ogg", ".ogg"),
    (0, b"\x1aE\xdf\xa3", "webm", ".webm"),  # Matroska/WebM, what MediaRecorder makes
    (8, b"WAVE", "wav", ".wav"),
    (0, b"fLaC", "flac", ".flac"),
    (0, b"ID3", "mpeg", ".mp3"),
    (0, b"\xff\xfb", "mpeg", ".mp3"),
    (0, b"\xff\xf3", "mpeg", ".mp3"),
    (0, b"\xff\xf2", "mpeg", ".mp3"),
    (0, b"\xff\xf1", "aac", ".aac"),
    (4, b"ftypqt", "quicktime", ".mov"),
    (4, b"ftyp", "mp4", ".mp4"),  # mp4, m4a, 3gp
    (0, b"\x89PNG", "png", ".png"),
    (0, b"\xff\xd8\xff", "jpeg", ".jpg"),
    (0, b"GIF8", "gif", ".gif"),
    (8, b"WEBP", "webp", ".webp"),
]
SNIFF_BYTES = 16
# Scores people sing from: read by mido and music21 (models/scores.py), never by ffprobe.
SCORES = {"midi": ("audio/midi", ".mid"),
          "musicxml": ("application/vnd.recordare.musicxml+xml", ".musicxml")}
SCORE_HEAD_BYTES = 2048  # where a MusicXML document names its root element


def sniff(path: Path) -> tuple[str, str] | None:
    """The container a file's first bytes announce, as (MIME subtype, suffix), or None."""
    with path.open("rb") as head:
        start = head.read(SNIFF_BYTES)
    return next(((subtype, suffix) for offset, magic, subtype, suffix in SIGNATURES
                 if start[offset:offset + len(magic)] == magic), None)


def sniff_score(path: Path) -> str | None:
    """"midi" or "musicxml" when the file is a score, else None."""
    with path.open("rb") as source:
        head = source.read(SCORE_HEAD_BYTES)
    if head.startswith(b"MThd"):
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
        return next(s for _, _, sub, s in SIGNATURES if sub == self.container)


def _run(args: list[str], stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(args, input=stdin, capture_output=True, timeout=FFMPEG_TIMEOUT,
                              check=False)
    except subprocess.TimeoutExpired as err:
        raise MediaError(f"{args[0]} took longer than {FFMPEG_TIMEOUT} s") from err
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise MediaError(f"{args[0]} could not read the file: {tail[0]}")
    return done.stdout


def probe(path: Path) -> MediaInfo:
    """Identify a file by content: audio, video (with or without sound), image, or a
    score (MIDI, MusicXML). Anything else is refused before ffprobe reads it."""
    if not path.is_file() or path.stat().st_size == 0:
        raise MediaError("the file is empty")
    if (score := sniff_score(path)) is not None:
        return MediaInfo("file", score, None, None, None, container=score)
    if (known := sniff(path)) is None:
        raise MediaError("the file is not an audio, video, picture or score I know")
    out = _run(["ffprobe", "-v", "error", "-print_format", "json", "-show_streams",
                "-show_format", str(path)])
    info = json.loads(out or b"{}")
    streams = info.get("streams", [])
    fmt = info.get("format", {})
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not s.get("disposition", {}).get("attached_pic")), None)
    duration = _float(fmt.get("duration")) or _float((audio or video or {}).get("duration"))
    if video is not None and (video.get("codec_name") in IMAGE_CODECS and audio is None):
        return MediaInfo("image", fmt.get("format_name", ""), None, None, None,
                         video.get("width"), video.get("height"), known[0])
    if audio is None and video is None:
        raise MediaError("the file holds no audio, video or picture")
    return MediaInfo(
        kind="video" if video is not None else "audio",
        format=fmt.get("format_name", ""),
        duration=duration,
        sample_rate=int(audio["sample_rate"]) if audio and audio.get("sample_rate") else None,
        channels=audio.get("channels") if audio else None,
        width=video.get("width") if video else None,
        height=video.get("height") if video else None,
        container=known[0],
    )


def _float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def decode(path: Path, sample_rate: int = ASR_RATE, mono: bool = True) -> Audio:
    """Decode any audio or video file's sound to float32 samples."""
    channels = ["-ac", "1"] if mono else []
    raw = _run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-vn", *channels,
                "-ar", str(sample_rate), "-f", "f32le", "-"])
    samples = np.frombuffer(raw, dtype=np.float32)
    if samples.size == 0:
        raise MediaError("the file has no sound in it")
    if not mono:
        samples = samples.reshape(-1, probe(path).channels or 1)
    return Audio(samples.copy(), sample_rate)


def write_wav(audio: Audio, path: Path) -> Path:
    """Write 16-bit PCM WAV."""
    sf.write(str(path), np.clip(audio.samples, -1.0, 1.0), audio.sample_rate, subtype="PCM_16")
    return path


def encode_voice_note(source: Path, target: Path) -> Path:
    """Encode to OGG/Opus mono at 48 kHz: what Telegram and Discord play as voice notes."""
    _run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), "-vn", "-ac", "1",
          "-ar", "48000", "-c:a", "libopus", "-b:a", VOICE_NOTE_BITRATE,
          "-application", "voip", str(target)])
    return target


def encode_stereo(source: Path, target: Path) -> Path:
    """Encode two channels to OGG/Opus at 48 kHz with full stereo (no intensity coding),
    so spatial cues such as binaural time differences survive."""
    _run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), "-vn", "-ac", "2",
          "-ar", "48000", "-c:a", "libopus", "-b:a", STEREO_BITRATE, "-application", "audio",
          str(target)])
    return target


def ffmpeg_filter(source: Path, target: Path, filters: list[str], extra: list[str] | None = None
                  ) -> Path:
    """Run an ffmpeg audio filter chain from one file to another."""
    chain = ["-af", ",".join(filters)] if filters else []
    _run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), "-vn", *chain,
          *(extra or []), str(target)])
    return target


def mime_for(path: Path) -> str:
    """The MIME type for a file we wrote, by its suffix."""
    return MIME.get(path.suffix.lower().lstrip("."), "application/octet-stream")
