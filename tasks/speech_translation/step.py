"""How a worker runs speech_translation."""

from __future__ import annotations

from media.decode import decode
from models.translation.base import Translator
from tasks.speech_recognition.step import transcript_output
from tasks.speech_translation import SpeechTranslationArgs
from workers.steps.base import Inputs, Output, Step


def run(translator: Translator, a: SpeechTranslationArgs, given: Inputs
                       ) -> Output:
    """Speech in one language to text in another, by a translator that writes the target
    (the runtime picked it by the target language)."""
    return transcript_output(translator.translate(
        decode(given.media["audio"].path), a.target_language, a.source_language))


STEP = Step(Translator, SpeechTranslationArgs, run)
