"""`audiogpt eval` as users run it: a real process, the real planners and models, files out."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from core_agent.types import Plan, PlanStep
from evaluation.consistency import load_cases, score_case
from evaluation.heldout import HELDOUT_SETS, load_heldout
from evaluation.report import misread_line
from tasks import TASKS
from tests.stand_ins.openai_server import OpenAIStandIn, Text, ToolCalls

PARTS_TIMEOUT = 240  # seconds for one eval process


def run_eval(data: Path, *args: str, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "AUDIOGPT_DATA_DIR": str(data), **(env or {})}
    return subprocess.run([sys.executable, "-m", "bots.cli", "eval", *args], env=environ,
                          text=True, capture_output=True, timeout=PARTS_TIMEOUT, check=False)


def written(out: Path) -> tuple[dict[str, Any], str]:
    assert (out / "eval.json").is_file() and (out / "report.md").is_file()
    return json.loads((out / "eval.json").read_text()), (out / "report.md").read_text()


def offline_part(folder: Path, part: str, *more: str
                 ) -> tuple[subprocess.CompletedProcess[str], dict[str, Any], str]:
    """`audiogpt eval` of one part with the offline planner, ended well: what it printed,
    its eval.json and its report.md."""
    out = folder / "out"
    done = run_eval(folder / "data", "--part", part, "--planner", "offline", "--out", str(out),
                    *more)
    assert done.returncode == 0, done.stderr
    return (done, *written(out))


def test_consistency_with_the_offline_planner_covers_every_task(tmp_path: Path) -> None:
    done, result, report = offline_part(tmp_path, "consistency")
    assert result["planner"]["name"] == "offline" and result["parts"] == ["consistency"]
    c = result["consistency"]
    assert set(c["per_task"]) == set(TASKS)
    for task, row in c["per_task"].items():
        assert row["cases"] >= 5, task
        assert 0 <= row["task_accuracy"] <= 1 and 0 <= row["argument_accuracy"] <= 1
        assert f"| {task} |" in report
    overall = c["overall"]
    assert overall["cases"] == len(c["cases"]) == len(load_cases())
    assert overall["task_accuracy"] == sum(r["task_ok"] for r in c["cases"]) / overall["cases"]
    assert 0 < overall["task_accuracy"] <= 1  # real plans, not a placeholder
    assert (tmp_path / "out" / "consistency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "consistency.png" in report and "Consistency" in done.stdout


def test_the_heldout_part_reports_both_sets_side_by_side_each_with_its_confusion(
        tmp_path: Path) -> None:
    done, result, report = offline_part(tmp_path, "heldout")
    assert list(result["heldout"]) == list(HELDOUT_SETS)
    assert "| figure | first | fresh |" in report and "Held-out sets" in done.stdout
    for name, path in HELDOUT_SETS.items():
        h = result["heldout"][name]
        assert h["cases"] == len(load_heldout(path)) == h["scored"] + h["asked"]
        assert 0 < h["task_accuracy"] <= 1 and 0 < h["decline_accuracy"] <= 1
        missed = h["scored"] - h["tasks_right"]
        assert sum(count for _, count in h["confusion"]) == missed
        section = report.split(f"### Confusions, {name} set")[1].split("\n#")[0]
        assert all(f"| {count} | {pair} |" in section for pair, count in h["confusion"])
        # every request routed right with a wrong argument names at least one argument
        misread = h["tasks_right"] - h["args_right"]
        assert sum(count for _, count in h["argument_misses"]) >= misread > 0
        assert misread_line(h) in section and misread_line(h) in done.stdout
        assert f"Held-out confusions, {name} set" in done.stdout
    rows = {line.split(" | ")[0]: line for line in report.splitlines()}
    first, fresh = (result["heldout"][name] for name in HELDOUT_SETS)
    assert rows["| tasks right"] == (
        f"| tasks right | {100 * first['task_accuracy']:.1f}% ({first['tasks_right']}/"
        f"{first['scored']}) | {100 * fresh['task_accuracy']:.1f}% ({fresh['tasks_right']}/"
        f"{fresh['scored']}) |")


def test_robustness_with_the_offline_planner_never_crashes(tmp_path: Path) -> None:
    done, result, report = offline_part(tmp_path, "robustness", "--verbose")
    r = result["robustness"]
    # Progress after each scenario; the failures they provoke are one line each, no traceback.
    total = len(r["scenarios"])
    assert [f"robustness {n}/{total}" in done.stderr for n in range(1, total + 1)] == \
        [True] * total
    assert "Traceback" not in done.stderr and " ERROR " not in done.stderr, done.stderr[-3000:]
    assert any(" INFO " in line and "ended with" in line and "couldn't find a face" in line
               for line in done.stderr.splitlines())
    assert {s["kind"] for s in r["scenarios"]} == {"long chain", "unsupported", "model error",
                                                  "context"}
    for s in r["scenarios"]:
        assert f"| {s['name']} |" in report
        if s["passed"] is None:
            continue
        assert isinstance(s["passed"], bool) and s["passed"] == (not s["problems"])
        assert not any("crashed" in p or "empty reply" in p for p in s["problems"]), s
        assert s["reply"].strip()
    chains = [s for s in r["scenarios"] if s["kind"] == "long chain"]
    assert all(len(s["steps"]) >= 3 for s in chains if s["passed"])
    judged = [s for s in r["scenarios"] if s["passed"] is not None]
    assert r["overall"]["passed"] == sum(s["passed"] for s in judged)
    assert 0 <= r["overall"]["pass_rate"] <= 1


def test_a_missed_argument_shows_what_the_plan_had() -> None:
    plan = Plan(steps=[PlanStep(task="audio_edit", args={"audio": "a1", "operation": "mix"})])
    wrong = score_case(plan, {"tasks": ["speech_enhancement"], "args": [{"audio": "a1"}]})
    assert wrong["missed"] == [
        "audio='a1' (got 'a1', but the plan's tasks are ['audio_edit'])"]
    right = score_case(plan, {"tasks": ["audio_edit"],
                              "args": [{"operation": "trim", "end": 10.0}]})
    assert right["missed"] == ["operation='trim' (got 'mix')", "end=10.0 (not in the plan)"]
    replied = score_case(Plan(reply="Which sound?"), {"tasks": ["target_sound_detection"],
                                                      "args": [{"query": "glass"}]})
    assert replied["missed"] == ["query='glass' (the plan has no step for it)"]


def _answer(case: dict[str, Any], right: bool) -> ToolCalls | Text:
    """The stand-in's answer to a case: the expected tool call, or a wrong one."""
    if right:
        return ToolCalls([(case["expect"]["tasks"][0], case["expect"]["args"][0])])
    if case["attachments"]:
        return ToolCalls([("audio_edit", {"audio": "a1", "operation": "reverse"})])
    return Text("Sorry, I can't help with that.")


async def test_consistency_with_an_llm_scores_its_answers(tmp_path: Path) -> None:
    tasks = ["speech_recognition", "text_to_speech"]
    cases = load_cases(tasks)
    right = [i % 3 != 2 for i in range(len(cases))]
    out = tmp_path / "out"
    async with OpenAIStandIn() as llm:
        llm.script(*(_answer(case, ok) for case, ok in zip(cases, right, strict=True)))
        env = {**os.environ, "AUDIOGPT_DATA_DIR": str(tmp_path / "data"),
               "OPENAI_BASE_URL": llm.url, "OPENAI_API_KEY": "sk-eval-test",
               "AUDIOGPT_LLM_MODEL": "eval-test", "AUDIOGPT_LLM_MAX_RETRIES": "0"}
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots.cli", "eval", "--part", "consistency", "--planner",
            "llm", "--tasks", ",".join(tasks), "--out", str(out), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, stderr = await asyncio.wait_for(process.communicate(), PARTS_TIMEOUT)
        assert process.returncode == 0, stderr.decode()
        assert len(llm.requests) == len(cases) and llm.pending == 0 and llm.overruns == 0
        assert all(r["model"] == "eval-test" and r["tools"] for r in llm.requests)
    result, _ = written(out)
    assert result["planner"] == {"name": "llm", "model": "eval-test"}
    c = result["consistency"]
    assert [r["task_ok"] for r in c["cases"]] == right
    assert c["overall"]["task_accuracy"] == sum(right) / len(cases)
    args = [sum(len(a) for a in case["expect"]["args"]) for case in cases]
    assert c["overall"]["argument_accuracy"] == sum(
        n for n, ok in zip(args, right, strict=True) if ok) / sum(args)
    for task in tasks:
        mine = [ok for case, ok in zip(cases, right, strict=True) if case["task"] == task]
        assert c["per_task"][task]["task_accuracy"] == sum(mine) / len(mine)


def test_capability_subset_has_figures(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = run_eval(tmp_path / "data", "--part", "capability", "--tasks",
                    "speech_recognition,text_to_speech", "--tasks", "text_to_music",
                    "--out", str(out))
    assert done.returncode == 0, done.stderr
    result, report = written(out)
    rows = {r["task"]: r for r in result["capability"]["cases"]}
    assert list(rows) == ["speech_recognition", "text_to_speech", "text_to_music"]
    for task in ("speech_recognition", "text_to_speech"):
        row = rows[task]
        assert row["status"] in ("ok", "below target"), row
        assert "WER" in row["figure"] and 0 <= row["value"] <= 100 and row["backend"]
        assert row["value"] < 50, row  # real speech through real models, not noise
    assert rows["text_to_speech"]["steps"] == ["text_to_speech", "speech_recognition"]
    assert rows["text_to_music"]["status"] == "not installed" and rows["text_to_music"]["install"]
    assert "| speech_recognition | faster-whisper" in report and "not installed" in report


def test_compare_prints_both_results(tmp_path: Path) -> None:
    first = {"created": "A", "planner": {"name": "offline"}, "consistency": {
        "per_task": {"text_to_speech": {"task_accuracy": 0.5, "argument_accuracy": 0.5}},
        "overall": {"task_accuracy": 0.5, "argument_accuracy": 0.5}}}
    second = json.loads(json.dumps(first))
    second["created"] = "B"
    second["consistency"]["per_task"]["text_to_speech"]["task_accuracy"] = 1.0
    (tmp_path / "a.json").write_text(json.dumps(first))
    (tmp_path / "b.json").write_text(json.dumps(second))
    done = run_eval(tmp_path / "data", "--compare", str(tmp_path / "a.json"),
                    str(tmp_path / "b.json"), env={"COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    assert "text_to_speech" in done.stdout and "+50.0 pts" in done.stdout
