"""Zero-shot voice cloning with CSM-1B: pulled from the hub stand-in as the gated repository
it is, it says the asked words in the voice of a reference voice note, with the reference's
transcript (heard by the speech_recognition model) and audio codes as its context turn.

The checkpoint is a tiny random-weight CSM (tests/neural/): what is checked is the prompt
the model is given, the length, rate and seeding of what it says, and the path through the
agent, not how the voice sounds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from core_agent.errors import Unsupported
from core_agent.tables import Job
from core_agent.types import Attachment, Message
from media.audio import Audio
from media.decode import decode
from models.embeddings import MiniLMEmbedder
from models.style_transfer.csm import (
    EARLIEST_CUT_SECONDS,
    LEAD_SECONDS,
    MAX_REFERENCE_SECONDS,
    SECONDS_PER_WORD,
    CsmVoiceClone,
    cut_at_pause,
)
from tests.core_agent.test_agent import rows
from tests.models.conftest import empty_models, pull_async
from tests.neural.style_transfer import tiny_csm
from tests.samples import SENTENCES, espeak, tone, voice_note, wer
from tests.stand_ins.hub_server import HubStandIn

TEXT = "see you tomorrow"
SAID = SENTENCES[1]  # what the reference recording says
RATE = 24_000  # Hz, Mimi's
FRAME = 1920  # samples per Mimi frame (12.5 a second)
CAP = LEAD_SECONDS + SECONDS_PER_WORD * 3  # seconds: the most three words may take


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def cloner() -> CsmVoiceClone:
    backend = CsmVoiceClone(tiny_csm())
    backend.load()
    return backend


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Audio:
    return decode(espeak(SAID, tmp_path_factory.mktemp("csm") / "said.wav"), RATE)


def test_the_reference_and_its_words_are_the_context(cloner: CsmVoiceClone,
                                                     reference: Audio) -> None:
    model: Any = cloner._model
    seen: dict[str, torch.Tensor] = {}

    def keep(name: str) -> Any:
        def first_input(module: torch.nn.Module, args: tuple[torch.Tensor, ...]) -> None:
            seen.setdefault(name, args[0].clone())
        return first_input

    hooks = [  # the prompt's token ids, and the first audio codes the backbone embeds
        model.embed_text_tokens.register_forward_pre_hook(keep("ids")),
        model.backbone_model.embed_tokens.register_forward_pre_hook(keep("codes"))]
    try:
        cloner.speak_like(TEXT, reference, SAID, seed=1)
    finally:
        for hook in hooks:
            hook.remove()
    frames = -(-len(reference.samples) // FRAME)
    prompt = cloner._processor.tokenizer.decode(seen["ids"][0])
    assert prompt == (f"<|begin_of_text|>[0]{SAID}<|end_of_text|>" + "<|AUDIO|>" * frames
                      + f"<|audio_eos|><|begin_of_text|>[0]{TEXT}<|end_of_text|>")
    with torch.no_grad():
        codes = model.codec_model.encode(torch.from_numpy(reference.samples)[None, None])
    assert seen["codes"].shape == (1, frames, 4)  # one frame of 4 codebooks per <|AUDIO|>
    assert torch.equal(seen["codes"][0], codes.audio_codes[0].T)  # the reference's own


def test_the_text_bounds_the_length_and_a_seed_repeats_it(cloner: CsmVoiceClone,
                                                         reference: Audio) -> None:
    first, again = (cloner.speak_like(TEXT, reference, SAID, seed=7) for _ in range(2))
    other = cloner.speak_like(TEXT, reference, SAID, seed=8)
    assert first.sample_rate == RATE and len(first.samples) % FRAME == 0
    assert 0 < first.duration <= CAP + FRAME / RATE  # the model's own default is 10 s
    assert np.array_equal(first.samples, again.samples)
    assert not np.array_equal(first.samples, other.samples)
    longer = cloner.speak_like(f"{TEXT} at the station by the river", reference, SAID, seed=7)
    assert CAP < longer.duration <= LEAD_SECONDS + SECONDS_PER_WORD * 9 + FRAME / RATE


def test_what_it_cannot_do_is_refused(cloner: CsmVoiceClone, reference: Audio) -> None:
    with pytest.raises(Unsupported, match="no words in it"):
        cloner.speak_like(TEXT, reference, " ")
    with pytest.raises(Unsupported, match="up to about 98 words"):
        cloner.speak_like("word " * 120, reference, SAID)


def test_a_long_reference_is_cut_in_a_pause(tmp_path: Path) -> None:
    speech = decode(espeak(". ".join(SENTENCES[:3]), tmp_path / "long.wav"), RATE)
    assert speech.duration > MAX_REFERENCE_SECONDS + 2
    clip = cut_at_pause(speech)
    assert EARLIEST_CUT_SECONDS <= clip.duration <= MAX_REFERENCE_SECONDS
    assert np.array_equal(clip.samples, speech.samples[:len(clip.samples)])
    loudness = float(np.sqrt(np.mean(clip.samples ** 2)))
    end = clip.samples[-FRAME // 2:]  # the last 40 ms
    assert float(np.sqrt(np.mean(end ** 2))) < 0.05 * loudness  # a pause, not a word
    short = Audio(speech.samples[:3 * RATE], RATE)
    assert cut_at_pause(short).duration == 3.0


async def test_say_it_in_the_voice_of_a_voice_note(tmp_path: Path,
                                                   embedder: MiniLMEmbedder) -> None:
    ask = f"say '{TEXT}' in the same voice as this"
    with HubStandIn({CsmVoiceClone.entry.repo: tiny_csm()}) as hub:
        hub.gated.add(CsmVoiceClone.entry.repo)
        async with empty_models(tmp_path, embedder) as rt:
            refused = await pull_async(hub, rt, "style_transfer", HF_TOKEN=None,
                                       AUDIOGPT_HF_TOKEN=None)
            assert refused.returncode == 1
            assert "gated" in refused.stderr and "HF_TOKEN" in refused.stderr
            assert CsmVoiceClone.entry.repo in refused.stderr
            pulled = await pull_async(hub, rt, "style_transfer", HF_TOKEN="hf_users_own")
            assert pulled.returncode == 0, pulled.stderr
            note = voice_note(SAID, tmp_path, "reference")
            reply = await rt.agent.handle(Message(
                channel_id="cli:clone", text=ask,
                attachments=[Attachment(path=note, filename=note.name)]))
            hum = tone(tmp_path / "hum.wav", 3.0, freq=50.0, noise=0.01)
            silent = await rt.agent.handle(Message(
                channel_id="cli:clone", text=ask,
                attachments=[Attachment(path=hum, filename=hum.name)]))
            jobs = rows(rt, Job, purpose="plan")
    assert reply.error_code is None, reply.text
    (step,) = reply.steps
    assert step.task == "style_transfer" and step.args["text"] == TEXT
    assert wer(SAID, step.data["reference_words"]) < 0.2  # heard by the ASR model
    (spoken,) = reply.artifacts
    assert spoken.mime == "audio/ogg" and spoken.duration is not None
    assert 0 < spoken.duration <= CAP + 0.1
    assert [(j.backend, j.status) for j in jobs] == [(CsmVoiceClone.name, "done"),
                                                     (CsmVoiceClone.name, "failed")]
    assert silent.error_code == "task-unsupported" and not silent.artifacts
    assert "couldn't hear anyone talking in the reference" in silent.text
