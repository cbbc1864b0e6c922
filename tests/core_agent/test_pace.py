"""Time estimates from recorded timings: the running average per task, its seed, rounding,
and when nothing is said."""

from __future__ import annotations

from pathlib import Path

import pytest

from core_agent.pace import Paces, about, media_seconds, note
from tasks import TASKS


def test_the_pace_is_a_running_average_of_what_jobs_took(tmp_path: Path) -> None:
    paces = Paces(tmp_path / "cache" / "pace.json")
    assert paces.rate("speech_separation") is None  # never run here, no seed: no basis
    assert paces.estimate("speech_separation", {}, 60.0) is None
    for took in (30.0, 60.0):  # seconds a minute of audio took
        paces.record("speech_separation", "voicefilter", took, {}, 60.0)
    assert paces.rate("speech_separation") == pytest.approx(0.75)
    assert paces.estimate("speech_separation", {}, 120.0) == pytest.approx(90.0)
    paces.record("speech_separation", "sepformer", 240.0, {}, 60.0)  # a new model pulled
    assert paces.rate("speech_separation") == pytest.approx(4.0)
    # Another process reading the same file (the bot, where a worker ran the job) agrees.
    assert Paces(tmp_path / "cache" / "pace.json").rate("speech_separation") == \
        pytest.approx(4.0)


def test_a_reader_sees_what_another_process_recorded_since(tmp_path: Path) -> None:
    """The bot keeps what it read; a worker's later measurement still reaches it."""
    bot, worker = Paces(tmp_path / "pace.json"), Paces(tmp_path / "pace.json")
    bot.record("speech_enhancement", "deepfilternet", 6.0, {}, 60.0)
    assert bot.rate("speech_enhancement") == pytest.approx(0.1)
    assert worker.rate("speech_enhancement") == pytest.approx(0.1)
    worker.record("speech_enhancement", "deepfilternet", 18.0, {}, 60.0)  # 0.3 s per second
    assert bot.rate("speech_enhancement") == pytest.approx(0.2)  # the average of the two
    (tmp_path / "pace.json").write_text("{half", encoding="utf-8")  # a crash mid-write
    assert bot.rate("speech_enhancement") == TASKS["speech_enhancement"].pace


def test_the_average_keeps_a_window_of_jobs(tmp_path: Path) -> None:
    paces = Paces(tmp_path / "pace.json")
    for _ in range(30):
        paces.record("talking_head", "cascade", 10.0, {}, 10.0)  # 1 s per second
    paces.record("talking_head", "cascade", 110.0, {}, 10.0)  # one slow job: 11 s per second
    assert paces.rate("talking_head") == pytest.approx(2.0)  # moved by a tenth of the gap


def test_a_task_that_never_ran_here_uses_its_seed(tmp_path: Path) -> None:
    seed = TASKS["talking_head"].pace
    assert seed is not None
    paces = Paces(tmp_path / "pace.json")
    assert paces.estimate("talking_head", {"audio": "a1"}, 20.0) == pytest.approx(20 * seed)


def test_what_a_step_scales_with() -> None:
    assert media_seconds({"audio": "a1"}, 12.5) == 12.5
    assert media_seconds({"prompt": "rain", "duration": 8}, None) == 8.0
    assert media_seconds({"text": "x" * 140}, None) == pytest.approx(10.0)
    assert media_seconds({"text": "step1"}, None) is None  # an earlier step's words, unknown
    assert media_seconds({"audio": "step1"}, None) is None


def test_no_basis_or_a_short_job_says_nothing(tmp_path: Path) -> None:
    paces = Paces(tmp_path / "pace.json")
    paces.record("text_to_speech", "piper", 1.0, {"text": "x" * 140}, None)  # 0.1 s per s
    assert paces.estimate("text_to_speech", {"text": "y" * 140}, None) == pytest.approx(1.0)
    assert note(paces.estimate("text_to_speech", {"text": "y" * 140}, None), 0) is None
    assert note(None, 0) is None
    assert note(None, 1) == "1 job ahead"
    assert note(41.0, 2) == "about 40 s on this machine, 2 jobs ahead"


@pytest.mark.parametrize(("seconds", "said"), [
    (10.0, "about 10 s"), (43.0, "about 45 s"), (59.0, "about 60 s"), (61.0, "about 1 min"),
    (100.0, "about 1.5 min"), (200.0, "about 3.5 min"), (1000.0, "about 15 min")])
def test_estimates_are_rounded_as_people_say_them(seconds: float, said: str) -> None:
    assert about(seconds) == said


def test_an_unwritable_cache_costs_only_the_estimate(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    paces = Paces(blocked / "pace.json")
    paces.record("talking_head", "cascade", 10.0, {}, 10.0)  # logged, not raised
    assert paces.rate("talking_head") == TASKS["talking_head"].pace
