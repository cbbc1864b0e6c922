"""`audiogpt models pull` installs the neural catalog's libraries from the package's own
`neural` extra: the list read back from the installed metadata is pyproject.toml's."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from models.base import Backend
from models.catalog import libraries
from models.registry import BACKENDS

ROOT = Path(__file__).resolve().parents[2]


def test_the_neural_requirements_are_the_extra_in_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    written = [str(Requirement(line)) for line in project["optional-dependencies"]["neural"]]
    assert libraries.neural_requirements() == written


def test_missing_names_only_what_cannot_be_imported() -> None:
    class Lacking(Backend):
        name, task, model = "lacking", "sound_detection", "a model with a library not here"
        requires = ("numpy", "no_such_library_here")

    assert libraries.missing([Lacking]) == ["no_such_library_here"]
    embedded = [cls for cls in BACKENDS.values() if cls.tier == "embedded"]
    assert libraries.missing(embedded) == []
