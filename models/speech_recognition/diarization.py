"""Who said what: a transcript's speech in short pieces, one speaker embedding per piece,
agglomerative clustering by cosine distance, and turns labelled "Speaker 1", "Speaker 2"…
in the order the voices are first heard.

A piece is a run of words (a segment's share of time where the engine gave no word times)
cut at pauses and at most WINDOW_SECONDS long, so a speaker change inside one of Whisper's
segments still falls between two pieces.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from media.audio import Audio
from models.speech_recognition.base import Segment, Word

WINDOW_SECONDS = 1.5  # the longest piece one embedding speaks for
PAUSE_SECONDS = 0.4  # a silence between words this long ends a piece
MIN_EMBED_SECONDS = 1.0  # a shorter piece is embedded with the audio around it
FRAME_SECONDS = 0.02  # the frames whose loudness finds where a piece's speech starts and ends
QUIET_DB = 30.0  # a frame this far under the piece's loudest is pause, not speech
MIN_TURN_SECONDS = 1.0  # a shorter flip between two stretches of one voice is smoothed away
# A group with less speech than this is no voice of its own (a trailing word embedded with
# the silence after it) and joins the nearest group.
MIN_SPEAKER_SECONDS = 2.0
# Average-linkage cosine distance above which two groups are different voices; the
# d-vectors of one real reader's 1.5 s windows sit near 0.37 apart, two readers' near 0.75.
THRESHOLD = 0.6

Embed = Callable[[np.ndarray], np.ndarray]  # 16 kHz speech -> unit-length speaker vector


@dataclass
class Turn:
    """A stretch of speech by one speaker (0 is the first heard), times in seconds."""

    start: float
    end: float
    speaker: int
    text: str


def speaker_name(speaker: int) -> str:
    """How a speaker is named in replies and subtitles."""
    return f"Speaker {speaker + 1}"


def _word_pieces(words: Sequence[Word]) -> list[Turn]:
    pieces: list[Turn] = []
    for word in words:
        last = pieces[-1] if pieces else None
        if last and word.start - last.end < PAUSE_SECONDS and \
                word.end - last.start <= WINDOW_SECONDS:
            last.end, last.text = word.end, last.text + word.text
        else:
            pieces.append(Turn(word.start, word.end, -1, word.text))
    return pieces


def _even_pieces(segment: Segment) -> list[Turn]:
    """A segment without word times in equal windows, its words shared out evenly."""
    count = max(1, int(np.ceil((segment.end - segment.start) / WINDOW_SECONDS)))
    edges = np.linspace(segment.start, segment.end, count + 1)
    words = segment.text.split()
    cuts = np.linspace(0, len(words), count + 1).round().astype(int)
    return [Turn(float(edges[i]), float(edges[i + 1]), -1,
                 "".join(f" {w}" for w in words[cuts[i]:cuts[i + 1]])) for i in range(count)]


def pieces(segments: Sequence[Segment]) -> list[Turn]:
    """The transcript in pieces to embed, unlabelled (speaker -1), in time order."""
    found: list[Turn] = []
    for segment in segments:
        if segment.text.strip():
            found += _word_pieces(segment.words) if segment.words else _even_pieces(segment)
    return [p for p in found if p.end > p.start]


def cluster(vectors: np.ndarray, lengths: np.ndarray, speakers: int | None = None,
            threshold: float = THRESHOLD) -> np.ndarray:
    """A group number per vector (of a piece `lengths` seconds long): `speakers` groups
    when given, else as many as stay farther apart than the threshold (average linkage,
    cosine distance); groups with under MIN_SPEAKER_SECONDS of speech are folded in."""
    from scipy.cluster.hierarchy import fcluster, linkage

    if len(vectors) < 2:
        return np.zeros(len(vectors), int)
    tree = linkage(vectors, method="average", metric="cosine")
    if speakers is None:
        return _fold_small(vectors, lengths, fcluster(tree, threshold, criterion="distance"))
    for cut in range(min(speakers, len(vectors)), len(vectors) + 1):
        labels = _fold_small(vectors, lengths, fcluster(tree, cut, criterion="maxclust"))
        if len(set(labels)) >= speakers:
            break
    return labels


def _fold_small(vectors: np.ndarray, lengths: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each group with too little speech merged into the group whose mean vector is nearest."""
    labels = labels.copy()
    while len(groups := np.unique(labels)) > 1:
        speech = np.array([lengths[labels == g].sum() for g in groups])
        if speech.min() >= MIN_SPEAKER_SECONDS:
            break
        small = groups[speech.argmin()]
        means = {g: vectors[labels == g].mean(axis=0) for g in groups if g != small}
        mine = vectors[labels == small].mean(axis=0)
        labels[labels == small] = max(means, key=lambda g: float(means[g] @ mine))
    return labels


def smooth(labels: np.ndarray, spans: Sequence[tuple[float, float]]) -> np.ndarray:
    """Labels with every run shorter than MIN_TURN_SECONDS between two runs of one other
    speaker given to that speaker (an embedding's slip, not a turn)."""
    labels = labels.copy()
    runs: list[list[int]] = []
    for i, label in enumerate(labels):
        if runs and labels[runs[-1][0]] == label:
            runs[-1].append(i)
        else:
            runs.append([i])
    for before, run, after in zip(runs, runs[1:], runs[2:], strict=False):
        length = sum(spans[i][1] - spans[i][0] for i in run)
        if labels[before[0]] == labels[after[0]] and length < MIN_TURN_SECONDS:
            labels[run] = labels[before[0]]
    return labels


def in_order_heard(labels: np.ndarray) -> np.ndarray:
    """Group numbers renamed 0, 1, 2… by first appearance."""
    order = {int(label): None for label in labels}
    names = {label: n for n, label in enumerate(order)}
    return np.array([names[int(label)] for label in labels], int)


def _voiced(audio: Audio, start: float, end: float) -> tuple[float, float]:
    """A piece's span without the quiet frames at its edges (a word's time often runs on
    into the pause after it, and a d-vector of silence is no voice's)."""
    rate, step = audio.sample_rate, int(FRAME_SECONDS * audio.sample_rate)
    x = audio.mono[int(start * rate): int(end * rate)]
    frames = x[: len(x) // step * step].reshape(-1, step)
    if len(frames) == 0:
        return start, end
    level = np.sqrt(np.mean(frames ** 2, axis=1))
    loud = np.flatnonzero(level >= level.max() * 10 ** (-QUIET_DB / 20))
    return start + loud[0] * FRAME_SECONDS, start + (loud[-1] + 1) * FRAME_SECONDS


def _clip(audio: Audio, start: float, end: float) -> np.ndarray:
    """A piece's voiced samples, widened evenly to MIN_EMBED_SECONDS where shorter."""
    start, end = _voiced(audio, start, end)
    widen = max(0.0, MIN_EMBED_SECONDS - (end - start)) / 2
    rate = audio.sample_rate
    a, b = max(0, int((start - widen) * rate)), int((end + widen) * rate)
    return audio.mono[a:b]


def diarize(audio: Audio, segments: Sequence[Segment], embed: Embed,
            speakers: int | None = None) -> list[Turn]:
    """The transcript's pieces (16 kHz audio), each labelled with its speaker."""
    found = pieces(segments)
    if not found:
        return []
    vectors = np.stack([embed(_clip(audio, p.start, p.end)) for p in found])
    spans = [(p.start, p.end) for p in found]
    lengths = np.array([end - start for start, end in spans])
    labels = in_order_heard(smooth(cluster(vectors, lengths, speakers), spans))
    for piece, label in zip(found, labels, strict=True):
        piece.speaker = int(label)
    return found


def merged(turns: Sequence[Turn], gap: float | None = None) -> list[Turn]:
    """Consecutive pieces of one speaker as one turn (only those under `gap` seconds
    apart, when given), its text trimmed."""
    out: list[Turn] = []
    for turn in turns:
        last = out[-1] if out else None
        if last and last.speaker == turn.speaker and (gap is None or turn.start - last.end < gap):
            last.end, last.text = turn.end, last.text + turn.text
        else:
            out.append(Turn(turn.start, turn.end, turn.speaker, turn.text))
    return [Turn(t.start, t.end, t.speaker, t.text.strip()) for t in out]
