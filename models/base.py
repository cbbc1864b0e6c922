"""What every backend is: a model (or a signal-processing method) serving one task; each
family's base (models/<family>/base.py) builds on it."""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from typing import ClassVar, Self

from core_agent.errors import BackendUnavailable, Unsupported
from models.settings import BARE, ModelSettings

_FOUND: set[str] = set()  # modules found once stay found; a missing one is looked for again


def _importable(module: str) -> bool:
    """Whether the module can be imported (searched for once it is found: every turn asks)."""
    if module in _FOUND:
        return True
    if importlib.util.find_spec(module) is None:
        return False
    _FOUND.add(module)
    return True


class Backend(ABC):
    """A model (or signal-processing method) that serves one task."""

    name: ClassVar[str]  # registry key, e.g. "faster-whisper-tiny-en"
    task: ClassVar[str]  # canonical task id
    model: ClassVar[str]  # what users know it as
    license: ClassVar[str]
    tier: ClassVar[str] = "embedded"  # embedded | neural
    prefers_gpu: ClassVar[bool] = False  # first of its tier with a GPU, last without one
    install_hint: ClassVar[str] = "pip install audiogpt"
    requires: ClassVar[tuple[str, ...]] = ()  # importable modules it needs
    languages: ClassVar[tuple[str, ...]] = ()  # ISO 639-1; empty means any
    settings: ModelSettings = BARE  # those it was created with

    @classmethod
    def installed(cls, settings: ModelSettings = BARE) -> bool:
        """Whether its packages and weights are present (cheap; loads nothing)."""
        return not cls.missing_modules()

    @classmethod
    def missing_modules(cls) -> list[str]:
        """The modules it imports (`requires`) that are not installed here."""
        return [m for m in cls.requires if not _importable(m)]

    @classmethod
    def create(cls, settings: ModelSettings = BARE) -> Backend:
        """An unloaded instance on these settings; BackendUnavailable naming the model and
        how to install it."""
        if not cls.installed(settings):
            raise BackendUnavailable(cls.model, cls.install_hint)
        return cls().with_settings(settings)

    def with_settings(self, settings: ModelSettings) -> Self:
        """This instance, created with these settings."""
        self.settings = settings
        return self

    @classmethod
    def speaks(cls, language: str | None) -> bool:
        """Whether it handles this language (None: whatever it is given)."""
        return not language or not cls.languages or language.lower() in cls.languages

    def check_language(self, language: str | None) -> None:
        """Guard: refuse a language the backend does not speak."""
        if not self.speaks(language):
            raise Unsupported(f"{self.model} handles {', '.join(self.languages)}, not {language}")

    @abstractmethod
    def load(self) -> None:
        """Load weights; called once per process, before first use."""
