"""Singing, embedded tier: Piper speaks each word of the lyrics, and the WORLD vocoder
(pyworld) re-sings it to the score.

Every word is analysed once into pitch, spectral envelope and aperiodicity, cut into its
syllables at the loudness dips between vowels, and laid on the score's timeline: a
syllable's leading consonants go just before its note (as singers place them, so the
vowel lands on the beat), its voiced part is stretched over the note (and over further
notes of a melisma), its closing consonants end it. The pitch follows the notes with
short glides between them and a vibrato that swells on held notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from media.audio import Audio
from models import stop
from models.singing.base import Singer
from models.singing.scores import Score
from models.style_transfer.world import FRAME_MS, PiperWorld, world_vocoder

LEAD_IN = 0.3  # seconds of silence before the first note, room for its consonants
TAIL = 0.3  # seconds after the last note
GLIDE_MS = 70.0  # pitch transition between notes, centred on the onset
VIBRATO_HZ = 5.5
VIBRATO_CENTS = 20.0  # peak depth once fully grown
VIBRATO_DELAY = 0.25  # seconds into a note before vibrato starts, then it grows as long
MAX_CONSONANT_MS = 120.0
EDGE_FRAMES = 6  # voiced frames at each end of a syllable kept at speaking pace
SILENCE_DB = -35.0  # below the word's peak, relative: the silence Piper leaves around it
LOW_BAND_HZ = 2500.0
VOWEL_LOW_SHARE = 0.6  # of a frame's spectral energy below LOW_BAND_HZ: a vowel, not a hiss
HISS_LOW_SHARE = 0.5
TRIES = 3  # renditions of a word to choose from
CLEAR_VOICING = 0.8  # share of a syllable's vowel that Harvest hears as voiced: good enough
VOWEL_DB = 20.0  # a whispered vowel is at most this far below the word's peak
SUNG_APERIODICITY = 0.1  # sung vowels are clean: cap the noise below SUNG_BAND_HZ
SUNG_BAND_HZ = 4000.0


@dataclass
class Syllable:
    """WORLD frames of one spoken syllable: consonants before, voiced body, after."""

    lead: slice
    body: slice
    tail: slice


@dataclass
class Word:
    """One word as Piper speaks it, analysed by WORLD, with its syllables."""

    f0: np.ndarray  # 1.0 where a vowel or voiced consonant sounds, else 0.0
    envelope: np.ndarray
    aperiodicity: np.ndarray
    syllables: list[Syllable]


def frame_loudness(x: np.ndarray, rate: int, frames: int) -> np.ndarray:
    """RMS level of each WORLD frame in dB."""
    hop = int(rate * FRAME_MS / 1000)
    padded = np.pad(x, (hop, hop * 2 + max(0, frames * hop - len(x))))
    windows = np.arange(frames)[:, None] * hop + np.arange(2 * hop)[None, :]
    rms = np.sqrt(np.mean(padded[windows] ** 2, axis=1))
    return 20 * np.log10(rms + 1e-9)


def split_syllables(voiced: np.ndarray, loud: np.ndarray, count: int) -> list[Syllable]:
    """Cut a word's frames into `count` syllables at the deepest loudness dips between
    its vowels (even cuts where it has fewer dips)."""
    from scipy import signal

    frames = len(voiced)
    smooth = signal.filtfilt(*signal.butter(2, 12.0, fs=1000 / FRAME_MS), loud) \
        if frames > 15 else loud
    on = np.flatnonzero(voiced)
    first, last = (int(on[0]), int(on[-1]) + 1) if on.size else (0, frames)
    cuts: list[int] = []
    if count > 1:
        dips, props = signal.find_peaks(-smooth[first:last], prominence=2.0)
        best = dips[np.argsort(-props["prominences"])][:count - 1] + first
        cuts = sorted(int(c) for c in best)
        while len(cuts) < count - 1:  # too few dips: split the longest piece evenly
            edges = [first, *cuts, last]
            widest = max(range(len(edges) - 1), key=lambda i: edges[i + 1] - edges[i])
            cuts = sorted([*cuts, (edges[widest] + edges[widest + 1]) // 2])
    edges = [0, *cuts, frames]
    out = []
    for a, b in pairwise(edges):
        inside = np.flatnonzero(voiced[a:b]) + a
        start, end = (int(inside[0]), int(inside[-1]) + 1) if inside.size else (a, b)
        out.append(Syllable(slice(a, start), slice(start, end), slice(end, b)))
    return out


def stretch(values: np.ndarray, length: int) -> np.ndarray:
    """Frames resampled to `length`: the edges at speaking pace, the middle stretched,
    interpolated in the log domain (spectra)."""
    n = len(values)
    if length <= 0:
        return values[:0]
    edge = min(EDGE_FRAMES, n // 3, length // 3)
    if n - 2 * edge < 1 or length - 2 * edge < 1:
        idx = np.linspace(0, n - 1, length)
    else:
        idx = np.concatenate([np.arange(edge), np.linspace(edge, n - 1 - edge, length - 2 * edge),
                              np.arange(n - edge, n)])
    low = np.floor(idx).astype(int)
    high = np.minimum(low + 1, n - 1)
    w = (idx - low)[:, None]
    logs = np.log(np.maximum(values, 1e-16))
    return np.exp((1 - w) * logs[low] + w * logs[high])


class WorldSinger(PiperWorld, Singer):
    """Piper's voice sung to a score with the WORLD vocoder."""

    name = "world-singer"
    task = "singing_synthesis"
    model = "Piper + WORLD vocoder singing (pyworld)"
    license = "MIT (pyworld, piper), modified BSD (WORLD), CC0 (voice data)"
    rate = 22_050

    def sing(self, score: Score) -> Audio:
        """The score sung; the first note starts LEAD_IN seconds into the audio."""
        words = self._words(score)
        frame_s = FRAME_MS / 1000
        timing = score.timing()
        total = round((LEAD_IN + score.duration + TAIL) / frame_s)
        some = next(iter(words.values()))
        bins = some.envelope.shape[1]
        f0_target = np.zeros(total)
        voiced = np.zeros(total, bool)
        envelope = np.full((total, bins), 1e-12)
        aperiodicity = np.ones((total, bins))
        starts = [round((LEAD_IN + t) / frame_s) for t, _ in timing]
        ends = [round((LEAD_IN + t + d) / frame_s) for t, d in timing]
        for i, note in enumerate(score.notes):
            if note.pitch is not None:
                f0_target[starts[i]:ends[i]] = note.pitch
        runs = self._runs(score)
        placed = self._place(runs, words, starts, ends, self.rate / 2)
        for (a, b), frames in placed:
            envelope[a:b], aperiodicity[a:b] = frames[1], frames[2]
            voiced[a:b] = frames[0]
        f0 = self._contour(f0_target, starts, ends, score)
        f0[~voiced] = 0.0
        out = world_vocoder().synthesize(f0, np.ascontiguousarray(envelope),
                                         np.ascontiguousarray(aperiodicity), self.rate,
                                         frame_period=FRAME_MS)
        peak = float(np.max(np.abs(out))) or 1.0
        return Audio((out / peak * 0.9).astype(np.float32), self.rate)

    @staticmethod
    def _runs(score: Score) -> list[tuple[int, int, int, int]]:
        """(word number, syllable number, first note, last note + 1) for each sung syllable."""
        runs: list[tuple[int, int, int, int]] = []
        word, syllable = -1, 0
        for i, note in enumerate(score.notes):
            if note.pitch is None:
                continue
            if note.syllable:
                if note.word_start or word < 0:
                    word, syllable = word + 1, 0
                else:
                    syllable += 1
                runs.append((word, syllable, i, i + 1))
            elif runs and all(n.pitch is not None for n in score.notes[runs[-1][3]:i + 1]):
                w, s, a, _ = runs[-1]
                runs[-1] = (w, s, a, i + 1)
        return runs

    def _words(self, score: Score) -> dict[int, Word]:
        """Every word of the score spoken and analysed (each distinct word once)."""
        texts: list[list[str]] = []
        for note in score.notes:
            if note.syllable and (note.word_start or not texts):
                texts.append([note.syllable])
            elif note.syllable:
                texts[-1].append(note.syllable)
        cache: dict[str, Word] = {}
        out = {}
        for i, parts in enumerate(texts):
            stop.check()
            key = "".join(parts) + f"/{len(parts)}"
            if key not in cache:
                cache[key] = self._analyse("".join(parts), len(parts))
            out[i] = cache[key]
        return out

    def _analyse(self, text: str, count: int) -> Word:
        """The word spoken and analysed; Piper varies from one rendition to the next and
        sometimes whispers a vowel, so up to TRIES renditions are made and the one whose
        weakest syllable is most clearly voiced is kept."""
        best, score = None, -1.0
        for _ in range(TRIES):
            word, voicing = self._analyse_once(text, count)
            if voicing > score:
                best, score = word, voicing
            if voicing >= CLEAR_VOICING:
                break
        assert best is not None
        return best

    def _analyse_once(self, text: str, count: int) -> tuple[Word, float]:
        world = world_vocoder()
        audio = self._tts.synthesize(text)
        self.rate = audio.sample_rate
        x = np.ascontiguousarray(audio.mono, dtype=np.float64)
        f0, times = world.harvest(x, self.rate, frame_period=FRAME_MS, f0_floor=60.0)
        loud = frame_loudness(x, self.rate, len(f0))
        keep = np.flatnonzero(loud > loud.max() + SILENCE_DB)
        span = slice(int(keep[0]), int(keep[-1]) + 1) if keep.size else slice(0, len(f0))
        envelope = world.cheaptrick(x, f0, times, self.rate)[span]
        aperiodicity = world.d4c(x, f0, times, self.rate)[span]
        f0, loud = f0[span], loud[span]
        # Piper often whispers a word's last vowel, which Harvest calls unvoiced: a loud
        # frame whose energy sits low in the spectrum is a vowel all the same, and is sung.
        low = np.linspace(0, self.rate / 2, envelope.shape[1]) < LOW_BAND_HZ
        share = envelope[:, low].sum(axis=1) / envelope.sum(axis=1)
        # And a voiced frame whose energy is mostly high up is a hiss ("s" running into
        # the vowel): it stays with the consonants.
        vowel = ((f0 > 0) & (share > HISS_LOW_SHARE)) | (
            (share > VOWEL_LOW_SHARE) & (loud > loud.max() - VOWEL_DB))
        parts = split_syllables(vowel, loud, count)
        voicing = min(float(np.mean(f0[p.body] > 0)) if p.body.stop > p.body.start else 0.0
                      for p in parts)
        return Word(vowel.astype(np.float64), envelope, aperiodicity, parts), voicing

    @staticmethod
    def _place(runs: list[tuple[int, int, int, int]], words: dict[int, Word],
               starts: list[int], ends: list[int], nyquist: float
               ) -> list[tuple[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]]]:
        """Frames of each syllable on the timeline: (start, end), (voiced, envelope, ap)."""
        limit = int(MAX_CONSONANT_MS / FRAME_MS)
        placed = []
        for k, (w, s, first, last) in enumerate(runs):
            word = words[w]
            syl = word.syllables[min(s, len(word.syllables) - 1)]
            onset, end = starts[first], ends[last - 1]
            lead = min(syl.lead.stop - syl.lead.start, limit)
            tail = min(syl.tail.stop - syl.tail.start, limit)
            if k + 1 < len(runs) and runs[k + 1][2] == last:  # the next note follows at once
                nxt = words[runs[k + 1][0]].syllables[min(runs[k + 1][1], len(
                    words[runs[k + 1][0]].syllables) - 1)]
                end -= min(nxt.lead.stop - nxt.lead.start, limit, (end - onset) // 3)
            room = end - onset
            tail = min(tail, room // 4)
            body_len = room - tail
            parts = []
            for piece, length, is_voiced in ((slice(syl.lead.stop - lead, syl.lead.stop), lead,
                                              False),
                                             (syl.body, body_len, True),
                                             (slice(syl.tail.start, syl.tail.start + tail), tail,
                                              False)):
                if length <= 0:
                    continue
                env = word.envelope[piece]
                ap = word.aperiodicity[piece]
                if len(env) == 0:
                    continue
                if len(env) != length:
                    env, ap = stretch(env, length), np.clip(stretch(ap, length), 0.0, 1.0)
                if is_voiced:
                    band = np.linspace(0, nyquist, ap.shape[1]) < SUNG_BAND_HZ
                    ap = ap.copy()
                    ap[:, band] = np.minimum(ap[:, band], SUNG_APERIODICITY)
                flag = np.full(length, is_voiced) if is_voiced else word.f0[piece][:length] > 0
                parts.append((flag, env, ap))
            if not parts:
                continue
            a = onset - lead
            frames = tuple(np.concatenate([p[i] for p in parts]) for i in range(3))
            placed.append(((a, a + len(frames[0])), frames))
        return placed  # type: ignore[return-value]

    @staticmethod
    def _contour(target: np.ndarray, starts: list[int], ends: list[int], score: Score
                 ) -> np.ndarray:
        """Hz per frame: the notes with glides centred on each change, plus vibrato."""
        frame_s = FRAME_MS / 1000
        held = target.copy()
        pitched = np.flatnonzero(held > 0)
        if pitched.size:  # carry pitches into gaps so glides don't dive toward zero
            held = np.interp(np.arange(len(held)), pitched, held[pitched])
        width = max(3, int(GLIDE_MS / FRAME_MS) | 1)
        window = np.hanning(width + 2)[1:-1]
        smooth = np.convolve(np.pad(held, width // 2, mode="edge"), window / window.sum(),
                             mode="valid")
        cents = np.zeros(len(held))
        for i, note in enumerate(score.notes):
            length = (ends[i] - starts[i]) * frame_s
            if note.pitch is None or length < 2 * VIBRATO_DELAY:
                continue
            t = np.arange(ends[i] - starts[i]) * frame_s
            grow = np.clip((t - VIBRATO_DELAY) / VIBRATO_DELAY, 0.0, 1.0)
            fade = np.clip((length - t) / 0.1, 0.0, 1.0)
            cents[starts[i]:ends[i]] = VIBRATO_CENTS * grow * fade * np.sin(
                2 * np.pi * VIBRATO_HZ * t)
        midi = smooth + cents / 100
        return np.asarray(440.0 * 2 ** ((midi - 69) / 12), dtype=np.float64)
