"""The backends of text_to_speech, best first."""

from __future__ import annotations

from models.base import Backend
from models.text_to_speech.espeak import EspeakNG
from models.text_to_speech.kokoro import Kokoro
from models.text_to_speech.mms import MmsFrench, MmsGerman, MmsSpanish
from models.text_to_speech.piper import PiperJoe
from models.text_to_speech.piper_voices import VOICES

# Piper's voices ahead of MMS's for the same language: permissive licenses, faster.
BACKENDS: tuple[type[Backend], ...] = (
    *VOICES, Kokoro, MmsGerman, MmsFrench, MmsSpanish, PiperJoe, EspeakNG,)
