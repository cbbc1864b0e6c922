"""A spectrogram picture with the detected sound events drawn on it as labelled spans."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from media.audio import ASR_RATE
from models.sound.events import Event
from models.sound.yamnet import log_mel

SIZE = (1000, 500)  # pixels
DPI = 100
LEFT, RIGHT = 0.07, 0.98  # the time axis, as fractions of the width (tests locate spans by it)
SPECTROGRAM = (0.45, 0.47)  # bottom and height of the spectrogram, fractions of the height
LANES = (0.1, 0.3)  # bottom and height of the event lanes
COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
           "#bfef45"]


def event_picture(x16: np.ndarray, events: list[Event], path: Path, title: str = "") -> Path:
    """Draw a log-mel spectrogram of 16 kHz samples and one lane per label below it."""
    from matplotlib.figure import Figure

    duration = len(x16) / ASR_RATE
    fig = Figure(figsize=(SIZE[0] / DPI, SIZE[1] / DPI), dpi=DPI)
    width = RIGHT - LEFT
    spec = fig.add_axes((LEFT, SPECTROGRAM[0], width, SPECTROGRAM[1]))
    spec.imshow(log_mel(x16).T, origin="lower", aspect="auto", cmap="magma",
                extent=(0.0, duration, 0.0, 64.0))
    spec.set_xlim(0.0, duration)
    spec.tick_params(labelbottom=False, bottom=False)
    spec.set_yticks([])
    spec.set_ylabel("mel bands")
    spec.set_title(title or "Sound events", fontsize=11)
    lanes = fig.add_axes((LEFT, LANES[0], width, LANES[1]))
    labels = list(dict.fromkeys(e.label for e in events))
    for e in events:
        row = labels.index(e.label)
        colour = COLOURS[row % len(COLOURS)]
        spec.axvspan(e.start, e.end, color=colour, alpha=0.15, lw=0)
        spec.vlines([e.start, e.end], 0, 64, colors=colour, lw=1)
        lanes.broken_barh([(e.start, e.end - e.start)], (row + 0.1, 0.8), color=colour)
        lanes.text(e.start, row + 0.5, f" {e.label} ({e.score:.2f})", va="center", fontsize=8,
                   clip_on=True)
    lanes.set_xlim(0.0, duration)
    lanes.set_ylim(len(labels) or 1, 0)
    lanes.set_yticks([])
    lanes.set_xlabel("seconds")
    if not events:
        lanes.text(duration / 2, 0.5, "no sound events found", ha="center", va="center")
    fig.savefig(path, dpi=DPI, format="png")
    return path
