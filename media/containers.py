"""What a file's own bytes say it is: the container, the demuxer that may read it, and a
picture's size, read from full headers before any decoder sees the file.

ffmpeg picks a demuxer by probing unless told, and some of its demuxers open further
files and URLs (HLS and other playlists, concat scripts, image sequences): a text file
that passes a four-byte check becomes a way to read another channel's recordings. So a
file is only handed to ffmpeg with the one demuxer its header proves (see
`media/probe.py`), and a picture's size is read here, because decoders report 0×0 for
pictures past their own limits rather than refusing them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

HEAD_BYTES = 64 * 1024  # enough for any header read here (a JPEG's EXIF can push SOF far)


@dataclass(frozen=True)
class Container:
    """A container we accept: its MIME subtype, our suffix, ffmpeg's demuxer, its kind."""

    subtype: str
    suffix: str
    demuxer: str
    kind: str  # audio (may hold video) | image


CONTAINERS = {c.subtype: c for c in (
    Container("ogg", ".ogg", "ogg", "audio"),
    Container("webm", ".webm", "matroska", "audio"),  # Matroska/WebM, what MediaRecorder makes
    Container("wav", ".wav", "wav", "audio"),
    Container("flac", ".flac", "flac", "audio"),
    Container("mpeg", ".mp3", "mp3", "audio"),
    Container("aac", ".aac", "aac", "audio"),
    Container("quicktime", ".mov", "mov", "audio"),
    Container("mp4", ".mp4", "mov", "audio"),  # mp4, m4a, 3gp
    Container("png", ".png", "png_pipe", "image"),
    Container("jpeg", ".jpg", "jpeg_pipe", "image"),
    Container("gif", ".gif", "gif", "image"),
    Container("webp", ".webp", "webp_pipe", "image"),
)}


def read_head(path: Path) -> bytes:
    """The first bytes of a file, as many as the header checks need."""
    with path.open("rb") as source:
        return source.read(HEAD_BYTES)


def identify(head: bytes) -> Container | None:
    """The container whose whole header the bytes carry, or None.

    Each check reads the header's structure, not one magic number: a RIFF file must say
    RIFF and name its form and first chunk, an MP4 must start with a well-formed `ftyp`
    box, an MPEG audio frame header must hold a valid version, layer, rate and bitrate.
    """
    for subtype, matches in _CHECKS:
        if matches(head):
            return CONTAINERS[subtype]
    return None


def _riff(head: bytes, form: bytes, first: tuple[bytes, ...]) -> bool:
    return (head[:4] in (b"RIFF", b"RF64") and head[8:12] == form
            and head[12:16] in first)


def _wav(head: bytes) -> bool:
    # The first chunk is "fmt " almost always; RF64 starts with "ds64", Broadcast WAV with
    # "bext", some writers put "JUNK" or "LIST" first.
    return _riff(head, b"WAVE", (b"fmt ", b"ds64", b"bext", b"JUNK", b"LIST", b"fact"))


def _webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and _riff(head, b"WEBP", (b"VP8 ", b"VP8L", b"VP8X"))


def _ogg(head: bytes) -> bool:
    # Capture pattern, stream structure version 0, and the first page begins a stream.
    return head[:4] == b"OggS" and head[4] == 0 and len(head) > 5 and head[5] & 0x02 != 0


def _matroska(head: bytes) -> bool:
    return head[:4] == b"\x1aE\xdf\xa3" and (b"webm" in head[:64] or b"matroska" in head[:64])


def _flac(head: bytes) -> bool:
    # The first metadata block must be STREAMINFO (type 0), 34 bytes long.
    return head[:4] == b"fLaC" and len(head) >= 8 and head[4] & 0x7F == 0 \
        and head[5:8] == b"\x00\x00\x22"


def _id3(head: bytes) -> bool:
    # ID3v2: version 2-4, revision below 0xFF, sizes as four 7-bit bytes.
    return (head[:3] == b"ID3" and len(head) >= 10 and 2 <= head[3] <= 4 and head[4] != 0xFF
            and all(b < 0x80 for b in head[6:10]))


def _mpeg_frame(head: bytes) -> bool:
    """An MPEG-1/2 layer III or II frame header (sync, version, layer, bitrate, rate)."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 0x3, (head[1] >> 1) & 0x3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 0x3
    return version != 1 and layer in (1, 2) and bitrate not in (0, 15) and rate != 3


def _adts(head: bytes) -> bool:
    """An ADTS AAC frame header: sync, layer 0, a valid sampling index, a frame length."""
    if len(head) < 7 or head[0] != 0xFF or head[1] & 0xF6 != 0xF0:
        return False
    rate_index = (head[2] >> 2) & 0xF
    length = ((head[3] & 0x3) << 11) | (head[4] << 3) | (head[5] >> 5)
    return rate_index < 13 and length >= 7


def _ftyp(head: bytes, quicktime: bool) -> bool:
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    size = struct.unpack(">I", head[:4])[0]
    brand = head[8:12]
    if not 16 <= size <= 4096 or not all(32 <= b < 127 for b in brand):
        return False
    return (brand == b"qt  ") == quicktime


def _png(head: bytes) -> bool:
    return head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"


def _jpeg(head: bytes) -> bool:
    return head[:3] == b"\xff\xd8\xff" and len(head) > 3 and head[3] >= 0xC0


def _gif(head: bytes) -> bool:
    return head[:6] in (b"GIF87a", b"GIF89a")


_CHECKS = (
    ("ogg", _ogg), ("webm", _matroska), ("wav", _wav), ("flac", _flac),
    ("mpeg", lambda h: _id3(h) or _mpeg_frame(h)), ("aac", _adts),
    ("quicktime", lambda h: _ftyp(h, quicktime=True)),
    ("mp4", lambda h: _ftyp(h, quicktime=False)),
    ("png", _png), ("jpeg", _jpeg), ("gif", _gif), ("webp", _webp),
)


def picture_size(head: bytes, container: Container) -> tuple[int, int] | None:
    """(width, height) from a picture's header, or None if the header does not say."""
    reader = _SIZES.get(container.subtype)
    return reader(head) if reader else None


def _png_size(head: bytes) -> tuple[int, int] | None:
    if len(head) < 24:
        return None
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def _gif_size(head: bytes) -> tuple[int, int] | None:
    """The logical screen and the first image inside it (a frame may claim to be larger)."""
    if len(head) < 13:
        return None
    width, height = struct.unpack("<HH", head[6:10])
    at = 13 + (3 * 2 ** ((head[10] & 0x7) + 1) if head[10] & 0x80 else 0)
    while at < len(head):
        block = head[at]
        if block == 0x2C and at + 9 < len(head):  # image descriptor
            left, top, w, h = struct.unpack("<HHHH", head[at + 1:at + 9])
            return max(width, left + w), max(height, top + h)
        if block != 0x21 or at + 2 >= len(head):  # only extensions may come first
            break
        at += 2
        while at < len(head) and head[at]:  # sub-blocks
            at += head[at] + 1
        at += 1
    return width, height


def _jpeg_size(head: bytes) -> tuple[int, int] | None:
    """From the first start-of-frame marker (SOF0–SOF15 but DHT, JPG and DAC)."""
    at = 2
    while at + 9 < len(head):
        if head[at] != 0xFF:
            return None
        marker = head[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            at += 2
            continue
        length = struct.unpack(">H", head[at + 2:at + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", head[at + 5:at + 9])
            return width, height
        if marker == 0xDA or length < 2:  # scan data before any frame header
            return None
        at += 2 + length
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(head) >= 30:
        return (int.from_bytes(head[24:27], "little") + 1,
                int.from_bytes(head[27:30], "little") + 1)
    return None


_SIZES = {"png": _png_size, "gif": _gif_size, "jpeg": _jpeg_size, "webp": _webp_size}
