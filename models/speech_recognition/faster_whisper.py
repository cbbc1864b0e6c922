"""The faster-whisper engine: Whisper in CTranslate2 format over recordings of any length,
in VAD-cut windows, optionally decoded in batches; and the base of the catalog's
CTranslate2 checkpoints (large-v3-turbo, large-v3) that it runs."""

from __future__ import annotations

from typing import Any

import numpy as np

from media.audio import Audio
from models import stop
from models.catalog.checkpoints import NeuralBackend
from models.speech_recognition.base import Segment, Transcript, Word

BEAM_SIZE = 5
WINDOW_SECONDS = 120.0  # the longest stretch decoded at once
CLIP_SECONDS = 30.0  # Whisper's input: the longest stretch one batch row holds
CLIP_GAP_SECONDS = 2.0  # speech spans closer than this share a batch row
NOTE_GAP_SECONDS = 1.0  # silence between voice notes laid end to end for one batch
# Rows decoded at once when not configured (AUDIOGPT_ASR_BATCH_SIZE), by device.
DEFAULT_BATCH_SIZE = {"cpu": 1, "cuda": 16}
CT2_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.*",
             "preprocessor_config.json")


def batch_size_for(model: Any, configured: int | None) -> int:
    """The configured batch size, else the default for the device the model runs on."""
    if configured is not None:
        return max(1, configured)
    return DEFAULT_BATCH_SIZE.get(getattr(model.model, "device", "cpu"), 1)


class FasterWhisperCheckpoint(NeuralBackend):
    """A catalog checkpoint in CTranslate2 format, loaded by faster-whisper (on a GPU when
    the worker has one)."""

    license = "MIT"
    requires = ("faster_whisper",)
    _model: Any = None

    def load(self) -> None:
        from faster_whisper import WhisperModel

        self._model = WhisperModel(str(self.folder), device="auto", compute_type="default")


def run_whisper(model: Any, audio: Audio, language: str | None, task: str = "transcribe",
                word_timestamps: bool = False, batch_size: int | None = None) -> Transcript:
    """A faster-whisper model over a recording of any length (16 kHz mono).

    faster-whisper computes the features of all it is given at once (hundreds of MB for
    ten minutes), so long recordings go in windows of at most WINDOW_SECONDS, cut in the
    pauses Silero VAD finds; within each, its own VAD skips the silence. With a batch size
    above 1 (None: DEFAULT_BATCH_SIZE for the model's device), each window's speech
    segments are decoded that many at a time (BatchedInferencePipeline: one pass per
    segment, no temperature fallback).
    """
    found: list[Segment] = []
    detected = language
    batch_size = batch_size_for(model, batch_size)
    for start, end in speech_windows(audio):
        stop.check()
        if batch_size > 1:
            window = Audio(audio.samples[start:end], audio.sample_rate)
            clips = [{"start": a / audio.sample_rate, "end": b / audio.sample_rate}
                     for a, b in speech_clips(window)]
            if not clips:
                continue
            segments, info = _batched(model, window.samples, clips, language or detected, task,
                                      word_timestamps, batch_size)
        else:
            segments, info = model.transcribe(
                audio.samples[start:end], language=language or detected, task=task,
                beam_size=BEAM_SIZE, vad_filter=True, word_timestamps=word_timestamps,
                condition_on_previous_text=False)
        offset = start / audio.sample_rate
        for s in segments:  # decoded lazily, one stretch of up to 30 s at a time
            found.append(Segment(s.start + offset, s.end + offset, s.text.strip(),
                                 s.avg_logprob, words_of(s, offset)))
            stop.check()
        detected = detected or info.language  # the first window's language holds for all
    return Transcript(" ".join(s.text for s in found if s.text).strip(), detected or "en",
                      found)


def words_of(segment: Any, offset: float) -> list[Word]:
    """A faster-whisper segment's timed words (none without word timestamps), shifted."""
    return [Word(max(w.start + offset, 0.0), w.end + offset, w.word)
            for w in segment.words or ()]


def speech_windows(audio: Audio) -> list[tuple[int, int]]:
    """Sample ranges of at most WINDOW_SECONDS covering the speech, cut between utterances."""
    limit = int(WINDOW_SECONDS * audio.sample_rate)
    if len(audio.samples) <= limit:
        return [(0, len(audio.samples))]
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans = get_speech_timestamps(audio.samples, VadOptions(min_silence_duration_ms=300))
    windows: list[tuple[int, int]] = []
    for span in spans:
        start, end = span["start"], span["end"]
        while end - start > limit:  # one utterance longer than a window: cut it hard
            windows.append((start, start + limit))
            start += limit
        if windows and end - windows[-1][0] <= limit:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


def run_whisper_notes(model: Any, audios: list[Audio], language: str | None,
                      task: str = "transcribe", word_timestamps: bool = False
                      ) -> list[Transcript]:
    """Several short recordings through one batched decode, one transcript each, in order.

    The notes are laid end to end with silence between them and each note's speech is
    cut into clips of at most CLIP_SECONDS; every clip is one batch row, and each decoded
    segment goes back to its note by the row it came from (its `seek`), never by text.
    Without a language on a multilingual model each note is run alone, since one batch
    shares one language.
    """
    if not audios:
        return []
    if language is None and model.model.is_multilingual:
        return [run_whisper(model, a, None, task, word_timestamps) for a in audios]
    rate = audios[0].sample_rate
    pieces, clips, owner, at = [], [], [], 0  # owner: the note of each clip
    for i, audio in enumerate(audios):
        for start, end in speech_clips(audio):
            clips.append({"start": (at + start) / rate, "end": (at + end) / rate})
            owner.append((i, at / rate))
        gap = np.zeros(int(NOTE_GAP_SECONDS * rate), np.float32)
        pieces += [audio.samples, gap]
        at += len(audio.samples) + len(gap)
    found: list[list[Segment]] = [[] for _ in audios]
    if clips:
        rows = {round(c["start"] * model.frames_per_second): n for n, c in enumerate(clips)}
        segments, _ = _batched(model, np.concatenate(pieces), clips, language, task,
                               word_timestamps, len(clips))
        for s in segments:
            stop.check()
            note, offset = owner[_row(rows, s.seek)]
            found[note].append(Segment(max(round(s.start - offset, 3), 0.0),  # rounded
                                       round(s.end - offset, 3), s.text.strip(),
                                       s.avg_logprob, words_of(s, -offset)))
    return [Transcript(" ".join(s.text for s in f if s.text).strip(), language or "en", f)
            for f in found]


def _batched(model: Any, samples: np.ndarray, clips: list[dict[str, float]],
             language: str | None, task: str, word_timestamps: bool, batch_size: int
             ) -> tuple[Any, Any]:
    """faster-whisper's batched decode of the given clips (seconds), `batch_size` at a time.

    The clips keep the short pauses inside them (its own VAD would splice the speech
    together, which cost tiny.en 6 points of WER on the long-recording test), and
    timestamps are kept so a clip comes back as sentences, not as one 30-second segment.
    """
    from faster_whisper import BatchedInferencePipeline

    return BatchedInferencePipeline(model).transcribe(  # type: ignore[no-any-return]
        samples, language=language, task=task, beam_size=BEAM_SIZE, clip_timestamps=clips,
        word_timestamps=word_timestamps, batch_size=max(batch_size, 1),
        without_timestamps=False)


def _row(rows: dict[int, int], seek: int) -> int:
    """The batch row a segment came from: the clip starting at its seek (to a frame)."""
    for frame in (seek, seek + 1, seek - 1):
        if frame in rows:
            return rows[frame]
    raise RuntimeError(f"faster-whisper returned a segment at frame {seek}, in no clip")


def speech_clips(audio: Audio) -> list[tuple[int, int]]:
    """Sample ranges of at most CLIP_SECONDS holding the speech Silero VAD finds."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    limit, gap = int(CLIP_SECONDS * audio.sample_rate), int(CLIP_GAP_SECONDS * audio.sample_rate)
    spans = get_speech_timestamps(audio.samples, VadOptions(
        max_speech_duration_s=CLIP_SECONDS, min_silence_duration_ms=160))
    clips: list[tuple[int, int]] = []
    for span in spans:
        start, end = span["start"], min(span["end"], span["start"] + limit)
        if clips and end - clips[-1][0] <= limit and start - clips[-1][1] < gap:
            clips[-1] = (clips[-1][0], end)
        else:
            clips.append((start, end))
    return clips
