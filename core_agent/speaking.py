"""The reply's voice: one voice note, or sentence by sentence for a caller that plays each
part as soon as it is made (a voice channel), so the first sentence is heard while the
next ones are synthesised."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable

from core_agent.errors import AudioGPTError
from core_agent.types import Artifact, PlanStep, StepResult, StepStatus

log = logging.getLogger(__name__)
VoiceHook = Callable[[Artifact], Awaitable[None]]  # gets each spoken part as it is made
SpeechJob = Callable[[PlanStep], Awaitable[StepResult]]  # runs a text_to_speech job
SPOKEN_REPLY_CHARS = 600  # longer replies are cut before speaking them
# After a stop (and the quote or bracket closing it) and a space, or at a line break.
SENTENCE_BREAK = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’)\]]))\s+|\s*\n\s*")


def sentences(text: str) -> list[str]:
    """Text cut into its sentences (and lines), in order, none empty."""
    return [s for part in SENTENCE_BREAK.split(text) if (s := part.strip())]


async def say(job: SpeechJob, text: str) -> Artifact | None:
    """Text as one voice note; a failure here costs this voice, never the reply."""
    try:
        result = await job(PlanStep(task="text_to_speech", args={"text": text}))
    except AudioGPTError as err:
        log.warning("spoken reply failed: %s", err.message)
        return None
    if result.status != StepStatus.DONE or not result.artifacts:
        log.warning("spoken reply failed: %s", result.error or result.status)
        return None
    return result.artifacts[0]


async def speak(job: SpeechJob, text: str, on_voice: VoiceHook | None) -> Artifact | None:
    """The reply spoken: one voice note returned, or, for `on_voice`, each sentence its own
    job handed over as it finishes, in order (a sentence that fails is left out)."""
    text = text[:SPOKEN_REPLY_CHARS]
    if on_voice is None:
        return await say(job, text)
    for sentence in sentences(text):
        if (part := await say(job, sentence)) is not None:
            await on_voice(part)
    return None
