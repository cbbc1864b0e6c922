"""Cutting a request into clauses, each a step of a chain if it routes.

Clauses are joined by "then", "and then", ", and", "after that" or ";" (a bare "and"
only when both sides carry a cue); quoted text is never cut.
"""

from __future__ import annotations

import re

STRONG_SPLIT = re.compile(r"\s*(?:;|,?\s*\band then\b|,?\s*\bthen\b|,?\s*\bafter that\b|"
                          r",?\s*\bafterwards\b|,\s*and\b|,\s*also\b)\s*", re.IGNORECASE)
WEAK_SPLIT = re.compile(r"\s+and\s+", re.IGNORECASE)
QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|(?<!\w)'[^']*?'(?!\w)")


def clauses(text: str, splitter: re.Pattern[str]) -> list[str]:
    """The text split at a connective, quoted spans kept whole."""
    spans: list[str] = []

    def hide(m: re.Match[str]) -> str:
        spans.append(m.group(0))
        return f"\x00{len(spans) - 1}\x00"

    parts = splitter.split(QUOTED.sub(hide, text))
    return [re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], p).strip()
            for p in parts if p and p.strip()]


def readings(text: str) -> list[list[tuple[str, bool]]]:
    """Ways to cut a request into steps, most steps first; each clause says if a bare "and"
    cut it (such a clause must carry a keyword cue to count)."""
    strong = clauses(text, STRONG_SPLIT)
    finest: list[tuple[str, bool]] = []
    for clause in strong:
        weak = clauses(clause, WEAK_SPLIT)
        finest += [(c, True) for c in weak] if len(weak) > 1 else [(clause, False)]
    found = [finest, [(c, False) for c in strong]]
    return [r for i, r in enumerate(found) if len(r) > 1 and r not in found[:i]]
