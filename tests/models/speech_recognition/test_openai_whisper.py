"""Whisper large-v3-turbo on openai-whisper (neural catalog): the transformers checkpoint
renamed into openai-whisper's model at load, proved by equal logits; a checkpoint of another
layout refused; one pull bringing both engines, a CPU choosing faster-whisper and a GPU
openai-whisper; and transcripts in the shape the faster-whisper engines give.

The checkpoint is a tiny random-weight Whisper in the large-v3 layout (tests/neural/):
its text is garbage, so what is checked is where things ran and the transcript's shape.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import WhisperForConditionalGeneration
from whisper.tokenizer import LANGUAGES

from core_agent.errors import BackendUnavailable, Unsupported
from core_agent.tables import Job
from core_agent.types import Attachment, Message
from media.decode import decode
from models.catalog.checkpoints import MANIFEST
from models.registry import backends_for
from models.settings import ModelSettings
from models.speech_recognition.openai_whisper import WEIGHTS, OpenAIWhisperTurbo, load_whisper
from models.speech_recognition.whisper_tiny_en import FasterWhisperTinyEn
from models.speech_recognition.whisper_turbo import WhisperTurbo
from tests.core_agent.test_agent import rows
from tests.models.conftest import pull_async
from tests.neural.speech_recognition import tiny_whisper_ct2, tiny_whisper_hf
from tests.samples import voice_note
from tests.stand_ins.hub_server import HubStandIn
from workers.runtime import Runtime

pytestmark = pytest.mark.usefixtures("one_torch_thread")
SOT, ENGLISH, TRANSCRIBE, FIRST_TIMESTAMP = 50258, 50259, 50360, 50365  # large-v3's ids


@pytest.fixture(scope="module")
def checkpoint() -> Path:
    return tiny_whisper_hf()


@pytest.fixture(scope="module")
def hub(checkpoint: Path) -> Iterator[HubStandIn]:
    repos = {OpenAIWhisperTurbo.entry.repo: checkpoint, WhisperTurbo.entry.repo: tiny_whisper_ct2()}
    with HubStandIn(repos) as server:
        yield server


def test_the_converted_model_gives_the_transformers_logits(checkpoint: Path) -> None:
    ours = load_whisper(checkpoint)
    theirs = WhisperForConditionalGeneration.from_pretrained(checkpoint).eval()
    mel = torch.randn(1, 128, 3000, generator=torch.Generator().manual_seed(1))
    tokens = torch.tensor([[SOT, ENGLISH, TRANSCRIBE, FIRST_TIMESTAMP, 440, 3068, 12, 50257]])
    with torch.inference_mode():
        logits = ours(mel, tokens)
        expected = theirs(input_features=mel, decoder_input_ids=tokens).logits
    assert logits.shape == (1, tokens.shape[1], 51866)
    assert float(expected.std()) > 1e-2  # random weights, yet not a degenerate output
    torch.testing.assert_close(logits, expected, atol=1e-4, rtol=0)
    heads = json.loads((checkpoint / "generation_config.json").read_text())["alignment_heads"]
    assert ours.alignment_heads.to_dense().nonzero().tolist() == heads  # for word timings


def test_a_checkpoint_of_another_layout_is_refused(checkpoint: Path, tmp_path: Path) -> None:
    state = load_file(checkpoint / WEIGHTS)
    state["model.decoder.layers.0.mlp.0.weight"] = state.pop("model.decoder.layers.0.fc1.weight")
    renamed, truncated = tmp_path / "renamed", tmp_path / "truncated"
    for folder in (renamed, truncated):
        shutil.copytree(checkpoint, folder)
    save_file(state, renamed / WEIGHTS)
    (truncated / WEIGHTS).write_bytes((checkpoint / WEIGHTS).read_bytes()[:5000])
    with pytest.raises(BackendUnavailable) as refused:
        OpenAIWhisperTurbo(renamed).load()
    message = str(refused.value)
    assert OpenAIWhisperTurbo.model in message
    assert "audiogpt models pull speech_recognition" in message
    assert "missing model.decoder.layers.0.fc1.weight" in message
    assert "unexpected model.decoder.layers.0.mlp.0.weight" in message
    with pytest.raises(BackendUnavailable, match=r"model\.safetensors is not a safetensors file"):
        OpenAIWhisperTurbo(truncated).load()


def test_a_gpu_prefers_openai_whisper_and_a_cpu_faster_whisper() -> None:
    on_gpu = backends_for("speech_recognition", has_cuda=True)
    on_cpu = backends_for("speech_recognition", has_cuda=False)
    assert on_gpu[:2] == [OpenAIWhisperTurbo, WhisperTurbo]
    assert on_cpu[:2] == [WhisperTurbo, OpenAIWhisperTurbo]
    assert on_gpu[-1] is on_cpu[-1] is FasterWhisperTinyEn  # the embedded tier stays last
    # A task none of whose backends prefers a GPU keeps its order on either.
    assert backends_for("text_to_speech", has_cuda=True) == backends_for(
        "text_to_speech", has_cuda=False)


async def test_one_pull_brings_both_engines_and_this_cpu_runs_faster_whisper(
        hub: HubStandIn, empty_runtime: Runtime, tmp_path: Path) -> None:
    note = voice_note("please call me back after the meeting", tmp_path)
    done = await pull_async(hub, empty_runtime, "speech_recognition")
    assert done.returncode == 0, done.stderr
    models = ModelSettings.of(empty_runtime.settings)
    assert OpenAIWhisperTurbo.installed(models) and WhisperTurbo.installed(models)
    first = await empty_runtime.agent.handle(Message(
        channel_id="cli:asr", text="transcribe this",
        attachments=[Attachment(path=note, filename=note.name)]))
    assert first.error_code is None, first.text

    # Without the faster-whisper checkpoint the same task runs on openai-whisper, and the
    # step's result has the same shape.
    (empty_runtime.settings.models_dir / WhisperTurbo.entry.name / MANIFEST).unlink()
    torch.manual_seed(0)  # its temperature fallback samples: the same tokens every run
    second = await empty_runtime.agent.handle(Message(
        channel_id="cli:asr", text="transcribe a1 with word timings"))
    assert second.error_code is None, second.text
    jobs = [j for j in rows(empty_runtime, Job, purpose="plan") if j.task == "speech_recognition"]
    assert [j.backend for j in jobs] == [WhisperTurbo.name, OpenAIWhisperTurbo.name]
    assert jobs[1].args["word_timestamps"] is True and "language" not in jobs[1].args
    (step,) = second.steps
    duration = decode(note).duration
    assert step.data["language"] in LANGUAGES  # detected, none being given
    assert step.data["segments"] and step.text == " ".join(s["text"] for s in step.data["segments"])
    assert all(0 <= s["start"] <= s["end"] <= duration + 0.01 for s in step.data["segments"])


def test_a_language_given_is_kept_and_one_whisper_lacks_refused(checkpoint: Path,
                                                                tmp_path: Path) -> None:
    audio = decode(voice_note("call me back", tmp_path), 16_000)
    backend = OpenAIWhisperTurbo(checkpoint)
    backend.load()
    torch.manual_seed(0)
    heard = backend.transcribe(audio, "DE")
    assert heard.language == "de"
    assert all(0 <= s.start <= s.end <= audio.duration for s in heard.segments)
    assert all(type(s.start) is float and type(s.end) is float for s in heard.segments)
    with pytest.raises(Unsupported, match="does not know the language 'xx'"):
        backend.transcribe(audio, "xx")
