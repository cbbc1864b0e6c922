"""The whole catalog's stand-ins, by hub repository."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.neural.generation import tiny_audioldm2, tiny_blip, tiny_musicgen
from tests.neural.separation import tiny_sepformer
from tests.neural.sound import tiny_ast, tiny_clap, tiny_qwen2_audio
from tests.neural.speech_enhancement import random_metricgan
from tests.neural.speech_recognition import tiny_whisper_hf
from tests.neural.style_transfer import tiny_csm
from tests.neural.text_to_speech import random_kokoro, random_piper_voices, tiny_vits
from tests.neural.translation import tiny_seamless


def catalog_checkpoints() -> dict[str, Path]:
    """Tiny stand-ins for the checkpoints of the catalog, by hub repository."""
    from models.generation.audioldm2 import AudioLdm2
    from models.generation.blip_caption import BlipCaptioner
    from models.generation.musicgen import MusicGenSmall
    from models.separation.sepformer import SepFormerWsj02Mix
    from models.sound.ast_audioset import AstDetector
    from models.sound.clap import ClapTargetDetector
    from models.sound.qwen_audio import QwenAudioCaptioner
    from models.speech_enhancement.metricgan import MetricGanPlus
    from models.speech_recognition.openai_whisper import OpenAIWhisperTurbo
    from models.style_transfer.csm import CsmVoiceClone
    from models.text_to_speech.kokoro import Kokoro
    from models.text_to_speech.mms import MmsFrench, MmsGerman, MmsSpanish
    from models.text_to_speech.piper_voices import REPO
    from models.translation.seamless import SeamlessTranslate

    built: dict[str, Callable[[], Path]] = {
        AstDetector.entry.repo: tiny_ast, MusicGenSmall.entry.repo: tiny_musicgen,
        ClapTargetDetector.entry.repo: tiny_clap, REPO: random_piper_voices,
        MetricGanPlus.entry.repo: random_metricgan, QwenAudioCaptioner.entry.repo: tiny_qwen2_audio,
        CsmVoiceClone.entry.repo: tiny_csm, SepFormerWsj02Mix.entry.repo: tiny_sepformer,
        SeamlessTranslate.entry.repo: tiny_seamless, AudioLdm2.entry.repo: tiny_audioldm2,
        BlipCaptioner.entry.repo: tiny_blip, Kokoro.entry.repo: random_kokoro,
        OpenAIWhisperTurbo.entry.repo: tiny_whisper_hf,
    } | {voice.entry.repo: tiny_vits for voice in (MmsGerman, MmsFrench, MmsSpanish)}
    return {repo: build() for repo, build in built.items()}
