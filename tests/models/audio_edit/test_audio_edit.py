"""Audio editing with ffmpeg: each edit checked by what it measurably does."""

from __future__ import annotations

import asyncio
import re
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from core_agent.errors import Unsupported
from core_agent.types import Attachment, Message
from media.decode import decode
from media.probe import probe
from models.audio_edit.ffmpeg_edit import FfmpegEdit
from tests.conftest import report
from tests.samples import convert, espeak, voice_note
from workers.runtime import Runtime

RATE = 48_000


@pytest.fixture(scope="module")
def editor() -> FfmpegEdit:
    return FfmpegEdit()


def integrated_loudness(path: Path) -> float:
    """EBU R128 integrated loudness in LUFS, read by ffmpeg's ebur128 meter."""
    err = subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-af",
                          "ebur128", "-f", "null", "-"], capture_output=True, check=True).stderr
    return float(re.findall(r"I:\s+(-?\d+\.\d) LUFS", err.decode())[-1])


def bursts(path: Path, freq: float, on: float, off: float, count: int, level: float = 0.3
           ) -> Path:
    """A tone switched on and off: `count` times `on` seconds, then `off` of silence."""
    t = np.arange(int(on * RATE)) / RATE
    one = np.concatenate([level * np.sin(2 * np.pi * freq * t), np.zeros(int(off * RATE))])
    sf.write(str(path), np.tile(one, count).astype(np.float32), RATE)
    return path


def band_db(x: np.ndarray, freq: float) -> float:
    """Level of one frequency in a stretch of samples, dB."""
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    bins = np.fft.rfftfreq(len(x), 1 / RATE)
    near = np.abs(bins - freq) < 20
    return float(20 * np.log10(np.sqrt(np.sum(spectrum[near] ** 2)) + 1e-12))


@pytest.mark.parametrize("target", [-16.0, -23.0])
def test_loudness_normalisation_hits_the_target(editor: FfmpegEdit, tmp_path: Path,
                                                target: float) -> None:
    speech = espeak("the quick brown fox jumps over the lazy dog, and then it runs away",
                    tmp_path / "speech.wav")
    quiet = tmp_path / "quiet.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(speech), "-af", "volume=-14dB",
                    str(quiet)], check=True)
    before = integrated_loudness(quiet)
    out = editor.edit(quiet, tmp_path, "normalize", loudness=target)
    after = integrated_loudness(out)
    report(f"loudness normalisation to {target:g} LUFS: {before:.1f} -> {after:.1f} LUFS "
           "(ffmpeg ebur128 meter, after OGG/Opus)")
    assert abs(after - target) <= 1.0


def test_pitch_shift_in_semitones_and_speed(editor: FfmpegEdit, tmp_path: Path) -> None:
    import librosa

    source = bursts(tmp_path / "a3.wav", 220.0, 2.0, 0.0, 1)
    up = decode(editor.edit(source, tmp_path, "pitch", semitones=3.0, format="wav"), RATE)
    down = decode(editor.edit(source, tmp_path, "pitch", semitones=-5.0, format="flac"), RATE)
    shifts = []
    for audio in (up, down):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f0, _, _ = librosa.pyin(audio.samples[: RATE].astype(np.float64), fmin=80, fmax=600,
                                    sr=RATE, frame_length=4096)
        shifts.append(12 * np.log2(np.nanmedian(f0) / 220.0))
        assert audio.duration == pytest.approx(2.0, rel=0.02)
    report(f"pitch shift +3 / -5 semitones measured (pYIN): {shifts[0]:+.2f} / "
           f"{shifts[1]:+.2f} semitones, duration kept")
    assert shifts[0] == pytest.approx(3.0, abs=0.1) and shifts[1] == pytest.approx(-5.0, abs=0.1)
    faster = probe(editor.edit(source, tmp_path, "speed", factor=1.5))
    assert faster.duration == pytest.approx(2.0 / 1.5, abs=0.03)
    cut = probe(editor.edit(source, tmp_path, "trim", start=0.5))
    assert cut.duration == pytest.approx(1.5, abs=0.03)


def test_mix_ducks_the_bed_under_the_voice(editor: FfmpegEdit, tmp_path: Path) -> None:
    voice = bursts(tmp_path / "voice.wav", 440.0, 1.0, 1.0, 3)
    bed = bursts(tmp_path / "rain.wav", 2000.0, 1.5, 0.0, 1, level=0.2)  # shorter: it loops
    out = editor.edit(voice, tmp_path, "mix", other=bed, format="wav")
    mixed = decode(out, RATE).samples
    assert len(mixed) / RATE == pytest.approx(6.0, abs=0.05)
    during = [mixed[int((2 * k + 0.3) * RATE):int((2 * k + 0.9) * RATE)] for k in range(3)]
    between = [mixed[int((2 * k + 1.5) * RATE):int((2 * k + 1.9) * RATE)] for k in range(3)]
    duck = np.mean([band_db(b, 2000) - band_db(d[: len(b)], 2000)
                    for d, b in zip(during, between, strict=True)])
    voice_in = decode(voice, RATE).samples[int(0.3 * RATE):int(0.9 * RATE)]
    voice_kept = band_db(during[0], 440) - band_db(voice_in, 440)
    report(f"mix: bed ducked by {duck:.1f} dB while the voice sounds; voice level "
           f"{voice_kept:+.1f} dB; length follows the voice (6.0 s)")
    assert duck >= 6.0 and abs(voice_kept) < 1.5


def test_concat_reverb_echo_and_formats(editor: FfmpegEdit, tmp_path: Path) -> None:
    first = bursts(tmp_path / "one.wav", 330.0, 1.2, 0.0, 1)
    second = convert(bursts(tmp_path / "two.wav", 550.0, 0.8, 0.0, 1), tmp_path / "two.mp3")
    joined = probe(editor.edit(first, tmp_path, "concat", other=second))
    assert joined.duration == pytest.approx(2.0, abs=0.06)
    with pytest.raises(Unsupported, match="needs a second recording"):
        editor.edit(first, tmp_path, "mix")

    click = np.zeros(RATE * 3, np.float32)
    click[RATE // 10] = 0.9
    sf.write(str(tmp_path / "click.wav"), click, RATE)
    wet = decode(editor.edit(tmp_path / "click.wav", tmp_path, "reverb", reverb_seconds=1.0,
                             format="wav"), RATE).samples[RATE // 10 + 2:]
    energy = np.cumsum((wet ** 2)[::-1])[::-1]  # Schroeder backward integration
    decay = 10 * np.log10(energy / energy[0] + 1e-20)
    t5, t25 = (np.argmax(decay <= level) / RATE for level in (-5, -25))
    rt60 = 3 * (t25 - t5)  # T20, extrapolated to 60 dB
    report(f"reverb: RT60 asked 1.00 s, measured {rt60:.2f} s (T20, Schroeder)")
    assert rt60 == pytest.approx(1.0, rel=0.2)
    echoed = probe(editor.edit(first, tmp_path, "echo"))
    assert echoed.duration and echoed.duration >= 1.2

    for fmt, container, codec in [("ogg", "ogg", "opus"), ("m4a", "mp4", "aac"),
                                  ("mp3", "mpeg", "mp3")]:
        made = editor.edit(first, tmp_path, "convert", format=fmt)
        info = probe(made)
        codec_name = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                                     "stream=codec_name", "-of", "csv=p=0", str(made)],
                                    capture_output=True, text=True, check=True).stdout.strip()
        assert (info.kind, info.container, codec_name) == ("audio", container, codec)
        assert info.duration == pytest.approx(1.2, abs=0.06)


async def test_put_the_rain_under_my_voice(runtime: Runtime, tmp_path: Path) -> None:
    voice = voice_note("this is my voice over the rain", tmp_path, "voice")
    rain = tmp_path / "rain.ogg"
    await asyncio.to_thread(subprocess.run, [
        "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "anoisesrc=a=0.1:c=pink:d=2:seed=3",
        "-c:a", "libopus", str(rain)], check=True)
    reply = await runtime.agent.handle(Message(
        channel_id="cli:mix", text="put the rain under my voice",
        attachments=[Attachment(path=rain, filename="rain.ogg"),
                     Attachment(path=voice, filename="voice.ogg")]))
    assert reply.error_code is None, reply.text
    (step,) = reply.steps
    assert step.args == {"operation": "mix", "audio": "a2", "other": "a1"}
    (mixed,) = reply.artifacts
    assert mixed.duration == pytest.approx(probe(voice).duration, abs=0.1)
    assert mixed.label == "mixed with a1"


async def test_an_edit_is_labelled_with_what_it_did(runtime: Runtime, tmp_path: Path) -> None:
    note = voice_note("label me please", tmp_path)
    reply = await runtime.agent.handle(Message(
        channel_id="cli:label", text="make this a bit slower",
        attachments=[Attachment(path=note, filename="note.ogg")]))
    (slower,) = reply.artifacts
    factor = reply.steps[0].args["factor"]
    assert factor < 1 and slower.label == f"slower (×{factor:g})"
    lower = await runtime.agent.handle(Message(channel_id="cli:label",
                                               text="now lower the pitch by 3 semitones"))
    assert [a.label for a in lower.artifacts] == ["pitch -3 semitones"], lower.text
