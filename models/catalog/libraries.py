"""The neural catalog's own Python libraries: which ones backends lack, and installing them.

The embedded tier's libraries come with the install; the neural catalog's are the
package's `neural` extra, read from its installed metadata so the list lives in
pyproject.toml alone.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from collections.abc import Iterable

from packaging.requirements import Requirement

from models.base import Backend

DISTRIBUTION = "audiogpt"
EXTRA = "neural"


def missing(backends: Iterable[type[Backend]]) -> list[str]:
    """The modules these backends import that are not installed."""
    return sorted({module for cls in backends for module in cls.missing_modules()})


def neural_requirements() -> list[str]:
    """The requirements of the neural extra, as pip takes them ("diffusers>=0.32", …)."""
    found = []
    for line in importlib.metadata.requires(DISTRIBUTION) or []:
        requirement = Requirement(line)
        if requirement.marker is not None and requirement.marker.evaluate({"extra": EXTRA}):
            requirement.marker = None
            found.append(str(requirement))
    return found


def install(requirements: list[str]) -> bool:
    """pip-install into this interpreter's environment; whether it worked (pip's own
    progress and errors go to the terminal)."""
    done = subprocess.run([sys.executable, "-m", "pip", "install", *requirements], check=False)
    return done.returncode == 0
