"""Hostile files, built by the tests: what an attacker uploads to read other channels'
recordings, exhaust memory or CPU, or slip past the limits by lying in a header.

Each maker writes one file into `folder` and returns its path. `victim` is the server
path of a recording in another channel, whose words must never come back.
"""

from __future__ import annotations

import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path

Maker = Callable[[Path, Path], Path]


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def playlist_absolute(folder: Path, victim: Path) -> Path:
    """An HLS playlist named .wav whose second line says WAVE, pointing at the victim."""
    return _write(folder / "song.wav", (
        "#EXTM3U\nWAVE\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n"
        f"{victim}\n#EXT-X-ENDLIST\n").encode())


def playlist_relative(folder: Path, victim: Path) -> Path:
    """The same with a path that resolves once the upload sits in media/<channel>/."""
    relative = f"../{victim.parent.name}/{victim.name}"
    return _write(folder / "song.wav", (
        f"#EXTM3U\nWAVE\n#EXTINF:10,\n{relative}\n#EXTINF:10,\n"
        f"../../{victim.parent.parent.name}/{victim.parent.name}/{victim.name}\n"
        "#EXT-X-ENDLIST\n").encode())


def playlist_in_riff(folder: Path, victim: Path) -> Path:
    """A real RIFF/WAVE header with a playlist as its 'data': only a wav demuxer may read it."""
    text = f"#EXTM3U\n#EXTINF:10,\n{victim}\n#EXT-X-ENDLIST\n".encode()
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, 16000, 32000, 2, 16)
    body = b"WAVE" + fmt + b"data" + struct.pack("<I", len(text)) + text
    return _write(folder / "song.wav", b"RIFF" + struct.pack("<I", len(body)) + body)


def playlist_self(folder: Path, victim: Path) -> Path:
    """A master playlist whose one variant is itself (the 101-byte memory bomb)."""
    return _write(folder / "a1.wav", (
        b"#EXTM3U\nWAVE\n#EXT-X-STREAM-INF:BANDWIDTH=1\na1.wav\n"
        b"#EXT-X-STREAM-INF:BANDWIDTH=2\n./a1.wav\n"))


def concat_script(folder: Path, victim: Path) -> Path:
    """An ffconcat script over the victim's file, disguised as MP3."""
    return _write(folder / "mix.mp3", (
        f"ffconcat version 1.0\nfile '{victim}'\nfile '{victim}'\n").encode())


def image_sequence(folder: Path, victim: Path) -> Path:
    """A file named like an image2 sequence pattern, holding a PNG signature and text."""
    return _write(folder / "frame%03d.png", b"\x89PNG\r\n\x1a\n" + str(victim).encode())


def _tone(path: Path, seconds: float, *codec: str) -> Path:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"sine=f=440:d={seconds}:r=16000", *codec, str(path)], check=True)
    return path


def lying_mp3(folder: Path, victim: Path, seconds: float = 150.0) -> Path:
    """An MP3 whose Xing header claims 250 frames (about 7 s) over `seconds` of sound."""
    path = _tone(folder / "short.mp3", seconds, "-c:a", "libmp3lame", "-b:a", "32k")
    data = bytearray(path.read_bytes())
    at = max(data.find(b"Xing"), data.find(b"Info"))
    assert at > 0, "libmp3lame wrote no Xing header"
    flags = struct.unpack(">I", data[at + 4:at + 8])[0]
    assert flags & 1, "the Xing header carries no frame count"
    data[at + 8:at + 12] = struct.pack(">I", 250)
    return _write(path, bytes(data))


def lying_wav(folder: Path, victim: Path, seconds: float = 150.0) -> Path:
    """A WAV whose RIFF and data sizes say 0.5 s of sound over `seconds` of samples:
    the data chunk says 'until the end' (0xFFFFFFFF), as streaming writers do."""
    path = _tone(folder / "short.wav", seconds, "-c:a", "pcm_s16le")
    data = bytearray(path.read_bytes())
    at = data.find(b"data")
    data[4:8] = struct.pack("<I", 16000)  # RIFF size: about half a second
    data[at + 4:at + 8] = b"\xff\xff\xff\xff"
    return _write(path, bytes(data))


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(
        ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png_bomb(folder: Path, victim: Path, side: int = 12_000) -> Path:
    """A valid side×side black RGB PNG: some 400 KB that decodes to side²×3 bytes."""
    row = b"\x00" * (1 + side * 3)
    squeeze = zlib.compressobj(9)
    idat = b"".join(squeeze.compress(row) for _ in range(side)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return _write(folder / "face.png", b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
                  + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b""))


def jpeg_bomb(folder: Path, victim: Path) -> Path:
    """A real small JPEG whose frame header is patched to claim 60000×60000 pixels."""
    path = folder / "face.jpg"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "color=c=gray:s=64x64", "-frames:v", "1", str(path)], check=True)
    data = bytearray(path.read_bytes())
    at = next(i for i in range(2, len(data) - 9) if data[i] == 0xFF
              and data[i + 1] in (0xC0, 0xC1, 0xC2))
    data[at + 5:at + 9] = struct.pack(">HH", 60_000, 60_000)
    return _write(path, bytes(data))


def webp_bomb(folder: Path, victim: Path) -> Path:
    """A WebP whose extended header claims the largest canvas, 16384×16384."""
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + \
        (16383).to_bytes(3, "little") + (16383).to_bytes(3, "little")
    body = b"WEBP" + vp8x
    return _write(folder / "face.webp", b"RIFF" + struct.pack("<I", len(body)) + body)


def gif_bomb(folder: Path, victim: Path) -> Path:
    """A GIF whose first frame claims 65535×65535 inside a small logical screen."""
    screen = b"GIF89a" + struct.pack("<HHBBB", 16, 16, 0, 0, 0)
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, 65535, 65535, 0) + b"\x02\x02\x4c\x01\x00"
    return _write(folder / "face.gif", screen + frame + b"\x3b")


def lyric_flood(folder: Path, victim: Path, events: int = 12_000) -> Path:
    """A MIDI file of a few notes and `events` lyric events (the quadratic fitting case)."""
    import mido

    song = mido.MidiFile()
    track = mido.MidiTrack()
    song.tracks.append(track)
    for i in range(events):
        track.append(mido.MetaMessage("lyrics", text=f"la{i % 10}", time=0))
    for note in (60, 62, 64):
        track.append(mido.Message("note_on", note=note, velocity=64, time=0))
        track.append(mido.Message("note_off", note=note, velocity=0, time=480))
    path = folder / "song.mid"
    song.save(str(path))
    return path


# Each case: how to make it, and what the reply must say (a word of the refusal).
READS_ELSEWHERE: dict[str, Maker] = {
    "playlist-absolute": playlist_absolute, "playlist-relative": playlist_relative,
    "playlist-in-riff": playlist_in_riff, "playlist-self": playlist_self,
    "concat-script": concat_script, "image-sequence": image_sequence,
}
LIES_ABOUT_LENGTH: dict[str, Maker] = {"lying-mp3": lying_mp3, "lying-wav": lying_wav}
PICTURE_BOMBS: dict[str, Maker] = {"png-bomb": png_bomb, "jpeg-bomb": jpeg_bomb,
                                   "webp-bomb": webp_bomb, "gif-bomb": gif_bomb}
SCORE_FLOODS: dict[str, Maker] = {"lyric-flood": lyric_flood}  # sent with "sing this"


def build(makers: dict[str, Maker], folder: Path, victim: Path) -> dict[str, Path]:
    """Each case made in a folder of its own under `folder` (several share a file name)."""
    made = {}
    for case, make in makers.items():
        (folder / case).mkdir(parents=True)
        made[case] = make(folder / case, victim)
    return made
