"""Shared adapter helpers: long replies split without losing text, status lines."""

from __future__ import annotations

import pytest

from bots.common import split_text, status_line
from core_agent.types import Event, Stage


@pytest.mark.parametrize("limit", [20, 64, 4096])
def test_split_text_keeps_every_word_under_the_limit(limit: int) -> None:
    text = "\n\n".join(f"Paragraph {p}: " + " ".join(f"word{p}_{w}" for w in range(120))
                       for p in range(5))
    pieces = split_text(text, limit)
    assert all(0 < len(piece) <= limit for piece in pieces)
    assert " ".join(pieces).split() == text.split()
    assert len(pieces) == 1 if len(text) <= limit else len(pieces) > 1


def test_split_text_cuts_a_word_longer_than_the_limit() -> None:
    pieces = split_text("x" * 50, 20)
    assert pieces == ["x" * 20, "x" * 20, "x" * 10]


def test_status_line_counts_steps_only_for_several() -> None:
    one = Event(stage=Stage.ASSIGNMENT, message="Speak text", step=1, total_steps=1)
    two = Event(stage=Stage.ASSIGNMENT, message="Make binaural", step=2, total_steps=2)
    assert status_line(one) == "⏳ Running: Speak text…"
    assert status_line(two) == "⏳ Running 2/2: Make binaural…"
    assert status_line(Event(stage=Stage.ANALYSIS, message="planning")) == "⏳ Planning…"
