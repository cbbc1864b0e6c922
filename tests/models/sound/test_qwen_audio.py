"""Qwen2-Audio for audio_to_text: pulled with `audiogpt models pull`, preferred over the
embedded event captioner, answering with exactly the text the model generated.

The checkpoint is a tiny random-weight Qwen2-Audio (tests/neural/): its replies are
garbage, so the tests check that they are the model's own, for the right audio and prompt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
import torch

from core_agent.errors import Unsupported
from core_agent.tables import Job
from core_agent.types import Attachment, Message
from media.audio import ASR_RATE, Audio
from media.decode import decode
from media.encode import write_wav
from models.catalog.checkpoints import manifest
from models.sound.event_caption import EventCaptioner
from models.sound.qwen_audio import INSTRUCTION, MAX_NEW_TOKENS, QwenAudioCaptioner
from tests.core_agent.test_agent import rows
from tests.models.conftest import pull_async
from tests.neural.sound import tiny_qwen2_audio
from tests.stand_ins.hub_server import HubStandIn
from workers.runtime import Runtime

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def captioner() -> QwenAudioCaptioner:
    loaded = QwenAudioCaptioner(tiny_qwen2_audio())
    loaded.load()
    return loaded


def noise(seconds: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-0.5, 0.5, round(seconds * ASR_RATE)
                                               ).astype(np.float32)


def tone(seconds: float, hz: float) -> np.ndarray:
    t = np.arange(round(seconds * ASR_RATE)) / ASR_RATE
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


async def test_pulled_qwen2_audio_describes_a_recording(
        empty_runtime: Runtime, captioner: QwenAudioCaptioner, tmp_path: Path) -> None:
    clip = write_wav(Audio(noise(2.0, 1), ASR_RATE), tmp_path / "street.wav")

    def ask() -> Message:
        return Message(channel_id="cli:qwen", text="describe this recording",
                       attachments=[Attachment(path=clip, filename=clip.name)])

    embedded = await empty_runtime.agent.handle(ask())  # nothing pulled: the event captioner serves
    assert embedded.error_code is None and "2.0 s recording" in embedded.text, embedded.text
    with HubStandIn({QwenAudioCaptioner.entry.repo: tiny_qwen2_audio()}) as hub:
        pulled = await pull_async(hub, empty_runtime, "audio_to_text")
    assert pulled.returncode == 0, pulled.stderr
    folder = empty_runtime.settings.models_dir / QwenAudioCaptioner.entry.name
    assert set(cast(dict[str, Any], manifest(folder))["files"]) == {  # the whole repository
        path.name for path in tiny_qwen2_audio().iterdir()}
    reply = await empty_runtime.agent.handle(ask())
    assert reply.error_code is None, reply.text
    assert [j.backend for j in rows(empty_runtime, Job, purpose="plan", status="done")] == [
        EventCaptioner.name, QwenAudioCaptioner.name]
    expected = captioner.describe(decode(clip)).text  # the same weights, pulled byte for byte
    assert expected and reply.text == expected
    (step,) = reply.steps
    assert step.data == {"windows": [{"start": 0.0, "end": 2.0, "text": expected}]}


@pytest.mark.parametrize(("seconds", "tokens"), [(0.5, 12), (2.0, 50), (30.0, 750)])
def test_the_prompt_holds_the_audio_tokens_the_clip_makes(
        captioner: QwenAudioCaptioner, seconds: float, tokens: int) -> None:
    inputs = captioner.inputs(noise(seconds, 2))
    # 100 log-mel frames a second, halved by the encoder's strided conv and again by its
    # pooling: about 25 audio tokens a second.
    assert int(inputs["feature_attention_mask"].sum()) == round(seconds * 100)
    assert inputs["input_features"].shape == (1, 128, 3000)  # always padded to 30 s
    prompt = captioner._processor.decode(inputs["input_ids"][0])
    assert prompt == ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                      "<|im_start|>user\nAudio 1: <|audio_bos|>" + "<|AUDIO|>" * tokens
                      + f"<|audio_eos|>\n{INSTRUCTION}<|im_end|>\n<|im_start|>assistant\n")


def test_the_reply_is_what_the_model_generated_after_the_prompt(
        captioner: QwenAudioCaptioner) -> None:
    from transformers import AutoTokenizer, Qwen2AudioForConditionalGeneration

    clip = noise(2.0, 3)
    inputs = captioner.inputs(clip)
    model = Qwen2AudioForConditionalGeneration.from_pretrained(tiny_qwen2_audio()).eval()
    with torch.inference_mode():  # greedy, although the checkpoint's own config samples
        ids = model.generate(**inputs, do_sample=False, max_new_tokens=MAX_NEW_TOKENS)
    generated = ids[0, inputs["input_ids"].shape[1]:]
    assert len(generated) > 0
    tokenizer = AutoTokenizer.from_pretrained(tiny_qwen2_audio())
    text = str(tokenizer.decode(generated, skip_special_tokens=True)).strip()
    caption = captioner.describe(Audio(clip, ASR_RATE))
    assert text and caption.text == text
    assert "<|" not in caption.text and INSTRUCTION not in caption.text


def test_a_long_recording_is_described_30_s_at_a_time(captioner: QwenAudioCaptioner) -> None:
    parts = [noise(30.0, 4), tone(30.0, 440.0), tone(10.0, 2000.0)]
    recording = np.concatenate(parts)
    caption = captioner.describe(Audio(recording, ASR_RATE))
    windows = caption.data["windows"]
    assert [(w["start"], w["end"]) for w in windows] == [(0, 30), (30, 60), (60, 70)]
    assert caption.text.split("\n") == [f"0–30 s: {windows[0]['text']}",
                                        f"30–60 s: {windows[1]['text']}",
                                        f"60–70 s: {windows[2]['text']}"]
    assert windows[2]["text"] == captioner.describe(Audio(parts[2], ASR_RATE)).text
    assert len({w["text"] for w in windows}) == 3  # each part is described from its own audio


def test_a_recording_past_the_limit_says_where_it_was_cut() -> None:
    class OnePart(QwenAudioCaptioner):
        max_windows = 1

    captioner = OnePart(tiny_qwen2_audio())
    captioner.load()
    first = noise(30.0, 7)
    caption = captioner.describe(Audio(np.concatenate([first, noise(12.0, 8)]), ASR_RATE))
    assert caption.text == (
        f"0–30 s: {captioner.describe(Audio(first, ASR_RATE)).text}\n"
        "(I described the first 30 s of 42 s; longer recordings are cut there.)")
    with pytest.raises(Unsupported, match=r"at least 0\.1 s"):
        captioner.describe(Audio(noise(0.05, 9), ASR_RATE))
