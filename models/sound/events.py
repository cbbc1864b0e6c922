"""Timed sound events from per-window class probabilities, for every AudioSet tagger.

A detector scores overlapping windows of a recording (YAMNet 0.96 s patches, AST windows);
what turns those scores into events (hysteresis, bridging short dips, edges placed on the
level envelope, near-duplicate classes dropped, the most specific class kept) is the same for
all of them, and lives here.
A text–audio similarity curve (CLAP) becomes timed events the same way, with thresholds
set by the clip's own background rather than fixed probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from media.audio import ASR_RATE
from models.sound.ontology import ancestors, is_animal, is_animal_kind, short

ENVELOPE_HOP = 160  # samples at 16 kHz: the level envelope has a value every 10 ms
RISE_DB = 15.0  # an edge inside a window: the level crosses this far below the window's peak
QUIET_EDGE = 5  # 10 ms frames that must stay below it for the edge to count
SILENT_DB = -60.0  # dBFS; quieter windows score nothing (taggers guess wildly on them)
ON, OFF = 0.45, 0.25  # hysteresis on the class probability
CANDIDATES = 12  # classes considered for the event list
MAX_GAP = 1  # windows; a dip this short does not split an event
IGNORED = frozenset({"Silence"})
BACKGROUND_PERCENTILE = 10  # of a similarity curve's windows: the clip's own background
RISE, FALL = 0.5, 0.3  # shares of the way from background to peak where a match starts, ends
MIN_CONTRAST = 0.05  # a flatter similarity curve sounds alike throughout: the floor decides
MIN_WINDOWS = 2  # a real sound spans overlapping windows; one window alone is a blip
FINER = 0.8  # of a class's peak that a descendant heard with it needs to name it instead


@dataclass(frozen=True)
class FrameScores:
    """Class probabilities per window; times are window centres in seconds."""

    times: np.ndarray  # (windows,)
    probs: np.ndarray  # (windows, classes)
    level_db: np.ndarray  # (windows,) RMS in dBFS
    envelope_db: np.ndarray  # RMS in dBFS every 10 ms, to place edges inside a window
    duration: float  # seconds
    hop: float = 0.48  # seconds between window starts (YAMNet's)
    span: float = 0.975  # seconds of samples each window sees (YAMNet's)


@dataclass(frozen=True)
class Event:
    """One sound, in seconds, with its peak probability."""

    start: float
    end: float
    label: str
    score: float

    def as_dict(self) -> dict[str, Any]:
        return {"start": round(self.start, 2), "end": round(self.end, 2), "label": self.label,
                "score": round(self.score, 2)}


def level_db(x: np.ndarray) -> float:
    """RMS of 16 kHz samples in dBFS."""
    return float(10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-12)) if x.size else -120.0


def envelope_db(x: np.ndarray) -> np.ndarray:
    """RMS in dBFS of every 10 ms of 16 kHz samples."""
    frames = x[: len(x) // ENVELOPE_HOP * ENVELOPE_HOP].reshape(-1, ENVELOPE_HOP)
    return 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)


def active_spans(curve: np.ndarray, on: float = ON, off: float = OFF) -> list[tuple[int, int]]:
    """Runs of windows (first, last) where the curve rises to `on` and stays above `off`,
    with dips of up to MAX_GAP windows bridged."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(curve):
        if curve[i] < on:
            i += 1
            continue
        first = i
        while i + 1 < len(curve) and curve[i + 1] >= off:
            i += 1
        if spans and first - spans[-1][1] - 1 <= MAX_GAP:
            first = spans.pop()[0]
        spans.append((first, i))
        i += 1
    return spans


def span_times(scores: FrameScores, first: int, last: int) -> tuple[float, float] | None:
    """Seconds covered by windows first..last: half a hop either side of their centres,
    moved to the nearest clear rise (fall) of the level around the first (last) window.
    None when the sound has already ended before the span begins (a neighbour's tail)."""
    start = max(0.0, float(scores.times[first]) - scores.hop / 2)
    end = min(scores.duration, float(scores.times[last]) + scores.hop / 2)
    start = _edge(scores, first, start, rising=True)
    end = _edge(scores, last, end, rising=False)
    return (start, end) if end > start else None


def _edge(scores: FrameScores, window: int, coarse: float, rising: bool) -> float:
    """The rise (or fall) of the level nearest to `coarse`, within the window and half a
    window beyond it outwards; `coarse` if the level shows none clearly."""
    step = ENVELOPE_HOP / ASR_RATE
    lo = scores.times[window] - scores.span / 2 - (scores.hop if rising else 0.0)
    hi = scores.times[window] + scores.span / 2 + (0.0 if rising else scores.hop)
    first = max(0, round(lo / step))
    level = scores.envelope_db[first:round(hi / step)]
    if len(level) <= QUIET_EDGE:
        return coarse
    loud = (level >= level.max() - RISE_DB).astype(int)
    quiet_run = np.convolve(loud, np.ones(QUIET_EDGE, int), "valid") == 0  # [i, i+QUIET_EDGE)
    if rising:  # loud at i after QUIET_EDGE quiet frames
        edges = [i for i in range(QUIET_EDGE, len(loud)) if loud[i] and quiet_run[i - QUIET_EDGE]]
    else:  # loud at i - 1, quiet from i on
        edges = [i for i in range(1, len(quiet_run)) if loud[i - 1] and quiet_run[i]]
    times = [(first + i) * step for i in edges]
    return float(min(times, key=lambda t: abs(t - coarse))) if times else coarse


def find_events(scores: FrameScores, labels: list[str], max_classes: int = 6,
                max_overlapping: int = 2) -> list[Event]:
    """Timed events of the most confident classes, in order of start.

    An event mostly covered by `max_overlapping` more confident events is dropped, so
    that "Siren" is not also listed as "Alarm" and "Emergency vehicle".
    """
    peaks = scores.probs.max(axis=0)
    candidates = []
    for index in np.argsort(-peaks)[:CANDIDATES]:
        if peaks[index] < ON or labels[index] in IGNORED:
            continue
        for first, last in active_spans(scores.probs[:, index]):
            if span := span_times(scores, first, last):
                peak = float(scores.probs[first:last + 1, index].max())
                candidates.append(Event(*span, labels[index], peak))
    kept: list[Event] = []
    for event in sorted(most_specific(candidates), key=lambda e: -e.score):
        covering = [k for k in kept if _overlap(k, event) > 0.6 * (event.end - event.start)]
        classes = {k.label for k in kept} | {event.label}
        if len(covering) < max_overlapping and len(classes) <= max_classes:
            kept.append(event)
    return sorted(kept, key=lambda e: (e.start, -e.score))


def most_specific(events: list[Event]) -> list[Event]:
    """The events named as people name sounds: a class gives way to a more specific one heard
    with it ("Bark" over "Dog", "Domestic animals, pets" and "Animal"), and an animal's call
    is named with the animal heard with it ("Dog: bark")."""
    def gives_way(coarse: Event, finer: Event) -> bool:
        if coarse.label not in ancestors(finer.label) or finer.score < FINER * coarse.score:
            return False
        # An animal is named by its call wherever they meet; a class like "Siren" stays
        # where the finer one ("Police car (siren)") covers only part of it.
        span = min(coarse.end - coarse.start, finer.end - finer.start) if \
            is_animal(coarse.label) else coarse.end - coarse.start
        return _overlap(coarse, finer) > 0.5 * span

    kept = [e for e in events if not any(gives_way(e, finer) for finer in events)]
    named = []
    for event in kept:
        animal = next((a.label for a in events if is_animal_kind(a.label)
                       and a.label in ancestors(event.label) and _overlap(event, a) > 0), None)
        named.append(replace(event, label=f"{short(animal)}: {short(event.label).lower()}")
                     if animal else event)
    return named


def _overlap(a: Event, b: Event) -> float:
    return max(0.0, min(a.end, b.end) - max(a.start, b.start))


def similarity_thresholds(curve: np.ndarray, floor: float) -> tuple[float, float]:
    """Where a match starts and ends on a similarity curve (NaN: windows not scored): part of
    the way from the clip's background up to its peak, and never below an absolute floor."""
    scored = curve[np.isfinite(curve)]
    if not scored.size:
        return np.inf, np.inf
    background, peak = float(np.percentile(scored, BACKGROUND_PERCENTILE)), float(scored.max())
    if peak - background < MIN_CONTRAST:
        return floor, floor
    return (max(floor, background + RISE * (peak - background)),
            max(floor, background + FALL * (peak - background)))


def similarity_events(scores: FrameScores, label: str, floor: float,
                      min_windows: int = MIN_WINDOWS) -> list[Event]:
    """Timed events where the one-column similarity curve in `scores.probs` stands out from
    the clip and clears `floor`; dips of MAX_GAP windows are bridged, lone windows dropped
    (unless the clip has only one). A run from the clip's first (to its last) window with no
    clear rise (fall) of the level starts at 0 (ends at the end): it may lie anywhere in it."""
    curve = scores.probs[:, 0]
    on, off = similarity_thresholds(curve, floor)
    needed = min(min_windows, len(curve))
    found = []
    for first, last in active_spans(np.where(np.isnan(curve), -np.inf, curve), on, off):
        if last - first + 1 < needed or not (span := span_times(scores, first, last)):
            continue
        start, end = span
        if first == 0 and start == max(0.0, float(scores.times[0]) - scores.hop / 2):
            start = 0.0
        if last == len(curve) - 1 and end == min(scores.duration,
                                                 float(scores.times[-1]) + scores.hop / 2):
            end = scores.duration
        found.append(Event(start, end, label, float(np.nanmax(curve[first:last + 1]))))
    return found
