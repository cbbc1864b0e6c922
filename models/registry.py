"""Backends by task id, in order of preference: which backend serves a task, and which of
them are installed here. Each task's folder lists its own (`tasks/<task>/backends.py`)."""

from __future__ import annotations

import sys

from models.base import Backend
from models.catalog.checkpoints import torch_device
from models.settings import ModelSettings
from models.text_to_speech.base import Synthesizer
from tasks import ORDER, part_of


def _backends(task: str) -> tuple[type[Backend], ...]:
    backends = part_of(task, "backends", "BACKENDS")
    assert isinstance(backends, tuple) and all(issubclass(b, Backend) for b in backends), task
    return backends


# Each task's backends in order of preference (its folder's backends.py), neural before
# embedded. On a GPU a backend that prefers one moves to the front of its tier; without one,
# to its back.
BY_TASK: dict[str, tuple[type[Backend], ...]] = {task: _backends(task) for task in ORDER}
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


def usable_backends(task: str, settings: ModelSettings, language: str | None = None,
                    voice: str | None = None, ask_torch: bool = False) -> list[type[Backend]]:
    """The installed backends of a task that handle the language, best first: of a voice's
    task, those that have the voice named ahead of the rest. Where an installed one prefers
    a GPU, `ask_torch` imports torch to see whether there is one (a worker about to run the
    job); otherwise only a torch already imported is asked (routing, listings)."""
    usable = [cls for cls in backends_for(task)  # `speaks` first: it is cheap, `installed`
              if cls.speaks(language) and cls.installed(settings)]  # looks on disk
    if ask_torch and any(cls.prefers_gpu for cls in usable):
        order = backends_for(task, cuda_present(import_torch=True))
        usable.sort(key=order.index)
    if voice:  # stable: preference order among those that have it, then the rest
        usable.sort(key=lambda cls: not (issubclass(cls, Synthesizer) and cls.offers(voice)))
    return usable
