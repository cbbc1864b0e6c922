"""DiffSinger voicebanks (ONNX, OpenUTAU layout): pulled from the hub stand-in with
`audiogpt models pull singing_synthesis` and singing through the agent, and refused with a
clear message when the voicebank is incomplete or its model wants an input we can't fill.

The voicebank is a tiny random-weight acoustic model and NSF-HiFiGAN vocoder exported with
DiffSinger's input and output names, dtypes and dynamic axes (tests/neural/): it proves
the loading, input building and inference code, not the singing.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from core_agent.tables import Job
from core_agent.types import Kind, Message
from media.decode import decode
from models.settings import ModelSettings
from models.singing.diffsinger import DiffSingerOnnx, VoicebankError
from models.singing.phones import lay_out
from models.singing.scores import requested
from tests.core_agent.test_agent import rows
from tests.models.conftest import pull_async
from tests.neural.singing import tiny_diffsinger
from tests.stand_ins.hub_server import HubStandIn
from workers.runtime import Runtime

REPO = "stand-in/tiny-diffsinger-voicebank"  # served by the stand-in only; not a hub repo


@pytest.fixture(scope="module")
def hub() -> Iterator[HubStandIn]:
    with HubStandIn({REPO: tiny_diffsinger()}) as server:
        yield server


async def test_voicebank_sings_through_the_agent_after_a_pull(
        hub: HubStandIn, empty_runtime: Runtime) -> None:
    unset = await pull_async(hub, empty_runtime, "singing_synthesis",
                             AUDIOGPT_DIFFSINGER_REPO=None)
    assert unset.returncode == 1 and "AUDIOGPT_DIFFSINGER_REPO" in unset.stderr
    done = await pull_async(hub, empty_runtime, "singing_synthesis",
                            AUDIOGPT_DIFFSINGER_REPO=REPO)
    assert done.returncode == 0, done.stderr
    assert DiffSingerOnnx.installed(ModelSettings.of(empty_runtime.settings))
    reply = await empty_runtime.agent.handle(Message(channel_id="cli:diffsinger",
                                               text="sing happy birthday to my sister"))
    assert reply.error_code is None, reply.text
    (job,) = [j for j in rows(empty_runtime, Job, purpose="plan") if j.task == "singing_synthesis"]
    assert job.backend == DiffSingerOnnx.name  # ahead of the embedded WORLD singer
    (note,) = reply.artifacts
    assert note.kind == Kind.AUDIO and note.mime == "audio/ogg"
    (step,) = reply.steps
    assert "dear sis ter" in step.data["sung"]
    seconds = float(step.data["seconds"])
    assert note.duration is not None and abs(note.duration - seconds) < 0.1 * seconds
    assert np.abs(decode(note.path, 48_000).samples).max() > 0.01


def test_phonemes_and_frames_follow_the_score() -> None:
    voice = DiffSingerOnnx(tiny_diffsinger())
    voice.load()
    score = requested("happy birthday to my sister", melody="happy birthday")
    phones = lay_out(score, voice, 0.2, 0.2, 0.06)
    frames = sum(d for _, d in phones)
    assert frames == round((0.2 + score.duration + 0.2) / voice.frame_s)
    assert phones[0][0] == phones[-1][0] == "SP" and all(d > 0 for _, d in phones)
    assert [p for p, _ in phones[1:4]] == ["h", "a", "p"]  # "hap-", from its letters
    sung = voice.sing(score)
    assert sung.sample_rate == 44_100 and len(sung.samples) == frames * 512


def test_voicebank_dictionary_is_used_when_present(tmp_path: Path) -> None:
    folder = tmp_path / "bank"
    shutil.copytree(tiny_diffsinger(), folder)
    (folder / "dsdict.yaml").write_text(
        "symbols:\n  - {symbol: a, type: vowel}\n  - {symbol: i, type: vowel}\n"
        "  - {symbol: sh, type: consonant}\n  - {symbol: d, type: consonant}\n"
        "entries:\n  - {grapheme: happy, phonemes: [h, a, p, i]}\n")
    voice = DiffSingerOnnx(folder)
    voice.load()
    phones = lay_out(requested("happy", notes="C4 D4"), voice, 0.2, 0.2, 0.06)
    assert [p for p, _ in phones] == ["SP", "h", "a", "p", "i", "SP"]


def test_incomplete_voicebanks_are_refused_by_name(tmp_path: Path) -> None:
    no_vocoder = tmp_path / "no-vocoder"
    shutil.copytree(tiny_diffsinger(), no_vocoder)
    shutil.rmtree(no_vocoder / "dsvocoder")
    with pytest.raises(VoicebankError, match=r"has no vocoder: put the NSF-HiFiGAN vocoder "
                                             r"\(nsf_hifigan\) with its vocoder.yaml"):
        DiffSingerOnnx(no_vocoder).load()
    with pytest.raises(VoicebankError, match="has an input 'mystery' this backend does not "
                                             "know how to fill"):
        DiffSingerOnnx(tiny_diffsinger(extra=("mystery",))).load()
    with pytest.raises(VoicebankError, match="needs the input 'breathiness', a variance curve"):
        DiffSingerOnnx(tiny_diffsinger(extra=("breathiness",))).load()
