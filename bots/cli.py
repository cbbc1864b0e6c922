"""The one command-line entry point: `audiogpt`."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from core_agent.config import Settings, get_settings
from core_agent.errors import SettingsError
from core_agent.logs import configure as configure_logging
from core_agent.types import Attachment, Event, Message, Reply

if TYPE_CHECKING:  # the web chat's modules load only for `run`
    from bots.web import WebChat
    from core_agent.preload import Preload

app = typer.Typer(help="AudioGPT for chat platforms.", no_args_is_help=True)
models_app = typer.Typer(help="Neural-catalog models.")
db_app = typer.Typer(help="The database.")
app.add_typer(models_app, name="models")
app.add_typer(db_app, name="db")
# Piped or redirected, lines are not cut at 80 columns: commands in them must stay whole to
# be copied (a terminal still wraps at its own width).
out = Console(width=None if sys.stdout.isatty() else 10_000)
err = Console(stderr=True)
VERBOSE_HELP = "Log at INFO (each job, each model load); warnings only without it."
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help=VERBOSE_HELP)]


def _setup(verbose: bool = False) -> Settings:
    # Models come from installed packages or the local cache: never reach for a hub.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    settings = get_settings()
    configure_logging(settings, verbose)
    return settings


@app.command()
def ask(
    text: Annotated[str, typer.Argument(help="The request.")] = "",
    channel: Annotated[str, typer.Option(help="Channel id; memory is kept per channel.")] = "cli",
    attach: Annotated[list[Path] | None, typer.Option(help="A file to attach (repeatable).",
                                                      exists=True, dir_okay=False)] = None,
    dry_run: Annotated[bool, typer.Option(help="Plan without executing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    verbose: Verbose = False,
) -> None:
    """One turn: plan, run and print the reply."""
    settings = _setup(verbose)
    message = Message(channel_id=f"cli:{channel}", text=text, platform="cli",
                      attachments=[Attachment(path=p, filename=p.name) for p in attach or []])
    reply = asyncio.run(_ask(settings, message, dry_run, show=not as_json))
    if as_json:
        out.print_json(json.dumps(reply_json(reply)))
    else:
        out.print(reply.text, highlight=False)
        for artifact in [*reply.artifacts, *([reply.voice] if reply.voice else [])]:
            out.print(f"  {artifact.handle}: {artifact.path}", highlight=False)
    raise typer.Exit(1 if reply.error_code else 0)


async def _ask(settings: Settings, message: Message, dry_run: bool, show: bool) -> Reply:
    from workers.runtime import build_runtime

    runtime = build_runtime(settings)
    with err.status("starting") as status:
        async def progress(event: Event) -> None:
            step = f"step {event.step}/{event.total_steps}: " if event.step else ""
            status.update(f"{step}{event.message}" + (f" ({event.note})" if event.note else ""))

        try:
            return await runtime.agent.handle(message, progress, dry_run=dry_run)
        finally:
            await runtime.aclose()


def reply_json(reply: Reply) -> dict[str, Any]:
    """The `ask --json` contract: reply, steps, artifacts."""
    artifacts = [*reply.artifacts, *([reply.voice] if reply.voice else [])]
    return {
        "reply": reply.text,
        "error_code": reply.error_code,
        "steps": [{"task": s.task, "args": s.args, "status": s.status.value,
                   "outputs": {"text": s.text, "data": s.data,
                               "artifacts": [a.handle for a in s.artifacts]},
                   "error": s.error} for s in reply.steps],
        "artifacts": [{"handle": a.handle, "kind": a.kind.value, "path": str(a.path),
                       "mime": a.mime, "duration": a.duration, "sample_rate": a.sample_rate,
                       "channels": a.channels, "producer": a.producer} for a in artifacts],
    }


@app.command()
def chat(
    channel: Annotated[str, typer.Option(help="Channel id; memory is kept per channel.")] = "cli",
    verbose: Verbose = False,
) -> None:
    """A conversation in the terminal."""
    settings = _setup(verbose)
    asyncio.run(_chat(settings, f"cli:{channel}"))


async def _chat(settings: Settings, channel_id: str) -> None:
    from bots.terminal import TerminalChat
    from workers.runtime import build_runtime

    runtime = build_runtime(settings)
    try:
        await TerminalChat(runtime.agent, channel_id, out).serve()
    finally:
        await runtime.aclose()


@app.command()
def run(verbose: Verbose = False) -> None:
    """Serve the local web chat (and every platform adapter whose credentials are set)."""
    from bots.web.security import UnsafeBind, required_token

    settings = _setup(verbose)
    try:
        required_token(settings)  # before loading anything
    except UnsafeBind as refused:
        err.print(str(refused), highlight=False)
        raise typer.Exit(2) from None
    asyncio.run(_serve(settings))


async def _serve(settings: Settings) -> None:
    from bots.platforms import Supervised, configured, serve_beside
    from bots.web import WebChat
    from workers.runtime import build_runtime

    runtime = build_runtime(settings)
    announcing: asyncio.Task[None] | None = None
    try:
        await runtime.start()
        chat = WebChat(runtime.agent, settings, runtime.preload)
        web = Supervised(chat.platform, partial(WebChat, runtime.agent, settings,
                                                runtime.preload), first=chat)
        platforms = configured(runtime.agent, settings)
        announcing = asyncio.create_task(_announce(chat, runtime.preload))
        for platform in platforms:
            out.print(f"Starting {platform.platform}", highlight=False)
        await serve_beside(web, platforms)  # until Ctrl-C
    finally:
        if announcing is not None:
            announcing.cancel()
        await runtime.aclose()


async def _announce(chat: WebChat, preload: Preload) -> None:
    """Say where the web chat is once it answers, then load the first turns' models in the
    background (a turn sent meanwhile waits for them; /healthz says when they are in)."""
    await chat.listening.wait()
    first = " (open it once with ?token=<your AUDIOGPT_WEB_TOKEN>)" if chat.token else ""
    out.print(f"Web chat on {chat.url}{first} · Ctrl-C stops", highlight=False)
    preload.start()


@app.command()
def tasks(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Each task, its backends, and whether each is installed."""
    from bots.catalog import task_rows
    from models.settings import ModelSettings

    rows = task_rows(ModelSettings.of(_setup()))
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("task", "backend", "model", "installed")
    for row in rows:
        for b in row["backends"]:
            state = "[green]yes[/]" if b["installed"] else f"[red]no[/] ({b['install']})"
            table.add_row(str(row["task"]), b["name"], b["model"], state)
    out.print(table)


@models_app.command("pull")
def models_pull(task: Annotated[str, typer.Argument(help="A task id, or 'all'.")],
                language: Annotated[str | None, typer.Option(
                    help="Only the models for this language (ISO 639-1), e.g. de.")] = None,
                ) -> None:
    """Download the neural-catalog models of a task (resumable, checked) into the models
    folder."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    from models.catalog import libraries
    from models.catalog.checkpoints import NeuralBackend
    from models.catalog.hub import Hub, PullError, pull
    from models.registry import BACKENDS
    from models.settings import ModelSettings
    from tasks import TASKS

    settings = _setup()
    models = ModelSettings.of(settings)
    if task != "all" and task not in TASKS:
        err.print(f"There is no task {task!r}. `audiogpt tasks` lists them.", highlight=False)
        raise typer.Exit(2)
    wanted = [cls for cls in BACKENDS.values() if issubclass(cls, NeuralBackend)
              and task in ("all", cls.task) and (not language or language in cls.languages)]
    if not wanted and language:
        err.print(f"{task} has no neural-catalog model for the language {language!r}.",
                  highlight=False)
        raise typer.Exit(1)
    if not wanted:
        err.print(f"{task} has no neural-catalog model; its embedded models come with the "
                  "install. `audiogpt tasks` lists them.", highlight=False)
        raise typer.Exit(1)
    if lacking := libraries.missing(wanted):
        wanted_libraries = libraries.neural_requirements()
        err.print(f"Installing the neural catalog's libraries ({', '.join(lacking)} missing): "
                  f"{' '.join(wanted_libraries)}", highlight=False)
        if not libraries.install(wanted_libraries):
            err.print("Installing them failed (pip's message is above); nothing was pulled.",
                      highlight=False)
            raise typer.Exit(1)
    token = settings.hf_token.get_secret_value() if settings.hf_token else None
    hub = Hub(settings.hf_endpoint, token)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
               TransferSpeedColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, console=err) as bars:
            for cls in wanted:
                entry = cls.catalog_entry(models)
                if not entry.repo and task == "all":
                    bars.console.print(f"{cls.model}: skipped, no repository is configured "
                                       f"({cls.install_hint})", highlight=False)
                    continue
                if not entry.repo:
                    raise PullError(f"{cls.model} has no repository configured: "
                                    f"{cls.install_hint}")
                bars.console.print(f"{cls.model}: {entry.repo} ({entry.size}, {entry.license})",
                                   highlight=False)
                folder = pull(entry, settings.models_dir, hub, _file_bars(bars))
                bars.console.print(f"  installed in {folder}", highlight=False)
    except PullError as failed:
        err.print(f"Pull failed: {failed}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        hub.close()


def _file_bars(bars: Any) -> Callable[[str, int, int], None]:
    """A progress callback drawing one bar per file."""
    rows: dict[str, Any] = {}

    def show(path: str, done: int, total: int) -> None:
        if path not in rows:
            rows[path] = bars.add_task(path, total=total)
        bars.update(rows[path], completed=done)

    return show


@app.command()
def worker(
    burst: Annotated[bool, typer.Option(help="Exit when the queue is empty.")] = False,
    queue: Annotated[str | None, typer.Option(
        help="cpu or gpu: the queue to serve (default: the one of --tasks, else cpu).")] = None,
    tasks: Annotated[str | None, typer.Option(
        help="Comma-separated task ids whose models to load (default: all of the queue's).")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose/--quiet", "-v/-q", help=VERBOSE_HELP)
                       ] = True,
) -> None:
    """Run an arq worker (needs AUDIOGPT_REDIS_URL)."""
    settings = _setup(verbose)
    if not settings.redis_url:
        err.print("Set AUDIOGPT_REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run a worker; "
                  "without it jobs run inside the bot process.")
        raise typer.Exit(2)
    from workers.arq_worker import plan_worker, serve
    from workers.queues import Resource, parse_tasks

    try:
        resource = Resource(queue) if queue else None
        resource, served = plan_worker(settings, resource, parse_tasks(tasks) if tasks else None)
    except (SettingsError, ValueError) as refused:  # unknown queue or task; another queue's
        err.print(f"Can't start the worker: {refused}.", highlight=False)
        raise typer.Exit(2) from None
    serve(settings, burst=burst, resource=resource, tasks=served)


@app.command("eval")
def evaluate(
    part: Annotated[str, typer.Option(help="consistency, heldout, capability, robustness or all "
                                           "(several separated by commas).")] = "all",
    planner: Annotated[str, typer.Option(help="offline, llm, or auto (the configured one).")
                       ] = "auto",
    tasks: Annotated[list[str] | None, typer.Option(
        help="Only these tasks (repeatable, or comma-separated).")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Where the JSON, Markdown and "
                                                 "plot go; default ./eval-<timestamp>.")] = None,
    compare: Annotated[tuple[Path, Path] | None, typer.Option(
        help="Compare two eval.json files instead of running.", exists=True, dir_okay=False)
                       ] = None,
    verbose: Verbose = False,
) -> None:
    """Consistency, capability and robustness, as the AudioGPT paper evaluates the system."""
    from evaluation import report, run
    from evaluation.compare import compare as show_comparison

    settings = _setup(verbose)
    if compare:
        show_comparison(*compare, out)
        return
    try:
        parts, chosen = run.parts_from(part), run.tasks_from(tasks)
    except ValueError as bad:
        err.print(str(bad), highlight=False)
        raise typer.Exit(2) from None
    if planner not in ("auto", "offline", "llm"):
        err.print("--planner takes offline, llm or auto.")
        raise typer.Exit(2)
    with err.status("evaluating") as status:
        def say(line: str) -> None:  # a line each, also where no spinner shows (piped)
            err.print(line, highlight=False)
            status.update(line)

        result = asyncio.run(run.evaluate(settings, parts, planner, chosen, say))
    report.show(result, out)
    for path in report.write(result, out_dir or run.default_out()):
        out.print(f"wrote {path}", highlight=False)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured database."""
    from core_agent.db import make_engine, upgrade

    settings = _setup(verbose=True)
    upgrade(make_engine(settings.db_url))
    out.print("Database is up to date.")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
