"""A whole conversation in the web chat, as a new user holds it, at desktop and phone widths:
text, a recorded voice note, spoken replies with follow-ups, a talking head that fails on a
picture without a face and the advice followed literally, a meeting of two real voices
transcribed by speaker with subtitles. Each step asserts what the page shows, and a
screenshot of it is kept in .artifacts/journey/."""

from __future__ import annotations

import math
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import soundfile as sf
from playwright.async_api import Browser, Page, expect

from core_agent.types import Kind
from media.probe import probe
from tests.bots import test_web
from tests.bots.test_web import MIC_SAID, TURN, Served, chromium, open_chat, quoted, say
from tests.real_sounds import meeting
from tests.samples import wer

# test_web's fixtures (the fake microphone's clip, the served chat), shared.
mic_clip, web = test_web.mic_clip, test_web.web

pytestmark = pytest.mark.asyncio(loop_scope="module")

SHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "journey"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
NO_FACE_HINT = "make the talking head with your own face"  # as the refusal words it


@pytest_asyncio.fixture(loop_scope="module")
async def browser(mic_clip: Path) -> AsyncIterator[Browser]:
    """A chromium of its own per journey: its fake microphone plays the clip once."""
    async with chromium(mic_clip) as launched:
        yield launched


class Journey:
    """One user's page, a screenshot after every step."""

    def __init__(self, page: Page, web: Served, channel: str, width: str) -> None:
        self.page, self.web, self.channel, self.width = page, web, channel, width
        self.shots = 0

    async def shot(self, step: str) -> None:
        self.shots += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{self.width}-{self.shots:02d}-{step}.png"
        await self.page.screenshot(path=str(path), full_page=True)

    def replies(self) -> Any:
        return self.page.locator("article.assistant")

    async def answered(self, count: int) -> Any:
        """The newest reply, once there are `count` of them."""
        await expect(self.replies()).to_have_count(count, timeout=TURN)
        return self.replies().last

    async def jobs_of(self, text: str) -> list[Any]:
        """The planned jobs of the user's newest message with this text."""
        stored = await self.web.runtime.memory.messages(f"web:{self.channel}")
        asked = [row for row, _ in stored if row.role == "user" and row.text == text]
        jobs = await self.web.runtime.memory.jobs_for(asked[-1].id)
        return [job for job in jobs if job.purpose == "plan"]  # not the spoken reply


def faceless_picture(folder: Path) -> Path:
    path = folder / "sunset.jpg"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                    "gradients=s=320x240:seed=3", "-frames:v", "1", str(path)], check=True)
    return path


@pytest.mark.parametrize("width", list(WIDTHS))
async def test_a_whole_conversation(browser: Browser, web: Served, mic_clip: Path,
                                    tmp_path: Path, width: str) -> None:
    channel = f"journey-{width}"
    page = await open_chat(browser, web.url, "ana", channel)
    wide, high = WIDTHS[width]
    await page.set_viewport_size({"width": wide, "height": high})
    user = Journey(page, web, channel, width)

    # Text: what can it do, installed things first.
    await say(page, "hi, what can you do?")
    reply = await user.answered(1)
    await expect(reply.locator(".text")).to_contain_text("Transcribe speech")
    await user.shot("capabilities")

    # A voice note recorded with the microphone, transcribed.
    await page.fill("#text", "transcribe this")
    await page.click("#record")
    enough = math.ceil(probe(mic_clip).duration or 0) + 1
    await expect(page.locator("#record")).to_have_text(f"Stop 0:{enough:02d}", timeout=20_000)
    await page.click("#record")
    reply = await user.answered(2)
    await expect(reply.locator(".text")).to_contain_text("”")
    assert wer(MIC_SAID, quoted(await reply.locator(".text").inner_text())) < 0.2
    await user.shot("voice-note")

    # Spoken replies on: speech asked for, then a follow-up on it while the bot speaks too.
    await page.check("#voice")
    await say(page, "read this aloud: see you at the station at five")
    reply = await user.answered(3)
    await expect(reply.locator("audio")).to_have_count(1)  # the speech, read once
    (spoken,) = [a for a in await web.runtime.memory.artifacts(f"web:{channel}")
                 if a.producer == "job:text_to_speech"]
    await say(page, "what does it say?")
    reply = await user.answered(4)
    await expect(reply.locator(".text")).to_contain_text("station")
    await expect(reply.locator("audio")).to_have_count(1)  # the answer, spoken
    await say(page, "now make it slower")
    reply = await user.answered(5)
    await expect(reply.locator("audio")).to_have_count(2)  # the slower file, and the voice
    (edit,) = await user.jobs_of("now make it slower")
    assert (edit.task, edit.args["audio"]) == ("audio_edit", spoken.handle)  # not the voice
    await user.shot("spoken-replies")
    await page.uncheck("#voice")

    # A talking head from a picture without a face: refused with advice, and nothing made.
    before = len(await web.runtime.memory.artifacts(f"web:{channel}"))
    await page.set_input_files("#files", str(faceless_picture(tmp_path)))
    await expect(page.locator("#uploads li", has_text="sunset.jpg")).to_have_count(1)
    await say(page, "make a talking head saying good morning")
    reply = await user.answered(6)
    await expect(reply.locator(".text")).to_contain_text("couldn't find a face")
    advice = await reply.locator(".text").inner_text()
    assert NO_FACE_HINT in advice and "talking_head" not in advice and ".." not in advice
    made = await web.runtime.memory.artifacts(f"web:{channel}")
    assert [a.kind for a in made[before:]] == [Kind.IMAGE]  # the upload; no stray speech
    await user.shot("no-face")

    # The advice, followed literally.
    await say(page, NO_FACE_HINT)
    reply = await user.answered(7)
    await expect(reply.locator("video")).to_have_count(1, timeout=TURN)
    await user.shot("talking-head")

    # A meeting of two real voices: who said what, with subtitles.
    audio, _ = meeting(4)
    recording = tmp_path / "standup.wav"
    sf.write(str(recording), audio.samples, audio.sample_rate)
    await page.set_input_files("#files", str(recording))
    await expect(page.locator("#uploads li", has_text="standup.wav")).to_have_count(1)
    await say(page, "who said what in this meeting? an srt too please")
    reply = await user.answered(8)
    await expect(reply.locator(".text")).to_contain_text("Speaker 2:")
    said = await reply.locator(".text").inner_text()
    assert "2 speakers" in said and said.index("Speaker 1:") < said.index("Speaker 2:")
    subtitles = reply.locator("figure", has_text="subtitles (SRT)").locator("a")
    await expect(subtitles).to_have_count(1)
    fetched = await page.request.get(web.url.rstrip("/") + str(
        await subtitles.get_attribute("href")))
    assert fetched.ok and "Speaker 1:" in (await fetched.text())
    await user.shot("meeting")

    if width == "phone":
        assert await page.evaluate("document.documentElement.scrollWidth") <= wide
    await page.context.close()
