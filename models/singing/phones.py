"""A score as DiffSinger's acoustic model reads it: phonemes with lengths in frames, and an
f0 curve in Hz per frame.

Each sung syllable's vowel lands on its note; its leading consonants go just before the
note (taken from the end of what comes before, as singers place them) and its closing
consonants end the note. Rests and the silence around the song are the voicebank's SP.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Protocol

import numpy as np

from models.singing.scores import Score


class Voicebank(Protocol):
    """What the layout needs to know of a voicebank's phonemes."""

    @property
    def frame_s(self) -> float: ...

    def rest(self) -> str: ...

    def is_vowel(self, phoneme: str) -> bool: ...

    def word_phonemes(self, word: str) -> list[str] | None: ...

    def letters_to_phonemes(self, text: str) -> list[str]: ...


def split_word(phonemes: list[str], count: int, voice: Voicebank) -> list[list[str]] | None:
    """A word's phonemes cut into `count` syllables at its vowels (of the consonants between
    two vowels the last goes with the next syllable); None if it has not `count` vowels."""
    vowels = [i for i, p in enumerate(phonemes) if voice.is_vowel(p)]
    if len(vowels) != count:
        return None
    cuts = [b if b - a == 1 else b - 1 for a, b in pairwise(vowels)]
    edges = [0, *cuts, len(phonemes)]
    return [phonemes[a:b] for a, b in pairwise(edges)]


def syllable_phonemes(score: Score, voice: Voicebank) -> list[list[str]]:
    """The phonemes of every sung syllable, in order: the dictionary's for the words it
    lists, the letter fallback for the rest."""
    words: list[list[str]] = []
    for note in score.notes:
        if note.syllable and (note.word_start or not words):
            words.append([note.syllable])
        elif note.syllable:
            words[-1].append(note.syllable)
    out: list[list[str]] = []
    for parts in words:
        known = voice.word_phonemes("".join(parts))
        split = split_word(known, len(parts), voice) if known else None
        out += split or [voice.letters_to_phonemes(p) for p in parts]
    return out


def _segments(score: Score, voice: Voicebank, head: float, tail: float
              ) -> list[tuple[list[str], int, int]]:
    """(phonemes, first frame, end frame) of each syllable and rest, silence around them."""
    frame_s, rest = voice.frame_s, voice.rest()
    sung = iter(syllable_phonemes(score, voice))
    total = round((head + score.duration + tail) / frame_s)
    out: list[tuple[list[str], int, int]] = []
    for note, (onset, length) in zip(score.notes, score.timing(), strict=True):
        a, b = round((head + onset) / frame_s), round((head + onset + length) / frame_s)
        if note.pitch is not None and note.syllable:
            out.append((next(sung), a, b))
        elif out and (note.pitch is not None or out[-1][0] == [rest]):  # melisma, long rest
            out[-1] = (out[-1][0], out[-1][1], b)
        else:
            out.append(([rest], a, b))
    if not out or out[0][0] != [rest]:
        out.insert(0, ([rest], 0, out[0][1] if out else total))
    out[0] = (out[0][0], 0, out[0][2])
    if out[-1][0] == [rest]:
        out[-1] = (out[-1][0], out[-1][1], total)
    else:
        out.append(([rest], out[-1][2], total))
    return out


def lay_out(score: Score, voice: Voicebank, head: float, tail: float, consonant_s: float
            ) -> list[tuple[str, int]]:
    """(phoneme, frames) for the whole song; the frames add up to head + score + tail."""
    out: list[tuple[str, int]] = []
    for phonemes, a, b in _segments(score, voice, head, tail):
        length = b - a
        vowels = [i for i, p in enumerate(phonemes) if voice.is_vowel(p)] or [0]
        lead, body = phonemes[:vowels[0]], phonemes[vowels[0]:vowels[-1] + 1]
        closing = phonemes[vowels[-1] + 1:]
        each = max(1, min(round(consonant_s / voice.frame_s),
                          length // (3 * max(1, len(lead) + len(closing)))))
        need = each * len(lead)
        if lead and out and out[-1][1] > 2 * need:  # the consonants go before the note
            out[-1] = (out[-1][0], out[-1][1] - need)
            out += [(p, each) for p in lead]
            lead = []
        if length < len(lead) + len(body) + len(closing) + 1 or length <= 0:
            lead, closing, body = [], [], body[:1]  # a very short note: its vowel only
        if length <= 0:
            continue
        inner = [(p, each) for p in lead]
        spare = length - each * (len(lead) + len(closing))
        share = [spare // len(body) + (1 if i < spare % len(body) else 0)
                 for i in range(len(body))]
        inner += list(zip(body, share, strict=True)) + [(p, each) for p in closing]
        out += [(p, d) for p, d in inner if d > 0]
    return out


def pitch_curve(score: Score, frame_s: float, head: float, frames: int, glide_s: float
                ) -> np.ndarray:
    """Hz on every frame: the notes' pitches, carried through rests, with short glides."""
    midi = np.full(frames, np.nan)
    for note, (onset, length) in zip(score.notes, score.timing(), strict=True):
        if note.pitch is not None:
            a, b = round((head + onset) / frame_s), round((head + onset + length) / frame_s)
            midi[a:b] = note.pitch
    known = np.flatnonzero(~np.isnan(midi))
    midi = np.interp(np.arange(frames), known, midi[known])
    width = max(3, round(glide_s / frame_s) | 1)
    window = np.hanning(width + 2)[1:-1]
    smooth = np.convolve(np.pad(midi, width // 2, mode="edge"), window / window.sum(), "valid")
    return np.asarray(440.0 * 2 ** ((smooth - 69) / 12), dtype=np.float32)
