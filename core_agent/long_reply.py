"""Replies longer than a platform's post: a transcript's head in the text, and the whole of it
in a .txt file with its times (and speakers, where labelled)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core_agent.memory import Memory
from core_agent.respond import compose
from core_agent.types import Kind, Plan, StepResult
from media.subtitles import clock

ROOM = 100  # characters kept free beside the heads (the files' sentence, the step numbers)
MIN_HEAD = 200  # characters: a head shorter than this says too little to be worth sending


def has_transcript(result: StepResult) -> bool:
    """Whether a step's text is a transcript with times (a long one goes as a file)."""
    return bool((result.text or "").strip() and result.data.get("segments"))


def timed_transcript(data: dict[str, Any]) -> str:
    """One line per segment: "[0:00–0:07] Speaker 1: words" (no speaker where unlabelled)."""
    lines = []
    for segment in data["segments"]:
        who = f"{segment['speaker']}: " if segment.get("speaker") else ""
        lines.append(f"[{clock(segment['start'])}–{clock(segment['end'])}] "
                     f"{who}{segment['text'].strip()}")
    return "\n".join(lines) + "\n"


def head(text: str, budget: int) -> str:
    """The start of a text within `budget` characters, cut after a line or a word, with "…"."""
    if len(text) <= budget:
        return text
    cut = text[: max(budget - 2, 1)]
    at = cut.rfind("\n") if cut.rfind("\n") > budget // 2 else cut.rfind(" ")
    return (cut[:at] if at > 0 else cut).rstrip() + " …"


async def fit(memory: Memory, channel_id: str, message_id: str, plan: Plan,
              results: list[StepResult], heard: str | None, limit: int) -> str:
    """The text of a reply over `limit` characters: each transcript in it cut to its share
    of the post, and added to its step's files whole, with its times, as a .txt. A reply
    with no transcript stays as it is (the adapter posts it in parts)."""
    timed = [r for r in results if has_transcript(r)]
    with tempfile.TemporaryDirectory(prefix="audiogpt-reply-") as folder:
        for result in timed:
            path = Path(folder) / "transcript.txt"
            path.write_text(timed_transcript(result.data), encoding="utf-8")
            result.artifacts.append(await memory.add_artifact(
                channel_id, path, kind=Kind.FILE, mime="text/plain",
                producer=f"job:{result.task}", label="transcript (TXT)",
                job_id=result.job_id, message_id=message_id))
    if not timed:
        return compose(plan, results, heard)
    cut = {id(r) for r in timed}

    def shown(text: Callable[[str], str]) -> str:
        return compose(plan, [r.model_copy(update={"text": text(r.text or "")})
                              if id(r) in cut else r for r in results], heard)

    budget = max(MIN_HEAD, (limit - len(shown(lambda _: "…")) - ROOM) // len(timed))
    return shown(lambda text: head(text, budget))
