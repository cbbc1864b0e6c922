"""How a worker runs text_to_speech."""

from __future__ import annotations

from contextlib import closing

from core_agent.types import Kind
from media.encode import encode_voice_note, ffmpeg_filter, write_wav
from models.audio_edit.ffmpeg_edit import pitch_chain
from models.text_to_speech.base import Synthesizer, ahead, joined
from tasks.text_to_speech import TextToSpeechArgs
from workers.steps.base import Inputs, Output, OutputFile, Step, label, voice_note


def run(tts: Synthesizer, a: TextToSpeechArgs, given: Inputs) -> Output:
    """Speak text and deliver it as an OGG/Opus voice note: each sentence is encoded while
    the next is synthesized."""
    sentences = tts.stream(a.text, a.voice, a.speed, a.language)
    if not a.pitch:
        with closing(ahead(sentences)) as made:
            return Output(files=[voice_note(made, given.work, "speech", label(a.text))])
    audio = joined(sentences)
    wav = ffmpeg_filter(write_wav(audio, given.work / "speech.wav"), given.work / "pitched.wav",
                        pitch_chain(a.pitch, audio.sample_rate))
    note = encode_voice_note(wav, given.work / "speech.ogg")
    return Output(files=[OutputFile(note, Kind.AUDIO, label(a.text))])


STEP = Step(Synthesizer, TextToSpeechArgs, run)
