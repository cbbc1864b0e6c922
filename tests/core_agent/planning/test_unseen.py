"""Classes of request the planner used to miss on phrasings it was never tuned on, each in
words of its own (none of them in the tuning phrasings)."""

from __future__ import annotations

from typing import Any

import pytest

from core_agent.planning.offline.cues import cue_hits, normalise
from core_agent.planning.offline.extraction.words import sound_query
from core_agent.planning.offline.planner import OfflinePlanner
from core_agent.planning.offline.routing import runner_up
from evaluation.heldout import context
from models.embeddings import MiniLMEmbedder
from tasks import TASKS


@pytest.fixture(scope="module")
def planner(embedder: MiniLMEmbedder) -> OfflinePlanner:
    return OfflinePlanner(embedder)


async def tasks_for(planner: OfflinePlanner, text: str, **kwargs: Any) -> list[str]:
    plan = await planner.plan(context(text, **kwargs))
    assert plan.steps or plan.reply
    return [s.task for s in plan.steps]


@pytest.mark.parametrize("text", ["put her message into writing, it's in spanish",
                                  "jot what the priest says down, the sermon is in italian"])
def test_words_written_in_the_language_spoken_are_a_transcript(text: str) -> None:
    hits = cue_hits(normalise(text))
    assert "speech_recognition" in hits and "speech_translation" not in hits


@pytest.mark.parametrize("text", ["write it down in english, she speaks dutch",
                                  "type out the dutch translation"])
async def test_a_transcript_in_another_language_is_still_a_translation(
        planner: OfflinePlanner, text: str) -> None:
    assert await tasks_for(planner, text, attachments=["audio"]) == ["speech_translation"]


def test_a_word_is_not_corrected_into_a_longer_one() -> None:
    assert normalise("she speaks dutch") == "she speaks dutch"
    assert normalise("transcibe it") == "transcribe it"


async def test_a_transcript_in_a_named_language_is_planned(planner: OfflinePlanner) -> None:
    text = "could you type up the lecture, the professor talks in german"
    assert await tasks_for(planner, text, attachments=["audio"]) == ["speech_recognition"]


@pytest.mark.parametrize("text", ["my brother plays jazz trumpet in a band",
                                  "what's the most famous piano concerto"])
async def test_chat_about_music_is_declined(planner: OfflinePlanner, text: str) -> None:
    assert await tasks_for(planner, text) == []


async def test_asking_for_music_still_makes_it(planner: OfflinePlanner) -> None:
    assert await tasks_for(planner, "a mellow soundtrack for my film please") == [
        "text_to_music"]


@pytest.mark.parametrize(("text", "sound"), [
    ("list the moments a whistle blows", "whistle blows"),
    ("at what point can you hear the kettle", "kettle"),
    ("mute the rest and leave only the cello", "cello"),
    ("where in this is the bell", "bell"),
    ("could i have just the oboe part", "oboe"),
    ("i'd want only the bass line", "bass line"),
])
def test_the_sound_asked_about_is_named_however_it_is_asked(text: str, sound: str) -> None:
    assert sound_query(text) == sound


def test_no_question_when_only_one_reading_carries_a_cue() -> None:
    prob = dict.fromkeys(TASKS, 0.0) | {"speech_recognition": 0.5,
                                        "speech_translation": 0.45}
    shifts = dict.fromkeys(TASKS, 0.0)
    assert runner_up("speech_recognition", prob, shifts, {"speech_recognition"}) is None
    assert runner_up("speech_recognition", prob, shifts, set()) == "speech_translation"


async def test_arguments_are_read_past_a_slip_in_the_key_word(planner: OfflinePlanner) -> None:
    plan = await planner.plan(context("isollate the saxophone please", attachments=["audio"]))
    assert [(s.task, s.args.get("query")) for s in plan.steps] == [
        ("sound_extraction", "saxophone")]


def test_voice_note_fillers_are_not_words_of_the_request() -> None:
    assert not {"uh", "erm", "hmm"} & set(normalise("uh hmm erm read it back").split())


async def test_quoted_words_to_record_are_speech(planner: OfflinePlanner) -> None:
    plan = await planner.plan(context("record the phrase “mind the gap”"))
    assert [(s.task, s.args.get("text")) for s in plan.steps] == [
        ("text_to_speech", "mind the gap")]


async def test_a_singing_version_is_singing(planner: OfflinePlanner) -> None:
    assert await tasks_for(planner, "a singing version of 'row your boat'") == [
        "singing_synthesis"]


async def test_hearing_only_one_part_of_a_file_is_extraction(planner: OfflinePlanner) -> None:
    plan = await planner.plan(context("can i only hear the cello in it", attachments=["audio"]))
    assert [(s.task, s.args.get("query")) for s in plan.steps] == [("sound_extraction", "cello")]


UPLOAD_THEN_MADE: dict[str, Any] = {
    "artifacts": [{"kind": "audio", "producer": "upload"},
                  {"kind": "audio", "producer": "job:text_to_audio"}],
    "history": [{"role": "user", "text": "a field recording", "artifacts": ["a1"]},
                {"role": "assistant", "text": "Got it."},
                {"role": "user", "text": "make thunder",
                 "steps": [{"task": "text_to_audio", "args": {"prompt": "thunder"}}]},
                {"role": "assistant", "text": "Here.", "artifacts": ["a2"]}]}
FOUR_CLIPS: dict[str, Any] = {
    "artifacts": [{"kind": "audio", "producer": "upload"}] * 4,
    "history": [{"role": "user", "text": "four takes", "artifacts": ["a1", "a2", "a3", "a4"]},
                {"role": "assistant", "text": "Got them."}]}


@pytest.mark.parametrize("text", ["denoise the clip i uploaded", "caption the file they sent"])
async def test_the_users_own_file_is_the_upload_not_the_bots_output(
        planner: OfflinePlanner, text: str) -> None:
    plan = await planner.plan(context(text, **UPLOAD_THEN_MADE))
    assert [s.args.get("audio") for s in plan.steps] == ["a1"]


@pytest.mark.parametrize(("text", "handle"), [("describe recording 3", "a3"),
                                              ("denoise file #2", "a2"),
                                              ("caption the middle track", "a3")])
async def test_a_file_named_by_its_number_or_place(planner: OfflinePlanner, text: str,
                                                   handle: str) -> None:
    plan = await planner.plan(context(text, **FOUR_CLIPS))
    assert [s.args.get("audio") for s in plan.steps] == [handle]


async def test_a_question_about_the_attached_sound_is_answered_by_a_caption(
        planner: OfflinePlanner) -> None:
    text = "can you tell if this was recorded at the beach"
    assert await tasks_for(planner, text, attachments=["audio"]) == ["audio_to_text"]


@pytest.mark.parametrize(("text", "attachments", "tasks"), [
    ("can i get some background hum of a spaceship bridge", [], ["text_to_audio"]),
    ("might you voice this line for me: the shop opens at nine", [], ["text_to_speech"]),
    ("can you voice the sentence the library shuts at noon", [], ["text_to_speech"]),
    ("is it possible to mend the dropout at 0:07", ["audio"], ["audio_inpainting"]),
    ("would you kindly let me know when the doorbell rings", ["audio"],
     ["target_sound_detection"]),
])
async def test_indirect_and_polite_requests_are_planned(
        planner: OfflinePlanner, text: str, attachments: list[str], tasks: list[str]) -> None:
    assert await tasks_for(planner, text, attachments=attachments) == tasks


@pytest.mark.parametrize("text", ["could you maybe explain what reverb is",
                                  "i need advice on which speakers to buy",
                                  "can you tell me why vinyl sounds warmer"])
async def test_polite_chat_stays_chat(planner: OfflinePlanner, text: str) -> None:
    assert await tasks_for(planner, text) == []


def test_a_glitch_at_one_time_is_a_short_gap_around_it() -> None:
    assert TASKS["audio_inpainting"].asking.read("fix the glitch at 1:05") == {
        "start": 64.5, "end": 65.5}
    assert TASKS["audio_inpainting"].asking.read("fill the gap at 5") == {}
