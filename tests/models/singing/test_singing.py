"""Singing: Piper's voice re-sung by WORLD to a score; pitch and timing measured with pYIN."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from core_agent.errors import Unsupported
from core_agent.tables import Job
from core_agent.types import Attachment, Kind, Message
from media.audio import Audio
from media.decode import decode
from models.singing.scores import Score, from_text, read_file, requested, syllables, tune
from models.singing.world import LEAD_IN, WorldSinger
from tests.conftest import report
from tests.core_agent.test_agent import rows
from workers.runtime import Runtime

HOP = 256  # samples between pYIN frames (11.6 ms at 22.05 kHz)
HELD_MIN = 0.3  # seconds: notes at least this long count as held
SETTLE = 0.08  # seconds after an onset before a note counts as held
RELEASE = 0.05  # seconds before its end


@pytest.fixture(scope="module")
def singer() -> WorldSinger:
    backend = WorldSinger()
    backend.load()
    return backend


def pitch_track(audio: Audio) -> tuple[np.ndarray, np.ndarray]:
    """pYIN's f0 (NaN where unvoiced) and frame times."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import librosa

        f0, _, _ = librosa.pyin(audio.samples.astype(np.float64), fmin=65, fmax=700,
                                sr=audio.sample_rate, frame_length=1024, hop_length=HOP)
    times = np.arange(len(f0)) * HOP / audio.sample_rate
    return f0, times


def cents(f0: np.ndarray, midi: int) -> np.ndarray:
    return np.asarray(1200 * np.log2(f0 / (440.0 * 2 ** ((midi - 69) / 12))))


def held_errors(score: Score, f0: np.ndarray, times: np.ndarray) -> list[np.ndarray]:
    """Cents from the score, per held note, over its steady part."""
    out = []
    for (onset, length), note in zip(score.timing(), score.notes, strict=True):
        if note.pitch is None or length < HELD_MIN:
            continue
        start = LEAD_IN + onset
        window = (times >= start + SETTLE) & (times < start + length - RELEASE) & ~np.isnan(f0)
        out.append(cents(f0[window], note.pitch))
    return out


def crossing(midi: np.ndarray, times: np.ndarray, middle: float, side: float,
             before: float) -> float:
    """When the pitch reaches the new note: where it passes `middle` toward `side` inside
    the voiced run that carries the new note before `before` (interpolated between two
    frames), or where that run starts after a consonant's gap. Voiced frames in the gap
    itself don't count: where a vowel stops and a hiss starts, pYIN's 46 ms window reads a
    few frames of pitch nobody sang (seen: 3 semitones low, "crossing" 175 ms early)."""
    voiced = np.isfinite(midi)
    arrived = np.flatnonzero(voiced & (side * (midi - middle) >= 0) & (times < before))
    if not arrived.size:
        return np.inf
    k = int(arrived[-1])
    while k > 0 and voiced[k - 1] and side * (midi[k - 1] - middle) >= 0:
        k -= 1
    if k > 0 and voiced[k - 1]:
        frac = (middle - midi[k - 1]) / (midi[k] - midi[k - 1])
        return float(times[k - 1] + frac * (times[k] - times[k - 1]))
    return float(times[k])


def onset_errors(score: Score, f0: np.ndarray, times: np.ndarray) -> list[float]:
    """Seconds between each pitch change in the score and where the sung pitch crosses
    halfway between the two notes."""
    errors = []
    timing = score.timing()
    for i in range(1, len(score.notes)):
        before, now = score.notes[i - 1].pitch, score.notes[i].pitch
        if before is None or now is None or before == now:
            continue
        expected = LEAD_IN + timing[i][0]
        middle = (before + now) / 2
        side = np.sign(now - before)
        near = np.flatnonzero((times > LEAD_IN + timing[i - 1][0]) & (times < expected + 0.15))
        midi = 69 + 12 * np.log2(f0[near] / 440.0)
        errors.append(crossing(midi, times[near], middle, side, expected + 0.1) - expected)
    return errors


@pytest.mark.parametrize("which", ["happy birthday", "text score"])
def test_the_sung_pitch_follows_the_score(singer: WorldSinger, which: str) -> None:
    score = (requested("happy birthday to my sister", melody="happy birthday")
             if which == "happy birthday" else
             from_text("la la la la", "C4 D4 E4 C4", "0.5 0.5 1 2", tempo=90))
    audio = singer.sing(score)
    assert audio.duration == pytest.approx(LEAD_IN + score.duration + 0.3, abs=0.05)
    f0, times = pitch_track(audio)
    held = held_errors(score, f0, times)
    frames = np.abs(np.concatenate(held))
    per_note = [float(np.median(np.abs(h))) for h in held]
    onsets = np.abs(onset_errors(score, f0, times))
    report(f"singing ({which}, {len(score.notes)} notes): held-note pitch error median "
           f"{np.median(frames):.1f} cents, 95th pct {np.percentile(frames, 95):.1f}, worst note "
           f"{max(per_note):.1f} (voiced {np.mean([len(h) for h in held]):.0f} frames/note); "
           f"onsets at {len(onsets)} pitch changes: mean {1000 * onsets.mean():.1f} ms, "
           f"max {1000 * onsets.max():.1f} ms")
    assert all(len(h) >= 3 for h in held)  # every held note is voiced
    assert max(per_note) < 50 and np.percentile(frames, 95) < 50
    assert onsets.max() < 0.050


def test_scores_from_text_and_tunes() -> None:
    score = from_text("la la la", "C4 D4 E4", "0.5 0.5 1")
    assert [(n.pitch, n.beats, n.syllable) for n in score.notes] == [
        (60, 0.5, "la"), (62, 0.5, "la"), (64, 1.0, "la")]
    sister = requested("happy birthday to my sister", melody="happy birthday")
    sung = " ".join(n.syllable for n in sister.notes if n.syllable)
    assert "birth day dear sis ter hap py" in sung
    assert len(sister.notes) == 25
    own = tune("twinkle twinkle", lyrics="coffee in the morning")
    assert own.notes[0].syllable == "cof" and len(own.notes) == 14
    assert syllables("happy") == ["hap", "py"] and syllables("love") == ["love"]
    with pytest.raises(Unsupported, match="don't know the tune"):
        tune("never heard of it")
    with pytest.raises(Unsupported, match="3 notes but 2 durations"):
        from_text("la la la", "C4 D4 E4", "1 1")
    with pytest.raises(Unsupported, match="outside the range"):
        from_text("la", "C8", None)


def midi_file(path: Path, notes: list[tuple[int, float, str]], bpm: float = 120) -> Path:
    """A one-voice MIDI file with a lyric on each note, as notation programs write it."""
    import mido

    song = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    song.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm)))
    for pitch, beats, word in notes:
        track.append(mido.MetaMessage("lyrics", text=word))
        track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
        track.append(mido.Message("note_off", note=pitch, velocity=0, time=int(480 * beats)))
    song.save(str(path))
    return path


def test_scores_from_midi_and_musicxml(tmp_path: Path) -> None:
    midi = read_file(midi_file(tmp_path / "tune.mid",
                               [(60, 1.0, "do"), (64, 0.5, "mi"), (67, 1.5, "so")]))
    assert [(n.pitch, n.beats, n.syllable) for n in midi.notes] == [
        (60, 1.0, "do"), (64, 0.5, "mi"), (67, 1.5, "so")]
    assert midi.tempo == pytest.approx(120)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from music21 import note, stream, tempo

        part: stream.Stream = stream.Stream([tempo.MetronomeMark(number=90)])
        for name, length, word in [("G4", 1.0, "sun"), ("A4", 1.0, "shine"), ("B4", 2.0, "day")]:
            n = note.Note(name, quarterLength=length)
            n.lyric = word
            part.append(n)
        xml = Path(part.write("musicxml", fp=str(tmp_path / "tune.musicxml")))
        score = read_file(xml)
    assert [(n.pitch, n.beats, n.syllable) for n in score.notes] == [
        (67, 1.0, "sun"), (69, 1.0, "shine"), (71, 2.0, "day")]
    assert score.tempo == pytest.approx(90)


async def test_sing_happy_birthday_to_my_sister(runtime: Runtime) -> None:
    reply = await runtime.agent.handle(Message(channel_id="cli:sing",
                                               text="sing happy birthday to my sister"))
    assert reply.error_code is None, reply.text
    (step,) = reply.steps
    assert step.task == "singing_synthesis" and step.args["melody"] == "happy birthday"
    (song,) = reply.artifacts
    assert song.mime == "audio/ogg" and song.duration and 13 < song.duration < 16
    (job,) = rows(runtime, Job, purpose="plan")
    assert job.backend == "world-singer"
    assert "dear sis ter" in (job.outputs or {})["data"]["sung"]


async def test_a_written_score_is_sung_as_written(runtime: Runtime) -> None:
    reply = await runtime.agent.handle(Message(channel_id="cli:score",
                                               text="sing la la la / C4 D4 E4 / 0.5 0.5 1"))
    assert reply.error_code is None, reply.text
    assert reply.steps[0].args == {"lyrics": "la la la", "notes": "C4 D4 E4",
                                   "durations": "0.5 0.5 1"}
    (song,) = reply.artifacts
    assert song.duration == pytest.approx(0.3 + 1.2 + 0.3, abs=0.1)  # 2 beats at 100 bpm


async def test_an_attached_midi_file_is_sung(runtime: Runtime, tmp_path: Path) -> None:
    """A score sent in the chat: checked by content, stored as a file, sung from."""
    notes = [(60, 1.0, "sun"), (64, 1.0, "shine"), (67, 2.0, "day")]
    path = midi_file(tmp_path / "my tune.mid", notes, bpm=100)
    reply = await runtime.agent.handle(Message(
        channel_id="cli:midi", text="sing this", attachments=[
            Attachment(path=path, filename=path.name)]))
    assert reply.error_code is None, reply.text
    (step,) = reply.steps
    assert step.task == "singing_synthesis" and step.args["score"] == "a1"
    upload = await runtime.memory.artifact("cli:midi", "a1")
    assert upload is not None and (upload.kind, upload.mime) == (Kind.FILE, "audio/midi")
    (song,) = reply.artifacts
    f0, times = pitch_track(decode(song.path, 22_050))
    score = read_file(path)
    errors = np.concatenate(held_errors(score, f0, times))
    report(f"singing from an attached MIDI file: median pitch error "
           f"{np.median(np.abs(errors)):.0f} cents over {len(errors)} frames")
    assert np.median(np.abs(errors)) < 50
    (job,) = rows(runtime, Job, purpose="plan")
    assert job.outputs and job.outputs["data"]["sung"] == "sun shine day"


async def test_a_file_that_is_not_a_score_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    fake = tmp_path / "song.mid"
    fake.write_text("#EXTM3U\nfile:///etc/passwd\n")
    reply = await runtime.agent.handle(Message(
        channel_id="cli:fake", text="sing this",
        attachments=[Attachment(path=fake, filename=fake.name)]))
    assert reply.error_code == "input-rejected" and "song.mid" in reply.text
    assert await runtime.memory.artifacts("cli:fake") == []
