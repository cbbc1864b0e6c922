"""The task registry: every canonical task id, its typed arguments, inputs and outputs.

Argument models double as JSON Schema for LLM tool calling. Media arguments are
references (an artifact handle like "a3", or "step1" for an earlier step's output).
Each entry also holds the facts adapters show a task by (whether its sound is a voice,
how a command menu words it), so no adapter compares task ids. Which backends serve a
task is `models.registry`'s business.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from core_agent.errors import InputRejected, TaskUnsupported
from core_agent.types import Artifact, Kind

REF_HELP = "Artifact handle such as 'a3', or 'step1' for the output of step 1 of this plan."
MAX_QUANTITY = 1e6  # seconds, degrees, factors, decibels...: no argument comes near it
MAX_INTEGER = 2**32 - 1  # seeds: what sampling libraries take


class Args(BaseModel):
    """Base for task arguments: unknown keys are rejected, not silently dropped, and every
    number must be finite and of a sensible size, whatever the field's own bounds."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _sized(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value
        limit = MAX_INTEGER if isinstance(value, int) else MAX_QUANTITY
        if abs(value) > limit:
            raise PydanticCustomError("number_too_large", f"Input should be between "
                                      f"-{limit:,.0f} and {limit:,.0f}")
        return value


def Ref(description: str = REF_HELP, **default: Any) -> Any:
    """A field holding a media reference."""
    return Field(description=description, pattern=r"^(a\d+|step\d+)$", **default)


class AudioIn(Args):
    audio: str = Ref()


class SpeechRecognitionArgs(AudioIn):
    language: str | None = Field(None, description="ISO 639-1 code; None detects it.")
    word_timestamps: bool = False


class SpeechTranslationArgs(AudioIn):
    target_language: str = Field("en", description="ISO 639-1 code of the output text.")
    source_language: str | None = None

    @property
    def language(self) -> str:
        """The language the step is served in, which picks its backend: the target."""
        return self.target_language


class TextToSpeechArgs(Args):
    text: str = Field(min_length=1, max_length=4000)
    voice: str | None = Field(None, description="Voice name; None is the default voice.")
    speed: float = Field(1.0, ge=0.25, le=4.0, description="1.0 normal, 0.8 slower, 1.25 faster.")
    pitch: float = Field(0.0, ge=-12, le=12, description="Pitch shift in semitones.")
    language: str = "en"


class StyleTransferArgs(Args):
    text: str = Field(min_length=1, max_length=4000)
    reference: str = Ref("Handle of the recording whose voice to imitate.")
    seed: int | None = None  # a sampling voice cloner says it the same way again


class SeparationArgs(AudioIn):
    speakers: int | None = Field(None, ge=2, le=8)
    reference: str | None = Ref(
        "Handle of a clip of only the wanted speaker: keeps that voice and drops the rest.",
        default=None)


class BinauralArgs(AudioIn):
    azimuth: float | None = Field(
        None, ge=-180, le=180,
        description="Degrees: 0 ahead, 90 right, -90 left, 180 behind; None circles the head.")
    elevation: float = Field(0.0, ge=-90, le=90, description="Degrees above the horizon.")
    distance: float = Field(1.0, ge=0.25, le=50, description="Metres from the listener.")


class InpaintingArgs(AudioIn):
    start: float = Field(ge=0, description="Gap start in seconds.")
    end: float = Field(gt=0, description="Gap end in seconds.")


class QueryArgs(AudioIn):
    query: str = Field(min_length=1, description="The sound described in words, e.g. 'dog bark'.")


class TalkingHeadArgs(AudioIn):
    image: str | None = Ref("Handle of the portrait; None uses the default face.", default=None)


class GenerateArgs(Args):
    prompt: str = Field(min_length=1, max_length=1000)
    duration: float = Field(5.0, gt=0, le=60, description="Seconds.")
    seed: int | None = None


class ImageToAudioArgs(Args):
    image: str = Ref()
    duration: float = Field(5.0, gt=0, le=60)


class SingingArgs(Args):
    lyrics: str | None = Field(None, description="The words; a score's own words if empty.")
    notes: str | None = Field(None, description="Note names, e.g. 'C4 D4 E4'.")
    durations: str | None = Field(None, description="Beats per note, e.g. '0.5 0.5 1'.")
    melody: str | None = Field(None, description="A known tune, e.g. 'happy birthday'.")
    recipient: str | None = Field(None, description="Who the song is for: their name goes "
                                  "into the tune's words ('happy birthday dear Anna').")
    tempo: float | None = Field(None, ge=30, le=240, description="Beats per minute.")
    score: str | None = Ref("Handle of a MIDI or MusicXML file to sing from.", default=None)


class AudioEditArgs(AudioIn):
    operation: Literal["trim", "speed", "pitch", "volume", "fade", "reverse", "convert",
                       "normalize", "concat", "mix", "echo", "reverb"]
    start: float | None = Field(None, ge=0, description="Seconds (trim).")
    end: float | None = Field(None, gt=0, description="Seconds (trim).")
    factor: float | None = Field(None, gt=0.25, le=4.0, description="Speed factor (speed).")
    semitones: float | None = Field(None, ge=-12, le=12, description="(pitch)")
    gain_db: float | None = Field(None, ge=-40, le=40, description="(volume)")
    fade_seconds: float | None = Field(None, gt=0, le=30, description="(fade)")
    format: Literal["ogg", "mp3", "wav", "flac", "m4a"] | None = None
    other: str | None = Ref("Second recording: concat plays it after the first, mix lays it "
                            "under the first (ducked while the first sounds).", default=None)
    loudness: float | None = Field(None, ge=-40, le=-5,
                                   description="Target LUFS (normalize): -16 voice, -23 EBU R128.")
    reverb_seconds: float | None = Field(None, gt=0, le=10, description="RT60 (reverb).")


class Voice(StrEnum):
    """The human voice a task's sound is."""

    SPEECH = "speech"  # sent as a voice note, as a person's words would be
    SINGING = "singing"


@dataclass(frozen=True)
class Command:
    """How a command menu (Discord's slash commands) offers a task: the command's name,
    the request it stands for, worded the way people ask for the task ("{text}" is where
    the command's text goes), and what that text is."""

    name: str
    request: str
    text_help: str = ""


@dataclass(frozen=True)
class TaskSpec:
    """One capability the bot offers."""

    id: str
    title: str
    description: str
    args: type[Args]
    inputs: tuple[Kind, ...]
    outputs: tuple[Kind, ...]
    command: Command
    voice: Voice | None = None  # its sound is a voice: shown as recording one while it runs

    @property
    def speaks(self) -> bool:
        """Its sound is speech: it goes out as a voice note."""
        return self.voice == Voice.SPEECH

    def validate(self, args: dict[str, Any]) -> Args:
        """Typed arguments, or TaskUnsupported naming what is wrong."""
        try:
            return self.args.model_validate(args)
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'args'}: {e['msg']}" for e in err.errors()
            )
            raise TaskUnsupported(f"Bad arguments for {self.id}: {problems}") from err

    def tool_schema(self) -> dict[str, Any]:
        """The OpenAI tool-calling definition of this task."""
        schema = self.args.model_json_schema()
        schema.pop("title", None)
        return {
            "type": "function",
            "function": {"name": self.id, "description": self.description, "parameters": schema},
        }


A, V, IMG, T = Kind.AUDIO, Kind.VIDEO, Kind.IMAGE, Kind.TEXT

TASKS: dict[str, TaskSpec] = {
    spec.id: spec
    for spec in [
        TaskSpec("speech_recognition", "Transcribe speech",
                 "Transcribe the speech in an audio or video recording to text.",
                 SpeechRecognitionArgs, (A,), (T,), Command("transcribe", "transcribe this")),
        TaskSpec("speech_translation", "Translate speech",
                 "Translate speech in one language into text in another language.",
                 SpeechTranslationArgs, (A,), (T,),
                 Command("translate", "translate this speech into {text}",
                         "the language to translate into, e.g. English")),
        TaskSpec("text_to_speech", "Speak text",
                 "Read text aloud as speech, with voice, speed, pitch and language controls.",
                 TextToSpeechArgs, (), (A,),
                 Command("speak", "read this aloud: {text}", "what to say"), Voice.SPEECH),
        TaskSpec("style_transfer", "Speak in a given voice",
                 "Speak text in the voice and style of a reference recording.",
                 StyleTransferArgs, (A,), (A,),
                 Command("mimic", "say this in the voice from the recording: {text}",
                         "what the voice should say"), Voice.SPEECH),
        TaskSpec("speech_enhancement", "Clean up speech",
                 "Remove noise and hum from a speech recording.",
                 AudioIn, (A,), (A,),
                 Command("enhance", "remove the background noise from this")),
        TaskSpec("speech_separation", "Separate speakers",
                 "Split a recording of several people talking into one track per speaker.",
                 SeparationArgs, (A,), (A,),
                 Command("separate", "separate the voices in this recording")),
        TaskSpec("mono_to_binaural", "Make binaural",
                 "Turn mono audio into binaural (spatial, two-channel) audio for headphones.",
                 BinauralArgs, (A,), (A,),
                 Command("binaural", "convert this to binaural audio")),
        TaskSpec("audio_inpainting", "Fill a gap",
                 "Fill in a missing or damaged region of audio between two times.",
                 InpaintingArgs, (A,), (A,),
                 Command("inpaint", "fill in the gap {text}",
                         "where the gap is, e.g. between 2 and 3 seconds")),
        TaskSpec("sound_extraction", "Extract a sound",
                 "Isolate the sound described in words from a mixture.",
                 QueryArgs, (A,), (A,),
                 Command("extract", "extract the {text} from this recording",
                         "the sound to keep, e.g. birdsong")),
        TaskSpec("target_sound_detection", "Find a sound",
                 "Find when a described sound occurs in a recording (timestamps).",
                 QueryArgs, (A,), (T,),
                 Command("find", "when does the {text} occur in this",
                         "the sound to find, e.g. a doorbell")),
        TaskSpec("sound_detection", "Detect sounds",
                 "List which sound events occur in a recording and when.",
                 AudioIn, (A,), (T,),
                 Command("detect", "what sounds can you detect in this")),
        TaskSpec("talking_head", "Talking head video",
                 "Make a video of a face speaking the given audio.",
                 TalkingHeadArgs, (A, IMG), (V,),
                 Command("animate", "make a talking head video of this")),
        TaskSpec("text_to_audio", "Generate a sound",
                 "Generate a sound effect or ambience from a text description.",
                 GenerateArgs, (), (A,),
                 Command("sound", "generate the sound of {text}",
                         "the sound, e.g. rain on a tin roof")),
        TaskSpec("audio_to_text", "Describe audio",
                 "Write a caption describing what can be heard in a recording.",
                 AudioIn, (A,), (T,),
                 Command("describe", "describe what can be heard in this recording")),
        TaskSpec("image_to_audio", "Sound for an image",
                 "Generate a sound that matches a picture.",
                 ImageToAudioArgs, (IMG,), (A,),
                 Command("picture-sound", "make a sound that matches this picture")),
        TaskSpec("singing_synthesis", "Sing",
                 "Sing lyrics, optionally to given notes and durations or a known melody.",
                 SingingArgs, (Kind.FILE,), (A,),
                 Command("sing", "sing {text}", "the lyrics"), Voice.SINGING),
        TaskSpec("text_to_music", "Generate music",
                 "Compose a piece of music from a text description.",
                 GenerateArgs, (), (A,),
                 Command("music", "compose music: {text}", "the music, e.g. calm piano at dawn")),
        TaskSpec("audio_edit", "Edit audio",
                 "Trim, change speed or pitch, change volume, normalise loudness, fade, "
                 "reverse, add echo or reverb, join or mix two recordings, or convert audio.",
                 AudioEditArgs, (A,), (A,),
                 Command("edit", "{text}", "the edit, e.g. trim to the first 5 seconds")),
    ]
}


def get_task(task_id: str) -> TaskSpec:
    """The spec for a task id, or TaskUnsupported."""
    try:
        return TASKS[task_id]
    except KeyError:
        raise TaskUnsupported(
            f"I don't know a task called {task_id!r}. Known tasks: {', '.join(TASKS)}."
        ) from None


def made_by(artifact: Artifact) -> TaskSpec | None:
    """The task whose job made an artifact; None for uploads."""
    return TASKS.get(artifact.producer.removeprefix("job:")) \
        if artifact.producer.startswith("job:") else None


def plan_too_long(steps: int, cap: int) -> InputRejected:
    """The refusal of a request for more steps than one message may ask for."""
    return InputRejected(f"That asks for {steps} steps; I do up to {cap} in one message. "
                         "Split it into smaller requests.", code="plan-too-long")


def media_refs(spec: TaskSpec, args: Args) -> dict[str, str]:
    """The media-reference arguments of a step, by argument name."""
    return {
        name: value
        for name, info in spec.args.model_fields.items()
        if info.metadata and any(getattr(m, "pattern", None) for m in info.metadata)
        and isinstance(value := getattr(args, name), str)
    }


def capabilities_text() -> str:
    """What the bot can do, for greetings, /help and declined requests."""
    lines = [f"• {spec.title}: {spec.description[0].lower()}{spec.description[1:]}"
             for spec in TASKS.values()]
    return "I work with audio. Send a voice note or a file, or ask me to:\n" + "\n".join(lines)
