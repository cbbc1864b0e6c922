"""Listing and checking backends, and planning a text turn, import no model library: each
loads with the model that needs it (a fresh process, so nothing imported before counts)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Seconds to import each, and none needed to list backends or to plan.
HEAVY = ("scipy", "torch", "onnxruntime", "ctranslate2", "faster_whisper", "librosa", "numba",
         "transformers", "sentence_transformers", "diffusers", "cv2", "openai")
LIST_AND_PLAN = """
import asyncio, json, sys
from bots.catalog import task_rows
from core_agent.planning import PlanningContext
from core_agent.planning.offline.planner import OfflinePlanner
from models.embeddings import MiniLMEmbedder
from models.registry import usable_backends
from models.settings import BARE
from tasks import ORDER

rows = task_rows(BARE)
usable = {task: [cls.name for cls in usable_backends(task, BARE)] for task in ORDER}
plan = asyncio.run(OfflinePlanner(MiniLMEmbedder()).plan(PlanningContext(text="hi")))
print(json.dumps({"rows": len(rows), "usable": usable, "reply": plan.reply,
                  "imported": sorted({name.split(".")[0] for name in sys.modules})}))
"""


def test_listing_backends_and_planning_hi_import_no_model_library() -> None:
    done = subprocess.run([sys.executable, "-c", LIST_AND_PLAN], cwd=ROOT, text=True,
                          capture_output=True, timeout=120, check=True)
    out = json.loads(done.stdout)
    assert out["rows"] == 18 and "piper-joe" in out["usable"]["text_to_speech"]
    assert out["reply"].startswith("Hi!")
    assert [name for name in HEAVY if name in out["imported"]] == []
