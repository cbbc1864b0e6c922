"""The adapter contract every platform implements."""

from __future__ import annotations

from abc import ABC, abstractmethod

from core_agent.agent import Agent
from core_agent.types import Event, Message, Reply


class Adapter(ABC):
    """A platform: receives events, hands Messages to the agent, posts Replies back."""

    platform: str

    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    @abstractmethod
    async def serve(self) -> None:
        """Receive messages until stopped."""

    @abstractmethod
    async def show_progress(self, message: Message, event: Event) -> None:
        """Tell the user what is happening (chat action, status edit, spinner)."""

    @abstractmethod
    async def deliver(self, message: Message, reply: Reply) -> None:
        """Post the reply into the thread the message came from."""

    async def respond(self, message: Message) -> Reply:
        """One message through the agent, with progress, then delivered."""

        async def progress(event: Event) -> None:
            await self.show_progress(message, event)

        reply = await self.agent.handle(message, progress)
        await self.deliver(message, reply)
        return reply
