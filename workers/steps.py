"""One executor per task: typed arguments and resolved inputs in, files and text out.

Executors are synchronous (models block) and run in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from core_agent.tasks import (
    Args,
    AudioEditArgs,
    BinauralArgs,
    SpeechRecognitionArgs,
    StyleTransferArgs,
    TextToSpeechArgs,
)
from core_agent.types import Artifact, Kind
from models.audio import Audio, decode, encode_stereo, encode_voice_note, ffmpeg_filter, write_wav
from models.base import AudioProcessor, Backend, FileEditor, Synthesizer, Transcriber
from models.binaural import SphericalHead
from models.ffmpeg_edit import pitch_chain
from models.world_style import WorldStyle


@dataclass
class OutputFile:
    """A file a step made, before it becomes an artifact."""

    path: Path
    kind: Kind
    label: str = ""


@dataclass
class Output:
    """What a step produced."""

    files: list[OutputFile] = field(default_factory=list)
    text: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


STYLE_RATE = 22_050  # Hz, the Piper voice's rate, so WORLD analyses both voices alike
Executor = Callable[[Backend, Args, dict[str, Artifact], Path], Output]


def speech_recognition(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                       ) -> Output:
    """Transcribe the audio track of a recording."""
    a = cast(SpeechRecognitionArgs, args)
    transcript = cast(Transcriber, backend).transcribe(
        decode(media["audio"].path), a.language, a.word_timestamps)
    segments = [{"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text}
                for s in transcript.segments]
    return Output(text=transcript.text, data={"language": transcript.language,
                                              "segments": segments})


def text_to_speech(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                   ) -> Output:
    """Speak text and deliver it as an OGG/Opus voice note."""
    a = cast(TextToSpeechArgs, args)
    audio = cast(Synthesizer, backend).synthesize(a.text, a.voice, a.speed, a.language)
    wav = write_wav(audio, work / "speech.wav")
    if a.pitch:
        wav = ffmpeg_filter(wav, work / "pitched.wav", pitch_chain(a.pitch, audio.sample_rate))
    note = encode_voice_note(wav, work / "speech.ogg")
    return Output(files=[OutputFile(note, Kind.AUDIO, _label(a.text))])


def process_audio(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                  ) -> Output:
    """Audio in, audio out, for every AudioProcessor task."""
    tracks = cast(AudioProcessor, backend).process(decode(media["audio"].path, 48_000))
    files = []
    for i, track in enumerate(tracks, start=1):
        label = f"track {i}" if len(tracks) > 1 else ""
        files.append(OutputFile(_voice_note(track, work, f"out{i}"), Kind.AUDIO, label))
    return Output(files=files)


def style_transfer(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                   ) -> Output:
    """Speak the text toward the reference recording's voice; a voice note out."""
    a = cast(StyleTransferArgs, args)
    reference = decode(media["reference"].path, STYLE_RATE)
    audio = cast(WorldStyle, backend).speak_like(a.text, reference)
    return Output(files=[OutputFile(_voice_note(audio, work, "styled"), Kind.AUDIO,
                                    _label(a.text))])


def mono_to_binaural(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                     ) -> Output:
    """Place the sound around the listener's head; stereo OGG/Opus out."""
    a = cast(BinauralArgs, args)
    audio = cast(SphericalHead, backend).render(decode(media["audio"].path, 48_000), a.azimuth,
                                                a.elevation, a.distance)
    wav = write_wav(audio, work / "binaural.wav")
    where = "circling the head" if a.azimuth is None else f"at {a.azimuth:g}°"
    return Output(files=[OutputFile(encode_stereo(wav, work / "binaural.ogg"), Kind.AUDIO,
                                    f"binaural, {where}")])


def audio_edit(backend: Backend, args: Args, media: dict[str, Artifact], work: Path) -> Output:
    """Apply one edit with ffmpeg."""
    a = cast(AudioEditArgs, args)
    params = a.model_dump(exclude={"audio", "operation"}, exclude_none=True)
    path = cast(FileEditor, backend).edit(media["audio"].path, work, a.operation, **params)
    return Output(files=[OutputFile(path, Kind.AUDIO, a.operation)])


def _voice_note(audio: Audio, work: Path, stem: str) -> Path:
    """Samples to an OGG/Opus voice note in the work folder."""
    return encode_voice_note(write_wav(audio, work / f"{stem}.wav"), work / f"{stem}.ogg")


def _label(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


EXECUTORS: dict[str, Executor] = {
    "speech_recognition": speech_recognition,
    "text_to_speech": text_to_speech,
    "speech_enhancement": process_audio,
    "style_transfer": style_transfer,
    "mono_to_binaural": mono_to_binaural,
    "audio_edit": audio_edit,
}
