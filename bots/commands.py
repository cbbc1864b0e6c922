"""The chat commands, written once for every platform: what /voice on|off, /reset,
/cancel, /tasks and /usage do, and the lists /tasks and /usage answer with.

A platform maps its own syntax onto these (Telegram's and the terminal's `/voice on`,
Discord's `/voice on:True`, the web chat's toggle and routes) and says the outcome in its
own words, where it posts them.
"""

from __future__ import annotations

from pathlib import Path

from bots.base import Turns
from bots.catalog import task_rows
from core_agent.agent import Agent

CANCELLED = "cancelled with /cancel"  # what a stopped job's record says


async def set_voice(agent: Agent, platform: str, channel_id: str, on: bool) -> None:
    """Speak the channel's replies as well (or stop); the channel is made if it is new."""
    await agent.memory.channel(channel_id, platform, agent.settings.voice_replies)
    await agent.memory.set_voice_replies(channel_id, on)


async def reset(agent: Agent, turns: Turns, channel_id: str) -> None:
    """Forget the channel's conversation and files, between two of its turns."""
    async with turns.lock(channel_id):
        await agent.memory.forget(channel_id)


async def cancel(agent: Agent, turns: Turns, channel_id: str) -> bool:
    """Stop the channel's running and waiting turns and their jobs; whether anything was
    running."""
    turns_stopped = await turns.cancel(channel_id)
    jobs_stopped = await agent.memory.cancel_jobs(channel_id, CANCELLED)
    return bool(turns_stopped or jobs_stopped)


def tasks_text(models_dir: Path | None) -> str:
    """Every task, with the model that serves it or how to install one."""
    lines = []
    for row in task_rows(models_dir):
        installed = [b for b in row["backends"] if b["installed"]]
        if installed:
            lines.append(f"✅ {row['task']} — {installed[0]['model']}")
        elif row["backends"]:
            lines.append(f"➖ {row['task']} — install: {row['backends'][0]['install']}")
        else:
            lines.append(f"➖ {row['task']} — no model yet")
    return "\n".join(lines)


async def usage(agent: Agent, user_id: str | None) -> str:
    """A user's jobs and model time in the quota window, against their limits."""
    settings = agent.settings
    used = await agent.access.usage(user_id=user_id)
    hours = settings.quota_window_hours
    window = "24 hours" if hours == 24 else f"{hours:g} hours"
    said = (f"In the last {window} you ran {used.jobs} jobs using "
            f"{used.compute_seconds / 60:.1f} minutes of model time.")
    if agent.access.is_admin(user_id):
        return said + " As an admin you have no limits."
    return (said + f" Your limits: {settings.quota_user_jobs} jobs and "
            f"{settings.quota_user_compute_seconds / 60:.0f} minutes.")
