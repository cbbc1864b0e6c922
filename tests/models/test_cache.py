"""The per-worker model cache: least recently used backends leave when over the budget."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import count
from pathlib import Path

from models.cache import BackendCache
from models.text_to_speech.base import Synthesizer

MB = 1024 * 1024


class Loads:
    """A size measure and listener for the policy tests: each load adds 10 MB."""

    def __init__(self) -> None:
        self.ticks = count()
        self.loads: list[str] = []
        self.gone: list[str] = []

    def __call__(self) -> int:
        return next(self.ticks) * 10 * MB  # read before and after each load: +10 MB

    def loaded(self, name: str, seconds: float, size: int) -> None:
        assert size == 10 * MB and seconds >= 0
        self.loads.append(name)

    def evicted(self, name: str) -> None:
        self.gone.append(name)


def test_the_least_recently_used_backend_leaves_first() -> None:
    loads = Loads()
    cache = BackendCache(budget_mb=25, listener=loads, measure=loads)
    espeak, gate = cache.get("espeak-ng"), cache.get("spectral-gate")
    assert cache.get("espeak-ng") is espeak  # a hit: espeak-ng is now the most recent
    cache.get("piper-joe")  # 30 MB > 25: the least recently used (the gate) goes
    assert loads.gone == ["spectral-gate"]
    assert list(cache._loaded) == ["espeak-ng", "piper-joe"] and cache.resident == 20 * MB
    again = cache.get("spectral-gate")  # loads again; now espeak-ng is the oldest
    assert again is not gate and loads.gone == ["spectral-gate", "espeak-ng"]
    assert loads.loads == ["espeak-ng", "spectral-gate", "piper-joe", "spectral-gate"]
    piper = cache.get("piper-joe")
    assert isinstance(piper, Synthesizer) and piper.synthesize("still here").samples.size > 0


def test_a_budget_smaller_than_one_model_keeps_the_newest() -> None:
    loads = Loads()
    cache = BackendCache(budget_mb=1, listener=loads, measure=loads)
    cache.get("espeak-ng")
    cache.get("piper-joe")
    assert list(cache._loaded) == ["piper-joe"] and loads.gone == ["espeak-ng"]
    unlimited = BackendCache(measure=Loads())
    for name in ("espeak-ng", "spectral-gate", "piper-joe"):
        unlimited.get(name)
    assert len(unlimited._loaded) == 3  # no budget, no eviction


MEASURED = """
import json
from models.cache import BackendCache, resident_bytes
cache = BackendCache(budget_mb=1)
start = resident_bytes()
piper = cache.get("piper-joe")
first = piper.synthesize("hello there").samples.shape
grown = resident_bytes() - start
cache.get("faster-whisper-tiny-en")
after_whisper, whisper_size = list(cache._loaded), cache.sizes["faster-whisper-tiny-en"]
again = cache.get("piper-joe").synthesize("hello there").samples.shape
print(json.dumps({"sizes": cache.sizes, "grown": grown, "after_whisper": after_whisper,
                  "whisper_size": whisper_size, "first": first, "again": again,
                  "last": list(cache._loaded)}))
"""


def test_sizes_are_measured_from_resident_memory_and_an_evicted_model_reloads() -> None:
    # A fresh process: in this one, earlier tests' models left their memory to the allocator.
    run = subprocess.run([sys.executable, "-c", MEASURED], capture_output=True, text=True,
                         timeout=120, check=True, cwd=Path(__file__).parents[2])
    seen = json.loads(run.stdout.splitlines()[-1])
    assert seen["whisper_size"] > 10 * MB  # tiny.en, int8: tens of MB
    assert seen["sizes"]["piper-joe"] > 30 * MB  # the Piper voice is a ~60 MB ONNX model
    assert seen["grown"] >= seen["sizes"]["piper-joe"]
    assert seen["after_whisper"] == ["faster-whisper-tiny-en"]  # Piper left (over 1 MB)
    assert seen["last"] == ["piper-joe"] and seen["again"] == seen["first"]  # it came back
