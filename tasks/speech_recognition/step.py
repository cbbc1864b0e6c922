"""How a worker runs speech_recognition."""

from __future__ import annotations

from media.decode import decode
from models.speech_recognition.base import Transcriber, Transcript
from tasks.speech_recognition import SpeechRecognitionArgs
from workers.steps.base import Inputs, Output, Step


def run(asr: Transcriber, a: SpeechRecognitionArgs, given: Inputs) -> Output:
    """Transcribe the audio track of a recording (with others at once, given a batcher)."""
    audio = decode(given.media["audio"].path)
    if given.batcher is not None:
        transcript = given.batcher.transcribe(asr, audio, a.language, a.word_timestamps)
    else:
        transcript = asr.transcribe(audio, a.language, a.word_timestamps)
    return transcript_output(transcript)


def transcript_output(transcript: Transcript) -> Output:
    segments = [{"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text}
                for s in transcript.segments]
    return Output(text=transcript.text, data={"language": transcript.language,
                                              "segments": segments})


STEP = Step(Transcriber, SpeechRecognitionArgs, run)
