"""What the web chat's page shows: commands as code, a video's first frame before it is
played, and a layout that fits a phone."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.bots import test_web
from tests.bots.test_web import TURN, Served, open_chat, say

# test_web's fixtures (the browser with its fake microphone, the served chat), shared.
mic_clip, browser, web = test_web.mic_clip, test_web.browser, test_web.web

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_a_command_in_a_reply_is_shown_as_code(browser: Browser, web: Served) -> None:
    page = await open_chat(browser, web.url, "cleo", "code")
    await say(page, "make some music with drums")  # no music model here: the reply says how
    command = page.locator("article.assistant .text code")
    await expect(command).to_have_text("audiogpt models pull text_to_music", timeout=TURN)
    assert "`" not in await page.locator("article.assistant .text").inner_text()
    await page.context.close()


async def test_a_video_shows_a_frame_before_it_is_played(browser: Browser, web: Served) -> None:
    page = await open_chat(browser, web.url, "dara", "video")
    await say(page, "make a talking head video saying good morning")
    video = page.locator("article.assistant video")
    await expect(video).to_have_count(1, timeout=TURN)
    # A frame decoded (HAVE_CURRENT_DATA) while paused: the face shows, not a blank box.
    await page.wait_for_function("() => { const v = document.querySelector("
                                 "'article.assistant video'); return v && v.readyState >= 2 "
                                 "&& v.paused && v.currentTime > 0; }", timeout=20_000)
    await page.context.close()


async def test_the_chat_fits_a_phone(browser: Browser, web: Served) -> None:
    """At 390 px (a phone held upright) nothing is cut off and the page doesn't scroll
    sideways; the channels stay reachable; a reply with a player fits too."""
    page = await open_chat(browser, web.url, "eli", "phone")
    await page.set_viewport_size({"width": 390, "height": 844})
    await say(page, "read this aloud: it fits")
    await expect(page.locator("article.assistant audio")).to_have_count(1, timeout=TURN)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    for control in ("#attach", "#record", "#text", "#send", "#voice", "#show-tasks", "#reset",
                    "#new-channel-name", "article.assistant audio"):
        box = await page.locator(control).first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, control
    chat = await page.locator("#messages").bounding_box()
    assert chat is not None and chat["width"] >= 0.9 * 390  # the sidebar no longer takes half
    await page.context.close()


async def test_read_this_aloud_replying_to_a_message_speaks_its_words(browser: Browser,
                                                                      web: Served) -> None:
    page = await open_chat(browser, web.url, "fay", "aloud")
    words = "The bus to the airport leaves at nine."
    await say(page, words)  # no request: the bot answers in chat
    await expect(page.locator("article.assistant")).to_have_count(1, timeout=TURN)
    await page.locator("article.user", has_text=words).locator("button.reply").click()
    await expect(page.locator("#uploads li.reply")).to_have_text("↩ replying to fay's message ×")
    await say(page, "read this aloud")
    await expect(page.locator("article.assistant audio")).to_have_count(1, timeout=TURN)
    stored = await web.runtime.memory.messages("web:aloud")
    asked = next(row for row, _ in stored if row.text == "read this aloud")
    (job,) = await web.runtime.memory.jobs_for(asked.id)
    assert (job.task, job.args["text"]) == ("text_to_speech", words)
    await page.context.close()
