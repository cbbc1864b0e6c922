"""How a worker runs text_to_audio."""

from __future__ import annotations

from pathlib import Path

from core_agent.types import Kind
from media.encode import encode_mp3, write_wav
from models.generation.base import Generator
from tasks.base import GenerateArgs
from workers.steps.base import Inputs, Output, OutputFile, Step, label


def run(generator: Generator, a: GenerateArgs, given: Inputs) -> Output:
    """Music, or a sound effect or ambience, from a description (text_to_music,
    text_to_audio)."""
    return generate_sound(generator, a.prompt, a.duration, a.seed, given.work)


def generate_sound(generator: Generator, prompt: str, duration: float, seed: int | None,
                   work: Path) -> Output:
    """Generated audio as MP3 at the model's own rate (it plays in every chat), saying when
    the length was capped."""
    audio = generator.generate(prompt, duration, seed)
    stem = "music" if generator.task == "text_to_music" else "sound"
    wav = write_wav(audio, work / f"{stem}.wav")
    sound = encode_mp3(wav, work / f"{stem}.mp3")
    text = None
    if duration > generator.max_seconds:
        text = (f"{generator.model} makes up to {generator.max_seconds:g} s at a time, so this "
                f"one is {generator.max_seconds:g} s long.")
    return Output(files=[OutputFile(sound, Kind.AUDIO, label(prompt))], text=text,
                  data={"seconds": round(audio.duration, 2), "seed": seed})


STEP = Step(Generator, GenerateArgs, run)
