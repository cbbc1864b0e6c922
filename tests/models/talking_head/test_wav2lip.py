"""Wav2Lip (neural catalog talking head): the published layout, its mel front end, and a
random-weight checkpoint pulled from the hub stand-in that then lip-syncs a photo.

The checkpoint is the full-size generator with random weights (tests/neural/): it proves
loading, pre- and post-processing and the path through the agent, not the lip sync.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import torch

from core_agent.types import Attachment, Message
from models.nets.wav2lip import Wav2Lip, published_state
from models.settings import ModelSettings
from models.talking_head.faces import fit_size, locate, read_picture
from models.talking_head.video import FPS
from models.talking_head.wav2lip import Wav2LipTalkingHead, face_crop, mel_windows, melspectrogram
from tests.conftest import report
from tests.models.conftest import pull_async
from tests.models.talking_head.test_talking_head import PORTRAIT, frames, streams
from tests.models.test_neural_catalog import backend_of
from tests.neural.talking_head import random_wav2lip
from tests.stand_ins.hub_server import HubStandIn
from workers.runtime import Runtime

REPO = "community/wav2lip"  # any name: the repository is a setting


@pytest.fixture(scope="module")
def hub() -> Iterator[HubStandIn]:
    with HubStandIn({REPO: random_wav2lip()}) as server:
        yield server


def test_the_generator_has_the_published_layout() -> None:
    state = Wav2Lip().state_dict()
    assert {k.split(".")[0] for k in state} == {
        "face_encoder_blocks", "audio_encoder", "face_decoder_blocks", "output_block"}
    shapes = {
        "face_encoder_blocks.0.0.conv_block.0.weight": (16, 6, 7, 7),
        "face_encoder_blocks.2.3.conv_block.0.weight": (64, 64, 3, 3),
        "face_encoder_blocks.6.1.conv_block.0.weight": (512, 512, 1, 1),
        "audio_encoder.0.conv_block.0.weight": (32, 1, 3, 3),
        "audio_encoder.12.conv_block.0.weight": (512, 512, 1, 1),
        "face_decoder_blocks.1.0.conv_block.0.weight": (1024, 512, 3, 3),  # transposed
        "face_decoder_blocks.6.0.conv_block.0.weight": (160, 64, 3, 3),
        "face_decoder_blocks.6.2.conv_block.1.running_var": (64,),
        "output_block.0.conv_block.0.weight": (32, 80, 3, 3),
        "output_block.1.weight": (3, 32, 1, 1),
    }
    assert {k: tuple(state[k].shape) for k in shapes} == shapes
    assert len(state) == 352 and sum(v.numel() for k, v in state.items()
                                     if "running" not in k and "batches" not in k) == 36_298_035
    saved = {"state_dict": {f"module.{k}": v for k, v in state.items()}, "optimizer": None}
    Wav2Lip().load_state_dict(published_state(saved), strict=True)
    with torch.inference_mode():
        faces = Wav2Lip().eval()(torch.zeros(2, 1, 80, 16), torch.zeros(2, 6, 96, 96))
    assert faces.shape == (2, 3, 96, 96) and 0 <= float(faces.min()) <= float(faces.max()) <= 1


def test_the_mel_front_end_is_wav2lips() -> None:
    librosa = pytest.importorskip("librosa")
    t = np.arange(16_000) / 16_000
    speech = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(
        np.float32)
    mel = melspectrogram(speech)
    # Wav2Lip's audio.py, with librosa 0.7's reflect padding
    emphasised = np.asarray(librosa.effects.preemphasis(speech.astype(np.float64), coef=0.97,
                                                        zi=[0.0]))
    magnitude = np.abs(librosa.stft(emphasised, n_fft=800, hop_length=200, win_length=800,
                                    pad_mode="reflect"))
    bank = librosa.filters.mel(sr=16_000, n_fft=800, n_mels=80, fmin=55, fmax=7600)
    db = 20 * np.log10(np.maximum(1e-5, bank @ magnitude)) - 20
    expected = np.clip(8 * (db + 100) / 100 - 4, -4, 4)
    assert mel.shape == (80, 81) and np.abs(mel - expected).max() < 1e-3
    windows = mel_windows(mel, 25)
    assert windows.shape == (25, 80, 16)
    assert np.array_equal(windows[5], mel[:, 16:32]) and np.array_equal(windows[-1], mel[:, -16:])


async def test_make_this_photo_say_hello_with_wav2lip(hub: HubStandIn, empty_runtime: Runtime,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    unset = await pull_async(hub, empty_runtime, "talking_head")
    assert unset.returncode == 1 and "AUDIOGPT_WAV2LIP_REPO" in unset.stderr
    monkeypatch.setenv("AUDIOGPT_WAV2LIP_REPO", REPO)
    done = await pull_async(hub, empty_runtime, "talking_head")
    assert done.returncode == 0, done.stderr
    assert Wav2LipTalkingHead.installed(ModelSettings.of(empty_runtime.settings))

    reply = await empty_runtime.agent.handle(Message(
        channel_id="cli:wav2lip", text="make this photo say hello",
        attachments=[Attachment(path=PORTRAIT, filename="grace.jpg")]))
    assert reply.error_code is None, reply.text
    assert backend_of(empty_runtime, "talking_head") == Wav2LipTalkingHead.name
    _, video = reply.artifacts
    assert video.mime == "video/mp4"
    info = streams(video.path)
    v, a = info["video"], info["audio"]
    image, _ = fit_size(read_picture(PORTRAIT))
    assert (int(v["width"]), int(v["height"])) == (image.shape[1], image.shape[0])
    gap = abs(float(v["duration"]) - float(a["duration"]))
    assert gap <= 1 / FPS

    portrait = locate(image)
    assert portrait is not None
    box = face_crop(portrait.face, *image.shape[:2])
    first = frames(video.path)[0].astype(np.float32)
    upper = np.s_[box.y:box.y + box.h // 3, box.x:box.x + box.w]
    lower = np.s_[box.y + box.h * 2 // 3:box.y + box.h, box.x + box.w // 4:box.x + box.w * 3 // 4]
    kept = float(np.abs(first[upper] - image[upper]).mean())
    redrawn = float(np.abs(first[lower] - image[lower]).mean())
    report(f"wav2lip (random weights): video {float(v['duration']):.3f} s, audio "
           f"{float(a['duration']):.3f} s; mean change upper face {kept:.1f}, mouth {redrawn:.1f}")
    assert kept < 6 and redrawn > 3 * kept  # only the lower face is redrawn
