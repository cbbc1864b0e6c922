"""Decoding and probing real files in every format users send."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core_agent.errors import MediaError
from media.decode import decode
from media.encode import encode_voice_note
from media.probe import probe
from tests.samples import convert, espeak, tone


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return espeak("testing one two three", tmp_path_factory.mktemp("audio") / "speech.wav")


@pytest.mark.parametrize("suffix", [".ogg", ".mp3", ".m4a", ".wav", ".webm", ".mp4"])
def test_every_format_decodes_to_16k_mono(speech_wav: Path, tmp_path: Path, suffix: str) -> None:
    source = convert(speech_wav, tmp_path / f"clip{suffix}")
    info = probe(source)
    audio = decode(source)
    assert info.kind == ("video" if suffix == ".mp4" else "audio")
    assert audio.sample_rate == 16_000 and audio.channels == 1
    expected = probe(speech_wav).duration
    assert expected and abs(audio.duration - expected) < 0.15
    assert np.abs(audio.samples).max() > 0.05  # real sound, not silence


def test_voice_note_is_ogg_opus_at_48k(speech_wav: Path, tmp_path: Path) -> None:
    note = encode_voice_note(speech_wav, tmp_path / "note.ogg")
    info = probe(note)
    assert info.format == "ogg" and info.sample_rate == 48_000 and info.channels == 1
    assert note.read_bytes()[28:36] == b"OpusHead"  # first Ogg page carries the Opus header


def test_png_is_an_image(tmp_path: Path) -> None:
    import subprocess

    png = tmp_path / "face.png"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=64x48",
                    "-frames:v", "1", str(png)], check=True)
    info = probe(png)
    assert (info.kind, info.width, info.height) == ("image", 64, 48)


@pytest.mark.parametrize("content", [b"", b"not audio at all, just text\n" * 40,
                                     b"OggS" + bytes(range(256)) * 8])
def test_unreadable_files_raise_media_error(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "note.ogg"
    bad.write_bytes(content)
    with pytest.raises(MediaError):
        probe(bad)


def test_truncated_file_decodes_what_is_there_or_refuses(tmp_path: Path) -> None:
    long = convert(tone(tmp_path / "t.wav", 3.0), tmp_path / "t.mp3")
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(long.read_bytes()[: long.stat().st_size // 2])
    audio = decode(cut)
    assert 1.0 < audio.duration < 2.5
