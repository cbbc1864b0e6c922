"""Sound extraction by time–frequency masking of the events a target detector found: YAMNet's
frame scores (embedded tier) or CLAP's text–audio similarity (neural catalog, any described
sound); `MaskExtractor` (models/sound/base.py) is the base of both maskers.

Not a source separator: where the described sound is active (the detector's events, with
edges placed by the level), each STFT bin keeps what rises above the background spectrum
learnt from the frames where it is absent, weighted by how much of that bin's energy the
target adds on average. Elsewhere the mask is zero. A second sound at the same time and
frequencies stays in.
"""

from __future__ import annotations

import numpy as np

from media.audio import Audio, limit_peak
from models.sound.events import Event

FRAME_SECONDS = 0.032  # STFT frame, rounded up to a power of two in samples
EDGE_SECONDS = 0.03  # fade of the time gate at each edge
OVERSUBTRACT = 1.5  # remove a little more than the background's mean power
MIN_BACKGROUND = 10  # frames; fewer, and the background is each bin's 20th percentile
SILENT_POWER = 1e-9  # frames quieter than this teach nothing about the background


def time_gate(events: list[Event], times: np.ndarray) -> np.ndarray:
    """1 inside the events, 0 outside, with short linear fades at the edges."""
    gate = np.zeros(len(times))
    for e in events:
        rise = np.clip((times - e.start) / EDGE_SECONDS + 0.5, 0, 1)
        fall = np.clip((e.end - times) / EDGE_SECONDS + 0.5, 0, 1)
        gate = np.maximum(gate, np.minimum(rise, fall))
    return gate


def event_mask(power: np.ndarray, gate: np.ndarray) -> np.ndarray:
    """The soft mask, shape of `power` (bins, frames), from the frames' time gate."""
    from scipy import ndimage

    loud = power.mean(axis=0) > SILENT_POWER
    absent = (gate == 0) & loud
    if absent.sum() >= MIN_BACKGROUND:
        background = power[:, absent].mean(axis=1)
    else:
        background = np.percentile(power, 20, axis=1)
    present = gate >= 0.5
    target = power[:, present].mean(axis=1) if present.any() else background
    share = np.clip(1 - background / np.maximum(target, 1e-20), 0, 1)
    above = np.clip(1 - OVERSUBTRACT * background[:, None] / np.maximum(power, 1e-20), 0, 1)
    mask = ndimage.uniform_filter(share[:, None] * above, size=3)
    return mask * gate[None, :]


def masked(audio: Audio, events: list[Event]) -> Audio:
    """The audio with everything but the events' sound masked out (see the module's doc)."""
    from scipy import signal

    x, rate = audio.mono, audio.sample_rate
    size = int(2 ** np.ceil(np.log2(rate * FRAME_SECONDS)))
    _, times, spec = signal.stft(x, rate, nperseg=size, noverlap=size * 3 // 4)
    mask = event_mask(np.abs(spec) ** 2, time_gate(events, times))
    _, y = signal.istft(spec * mask, rate, nperseg=size, noverlap=size * 3 // 4)
    return Audio(limit_peak(y[: len(x)]), rate)
