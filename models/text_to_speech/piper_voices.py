"""More Piper voices (neural catalog): one VITS voice per language from rhasspy/piper-voices,
run with piper-tts like the embedded English voice.

Piper voices are small (~63 MB at medium quality), faster than real time on a CPU and mostly
under permissive licenses, so for their languages the registry prefers them to MMS-TTS
(listed after them). Each voice is its own catalog entry: the repository holds hundreds,
and `audiogpt models pull text_to_speech --language de` fetches only German's. A voice is
two files, `<lang_REGION>-<name>-<quality>.onnx` and its `.onnx.json` config (sample rate,
espeak-ng voice for phonemes, phoneme map), under `<lang>/<lang_REGION>/<name>/<quality>/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from core_agent.errors import Unsupported
from media.audio import Audio
from models.catalog.checkpoints import CatalogEntry, NeuralBackend
from models.text_to_speech.base import Synthesizer, joined
from models.text_to_speech.piper import load_voice, piper_sentences

REPO = "rhasspy/piper-voices"
LICENSE = "per voice: its MODEL_CARD names the dataset's license"


class PiperCatalogVoice(NeuralBackend, Synthesizer):
    """One Piper voice from the catalog; subclasses name it (see `_voice`)."""

    task = "text_to_speech"
    requires = ("piper",)
    voice_id: ClassVar[str]  # <lang_REGION>-<name>-<quality>
    voices: ClassVar[tuple[str, ...]]  # the speaker's name
    _voice: Any = None

    def load(self) -> None:
        self._voice = load_voice(next(self.folder.rglob(f"{self.voice_id}.onnx")))

    def synthesize(self, text: str, voice: str | None = None, speed: float = 1.0,
                   language: str = "en") -> Audio:
        return joined(self.stream(text, voice, speed, language))

    def stream(self, text: str, voice: str | None = None, speed: float = 1.0,
               language: str = "en") -> Iterator[Audio]:
        self.check_language(language)
        if voice and voice.lower() not in self.voices:
            raise Unsupported(f"{self.model} has the voice {self.voices[0]!r}, not {voice!r}")
        return piper_sentences(self._voice, text, speed)


def _voice(voice_id: str, size: str) -> type[PiperCatalogVoice]:
    """The backend class of one voice of the repository."""
    region, speaker, quality = voice_id.split("-")
    language = region.split("_")[0]
    folder = f"{language}/{region}/{speaker}/{quality}/{voice_id}"
    attrs = {
        "__doc__": f"Piper {voice_id}.",
        "name": f"piper-{voice_id}", "voice_id": voice_id, "languages": (language,),
        "voices": (speaker,), "model": f"Piper {voice_id} (VITS)", "license": LICENSE,
        "install_hint": f"audiogpt models pull text_to_speech --language {language}",
        "entry": CatalogEntry(f"piper-{voice_id}", REPO, (f"{folder}.onnx", f"{folder}.onnx.json",
                                                          f"{folder.rsplit('/', 1)[0]}/MODEL_CARD"),
                              size=size, license=LICENSE),
    }
    return type(f"Piper_{region}_{speaker}", (PiperCatalogVoice,), attrs)


VOICES: tuple[type[PiperCatalogVoice], ...] = (
    _voice("de_DE-thorsten-medium", "63 MB"),
    _voice("fr_FR-siwis-medium", "63 MB"),
    _voice("es_ES-davefx-medium", "63 MB"),
    _voice("it_IT-riccardo-x_low", "28 MB"),
    _voice("pt_BR-faber-medium", "63 MB"),
    _voice("nl_NL-mls-medium", "63 MB"),
    _voice("pl_PL-gosia-medium", "63 MB"),
    _voice("ru_RU-irina-medium", "63 MB"),
)
