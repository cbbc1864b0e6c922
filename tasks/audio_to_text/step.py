"""How a worker runs audio_to_text."""

from __future__ import annotations

from core_agent.errors import BackendUnavailable
from media.decode import decode
from models.sound.base import Captioner
from models.speech_recognition.base import Transcriber
from tasks.base import AudioIn
from workers.steps.base import Inputs, Output, Step, backend_of


def run(captioner: Captioner, a: AudioIn, given: Inputs) -> Output:
    """A caption. The event captioner has the speech in it transcribed by the ASR backend;
    an audio-language model hears the words itself."""
    transcriber = None
    if given.backends is not None and captioner.transcribes_speech:
        try:
            transcriber = backend_of(given.backends, "speech_recognition", Transcriber, "en")
        except BackendUnavailable:
            transcriber = None
    transcribe = (lambda audio: transcriber.transcribe(audio).text) if transcriber else None
    caption = captioner.describe(decode(given.media["audio"].path), transcribe)
    return Output(text=caption.text, data=caption.data)


STEP = Step(Captioner, AudioIn, run)
