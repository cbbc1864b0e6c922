"""Talking head: a portrait animated by speech, measured on the encoded MP4."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import cv2
import matplotlib.cbook
import numpy as np
import pytest

from core_agent.errors import Unsupported
from core_agent.types import Attachment, Message, Reply
from media.decode import decode
from models.talking_head.cascade import JAW_DROP, CascadeTalkingHead
from models.talking_head.faces import default_face, fit_size, locate, read_picture
from models.talking_head.video import FPS
from tests.conftest import report
from tests.samples import espeak, voice_note
from workers.runtime import Runtime

PORTRAIT = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def streams(path: Path) -> dict[str, dict[str, str]]:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
                         capture_output=True, check=True).stdout
    return {s["codec_type"]: s for s in json.loads(out)["streams"]}


def frames(path: Path) -> list[np.ndarray]:
    video = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, frame = video.read()
        if not ok:
            break
        out.append(frame)
    video.release()
    return out


def test_the_mouth_moves_with_the_speech(tmp_path: Path) -> None:
    speech = espeak("hello there. this is my talking head, one, two, three.",
                    tmp_path / "speech.wav", speed=120, voice="en-us")
    audio = decode(speech, 48_000)
    backend = CascadeTalkingHead()
    backend.load()
    video = backend.render(PORTRAIT, audio, speech, tmp_path / "talking.mp4")

    info = streams(video)
    v, a = info["video"], info["audio"]
    assert (v["codec_name"], v["pix_fmt"], a["codec_name"]) == ("h264", "yuv420p", "aac")
    head = video.read_bytes()
    assert head.index(b"moov") < head.index(b"mdat")  # +faststart: plays while loading
    gap = abs(float(v["duration"]) - float(a["duration"]))
    assert gap <= 1 / FPS

    image, _ = fit_size(read_picture(PORTRAIT))
    portrait = locate(image)
    assert portrait is not None
    m, face = portrait.mouth, portrait.face
    reach = int(JAW_DROP * face.h) + m.h
    darkness = np.array([
        np.mean(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY)[m.y:m.y + reach, m.x:m.x + m.w] < 70)
        for f in frames(video)])
    heard = decode(video, 16_000).samples
    hop = 16_000 // FPS
    level = np.array([np.sqrt(np.mean(heard[i * hop:(i + 1) * hop] ** 2) + 1e-10)
                      for i in range(len(darkness))])
    loud_db = 20 * np.log10(level)
    r = float(np.corrcoef(darkness, np.maximum(loud_db, loud_db.max() - 40))[0, 1])
    report(f"talking head: mouth-region darkness vs speech level (dB), Pearson r = {r:.2f} "
           f"over {len(darkness)} frames; video {float(v['duration']):.3f} s, audio "
           f"{float(a['duration']):.3f} s (gap {1000 * gap:.0f} ms, one frame = "
           f"{1000 / FPS:.0f} ms)")
    assert r > 0.6


def test_the_default_face_is_a_face_and_a_landscape_is_not(tmp_path: Path) -> None:
    image, drawn = default_face()
    found = locate(image)
    assert found is not None  # the cascade finds the drawing's face too
    assert abs(found.mouth.centre[1] - drawn.mouth.centre[1]) < drawn.face.h * 0.15
    hills = np.zeros((360, 480, 3), np.uint8)
    hills[:] = (200, 160, 90)
    cv2.circle(hills, (400, 60), 30, (80, 220, 250), -1)
    cv2.ellipse(hills, (150, 360), (260, 120), 0, 180, 360, (60, 140, 60), -1)
    cv2.imwrite(str(tmp_path / "hills.png"), hills)
    speech = espeak("hello", tmp_path / "hello.wav")
    with pytest.raises(Unsupported, match="couldn't find a face"):
        CascadeTalkingHead().render(tmp_path / "hills.png", decode(speech, 48_000), speech,
                                    tmp_path / "no.mp4")


async def test_make_this_photo_say_hello(runtime: Runtime, tmp_path: Path) -> None:
    reply = await runtime.agent.handle(Message(
        channel_id="cli:face", text="make this photo say hello, nice to meet you",
        attachments=[Attachment(path=PORTRAIT, filename="grace.jpg")]))
    assert reply.error_code is None, reply.text
    assert [s.task for s in reply.steps] == ["text_to_speech", "talking_head"]
    assert reply.steps[1].args == {"audio": "step1", "image": "a1"}
    speech, video = reply.artifacts
    assert video.kind == "video" and video.mime == "video/mp4"
    assert video.duration and speech.duration
    assert abs(video.duration - speech.duration) < 0.1


async def with_a_blank_wall(runtime: Runtime, folder: Path, channel: str, text: str) -> Reply:
    """The request, sent with a picture of a blank wall (no face in it)."""
    blank = folder / "wall.png"
    cv2.imwrite(str(blank), np.full((240, 320, 3), 180, np.uint8))
    return await runtime.agent.handle(Message(
        channel_id=channel, text=text, attachments=[Attachment(path=blank, filename="wall.png")]))


async def test_a_voice_note_on_the_default_face_and_a_picture_without_one(
        runtime: Runtime, tmp_path: Path) -> None:
    note = voice_note("good morning everyone", tmp_path)
    reply = await runtime.agent.handle(Message(
        channel_id="cli:avatar", text="turn this voice note into a talking head video",
        attachments=[Attachment(path=note, filename="note.ogg")]))
    assert reply.error_code is None, reply.text
    (video,) = reply.artifacts
    assert video.mime == "video/mp4" and video.label == "talking head (default face)"

    refused = await with_a_blank_wall(runtime, tmp_path, "cli:avatar",
                                      "lip sync this picture to my voice note")
    assert refused.error_code == "task-unsupported"
    assert "couldn't find a face" in refused.text and ".." not in refused.text
    assert "talking_head" not in refused.text  # the task by its title, not its id
    hint = re.search(r"say “(.+?)”", refused.text)
    assert hint is not None, refused.text
    followed = await runtime.agent.handle(Message(channel_id="cli:avatar", text=hint[1]))
    assert followed.error_code is None, followed.text  # the advice, followed literally, works
    (again,) = followed.artifacts
    assert again.label == "talking head (default face)"
    assert followed.steps[-1].args.get("image") is None


async def test_a_picture_without_a_face_gets_the_refusal_and_no_stray_clip(
        runtime: Runtime, tmp_path: Path) -> None:
    refused = await with_a_blank_wall(runtime, tmp_path, "cli:noface",
                                      "make this picture say hello, nice to meet you")
    assert refused.error_code == "task-unsupported"
    assert refused.text.startswith("Talking head video: I couldn't find a face"), refused.text
    assert refused.artifacts == [] and refused.voice is None
    channel = await runtime.memory.channel("cli:noface", "cli")
    stored = await runtime.memory.artifacts(channel.id)
    assert [a.producer for a in stored] == ["upload"]  # the speech step never ran
    hint = re.search(r"say “(.+?)”", refused.text)
    assert hint is not None, refused.text
    followed = await runtime.agent.handle(Message(channel_id="cli:noface", text=hint[1]))
    assert followed.error_code is None, followed.text  # the advice, followed literally, works
    assert [s.task for s in followed.steps] == ["text_to_speech", "talking_head"]
    assert "nice to meet you" in followed.steps[0].args["text"]  # what the first turn asked
    assert followed.artifacts[-1].label == "talking head (default face)"
