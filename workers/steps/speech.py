"""Steps on speech: recognition, translation, speaking, voices, cleaning, separating."""

from __future__ import annotations

from core_agent.errors import ModelNotInstalled
from core_agent.tasks import (
    AudioIn,
    SeparationArgs,
    SpeechRecognitionArgs,
    SpeechTranslationArgs,
    StyleTransferArgs,
    TextToSpeechArgs,
)
from core_agent.types import Kind
from media.audio import ASR_RATE, Audio, to_16k
from media.decode import decode
from media.encode import encode_voice_note, ffmpeg_filter, write_wav
from models.audio_edit.ffmpeg_edit import pitch_chain
from models.cache import BackendCache
from models.errors import BackendUnavailable, Unsupported
from models.separation.base import SpeakerSeparator
from models.speech_enhancement.base import AudioProcessor
from models.speech_recognition.base import Transcriber, Transcript
from models.style_transfer.base import VoiceCloner
from models.text_to_speech.base import Synthesizer
from models.translation.base import Translator
from workers.steps.base import Inputs, Output, OutputFile, backend_of, label, voice_note


def speech_recognition(asr: Transcriber, a: SpeechRecognitionArgs, given: Inputs) -> Output:
    """Transcribe the audio track of a recording (with others at once, given a batcher)."""
    audio = decode(given.media["audio"].path)
    if given.batcher is not None:
        transcript = given.batcher.transcribe(asr, audio, a.language, a.word_timestamps)
    else:
        transcript = asr.transcribe(audio, a.language, a.word_timestamps)
    return _transcript_output(transcript)


def speech_translation(translator: Translator, a: SpeechTranslationArgs, given: Inputs
                       ) -> Output:
    """Speech in one language to text in another, by a translator that writes the target
    (the runtime picked it by the target language)."""
    return _transcript_output(translator.translate(
        decode(given.media["audio"].path), a.target_language, a.source_language))


def _transcript_output(transcript: Transcript) -> Output:
    segments = [{"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text}
                for s in transcript.segments]
    return Output(text=transcript.text, data={"language": transcript.language,
                                              "segments": segments})


def text_to_speech(tts: Synthesizer, a: TextToSpeechArgs, given: Inputs) -> Output:
    """Speak text and deliver it as an OGG/Opus voice note."""
    audio = tts.synthesize(a.text, a.voice, a.speed, a.language)
    wav = write_wav(audio, given.work / "speech.wav")
    if a.pitch:
        wav = ffmpeg_filter(wav, given.work / "pitched.wav",
                            pitch_chain(a.pitch, audio.sample_rate))
    note = encode_voice_note(wav, given.work / "speech.ogg")
    return Output(files=[OutputFile(note, Kind.AUDIO, label(a.text))])


def process_audio(processor: AudioProcessor, a: AudioIn, given: Inputs) -> Output:
    """Audio in, audio out, for every AudioProcessor task."""
    tracks = processor.process(decode(given.media["audio"].path, 48_000))
    files = []
    for i, track in enumerate(tracks, start=1):
        name = f"track {i}" if len(tracks) > 1 else ""
        files.append(OutputFile(voice_note(track, given.work, f"out{i}"), Kind.AUDIO, name))
    return Output(files=files)


def style_transfer(cloner: VoiceCloner, a: StyleTransferArgs, given: Inputs) -> Output:
    """Speak the text in (or toward) the reference recording's voice; a voice note out. A
    cloner that must know the reference's words has them heard by the ASR backend."""
    reference = cloner.reference_clip(decode(given.media["reference"].path,
                                             cloner.reference_rate))
    transcript = _words_of(reference, given.backends) if cloner.needs_transcript else None
    audio = cloner.speak_like(a.text, reference, transcript, a.seed)
    return Output(files=[OutputFile(voice_note(audio, given.work, "styled"), Kind.AUDIO,
                                    label(a.text))],
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


BLIND_SEPARATION = (
    "Splitting speakers without knowing whose voice to keep needs the neural separation model "
    "(SepFormer), which is not installed. Install it with `audiogpt models pull "
    "speech_separation`. Or send a short clip of only the person you want together with the "
    "recording and say, for example, \"keep only the voice from a2\".")


def speech_separation(separator: SpeakerSeparator, a: SeparationArgs, given: Inputs
                      ) -> Output:
    """Keep the reference speaker's voice, everything else as a second track; without a
    reference, one track per voice (a model that can tell voices apart unaided)."""
    media, work = given.media, given.work
    if "reference" not in media and not separator.speakers:
        raise ModelNotInstalled(BLIND_SEPARATION)
    if a.speakers and separator.speakers and a.speakers > separator.speakers:
        raise Unsupported(f"{separator.model} tells {separator.speakers} voices apart, not "
                          f"{a.speakers}; send a clip of one person to keep just that voice")
    if "reference" not in media:
        return _voices_output(separator.separate(decode(media["audio"].path)), given)
    found = separator.extract(decode(media["audio"].path), decode(media["reference"].path))
    text = (f"The first track is the voice that matches {a.reference} (speaker similarity "
            f"{found.target_similarity:.2f}), the second everything else "
            f"({found.residual_similarity:.2f}).")
    if found.residual_similarity > found.target_similarity:
        text += f" The rest sounds closer to {a.reference}: is that person in the recording?"
    return Output(files=[
        OutputFile(voice_note(found.target, work, "speaker"), Kind.AUDIO,
                   f"voice of {a.reference}"),
        OutputFile(voice_note(found.residual, work, "rest"), Kind.AUDIO, "everything else"),
    ], text=text, data={"target_similarity": round(found.target_similarity, 3),
                        "residual_similarity": round(found.residual_similarity, 3)})


def _voices_output(tracks: list[Audio], given: Inputs) -> Output:
    files = [OutputFile(voice_note(track, given.work, f"speaker{i}"), Kind.AUDIO, f"speaker {i}")
             for i, track in enumerate(tracks, start=1)]
    return Output(files=files, text=f"Here are the {len(tracks)} voices, one track each "
                  "(the order says nothing about who spoke first).",
                  data={"speakers": len(tracks)})
