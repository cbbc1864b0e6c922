"""Engines and schema upgrades. Tables come from Alembic, never from create_all."""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, event, text
from sqlmodel import create_engine

import migrations
from core_agent.config import Settings
from core_agent.memory import Memory
from core_agent.storage import open_storage

log = logging.getLogger(__name__)
MIGRATION_LOCK = 7_301_920  # PostgreSQL advisory lock key held while one process migrates


def make_engine(url: str) -> Engine:
    """An engine for SQLite (the data folder is created) or PostgreSQL."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")  # readers and one writer at once (CLI + worker)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    """Alembic configured for our migrations folder, bound to this engine."""
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to date."""
    log.info("upgrading database schema to %s", revision)
    command.upgrade(alembic_config(engine), revision)


def schema_behind(engine: Engine) -> bool:
    """Whether the database lacks a migration (a new one lacks them all): the revisions its
    Alembic version table records, against the migrations' heads."""
    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current != heads


def open_memory(settings: Settings, *, migrate: bool = True) -> Memory:
    """The memory for these settings, its schema brought up to date first if it is behind
    (every process starts here, and a no-op upgrade still runs Alembic's whole machinery)."""
    engine = make_engine(settings.db_url)
    if migrate and schema_behind(engine):
        with _migrating(engine):  # processes started together (workers) take turns
            if schema_behind(engine):  # unless another did it meanwhile
                upgrade(engine)
    return Memory(engine, settings.media_dir, open_storage(settings))


@contextlib.contextmanager
def _migrating(engine: Engine) -> Iterator[None]:
    """Hold this database's migration lock: a lock file beside an SQLite database, an
    advisory lock on PostgreSQL."""
    database = engine.url.database
    if engine.url.get_backend_name() == "sqlite":
        if not database or database == ":memory:":  # this process's alone
            yield
            return
        with open(f"{database}.migrating", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
