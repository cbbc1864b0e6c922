"""Scores for singing: notes with lyrics, from a few well-known tunes, from text
("la la la / C4 D4 E4 / 0.5 0.5 1"), or from a MIDI (mido) or MusicXML (music21) file.

A score is a list of notes, each a MIDI pitch (None for a rest), a length in beats and
the syllable sung on it ("" continues the previous syllable over the note, a melisma).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from core_agent.errors import Unsupported
from media.scores import DEFAULT_TEMPO, MAX_NOTES, read_melody

MAX_BEATS = 64  # one held note; a longer one is a damaged file, not a song
MIDI_RANGE = (36, 84)  # C2..C6: what the WORLD-shaped voice can sing
NOTE_NAME = re.compile(r"^([A-Ga-g])([#b♯♭]?)(-?\d)$")
SEMITONE = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
VOWELS = re.compile(r"[aeiouy]+")


@dataclass(frozen=True)
class Note:
    """One note: MIDI pitch (None: a rest), length in beats, the syllable sung on it."""

    pitch: int | None
    beats: float
    syllable: str = ""
    word_start: bool = False  # the syllable begins a word (words are voiced whole)


@dataclass(frozen=True)
class Score:
    """Notes at a tempo."""

    notes: tuple[Note, ...]
    tempo: float = DEFAULT_TEMPO  # beats per minute

    @property
    def beat_seconds(self) -> float:
        """Length of one beat in seconds."""
        return 60.0 / self.tempo

    def timing(self) -> list[tuple[float, float]]:
        """(onset, length) of every note in seconds from the score's start."""
        out, at = [], 0.0
        for note in self.notes:
            out.append((at, note.beats * self.beat_seconds))
            at += note.beats * self.beat_seconds
        return out

    @property
    def duration(self) -> float:
        """Seconds."""
        return sum(n.beats for n in self.notes) * self.beat_seconds


# Tunes in the public domain, in a key a baritone sings comfortably: "pitch:beats", and the
# lyrics with hyphens between syllables, one syllable per note. {name} is the one sung to.
TUNES: dict[str, tuple[str, str, float]] = {
    "happy birthday": (
        "G3:.75 G3:.25 A3:1 G3:1 C4:1 B3:2 G3:.75 G3:.25 A3:1 G3:1 D4:1 C4:2 "
        "G3:.75 G3:.25 G4:1 E4:1 C4:1 B3:1 A3:2 F4:.75 F4:.25 E4:1 C4:1 D4:1 C4:2",
        "hap-py birth-day to you, hap-py birth-day to you, hap-py birth-day dear {name}, "
        "hap-py birth-day to you", 110.0),
    "twinkle twinkle": (
        "C3:1 C3:1 G3:1 G3:1 A3:1 A3:1 G3:2 F3:1 F3:1 E3:1 E3:1 D3:1 D3:1 C3:2",
        "twin-kle, twin-kle, lit-tle star, how I won-der what you are", 100.0),
    "mary had a little lamb": (
        "E3:1 D3:1 C3:1 D3:1 E3:1 E3:1 E3:2 D3:1 D3:1 D3:2 E3:1 G3:1 G3:2",
        "ma-ry had a lit-tle lamb, lit-tle lamb, lit-tle lamb", 110.0),
    "jingle bells": (
        "E3:1 E3:1 E3:2 E3:1 E3:1 E3:2 E3:1 G3:1 C3:1.5 D3:.5 E3:4",
        "jin-gle bells, jin-gle bells, jin-gle all the way", 120.0),
    "ode to joy": (
        "E3:1 E3:1 F3:1 G3:1 G3:1 F3:1 E3:1 D3:1 C3:1 C3:1 D3:1 E3:1 E3:1.5 D3:.5 D3:2",
        "joy-ful, joy-ful, we a-dore thee, god of glo-ry, lord of love", 110.0),
    "row row row your boat": (
        "C3:1.5 C3:1.5 C3:1 D3:.5 E3:1.5 E3:1 D3:.5 E3:1 F3:.5 G3:3",
        "row, row, row your boat gent-ly down the stream", 110.0),
    "frere jacques": (
        "C3:1 D3:1 E3:1 C3:1 C3:1 D3:1 E3:1 C3:1 E3:1 F3:1 G3:2 E3:1 F3:1 G3:2",
        "are you sleep-ing, are you sleep-ing, bro-ther john, bro-ther john", 110.0),
}


def midi_number(name: str) -> int:
    """A note name ("C4", "F#3", "Bb2") as a MIDI number (C4 = 60)."""
    m = NOTE_NAME.match(name.strip())
    if not m:
        raise Unsupported(f"{name!r} is not a note name (write notes like C4, F#3 or Bb4)")
    letter, accidental, octave = m.groups()
    shift = {"#": 1, "♯": 1, "b": -1, "♭": -1}.get(accidental, 0)
    return 12 * (int(octave) + 1) + SEMITONE[letter.lower()] + shift


def syllables(word: str) -> list[str]:
    """A word cut into sung syllables: at hyphens, else between vowel groups (one consonant
    goes with the next syllable, of two or more the first stays), a final silent e kept."""
    if "-" in word:
        return [p for p in word.split("-") if p]
    lower = word.lower()
    groups = list(VOWELS.finditer(lower))
    if len(groups) > 1 and lower.endswith("e") and groups[-1].group() == "e" \
            and groups[-1].start() == len(lower) - 1 and not lower.endswith("le"):
        groups = groups[:-1]
    cuts = [a.end() + (1 if b.start() - a.end() >= 2 else 0)
            for a, b in pairwise(groups)]
    edges = [0, *cuts, len(word)]
    return [word[a:b] for a, b in pairwise(edges) if word[a:b]]


def lyric_syllables(lyrics: str) -> list[tuple[str, bool]]:
    """(syllable, starts a word) for every syllable of the lyrics."""
    out = []
    for word in re.findall(r"[\w'’-]+", lyrics):
        out += [(s, i == 0) for i, s in enumerate(syllables(word))]
    if not out:
        raise Unsupported("there are no words to sing in the lyrics")
    return out


def fit(lyrics: str, pitches: list[tuple[int | None, float]], tempo: float) -> Score:
    """Lyrics laid on a tune (rests kept): one syllable per note; spare notes extend the
    syllables (melisma), spare syllables split the longest notes."""
    sung = lyric_syllables(lyrics)
    line = list(pitches)
    notes = sum(p is not None for p, _ in line)
    if not notes:
        raise Unsupported("the score has no notes to sing")
    if max(notes, len(sung)) > MAX_NOTES:  # before fitting, whose splitting is quadratic
        raise Unsupported(f"the score has {max(notes, len(sung))} notes or syllables; I sing "
                          f"up to {MAX_NOTES}")
    while sum(p is not None for p, _ in line) < len(sung):
        longest = max((i for i, (p, _) in enumerate(line) if p is not None),
                      key=lambda i: line[i][1])
        pitch, beats = line[longest]
        line[longest:longest + 1] = [(pitch, beats / 2), (pitch, beats / 2)]
    count = sum(p is not None for p, _ in line)
    # Spread the syllables evenly over the notes; each covers a run of one or more notes.
    owner = [min(i * len(sung) // count, len(sung) - 1) for i in range(count)]
    out, index = [], 0
    for pitch, beats in line:
        if pitch is None:
            out.append(Note(None, beats))
            continue
        first = index == 0 or owner[index] != owner[index - 1]
        text, word_start = sung[owner[index]]
        out.append(Note(pitch, beats, text if first else "", word_start and first))
        index += 1
    return Score(tuple(out), tempo)


def tune(name: str, lyrics: str | None = None, recipient: str | None = None,
         tempo: float | None = None) -> Score:
    """A known tune, with its own words (the recipient's name put in) or the given ones."""
    key = name.lower().strip()
    if key not in TUNES:
        raise Unsupported(f"I don't know the tune of {name!r}; I know "
                          f"{', '.join(TUNES)}, or give me notes like \"C4 D4 E4\"")
    notes, words, own_tempo = TUNES[key]
    pitches: list[tuple[int | None, float]] = [
        (midi_number(p), float(b)) for p, b in (n.split(":") for n in notes.split())]
    if lyrics:
        # A short line is sung over and over to fill the tune, not stretched across it.
        repeats = max(1, round(len(pitches) / len(lyric_syllables(lyrics))))
        words = " ".join([lyrics] * repeats)
    else:
        words = words.replace("{name}", recipient or "friend")
    return fit(words, pitches, tempo or own_tempo)


def from_text(lyrics: str, notes: str, durations: str | None = None,
              tempo: float | None = None) -> Score:
    """A score written out: note names, and beats per note (one beat each if not given)."""
    names = [n for n in re.split(r"[\s,/|]+", notes) if n]
    pitches = [midi_number(n) if n.lower() not in ("r", "rest", "-") else None for n in names]
    beats = [float(b) for b in re.findall(r"\d+(?:\.\d+)?", durations or "")] or [1.0]
    if durations and len(beats) != len(pitches):
        raise Unsupported(f"{len(pitches)} notes but {len(beats)} durations")
    lengths = beats if durations else [1.0] * len(pitches)
    if any(b <= 0 for b in lengths):
        raise Unsupported("every note needs a length above zero")
    score = fit(lyrics, [(p, b) for p, b in zip(pitches, lengths, strict=True) if p is not None],
                tempo or DEFAULT_TEMPO)
    return check(score)


def simple_tune(lyrics: str, tempo: float | None = None) -> Score:
    """Lyrics with no tune given: a gentle rising-and-falling line in C major, one beat
    per syllable, the last syllable held."""
    steps = [0, 2, 4, 5, 7, 5, 4, 2]
    count = len(lyric_syllables(lyrics))
    pitches: list[tuple[int | None, float]] = [
        (48 + steps[i % len(steps)], 1.0) for i in range(count)]
    pitches[-1] = (48, 2.0)
    return fit(lyrics, pitches, tempo or DEFAULT_TEMPO)


def check(score: Score) -> Score:
    """Refuse scores the voice can't sing: too long, or outside its range."""
    if len(score.notes) > MAX_NOTES:
        raise Unsupported(f"the score has {len(score.notes)} notes; I sing up to {MAX_NOTES}")
    low, high = MIDI_RANGE
    if any(n.pitch is not None and not low <= n.pitch <= high for n in score.notes):
        raise Unsupported("some notes are outside the range I sing (C2 to C6)")
    if not all(0 < n.beats < MAX_BEATS for n in score.notes) or not 0 < score.duration < 600:
        raise Unsupported("the score has notes of no length, or far too long")
    return score


def read_file(path: Path, lyrics: str | None = None) -> Score:
    """A melody from a MIDI file (mido) or a MusicXML file (music21): the top voice, with
    its lyrics if the file has them, else the given ones, else "la"."""
    pitches, tempo, words = read_melody(path)
    if not any(p for p, _ in pitches):
        raise Unsupported("the score file has no notes")
    text = lyrics or (" ".join(words) if words else " ".join(["la"] * sum(
        1 for p, _ in pitches if p is not None)))
    return check(fit(text, pitches, tempo))


def requested(lyrics: str, notes: str | None = None, durations: str | None = None,
              melody: str | None = None, recipient: str | None = None,
              tempo: float | None = None) -> Score:
    """The score a singing request asks for. Lyrics that only restate the tune's name
    ("happy birthday to my sister") mean the tune's own words, with the name put in."""
    if notes:
        return from_text(lyrics, notes, durations, tempo)
    if melody:
        title = re.sub(r"[^a-z ]", "", melody.lower())
        said = re.sub(r"[^a-z ]", "", lyrics.lower()).strip()
        if said.startswith(title) or not said:
            rest = said[len(title):]
            if recipient is None and (m := re.search(r"\b(?:to|for)\s+(?:my\s+|our\s+)?(.+)$",
                                                     rest)):
                recipient = m.group(1).strip()
            return tune(melody, None, recipient, tempo)
        return tune(melody, lyrics, recipient, tempo)
    return check(simple_tune(lyrics, tempo))
