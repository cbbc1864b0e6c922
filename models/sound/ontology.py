"""The AudioSet ontology, for naming sounds as people do: of the classes a tagger finds at
once, a specific one ("Bark") says more than its ancestors ("Dog", "Domestic animals, pets",
"Animal"), and an animal's call is named with the animal ("Dog: bark").

The parents come from models/sound/audioset_ontology.json, extracted from the ontology's
own file by scripts/extract_audioset_ontology.py.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

ANIMAL = "Animal"


@functools.cache
def _parents() -> dict[str, tuple[str, ...]]:
    text = (resources.files("models.sound") / "audioset_ontology.json").read_text("utf-8")
    return {name: tuple(of) for name, of in json.loads(text)["parents"].items()}


@functools.cache
def ancestors(label: str) -> frozenset[str]:
    """Every class above this one (none for a label the ontology doesn't know)."""
    found: set[str] = set()
    todo = list(_parents().get(label, ()))
    while todo:
        parent = todo.pop()
        if parent not in found:
            found.add(parent)
            todo += _parents().get(parent, ())
    return frozenset(found)


def parents(label: str) -> tuple[str, ...]:
    """The classes right above this one."""
    return _parents().get(label, ())


def short(label: str) -> str:
    """A class's first name: "Cattle, bovinae" -> "Cattle", "Roaring cats (lions, tigers)"
    -> "Roaring cats"."""
    return label.split(",")[0].split(" (")[0].strip()


def is_animal(label: str) -> bool:
    """Whether the class is "Animal" or below it (groups, kinds and their calls)."""
    return label == ANIMAL or ANIMAL in ancestors(label)


def is_animal_kind(label: str) -> bool:
    """Whether the class is a kind of animal ("Dog", "Bird", "Cattle"): the ontology puts
    them two levels below "Animal", under a group ("Domestic animals, pets"), and their
    calls ("Bark", "Bird vocalization", "Chirp, tweet") below them."""
    return any(ANIMAL in parents(group) for group in parents(label))
