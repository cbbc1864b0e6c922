"""Backends by task id, in order of preference: which backend serves a task, and which of
them are installed here."""

from __future__ import annotations

import sys
from pathlib import Path

from models.audio_edit.ffmpeg_edit import FfmpegEdit
from models.base import Backend
from models.binaural.sofa_hrtf import SofaHrtf
from models.binaural.spherical_head import SphericalHead
from models.catalog.checkpoints import torch_device
from models.generation.audioldm2 import AudioLdm2
from models.generation.blip_caption import BlipCaptioner
from models.generation.musicgen import MusicGenSmall
from models.inpainting.audioldm2 import AudioLdm2Inpaint
from models.inpainting.lpc import LpcInpaint
from models.separation.sepformer import SepFormerWsj02Mix
from models.separation.voicefilter import VoiceFilter
from models.singing.diffsinger import DiffSingerOnnx
from models.singing.world import WorldSinger
from models.sound.ast_audioset import AstDetector
from models.sound.clap import ClapMask, ClapTargetDetector
from models.sound.event_caption import EventCaptioner
from models.sound.qwen_audio import QwenAudioCaptioner
from models.sound.yamnet import YamnetDetector, YamnetMask, YamnetTargetDetector
from models.speech_enhancement.metricgan import MetricGanPlus
from models.speech_enhancement.spectral_gate import SpectralGate
from models.speech_recognition.openai_whisper import OpenAIWhisperTurbo
from models.speech_recognition.whisper_tiny_en import FasterWhisperTinyEn
from models.speech_recognition.whisper_turbo import WhisperTurbo
from models.style_transfer.csm import CsmVoiceClone
from models.style_transfer.world import WorldStyle
from models.talking_head.cascade import CascadeTalkingHead
from models.talking_head.wav2lip import Wav2LipTalkingHead
from models.text_to_speech.base import Synthesizer
from models.text_to_speech.espeak import EspeakNG
from models.text_to_speech.kokoro import Kokoro
from models.text_to_speech.mms import MmsFrench, MmsGerman, MmsSpanish
from models.text_to_speech.piper import PiperJoe
from models.text_to_speech.piper_voices import VOICES
from models.translation.seamless import SeamlessTranslate
from models.translation.whisper import WhisperTranslate

# Each task's backends in order of preference, neural before embedded. On a GPU a backend
# that prefers one moves to the front of its tier; without one, to its back.
BY_TASK: dict[str, tuple[type[Backend], ...]] = {
    # openai-whisper's engine is for GPUs (torch's own CUDA); faster-whisper's for CPUs.
    "speech_recognition": (WhisperTurbo, OpenAIWhisperTurbo, FasterWhisperTinyEn),
    # English to Whisper; SeamlessM4T writes the other languages.
    "speech_translation": (WhisperTranslate, SeamlessTranslate),
    # Piper's voices ahead of MMS's for the same language: permissive licenses, faster.
    "text_to_speech": (*VOICES, Kokoro, MmsGerman, MmsFrench, MmsSpanish, PiperJoe, EspeakNG),
    "style_transfer": (CsmVoiceClone, WorldStyle),
    "speech_enhancement": (MetricGanPlus, SpectralGate),
    "speech_separation": (SepFormerWsj02Mix, VoiceFilter),
    # Measured HRTFs, once a SOFA file is installed, in place of the spherical-head model.
    "mono_to_binaural": (SofaHrtf, SphericalHead),
    "audio_inpainting": (AudioLdm2Inpaint, LpcInpaint),
    "sound_extraction": (ClapMask, YamnetMask),
    "target_sound_detection": (ClapTargetDetector, YamnetTargetDetector),
    "sound_detection": (AstDetector, YamnetDetector),
    "talking_head": (Wav2LipTalkingHead, CascadeTalkingHead),
    "text_to_audio": (AudioLdm2,),
    "audio_to_text": (QwenAudioCaptioner, EventCaptioner),
    "image_to_audio": (BlipCaptioner,),
    "singing_synthesis": (DiffSingerOnnx, WorldSinger),
    "text_to_music": (MusicGenSmall,),
    "audio_edit": (FfmpegEdit,),
}
BACKENDS: dict[str, type[Backend]] = {cls.name: cls for row in BY_TASK.values() for cls in row}


def cuda_present(import_torch: bool = False) -> bool:
    """Whether torch sees a GPU. Unless told to import torch (a second and 180 MB), only a
    torch this process already imported is asked: routing and listings never load it."""
    if import_torch:
        return torch_device() == "cuda"
    torch = sys.modules.get("torch")
    return torch is not None and bool(torch.cuda.is_available())


def backends_for(task: str, has_cuda: bool | None = None) -> list[type[Backend]]:
    """Every backend that serves a task, preferred first: in BY_TASK's order, and within a
    tier those that prefer a GPU first where there is one, last where there is none
    (`has_cuda` None: cuda_present())."""
    cuda = cuda_present() if has_cuda is None else has_cuda
    return sorted(BY_TASK.get(task, ()),
                  key=lambda cls: (cls.tier != "neural", cls.prefers_gpu != cuda))


def usable_backends(task: str, models_dir: Path | None, language: str | None = None,
                    voice: str | None = None, ask_torch: bool = False) -> list[type[Backend]]:
    """The installed backends of a task that handle the language, best first: of a voice's
    task, those that have the voice named ahead of the rest. Where an installed one prefers
    a GPU, `ask_torch` imports torch to see whether there is one (a worker about to run the
    job); otherwise only a torch already imported is asked (routing, listings)."""
    usable = [cls for cls in backends_for(task)  # `speaks` first: it is cheap, `installed`
              if cls.speaks(language) and cls.installed(models_dir)]  # looks on disk
    if ask_torch and any(cls.prefers_gpu for cls in usable):
        order = backends_for(task, cuda_present(import_torch=True))
        usable.sort(key=order.index)
    if voice:  # stable: preference order among those that have it, then the rest
        usable.sort(key=lambda cls: not (issubclass(cls, Synthesizer) and cls.offers(voice)))
    return usable
