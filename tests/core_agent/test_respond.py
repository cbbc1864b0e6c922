"""Replies as a user reads them: a result's text and its files stay apart, and an empty
transcript says so."""

from __future__ import annotations

from pathlib import Path

from core_agent.respond import compose
from core_agent.types import Artifact, Kind, Plan, PlanStep, StepResult, StepStatus


def result(task: str, text: str | None, *files: Artifact) -> StepResult:
    return StepResult(job_id="j", task=task, args={}, status=StepStatus.DONE, text=text,
                      artifacts=list(files))


PICTURE = Artifact(id="x", handle="a7", kind=Kind.IMAGE, mime="image/png", path=Path("p.png"),
                   producer="job:sound_detection")


def plan(*tasks: str) -> Plan:
    return Plan(steps=[PlanStep(task=t, args={}) for t in tasks])


def test_a_list_of_sounds_does_not_run_into_the_picture() -> None:
    heard = "I heard:\n0.0–1.0 s Dog (0.80)\n1.0–2.0 s Theremin (0.91)"
    reply = compose(plan("sound_detection"), [result("sound_detection", heard, PICTURE)])
    assert reply == heard + "\nHere it is: a7 (image)."


def test_a_sentence_without_its_stop_is_kept_apart_from_the_files() -> None:
    reply = compose(plan("sound_detection"), [result("sound_detection", "Dog (0.80)", PICTURE)])
    assert reply == "Dog (0.80)\nHere it is: a7 (image)."
    done = compose(plan("mono_to_binaural"), [result("mono_to_binaural", "Placed at 90°.",
                                                     PICTURE)])
    assert done == "Placed at 90°. Here it is: a7 (image)."


def test_silence_transcribed_says_no_one_spoke() -> None:
    reply = compose(plan("speech_recognition"), [result("speech_recognition", "  ")])
    assert reply == "I couldn't hear anyone speaking in it."
    words = compose(plan("speech_recognition"), [result("speech_recognition", " hello ")])
    assert words == "“hello”"


def test_a_refusal_in_a_numbered_list_names_its_step_once() -> None:
    refused = StepResult(job_id="k", task="talking_head", args={}, status=StepStatus.FAILED,
                         error="Talking head video: I couldn't find a face in that picture.")
    reply = compose(plan("text_to_speech", "talking_head"),
                    [result("text_to_speech", None, PICTURE), refused])
    assert reply.splitlines()[1] == "2. Talking head video: I couldn't find a face in that picture."
