"""The terminal chat (`audiogpt chat`): one channel, a conversation on the command line."""

from __future__ import annotations

import shlex
from pathlib import Path

from rich.console import Console
from rich.status import Status

from bots import commands
from bots.base import Adapter
from core_agent.agent import Agent
from core_agent.types import Attachment, Event, Message, Reply

HOW = ("Type a request. /attach PATH [PATH ...] attaches files to your next message (an empty "
       "message sends them alone: a voice note is the request); a file's handle (a1, a2, …) "
       "names it in a request; /quit leaves.")


class TerminalChat(Adapter):
    """A conversation in the terminal, one channel, with a spinner for progress."""

    platform = "cli"

    def __init__(self, agent: Agent, channel_id: str, console: Console | None = None) -> None:
        super().__init__(agent)
        self.channel_id = channel_id
        self.console = console or Console()
        self._status: Status | None = None
        self._pending: list[Attachment] = []
        self.commands = commands.CommandSet(agent, self.turns, HOW)

    async def serve(self) -> None:
        self.console.print(f"[bold]AudioGPT[/] · channel [cyan]{self.channel_id}[/] · /help")
        while True:
            try:
                line = self.console.input("[bold green]you ›[/] ").strip()
            except (EOFError, KeyboardInterrupt):
                return
            if line.startswith("/"):
                if not await self.command(line):
                    return
                continue
            if not line and not self._pending:
                continue
            message = Message(channel_id=self.channel_id, text=line, platform=self.platform,
                              attachments=self._pending)
            self._pending = []
            await self.respond(message)

    async def command(self, line: str) -> bool:
        """Run a slash command; False means quit."""
        name, *args = shlex.split(line)
        if name in ("/quit", "/exit"):
            return False
        if name == "/attach":
            found, missing = _files(args)
            if missing:
                self.console.print(f"[red]No such file:[/] {', '.join(missing)}")
            else:
                self._pending += [Attachment(path=p, filename=p.name) for p in found]
                self.console.print(f"Attached {len(found)} file(s) to your next message.")
        else:
            asked = commands.parse(line) or ("help", [])
            answer = await self.commands.run(*asked, [self.channel_id], None)
            self.console.print(answer, markup=False, highlight=False)
        return True

    async def show_progress(self, message: Message, event: Event) -> None:
        text = event.message
        if event.step is not None:
            text = f"step {event.step}/{event.total_steps}: {text}"
        if event.note:
            text += f" ({event.note})"
        if self._status is None:
            self._status = self.console.status(text)
            self._status.start()
        else:
            self._status.update(text)

    async def deliver(self, message: Message, reply: Reply) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
        style = "red" if reply.error_code else "bold blue"
        self.console.print(f"[{style}]bot ›[/] {reply.text}", highlight=False)
        for artifact in [*reply.artifacts, *([reply.voice] if reply.voice else [])]:
            self.console.print(f"    {artifact.handle}: {artifact.path}", highlight=False)


def _files(names: list[str]) -> tuple[list[Path], list[str]]:
    """Existing files, and the names that are not files."""
    paths = [Path(n).expanduser() for n in names]
    return [p for p in paths if p.is_file()], [str(p) for p in paths if not p.is_file()]
