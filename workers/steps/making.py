"""Steps that make or reshape sound and video: edits, binaural, singing, talking heads,
music and sound effects."""

from __future__ import annotations

from pathlib import Path

from core_agent.tasks import (
    AudioEditArgs,
    BinauralArgs,
    GenerateArgs,
    ImageToAudioArgs,
    SingingArgs,
    TalkingHeadArgs,
)
from core_agent.types import Kind
from media.decode import decode
from media.encode import encode_mp3, encode_stereo, write_wav
from models.audio_edit.base import FileEditor
from models.binaural.base import BinauralRenderer
from models.errors import BackendUnavailable, Unsupported
from models.generation.base import Generator, ImageCaptioner
from models.singing.base import Singer
from models.singing.scores import read_file, requested
from models.talking_head.base import TalkingHead
from workers.steps.base import Inputs, Output, OutputFile, backend_of, label, voice_note


def mono_to_binaural(renderer: BinauralRenderer, a: BinauralArgs, given: Inputs) -> Output:
    """Place the sound around the listener's head; stereo OGG/Opus out."""
    audio = renderer.render(decode(given.media["audio"].path, 48_000), a.azimuth, a.elevation,
                            a.distance)
    wav = write_wav(audio, given.work / "binaural.wav")
    where = "circling the head" if a.azimuth is None else f"at {a.azimuth:g}°"
    return Output(files=[OutputFile(encode_stereo(wav, given.work / "binaural.ogg"), Kind.AUDIO,
                                    f"binaural, {where}")])


def audio_edit(editor: FileEditor, a: AudioEditArgs, given: Inputs) -> Output:
    """Apply one edit with ffmpeg."""
    params = a.model_dump(exclude={"audio", "operation", "other"}, exclude_none=True)
    if "other" in given.media:
        params["other"] = given.media["other"].path
    path = editor.edit(given.media["audio"].path, given.work, a.operation, **params)
    return Output(files=[OutputFile(path, Kind.AUDIO, a.operation)])


def singing_synthesis(singer: Singer, a: SingingArgs, given: Inputs) -> Output:
    """Sing the lyrics to the notes, a known tune, or a simple line of its own."""
    if "score" in given.media:  # its words, unless the request gives others
        score = read_file(given.media["score"].path, a.lyrics)
    elif a.lyrics or a.melody:
        score = requested(a.lyrics or a.melody or "", a.notes, a.durations, a.melody,
                          a.recipient, a.tempo)
    else:
        raise Unsupported("tell me the words to sing, a tune, or attach a MIDI or MusicXML "
                          "score")
    audio = singer.sing(score)
    words = " ".join(n.syllable for n in score.notes if n.syllable)
    name = a.melody or label(a.lyrics or words)
    return Output(files=[OutputFile(voice_note(audio, given.work, "sung"), Kind.AUDIO, name)],
                  data={"notes": sum(n.pitch is not None for n in score.notes),
                        "seconds": round(score.duration, 2), "sung": words})


def talking_head(head: TalkingHead, a: TalkingHeadArgs, given: Inputs) -> Output:
    """The portrait (or the default face) speaking the audio, as an MP4."""
    audio = decode(given.media["audio"].path, 48_000)
    sound = write_wav(audio, given.work / "speech.wav")
    picture = given.media["image"].path if "image" in given.media else None
    video = head.render(picture, audio, sound, given.work / "talking.mp4")
    name = "talking head" if a.image else "talking head (default face)"
    return Output(files=[OutputFile(video, Kind.VIDEO, name)])


def text_to_sound(generator: Generator, a: GenerateArgs, given: Inputs) -> Output:
    """Music, or a sound effect or ambience, from a description (text_to_music,
    text_to_audio)."""
    return _sound(generator, a.prompt, a.duration, a.seed, given.work)


def image_to_audio(captioner: ImageCaptioner, a: ImageToAudioArgs, given: Inputs) -> Output:
    """The picture captioned, then the caption sounded out by the text_to_audio model."""
    missing = BackendUnavailable("the text_to_audio model, which turns the picture's caption "
                                 "into sound,", "audiogpt models pull text_to_audio")
    if given.backends is None:  # outside a worker there is no text_to_audio model to ask
        raise missing
    try:  # before the captioning, which would be wasted
        generator = backend_of(given.backends, "text_to_audio", Generator)
    except BackendUnavailable:
        raise missing from None
    caption = captioner.caption(given.media["image"].path)
    made = _sound(generator, caption, a.duration, None, given.work)
    heard = f"I heard this picture as: “{caption}”."
    made.text = f"{heard} {made.text}" if made.text else heard
    made.data["caption"] = caption
    return made


def _sound(generator: Generator, prompt: str, duration: float, seed: int | None, work: Path
           ) -> Output:
    """Generated audio as MP3 at the model's own rate (it plays in every chat), saying when
    the length was capped."""
    audio = generator.generate(prompt, duration, seed)
    stem = "music" if generator.task == "text_to_music" else "sound"
    wav = write_wav(audio, work / f"{stem}.wav")
    sound = encode_mp3(wav, work / f"{stem}.mp3")
    text = None
    if duration > generator.max_seconds:
        text = (f"{generator.model} makes up to {generator.max_seconds:g} s at a time, so this "
                f"one is {generator.max_seconds:g} s long.")
    return Output(files=[OutputFile(sound, Kind.AUDIO, label(prompt))], text=text,
                  data={"seconds": round(audio.duration, 2), "seed": seed})
