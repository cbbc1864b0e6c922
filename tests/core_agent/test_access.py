"""Allow-lists, admins and quotas, applied by the agent to every platform's messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from core_agent.config import Settings
from core_agent.tables import Job, MessageRecord
from core_agent.types import Message
from models.cache import BackendCache
from models.embeddings import MiniLMEmbedder
from tests.conftest import make_settings
from workers.runtime import build_runtime

SPEAK = "say the meeting starts after lunch today"


def said(user: str, text: str = SPEAK, channel: str = "telegram:chat:5",
         scopes: tuple[str, ...] = ("telegram:chat:5",)) -> Message:
    return Message(channel_id=channel, text=text, platform="telegram", user_id=user,
                   scopes=list(scopes))


async def test_allow_lists_admit_listed_users_and_chats_only(
        tmp_path: Path, database_url: str, embedder: MiniLMEmbedder, backends: BackendCache
) -> None:
    settings = make_settings(tmp_path / "data", database_url=database_url,
                             allow=["telegram:user:1", "telegram:chat:-100"],
                             admins=["telegram:user:9"])
    rt = build_runtime(settings, embedder=embedder, backends=backends)
    try:
        stranger = await rt.agent.handle(said("telegram:user:2", "hello"))
        in_group = await rt.agent.handle(said("telegram:user:2", "hello",
                                              scopes=("telegram:chat:-100",)))
        listed = await rt.agent.handle(said("telegram:user:1", "hello"))
        admin = await rt.agent.handle(said("telegram:user:9", "hello"))
        other_platform = await rt.agent.handle(Message(channel_id="web:x", text="hello",
                                                       platform="web"))
        assert stranger.error_code == "access-denied" and "admin" in stranger.text
        assert [r.error_code for r in (in_group, listed, admin, other_platform)] == [None] * 4
        with Session(rt.memory.engine) as s:  # the refused message is kept, marked failed
            refused = s.exec(select(MessageRecord).where(
                MessageRecord.user_id == "telegram:user:2", MessageRecord.role == "user")).all()
            assert sorted(m.status for m in refused) == ["answered", "failed"]
            assert not s.exec(select(Job)).all()
    finally:
        await rt.aclose()


async def test_a_platform_wildcard_opens_it(tmp_path: Path) -> None:
    from core_agent.access import Access

    settings = make_settings(tmp_path, allow=["telegram:*", "slack:team:T1"])
    access = Access(settings, memory=None)  # type: ignore[arg-type]  # admits() reads no memory
    assert access.admits(said("telegram:user:77"))
    assert not access.admits(Message(channel_id="slack:C", platform="slack",
                                     user_id="slack:user:U1", scopes=["slack:team:T2"]))
    assert access.admits(Message(channel_id="slack:C", platform="slack",
                                 user_id="slack:user:U1", scopes=["slack:team:T1"]))


async def test_job_quota_refuses_work_but_keeps_talking(
        tmp_path: Path, database_url: str, embedder: MiniLMEmbedder, backends: BackendCache
) -> None:
    settings = make_settings(tmp_path / "data", database_url=database_url, quota_user_jobs=2,
                             admins=["telegram:user:9"])
    rt = build_runtime(settings, embedder=embedder, backends=backends)
    try:
        first = await rt.agent.handle(said("telegram:user:1"))
        second = await rt.agent.handle(said("telegram:user:1"))
        third = await rt.agent.handle(said("telegram:user:1"))
        chat = await rt.agent.handle(said("telegram:user:1", "hello"))
        other = await rt.agent.handle(said("telegram:user:2"))
        admin = await rt.agent.handle(said("telegram:user:9"))
        assert [first.error_code, second.error_code] == [None, None]
        assert third.error_code == "quota-exceeded" and "2 jobs" in third.text
        assert chat.error_code is None  # a plain answer runs no job
        assert other.error_code is None and admin.error_code is None
        used = await rt.agent.access.usage(user_id="telegram:user:1")
        assert used.jobs == 2 and used.compute_seconds > 0
        assert (await rt.agent.access.usage(channel_id="telegram:chat:5")).jobs == 4
    finally:
        await rt.aclose()


async def test_compute_quota_counts_model_seconds(
        tmp_path: Path, embedder: MiniLMEmbedder, backends: BackendCache) -> None:
    settings = make_settings(tmp_path / "data", quota_user_compute_seconds=0.01)
    rt = build_runtime(settings, embedder=embedder, backends=backends)
    try:
        assert (await rt.agent.handle(said("telegram:user:1"))).error_code is None
        again = await rt.agent.handle(said("telegram:user:1"))
        assert again.error_code == "quota-exceeded" and "model time" in again.text
    finally:
        await rt.aclose()


def test_lists_come_from_the_environment_comma_separated(tmp_path: Path) -> None:
    code = ("from core_agent.config import Settings; s = Settings(_env_file=None); "
            "print(s.allow, s.admins)")
    env = {**os.environ, "AUDIOGPT_ALLOW": "telegram:user:1, slack:team:T1",
           "AUDIOGPT_ADMINS": '["discord:user:3"]'}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['telegram:user:1', 'slack:team:T1'] ['discord:user:3']"
    from_text: Any = "a:1,b:2"
    assert Settings(_env_file=None, allow=from_text).allow == ["a:1", "b:2"]  # type: ignore[call-arg]
