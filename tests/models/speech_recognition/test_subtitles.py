"""Transcripts as subtitle files: "give me subtitles for this" sends an .srt (or a .vtt)
whose cues carry the words at their times, within the recording."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from core_agent.types import Attachment, Kind, Message
from media.probe import probe
from media.subtitles import timestamp
from tests.samples import SENTENCES, espeak, wer
from workers.runtime import Runtime

CUE = re.compile(r"(\d\d):(\d\d):(\d\d)[,.](\d{3}) --> (\d\d):(\d\d):(\d\d)[,.](\d{3})")


def seconds(parts: tuple[str, ...]) -> float:
    h, m, s, ms = map(int, parts)
    return h * 3600 + m * 60 + s + ms / 1000


def two_sentences(folder: Path) -> Path:
    """Two espeak-ng sentences three seconds apart, as a voice note."""
    first, second = (espeak(SENTENCES[i], folder / f"s{i}.wav") for i in (0, 1))
    note = folder / "two.ogg"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(first), "-i", str(second),
                    "-filter_complex", "[0]apad=pad_dur=3[a];[a][1]concat=n=2:v=0:a=1",
                    "-c:a", "libopus", str(note)], check=True)
    return note


async def test_subtitles_for_this_sends_an_srt_with_the_words_at_their_times(
        runtime: Runtime, tmp_path: Path) -> None:
    note = two_sentences(tmp_path)
    reply = await runtime.agent.handle(Message(
        channel_id="cli:subs", text="give me subtitles for this",
        attachments=[Attachment(path=note, filename=note.name)]))
    assert reply.error_code is None, reply.text
    (srt,) = reply.artifacts
    assert (srt.kind, srt.mime, srt.path.suffix) == (Kind.FILE, "application/x-subrip", ".srt")
    blocks = srt.path.read_text(encoding="utf-8").strip().split("\n\n")
    assert len(blocks) >= 2 and [b.split("\n")[0] for b in blocks] == [
        str(n) for n in range(1, len(blocks) + 1)]
    times = [CUE.fullmatch(b.split("\n")[1]) for b in blocks]
    assert all(times), blocks
    spans = [(seconds(m.groups()[:4]), seconds(m.groups()[4:])) for m in times if m]
    assert all(a <= b for a, b in spans) and spans == sorted(spans)
    assert spans[-1][1] <= (probe(note).duration or 0) + 0.5
    words = " ".join(" ".join(b.split("\n")[2:]) for b in blocks)
    assert wer(f"{SENTENCES[0]} {SENTENCES[1]}", words) < 0.2, words
    second_starts = next(a for (a, _), b in zip(spans, blocks, strict=True)
                         if "train" in b.lower())
    assert second_starts > 4.0  # the second sentence's cue starts after the pause


async def test_a_vtt_is_webvtt(runtime: Runtime, tmp_path: Path) -> None:
    note = two_sentences(tmp_path)
    reply = await runtime.agent.handle(Message(
        channel_id="cli:vtt", text="I need a vtt subtitle file of this",
        attachments=[Attachment(path=note, filename=note.name)]))
    (vtt,) = reply.artifacts
    text = vtt.path.read_text(encoding="utf-8")
    assert vtt.mime == "text/vtt" and text.startswith("WEBVTT\n\n")
    cue = CUE.search(text)
    assert cue is not None and "," not in cue[0], text


def test_timestamps_past_an_hour() -> None:
    assert timestamp(3725.0456, ",") == "01:02:05,046"
    assert timestamp(59.9996, ".") == "00:01:00.000"
