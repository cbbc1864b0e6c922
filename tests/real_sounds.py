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
