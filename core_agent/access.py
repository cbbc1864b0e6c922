"""Who may use the bot, and how much: allow-lists, admins and quotas for every platform.

Adapters put the sender's platform-qualified id on the Message (`user_id`) and where it
was said (`scopes`: the chat, team, guild, roles); the agent asks here before any work.
Usage is counted from the job records, so quotas hold across restarts and workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core_agent.config import Settings
from core_agent.errors import AccessDenied, QuotaExceeded
from core_agent.memory import Memory
from core_agent.tables import utcnow
from core_agent.types import Message


@dataclass(frozen=True)
class Usage:
    """Jobs and model seconds used within the quota window."""

    jobs: int
    compute_seconds: float


def platform_of(qualified_id: str) -> str:
    """"telegram:user:42" -> "telegram"."""
    return qualified_id.split(":", 1)[0]


class Access:
    """The deployment's allow-lists and quotas, applied to each message."""

    def __init__(self, settings: Settings, memory: Memory) -> None:
        self.settings, self.memory = settings, memory

    def is_admin(self, user_id: str | None) -> bool:
        """Whether the sender is one of the deployment's admins."""
        return user_id is not None and user_id in self.settings.admins

    def admits(self, message: Message) -> bool:
        """Whether the allow-lists let this sender, in this place, use the bot."""
        rules = [r for r in self.settings.allow if platform_of(r) == message.platform]
        if not rules or self.is_admin(message.user_id):
            return True
        ids = {message.user_id, *message.scopes} - {None}
        return f"{message.platform}:*" in rules or bool(ids & set(rules))

    async def usage(self, *, user_id: str | None = None, channel_id: str | None = None
                    ) -> Usage:
        """What a user (or a channel) used in the current window."""
        since = utcnow() - timedelta(hours=self.settings.quota_window_hours)
        jobs, seconds = await self.memory.usage(since, user_id=user_id, channel_id=channel_id)
        return Usage(jobs, seconds)

    async def check(self, message: Message, planned_jobs: int = 0) -> None:
        """Raise AccessDenied or QuotaExceeded, with a reply the user can act on."""
        if not self.admits(message):
            raise AccessDenied("Sorry, this bot isn't open to you here. Ask its admin to add "
                               "you.")
        if self.is_admin(message.user_id):
            return
        limits, hours = self.settings, self._window()
        if message.user_id is not None:
            mine = await self.usage(user_id=message.user_id)
            if mine.jobs + planned_jobs > limits.quota_user_jobs:
                raise QuotaExceeded(f"You've used your {limits.quota_user_jobs} jobs for the "
                                    f"last {hours}; please try again later.")
            if mine.compute_seconds >= limits.quota_user_compute_seconds:
                raise QuotaExceeded(
                    f"You've used your {limits.quota_user_compute_seconds / 60:.0f} minutes of "
                    f"model time for the last {hours}; please try again later.")
        here = await self.usage(channel_id=message.channel_id)
        if here.jobs + planned_jobs > limits.quota_channel_jobs:
            raise QuotaExceeded(f"This chat has used its {limits.quota_channel_jobs} jobs for "
                                f"the last {hours}; please try again later.")

    def _window(self) -> str:
        hours = self.settings.quota_window_hours
        return "day" if hours == 24 else f"{hours:g} hours"
