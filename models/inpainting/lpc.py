"""Audio inpainting by signal processing (embedded tier).

Short gaps: the audio on each side is modelled as an autoregressive process (Burg's
method) and extrapolated into the gap, forward from the left and backward from the right;
the two are cross-faded with raised-cosine weights (Etter 1996, Kauppinen and Roth 2002).
Longer gaps, where extrapolation decays or drifts: STFT magnitudes are interpolated in
the log domain between the last frame before and the first after the gap, and phases are
continued at each bin's instantaneous frequency, as a phase vocoder does.
"""

from __future__ import annotations

import numpy as np

from core_agent.errors import Unsupported
from media.audio import Audio
from models.inpainting.base import Inpainter

AR_MAX_GAP = 0.25  # seconds; longer gaps are interpolated spectrally
ORDER_SECONDS = 0.02  # AR order as time: longer than a voice's pitch period
CONTEXT_ORDERS = 4  # samples of context per AR coefficient
DECAYS = (np.inf, 0.2, 0.05, 0.02, 0.01, 0.005, 0.002)  # s; candidate fades of an extrapolation
PREDICTABLE = 0.01  # residual energy share below which a context counts as steady
FFT_SECONDS = 0.064  # STFT frame for spectral interpolation
MAX_GAP = 5.0  # seconds


def burg(x: np.ndarray, order: int) -> np.ndarray:
    """AR coefficients a (a[0] = 1) by Burg's method; the model is stable by construction."""
    a = np.ones(1)
    forward, backward = x[1:].astype(np.float64), x[:-1].astype(np.float64)
    for _ in range(order):
        denominator = forward @ forward + backward @ backward
        if denominator <= 0 or len(forward) < 2:
            break
        k = -2.0 * (forward @ backward) / denominator
        a = np.append(a, 0.0)
        a = a + k * a[::-1]
        forward, backward = (forward + k * backward)[1:], (backward + k * forward)[:-1]
    return a


def extrapolate(context: np.ndarray, a: np.ndarray, n: int) -> np.ndarray:
    """Continue `context` by n samples with the AR model a."""
    from scipy import signal

    p = len(a) - 1
    state = signal.lfiltic([1.0], a, y=context[::-1][:p])
    out, _ = signal.lfilter([1.0], a, np.zeros(n), zi=state)
    return np.asarray(out)


def decay(context: np.ndarray, order: int, horizon: int, rate: int) -> float:
    """How fast (seconds) an extrapolation from this context should fade toward zero,
    chosen by predicting the context's own last samples from the rest: a steady tone stays
    predictable (no fade), speech loses its phase within tens of milliseconds."""
    fit, held = context[:-horizon], context[-horizon:]
    guess = extrapolate(fit, burg(fit, min(order, len(fit) // CONTEXT_ORDERS)), horizon)
    k = np.arange(horizon) / rate
    errors = [float(np.sum((held - guess * np.exp(-k / tau)) ** 2)) for tau in DECAYS]
    best = int(np.argmin(errors))
    if errors[best] < PREDICTABLE * float(held @ held):
        return DECAYS[best]  # a steady sound: trust the fade beyond the checked stretch
    return min(DECAYS[best], horizon / rate)  # only as far as it was seen to predict


def ar_fill(left: np.ndarray, right: np.ndarray, n: int, order: int, rate: int) -> np.ndarray:
    """n samples between two contexts: forward and backward extrapolations, each faded as
    its own context predicts, cross-faded with raised-cosine weights."""
    k = np.arange(n)
    sides = []
    for context in (left, right[::-1]):
        fade = np.exp(-k / rate / decay(context, order, min(n, len(context) // 3), rate))
        sides.append(extrapolate(context, burg(context, order), n) * fade)
    weight = 0.5 + 0.5 * np.cos(np.pi * (k + 0.5) / n)
    return weight * sides[0] + (1 - weight) * sides[1][::-1]


def spectral_fill(x: np.ndarray, start: int, end: int, rate: int) -> np.ndarray:
    """The gap's samples from STFT magnitudes interpolated across it, phases continued."""
    from scipy import signal

    size = int(2 ** np.ceil(np.log2(rate * FFT_SECONDS)))
    hop = size // 4
    lo, hi = max(0, start - 2 * size), min(len(x), end + 2 * size)
    _, _, spec = signal.stft(x[lo:hi], nperseg=size, noverlap=size - hop)
    frame_starts = np.arange(spec.shape[1]) * hop - size // 2 + lo
    hit = (frame_starts + size > start) & (frame_starts < end)
    missing = np.flatnonzero(hit)
    before, after = missing[0] - 1, missing[-1] + 1
    if before < 1 or after >= spec.shape[1]:
        raise Unsupported("the gap is too close to the start or end of the recording")
    omega = 2 * np.pi * np.arange(spec.shape[0]) * hop / size
    advance = np.angle(spec[:, before]) - np.angle(spec[:, before - 1]) - omega
    advance = omega + np.angle(np.exp(1j * advance))  # the bins' true phase step per hop
    log_left, log_right = np.log(np.abs(spec[:, before]) + 1e-9), \
        np.log(np.abs(spec[:, after]) + 1e-9)
    for j in missing:
        w = (j - before) / (after - before)
        magnitude = np.exp((1 - w) * log_left + w * log_right)
        phase = np.angle(spec[:, before]) + (j - before) * advance
        spec[:, j] = magnitude * np.exp(1j * phase)
    _, y = signal.istft(spec, nperseg=size, noverlap=size - hop)
    return np.asarray(y[start - lo:end - lo])


class LpcInpaint(Inpainter):
    """audio_inpainting: fill a gap from the sound on either side of it."""

    name = "lpc-inpaint"
    task = "audio_inpainting"
    model = "Burg AR extrapolation (short gaps) and spectral interpolation (signal processing)"
    license = "Apache-2.0 (this project)"
    requires = ("scipy",)
    max_gap = MAX_GAP

    def load(self) -> None:
        """Nothing to load."""

    def fill(self, audio: Audio, start: float, end: float) -> tuple[Audio, str]:
        """The audio with [start, end) seconds replaced by a reconstruction, and the method."""
        self.check_gap(audio, start, end)
        rate, x = audio.sample_rate, audio.mono.astype(np.float64)
        i, j = round(start * rate), round(end * rate)
        order = int(ORDER_SECONDS * rate)
        context = CONTEXT_ORDERS * order
        if end - start <= AR_MAX_GAP and i >= context // 4 and len(x) - j >= context // 4:
            order = min(order, i // CONTEXT_ORDERS, (len(x) - j) // CONTEXT_ORDERS)
            left, right = x[max(0, i - context):i], x[j:j + context]
            x[i:j] = ar_fill(left, right, j - i, order, rate)
            method = "autoregressive extrapolation from both sides"
        else:
            x[i:j] = spectral_fill(x, i, j, rate)
            method = "spectral interpolation"
        x[i:j] = np.clip(x[i:j], -1.0, 1.0)  # only the gap is new; the rest keeps its level
        return Audio(x.astype(np.float32), rate), method
