"""What every chat platform's adapter does alike: "working on it" lines and long texts."""

from __future__ import annotations

from core_agent.types import Event, Stage

STAGE_WORDS = {
    Stage.MODALITY: "Reading your message",
    Stage.ANALYSIS: "Planning",
    Stage.ASSIGNMENT: "Running",
    Stage.RESPONSE: "Writing the reply",
}


def status_line(event: Event) -> str:
    """A short "working on it" line for a progress event, e.g. "⏳ Running 1/2: Speak text…"."""
    if event.stage == Stage.ASSIGNMENT and event.step is not None:
        count = f" {event.step}/{event.total_steps}" if (event.total_steps or 0) > 1 else ""
        return f"⏳ Running{count}: {event.message}…" + (f" ({event.note})" if event.note else "")
    return f"⏳ {STAGE_WORDS[event.stage]}…"


def split_text(text: str, limit: int) -> list[str]:
    """Cut a long reply into pieces of at most `limit` characters, at paragraph, line or
    word boundaries where there is one, so nothing is lost to a platform's message cap."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        cut = cut if cut > limit // 2 else limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest] if rest else pieces or [""]
