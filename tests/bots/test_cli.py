"""The `audiogpt` command as users run it: a real process, real models, JSON out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from media.probe import probe
from tests.samples import voice_note, wer
from workers.steps import EXECUTORS


def audiogpt(data: Path, *args: str, stdin: str | None = None, **env_vars: str
             ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUDIOGPT_DATA_DIR": str(data), **env_vars}
    return subprocess.run([sys.executable, "-m", "bots.cli", *args], env=env, text=True,
                          capture_output=True, input=stdin, timeout=180, check=False)


def ask_json(data: Path, *args: str) -> tuple[int, dict[str, Any]]:
    done = audiogpt(data, "ask", "--json", *args)
    return done.returncode, json.loads(done.stdout)


def test_tasks_lists_every_task_with_install_state(tmp_path: Path) -> None:
    done = audiogpt(tmp_path, "tasks", "--json")
    rows = {row["task"]: row for row in json.loads(done.stdout)}
    assert len(rows) == 18 and "audio_edit" in rows
    assert all(row["backends"] for row in rows.values())  # every task has a model to list
    assert set(EXECUTORS) == set(rows)  # and a step that runs it
    asr = {b["name"]: b for b in rows["speech_recognition"]["backends"]}
    assert asr["faster-whisper-tiny-en"]["installed"] is True  # embedded: comes with the install
    turbo = asr["faster-whisper-large-v3-turbo"]  # neural: pulled on request
    assert turbo["installed"] is False and turbo["tier"] == "neural"
    assert turbo["install"] == "audiogpt models pull speech_recognition"
    (blip,) = rows["image_to_audio"]["backends"]  # every task has a model now, some neural only
    assert (blip["name"], blip["installed"]) == ("blip-caption-large", False)


def test_ask_transcribes_an_attached_voice_note(tmp_path: Path) -> None:
    note = voice_note("the train leaves at seven", tmp_path)
    code, out = ask_json(tmp_path / "data", "--attach", str(note), "transcribe this")
    assert code == 0, out
    (step,) = out["steps"]
    assert (step["task"], step["status"]) == ("speech_recognition", "done")
    assert wer("the train leaves at seven", step["outputs"]["text"]) < 0.2


def test_ask_reads_aloud_into_a_voice_note_and_remembers_it(tmp_path: Path) -> None:
    code, out = ask_json(tmp_path, "read this aloud: the meeting moved to noon")
    assert code == 0, out
    (artifact,) = out["artifacts"]
    assert artifact["mime"] == "audio/ogg" and artifact["kind"] == "audio"
    assert probe(Path(artifact["path"])).format == "ogg" and artifact["duration"] > 0.5
    code, again = ask_json(tmp_path, "now transcribe what you just said")
    assert code == 0 and again["steps"][0]["args"]["audio"] == artifact["handle"]


def test_dry_run_prints_the_plan_only(tmp_path: Path) -> None:
    code, out = ask_json(tmp_path, "--dry-run", "read this aloud: hello there")
    assert code == 0
    assert [(s["task"], s["status"]) for s in out["steps"]] == [("text_to_speech", "planned")]
    assert out["steps"][0]["args"]["text"].lower().startswith("hello there")
    assert out["artifacts"] == []


def test_a_bad_file_exits_non_zero_with_a_clear_reply(tmp_path: Path) -> None:
    empty = tmp_path / "voice.ogg"
    empty.write_bytes(b"")
    code, out = ask_json(tmp_path / "data", "--attach", str(empty), "transcribe this")
    assert code == 1 and out["error_code"] == "input-rejected" and "empty" in out["reply"]


def test_terminal_chat_keeps_a_conversation(tmp_path: Path) -> None:
    script = "read this aloud: good night\n/voice on\nhello\n/reset\n/quit\n"
    done = audiogpt(tmp_path, "chat", "--channel", "t", stdin=script)
    assert done.returncode == 0, done.stderr
    assert "a1:" in done.stdout and "I'll speak my replies here." in done.stdout
    assert "a2:" in done.stdout  # the spoken reply to "hello"
    assert "Done: I've forgotten" in done.stdout
    assert not any((tmp_path / "media").glob("cli_t/*"))


def test_logs_are_json_lines_naming_the_turn_and_job_without_secrets(tmp_path: Path) -> None:
    secret = "sk-live-do-not-leak-0123456789"
    empty = tmp_path / "voice.ogg"  # refused, which the turn logs
    empty.write_bytes(b"")
    done = audiogpt(tmp_path / "data", "ask", "-v", "--dry-run", "--attach", str(empty),
                    f"please forget the key {secret}", AUDIOGPT_LOG_FORMAT="json",
                    OPENAI_API_KEY=secret, AUDIOGPT_PLANNER="offline")
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert lines, done.stderr
    assert secret not in done.stderr + done.stdout
    assert {"at", "level", "logger", "message", "message_id", "job_id"} <= set(lines[0])
    turn = [e for e in lines if e["message_id"] != "-"]
    assert turn and all(len(e["message_id"]) == 32 for e in turn)  # the stored message's id
