"""One step per task: the backend family and argument model it takes, resolved media in,
files and text out. Executors are synchronous (models block) and run in a worker thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from core_agent.tasks import (
    Args,
    AudioEditArgs,
    AudioIn,
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
from core_agent.types import Artifact
from models.asr_batch import AsrBatcher
from models.base import (
    AudioProcessor,
    Backend,
    BinauralRenderer,
    FileEditor,
    Generator,
    ImageCaptioner,
    Inpainter,
    Singer,
    SpeakerSeparator,
    Synthesizer,
    TalkingHead,
    Transcriber,
    Translator,
    VoiceCloner,
)
from models.registry import BackendCache
from models.sound_caption import Captioner
from models.sound_events import SoundDetector, TargetDetector
from models.sound_mask import MaskExtractor
from workers.steps import making, sound, speech
from workers.steps.base import Inputs, Output, OutputFile, Step

__all__ = ["EXECUTORS", "Executor", "Output", "OutputFile", "executor_for"]

EXECUTORS: dict[str, Step[Any, Any]] = {
    "speech_recognition": Step(Transcriber, SpeechRecognitionArgs, speech.speech_recognition),
    "speech_translation": Step(Translator, SpeechTranslationArgs, speech.speech_translation),
    "text_to_speech": Step(Synthesizer, TextToSpeechArgs, speech.text_to_speech),
    "speech_enhancement": Step(AudioProcessor, AudioIn, speech.process_audio),
    "style_transfer": Step(VoiceCloner, StyleTransferArgs, speech.style_transfer),
    "speech_separation": Step(SpeakerSeparator, SeparationArgs, speech.speech_separation),
    "mono_to_binaural": Step(BinauralRenderer, BinauralArgs, making.mono_to_binaural),
    "audio_edit": Step(FileEditor, AudioEditArgs, making.audio_edit),
    "sound_detection": Step(SoundDetector, AudioIn, sound.sound_detection),
    "target_sound_detection": Step(TargetDetector, QueryArgs, sound.target_sound_detection),
    "sound_extraction": Step(MaskExtractor, QueryArgs, sound.sound_extraction),
    "audio_to_text": Step(Captioner, AudioIn, sound.audio_to_text),
    "audio_inpainting": Step(Inpainter, InpaintingArgs, sound.audio_inpainting),
    "singing_synthesis": Step(Singer, SingingArgs, making.singing_synthesis),
    "talking_head": Step(TalkingHead, TalkingHeadArgs, making.talking_head),
    "text_to_music": Step(Generator, GenerateArgs, making.text_to_sound),
    "text_to_audio": Step(Generator, GenerateArgs, making.text_to_sound),
    "image_to_audio": Step(ImageCaptioner, ImageToAudioArgs, making.image_to_audio),
}

Executor = Callable[[Backend, Args, dict[str, Artifact], Path], Output]


def executor_for(task: str, backends: BackendCache | None = None,
                 batcher: AsrBatcher | None = None) -> Executor:
    """A task's step, bound to the process's other models (for steps that run two) and
    the batcher that gathers concurrent speech recognition (if any)."""
    step = EXECUTORS[task]

    def execute(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                ) -> Output:
        return step(backend, args, Inputs(media, work, backends, batcher))

    return execute
