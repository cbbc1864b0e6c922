"""speech_translation into any language: SeamlessM4T v2 pulled from the hub stand-in beside
Whisper large-v3's translate task, and the empty_runtime picking the one that writes the target.

The Seamless checkpoint is a tiny random-weight model of the real architecture (the full
model, as the repository publishes it; tests/neural/): its text is garbage, so what is
checked is the path — the target's token starting the decoder, the clips covering a long
recording, which backend ran, and the replies when no model can write the target.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from transformers import AutoTokenizer

from core_agent.errors import Unsupported
from core_agent.tables import Job
from core_agent.types import Artifact, Attachment, Kind, Message
from media.decode import decode
from models.cache import BackendCache
from models.embeddings import MiniLMEmbedder
from models.settings import ModelSettings
from models.translation.seamless import SeamlessTranslate
from models.translation.whisper import WhisperTranslate
from tasks.speech_translation import SpeechTranslationArgs
from tests.conftest import make_settings
from tests.core_agent.test_agent import rows
from tests.models.conftest import pull_async
from tests.neural.speech_recognition import tiny_whisper_ct2
from tests.neural.translation import tiny_seamless
from tests.samples import convert, espeak, long_recording
from tests.stand_ins.hub_server import HubStandIn
from tests.stand_ins.openai_server import OpenAIStandIn, ToolCalls
from workers.runtime import Runtime, build_runtime
from workers.steps import executor_for

GERMAN = "guten morgen, das treffen beginnt heute nach dem mittagessen"
PAUSE = 1.5  # seconds between the sentences of the long recording
CLIP_LIMIT = 30.0  # seconds the model hears at once


@pytest.fixture(scope="module")
def hub() -> Iterator[HubStandIn]:
    repos = {WhisperTranslate.entry.repo: tiny_whisper_ct2(),
             SeamlessTranslate.entry.repo: tiny_seamless()}
    with HubStandIn(repos) as server:
        yield server


@pytest.fixture(scope="module")
def translator() -> SeamlessTranslate:
    backend = SeamlessTranslate(tiny_seamless())
    backend.load()
    return backend


def german_note(folder: Path) -> Path:
    """A voice note in German, as a phone would send it (OGG/Opus)."""
    return convert(espeak(GERMAN, folder / "de.wav", voice="de"), folder / "de.ogg")


def test_the_target_languages_token_starts_the_translation(translator: SeamlessTranslate,
                                                           tmp_path: Path) -> None:
    note = decode(german_note(tmp_path))
    french, german, traditional = (translator.token_ids([note.samples], target)[0]
                                   for target in ("fr", "DE", "zh-hant"))
    tokenizer = AutoTokenizer.from_pretrained(tiny_seamless())  # as published, not ours
    start = 3  # </s>: the decoder starts there, then the language, as in fairseq
    for ids, language in ((french, "fra"), (german, "deu"), (traditional, "cmn_Hant")):
        assert ids[:2] == [start, tokenizer.convert_tokens_to_ids(f"__{language}__")]
    translated = translator.translate(note, "fr")
    assert translated.language == "fr"
    (segment,) = translated.segments  # one short utterance, one clip
    assert 0 <= segment.start < segment.end <= note.duration
    said = str(tokenizer.decode(french, skip_special_tokens=True)).strip()
    assert said and translated.text == segment.text == said and "__" not in said


def test_a_long_recording_goes_in_clips_that_cover_it(translator: SeamlessTranslate,
                                                      tmp_path: Path) -> None:
    path, _ = long_recording(tmp_path, minutes=1.0, pause=PAUSE)
    audio = decode(path)
    translated = translator.translate(audio, "es")
    segments = translated.segments
    assert translated.language == "es" and len(segments) >= 2
    assert all(0 < s.end - s.start <= CLIP_LIMIT and s.text for s in segments)
    assert segments[0].start < 1.0 and segments[-1].end > audio.duration - PAUSE - 1.0
    for before, after in itertools.pairwise(segments):  # in order, nothing lost between
        assert before.end <= after.start < before.end + 2 * PAUSE
    assert translated.text == " ".join(s.text for s in segments)


def test_a_language_it_cannot_write_or_hear_is_refused(translator: SeamlessTranslate,
                                                      tmp_path: Path) -> None:
    note = decode(german_note(tmp_path))
    with pytest.raises(Unsupported, match="not la") as latin:
        translator.translate(note, "la")
    assert "fr" in str(latin.value) and "zh-hant" in str(latin.value)
    with pytest.raises(Unsupported, match="does not understand speech in tlh"):
        translator.translate(note, "fr", source="tlh")
    upload = Artifact(id="x", handle="a1", kind=Kind.AUDIO, mime="audio/ogg",
                      path=german_note(tmp_path), producer="upload")
    args = SpeechTranslationArgs(audio="a1", target_language="oc")  # Occitan: heard, not written
    with pytest.raises(Unsupported, match="not oc"):
        executor_for("speech_translation")(translator, args, {"audio": upload}, tmp_path)


async def test_a_german_voice_note_is_answered_in_french_or_english(
        hub: HubStandIn, empty_runtime: Runtime, tmp_path: Path) -> None:
    note = german_note(tmp_path)
    ask = Message(channel_id="cli:de", text="what does this say in French",
                  attachments=[Attachment(path=note, filename=note.name)])
    missing = await empty_runtime.agent.handle(ask)
    assert missing.error_code == "model-not-installed"
    assert "audiogpt models pull speech_translation" in missing.text
    done = await pull_async(hub, empty_runtime, "speech_translation")
    assert done.returncode == 0, done.stderr
    models = ModelSettings.of(empty_runtime.settings)
    assert SeamlessTranslate.installed(models) and WhisperTranslate.installed(models)

    french = await empty_runtime.agent.handle(Message(channel_id="cli:de",
                                                text="what does a1 say in French"))
    english = await empty_runtime.agent.handle(Message(channel_id="cli:de",
                                                 text="translate a1 into english"))
    assert french.error_code is None and english.error_code is None, french.text + english.text
    (step,) = french.steps
    assert step.args["target_language"] == "fr" and step.data["language"] == "fr"
    duration = decode(note).duration
    assert step.text and step.text in french.text
    assert [s["text"] for s in step.data["segments"]] == [step.text]
    assert 0 <= step.data["segments"][0]["start"] < step.data["segments"][0]["end"] <= duration
    # English stays with Whisper's translate task while it is installed; the rest is Seamless.
    assert [j.backend for j in rows(empty_runtime, Job, purpose="plan", status="done")] == [
        SeamlessTranslate.name, WhisperTranslate.name]

    # an install from before Seamless
    shutil.rmtree(empty_runtime.settings.models_dir / SeamlessTranslate.entry.name)
    only_whisper = await empty_runtime.agent.handle(Message(channel_id="cli:de",
                                                      text="what does a1 say in French"))
    assert only_whisper.error_code == "model-not-installed", only_whisper.text
    assert SeamlessTranslate.model in only_whisper.text and "'fr'" in only_whisper.text
    assert "audiogpt models pull speech_translation" in only_whisper.text
    still = await empty_runtime.agent.handle(Message(channel_id="cli:de",
                                               text="translate a1 into english"))
    assert still.error_code is None, still.text
    assert rows(empty_runtime, Job, purpose="plan")[-1].backend == WhisperTranslate.name


async def test_a_target_no_model_writes_gets_a_clear_reply(
        hub: HubStandIn, tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    note = german_note(tmp_path)
    async with OpenAIStandIn() as llm:
        settings = make_settings(tmp_path / "data", openai_base_url=llm.url,
                                 openai_api_key="sk-test-seamless", llm_max_retries=0)
        cache = BackendCache(ModelSettings.of(settings))
        rt = build_runtime(settings, embedder=embedder, backends=cache)
        try:
            assert (await pull_async(hub, rt, "speech_translation")).returncode == 0
            llm.script(ToolCalls([("speech_translation",
                                   {"audio": "a1", "target_language": "la"})]))
            reply = await rt.agent.handle(Message(
                channel_id="web:la", text="what does this say in latin", platform="web",
                attachments=[Attachment(path=note, filename=note.name)]))
            (job,) = rows(rt, Job, purpose="plan")
        finally:
            await rt.aclose()
    assert reply.error_code == "task-unsupported", reply.text
    assert "'la'" in reply.text and "fr" in reply.text and "zh-hant" in reply.text
    assert (job.task, job.status, job.args["target_language"]) == (
        "speech_translation", "failed", "la")
