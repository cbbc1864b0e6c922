"""speech_recognition on a 10-minute recording with the embedded tiny.en model: timestamps,
accuracy, time and peak memory."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from core_agent.types import Artifact, Kind
from media.decode import decode
from models.cache import BackendCache
from tasks.speech_recognition import SpeechRecognitionArgs
from tests.conftest import report
from tests.samples import long_recording as make_long_recording
from tests.samples import wer
from workers.steps import executor_for

MINUTES = 10.0
PAUSE = 1.5  # seconds of silence between sentences
MAX_RSS_GROWTH = 400  # MiB over the resident size before the step


def _vm_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


@pytest.fixture(scope="module")
def long_recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """About ten minutes of espeak-ng sentences with pauses, as OGG/Opus, and its text."""
    return make_long_recording(tmp_path_factory.mktemp("long"), MINUTES, PAUSE)


@pytest.mark.timeout(240)
def test_ten_minutes_with_timestamps_in_bounded_memory(
        backends: BackendCache, long_recording: tuple[Path, str], tmp_path: Path) -> None:
    path, said = long_recording
    backend = backends.get("faster-whisper-tiny-en")
    upload = Artifact(id="x", handle="a1", kind=Kind.AUDIO, mime="audio/ogg", path=path,
                      producer="upload")
    Path("/proc/self/clear_refs").write_text("5")  # restart the peak (VmHWM) from now
    before = _vm_kib("VmRSS")
    started = time.perf_counter()
    args = SpeechRecognitionArgs.model_validate({"audio": "a1"})
    output = executor_for("speech_recognition")(backend, args, {"audio": upload}, tmp_path)
    seconds = time.perf_counter() - started
    growth = (_vm_kib("VmHWM") - before) / 1024
    length = decode(path).duration
    segments = output.data["segments"]
    starts = [s["start"] for s in segments]
    error = wer(said, output.text or "")
    report(f"ASR of a {length / 60:.1f}-minute OGG (tiny.en, VAD, beam 5): {seconds:.0f} s "
           f"({length / seconds:.0f}x real time), peak RSS +{growth:.0f} MiB, "
           f"{len(segments)} segments, WER {error:.1%}")
    assert length > 9.5 * 60
    assert starts == sorted(starts) and all(s["end"] >= s["start"] for s in segments)
    assert starts[0] < 10 and segments[-1]["end"] > length - 30
    assert segments[-1]["end"] <= length + 1
    assert max(b - a for a, b in itertools.pairwise(starts)) < 60  # no lost stretch
    assert error < 0.15, output.text[:300] if output.text else ""
    assert growth < MAX_RSS_GROWTH  # windows, not the whole recording, reach the features

