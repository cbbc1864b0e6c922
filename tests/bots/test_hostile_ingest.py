"""The hostile-file corpus (tests/hostile.py) sent through every adapter's own ingest path,
as users send it: the `audiogpt ask` process, the web chat's upload endpoint, and Telegram,
Slack and Discord through their stand-ins. A victim first stores a voice note in a channel
of its own and hears its words back (so the path works); then every hostile file is sent
from an attacker's channel with "transcribe this" (the lyric flood with "sing this"). The
reply must be the refusal naming the file, with none of the victim's words and no path,
and the attacker's channel must hold nothing made from it.

What runs where: the agent-neutral checks of every case are in tests/test_hostile_files.py.
Here the web chat, Telegram, Slack and Discord each take the whole corpus in one served
bot, case after case (a refusal costs well under a second there); the files that point at
no one are built once for the module (the PNG bomb takes seconds to compress), the
playlists per adapter, aimed at that adapter's stored victim file. The CLI starts a
process per `ask` (seconds each), and a refused attachment ends the turn before the next
one is read, so several --attach in one ask would test only the first: it gets one case
of each class, the relative playlist placed beside the channels' folders, where its
entries reach the victim.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import mimetypes
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from websockets.asyncio.client import ClientConnection, connect

from core_agent.db import make_engine
from core_agent.memory import Memory
from core_agent.types import Artifact
from models.cache import BackendCache
from tests import hostile
from tests.bots.test_cli import audiogpt
from tests.bots.test_discord import APP, GENERAL, attach, final, replied_to
from tests.bots.test_discord import served as discord_served
from tests.bots.test_slack import BOT_TOKEN, CHANNEL, slack_settings
from tests.bots.test_slack import SECRET as SIGNING_SECRET
from tests.bots.test_slack import running as slack_running
from tests.bots.test_telegram import reply_count, voice
from tests.bots.test_telegram import running as telegram_running
from tests.bots.test_web import Served
from tests.bots.test_web import served as web_served
from tests.conftest import make_settings
from tests.samples import voice_note
from tests.stand_ins.discord_api import Recorded
from tests.stand_ins.slack_api import BOT_USER, TEAM, SlackStandIn, mention
from tests.stand_ins.telegram_api import MEDIA
from tests.test_hostile_files import SECRET, SECRET_WORDS

LIMIT = 60.0  # seconds of sound taken: the lying headers claim less, their sound runs 150 s
WAIT = 120.0  # seconds a turn may take with real models on a busy CPU
FLOOD = "lyric-flood"
UNAIMED = {**hostile.LIES_ABOUT_LENGTH, **hostile.PICTURE_BOMBS, **hostile.SCORE_FLOODS}
CLI_CASES = ["playlist-relative", "lying-mp3", "png-bomb", FLOOD]


@pytest.fixture(scope="module")
def unaimed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The cases that point at no one's file, built once."""
    return hostile.build(UNAIMED, tmp_path_factory.mktemp("unaimed"), Path("/nonexistent"))


def corpus(unaimed: dict[str, Path], folder: Path, victim: Path) -> dict[str, Path]:
    """Every case, the playlists aimed at this victim's stored file."""
    return {**hostile.build(hostile.READS_ELSEWHERE, folder, victim), **unaimed}


def asking(case: str) -> str:
    return "sing this" if case == FLOOD else "transcribe this"


def claimed(upload: Path) -> str:
    """The type a platform reports for a file: guessed from its name, as clients do."""
    return mimetypes.guess_type(upload.name)[0] or "application/octet-stream"


def refusal(case: str, name: str) -> re.Pattern[str]:
    """What the refusal of a case says."""
    name = re.escape(name)
    if case in hostile.PICTURE_BOMBS:
        return re.compile(rf"{name} is \d+×\d+ pixels; the limit is 40 megapixels\.")
    if case in hostile.LIES_ABOUT_LENGTH:
        return re.compile(rf"I can't take {name}: it runs longer than 1 minute, the limit\.")
    if case == FLOOD:
        return re.compile(rf"I can't take {name}: it has 12000 notes or syllables; I sing "
                          "up to 400\\.")
    return re.compile(rf"I can't take {name}: ")


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def assert_clean(case: str, text: str) -> None:
    """None of the victim's words, no path of any kind."""
    assert not words(text) & set(SECRET_WORDS), (case, text)
    assert "/" not in text, (case, text)


def assert_refused(case: str, upload: Path, text: str) -> None:
    assert refusal(case, upload.name).search(text), (case, text)
    assert_clean(case, text)


def assert_heard(text: str) -> None:
    """The victim's own turn: its words come back to it."""
    assert set(SECRET_WORDS) <= words(text), text


def assert_nothing_made(cases: list[str], artifacts: list[Artifact]) -> None:
    """An attacker's channel holds nothing: every case is refused before it is stored."""
    assert [(a.producer, a.label) for a in artifacts] == [], cases


def assert_no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    """Expected refusals are logged without a traceback."""
    assert not [r.getMessage() for r in caplog.records if r.exc_info]


# the CLI


def ask(data: Path, channel: str, upload: Path, text: str
        ) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    done = audiogpt(data, "ask", "-v", "--json", "--channel", channel, "--attach", str(upload),
                    text, AUDIOGPT_MAX_AUDIO_SECONDS=str(LIMIT))
    return done, json.loads(done.stdout)


def stored(data: Path, channel_id: str) -> list[Artifact]:
    """A channel's artifacts, read from the database the CLI wrote."""
    settings = make_settings(data)
    engine = make_engine(settings.db_url)
    try:
        return asyncio.run(Memory(engine, settings.media_dir).artifacts(channel_id))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def cli_victim(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A data folder where cli:victim's voice note is stored, and the note's server path."""
    root = tmp_path_factory.mktemp("cli")
    data = root / "data"
    done, out = ask(data, "victim", voice_note(SECRET, root, "secret"), "transcribe this")
    assert done.returncode == 0, done.stderr
    assert_heard(out["reply"])
    (kept,) = stored(data, "cli:victim")
    return data, kept.path


@pytest.mark.parametrize("case", CLI_CASES)
def test_the_cli_refuses_one_of_each_kind(cli_victim: tuple[Path, Path],
                                          unaimed: dict[str, Path], case: str) -> None:
    data, victim = cli_victim
    if case in hostile.READS_ELSEWHERE:
        beside = data / "media" / f"drop-{case}"  # a sibling of the channels' folders
        beside.mkdir()
        upload = hostile.READS_ELSEWHERE[case](beside, victim)
        entries = [e for e in upload.read_text().splitlines()
                   if e and not e.startswith("#") and e != "WAVE"]
        assert entries and {(upload.parent / e).resolve() for e in entries} == {victim}
    else:
        upload = unaimed[case]
    done, out = ask(data, f"attacker-{case}", upload, asking(case))
    assert done.returncode == 1, done.stderr  # the CLI's status for any turn that failed
    assert_refused(case, upload, out["reply"])
    assert out["artifacts"] == [] and all(not s["outputs"]["artifacts"] for s in out["steps"])
    assert_nothing_made([case], stored(data, f"cli:attacker-{case}"))
    assert str(data.parent) not in done.stdout + done.stderr  # no data, upload or victim path
    assert "Traceback" not in done.stderr
    pattern = refusal(case, upload.name)
    assert [line for line in done.stderr.splitlines() if " INFO " in line
            and pattern.search(line)], done.stderr  # the refusal, logged at INFO


# the web chat


async def web_turn(web: Served, http: aiohttp.ClientSession, channel: str, upload: Path,
                   text: str) -> tuple[int, dict[str, Any]]:
    """Upload a file as the page does and, once it is staged, send it with the text: the
    upload's status and its answer, or 200 and the turn's last event."""
    async with http.post("/api/uploads", params={"name": upload.name},
                         data=io.BytesIO(await asyncio.to_thread(upload.read_bytes))) as response:
        staged = await response.json()
        if response.status != 200:
            return response.status, staged
    async with connect(f"ws://127.0.0.1:{web.port}/api/channels/{channel}/ws") as room:
        assert json.loads(await room.recv())["type"] == "history"
        async with http.post(f"/api/channels/{channel}/messages", json={
                "text": text, "uploads": [staged["id"]]}) as response:
            assert response.status == 202, await response.text()
            turn = (await response.json())["turn"]
        return 200, await turn_end(room, turn)


async def turn_end(room: ClientConnection, turn: str) -> dict[str, Any]:
    async with asyncio.timeout(WAIT):
        while True:
            event: dict[str, Any] = json.loads(await room.recv())
            if event.get("turn") == turn and event["type"] in ("done", "failed"):
                return event


async def test_the_web_chat_refuses_the_corpus(tmp_path: Path, embedder: Any,
                                               backends: BackendCache, unaimed: dict[str, Path],
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    settings = make_settings(tmp_path / "data", max_audio_seconds=LIMIT)
    jar = aiohttp.CookieJar(unsafe=True)  # one browser, on 127.0.0.1
    async with web_served(settings, embedder, backends) as web, aiohttp.ClientSession(
            web.url, cookie_jar=jar) as http:
        note = voice_note(SECRET, tmp_path, "secret")
        status, said = await web_turn(web, http, "victim", note, "transcribe this")
        assert status == 200 and said["type"] == "done", said
        assert_heard(said["messages"][-1]["text"])
        (victim,) = await web.runtime.memory.artifacts("web:victim")
        for case, upload in corpus(unaimed, tmp_path / "corpus", victim.path).items():
            status, answer = await web_turn(web, http, f"attacker-{case}", upload, asking(case))
            if status != 200:  # refused at upload
                assert 400 <= status < 500 and upload.name in answer["error"], (case, answer)
                assert_clean(case, answer["error"])
            else:  # staged: the turn refuses it
                assert answer["type"] == "done", (case, answer)
                asked, replied = answer["messages"]
                assert_refused(case, upload, replied["text"])
                assert replied["media"] == [] and (case == FLOOD or asked["media"] == [])
            assert_nothing_made([case], await web.runtime.memory.artifacts(f"web:attacker-{case}"))
        assert not list(web.chat.staging.folder.iterdir())
    assert_no_tracebacks(caplog)


# Telegram, Slack and Discord


async def test_telegram_refuses_the_corpus(tmp_path: Path, embedder: Any,
                                           backends: BackendCache, unaimed: dict[str, Path],
                                           caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with telegram_running(tmp_path, embedder, backends, max_audio_seconds=LIMIT) as tg:
        api, memory = tg.api, tg.runtime.memory
        ben = {"id": 5151, "is_bot": False, "first_name": "Ben"}
        note = voice_note(SECRET, tmp_path, "secret")
        api.push(api.user_message({**ben, "type": "private"}, ben, "transcribe this",
                                  voice=voice(api, note)))
        assert_heard((await reply_count(api, 1))[0].params["text"])
        (victim,) = await memory.artifacts(f"telegram:{ben['id']}")
        cases = corpus(unaimed, tmp_path / "corpus", victim.path)
        for count, (case, upload) in enumerate(cases.items(), start=2):
            mal = {"id": 9000 + count, "is_bot": False, "first_name": "Mal"}  # a chat a case
            document = {**api.add_file(upload), "file_name": upload.name,
                        "mime_type": claimed(upload)}
            api.push(api.user_message({**mal, "type": "private"}, mal, asking(case),
                                      document=document))
            answer = (await reply_count(api, count))[-1]
            assert int(answer.params["chat_id"]) == mal["id"], case
            assert_refused(case, upload, answer.params["text"])
            assert_nothing_made([case], await memory.artifacts(f"telegram:{mal['id']}"))
        assert not [c for c in api.calls if c.method in MEDIA]  # no file went back to anyone
    assert_no_tracebacks(caplog)


async def slack_turn(slack: SlackStandIn, url: str, upload: Path, text: str, user: str
                     ) -> tuple[str, str]:
    """A user mentions the app with a file: the thread's ts and the one answer in it."""
    file_id = slack.host_file(upload, claimed(upload))
    event = slack.user_message(CHANNEL, f"<@{BOT_USER}> {text}", user=user, files=[file_id])
    ts = event["ts"]
    assert (await slack.send_event(url, mention(event)))[0] == 200
    await slack.wait_for(lambda: {"white_check_mark", "x"} & set(slack.reactions(CHANNEL, ts)))
    (answer,) = slack.thread(CHANNEL, ts)
    return ts, str(answer["text"])


async def test_slack_refuses_the_corpus(tmp_path: Path, embedder: Any, backends: BackendCache,
                                        unaimed: dict[str, Path],
                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with SlackStandIn(BOT_TOKEN, SIGNING_SECRET) as slack, slack_running(
            slack_settings(tmp_path, slack, max_audio_seconds=LIMIT), embedder, backends) as app:
        memory = app.runtime.memory
        note = voice_note(SECRET, tmp_path, "secret")
        ts, said = await slack_turn(slack, app.url, note, "transcribe this", "U0BEN")
        assert_heard(said)
        (victim,) = await memory.artifacts(f"slack:{TEAM}:{CHANNEL}:{ts}")
        for case, upload in corpus(unaimed, tmp_path / "corpus", victim.path).items():
            ts, answer = await slack_turn(slack, app.url, upload, asking(case), "U0MAL")
            assert "x" in slack.reactions(CHANNEL, ts), case  # marked failed
            assert_refused(case, upload, answer)
            assert_nothing_made([case], await memory.artifacts(f"slack:{TEAM}:{CHANNEL}:{ts}"))
        assert not slack.uploads  # no file went back
    assert_no_tracebacks(caplog)


def answering(origin: str) -> Callable[[Recorded], bool]:
    """The bot's answer (not its "working on it" line) to one message."""
    return lambda posted: final(posted) and replied_to(posted) == origin


async def test_discord_refuses_the_corpus(tmp_path: Path, embedder: Any,
                                          backends: BackendCache, unaimed: dict[str, Path],
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    dm = "1800000000000000001"  # the victim's direct messages with the bot
    async with discord_served(tmp_path, embedder, backends, max_audio_seconds=LIMIT) as bot:
        api, memory = bot.api, bot.runtime.memory
        private = api.payload("message_create_mention")
        for field in ("guild_id", "member"):
            del private[field]
        private.update(channel_id=dm, content="transcribe this")
        attach(api, private, voice_note(SECRET, tmp_path, "secret"))
        await api.dispatch("MESSAGE_CREATE", private)
        (said,) = await api.wait_for("POST", f"/channels/{dm}/messages", where=final)
        assert_heard(said.body["content"])
        (victim,) = await memory.artifacts(f"discord:{dm}")
        cases = corpus(unaimed, tmp_path / "corpus", victim.path)
        for number, (case, upload) in enumerate(cases.items(), start=1):
            asked = api.payload("message_create_mention")
            asked["id"] = str(1_600_000_000_000_100_000 + number)
            asked["content"] = f"<@{APP}> {asking(case)}"
            asked["attachments"][0].update(filename=upload.name, content_type=claimed(upload))
            attach(api, asked, upload)
            await api.dispatch("MESSAGE_CREATE", asked)
            (answer,) = await api.wait_for("POST", f"/channels/{GENERAL}/messages",
                                           where=answering(asked["id"]))
            assert_refused(case, upload, answer.body["content"])
        assert_nothing_made(list(cases), await memory.artifacts(f"discord:{GENERAL}"))
        assert not [r for r in api.requests if r.files]  # no file went back to anyone
    assert_no_tracebacks(caplog)
