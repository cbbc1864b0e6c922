"""The evaluation's outputs: rich tables on the terminal, JSON, Markdown with a plot, and a
side-by-side comparison of two JSON results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

STATUS_STYLE = {"ok": "green", "below target": "yellow", "failed": "red", "error": "red",
                "not installed": "dim"}


def pct(value: float | None) -> str:
    """A fraction as a percentage."""
    return "—" if value is None else f"{100 * value:.1f}%"


def figure(row: dict[str, Any]) -> str:
    """A capability figure with its unit."""
    if "value" not in row:
        return "—"
    unit = row["unit"]
    return f"{row['value']:.3g}{'' if unit in ('', '%') else ' '}{unit}"


def target(row: dict[str, Any]) -> str:
    """The target a capability figure is held to."""
    if "target" not in row:
        return ""
    sign = "≤" if row["better"] == "lower" else "≥"
    unit = row["unit"]
    return f"{sign} {row['target']:g}{'' if unit in ('', '%') else ' '}{unit}"


def heldout_rows(sets: dict[str, dict[str, Any]]) -> list[list[str]]:
    """The held-out sets' figures side by side: one row per figure, one column per set
    (asked requests are neither right nor wrong)."""
    def share(key: str, right: str, of: str) -> list[str]:
        return [f"{pct(h[key])} ({h[right]}/{h[of]})" for h in sets.values()]

    return [["requests", *(str(h["cases"]) for h in sets.values())],
            ["tasks right", *share("task_accuracy", "tasks_right", "scored")],
            ["tasks and arguments", *share("argument_accuracy", "args_right", "scored")],
            ["declined correctly", *share("decline_accuracy", "declined_right", "declines")],
            ["asked instead", *share("asked_rate", "asked", "cases")]]


def misread_line(h: dict[str, Any]) -> str:
    """A held-out set's argument misses where its tasks were right, by task and argument."""
    misses = ", ".join(f"{name} {count}" for name, count in h.get("argument_misses", []))
    return f"Arguments missed where the tasks were right: {misses or 'none'}"


def show(result: dict[str, Any], console: Console) -> None:
    """Print each part's table."""
    if "consistency" in result:
        c = result["consistency"]
        table = Table("task", "cases", "task accuracy", "argument accuracy", "exact plan",
                      title=f"Consistency ({result['planner']['name']} planner)")
        for task, row in c["per_task"].items():
            table.add_row(task, str(row["cases"]), pct(row["task_accuracy"]),
                          pct(row["argument_accuracy"]), pct(row["exact"]))
        o = c["overall"]
        table.add_row("[bold]overall[/]", str(o["cases"]), pct(o["task_accuracy"]),
                      pct(o["argument_accuracy"]), pct(o["exact"]))
        console.print(table)
    if sets := result.get("heldout"):
        table = Table("figure", *sets, title="Held-out sets: requests the planner was not "
                      "tuned on")
        for row in heldout_rows(sets):
            table.add_row(*row)
        console.print(table)
        for name, h in sets.items():
            table = Table("count", "expected -> planned", title=f"Held-out confusions, {name} set")
            for pair, count in h["confusion"]:
                table.add_row(str(count), pair)
            console.print(table)
            console.print(misread_line(h), highlight=False)
    if "capability" in result:
        table = Table("task", "backend", "figure", "value", "target", "status", "s",
                      title="Capability (installed models, inputs made by the command)")
        for row in result["capability"]["cases"]:
            status = row["status"]
            shown = f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"
            if status == "not installed":
                shown += f" ({row['install']})"
            table.add_row(row["task"], row.get("backend", "—"), row.get("figure", ""),
                          figure(row), target(row), shown, str(row.get("seconds", "")))
        console.print(table)
    if "robustness" in result:
        r = result["robustness"]
        table = Table("scenario", "kind", "result", "steps / error", title="Robustness")
        for row in r["scenarios"]:
            verdict = ("[dim]skipped[/]" if row["passed"] is None else
                       "[green]pass[/]" if row["passed"] else "[red]fail[/]")
            what = ", ".join(row.get("steps", [])) or row.get("error_code") or "reply only"
            if row["problems"]:
                what += f" — {'; '.join(row['problems'])}"
            table.add_row(row["name"], row["kind"], verdict, what)
        o = r["overall"]
        table.add_row("[bold]overall[/]", "", f"{o['passed']}/{o['scenarios']}", "")
        console.print(table)


def plot(result: dict[str, Any], path: Path) -> Path | None:
    """Per-task consistency bars (task and argument accuracy) as a PNG."""
    if "consistency" not in result:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per_task = result["consistency"]["per_task"]
    names = list(per_task)
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(names) + 1.4))
    ys = range(len(names))
    ax.barh([y - 0.2 for y in ys], [100 * per_task[n]["task_accuracy"] for n in names],
            height=0.4, label="task accuracy")
    ax.barh([y + 0.2 for y in ys], [100 * per_task[n]["argument_accuracy"] for n in names],
            height=0.4, label="argument accuracy")
    ax.set_yticks(list(ys), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("%")
    ax.set_title(f"Consistency per task — {result['planner']['name']} planner, "
                 f"{result['consistency']['overall']['cases']} fresh phrasings")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def markdown(result: dict[str, Any], picture: Path | None) -> str:
    """The report as Markdown."""
    p, m = result["planner"], result["machine"]
    lines = [f"# AudioGPT evaluation — {result['created']}", "",
             f"Planner: **{p['name']}**{' (' + p['model'] + ')' if p.get('model') else ''}. "
             f"Machine: {m['platform']}, {m['cpus']} CPUs, Python {m['python']}.", ""]
    if "consistency" in result:
        c = result["consistency"]
        o = c["overall"]
        lines += ["## Consistency", "",
                  f"{o['cases']} fresh phrasings, zero-shot: task accuracy "
                  f"**{pct(o['task_accuracy'])}**, argument accuracy "
                  f"**{pct(o['argument_accuracy'])}**, exact plans {pct(o['exact'])}.", "",
                  "| task | cases | task accuracy | argument accuracy | exact |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        lines += [f"| {t} | {r['cases']} | {pct(r['task_accuracy'])} | "
                  f"{pct(r['argument_accuracy'])} | {pct(r['exact'])} |"
                  for t, r in c["per_task"].items()]
        if picture is not None:
            lines += ["", f"![consistency per task]({picture.name})"]
        misses = [r for r in c["cases"] if not r["exact"]]
        if misses:
            lines += ["", "Missed:", ""]
            lines += [f"- `{r['task']}` — “{r['text']}” → {r['planned']}"
                      + (f" (missed {', '.join(r['missed'])})" if r["missed"] else "")
                      for r in misses]
        lines.append("")
    if sets := result.get("heldout"):
        lines += ["## Held-out sets", "", "Requests the planner was not tuned on; an asked "
                  "request counts as neither right nor wrong.", "",
                  f"| figure | {' | '.join(sets)} |", f"| --- |{' ---: |' * len(sets)}"]
        lines += [f"| {' | '.join(row)} |" for row in heldout_rows(sets)]
        for name, h in sets.items():
            lines += ["", f"### Confusions, {name} set", "", "| count | expected -> planned |",
                      "| ---: | --- |"]
            lines += [f"| {count} | {pair} |" for pair, count in h["confusion"]]
            lines += ["", misread_line(h) + "."]
        lines.append("")
    if "capability" in result:
        lines += ["## Capability", "", "| task | backend | figure | value | target | status | "
                  "seconds | detail |", "| --- | --- | --- | ---: | --- | --- | ---: | --- |"]
        for r in result["capability"]["cases"]:
            status = r["status"] + (f" (`{r['install']}`)" if "install" in r else "")
            detail = str(r.get("detail", "")).replace("|", "/").replace("\n", " ")
            lines.append(f"| {r['task']} | {r.get('backend', '—')} | {r.get('figure', '')} | "
                         f"{figure(r)} | {target(r)} | {status} | {r.get('seconds', '')} | "
                         f"{detail} |")
        lines.append("")
    if "robustness" in result:
        r = result["robustness"]
        lines += ["## Robustness", "", f"Passed {r['overall']['passed']} of "
                  f"{r['overall']['scenarios']} scenarios.", "",
                  "| scenario | kind | result | what happened |", "| --- | --- | --- | --- |"]
        for s in r["scenarios"]:
            verdict = "skipped" if s["passed"] is None else "pass" if s["passed"] else "FAIL"
            what = ", ".join(s.get("steps", [])) or s.get("error_code") or "reply only"
            reply = str(s.get("reply", "")).replace("|", "/").replace("\n", " ")[:120]
            problems = "; ".join(s["problems"])
            lines.append(f"| {s['name']} | {s['kind']} | {verdict} | {what}"
                         f"{' — ' + problems if problems else ''}"
                         f"{' — “' + reply + '”' if reply else ''} |")
        lines.append("")
    return "\n".join(lines)


def write(result: dict[str, Any], out: Path) -> list[Path]:
    """eval.json, report.md and (with consistency) consistency.png in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    data = out / "eval.json"
    data.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    picture = plot(result, out / "consistency.png")
    report = out / "report.md"
    report.write_text(markdown(result, picture), encoding="utf-8")
    return [data, report, *([picture] if picture else [])]
