"""The web chat end to end: Debian's chromium (headless) on the real server, agent and models.

One browser serves the module; each test gets its own server on a free loopback port, with
its own data folder.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright, expect
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from bots import commands
from bots.web import WebChat
from bots.web.handlers import HOW
from core_agent.config import Settings
from media.decode import decode
from media.probe import probe
from models.settings import ModelSettings
from tests.conftest import make_settings
from tests.samples import espeak, voice_note, wer
from workers.runtime import Runtime, build_runtime

pytestmark = pytest.mark.asyncio(loop_scope="module")

CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parents[2] / ".artifacts" / "web-chat.png"
TURN = 120_000  # ms a turn with real models may take on a busy CPU
TOKEN = "test-token-0123456789abcdef"
READ_ALOUD = "the package arrives on monday afternoon"
MIC_SAID = "the train leaves at seven"  # what the fake microphone says, once


@dataclass
class Served:
    """A running web chat."""

    url: str
    port: int
    chat: WebChat
    runtime: Runtime
    settings: Settings


@asynccontextmanager
async def served(settings: Settings, embedder: Any, backends: Any) -> AsyncIterator[Served]:
    """The real server on a free port (bound here, so it takes connections at once)."""
    runtime = build_runtime(settings, embedder=embedder, backends=backends)
    chat = WebChat(runtime.agent, settings)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    port = sock.getsockname()[1]
    server = asyncio.create_task(chat.serve([sock]))
    try:
        yield Served(f"http://127.0.0.1:{port}/", port, chat, runtime, settings)
    finally:
        chat.stop()
        await server
        await runtime.aclose()


@pytest.fixture(scope="module")
def mic_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Speech the browser's fake microphone plays."""
    return espeak(MIC_SAID, tmp_path_factory.mktemp("mic") / "mic.wav")


@asynccontextmanager
async def chromium(mic_clip: Path) -> AsyncIterator[Browser]:
    """Debian's chromium, headless, with a fake microphone that plays the clip once."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (./dev test does)")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={mic_clip}%noloop"])
        yield launched
        await launched.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser(mic_clip: Path) -> AsyncIterator[Browser]:
    """One chromium for the module."""
    async with chromium(mic_clip) as launched:
        yield launched


@pytest_asyncio.fixture(loop_scope="module")
async def web(tmp_path: Path, embedder: Any, backends: Any) -> AsyncIterator[Served]:
    """The web chat on embedded defaults."""
    async with served(make_settings(tmp_path / "data"), embedder, backends) as running:
        yield running


async def open_chat(browser: Browser, url: str, name: str, channel: str = "general") -> Page:
    """A new browser (own cookies) on a channel, listening, with a display name."""
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{url}#{channel}")
    await expect(page.locator(f'#messages[data-loaded="{channel}"]')).to_have_count(1)
    await page.fill("#name", name)
    return page


async def say(page: Page, text: str) -> None:
    await page.fill("#text", text)
    await page.click("#send")


def quoted(text: str) -> str:
    """The transcript in a reply: what stands between “ and ”."""
    return text.split("“", 1)[1].split("”", 1)[0]


async def test_a_read_aloud_reply_plays_in_the_page(browser: Browser, web: Served,
                                                    tmp_path: Path) -> None:
    page = await open_chat(browser, web.url, "ana")
    await say(page, f"read this aloud: {READ_ALOUD}")
    mine = page.locator("article.user").last
    await expect(mine.locator(".author")).to_have_text("ana")
    reply = page.locator("article.assistant").last
    await expect(reply.locator("audio")).to_have_count(1, timeout=TURN)
    # playable: the browser read the file's length and decoded it to draw the waveform.
    # Polled from here: wait_for_function's in-page polling evals a string, which the page's
    # CSP (no 'unsafe-eval') refuses whenever the first check comes too early.
    audio = reply.locator("audio")
    for _ in range(300):  # 30 s, wait_for_function's own timeout
        if await audio.evaluate("a => a.duration > 0.5"):
            break
        await asyncio.sleep(0.1)
    assert await audio.evaluate("a => a.duration") > 0.5
    await expect(reply.locator("canvas.wave[data-seconds]")).to_have_count(1)
    assert float(await reply.locator("canvas.wave").get_attribute("data-seconds") or 0) > 0.5

    src = await reply.locator("audio").get_attribute("src")
    assert src is not None and src.startswith("/api/channels/general/media/a")
    response = await page.request.get(web.url.rstrip("/") + src)
    assert response.ok and response.headers["content-type"] == "audio/ogg"
    fetched = tmp_path / "fetched.ogg"
    fetched.write_bytes(await response.body())
    assert decode(fetched).duration > 0.5
    await page.context.close()


async def test_a_voice_note_is_transcribed_in_the_page(browser: Browser, web: Served,
                                                       tmp_path: Path) -> None:
    said = "the meeting starts after lunch today"
    page = await open_chat(browser, web.url, "ana")
    await page.set_input_files("#files", str(voice_note(said, tmp_path)))
    await expect(page.locator("#uploads li:not(.busy)")).to_have_count(1)  # staged, checked
    await say(page, "transcribe this")
    reply = page.locator("article.assistant .text")
    await expect(reply).to_contain_text("”", timeout=TURN)
    assert wer(said, quoted(await reply.inner_text())) < 0.2
    # the upload is in the conversation with a player, under its handle
    await expect(page.locator("article.user figure audio")).to_have_count(1)
    await expect(page.locator("article.user figcaption")).to_contain_text("a1 · audio")
    await page.context.close()


async def test_a_recorded_voice_note_is_sent_and_heard(browser: Browser, web: Served,
                                                      mic_clip: Path) -> None:
    page = await open_chat(browser, web.url, "ana")
    await page.fill("#text", "transcribe this")
    await page.click("#record")
    enough = math.ceil(probe(mic_clip).duration or 0) + 1  # seconds: all of it, then some
    await expect(page.locator("#record")).to_have_text(f"Stop 0:{enough:02d}", timeout=20_000)
    await page.click("#record")  # stop: the note is uploaded and sent with the text
    await expect(page.locator("article.user figcaption")).to_contain_text(
        "a1 · audio", timeout=TURN)
    await expect(page.locator("article.user figcaption")).to_contain_text("voice-note.webm")
    reply = page.locator("article.assistant .text")
    await expect(reply).to_contain_text("”", timeout=TURN)
    assert wer(MIC_SAID, quoted(await reply.inner_text())) < 0.2
    await page.context.close()


async def test_two_people_share_a_channel_live(browser: Browser, web: Served) -> None:
    ana = await open_chat(browser, web.url, "ana", "team")
    ben = await open_chat(browser, web.url, "ben", "team")
    await say(ana, "read this aloud: good morning team")
    from_ana = ben.locator("article.user", has_text="good morning team")
    await expect(from_ana.locator(".author")).to_have_text("ana")
    await expect(ben.locator("article.assistant audio")).to_have_count(1, timeout=TURN)

    await say(ben, "now transcribe what you just said")  # refers to ana's turn's audio
    await expect(ana.locator("article.user", has_text="transcribe what you just said")
                 .locator(".author")).to_have_text("ben")
    reply = ana.locator("article.assistant .text", has_text="”")
    await expect(reply).to_have_count(1, timeout=TURN)
    assert wer("good morning team", quoted(await reply.inner_text())) < 0.2

    fresh = await open_chat(browser, web.url, "cy", "team")  # history comes from memory
    await expect(fresh.locator("article")).to_have_count(4)
    await expect(ana.locator("#channel-list a", has_text="team")).to_have_class("current")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    await ana.screenshot(path=str(SCREENSHOT), full_page=True)
    for page in (ana, ben, fresh):
        await page.context.close()


async def test_voice_replies_and_reset_reach_every_page(browser: Browser, web: Served) -> None:
    ana = await open_chat(browser, web.url, "ana")
    ben = await open_chat(browser, web.url, "ben")
    await ana.check("#voice")
    await expect(ben.locator("#voice")).to_be_checked()
    await say(ben, "read this aloud: ok")  # the speech asked for: no second voice reads it
    await expect(ana.locator("article.assistant audio")).to_have_count(1, timeout=TURN)
    await say(ben, "thank you")  # the reply itself spoken
    await expect(ana.locator("article.assistant audio")).to_have_count(2, timeout=TURN)

    ana.once("dialog", lambda dialog: dialog.accept())
    await say(ana, "/reset")
    await expect(ben.locator("article")).to_have_count(0)
    await expect(ana.locator("article")).to_have_count(0)
    assert await web.runtime.memory.messages("web:general") == []
    assert not web.runtime.memory.channel_dir("web:general").exists()
    for page in (ana, ben):
        await page.context.close()


async def test_typed_commands_are_answered_in_the_page(browser: Browser, web: Served) -> None:
    page = await open_chat(browser, web.url, "ana")
    models = ModelSettings.of(web.settings)

    async def typed(text: str) -> str:
        await say(page, text)
        await expect(page.locator("#text")).to_have_value("")
        return str(await page.locator("#notice.info").text_content())

    shown = await typed("/help")
    assert shown == commands.help_text(models, HOW)
    assert "/voice on — Also speak my replies here" in shown
    assert await typed("/tasks") == commands.tasks_text(models)
    assert await typed("/voice") == "Say /voice on, /voice off or /voice only."
    assert await typed("/voice on") == "I'll speak my replies here."
    await expect(page.locator("#voice")).to_be_checked()  # told to the page, as the toggle is
    assert (await web.runtime.memory.channel("web:general", "web")).voice_replies
    assert await typed("/cancel") == "Nothing is running."
    assert (await typed("/usage")).startswith("In the last 24 hours you ran 0 jobs")
    await page.context.close()


async def test_reply_under_a_file_works_on_that_file(browser: Browser, web: Served) -> None:
    page = await open_chat(browser, web.url, "ana")
    for number, words in enumerate(("the first words are blue",
                                    "the second words are green"), start=1):
        await say(page, f"read this aloud: {words}")
        await expect(page.locator("article.assistant audio")).to_have_count(number, timeout=TURN)
    first = page.locator("article.assistant figure", has_text="a1 ·")
    await first.locator("button.reply").click()
    await expect(page.locator("#uploads li.reply")).to_have_text("↩ replying to a1 ×")
    await say(page, "make it slower")
    await expect(page.locator("article.assistant audio")).to_have_count(3, timeout=TURN)
    await expect(page.locator("#uploads li.reply")).to_have_count(0)
    stored = await web.runtime.memory.messages("web:general")
    asked = next(row for row, _ in stored if row.text == "make it slower")
    (job,) = await web.runtime.memory.jobs_for(asked.id)
    assert (job.task, job.args["audio"]) == ("audio_edit", "a1")  # not a2, the newest
    await page.context.close()


async def test_a_refused_upload_is_explained_and_nothing_is_kept(
        browser: Browser, tmp_path: Path, embedder: Any, backends: Any) -> None:
    limit = 20_000  # bytes
    big = espeak("this recording is far too long for the tiny limit set in this test",
                 tmp_path / "big.wav")
    text = tmp_path / "notes.txt"
    text.write_text("not a recording at all\n" * 10)
    settings = make_settings(tmp_path / "data", max_upload_bytes=limit)
    async with served(settings, embedder, backends) as web:
        page = await open_chat(browser, web.url, "ana")
        await page.set_input_files("#files", str(big))
        await expect(page.locator("#notice")).to_have_text(
            "big.wav is larger than the 20 KB upload limit; nothing was stored.")
        await page.set_input_files("#files", str(text))
        await expect(page.locator("#notice")).to_contain_text(
            "I can't take notes.txt: it isn't audio, video, a picture or a score")
        await expect(page.locator("#uploads li")).to_have_count(0)
        # without a declared length the server counts while the body streams in
        status = await raw_http(web.port, b"POST /api/uploads?name=big.wav HTTP/1.1\r\n"
                                b"Host: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                                chunks=[big.read_bytes()[i:i + 8192]
                                        for i in range(0, big.stat().st_size, 8192)])
        assert status == 413
        assert await web.runtime.memory.artifacts("web:general") == []
        assert not [p for p in settings.media_dir.rglob("*") if p.is_file()]
        assert not list(web.chat.staging.folder.iterdir())
        await page.context.close()


async def test_the_network_needs_a_token(browser: Browser, tmp_path: Path, embedder: Any,
                                         backends: Any) -> None:
    env = {**os.environ, "AUDIOGPT_DATA_DIR": str(tmp_path), "AUDIOGPT_WEB_HOST": "0.0.0.0"}
    refused = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bots.cli", "run", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(refused.communicate(), 60)
    assert refused.returncode == 2 and b"AUDIOGPT_WEB_TOKEN" in err

    settings = make_settings(tmp_path / "data", web_token=TOKEN)
    async with served(settings, embedder, backends) as web:
        context = await browser.new_context()
        request = context.request
        for path in ("", "api/tasks", "api/channels/general/media/a1", "static/app.js"):
            assert (await request.get(web.url + path)).status == 401
        assert (await request.post(web.url + "api/uploads", data=b"OggS")).status == 401
        assert (await request.get(web.url + "?token=wrong")).status == 401
        socket_url = f"ws://127.0.0.1:{web.port}/api/channels/general/ws"
        with pytest.raises(InvalidStatus) as handshake:
            async with connect(socket_url):
                pass
        assert handshake.value.response.status_code == 403
        async with connect(socket_url, additional_headers={
                "Authorization": f"Bearer {TOKEN}"}) as listening:
            assert json.loads(await listening.recv())["type"] == "history"
        assert await raw_http(web.port, b"GET /api/config HTTP/1.1\r\nHost: evil.example\r\n"
                              + f"Authorization: Bearer {TOKEN}\r\n\r\n".encode()) == 403

        page = await (await browser.new_context()).new_page()
        await page.goto(f"{web.url}?token={TOKEN}#general")  # sets the cookie, drops the token
        assert "token" not in page.url
        await expect(page.locator('#messages[data-loaded="general"]')).to_have_count(1)
        await say(page, "hi, what can you do?")
        await expect(page.locator("article.assistant")).to_have_count(1, timeout=TURN)
        assert TOKEN not in await page.content()
        await page.context.close()
        await context.close()


async def raw_http(port: int, head: bytes, chunks: list[bytes] | None = None) -> int:
    """Send a request by hand (chunked body, any Host) and return the response status."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(head)
    try:
        for chunk in chunks or []:
            writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
        if chunks is not None:
            writer.write(b"0\r\n\r\n")
    except ConnectionError:
        pass  # the server may answer and close before the body is through
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


async def test_tasks_panel_lists_install_state(browser: Browser, web: Served) -> None:
    page = await open_chat(browser, web.url, "ana")
    await page.click("#show-tasks")
    await expect(page.locator("#tasks")).to_be_visible()
    rows = page.locator("#task-rows tr")
    await expect(rows.filter(has_text="faster-whisper-tiny-en")).to_contain_text("yes")
    await expect(rows.filter(has_text="faster-whisper-large-v3-turbo")).to_contain_text(
        "no: audiogpt models pull speech_recognition")
    await expect(rows.filter(has_text="blip-caption-large")).to_contain_text(
        "no: audiogpt models pull image_to_audio")
    await page.context.close()
