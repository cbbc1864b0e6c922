"""The pieces of a reply too long for a post: a transcript's timed lines and its head."""

from __future__ import annotations

from core_agent.long_reply import head, timed_transcript


def test_timed_lines_carry_the_speaker_where_labelled() -> None:
    data = {"segments": [
        {"start": 0.0, "end": 7.1, "text": " Hello there.", "speaker": "Speaker 1"},
        {"start": 65.2, "end": 70.0, "text": "Hi.", "speaker": "Speaker 2"}]}
    assert timed_transcript(data) == ("[0:00–0:07] Speaker 1: Hello there.\n"
                                      "[1:05–1:10] Speaker 2: Hi.\n")
    assert timed_transcript({"segments": [{"start": 3725.0, "end": 3726.0, "text": "late"}]}) \
        == "[1:02:05–1:02:06] late\n"


def test_a_head_ends_after_a_line_or_a_word_within_its_budget() -> None:
    lines = "\n".join(f"[0:{i:02d}] Speaker 1: words and more words" for i in range(40))
    cut = head(lines, 300)
    assert len(cut) <= 300 and cut.endswith(" …") and lines.startswith(cut[:-2])
    assert cut[:-2].endswith("words")  # a whole line kept
    prose = "one two three four five six seven eight nine ten " * 20
    cut = head(prose, 57)
    assert len(cut) <= 57 and prose.startswith(cut[:-2]) and cut[-3] != " "
    assert head("short", 57) == "short"
