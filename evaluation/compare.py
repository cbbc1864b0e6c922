"""Two evaluation results side by side: `audiogpt eval --compare A.json B.json`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from evaluation.report import figure, pct


def _delta(a: float | None, b: float | None, scale: float = 100.0, unit: str = " pts") -> str:
    if a is None or b is None:
        return "—"
    d = (b - a) * scale
    colour = "green" if d > 0 else "red" if d < 0 else "white"
    return f"[{colour}]{d:+.1f}{unit}[/]"


def compare(first: Path, second: Path, console: Console) -> None:
    """Print per-task consistency, capability figures and robustness outcomes of both."""
    a: dict[str, Any] = json.loads(first.read_text(encoding="utf-8"))
    b: dict[str, Any] = json.loads(second.read_text(encoding="utf-8"))
    name_a = f"A: {a['planner']['name']} {a['created']}"
    name_b = f"B: {b['planner']['name']} {b['created']}"
    console.print(f"{name_a} ({first})\n{name_b} ({second})", highlight=False)
    if "consistency" in a and "consistency" in b:
        table = Table("task", "A task acc", "B task acc", "Δ", "A arg acc", "B arg acc", "Δ",
                      title="Consistency")
        ta, tb = a["consistency"]["per_task"], b["consistency"]["per_task"]
        rows = [*dict.fromkeys([*ta, *tb])]
        pairs = [(t, ta.get(t), tb.get(t)) for t in rows]
        pairs.append(("overall", a["consistency"]["overall"], b["consistency"]["overall"]))
        for task, ra, rb in pairs:
            cells = []
            for key in ("task_accuracy", "argument_accuracy"):
                va = ra[key] if ra else None
                vb = rb[key] if rb else None
                cells += [pct(va), pct(vb), _delta(va, vb)]
            table.add_row(task, *cells)
        console.print(table)
    if "capability" in a and "capability" in b:
        table = Table("task", "figure", "A", "B", "better", title="Capability")
        ca = {r["task"]: r for r in a["capability"]["cases"]}
        cb = {r["task"]: r for r in b["capability"]["cases"]}
        for task in dict.fromkeys([*ca, *cb]):
            ra, rb = ca.get(task, {}), cb.get(task, {})
            va, vb = ra.get("value"), rb.get("value")
            better = rb.get("better") or ra.get("better") or ""
            if va is None or vb is None or va == vb:
                verdict = "—" if va is None or vb is None else "same"
            else:
                verdict = "B" if (vb < va) == (better == "lower") else "A"
            table.add_row(task, ra.get("figure") or rb.get("figure") or "",
                          figure(ra) if ra else "—", figure(rb) if rb else "—", verdict)
        console.print(table)
    if "robustness" in a and "robustness" in b:
        table = Table("scenario", "A", "B", title="Robustness")
        sa = {s["name"]: s["passed"] for s in a["robustness"]["scenarios"]}
        sb = {s["name"]: s["passed"] for s in b["robustness"]["scenarios"]}
        word = {True: "pass", False: "[red]fail[/]", None: "skipped"}
        for name in dict.fromkeys([*sa, *sb]):
            table.add_row(name, word[sa.get(name)], word[sb.get(name)])
        oa, ob = a["robustness"]["overall"], b["robustness"]["overall"]
        table.add_row("overall", f"{oa['passed']}/{oa['scenarios']}",
                      f"{ob['passed']}/{ob['scenarios']}")
        console.print(table)
