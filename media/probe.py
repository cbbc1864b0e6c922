"""What a file really holds, read from its content: audio, video, a picture or a score.

Every file is read through `media/ffmpeg.py`, which opens it with the one demuxer its
header proves and nothing else; with a length limit its sound is decoded once to count
its real length, since a header's duration can lie.
"""

from __future__ import annotations

import contextvars
import json
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass
from pathlib import Path

from core_agent.errors import MediaError
from media import ffmpeg, pcm
from media.audio import ASR_RATE
from media.containers import CONTAINERS, Container, identify, picture_size, read_head
from media.scores import SCORES, check_upload, sniff_score

MEASURE_RATE = ASR_RATE  # Hz: the length check's samples serve speech recognition's decode
MIN_SOUND_SECONDS = 0.01  # less than this is no sound anyone made, or a header over junk
MAX_PICTURE_PIXELS = 100_000_000  # what a picture decoder is ever handed
MIME = {
    "ogg": "audio/ogg", "oga": "audio/ogg", "opus": "audio/ogg", "mp3": "audio/mpeg",
    "wav": "audio/wav", "flac": "audio/flac", "m4a": "audio/mp4", "webm": "video/webm",
    "mp4": "video/mp4", "mov": "video/quicktime", "mkv": "video/x-matroska",
    "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp",
    "gif": "image/gif", "bmp": "image/bmp", "srt": "application/x-subrip", "vtt": "text/vtt",
}


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


# What this process knows of recordings it wrote itself (a voice channel's utterance), by
# their content: a file with those very bytes holds what was written, whoever sends it, so
# probing it again can be skipped. The 64 newest are kept.
WRITTEN: pcm.ByContent[MediaInfo] = pcm.ByContent(64, lambda _: 1)
FACTS = "facts"  # WRITTEN's tag


def probe(path: Path, max_seconds: float | None = None) -> MediaInfo:
    """Identify a file by content: audio, video (with or without sound), image, or a
    score (MIDI, MusicXML). Anything else is refused before ffprobe reads it.

    A picture's size comes from its own header. With `max_seconds`, the sound is decoded
    once to measure its real length (a header's duration can lie), and a file longer
    than that is refused as soon as the decoding passes it.
    """
    if not path.is_file() or path.stat().st_size == 0:
        raise MediaError("it is empty")
    if (known := WRITTEN.find(path, FACTS)) is not None and (
            max_seconds is None or (known.duration or 0.0) <= max_seconds):
        return known
    if (score := sniff_score(path)) is not None:
        check_upload(path, score)
        return MediaInfo("file", score, None, None, None, container=score)
    head = read_head(path)
    if (container := identify(head)) is None:
        raise MediaError("it isn't audio, video, a picture or a score I can read")
    if container.kind == "image":
        return _picture(path, head, container)
    measuring = _started(measure, path, max_seconds) if max_seconds is not None else None
    try:
        out, _ = ffmpeg.run(["ffprobe", "-v", "error", "-print_format", "json",
                             "-show_streams", "-show_format", *ffmpeg.input_args(path)])
    finally:
        if measuring is not None:
            wait([measuring])  # no child outlives the call
    info = json.loads(out or b"{}")
    streams, fmt = info.get("streams", []), info.get("format", {})
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not s.get("disposition", {}).get("attached_pic")), None)
    if audio is None and video is None:
        raise MediaError("the file holds no audio, video or picture")
    duration = _float(fmt.get("duration")) or _float((audio or video or {}).get("duration"))
    if audio is not None and measuring is not None:
        duration = measuring.result()
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


def _started(fn: Callable[[Path, float], float], path: Path, seconds: float
             ) -> Future[float]:
    """`fn(path, seconds)` running on a thread of its own, in this thread's context (a step's
    stop token reaches its child)."""
    future: Future[float] = Future()
    context = contextvars.copy_context()

    def work() -> None:
        try:
            future.set_result(context.run(fn, path, seconds))
        except BaseException as err:  # handed to whoever reads the future
            future.set_exception(err)

    threading.Thread(target=work, name="measure", daemon=True).start()
    return future


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
    """Seconds of sound the file really decodes to; TooLong past `max_seconds`. Its samples
    (mono float32 at MEASURE_RATE), if few enough, are kept in the memo."""
    before = pcm.identity(path)
    out = pcm.Kept(pcm.MEMO.entry_limit)
    try:
        ffmpeg.run(pcm.pcm_args(path, MEASURE_RATE), sink=out,
                   limit=(int(max_seconds * MEASURE_RATE) + MEASURE_RATE // 10) * 4)
    except ffmpeg.OutputTooLong as err:
        raise TooLong(max_seconds) from err
    if out.frames < MIN_SOUND_SECONDS * MEASURE_RATE:
        raise MediaError("the file has no sound in it")
    if (samples := out.samples()) is not None:
        pcm.MEMO.put(path, MEASURE_RATE, samples, before)
    return out.frames / MEASURE_RATE


def _float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def mime_for(path: Path) -> str:
    """The MIME type for a file we wrote, by its suffix."""
    return MIME.get(path.suffix.lower().lstrip("."), "application/octet-stream")
