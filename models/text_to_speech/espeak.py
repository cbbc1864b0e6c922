"""espeak-ng text-to-speech: the embedded voice for languages the Piper voice doesn't speak.

Formant synthesis: robotic next to Piper, but it speaks over a hundred languages offline,
with voice variants ("alex", "f3", ...). Text goes in on stdin, never as an argument.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess

import numpy as np
import soundfile as sf

from core_agent.errors import MediaError, Unsupported
from media.audio import Audio
from models import stop
from models.settings import BARE, ModelSettings
from models.text_to_speech.base import Synthesizer

WORDS_PER_MINUTE = 165  # espeak-ng's rate at speed 1.0 (its own default is a hurried 175)
ALIASES = {"zh": "cmn", "no": "nb", "fr": "fr-fr"}  # ISO 639-1 to espeak-ng voice names
TIMEOUT = 120  # seconds


def _list(kind: str | None = None) -> list[list[str]]:
    """Rows of `espeak-ng --voices[=kind]`, header dropped."""
    flag = f"--voices={kind}" if kind else "--voices"
    out = subprocess.run(["espeak-ng", flag], capture_output=True, text=True, timeout=30,
                         check=True).stdout
    return [line.split() for line in out.splitlines()[1:] if line.strip()]


@functools.cache
def languages() -> frozenset[str]:
    """Every language code espeak-ng has a voice for ("de", "pt-br", ...)."""
    codes = {row[1] for row in _list()}
    return frozenset(codes | {c.split("-")[0] for c in codes} | set(ALIASES))


@functools.cache
def variants() -> frozenset[str]:
    """Voice variants that any language can take ("alex", "f3", "klatt", ...)."""
    return frozenset(field[3:].lower() for row in _list("variant") for field in row
                     if field.startswith("!v/"))


class EspeakNG(Synthesizer):
    """espeak-ng voices for every language it knows."""

    name = "espeak-ng"
    task = "text_to_speech"
    model = "espeak-ng formant voices (100+ languages)"
    license = "GPL-3.0 (espeak-ng, run as a separate program)"
    install_hint = "apt-get install espeak-ng"

    @classmethod
    def installed(cls, settings: ModelSettings = BARE) -> bool:
        return shutil.which("espeak-ng") is not None

    @classmethod
    def speaks(cls, language: str | None) -> bool:
        return not language or (cls.installed() and language.lower() in languages())

    @classmethod
    def offers(cls, voice: str) -> bool:
        return cls.installed() and voice.lower() in variants()

    def load(self) -> None:
        """Nothing to load: each call runs the espeak-ng program."""

    def synthesize(self, text: str, voice: str | None = None, speed: float = 1.0,
                   language: str = "en") -> Audio:
        code = language.lower()
        if not self.speaks(code):
            raise Unsupported(f"espeak-ng has no voice for the language {language!r}")
        name = ALIASES.get(code, code)
        if voice:
            if not self.offers(voice):
                raise Unsupported(f"there is no espeak-ng voice called {voice!r}; try one of "
                                  f"{', '.join(sorted(variants())[:8])}, …")
            name += f"+{voice.lower()}"
        rate = str(int(np.clip(WORDS_PER_MINUTE * speed, 80, 450)))
        child = subprocess.Popen(["espeak-ng", "-v", name, "-s", rate, "--stdout"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE)
        with child, stop.watching(child):  # a stopped step kills it
            try:
                out, err = child.communicate(text.encode(), timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                child.kill()
                raise
        stop.check()
        if child.returncode != 0 or not out:
            raise MediaError(f"espeak-ng failed: {err.decode(errors='replace')[:200]}")
        samples, rate_hz = sf.read(io.BytesIO(out), dtype="float32")
        if not np.any(samples):
            raise Unsupported("there was nothing speakable in the text")
        return Audio(samples, int(rate_hz))
