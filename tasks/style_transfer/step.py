"""How a worker runs style_transfer."""

from __future__ import annotations

from core_agent.errors import BackendUnavailable, Unsupported
from media.audio import ASR_RATE, Audio, to_16k
from media.decode import decode
from models.cache import BackendCache
from models.speech_recognition.base import Transcriber
from models.style_transfer.base import VoiceCloner
from tasks.style_transfer import StyleTransferArgs
from workers.steps.base import Inputs, Output, Step, backend_of, label, voice_note


def run(cloner: VoiceCloner, a: StyleTransferArgs, given: Inputs) -> Output:
    """Speak the text in (or toward) the reference recording's voice; a voice note out. A
    cloner that must know the reference's words has them heard by the ASR backend."""
    reference = cloner.reference_clip(decode(given.media["reference"].path,
                                             cloner.reference_rate))
    transcript = _words_of(reference, given.backends) if cloner.needs_transcript else None
    audio = cloner.speak_like(a.text, reference, transcript, a.seed)
    return Output(files=[voice_note(audio, given.work, "styled", label(a.text))],
                  data={"reference_words": transcript} if transcript else {})


def _words_of(reference: Audio, backends: BackendCache | None) -> str:
    """What the reference recording says; Unsupported when it says nothing."""
    if backends is None:
        raise BackendUnavailable("a speech_recognition model",
                                 "audiogpt models pull speech_recognition")
    transcriber = backend_of(backends, "speech_recognition", Transcriber)
    words = transcriber.transcribe(Audio(to_16k(reference), ASR_RATE)).text.strip()
    if not words:
        raise Unsupported("I couldn't hear anyone talking in the reference recording; to "
                          "clone a voice I need a few seconds of that person speaking")
    return words


STEP = Step(VoiceCloner, StyleTransferArgs, run)
