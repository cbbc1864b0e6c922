"""The containment of ffmpeg: headers proved in full, the demuxer fixed, children under
kernel limits, stopped with their step, and failures worded without server paths."""

from __future__ import annotations

import contextvars
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from core_agent.errors import MediaError
from media import ffmpeg
from media.containers import identify, picture_size, read_head
from models import stop

AUDIO = {  # suffix: (ffmpeg output options, the container we must read it as)
    ".ogg": (["-c:a", "libopus"], "ogg"), ".webm": (["-c:a", "libopus"], "webm"),
    ".wav": (["-c:a", "pcm_s16le"], "wav"), ".flac": (["-c:a", "flac"], "flac"),
    ".mp3": (["-c:a", "libmp3lame"], "mpeg"),
    ".mp3-bare": (["-c:a", "libmp3lame", "-id3v2_version", "0", "-f", "mp3"], "mpeg"),
    ".aac": (["-c:a", "aac", "-f", "adts"], "aac"), ".m4a": (["-c:a", "aac"], "mp4"),
    ".mov": (["-c:a", "aac"], "quicktime"),
}
PICTURES = {".png": "png", ".jpg": "jpeg", ".gif": "gif", ".webp": "webp"}


@pytest.mark.parametrize("suffix", list(AUDIO))
def test_every_container_users_send_is_proved_by_its_header(tmp_path: Path, suffix: str
                                                            ) -> None:
    options, container = AUDIO[suffix]
    path = tmp_path / f"clip{suffix.split('-')[0]}"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    "sine=f=440:d=1", *options, str(path)], check=True)
    found = identify(read_head(path))
    assert found is not None and found.subtype == container


@pytest.mark.parametrize("suffix", list(PICTURES))
@pytest.mark.parametrize("size", [(64, 48), (1001, 333), (4000, 3000)])
def test_a_picture_is_sized_by_its_header(tmp_path: Path, suffix: str, size: tuple[int, int]
                                          ) -> None:
    path = tmp_path / f"picture{suffix}"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc=s={size[0]}x{size[1]}", "-frames:v", "1", str(path)], check=True)
    head = read_head(path)
    container = identify(head)
    assert container is not None and container.subtype == PICTURES[suffix]
    assert picture_size(head, container) == size


@pytest.mark.parametrize("head", [
    b"#EXTM3U\nWAVE\n#EXTINF:10,\n/srv/media/a1.ogg\n",  # bytes 8-11 say WAVE
    b"RIFF\x10\x00\x00\x00WAVE#EXTM3U\n",  # RIFF/WAVE, but no chunk after it
    b"ffconcat version 1.0\nfile a1.ogg\n", b"OggS\x01" + bytes(60),  # wrong version
    b"\xff\xfb\xf0\x00" + bytes(60),  # an MPEG frame header with a forbidden bitrate
    b"\x00\x00\x00\x18ftyp\x00\x01\x02\x03" + bytes(60),  # a brand of control bytes
    b"fLaC\x05\x00\x00\x22" + bytes(60),  # first block not STREAMINFO
    b"RIFF\x10\x00\x00\x00WEBPJUNK", b"\x89PNG\r\n\x1a\n#EXTM3U\n",
], ids=["m3u-saying-wave", "riff-without-chunk", "concat", "ogg-version",
        "mpeg-bad-bitrate", "ftyp-control-brand", "flac-no-streaminfo", "webp-no-vp8",
        "png-no-ihdr"])
def test_a_disguise_proves_no_container(head: bytes) -> None:
    assert identify(head) is None


def test_a_child_over_its_memory_limit_is_refused_cleanly() -> None:
    """The kernel cap holds for whatever runs through the runner: 3 GiB is refused."""
    with pytest.raises(MediaError, match="could not read the file"):
        ffmpeg.run([sys.executable, "-c", "x = bytearray(3 * 2**30); print(len(x))"])


def test_output_past_the_limit_is_cut_not_kept() -> None:
    with pytest.raises(ffmpeg.OutputTooLong):
        ffmpeg.run([sys.executable, "-c", "import sys; sys.stdout.buffer.write(bytes(10**7))"],
                   limit=10**6)


def test_failures_name_no_server_path(tmp_path: Path) -> None:
    broken = tmp_path / "deep" / "inside" / "note.ogg"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"OggS\x00\x02" + bytes(4000))  # a valid start, then nothing
    with pytest.raises(MediaError) as caught:
        ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", *ffmpeg.input_args(broken),
                    "-f", "null", "-"])
    assert "could not read the file" in str(caught.value)
    assert str(tmp_path) not in str(caught.value) and "/" not in str(caught.value)


def _children_named(name: str) -> list[int]:
    """This process's child processes running `name`, from /proc."""
    pids = [int(pid) for task in Path("/proc/self/task").iterdir()
            for pid in (task / "children").read_text().split()]
    return [pid for pid in pids
            if Path(f"/proc/{pid}/comm").exists()
            and Path(f"/proc/{pid}/comm").read_text().strip() == name]


def test_a_stopped_step_kills_its_child() -> None:
    token = stop.StopToken()
    outcome: list[BaseException] = []

    def step() -> None:
        stop.current.set(token)
        try:
            ffmpeg.run(["sleep", "120"])
        except BaseException as err:
            outcome.append(err)

    worker = threading.Thread(target=contextvars.copy_context().run, args=(step,))
    worker.start()
    while not (sleeping := _children_named("sleep")):
        worker.join(0.05)
    token.stop("cancelled")
    worker.join(60)
    assert not worker.is_alive()
    assert not any(Path(f"/proc/{pid}").exists() for pid in sleeping)  # killed and reaped
    assert len(outcome) == 1 and isinstance(outcome[0], stop.Stopped)
