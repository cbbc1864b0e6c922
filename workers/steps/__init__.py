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
from models.audio_edit.base import FileEditor
from models.base import Backend
from models.binaural.base import BinauralRenderer
from models.cache import BackendCache
from models.generation.base import Generator, ImageCaptioner
from models.inpainting.base import Inpainter
from models.separation.base import SpeakerSeparator
from models.singing.base import Singer
from models.sound.base import Captioner, MaskExtractor, SoundDetector, TargetDetector
from models.speech_enhancement.base import AudioProcessor
from models.speech_recognition.base import Transcriber
from models.speech_recognition.batching import AsrBatcher
from models.style_transfer.base import VoiceCloner
from models.talking_head.base import TalkingHead
from models.text_to_speech.base import Synthesizer
from models.translation.base import Translator
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
