"""Speech made a sentence at a time and encoded as it comes: the same voice note as one
encoded whole, the next sentence made while one is encoded, and a stop that stops both."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from media.audio import Audio
from media.decode import decode
from media.encode import opus_voice_note
from media.probe import probe
from models.cache import BackendCache
from models.text_to_speech.base import Synthesizer, ahead, joined
from models.text_to_speech.piper import PiperJoe

TWO_SENTENCES = "The train was late this morning. We will start the meeting at ten."


def test_piper_speaks_a_sentence_at_a_time(backends: BackendCache) -> None:
    piper = cast(PiperJoe, backends.get(PiperJoe.name))
    pieces = list(piper.stream(TWO_SENTENCES))
    assert len(pieces) == 2 and all(p.sample_rate == 22_050 for p in pieces)
    assert all(p.duration > 1.0 for p in pieces)
    assert piper.synthesize("Hello there.").duration > 0.3  # joined, as before
    options = piper._voice.session.get_session_options()  # idle threads sleep (issue 20)
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_a_voice_note_encoded_as_it_comes_is_the_one_encoded_whole(
        backends: BackendCache, tmp_path: Path) -> None:
    piper = cast(PiperJoe, backends.get(PiperJoe.name))
    pieces = list(piper.stream(TWO_SENTENCES))
    whole = opus_voice_note(joined(pieces), tmp_path / "whole.ogg")
    streamed = opus_voice_note(iter(pieces), tmp_path / "streamed.ogg")
    assert streamed == whole  # what it holds, known without probing
    facts = probe(tmp_path / "streamed.ogg")
    assert (facts.format, facts.sample_rate, facts.channels) == ("ogg", 48_000, 1)
    assert (tmp_path / "streamed.ogg").read_bytes()[28:36] == b"OpusHead"
    assert facts.duration == pytest.approx(streamed.duration, abs=0.03)
    heard, expected = decode(tmp_path / "streamed.ogg"), decode(tmp_path / "whole.ogg")
    assert heard.samples.size == expected.samples.size
    assert np.corrcoef(heard.samples, expected.samples)[0, 1] > 0.99  # the same sound


def _counted(made: list[int], pieces: int, fail_at: int | None = None) -> Iterator[Audio]:
    for n in range(pieces):
        if n == fail_at:
            raise RuntimeError("the model stopped")
        made.append(n)
        yield Audio(np.full(100, n / 10, np.float32), 16_000)


def test_the_next_sentence_is_made_while_one_is_used() -> None:
    second = threading.Event()

    def pieces() -> Iterator[Audio]:
        yield Audio(np.zeros(10, np.float32), 16_000)
        second.set()
        yield Audio(np.ones(10, np.float32), 16_000)

    speech = ahead(pieces())
    next(speech)
    assert second.wait(30)  # made while the first is still in the caller's hands
    assert [p.samples[0] for p in speech] == [1.0]


def test_a_failure_reaches_the_caller_and_an_early_stop_ends_the_making() -> None:
    made: list[int] = []
    with pytest.raises(RuntimeError, match="the model stopped"):
        list(ahead(_counted(made, 5, fail_at=2)))
    assert made == [0, 1]
    made.clear()
    speech = ahead(_counted(made, 100))
    next(speech)
    speech.close()  # the caller gave up (its encoder failed, say)
    assert len(made) <= 3  # the one used, the one waiting, the one being made


def test_every_synthesizer_streams(backends: BackendCache) -> None:
    espeak = cast(Synthesizer, backends.get("espeak-ng"))
    (piece,) = espeak.stream("one piece")
    assert piece.duration > 0.3
