"""Telegram's sender against the Bot API stand-in: each kind of file through the method
that plays it, within the upload limits, another way when the chat refuses that one, and
sends that fail or answer late."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest
from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import BadRequest
from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bots.telegram.adapter import AnswersFirst
from bots.telegram.convert import Where
from bots.telegram.send import Poster
from core_agent.types import Artifact, Kind
from media.encode import encode_stereo
from media.probe import mime_for, probe
from tests.bots.test_telegram import GROUP, GROUP_ID, PRIVATE_ID, TOKEN, TOPIC, picture
from tests.samples import convert, espeak, tone, voice_note
from tests.stand_ins.telegram_api import Drop, Late, Refused, TelegramStandIn


def noise(folder: Path, width: int, height: int) -> Path:
    """A PNG of random pixels, which hardly compress."""
    path = folder / f"noise-{width}x{height}.png"
    channels = ":".join(f"{c}='random({n})*255'" for n, c in enumerate("rgb", start=1))
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                    f"nullsrc=s={width}x{height},format=rgb24,geq={channels}", "-frames:v", "1",
                    str(path)], check=True)
    return path


def made(handle: str, path: Path, kind: Kind, producer: str) -> Artifact:
    return Artifact(id=handle, handle=handle, kind=kind, mime=mime_for(path), path=path,
                    producer=producer, duration=probe(path).duration)


async def test_files_go_out_by_kind_and_size(tmp_path: Path) -> None:
    speech = espeak("a talking head says hello", tmp_path / "speech.wav")
    clip = convert(speech, tmp_path / "clip.mp4")  # 160x120 video with sound
    still = picture(tmp_path, 320, 240)
    music = tone(tmp_path / "tune.wav", 12.0)

    async with TelegramStandIn(TOKEN) as api, Bot(TOKEN, base_url=api.base_url,
                                                  base_file_url=api.base_file_url) as bot:
        where = Where(GROUP_ID, TOPIC, 31)
        poster = Poster(bot, where, upload_limit=music.stat().st_size - 1)
        await poster.file(made("a1", clip, Kind.VIDEO, "job:talking_head"), False, True)
        await poster.file(made("a2", clip, Kind.VIDEO, "job:talking_head"), False, False)
        await poster.file(made("a3", still, Kind.IMAGE, "upload"), False, False)
        await poster.file(made("a4", music, Kind.AUDIO, "job:text_to_music"), False, False)
        binaural = encode_stereo(music, tmp_path / "binaural.ogg")  # under the limit, as OGG
        await poster.file(made("a5", binaural, Kind.AUDIO, "job:mono_to_binaural"), False, False)
        (note,) = api.sent("sendVideoNote")
        square = tmp_path / "square.mp4"
        square.write_bytes(note.files["video_note"].data)
        assert (probe(square).width, probe(square).height) == (384, 384)
        assert note.params["length"] == "384"
        assert api.sent("sendVideo")[0].files["video"].data == clip.read_bytes()
        assert api.sent("sendPhoto")[0].files["photo"].data == still.read_bytes()
        # sendAudio's player takes MP3 or M4A: a WAV over the limit and an OGG under it go
        # out as MP3, named so, the first small enough to fit
        audio, spatial = api.sent("sendAudio")
        assert audio.params["title"] == "Generate music" and audio.params["duration"] == "12"
        for call, handle in ((audio, "a4"), (spatial, "a5")):
            sent = tmp_path / f"sent-{handle}.mp3"
            sent.write_bytes(call.files["audio"].data)
            assert probe(sent).mime == "audio/mpeg" and call.files["audio"].filename == \
                f"{handle}.mp3"
        assert len(audio.files["audio"].data) < music.stat().st_size
        assert probe(tmp_path / "sent-a5.mp3").channels == 2
        for call in api.calls[1:]:  # after getMe
            assert int(call.params["chat_id"]) == GROUP["id"]
            assert int(call.params["message_thread_id"]) == TOPIC
            assert call.json("reply_parameters")["message_id"] == 31

        small = Poster(bot, where, upload_limit=1000)
        assert await small.file(made("a5", clip, Kind.VIDEO, "job:talking_head"), False,
                                False) is None
        refusal = api.sent("sendMessage")[-1].params["text"]
        assert refusal.startswith("a5 is 0 MB, more than the 0 MB")


async def test_a_video_that_cannot_be_made_round_goes_out_plain_and_says_why(tmp_path: Path
                                                                            ) -> None:
    clip = convert(espeak("hello there", tmp_path / "speech.wav"), tmp_path / "clip.mp4")
    broken = tmp_path / "broken.mp4"  # its header, then nothing ffmpeg can decode
    broken.write_bytes(clip.read_bytes()[:4096])
    video = Artifact(id="a6", handle="a6", kind=Kind.VIDEO, mime="video/mp4", path=broken,
                     producer="job:talking_head", duration=1.0)
    async with TelegramStandIn(TOKEN) as api, Bot(TOKEN, base_url=api.base_url,
                                                  base_file_url=api.base_file_url) as bot:
        poster = Poster(bot, Where(GROUP_ID, TOPIC, 31), upload_limit=2**20)
        assert await poster.file(video, False, True) is not None
        (told,) = api.sent("sendMessage")
        assert told.params["text"].startswith("I couldn't make a round video note of a6 (")
        assert told.params["text"].endswith("), so here it is as a plain video.")
        assert str(tmp_path) not in told.params["text"]
        assert api.sent("sendVideoNote") == []
        assert api.sent("sendVideo")[0].files["video"].data == broken.read_bytes()


async def test_a_send_answered_too_late_is_not_sent_again(tmp_path: Path) -> None:
    """A timeout once the request was on its way may mean it arrived (a 50 MB upload that
    landed but was answered late): it is not posted twice."""
    note = voice_note("good night", tmp_path)
    spoken = Artifact(id="a1", handle="a1", kind=Kind.AUDIO, mime="audio/ogg", path=note,
                      producer="job:text_to_speech", duration=1.0)
    async with TelegramStandIn(TOKEN) as api, Bot(
            TOKEN, base_url=api.base_url, base_file_url=api.base_file_url,
            request=HTTPXRequest(read_timeout=0.5)) as bot:
        api.fail("sendVoice", Late(seconds=3.0))
        poster = Poster(bot, Where(GROUP_ID, TOPIC, 31), upload_limit=2**20)
        assert await poster.file(spoken, True, False) is None
        assert len(api.sent("sendVoice")) == 1
        api.fail("sendVoice", Drop())  # never answered at all: tried again, posted once
        assert await poster.file(spoken, True, False) is not None
        results = [c.result for c in api.sent("sendVoice")]
        assert len(results) == 3 and isinstance(results[1], Drop)


async def test_voice_messages_a_user_forbids_come_as_audio_and_video_saying_why_once(
        tmp_path: Path) -> None:
    speech = espeak("good night", tmp_path / "speech.wav")
    clip = convert(speech, tmp_path / "clip.mp4")
    async with TelegramStandIn(TOKEN) as api, Bot(TOKEN, base_url=api.base_url,
                                                  base_file_url=api.base_file_url) as bot:
        api.forbid_voice_messages(PRIVATE_ID)
        poster = Poster(bot, Where(PRIVATE_ID, None, 5), upload_limit=2**25)
        for handle in ("a1", "a2"):
            assert await poster.file(made(handle, speech, Kind.AUDIO, "job:text_to_speech"),
                                     True, False) is not None
        assert await poster.file(made("a3", clip, Kind.VIDEO, "job:talking_head"), False,
                                 True) is not None
        # refused once: the chat's answer holds for the rest of the reply
        (voice,) = api.sent("sendVoice")
        assert voice.result == Refused(400, "Bad Request: VOICE_MESSAGES_FORBIDDEN")
        audio = api.sent("sendAudio")
        assert [c.files["audio"].filename for c in audio] == ["a1.mp3", "a2.mp3"]
        sent = tmp_path / "sent.mp3"
        sent.write_bytes(audio[0].files["audio"].data)
        assert probe(sent).mime == "audio/mpeg"
        assert isinstance(api.sent("sendVideoNote")[0].result, Refused)
        assert api.sent("sendVideo")[0].files["video"].data == clip.read_bytes()
        assert [c.params["text"] for c in api.sent("sendMessage")] == [
            "Your privacy settings don't let me send voice messages, so here it is as an "
            "audio file.",
            "Your privacy settings don't let me send round video messages, so here it is as a "
            "plain video."]
        order = [c.method for c in api.calls if not isinstance(c.result, Refused)]
        assert order[1:4] == ["sendAudio", "sendMessage", "sendAudio"]  # the file, then why


async def test_a_group_that_forbids_media_gets_what_it_allows_and_every_file_is_tried(
        tmp_path: Path) -> None:
    speech = espeak("good night", tmp_path / "speech.wav")
    still = picture(tmp_path, 320, 240)
    async with TelegramStandIn(TOKEN) as api, Bot(TOKEN, base_url=api.base_url,
                                                  base_file_url=api.base_file_url) as bot:
        api.restrict(GROUP_ID, "voice", "audio")
        poster = Poster(bot, Where(GROUP_ID, TOPIC, 31), upload_limit=2**25)
        spoken = made("a1", speech, Kind.AUDIO, "job:text_to_speech")
        assert await poster.file(spoken, True, False) is not None
        (document,) = api.sent("sendDocument")
        assert document.files["document"].data == speech.read_bytes()
        api.restrict(GROUP_ID, "document")
        assert await poster.file(made("a2", speech, Kind.AUDIO, "job:text_to_music"), False,
                                 False) is None
        assert await poster.file(made("a3", still, Kind.IMAGE, "upload"), False,
                                 False) is not None  # photos are still allowed
        assert [c.params["text"] for c in api.sent("sendMessage")] == [
            "This chat doesn't let me send voice notes, so here it is as a file.",
            "I couldn't post a2: this chat doesn't let me send documents."]
        assert [c.method for c in api.calls if isinstance(c.result, Refused)] == [
            "sendVoice", "sendAudio", "sendDocument"]  # each way tried once in the chat
        assert api.sent("sendPhoto")[0].files["photo"].data == still.read_bytes()


async def test_a_picture_telegram_wont_take_as_a_photo_goes_as_a_document(tmp_path: Path
                                                                         ) -> None:
    large = noise(tmp_path, 3600, 3000)
    assert large.stat().st_size > 10 * 2**20
    async with TelegramStandIn(TOKEN) as api, Bot(TOKEN, base_url=api.base_url,
                                                  base_file_url=api.base_file_url) as bot:
        poster = Poster(bot, Where(GROUP_ID, TOPIC, 31), upload_limit=50 * 2**20)
        assert await poster.file(made("a1", large, Kind.IMAGE, "upload"), False,
                                 False) is not None
        assert api.sent("sendPhoto") == []
        assert api.sent("sendDocument")[0].files["document"].data == large.read_bytes()
        # a picture Telegram won't take as a photo (its sides' ratio is over 20) goes as a
        # document too, and the next picture as a photo again
        narrow = picture(tmp_path, 2100, 100)
        for handle, still in (("a2", narrow), ("a3", picture(tmp_path, 320, 240))):
            assert await poster.file(made(handle, still, Kind.IMAGE, "upload"), False,
                                     False) is not None
        assert api.sent("sendPhoto")[0].result == Refused(
            400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        assert api.sent("sendDocument")[1].files["document"].data == narrow.read_bytes()
        assert not isinstance(api.sent("sendPhoto")[1].result, Refused)
        assert not api.sent("sendMessage")
        # the stand-in refuses a photo over 10 MB as Telegram does
        with pytest.raises(BadRequest, match="too big for a photo"):
            await bot.send_photo(GROUP_ID, large)


async def test_in_a_group_answers_do_not_queue_behind_chat_actions() -> None:
    """A group's budget (Telegram's 20 messages a minute, 3 an hour here) is the answers':
    the chat actions a long job renews don't spend it."""
    async with TelegramStandIn(TOKEN) as api, ExtBot(
            TOKEN, base_url=api.base_url, base_file_url=api.base_file_url,
            rate_limiter=AnswersFirst(group_max_rate=3, group_time_period=3600)) as bot:
        poster = Poster(bot, Where(GROUP_ID, TOPIC, 31), upload_limit=2**20)
        async with asyncio.timeout(60):  # had the actions counted, the answers waited an hour
            for _ in range(5):
                await poster.action(ChatAction.RECORD_VOICE)
            for text in ("Here it is.", "And the second part.", "Done."):
                await poster.text(text)
        assert [c.method for c in api.calls[1:]] == ["sendChatAction"] * 5 + ["sendMessage"] * 3


async def test_commands_in_backticks_arrive_as_code_not_raw_backticks() -> None:
    said = "Install it with `audiogpt models pull text_to_music` 🎵, then ask me `again`."
    async with TelegramStandIn(TOKEN) as api, Bot(TOKEN, base_url=api.base_url,
                                                  base_file_url=api.base_file_url) as bot:
        await Poster(bot, Where(PRIVATE_ID, None, 5), upload_limit=2**20).text(said)
        await Poster(bot, Where(PRIVATE_ID, None, 6), upload_limit=2**20).text("a ` alone")
    first, alone = api.sent("sendMessage")
    text = first.params["text"]
    assert "`" not in text and alone.params["text"] == "a ` alone"
    units = text.encode("utf-16-le")  # Telegram's offsets count UTF-16 code units
    code = [units[2 * e["offset"]: 2 * (e["offset"] + e["length"])].decode("utf-16-le")
            for e in json.loads(first.params["entities"]) if e["type"] == "code"]
    assert code == ["audiogpt models pull text_to_music", "again"]  # past the emoji too
