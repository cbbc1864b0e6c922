"""Extract what the Telegram stand-in checks from the Bot API spec of the
telegram-bot-api-spec project (MIT, Paul Larsen): for each method the stand-in serves, its
parameters' types and required flags (and the values an enumerated one takes), the object
types those parameters name, and the names of every method.

    python scripts/extract_telegram_spec.py path/to/api.json

(the spec project's LICENSE beside it) writes tests/stand_ins/specs/telegram_methods.json,
licence included; run it again after adding a method to the stand-in, or for a newer spec.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stand_ins.telegram_api import TelegramStandIn  # noqa: E402

OUT = ROOT / "tests" / "stand_ins" / "specs" / "telegram_methods.json"
SOURCE = "https://github.com/PaulSonOfLars/telegram-bot-api-spec"
PRIMITIVES = {"Integer", "Float", "Boolean", "String", "InputFile", "True"}
# sendChatAction's action: "Choose one, depending on ...: typing for text messages, ..."
CHOICES = re.compile(r"Choose one, [^:]*:(.*)")
CHOICE = re.compile(r"\b([a-z]+(?:_[a-z]+)*)(?= for | or )")


def fields(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A method's parameters or a type's fields: types, required, and choices if listed."""
    found = {}
    for item in entry.get("fields", []):
        field: dict[str, Any] = {"types": item["types"], "required": item["required"]}
        if choices := CHOICES.search(item["description"]):
            field["enum"] = sorted(set(CHOICE.findall(choices[1])))
        found[item["name"]] = field
    return found


def named_types(params: dict[str, dict[str, Any]]) -> set[str]:
    """The object types parameters name, directly or as array elements."""
    return {kind.removeprefix("Array of ") for param in params.values()
            for kind in param["types"]} - PRIMITIVES


def extract(spec: dict[str, Any], license_text: str) -> dict[str, Any]:
    """What the stand-in needs of the spec."""
    served = sorted(name for name in spec["methods"] if hasattr(TelegramStandIn, f"_{name}"))
    methods = {name: fields(spec["methods"][name]) for name in served}
    wanted = set().union(*(named_types(params) for params in methods.values()))
    types = {name: fields(spec["types"][name]) for name in sorted(wanted)
             if spec["types"][name].get("fields")}  # unions of subtypes stay plain objects
    return {"version": spec["version"], "release_date": spec["release_date"],
            "source": f"extracted from {SOURCE} by scripts/extract_telegram_spec.py",
            "license": license_text, "all_methods": sorted(spec["methods"]), "methods": methods,
            "types": types}


def main() -> None:
    """Read the spec named on the command line, write the extract."""
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    path = Path(sys.argv[1])
    spec = json.loads(path.read_text())
    extracted = extract(spec, (path.parent / "LICENSE").read_text())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(extracted, indent=1, sort_keys=True) + "\n")
    sys.stdout.write(f"wrote {OUT.relative_to(ROOT)} ({spec['version']})\n")


if __name__ == "__main__":
    main()
