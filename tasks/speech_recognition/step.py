"""How a worker runs speech_recognition."""

from __future__ import annotations

from core_agent.types import Kind
from media.decode import decode
from media.subtitles import write_subtitles
from models.speech_recognition.base import Transcriber, Transcript
from tasks.speech_recognition import SpeechRecognitionArgs
from workers.steps.base import Inputs, Output, OutputFile, Step


def run(asr: Transcriber, a: SpeechRecognitionArgs, given: Inputs) -> Output:
    """Transcribe the audio track of a recording (with others at once, given a batcher)."""
    audio = decode(given.media["audio"].path)
    if given.batcher is not None:
        transcript = given.batcher.transcribe(asr, audio, a.language, a.word_timestamps)
    else:
        transcript = asr.transcribe(audio, a.language, a.word_timestamps)
    output = transcript_output(transcript)
    if a.subtitles:
        made = write_subtitles(transcript.segments, given.work / f"transcript.{a.subtitles}")
        output.files.append(OutputFile(made, Kind.FILE, f"subtitles ({a.subtitles.upper()})"))
    return output


def transcript_output(transcript: Transcript) -> Output:
    segments = [{"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text}
                for s in transcript.segments]
    return Output(text=transcript.text, data={"language": transcript.language,
                                              "segments": segments})


STEP = Step(Transcriber, SpeechRecognitionArgs, run)
