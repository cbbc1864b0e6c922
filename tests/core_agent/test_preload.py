"""The background preload stops as a process ends: what is loading finishes, nothing else
starts (a process that exits while a native library loads a model on a thread aborts)."""

from __future__ import annotations

import threading

from core_agent.preload import Preload


def test_stop_waits_for_the_load_under_way_and_skips_the_rest() -> None:
    loading, release, ran = threading.Event(), threading.Event(), []

    def slow() -> None:
        loading.set()
        release.wait()
        ran.append("asr")

    preload = Preload({"asr": slow, "tts": lambda: ran.append("tts")})
    preload.start()
    loading.wait()
    stopper = threading.Thread(target=preload.stop)
    stopper.start()
    assert not preload.done.is_set()  # still loading: stop waits for it
    release.set()
    stopper.join()
    assert ran == ["asr"] and preload.done.is_set() and preload.loading == ["tts"]
    assert preload.health() == {"ready": False, "loading": ["tts"]}  # shutting down


def test_stop_before_start_waits_for_nothing() -> None:
    preload = Preload({"asr": lambda: None})
    preload.stop()
    assert preload.loading == ["asr"] and not preload.health()["ready"]


def test_ready_once_everything_loaded() -> None:
    preload = Preload({"asr": lambda: None, "tts": lambda: None})
    assert preload.health() == {"ready": False, "loading": ["asr", "tts"]}
    preload.start()
    preload.done.wait()
    assert preload.health() == {"ready": True, "loading": []}
