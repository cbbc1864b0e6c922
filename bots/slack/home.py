"""The App Home tab: what the app can do here and the user's recent jobs."""

from __future__ import annotations

from typing import Any

from bots.common import split_text
from bots.slack.convert import Place, mrkdwn
from core_agent.types import Job
from tasks import title_of

SECTION_CHARS = 3000  # Slack's cap on a section block's text
STATUS_EMOJI = {"done": "✅", "failed": "❌", "cancelled": "⏭", "running": "⏳", "queued": "⏳"}
Block = dict[str, Any]


def _section(text: str) -> list[Block]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": piece}}
            for piece in split_text(text, SECTION_CHARS)]


def task_line(row: dict[str, Any]) -> str:
    """One task: installed backends by name, or how to install one."""
    ready = [b["name"] for b in row["backends"] if b["installed"]]
    if ready:
        return f"✅ *{mrkdwn(row['title'])}* — {mrkdwn(', '.join(ready))}"
    hint = next((b["install"] for b in row["backends"] if b["install"]), "")
    return f"➖ *{mrkdwn(row['title'])}* — not installed" + (f": `{mrkdwn(hint)}`" if hint else "")


def job_line(job: Job) -> str:
    """One of the user's jobs: state, task, when."""
    title = title_of(job.task)
    at = job.created_at
    return (f"{STATUS_EMOJI.get(job.status, '•')} {mrkdwn(title)} in "
            f"<#{Place.of(job.channel_id).channel}> · <!date^{int(at.timestamp())}"
            f"^{{date_short_pretty}} {{time}}|{at:%Y-%m-%d %H:%M} UTC>")


def how(command: str) -> str:
    """How to ask on Slack (plain text: escape it for mrkdwn)."""
    return (f"Mention me in a channel, message me directly, or use `{command} <request>`. "
            "Attach a voice clip, audio, video or a picture; I answer in the thread, and "
            "replies in that thread need no mention. To work on a file someone posted, reply "
            "in its thread (\"make it slower\"), mentioning me if I'm not in it yet.")


def home_view(rows: list[dict[str, Any]], jobs: list[Job], command: str) -> dict[str, Any]:
    """The Home tab as a Block Kit view."""
    usage = mrkdwn(how(command)) + f" `{mrkdwn(command)} help` lists the commands."
    jobs_text = "\n".join(job_line(j) for j in jobs) or "No jobs yet."
    return {"type": "home", "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": "AudioGPT"}},
        *_section(usage),
        {"type": "divider"},
        {"type": "header", "text": {"type": "plain_text", "text": "What I can do"}},
        *_section("\n".join(task_line(r) for r in rows)),
        {"type": "divider"},
        {"type": "header", "text": {"type": "plain_text", "text": "Your recent jobs"}},
        *_section(jobs_text),
    ]}
