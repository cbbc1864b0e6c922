"""Slash commands: `/audiogpt request: [file:]` and one per task of the registry.

A task command words its request the way people ask for that task, so the planner (the
same one every message meets) plans it, with the command's file as the turn's upload.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from core_agent.tasks import TASKS

Run = Callable[[discord.Interaction, str, discord.Attachment | None], Awaitable[None]]
DESCRIPTION_LIMIT = 100  # characters, Discord's cap for command and option descriptions


@dataclass(frozen=True)
class TaskCommand:
    """How a task is asked for as a slash command."""

    name: str
    task: str
    request: str  # "{text}" is where the command's text goes
    text_help: str = ""

    @property
    def takes_file(self) -> bool:
        """Tasks that work on media take a file."""
        return bool(TASKS[self.task].inputs)

    @property
    def takes_text(self) -> bool:
        return "{text}" in self.request

    @property
    def description(self) -> str:
        return TASKS[self.task].description[:DESCRIPTION_LIMIT]


TASK_COMMANDS = [
    TaskCommand("transcribe", "speech_recognition", "transcribe this"),
    TaskCommand("translate", "speech_translation", "translate this speech into {text}",
                "the language to translate into, e.g. English"),
    TaskCommand("speak", "text_to_speech", "read this aloud: {text}", "what to say"),
    TaskCommand("mimic", "style_transfer", "say this in the voice from the recording: {text}",
                "what the voice should say"),
    TaskCommand("enhance", "speech_enhancement", "remove the background noise from this"),
    TaskCommand("separate", "speech_separation", "separate the voices in this recording"),
    TaskCommand("binaural", "mono_to_binaural", "convert this to binaural audio"),
    TaskCommand("inpaint", "audio_inpainting", "fill in the gap {text}",
                "where the gap is, e.g. between 2 and 3 seconds"),
    TaskCommand("extract", "sound_extraction", "extract the {text} from this recording",
                "the sound to keep, e.g. birdsong"),
    TaskCommand("find", "target_sound_detection", "when does the {text} occur in this",
                "the sound to find, e.g. a doorbell"),
    TaskCommand("detect", "sound_detection", "what sounds can you detect in this"),
    TaskCommand("animate", "talking_head", "make a talking head video of this"),
    TaskCommand("sound", "text_to_audio", "generate the sound of {text}",
                "the sound, e.g. rain on a tin roof"),
    TaskCommand("describe", "audio_to_text", "describe what can be heard in this recording"),
    TaskCommand("picture-sound", "image_to_audio", "make a sound that matches this picture"),
    TaskCommand("sing", "singing_synthesis", "sing {text}", "the lyrics"),
    TaskCommand("music", "text_to_music", "compose music: {text}",
                "the music, e.g. calm piano at dawn"),
    TaskCommand("edit", "audio_edit", "{text}", "the edit, e.g. trim to the first 5 seconds"),
]


def main_command(name: str, run: Run) -> app_commands.Command[Any, ..., None]:
    """`/audiogpt request: [file:]`: anything, in words."""

    @app_commands.describe(request="What you want, in words",
                           file="Audio, video or a picture to work on")
    async def audiogpt(interaction: discord.Interaction, request: str,
                       file: discord.Attachment | None = None) -> None:
        await run(interaction, request, file)

    return app_commands.Command(name=name, callback=audiogpt,
                                description="Ask for speech, sound or music work in words")


def task_command(spec: TaskCommand, run: Run) -> app_commands.Command[Any, ..., None]:
    """One task's command, with the options it needs."""

    def request(text: str | None) -> str:
        return spec.request.format(text=text or "")

    @app_commands.describe(file="The recording (or picture) to work on", text=spec.text_help)
    async def with_both(interaction: discord.Interaction, file: discord.Attachment,
                        text: str) -> None:
        await run(interaction, request(text), file)

    @app_commands.describe(file="The recording (or picture) to work on")
    async def with_file(interaction: discord.Interaction, file: discord.Attachment) -> None:
        await run(interaction, request(None), file)

    @app_commands.describe(text=spec.text_help)
    async def with_text(interaction: discord.Interaction, text: str) -> None:
        await run(interaction, request(text), None)

    callback = {(True, True): with_both, (True, False): with_file,
                (False, True): with_text}[(spec.takes_file, spec.takes_text)]
    return app_commands.Command(name=spec.name, description=spec.description,
                                callback=callback)  # type: ignore[arg-type]
