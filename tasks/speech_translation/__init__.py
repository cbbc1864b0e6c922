"""Translate speech: translate speech in one language into text in another language."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from core_agent.planning.offline.extraction.words import LANG, languages
from core_agent.types import Kind
from tasks.base import Asking, AudioIn, Command, TaskSpec


class SpeechTranslationArgs(AudioIn):
    target_language: str = Field("en", description="ISO 639-1 code of the output text.")
    source_language: str | None = None

    @property
    def language(self) -> str:
        """The language the step is served in, which picks its backend: the target."""
        return self.target_language


def read(text: str) -> dict[str, Any]:
    """The arguments read from the request."""
    source, target = languages(text)
    return {"source_language": source, "target_language": target or "en"}


SPEC = TaskSpec(
    id="speech_translation", title="Translate speech",
    description="Translate speech in one language into text in another language.",
    args=SpeechTranslationArgs, inputs=(Kind.AUDIO,), outputs=(Kind.TEXT,),
    command=Command("translate", "translate this speech into {text}",
                    "the language to translate into, e.g. English"),
    asking=Asking(
        examples=(
            "translate this audio into english; what does this foreign speech mean; translate "
            "what she says to spanish; give me an english translation of this voice note; "
            "translate the speech from german; I don't speak this language, translate it; what "
            "is he saying in english; convert this spoken portuguese into english text"),
        cue=(
            r"translat|interpret|what (does|did) (it|this|that) mean|"
            rf"(say|saying|said|says|mean|means)\b.{{0,20}}\b(in|into) {LANG}"),
        offer="translate it",
        read=read))
