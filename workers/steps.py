"""One executor per task: typed arguments and resolved inputs in, files and text out.

Executors are synchronous (models block) and run in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, cast

from core_agent.errors import ModelNotInstalled
from core_agent.tasks import (
    Args,
    AudioEditArgs,
    BinauralArgs,
    GenerateArgs,
    ImageToAudioArgs,
    InpaintingArgs,
    QueryArgs,
    SeparationArgs,
    SingingArgs,
    SpeechRecognitionArgs,
    SpeechTranslationArgs,
    StyleTransferArgs,
    TalkingHeadArgs,
    TextToSpeechArgs,
)
from core_agent.types import Artifact, Kind
from media.audio import ASR_RATE, Audio, to_16k
from media.decode import decode
from media.encode import encode_stereo, encode_voice_note, ffmpeg_filter, write_wav
from models.audio_edit.base import FileEditor
from models.audio_edit.ffmpeg_edit import pitch_chain
from models.base import Backend
from models.binaural.base import BinauralRenderer
from models.cache import BackendCache
from models.errors import BackendUnavailable, Unsupported
from models.generation.base import Generator, ImageCaptioner
from models.inpainting.base import Inpainter
from models.separation.base import SpeakerSeparator
from models.singing.base import Singer
from models.singing.scores import read_file, requested
from models.sound.base import Captioner, MaskExtractor, SoundDetector, TargetDetector
from models.sound.events import Event
from models.sound.plots import event_picture
from models.speech_enhancement.base import AudioProcessor
from models.speech_recognition.base import Transcriber, Transcript
from models.speech_recognition.batching import AsrBatcher
from models.style_transfer.base import VoiceCloner
from models.talking_head.base import TalkingHead
from models.text_to_speech.base import Synthesizer
from models.translation.base import Translator


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


MUSIC_BITRATE = "160k"  # MP3, transparent enough for generated music
Executor = Callable[[Backend, Args, dict[str, Artifact], Path], Output]


def speech_recognition(backend: Backend, args: Args, media: dict[str, Artifact], work: Path,
                       batcher: AsrBatcher | None = None) -> Output:
    """Transcribe the audio track of a recording (with others at once, given a batcher)."""
    a = cast(SpeechRecognitionArgs, args)
    audio = decode(media["audio"].path)
    if batcher is not None:
        transcript = batcher.transcribe(cast(Transcriber, backend), audio, a.language,
                                        a.word_timestamps)
    else:
        transcript = cast(Transcriber, backend).transcribe(audio, a.language, a.word_timestamps)
    return _transcript_output(transcript)


def speech_translation(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                       ) -> Output:
    """Speech in one language to text in another, by a translator that writes the target
    (the runtime picked it by the target language)."""
    a = cast(SpeechTranslationArgs, args)
    return _transcript_output(cast(Translator, backend).translate(
        decode(media["audio"].path), a.target_language, a.source_language))


def _transcript_output(transcript: Transcript) -> Output:
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


def style_transfer(backend: Backend, args: Args, media: dict[str, Artifact], work: Path,
                   backends: BackendCache | None = None) -> Output:
    """Speak the text in (or toward) the reference recording's voice; a voice note out. A
    cloner that must know the reference's words has them heard by the ASR backend."""
    a = cast(StyleTransferArgs, args)
    cloner = cast(VoiceCloner, backend)
    reference = cloner.reference_clip(decode(media["reference"].path, cloner.reference_rate))
    transcript = _words_of(reference, backends) if cloner.needs_transcript else None
    audio = cloner.speak_like(a.text, reference, transcript, a.seed)
    return Output(files=[OutputFile(_voice_note(audio, work, "styled"), Kind.AUDIO,
                                    _label(a.text))],
                  data={"reference_words": transcript} if transcript else {})


def _words_of(reference: Audio, backends: BackendCache | None) -> str:
    """What the reference recording says; Unsupported when it says nothing."""
    if backends is None:
        raise BackendUnavailable("a speech_recognition model",
                                 "audiogpt models pull speech_recognition")
    transcriber = cast(Transcriber, backends.for_task("speech_recognition"))
    words = transcriber.transcribe(Audio(to_16k(reference), ASR_RATE)).text.strip()
    if not words:
        raise Unsupported("I couldn't hear anyone talking in the reference recording; to "
                          "clone a voice I need a few seconds of that person speaking")
    return words


def mono_to_binaural(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                     ) -> Output:
    """Place the sound around the listener's head; stereo OGG/Opus out."""
    a = cast(BinauralArgs, args)
    audio = cast(BinauralRenderer, backend).render(decode(media["audio"].path, 48_000),
                                                   a.azimuth, a.elevation, a.distance)
    wav = write_wav(audio, work / "binaural.wav")
    where = "circling the head" if a.azimuth is None else f"at {a.azimuth:g}°"
    return Output(files=[OutputFile(encode_stereo(wav, work / "binaural.ogg"), Kind.AUDIO,
                                    f"binaural, {where}")])


def audio_edit(backend: Backend, args: Args, media: dict[str, Artifact], work: Path) -> Output:
    """Apply one edit with ffmpeg."""
    a = cast(AudioEditArgs, args)
    params = a.model_dump(exclude={"audio", "operation", "other"}, exclude_none=True)
    if "other" in media:
        params["other"] = media["other"].path
    path = cast(FileEditor, backend).edit(media["audio"].path, work, a.operation, **params)
    return Output(files=[OutputFile(path, Kind.AUDIO, a.operation)])


def singing_synthesis(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                      ) -> Output:
    """Sing the lyrics to the notes, a known tune, or a simple line of its own."""
    a = cast(SingingArgs, args)
    if "score" in media:  # its words, unless the request gives others
        score = read_file(media["score"].path, a.lyrics)
    elif a.lyrics or a.melody:
        score = requested(a.lyrics or a.melody or "", a.notes, a.durations, a.melody,
                          a.recipient, a.tempo)
    else:
        raise Unsupported("tell me the words to sing, a tune, or attach a MIDI or MusicXML "
                          "score")
    audio = cast(Singer, backend).sing(score)
    words = " ".join(n.syllable for n in score.notes if n.syllable)
    label = a.melody or _label(a.lyrics or words)
    return Output(files=[OutputFile(_voice_note(audio, work, "sung"), Kind.AUDIO, label)],
                  data={"notes": sum(n.pitch is not None for n in score.notes),
                        "seconds": round(score.duration, 2), "sung": words})


def talking_head(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                 ) -> Output:
    """The portrait (or the default face) speaking the audio, as an MP4."""
    a = cast(TalkingHeadArgs, args)
    audio = decode(media["audio"].path, 48_000)
    sound = write_wav(audio, work / "speech.wav")
    picture = media["image"].path if "image" in media else None
    video = cast(TalkingHead, backend).render(picture, audio, sound, work / "talking.mp4")
    label = "talking head" if a.image else "talking head (default face)"
    return Output(files=[OutputFile(video, Kind.VIDEO, label)])


def sound_detection(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                    ) -> Output:
    """Which sounds occur and when: a list to read, the events as data, and a picture."""
    audio = decode(media["audio"].path)
    _, events = cast(SoundDetector, backend).events(audio)
    picture = event_picture(audio.samples, events, work / "sound-events.png")
    lines = [f"{e.start:.1f}–{e.end:.1f} s {e.label} ({e.score:.2f})" for e in events]
    text = "I heard:\n" + "\n".join(lines) if lines else "I couldn't make out any sound events."
    return Output(files=[OutputFile(picture, Kind.IMAGE, "sound events")], text=text,
                  data={"events": [e.as_dict() for e in events]})


def target_sound_detection(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                           ) -> Output:
    """When the described sound occurs, or a clear no."""
    a = cast(QueryArgs, args)
    classes, found = cast(TargetDetector, backend).find(decode(media["audio"].path), a.query)
    data = {"query": a.query, "classes": classes, "events": [e.as_dict() for e in found]}
    return Output(text=_found_text(a.query, classes, found), data=data)


def sound_extraction(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                     ) -> Output:
    """Keep the described sound with a time–frequency mask; say what a mask cannot do."""
    a = cast(QueryArgs, args)
    classes, found, kept = cast(MaskExtractor, backend).extract(
        decode(media["audio"].path, 48_000), a.query)
    data = {"query": a.query, "classes": classes, "events": [e.as_dict() for e in found]}
    if kept is None:
        return Output(text=_found_text(a.query, classes, found) + " Nothing to extract.",
                      data=data)
    text = (f"I kept {a.query} ({_spans(found)}) and faded out the rest with a time–frequency "
            "mask. It is a mask, not a separator: other sounds at the same moments and "
            "pitches stay in, a little quieter.")
    return Output(files=[OutputFile(_voice_note(kept, work, "extracted"), Kind.AUDIO,
                                    _label(a.query))], text=text, data=data)


def audio_to_text(backend: Backend, args: Args, media: dict[str, Artifact], work: Path,
                  backends: BackendCache | None = None) -> Output:
    """A caption. The event captioner has the speech in it transcribed by the ASR backend;
    an audio-language model hears the words itself."""
    captioner = cast(Captioner, backend)
    transcriber = None
    if backends is not None and captioner.transcribes_speech:
        try:
            transcriber = cast(Transcriber, backends.for_task("speech_recognition", "en"))
        except BackendUnavailable:
            transcriber = None
    transcribe = (lambda audio: transcriber.transcribe(audio).text) if transcriber else None
    caption = captioner.describe(decode(media["audio"].path), transcribe)
    return Output(text=caption.text, data=caption.data)


def audio_inpainting(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                     ) -> Output:
    """Fill the gap between two times; the rest of the recording is unchanged."""
    a = cast(InpaintingArgs, args)
    filled, method = cast(Inpainter, backend).fill(decode(media["audio"].path, 48_000), a.start,
                                                   a.end)
    text = f"I filled {a.start:g}–{a.end:g} s ({(a.end - a.start) * 1000:.0f} ms) by {method}."
    return Output(files=[OutputFile(_voice_note(filled, work, "inpainted"), Kind.AUDIO,
                                    f"filled {a.start:g}–{a.end:g} s")], text=text)


def text_to_sound(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                  ) -> Output:
    """Music, or a sound effect or ambience, from a description (text_to_music,
    text_to_audio)."""
    a = cast(GenerateArgs, args)
    return _sound(cast(Generator, backend), a.prompt, a.duration, a.seed, work)


def image_to_audio(backend: Backend, args: Args, media: dict[str, Artifact], work: Path,
                   backends: BackendCache | None = None) -> Output:
    """The picture captioned, then the caption sounded out by the text_to_audio model."""
    a = cast(ImageToAudioArgs, args)
    missing = BackendUnavailable("the text_to_audio model, which turns the picture's caption "
                                 "into sound,", "audiogpt models pull text_to_audio")
    if backends is None:  # outside a worker there is no text_to_audio model to ask
        raise missing
    try:  # before the captioning, which would be wasted
        generator = cast(Generator, backends.for_task("text_to_audio"))
    except BackendUnavailable:
        raise missing from None
    caption = cast(ImageCaptioner, backend).caption(media["image"].path)
    made = _sound(generator, caption, a.duration, None, work)
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
    sound = ffmpeg_filter(wav, work / f"{stem}.mp3", [],
                          ["-c:a", "libmp3lame", "-b:a", MUSIC_BITRATE])
    text = None
    if duration > generator.max_seconds:
        text = (f"{generator.model} makes up to {generator.max_seconds:g} s at a time, so this "
                f"one is {generator.max_seconds:g} s long.")
    return Output(files=[OutputFile(sound, Kind.AUDIO, _label(prompt))], text=text,
                  data={"seconds": round(audio.duration, 2), "seed": seed})


def _found_text(query: str, classes: list[str], found: list[Event]) -> str:
    if not classes:
        return (f"I don't know a sound called “{query}”. Try a common name, such as "
                "“dog bark”, “siren” or “speech”.")
    if not found:
        return f"I didn't hear {query} in this recording (I listened for {', '.join(classes[:3])})."
    labels = ", ".join(dict.fromkeys(e.label for e in found))
    return f"{query[0].upper()}{query[1:]}: {_spans(found)} (heard as {labels})."


def _spans(events: list[Event]) -> str:
    return ", ".join(f"{e.start:.1f}–{e.end:.1f} s" for e in events)


BLIND_SEPARATION = (
    "Splitting speakers without knowing whose voice to keep needs the neural separation model "
    "(SepFormer), which is not installed. Install it with `audiogpt models pull "
    "speech_separation`. Or send a short clip of only the person you want together with the "
    "recording and say, for example, \"keep only the voice from a2\".")


def speech_separation(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                      ) -> Output:
    """Keep the reference speaker's voice, everything else as a second track; without a
    reference, one track per voice (a model that can tell voices apart unaided)."""
    a = cast(SeparationArgs, args)
    separator = cast(SpeakerSeparator, backend)
    if "reference" not in media and not separator.speakers:
        raise ModelNotInstalled(BLIND_SEPARATION)
    if a.speakers and separator.speakers and a.speakers > separator.speakers:
        raise Unsupported(f"{backend.model} tells {separator.speakers} voices apart, not "
                          f"{a.speakers}; send a clip of one person to keep just that voice")
    if "reference" not in media:
        return _voices_output(separator.separate(decode(media["audio"].path)), work)
    found = separator.extract(decode(media["audio"].path), decode(media["reference"].path))
    text = (f"The first track is the voice that matches {a.reference} (speaker similarity "
            f"{found.target_similarity:.2f}), the second everything else "
            f"({found.residual_similarity:.2f}).")
    if found.residual_similarity > found.target_similarity:
        text += f" The rest sounds closer to {a.reference}: is that person in the recording?"
    return Output(files=[
        OutputFile(_voice_note(found.target, work, "speaker"), Kind.AUDIO,
                   f"voice of {a.reference}"),
        OutputFile(_voice_note(found.residual, work, "rest"), Kind.AUDIO, "everything else"),
    ], text=text, data={"target_similarity": round(found.target_similarity, 3),
                        "residual_similarity": round(found.residual_similarity, 3)})


def _voices_output(tracks: list[Audio], work: Path) -> Output:
    files = [OutputFile(_voice_note(track, work, f"speaker{i}"), Kind.AUDIO, f"speaker {i}")
             for i, track in enumerate(tracks, start=1)]
    return Output(files=files, text=f"Here are the {len(tracks)} voices, one track each "
                  "(the order says nothing about who spoke first).",
                  data={"speakers": len(tracks)})


def _voice_note(audio: Audio, work: Path, stem: str) -> Path:
    """Samples to an OGG/Opus voice note in the work folder."""
    return encode_voice_note(write_wav(audio, work / f"{stem}.wav"), work / f"{stem}.ogg")


def _label(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


EXECUTORS: dict[str, Executor] = {
    "speech_recognition": speech_recognition,
    "speech_translation": speech_translation,
    "text_to_speech": text_to_speech,
    "speech_enhancement": process_audio,
    "style_transfer": style_transfer,
    "mono_to_binaural": mono_to_binaural,
    "audio_edit": audio_edit,
    "speech_separation": speech_separation,
    "sound_detection": sound_detection,
    "target_sound_detection": target_sound_detection,
    "sound_extraction": sound_extraction,
    "audio_to_text": audio_to_text,
    "audio_inpainting": audio_inpainting,
    "singing_synthesis": singing_synthesis,
    "talking_head": talking_head,
    "text_to_music": text_to_sound,
    "text_to_audio": text_to_sound,
    "image_to_audio": image_to_audio,
}


def executor_for(task: str, backends: BackendCache, batcher: AsrBatcher | None = None
                 ) -> Executor:
    """A task's executor; one that also runs another task's model gets the BackendCache,
    and speech recognition the batcher that gathers concurrent requests (if any)."""
    if task == "audio_to_text":
        return partial(audio_to_text, backends=backends)
    if task == "style_transfer":
        return partial(style_transfer, backends=backends)
    if task == "image_to_audio":
        return partial(image_to_audio, backends=backends)
    if task == "speech_recognition" and batcher is not None:
        return partial(speech_recognition, batcher=batcher)
    return EXECUTORS[task]
