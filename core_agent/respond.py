"""Stage 4, response generation: step results become the text posted in the thread."""

from __future__ import annotations

from core_agent.types import Artifact, Plan, StepResult, StepStatus
from tasks import TASKS, title_of

NO_SPEECH = "I couldn't hear anyone speaking in it."
SENTENCE_ENDS = (".", "!", "?", "”")


def describe_file(artifact: Artifact) -> str:
    """How a file is named in a reply: its handle, kind and length."""
    length = f", {artifact.duration:.1f} s" if artifact.duration else ""
    return f"{artifact.handle} ({artifact.kind.value}{length})"


def in_language(code: object) -> str:
    """' (in German)' after a transcript in a language other than English."""
    if not isinstance(code, str) or code in ("", "en"):
        return ""
    from babel import Locale

    return f" (in {Locale('en').languages.get(code.replace('-', '_')) or code})"


def transcript_line(text: str, data: dict[str, object]) -> str:
    """A transcript quoted, or in turns by speaker under how many were heard."""
    if not text.strip():
        return NO_SPEECH
    if isinstance(count := data.get("speakers"), int):
        voices = "one speaker" if count == 1 else f"{count} speakers"
        return f"I heard {voices}{in_language(data.get('language'))}:\n{text.strip()}"
    return f"“{text.strip()}”{in_language(data.get('language'))}"


def step_line(result: StepResult, numbered: bool, index: int) -> str:
    """One step's outcome in a sentence or two."""
    title = title_of(result.task)
    prefix = f"{index}. {title}: " if numbered else ""
    if result.status == StepStatus.CANCELLED:
        return f"{prefix}skipped, because an earlier step failed."
    if result.status != StepStatus.DONE:
        error = result.error or "failed."  # a refusal that names its task already
        return prefix + (error.removeprefix(f"{title}: ") if numbered else error)
    text = result.text
    if result.task == "speech_recognition" and text is not None:
        text = transcript_line(text, result.data)
    if not result.artifacts:
        return prefix + (text or "done.")
    files = ", ".join(describe_file(a) for a in result.artifacts)
    files = f"here it is: {files}" if numbered and not text else f"Here it is: {files}."
    if not text:
        return prefix + files
    # A list (detected sounds) or a sentence without its stop doesn't run into the files.
    apart = "\n" if "\n" in text or not text.rstrip().endswith(SENTENCE_ENDS) else " "
    return f"{prefix}{text}{apart}{files}"


def compose(plan: Plan, results: list[StepResult], heard: str | None = None) -> str:
    """The reply text for a planned turn."""
    lines = [f"🎙 You said: “{heard}”"] if heard is not None else []
    if plan.reply and not plan.steps:
        lines.append(plan.reply)
    numbered = len(results) > 1
    lines += [step_line(r, numbered, i) for i, r in enumerate(results, start=1)]
    return "\n".join(lines) or "Done."


def spoken(plan: Plan, results: list[StepResult]) -> str | None:
    """What the spoken copy of a reply says: the answer itself (a transcript, a description,
    the planner's words) and a sentence for the files, never their handles; None when there
    is nothing to say aloud, or when the reply already is speech the bot made (reading a
    text aloud needs no second voice reading "here it is")."""
    if any(r.task in TASKS and TASKS[r.task].speaks and r.artifacts for r in results):
        return None
    said = [plan.reply] if plan.reply and not plan.steps else []
    for result in results:
        if result.text and result.text.strip():
            said.append(result.text.strip())
        elif result.artifacts:
            kinds = sorted({a.kind.value for a in result.artifacts})
            said.append(f"Here is the {' and the '.join(kinds)} I made.")
    return " ".join(said) or None


def describe_plan(plan: Plan) -> str:
    """A plan in words, for dry runs."""
    if not plan.steps:
        return plan.reply or "Nothing to run."
    lines = [f"{i}. {step.task}({', '.join(f'{k}={v!r}' for k, v in step.args.items())})"
             for i, step in enumerate(plan.steps, start=1)]
    return "Plan (not run):\n" + "\n".join(lines)
