"""A turn that needs no model (a chat reply, a dry run) loads none and imports no model
library, in a process of its own as `audiogpt ask` runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.models.test_registry import HEAVY

ROOT = Path(__file__).resolve().parents[2]
TURNS = """
import asyncio, json, sys
from prometheus_client import REGISTRY
from core_agent.config import Settings
from core_agent.types import Message
from workers.runtime import build_runtime

async def turns():
    runtime = build_runtime(Settings(_env_file=None, data_dir=sys.argv[1]))
    try:
        hi = await runtime.agent.handle(Message(channel_id="cli:t", text="hi", platform="cli"))
        dry = await runtime.agent.handle(Message(
            channel_id="cli:t", text="read this aloud: hello there", platform="cli"),
            dry_run=True)
    finally:
        await runtime.aclose()
    return hi, dry

hi, dry = asyncio.run(turns())
loads = [s.labels["backend"] for metric in REGISTRY.collect()
         if metric.name == "audiogpt_model_load_seconds"
         for s in metric.samples if s.name.endswith("_count")]
print(json.dumps({"hi": hi.text, "dry": [(s.task, s.status.value) for s in dry.steps],
                  "loads": loads, "imported": sorted({n.split(".")[0] for n in sys.modules})}))
"""


def test_a_chat_reply_and_a_dry_run_load_no_model(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", TURNS, str(tmp_path)], cwd=ROOT, text=True,
                          capture_output=True, timeout=120, check=True)
    out = json.loads(done.stdout)
    assert out["hi"].startswith("Hi!")
    assert out["dry"] == [["text_to_speech", "planned"]]
    assert out["loads"] == []
    assert [name for name in HEAVY if name in out["imported"]] == []
