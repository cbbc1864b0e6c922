"""PostgreSQL away for a while, for real: a server of this test's own is stopped and started
again. The bot keeps answering (saying it can't take the message), and recovers by itself."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from core_agent.types import Message
from models.cache import BackendCache
from models.embeddings import MiniLMEmbedder
from tests.conftest import make_settings
from tests.net import free_port
from workers.runtime import build_runtime

pytestmark = pytest.mark.postgres


def as_postgres(*command: str, check: bool = True) -> None:
    """Run a server command as the postgres user (it refuses to run as root)."""
    argv = ["su", "postgres", "-c", " ".join(command)] if os.getuid() == 0 else list(command)
    subprocess.run(argv, check=check, capture_output=True)


class Server:
    """A throw-away PostgreSQL cluster on a spare port, with trust auth on loopback."""

    def __init__(self, folder: Path) -> None:
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bins:
            pytest.fail("PostgreSQL's server binaries are missing (./dev test installs them)")
        self.bin, self.data = Path(bins[-1]), folder / "cluster"
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        if os.getuid() == 0:
            shutil.chown(folder, "postgres")
        as_postgres(str(self.bin / "initdb"), "-A", "trust", "-U", "postgres", "-D",
                    str(self.data))

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w",
                    "-l", str(self.data / "server.log"), "-o",
                    f"'-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1'", "start")

    def stop(self, mode: str = "fast", check: bool = True) -> None:
        as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop",
                    check=check)


@pytest.fixture
def server() -> Iterator[Server]:
    folder = Path(tempfile.mkdtemp(prefix="audiogpt-pg-"))  # outside root's private tmp
    pg = Server(folder)
    pg.start()
    yield pg
    pg.stop("immediate", check=False)
    shutil.rmtree(folder, ignore_errors=True)


async def test_the_bot_answers_through_a_database_outage_and_recovers(
        server: Server, tmp_path: Path, embedder: MiniLMEmbedder, backends: BackendCache
) -> None:
    settings = make_settings(tmp_path / "data", database_url=server.url)
    rt = build_runtime(settings, embedder=embedder, backends=backends)
    try:
        before = await rt.agent.handle(Message(channel_id="web:db", text="hello"))
        server.stop()
        during = await rt.agent.handle(Message(channel_id="web:db", text="hello again"))
        server.start()
        after = await rt.agent.handle(Message(channel_id="web:db",
                                              text="say the meeting starts after lunch today"))
        stored = await rt.memory.messages("web:db")
    finally:
        await rt.aclose()
    assert before.error_code is None and after.error_code is None, after.text
    assert during.error_code == "storage-unavailable" and "database" in during.text
    assert after.artifacts and after.steps[0].task == "text_to_speech"
    said = [row.text for row, _ in stored if row.role == "user"]
    assert said == ["hello", "say the meeting starts after lunch today"]
