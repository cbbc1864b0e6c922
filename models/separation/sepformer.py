"""speech_separation, neural catalog: SepFormer trained on WSJ0-2mix (models/nets/sepformer.py),
two voices from one 8 kHz mixture, on the GPU when the worker has one.

Long recordings are separated in chunks of CHUNK_SECONDS that overlap by OVERLAP_SECONDS,
so memory stays bounded whatever the length. SepFormer gives its voices in no fixed order,
and at no fixed level (it was trained scale-invariant), so each chunk's tracks take the
order that correlates best with the previous chunk's over the overlap, and its level
there, before the two are cross-faded.

With a clip of the wanted speaker, the track whose d-vector (the embedded tier's speaker
encoder, models/separation/voicefilter.py) is closest to the clip's is that speaker's voice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from itertools import permutations
from typing import Any, cast

import numpy as np

from core_agent.errors import Unsupported
from media.audio import Audio, resample
from models import stop
from models.catalog.checkpoints import CatalogEntry, NeuralBackend, torch_device
from models.separation.base import Extraction, SpeakerSeparator
from models.separation.voicefilter import RATE as VOICE_RATE
from models.separation.voicefilter import VoiceFilter

CHUNK_SECONDS = 10.0  # the longest stretch one forward pass sees
OVERLAP_SECONDS = 2.0  # shared by neighbouring chunks: order, level and cross-fade
MIN_SECONDS = 0.25  # shorter input holds too few encoder frames to separate
PEAK = 0.9  # each track is scaled to this peak
MAX_GAIN = 4.0  # the most a chunk's track is scaled to meet the previous chunk's level
QUIET = 1e-3  # of the loudest track's RMS in an overlap: too quiet to set a level by
EPS = 1e-12
Separate = Callable[[np.ndarray], np.ndarray]  # samples -> [voices, samples]


def correlations(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Normalised correlation of each row of `a` with each row of `b`."""
    norms = np.linalg.norm(a, axis=1)[:, None] * np.linalg.norm(b, axis=1)[None, :]
    return (a @ b.T) / np.maximum(norms, EPS)


def follow(tail: np.ndarray, part: np.ndarray) -> np.ndarray:
    """A chunk's tracks in the order, and at the level, that continue the previous chunk's
    `tail` over the samples the two share (the start of `part`)."""
    head = part[:, : tail.shape[1]]
    match = correlations(tail, head)
    orders = list(permutations(range(len(part))))
    fits = [sum(float(match[i, j]) for i, j in enumerate(order)) for order in orders]
    part = part[list(orders[int(np.argmax(fits))])]
    before = np.sqrt(np.mean(tail ** 2, axis=1))
    after = np.sqrt(np.mean(part[:, : tail.shape[1]] ** 2, axis=1))
    floor = QUIET * max(float(before.max()), float(after.max()), EPS)
    gains = np.where((before > floor) & (after > floor),
                     np.clip(before / np.maximum(after, EPS), 1 / MAX_GAIN, MAX_GAIN), 1.0)
    return (part * gains[:, None]).astype(np.float32)


def separate_long(x: np.ndarray, separate: Separate, chunk: int, overlap: int) -> np.ndarray:
    """[voices, len(x)]: `separate` over chunks of `chunk` samples that overlap by `overlap`,
    each following the one before (see `follow`), cross-faded; one call when x fits."""
    if len(x) <= chunk:
        return separate(x)
    fade = np.linspace(0.0, 1.0, overlap, dtype=np.float32)
    pieces: list[np.ndarray] = []
    tail: np.ndarray | None = None
    start = 0
    while True:
        stop.check()
        part = separate(x[start:start + chunk])
        if tail is not None:
            part = follow(tail, part)
            part[:, :overlap] = tail * (1 - fade) + part[:, :overlap] * fade
        if start + chunk >= len(x):  # the last chunk is longer than the overlap
            pieces.append(part)
            return np.concatenate(pieces, axis=1)
        pieces.append(part[:, :-overlap])
        tail = part[:, -overlap:]
        start += chunk - overlap


def normalised(x: np.ndarray) -> np.ndarray:
    """Scaled to PEAK (silence stays silent)."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return (x * (PEAK / peak) if peak > EPS else x).astype(np.float32)


class SepFormerWsj02Mix(NeuralBackend, SpeakerSeparator):
    """speech_separation: each of two voices on its own track, or the one a clip names."""

    name = "sepformer-wsj02mix"
    task = "speech_separation"
    model = "SepFormer (WSJ0-2mix, two voices, 8 kHz)"
    license = "Apache-2.0"
    install_hint = "audiogpt models pull speech_separation"
    requires = ("torch", "yaml")
    entry = CatalogEntry("sepformer-wsj02mix", "speechbrain/sepformer-wsj02mix",
                         ("hyperparams.yaml", "encoder.ckpt", "masknet.ckpt", "decoder.ckpt"),
                         size="113 MB", license="Apache-2.0")
    speakers = 2  # the published checkpoint's; load() reads it from hyperparams.yaml
    _net: Any = None

    def load(self) -> None:
        from models.nets.sepformer import load_sepformer

        self._device = torch_device()
        self._net = load_sepformer(self.folder, self._device)
        self.sample_rate: int = self._net.sample_rate
        self.speakers = self._net.speakers
        self._lock = threading.Lock()  # one forward pass at a time bounds the memory
        self._voices: VoiceFilter | None = None

    def separate_pass(self, x: np.ndarray) -> np.ndarray:
        """One pass of the network over samples at its rate: [speakers, len(x)]."""
        import torch

        with self._lock, torch.inference_mode():
            mix = torch.from_numpy(np.ascontiguousarray(x, np.float32)).to(self._device)
            sources = self._net(mix.unsqueeze(0))[0]
        return np.ascontiguousarray(sources.T.float().cpu().numpy())

    def separate(self, mixture: Audio) -> list[Audio]:
        """One normalised track per voice, at the model's rate, as long as the mixture."""
        if mixture.duration < MIN_SECONDS:
            raise Unsupported(f"the recording is too short to separate (under {MIN_SECONDS:g} s)")
        x = resample(mixture, self.sample_rate)
        tracks = separate_long(x, self.separate_pass, round(CHUNK_SECONDS * self.sample_rate),
                               round(OVERLAP_SECONDS * self.sample_rate))
        return [Audio(normalised(t), self.sample_rate) for t in tracks]

    def extract(self, mixture: Audio, reference: Audio) -> Extraction:
        """The separated voice closest to the reference clip's, and the others together."""
        encoder = self._speaker_encoder()
        voice = encoder.embed(encoder.reference_clip(Audio(resample(reference, VOICE_RATE),
                                                           VOICE_RATE)))
        tracks = [t.samples for t in self.separate(mixture)]

        def similarity(x: np.ndarray) -> float:
            at = Audio(x, self.sample_rate)
            return float(voice @ encoder.embed(resample(at, VOICE_RATE)))

        scores = [similarity(t) for t in tracks]
        best = int(np.argmax(scores))
        rest = normalised(np.sum([t for i, t in enumerate(tracks) if i != best], axis=0))
        return Extraction(Audio(tracks[best], self.sample_rate), Audio(rest, self.sample_rate),
                          scores[best], similarity(rest))

    def _speaker_encoder(self) -> VoiceFilter:
        """The embedded tier's speaker encoder, loaded on first use."""
        with self._lock:
            if self._voices is None:
                encoder = cast(VoiceFilter, VoiceFilter.create(self.settings))
                encoder.load()
                self._voices = encoder
            return self._voices
