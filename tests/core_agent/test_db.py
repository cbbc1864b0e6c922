"""Schema upgrades at start: run when the database is behind the migrations, skipped when it
is up to date (every CLI turn and worker is a start)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from core_agent.db import alembic_config, make_engine, open_memory, upgrade
from tests.conftest import make_settings

UPGRADING = "upgrading database schema"


def revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def test_a_second_start_on_an_up_to_date_database_runs_no_upgrade(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = make_settings(tmp_path)
    caplog.set_level(logging.INFO, logger="core_agent.db")
    first = open_memory(settings)
    assert revision(first.engine) == head(first.engine)
    first.engine.dispose()
    assert [r.message for r in caplog.records if UPGRADING in r.message]
    caplog.clear()
    second = open_memory(settings)
    assert revision(second.engine) == head(second.engine)
    second.engine.dispose()
    assert not [r.message for r in caplog.records if UPGRADING in r.message]


def test_a_database_behind_the_migrations_is_upgraded(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    older = make_engine(settings.db_url)
    upgrade(older, "0002")
    assert revision(older) == "0002" != head(older)
    older.dispose()
    memory = open_memory(settings)
    assert revision(memory.engine) == head(memory.engine)
    columns = {c["name"] for c in inspect(memory.engine).get_columns("artifact")}
    assert "platform_message_id" in columns  # what 0003 adds
    memory.engine.dispose()
