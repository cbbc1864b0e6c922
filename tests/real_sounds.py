"""Real recordings from Debian packages, for tests that must not rest on our own synthesis:
LibriVox speech (pocketsphinx-testdata) and the OpenSFX sound effects (openttd-opensfx,
field recordings from freesound.org and pdsounds.org, each named with its licence)."""

from __future__ import annotations

import io
import re
import struct
from functools import cache
from pathlib import Path

import numpy as np
import soundfile as sf

from media.audio import Audio

LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
OPENSFX = Path("/usr/share/games/openttd/baseset/opensfx/opensfx.cat")


def librivox() -> list[tuple[Path, str]]:
    """The five LibriVox utterances (16 kHz WAV) with their transcripts."""
    listing = (LIBRIVOX / "transcription").read_text(encoding="utf-8")
    return [(LIBRIVOX / f"{name}.wav", said.strip())
            for said, name in re.findall(r"<s>(.*?)</s> \((.*?)\)", listing)]


@cache
def opensfx() -> dict[str, Audio]:
    """The OpenSFX sounds by their title ("Wind", "Cow", "Applause", …).

    OpenTTD's sample catalogue: a table of (offset, size) pairs, the offsets flagged in their
    top bit, each entry a length-prefixed description (title, author, licence) and a WAV."""
    data = OPENSFX.read_bytes()
    count = (struct.unpack_from("<I", data)[0] & 0x7FFFFFFF) // 8
    sounds: dict[str, Audio] = {}
    for i in range(count):
        offset, size = struct.unpack_from("<II", data, 8 * i)
        offset &= 0x7FFFFFFF
        length = data[offset]
        title = data[offset + 1: offset + 1 + length].decode("utf-8", "replace")
        body = data[offset + 1 + length: offset + size]
        if body[:4] != b"RIFF":
            continue  # the empty placeholders
        samples, rate = sf.read(io.BytesIO(body), dtype="float32", always_2d=False)
        sounds[title.split('"')[1]] = Audio(np.asarray(samples, np.float32), int(rate))
    return sounds


POCKETSPHINX = LIBRIVOX.parent
# Another real speaker beside the LibriVox reader: the CMU recordings of pocketsphinx's own
# tests (one man; his three clips' d-vectors sit 0.7 apart in cosine similarity, each near
# 0.2 from the reader's). Headerless 16 kHz 16-bit PCM.
CMU_CLIPS = ("goforward", "numbers", "something")
TURN_GAP = 0.8  # seconds of silence between turns of the meeting


def cmu_speaker() -> list[np.ndarray]:
    """The three clips of the CMU speaker, 16 kHz float32."""
    return [np.fromfile(POCKETSPHINX / f"{name}.raw", dtype="<i2").astype(np.float32) / 32768
            for name in CMU_CLIPS]


def meeting(turns: int = 6) -> tuple[Audio, list[tuple[float, float, int]]]:
    """Two real speakers taking turns, not overlapping: the LibriVox reader (speaker 0) and
    the CMU speaker (1), alternating, with TURN_GAP of silence between; and who spoke when
    (start, end in seconds, speaker)."""
    reader = [sf.read(str(path), dtype="float32")[0] for path, _ in librivox()]
    voices = (reader, cmu_speaker())
    gap = np.zeros(int(TURN_GAP * 16_000), np.float32)
    pieces, truth, at = [], [], 0.0
    for turn in range(turns):
        clip = voices[turn % 2][turn // 2 % len(voices[turn % 2])]
        clip = clip * (0.1 / np.sqrt(np.mean(clip ** 2)))  # the same loudness for both
        pieces += [clip, gap]
        truth.append((at, at + len(clip) / 16_000, turn % 2))
        at += (len(clip) + len(gap)) / 16_000
    return Audio(np.concatenate(pieces).astype(np.float32), 16_000), truth
