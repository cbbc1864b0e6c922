"""A batching layer for speech recognition: concurrent requests share one model call.

Jobs that transcribe at the same moment (several channels, or a worker running several
jobs) each call `AsrBatcher.transcribe` from their own thread. The first request waits up
to `window` seconds for others (or until `batch_size` are queued); one thread then hands
them together to `Transcriber.transcribe_many`, and each caller gets its own transcript
back through its own future. A request alone is transcribed by itself.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

from media.audio import Audio
from models.speech_recognition.base import Transcriber, Transcript

log = logging.getLogger(__name__)
WINDOW = 0.05  # seconds the first request of a batch waits for company
NOTES_BATCH_SIZE = 1  # default notes per batch; 1: off (on 2 CPU cores it gains nothing)
MAX_NOTE_SECONDS = 120.0  # longer recordings skip the queue (they batch their own segments)


@dataclass
class _Request:
    transcriber: Transcriber
    audio: Audio
    language: str | None
    word_timestamps: bool
    future: Future[Transcript] = field(default_factory=Future)

    @property
    def key(self) -> tuple[int, str | None, bool]:
        """Requests batch together only with the same model, language and options."""
        return id(self.transcriber), self.language, self.word_timestamps


class AsrBatcher:
    """Thread-safe: queues transcription requests and runs them in batches on one thread."""

    def __init__(self, batch_size: int = 8, window: float = WINDOW) -> None:
        self.batch_size, self.window = max(1, batch_size), window
        self.batches = self.requests = 0  # model calls made, requests served
        self._queue: list[_Request] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def transcribe(self, transcriber: Transcriber, audio: Audio, language: str | None = None,
                   word_timestamps: bool = False) -> Transcript:
        """This recording's transcript, decoded together with any others queued now."""
        if audio.duration > MAX_NOTE_SECONDS or self.batch_size == 1:
            return transcriber.transcribe(audio, language, word_timestamps)
        request = _Request(transcriber, audio, language, word_timestamps)
        with self._cond:
            if self._closed:
                raise RuntimeError("the ASR batcher is closed")
            self._queue.append(request)
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="asr-batcher",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()
        return request.future.result()

    def close(self) -> None:
        """Finish what is queued, then stop the thread."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _serve(self) -> None:
        while (batch := self._next_batch()) is not None:
            self._run(batch)

    def _next_batch(self) -> list[_Request] | None:
        """The oldest request and those like it queued within the window (None: closed)."""
        with self._cond:
            while not self._queue:
                if self._closed:
                    return None
                self._cond.wait()
            deadline = time.monotonic() + self.window
            key = self._queue[0].key
            while not self._closed and sum(r.key == key for r in self._queue) < self.batch_size:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            batch = [r for r in self._queue if r.key == key][: self.batch_size]
            self._queue = [r for r in self._queue if all(r is not b for b in batch)]
            return batch

    def _run(self, batch: list[_Request]) -> None:
        self.batches += 1
        self.requests += len(batch)
        try:
            results = _decode(batch)
        except Exception as err:  # one bad recording must not fail the others
            if len(batch) == 1:
                batch[0].future.set_exception(err)
                return
            log.warning("batched transcription of %d failed; running each alone", len(batch),
                        exc_info=True)
            for request in batch:
                self._run([request])
            return
        for request, transcript in zip(batch, results, strict=True):
            request.future.set_result(transcript)


def _decode(batch: list[_Request]) -> list[Transcript]:
    """One model call for the batch; a lone request goes through plain `transcribe`."""
    first = batch[0]
    if len(batch) == 1:
        return [first.transcriber.transcribe(first.audio, first.language, first.word_timestamps)]
    results = first.transcriber.transcribe_many([r.audio for r in batch], first.language,
                                                first.word_timestamps)
    if len(results) != len(batch):
        raise RuntimeError(f"{len(results)} transcripts for {len(batch)} requests")
    return results
