"""The chat commands, written once for every platform: /help, /tasks, /voice on|off,
/cancel, /reset and /usage, what each does and what it answers.

A platform maps its own way of giving a command onto `CommandSet.run` (Telegram's and
Discord's slash commands, the web chat's and the terminal's typed `/voice on`, Slack's
`/audiogpt voice on`) and posts the answer; every hint an answer gives is written in the
platform's own syntax (its `prefix`), so it works when followed literally.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from bots.base import Turns
from bots.catalog import task_rows
from core_agent.agent import Agent
from models.settings import ModelSettings

CANCELLED = "cancelled with /cancel"  # what a stopped job's record says


@dataclass(frozen=True)
class Command:
    """A command as users give it: its name, the word after it, and what it does."""

    name: str
    word: str  # "on" in "/voice on"; "" for most
    does: str

    def typed(self, prefix: str = "/") -> str:
        """The command as a user types it where commands start with `prefix`."""
        return f"{prefix}{self.name} {self.word}".rstrip()


COMMANDS = (
    Command("help", "", "What I can do and how to ask"),
    Command("tasks", "", "Every task and whether its model is installed"),
    Command("voice", "on", "Also speak my replies here"),
    Command("voice", "off", "Reply in text only here"),
    Command("voice", "only", "Speak my replies here instead of writing them"),
    Command("cancel", "", "Stop what I'm working on here"),
    Command("reset", "", "Forget this conversation and its files"),
    Command("usage", "", "Your jobs and model time lately"),
)
NAMES = tuple(dict.fromkeys(c.name for c in COMMANDS))  # each command once, in order


def parse(text: str) -> tuple[str, list[str]] | None:
    """A command's name and words (`"voice on"` -> ("voice", ["on"])), None if the text
    is no command; the name may be written with a leading slash."""
    name, *words = text.strip().lower().split() or [""]
    name = name.removeprefix("/")
    return (name, words) if name in NAMES else None


async def set_voice(agent: Agent, platform: str, channel_id: str, on: bool,
                    only: bool = False) -> None:
    """Speak the channel's replies as well, or instead of writing them (where the platform
    has voice notes), or stop; the channel is made if it is new."""
    await agent.memory.channel(channel_id, platform, agent.settings.voice_replies)
    await agent.memory.set_voice_replies(channel_id, on, only)


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


def help_text(models: ModelSettings, how: str, prefix: str = "/") -> str:
    """What the bot can do here: how to ask (`how`), the installed tasks, and the commands
    as they are typed on the platform."""
    ready = [row for row in task_rows(models) if any(b["installed"] for b in row["backends"])]
    tasks = "\n".join(f"• {row['title']}" for row in ready) or "• nothing yet"
    listed = "\n".join(f"{c.typed(prefix)} — {c.does}" for c in COMMANDS)
    return f"{how}\n\nI can:\n{tasks}\n\nCommands:\n{listed}"


def tasks_text(models: ModelSettings) -> str:
    """Every task, with the model that serves it or how to install one."""
    lines = []
    for row in task_rows(models):
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


class CommandSet:
    """The commands as one platform offers them: its turns, how its users ask, and the
    prefix its commands are typed with."""

    def __init__(self, agent: Agent, turns: Turns, how: str, prefix: str = "/") -> None:
        self.agent, self.turns, self.how, self.prefix = agent, turns, how, prefix

    def help(self) -> str:
        """The answer to help."""
        return help_text(ModelSettings.of(self.agent.settings), self.how, self.prefix)

    async def run(self, name: str, words: Sequence[str], channel_ids: Sequence[str],
                  user_id: str | None) -> str:
        """Run a command (one of NAMES) for a user in a conversation, which is one or more
        memory channels (a Slack channel's threads); the answer to post."""
        if name == "help":
            return self.help()
        if name == "tasks":
            return await asyncio.to_thread(tasks_text, ModelSettings.of(self.agent.settings))
        if name == "usage":
            return await usage(self.agent, user_id)
        if name == "voice":
            return await self._voice(words, channel_ids)
        if name == "cancel":
            stopped = [await cancel(self.agent, self.turns, c) for c in channel_ids]
            return "Stopped." if any(stopped) else "Nothing is running."
        assert name == "reset", name
        for channel_id in channel_ids:
            await reset(self.agent, self.turns, channel_id)
        return "Done: I've forgotten this conversation's messages and files."

    async def _voice(self, words: Sequence[str], channel_ids: Sequence[str]) -> str:
        on, off, only = (c for c in COMMANDS if c.name == "voice")
        answers = {on.word: "I'll speak my replies here.",
                   off.word: "I'll reply in text only here.",
                   only.word: "I'll speak my replies here instead of writing them."}
        if len(words) != 1 or words[0] not in answers:
            return (f"Say {on.typed(self.prefix)}, {off.typed(self.prefix)} or "
                    f"{only.typed(self.prefix)}.")
        for channel_id in channel_ids:
            await set_voice(self.agent, self.turns.platform, channel_id,
                            words[0] != off.word, words[0] == only.word)
        return answers[words[0]]
