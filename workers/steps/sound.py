"""Steps on sounds: what is heard and when, one sound kept, a caption, a gap filled."""

from __future__ import annotations

from core_agent.tasks import AudioIn, InpaintingArgs, QueryArgs
from core_agent.types import Kind
from media.decode import decode
from models.errors import BackendUnavailable
from models.inpainting.base import Inpainter
from models.sound.base import Captioner, MaskExtractor, SoundDetector, TargetDetector
from models.sound.events import Event
from models.sound.plots import event_picture
from models.speech_recognition.base import Transcriber
from workers.steps.base import Inputs, Output, OutputFile, backend_of, label, voice_note


def sound_detection(detector: SoundDetector, a: AudioIn, given: Inputs) -> Output:
    """Which sounds occur and when: a list to read, the events as data, and a picture."""
    audio = decode(given.media["audio"].path)
    _, events = detector.events(audio)
    picture = event_picture(audio.samples, events, given.work / "sound-events.png")
    lines = [f"{e.start:.1f}–{e.end:.1f} s {e.label} ({e.score:.2f})" for e in events]
    text = "I heard:\n" + "\n".join(lines) if lines else "I couldn't make out any sound events."
    return Output(files=[OutputFile(picture, Kind.IMAGE, "sound events")], text=text,
                  data={"events": [e.as_dict() for e in events]})


def target_sound_detection(detector: TargetDetector, a: QueryArgs, given: Inputs) -> Output:
    """When the described sound occurs, or a clear no."""
    classes, found = detector.find(decode(given.media["audio"].path), a.query)
    data = {"query": a.query, "classes": classes, "events": [e.as_dict() for e in found]}
    return Output(text=_found_text(a.query, classes, found), data=data)


def sound_extraction(extractor: MaskExtractor, a: QueryArgs, given: Inputs) -> Output:
    """Keep the described sound with a time–frequency mask; say what a mask cannot do."""
    classes, found, kept = extractor.extract(decode(given.media["audio"].path, 48_000), a.query)
    data = {"query": a.query, "classes": classes, "events": [e.as_dict() for e in found]}
    if kept is None:
        return Output(text=_found_text(a.query, classes, found) + " Nothing to extract.",
                      data=data)
    text = (f"I kept {a.query} ({_spans(found)}) and faded out the rest with a time–frequency "
            "mask. It is a mask, not a separator: other sounds at the same moments and "
            "pitches stay in, a little quieter.")
    return Output(files=[OutputFile(voice_note(kept, given.work, "extracted"), Kind.AUDIO,
                                    label(a.query))], text=text, data=data)


def audio_to_text(captioner: Captioner, a: AudioIn, given: Inputs) -> Output:
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


def audio_inpainting(inpainter: Inpainter, a: InpaintingArgs, given: Inputs) -> Output:
    """Fill the gap between two times; the rest of the recording is unchanged."""
    filled, method = inpainter.fill(decode(given.media["audio"].path, 48_000), a.start, a.end)
    text = f"I filled {a.start:g}–{a.end:g} s ({(a.end - a.start) * 1000:.0f} ms) by {method}."
    return Output(files=[OutputFile(voice_note(filled, given.work, "inpainted"), Kind.AUDIO,
                                    f"filled {a.start:g}–{a.end:g} s")], text=text)


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
