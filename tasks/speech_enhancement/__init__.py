"""Clean up speech: remove noise and hum from a speech recording."""

from __future__ import annotations

from core_agent.types import Kind
from tasks.base import Asking, AudioIn, Command, TaskSpec

SPEC = TaskSpec(
    id="speech_enhancement", title="Clean up speech",
    description="Remove noise and hum from a speech recording.",
    args=AudioIn, inputs=(Kind.AUDIO,), outputs=(Kind.AUDIO,),
    command=Command("enhance", "remove the background noise from this"),
    asking=Asking(
        examples=(
            "remove background noise from this recording; clean up the audio; denoise my voice "
            "memo; make the speech clearer; get rid of the static and hiss; reduce the hum in "
            "this clip; improve the sound quality of this voice; the recording is noisy, fix "
            "it; filter out the wind noise; remove echo and noise"),
        cue=(
            r"denois|noisy|(remove|reduce|cut|less|rid of|filter|kill|fix|clean|"
            r"too much|lots? of)\b[\w\s]{0,25}\b(noise|hum|hiss|static|echo)|\bclean|\bhum\b|hiss|"
            r"static|crackl|muffled|clearer|enhanc|windy|(wind|fan|traffic|background) noise"),
        offer="clean up the noise"))
