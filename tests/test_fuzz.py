"""Property-based fuzzing (hypothesis) of every path that parses what users or models send:
media headers, the request text the offline planner reads, task arguments, and the LLM's
tool-call JSON. Each may refuse with its own coded error, never crash another way.

Runs are derandomized so CI is repeatable; the counts go to the "measured" section.
FUZZ_EXAMPLES=5000 runs a longer campaign (random, not derandomized).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openai.types.chat import ChatCompletionMessageToolCall
from openai.types.chat.chat_completion_message_function_tool_call import Function

from core_agent.errors import AudioGPTError, MediaError, Unsupported
from core_agent.planning import PlanningContext
from core_agent.planning.llm import _Malformed, _step
from core_agent.planning.offline.planner import OfflinePlanner
from core_agent.planning.offline.steps import task_args
from core_agent.types import Artifact, Kind
from media.decode import decode
from media.probe import probe
from models.embeddings import MiniLMEmbedder
from models.singing.scores import read_file
from tasks import TASKS
from tests.conftest import report

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=EXAMPLES or 150, deadline=None, derandomize=not EXAMPLES,
                database=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.function_scoped_fixture])
RAN: dict[str, int] = {}


def counted(name: str) -> None:
    RAN[name] = RAN.get(name, 0) + 1


@pytest.fixture(scope="module", autouse=True)
def totals() -> Any:
    yield
    if RAN:
        report(f"fuzzing (hypothesis, {'random' if EXAMPLES else 'derandomized'}): " + ", ".join(
            f"{name} {count} inputs" for name, count in sorted(RAN.items())))


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Real files of each container users send, to mutate."""
    folder = tmp_path_factory.mktemp("seeds")
    made = []
    for suffix, codec in ((".ogg", ["-c:a", "libopus"]), (".wav", []), (".mp3", []),
                          (".m4a", ["-c:a", "aac"]), (".webm", ["-c:a", "libopus"])):
        path = folder / f"seed{suffix}"
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                        "sine=frequency=440:duration=0.3", *codec, str(path)], check=True)
        made.append(path.read_bytes())
    png = folder / "seed.png"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                    "color=c=red:s=8x8", "-frames:v", "1", str(png)], check=True)
    return [*made, png.read_bytes()]


def mutate(data: bytes, edits: list[tuple[int, int]], cut: int | None) -> bytes:
    out = bytearray(data if cut is None else data[:cut])
    for at, value in edits:
        if out:
            out[at % len(out)] = value
    return bytes(out)


@FUZZ
@given(index=st.integers(0, 5), edits=st.lists(st.tuples(st.integers(0, 4095),
                                                        st.integers(0, 255)), max_size=12),
       cut=st.none() | st.integers(0, 4096))
def test_mutated_media_is_read_or_refused(seeds: list[bytes], tmp_path: Path, index: int,
                                          edits: list[tuple[int, int]], cut: int | None
                                          ) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(mutate(seeds[index], edits, cut))
    counted("media headers")
    try:
        info = probe(path)
    except MediaError:
        return
    assert info.kind in ("audio", "video", "image")
    if info.kind != "image":
        try:
            audio = decode(path)
        except MediaError:
            return
        assert all(math.isfinite(float(x)) for x in audio.samples[:4000])


@pytest.fixture(scope="module")
def midi_seed(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from tests.models.singing.test_singing import midi_file

    path = tmp_path_factory.mktemp("score") / "seed.mid"
    return midi_file(path, [(60, 1.0, "do"), (64, 0.5, "mi"), (67, 1.5, "so")]).read_bytes()


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 255)), min_size=1,
                      max_size=8), cut=st.none() | st.integers(14, 200))
def test_mutated_scores_are_read_or_refused(midi_seed: bytes, tmp_path: Path,
                                            edits: list[tuple[int, int]], cut: int | None
                                            ) -> None:
    path = tmp_path / "score.mid"
    path.write_bytes(b"MThd" + mutate(midi_seed, edits, cut)[4:])
    counted("MIDI scores")
    try:
        score = read_file(path)
    except (Unsupported, MediaError):
        return
    assert score.notes and all(n.beats > 0 for n in score.notes)


@FUZZ
@given(data=st.binary(max_size=256))
def test_arbitrary_bytes_are_refused_before_ffprobe_sees_them(tmp_path: Path, data: bytes
                                                              ) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(b"#EXTM3U\n" + data)  # a playlist would make ffprobe open other files
    counted("playlists and junk")
    with pytest.raises(MediaError):
        probe(path)


@FUZZ
@given(task=st.sampled_from(sorted(TASKS)), text=st.text(max_size=300))
def test_argument_extraction_never_crashes(task: str, text: str) -> None:
    counted("request texts (extractors)")
    found = task_args(task, text)
    media: dict[str, Any] = {name: "a1" for name in ("audio", "image", "reference")
                             if name in TASKS[task].args.model_fields}
    with contextlib.suppress(AudioGPTError):  # a refusal is fine; any other error is not
        TASKS[task].validate({**media, **found})


JSON = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers()
                    | st.text(max_size=40),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=12), inner, max_size=5), max_leaves=12)


@FUZZ
@given(name=st.sampled_from([*TASKS, "shell", "", "speech_recognition "]),
       arguments=st.one_of(st.text(max_size=200), JSON.map(json.dumps),
                           st.dictionaries(st.sampled_from(["audio", "text", "operation",
                                                            "factor", "image", "query"]),
                                           JSON, max_size=4).map(json.dumps)))
def test_llm_tool_calls_are_checked_or_refused(name: str, arguments: str) -> None:
    counted("LLM tool calls")
    call = ChatCompletionMessageToolCall(id="c1", type="function",
                                         function=Function(name=name, arguments=arguments))
    try:
        step = _step(call, 1, {"a1", "a2"})
    except (AudioGPTError, _Malformed):  # refused, or sent back to the model to fix
        return
    TASKS[step.task].validate(step.args)  # what passes is valid


@pytest.fixture(scope="module")
def offline(embedder: MiniLMEmbedder) -> OfflinePlanner:
    return OfflinePlanner(embedder)


@FUZZ
@given(text=st.text(max_size=200) | st.sampled_from([
    "transcribe a99", "make a1 faster by 9999 percent", "trim a1 from 30 s to 2 s",
    "fill the gap from 5 s to 1 s in a1", "put the voice at 720 degrees", "sing é ü 中文",
    "translate a1 from klingon to elvish", "say ''", 'say "', "step0 step2 step999"]))
def test_the_offline_planner_plans_or_refuses(offline: OfflinePlanner, text: str) -> None:
    counted("offline planner requests")
    clip = Artifact(id="x", handle="a1", kind=Kind.AUDIO, mime="audio/ogg",
                    path=Path("/nonexistent/a1.ogg"), producer="upload", duration=3.0)
    try:
        plan = asyncio.run(offline.plan(PlanningContext(text=text, attachments=[clip])))
    except AudioGPTError:
        return
    for step in plan.steps:
        TASKS[step.task].validate(step.args)
