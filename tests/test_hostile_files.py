"""An attacker's files against the agent: nothing outside the upload is ever opened, no
limit is taken on a header's word, and every refusal is a clear reply with nothing stored.

A victim channel holds a recording with known words; every hostile file is sent from an
attacker's channel with requests that would hand the victim's sound back ("transcribe
this", "convert this to mp3"). Memory is measured in a fresh process, where the peak
size of ffmpeg's children is ours alone to read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core_agent.errors import MediaError
from core_agent.types import Artifact, Attachment, Message
from media.decode import decode
from models.cache import BackendCache
from tests import hostile
from tests.conftest import make_settings, report
from tests.samples import voice_note
from workers.runtime import Runtime, build_runtime

SECRET = "please call stella and ask her to bring these things with her from the store"
SECRET_WORDS = ("stella", "bring", "store")
LIMIT_SECONDS = 60.0
EVERY_CASE = {**hostile.READS_ELSEWHERE, **hostile.LIES_ABOUT_LENGTH, **hostile.PICTURE_BOMBS}


@pytest.fixture
async def runtime(tmp_path: Path, embedder: object, backends: BackendCache
                  ) -> AsyncIterator[Runtime]:
    settings = make_settings(tmp_path / "data", max_audio_seconds=LIMIT_SECONDS)
    runtime = build_runtime(settings, embedder=embedder,  # type: ignore[arg-type]
                            backends=backends)
    yield runtime
    await runtime.aclose()


async def victim_recording(runtime: Runtime, folder: Path) -> Artifact:
    """The victim's voice note, stored in its own channel as any upload is."""
    note = voice_note(SECRET, folder, "secret")
    (kept,) = await runtime.agent.keep(Message(
        channel_id="web:victim", platform="web", text="",
        attachments=[Attachment(path=note, filename="secret.ogg")]))
    return kept


@pytest.mark.parametrize("case", list(hostile.READS_ELSEWHERE))
@pytest.mark.parametrize("request_text", ["transcribe this", "convert this to mp3"])
async def test_a_file_that_points_elsewhere_reads_nothing(runtime: Runtime, tmp_path: Path,
                                                          case: str, request_text: str) -> None:
    victim = await victim_recording(runtime, tmp_path)
    upload = hostile.READS_ELSEWHERE[case](tmp_path, victim.path)
    reply = await runtime.agent.handle(Message(
        channel_id="web:attacker", platform="web", text=request_text,
        attachments=[Attachment(path=upload, filename=upload.name)]))
    assert reply.error_code == "input-rejected", reply.text
    assert f"I can't take {upload.name}" in reply.text, reply.text
    assert not any(word in reply.text.lower() for word in SECRET_WORDS)
    assert str(runtime.settings.data_dir) not in reply.text and "/" not in reply.text
    assert reply.artifacts == [] and await runtime.memory.artifacts("web:attacker") == []
    turns = await runtime.memory.recent_turns("web:attacker", 4)
    assert [t.text for t in turns] == [request_text, reply.text]  # both kept


@pytest.mark.parametrize("case", list(hostile.READS_ELSEWHERE))
def test_no_decoder_follows_a_file_elsewhere(tmp_path: Path, case: str) -> None:
    """What the backends call (decode, probe) never reads the victim's file, whoever
    stored the upload: it is refused, or (a real WAV header over a playlist's text) its own
    bytes are decoded as samples, no more than the file holds."""
    victim = voice_note(SECRET, tmp_path, "secret")
    upload = hostile.READS_ELSEWHERE[case](tmp_path, victim)
    try:
        audio = decode(upload, sample_rate=16_000)
    except MediaError:
        return
    assert case == "playlist-in-riff"
    assert audio.samples.size <= upload.stat().st_size // 2  # 16-bit samples of its own


@pytest.mark.parametrize("case", list(hostile.LIES_ABOUT_LENGTH))
async def test_a_header_that_lies_about_length_is_refused(runtime: Runtime, tmp_path: Path,
                                                          case: str) -> None:
    upload = hostile.LIES_ABOUT_LENGTH[case](tmp_path, Path("/nonexistent"))
    reply = await runtime.agent.handle(Message(
        channel_id="cli:liar", text="transcribe this",
        attachments=[Attachment(path=upload, filename=upload.name)]))
    assert reply.error_code == "input-rejected", reply.text
    assert f"{upload.name}: it runs longer than 1 minute, the limit" in reply.text
    assert await runtime.memory.artifacts("cli:liar") == []


def test_decoding_stops_at_its_limit_whatever_the_header_says(tmp_path: Path) -> None:
    upload = hostile.lying_mp3(tmp_path, Path("/nonexistent"), seconds=90.0)
    with pytest.raises(MediaError, match="runs longer than 1 minute"):
        decode(upload, max_seconds=60.0)
    assert decode(upload, max_seconds=120.0).duration == pytest.approx(90.0, abs=0.2)


@pytest.mark.parametrize("case", list(hostile.PICTURE_BOMBS))
async def test_a_picture_bomb_is_refused_by_its_header(runtime: Runtime, tmp_path: Path,
                                                       case: str) -> None:
    upload = hostile.PICTURE_BOMBS[case](tmp_path, Path("/nonexistent"))
    reply = await runtime.agent.handle(Message(
        channel_id="cli:bomber", text="make a talking head saying hello",
        attachments=[Attachment(path=upload, filename=upload.name)]))
    assert reply.error_code == "input-rejected", reply.text
    assert "pixels; the limit is 40 megapixels" in reply.text and upload.name in reply.text
    assert await runtime.memory.artifacts("cli:bomber") == []


async def test_a_lyric_flood_is_refused_when_it_arrives(runtime: Runtime, tmp_path: Path
                                                        ) -> None:
    flood = hostile.lyric_flood(tmp_path, Path("/nonexistent"))
    reply = await runtime.agent.handle(Message(
        channel_id="cli:singer", text="sing this",
        attachments=[Attachment(path=flood, filename=flood.name)]))
    assert reply.error_code == "input-rejected", reply.text
    assert reply.text == ("I can't take song.mid: it has 12000 notes or syllables; I sing up "
                          "to 400.")
    assert await runtime.memory.artifacts("cli:singer") == []


def test_a_lyric_flood_is_refused_before_fitting(tmp_path: Path) -> None:
    from core_agent.errors import Unsupported
    from models.singing.scores import read_file

    flood = hostile.lyric_flood(tmp_path, Path("/nonexistent"))
    with pytest.raises(Unsupported, match="12000 notes or syllables; I sing up to 400"):
        read_file(flood)


PROBE_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
from core_agent.errors import MediaError
from media.probe import probe
from models.talking_head.faces import read_picture
out = {}
for case, path in json.loads(sys.argv[1]).items():
    started = time.perf_counter()
    try:
        facts = probe(Path(path), 60.0)
        if facts.kind == "image":
            read_picture(Path(path))
        outcome = "accepted"
    except MediaError as err:
        outcome = "refused: " + str(err)
    out[case] = [outcome, time.perf_counter() - started]
out["peak_child_kb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
# This process's own high-water mark: ru_maxrss would also count the pytest process it was
# forked from, which the kernel carries over the exec.
status = Path("/proc/self/status").read_text()
out["peak_self_kb"] = int(status.split("VmHWM:")[1].split()[0])
print(json.dumps(out))
"""


def test_hostile_files_cost_bounded_memory(tmp_path: Path) -> None:
    """In a fresh process: every case is refused, ffmpeg's children and the process itself
    stay small (the playlist bomb grew ffmpeg past 1.25 GB, the PNG bomb OpenCV by 2.3 GB)."""
    victim = voice_note(SECRET, tmp_path, "secret")
    files = {}
    for case, make in EVERY_CASE.items():
        folder = tmp_path / case
        folder.mkdir()
        files[case] = str(make(folder, victim))
    done = subprocess.run([sys.executable, "-c", PROBE_SCRIPT, json.dumps(files)],
                          capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    found = json.loads(done.stdout)
    peak_child, peak_self = found.pop("peak_child_kb") / 1024, found.pop("peak_self_kb") / 1024
    for case, (outcome, seconds) in found.items():
        report(f"hostile file {case}: {outcome} in {seconds:.2f} s")
        if case in hostile.LIES_ABOUT_LENGTH:
            assert "runs longer than 1 minute" in outcome, (case, outcome)
        else:
            assert outcome.startswith("refused"), (case, outcome)
    report(f"hostile files: peak ffmpeg child {peak_child:.0f} MB, peak process "
           f"{peak_self:.0f} MB over {len(found)} cases")
    assert peak_child < 200, peak_child
    assert peak_self < 1024, peak_self
