"""What the bot's commands answer: help, the task list, usage."""

from __future__ import annotations

from pathlib import Path

from telegram import BotCommand

from bots.catalog import task_rows
from core_agent.access import Usage
from core_agent.config import Settings

COMMANDS = [
    BotCommand("help", "What I can do"),
    BotCommand("tasks", "Every task and whether its model is installed"),
    BotCommand("voice", "on|off: also speak my replies"),
    BotCommand("cancel", "Stop what I'm working on in this chat"),
    BotCommand("reset", "Forget this chat's conversation and files"),
    BotCommand("usage", "Your jobs and model time lately"),
]
HOW = ("Send me a voice note, an audio file, a video or a photo, with a caption saying what "
       "to do, or just talk to me. In groups, mention me or reply to my messages; you can "
       "reply to any file posted here to work on it.")


def help_text(models_dir: Path | None) -> str:
    """What the bot can do here: the installed tasks, and its commands."""
    ready = [row for row in task_rows(models_dir) if any(b["installed"] for b in row["backends"])]
    tasks = "\n".join(f"• {row['title']}" for row in ready) or "• nothing yet"
    commands = "\n".join(f"/{c.command} — {c.description}" for c in COMMANDS)
    return f"{HOW}\n\nI can:\n{tasks}\n\nCommands:\n{commands}"


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


def usage_text(usage: Usage, settings: Settings, admin: bool) -> str:
    """A user's jobs and model time in the quota window, against their limits."""
    hours = settings.quota_window_hours
    window = "24 hours" if hours == 24 else f"{hours:g} hours"
    used = (f"In the last {window} you ran {usage.jobs} jobs using "
            f"{usage.compute_seconds / 60:.1f} minutes of model time.")
    if admin:
        return used + " As an admin you have no limits."
    return (used + f" Your limits: {settings.quota_user_jobs} jobs and "
            f"{settings.quota_user_compute_seconds / 60:.0f} minutes.")
