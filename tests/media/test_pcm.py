"""The length check's samples serve the decode that follows: one ffmpeg child fewer per
voice note, the length check beside ffprobe, and nothing served for a file that changed."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from media import ffmpeg, pcm
from media.audio import Audio
from media.decode import decode, written
from media.encode import write_wav
from media.probe import TooLong, probe
from tests.samples import convert, tone, voice_note


def test_the_stored_copy_of_an_upload_decodes_from_the_length_check(
        tmp_path: Path, ffmpeg_children: list[str]) -> None:
    note = voice_note("the bus leaves at seven", tmp_path)
    info = probe(note, max_seconds=60)
    stored = tmp_path / "media" / "a1.ogg"  # as ingest keeps it: a copy, elsewhere
    stored.parent.mkdir()
    shutil.copyfile(note, stored)
    audio = decode(stored)
    assert sorted(ffmpeg_children) == ["ffmpeg", "ffprobe"]  # no third child for the decode
    assert info.duration == pytest.approx(audio.duration)
    pcm.MEMO.clear()
    fresh = decode(stored)
    assert ffmpeg_children.count("ffmpeg") == 2
    assert np.array_equal(audio.samples, fresh.samples)  # the same samples a child gives
    assert audio.samples.flags.writeable  # the caller's own copy


def test_a_file_changed_on_disk_is_decoded_again(tmp_path: Path, ffmpeg_children: list[str]
                                                 ) -> None:
    note = convert(tone(tmp_path / "short.wav", 1.0), tmp_path / "note.ogg")
    probe(note, max_seconds=60)
    convert(tone(tmp_path / "long.wav", 2.5, freq=220), note)
    audio = decode(note)
    assert ffmpeg_children.count("ffmpeg") == 2
    assert audio.duration == pytest.approx(2.5, abs=0.05)


def test_the_length_check_runs_beside_ffprobe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    note = convert(tone(tmp_path / "t.wav", 1.0), tmp_path / "t.ogg")
    both = threading.Barrier(2, timeout=30)  # broken unless both children start together
    real_run = ffmpeg.run

    def run(args: list[str], *rest: Any, **named: Any) -> tuple[bytes, str]:
        both.wait()
        return real_run(args, *rest, **named)

    monkeypatch.setattr(ffmpeg, "run", run)
    assert probe(note, max_seconds=60).duration == pytest.approx(1.0, abs=0.05)


def test_the_limits_hold_with_the_memo(tmp_path: Path, ffmpeg_children: list[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    note = convert(tone(tmp_path / "t.wav", 3.0), tmp_path / "t.ogg")
    probe(note, max_seconds=60)
    with pytest.raises(TooLong):  # a kept recording is still held to the caller's limit
        decode(note, max_seconds=1.0)
    with pytest.raises(TooLong):  # and an upload to the configured one
        probe(note, max_seconds=2.0)
    monkeypatch.setattr(pcm, "MEMO", pcm.Memo(entry_limit=16_000 * 4))  # a second kept
    other = convert(tone(tmp_path / "u.wav", 3.0, freq=300), tmp_path / "u.ogg")
    assert probe(other, max_seconds=60).duration == pytest.approx(3.0, abs=0.05)
    before = ffmpeg_children.count("ffmpeg")
    decode(other)  # too long to keep under that limit: decoded again
    assert ffmpeg_children.count("ffmpeg") == before + 1


def test_the_memo_keeps_the_newest_within_its_budget(tmp_path: Path) -> None:
    memo = pcm.Memo(capacity=3 * 4000)
    files = []
    for n in range(4):
        path = tmp_path / f"{n}.bin"
        path.write_bytes(bytes([n]) * 100)  # the same size: told apart by content
        memo.put(path, 16_000, np.full(1000, n, np.float32), pcm.identity(path))
        files.append(path)
    assert memo.get(files[0], 16_000) is None  # the oldest made room
    kept = memo.get(files[3], 16_000)
    assert kept is not None and kept[0] == 3
    assert memo.get(files[3], 8_000) is None  # another rate is another decode
    stale = tmp_path / "stale.bin"
    stale.write_bytes(b"x" * 100)
    before = pcm.identity(stale)
    stale.write_bytes(b"y" * 101)  # changed while it was being decoded
    memo.put(stale, 16_000, np.zeros(10, np.float32), before)
    assert memo.get(stale, 16_000) is None


def test_a_recording_we_wrote_is_taken_in_without_a_child(tmp_path: Path,
                                                          ffmpeg_children: list[str]) -> None:
    """A voice channel's utterance: its facts and its samples at Whisper's rate are known
    by its content, wherever the bytes are copied; other bytes are probed as any upload."""
    rng = np.random.default_rng(7)
    audio = Audio((0.2 * np.sin(np.arange(96_000) * 0.05)
                   + 0.01 * rng.standard_normal(96_000)).astype(np.float32), 48_000)
    ours = written(audio, tmp_path / "utterance.wav")
    stored = tmp_path / "a1.wav"
    shutil.copyfile(ours, stored)
    info = probe(stored, max_seconds=60)
    heard = decode(stored)
    assert ffmpeg_children == []
    assert (info.kind, info.mime, info.sample_rate, info.channels) == \
        ("audio", "audio/wav", 48_000, 1)
    assert info.duration == pytest.approx(2.0) and heard.duration == pytest.approx(2.0)
    assert heard.sample_rate == 16_000
    with pytest.raises(TooLong):  # the limit still holds for what we wrote
        probe(stored, max_seconds=1)
    assert sorted(ffmpeg_children) == ["ffmpeg", "ffprobe"]  # measured for real
    other = write_wav(Audio(audio.samples[::-1].copy(), 48_000), tmp_path / "other.wav")
    ffmpeg_children.clear()
    assert probe(other, max_seconds=60).duration == pytest.approx(2.0)
    assert sorted(ffmpeg_children) == ["ffmpeg", "ffprobe"]  # not ours: read for real
