"""The talking-head video: frames and speech muxed into the MP4 browsers and the chat apps
play inline."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from media import ffmpeg

FPS = 25


def encode_mp4(frames: Iterable[np.ndarray], width: int, height: int, sound: Path,
               target: Path) -> Path:
    """BGR frames at FPS and the sound file as an H.264 + AAC MP4, index at the front."""
    ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24",
                "-s", f"{width}x{height}", "-r", str(FPS), "-i", "-", *ffmpeg.input_args(sound),
                "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast",
                "-crf", "23", "-pix_fmt", "yuv420p", "-profile:v", "high", "-c:a", "aac",
                "-b:a", "128k", "-ar", "48000", "-movflags", "+faststart", str(target)],
               stdin=(frame.tobytes() for frame in frames))
    return target
