"""What to sing: the lyrics, note names, beats per note and known tunes."""

from __future__ import annotations

import re

from core_agent.planning.offline.extraction.quantities import NUM
from core_agent.planning.offline.extraction.words import quoted, spoken_text

MELODIES = {
    "happy birthday": r"happy birthday", "twinkle twinkle": r"twinkle,? twinkle",
    "jingle bells": r"jingle bells", "row row row your boat": r"row,? row,? row your boat",
    "mary had a little lamb": r"mary had a little lamb", "ode to joy": r"ode to joy",
    "frere jacques": r"fr[eè]re jacques", "london bridge": r"london bridge",
    "old macdonald": r"old mac ?donald", "you are my sunshine": r"you are my sunshine",
}


def notes(text: str) -> str | None:
    """Note names ("C4 D4 E4"), at least two in a row."""
    m = re.search(r"\b[a-g][#b]?\d(?:[\s,]+[a-g][#b]?\d\b)+", text, re.IGNORECASE)
    return " ".join(n[0].upper() + n[1:] for n in re.split(r"[\s,]+", m.group(0))) if m else None


def note_durations(text: str) -> str | None:
    """Beats per note after "durations"/"beats"/"lengths", or the numbers right after the
    notes ("C4 D4 E4 / 0.5 0.5 1")."""
    m = re.search(rf"\b(?:durations?|beats?|lengths?|rhythm)\b[:\s]*((?:{NUM}[\s,]*)+)",
                  text.lower())
    m = m or re.search(rf"\b[a-g][#b]?\d(?:[\s,]+[a-g][#b]?\d\b)+\s*[/|;,]?\s*"
                       rf"((?:{NUM}[\s,]*)+)", text, re.IGNORECASE)
    return " ".join(re.findall(NUM, m.group(1))) if m else None


def melody(text: str) -> str | None:
    """A known tune named in the request."""
    t = text.lower()
    return next((name for name, pattern in MELODIES.items() if re.search(pattern, t)), None)


def lyrics(text: str) -> str | None:
    """The words to sing, without the notes, durations and tune."""
    if found := quoted(text):
        return found
    cut = re.sub(r"\s*\b(?:with |using )?(?:the )?(?:notes?|durations?|beats?)\b.*$", "", text,
                 flags=re.IGNORECASE)
    cut = re.sub(r"\s*\bto the (?:tune|melody) of\b.*$", "", cut, flags=re.IGNORECASE)
    cut = re.split(r"\s*[/|]\s*(?=[a-g][#b]?\d)", cut, maxsplit=1, flags=re.IGNORECASE)[0]
    return spoken_text(cut)
