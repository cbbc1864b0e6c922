"""The embedded speech models, run for real on media made here."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import numpy as np
import pytest

from core_agent.errors import Unsupported
from media.audio import Audio
from media.decode import decode
from media.encode import write_wav
from media.probe import probe
from models.audio_edit.base import FileEditor
from models.cache import BackendCache
from models.speech_enhancement.base import AudioProcessor
from models.speech_recognition.base import Transcriber
from models.text_to_speech.base import Synthesizer
from tests.conftest import report
from tests.samples import espeak, si_sdr, tone, voice_note, wer

SENTENCE = "please call stella and ask her to bring these things with her from the store"
TTS_TEXT = ("The package arrives on Monday afternoon. "
            "Please bring the quarterly report to the meeting.")


def test_voice_note_transcribed_under_20_percent_wer(backends: BackendCache, tmp_path: Path
                                                     ) -> None:
    note = voice_note(SENTENCE, tmp_path)  # espeak-ng -> OGG/Opus, as a phone sends it
    asr = cast(Transcriber, backends.for_task("speech_recognition"))
    transcript = asr.transcribe(decode(note))
    error = wer(SENTENCE, transcript.text)
    report(f"ASR WER on an espeak-ng voice note: {error:.1%} ({transcript.text!r})")
    assert error < 0.20, transcript.text
    assert transcript.segments and transcript.segments[-1].end <= decode(note).duration + 0.5


def test_speech_synthesis_round_trip_under_10_percent_wer(backends: BackendCache) -> None:
    tts = cast(Synthesizer, backends.for_task("text_to_speech"))
    asr = cast(Transcriber, backends.for_task("speech_recognition"))
    speech = tts.synthesize(TTS_TEXT)
    assert speech.sample_rate == 22_050 and 3.0 < speech.duration < 9.0
    heard = asr.transcribe(Audio(_resample(speech, 16_000), 16_000)).text
    error = wer(TTS_TEXT, heard)
    report(f"TTS -> ASR WER: {error:.1%} ({heard!r})")
    assert error < 0.10, heard


def test_speed_changes_length_and_unknown_voice_is_refused(backends: BackendCache) -> None:
    tts = cast(Synthesizer, backends.for_task("text_to_speech"))
    normal = tts.synthesize("one two three four five six").duration
    slow = tts.synthesize("one two three four five six", speed=0.7).duration
    assert slow > normal * 1.25
    with pytest.raises(Unsupported):
        tts.synthesize("hello", voice="morgan_freeman")
    with pytest.raises(Unsupported):
        tts.synthesize("bonjour", language="fr")


def test_asr_refuses_languages_the_model_lacks(backends: BackendCache) -> None:
    asr = cast(Transcriber, backends.for_task("speech_recognition"))
    with pytest.raises(Unsupported):
        asr.transcribe(Audio(np.zeros(16_000, np.float32), 16_000), language="tlh")  # Klingon


def noise_like(length: int, colour: str, seed: int) -> np.ndarray:
    """White noise, or pink (1/f power) noise, of unit power."""
    white = np.random.default_rng(seed).standard_normal(length)
    if colour == "pink":
        spectrum = np.fft.rfft(white)
        spectrum[1:] /= np.sqrt(np.fft.rfftfreq(length)[1:])
        spectrum[0] = 0
        white = np.fft.irfft(spectrum, length)
    return white / np.sqrt(np.mean(white ** 2))


@pytest.fixture(scope="module")
def sentence_48k(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """Speech with half a second of room tone either side, as a voice note starts and ends."""
    wav = espeak(SENTENCE, tmp_path_factory.mktemp("enh") / "speech.wav")
    pad = np.zeros(24_000, np.float32)
    return np.concatenate([pad, decode(wav, 48_000).samples, pad])


@pytest.mark.parametrize("colour", ["white", "pink"])
@pytest.mark.parametrize("snr_db", [0, 5, 10])
def test_enhancement_improves_si_sdr(backends: BackendCache, sentence_48k: np.ndarray,
                                     snr_db: int, colour: str) -> None:
    speech = sentence_48k
    noise = noise_like(len(speech), colour, seed=snr_db)
    noise *= np.sqrt(np.mean(speech ** 2) / 10 ** (snr_db / 10))
    mixture = (speech + noise).astype(np.float32)
    gate = cast(AudioProcessor, backends.for_task("speech_enhancement"))
    out = gate.process(Audio(mixture, 48_000))[0].samples
    before, after = si_sdr(speech, mixture), si_sdr(speech, out)
    report(f"enhancement, {colour} noise at {snr_db} dB SNR: SI-SDR {before:.1f} -> "
           f"{after:.1f} dB ({after - before:+.1f} dB)")
    assert after > before + 3.0


@pytest.mark.parametrize(("operation", "params", "check"), [
    ("speed", {"factor": 0.5}, lambda d, f: abs(d - 4.0) < 0.1),
    ("trim", {"start": 0.5, "end": 1.25}, lambda d, f: abs(d - 0.75) < 0.05),
    ("pitch", {"semitones": 12}, lambda d, f: abs(d - 2.0) < 0.1 and abs(f - 880) < 15),
    ("reverse", {}, lambda d, f: abs(d - 2.0) < 0.05),
    ("convert", {"format": "mp3"}, lambda d, f: abs(d - 2.0) < 0.1),
])
def test_audio_edits(backends: BackendCache, tmp_path: Path, operation: str,
                     params: dict[str, object], check: object) -> None:
    source = tone(tmp_path / "a.wav", 2.0, freq=440.0)
    editor = cast(FileEditor, backends.for_task("audio_edit"))
    made = editor.edit(source, tmp_path, operation, **params)
    audio = decode(made)
    assert made.suffix == "." + str(params.get("format", "ogg"))
    assert probe(made).duration
    assert check(audio.duration, _peak_freq(audio))  # type: ignore[operator]


def _resample(audio: Audio, rate: int) -> np.ndarray:
    from scipy.signal import resample_poly

    return resample_poly(audio.samples, rate, audio.sample_rate).astype(np.float32)


def _peak_freq(audio: Audio) -> float:
    spectrum = np.abs(np.fft.rfft(audio.samples))
    return float(np.argmax(spectrum) * audio.sample_rate / len(audio.samples))


def test_written_wav_round_trips(tmp_path: Path) -> None:
    audio = Audio(np.linspace(-0.5, 0.5, 8000, dtype=np.float32), 8000)
    back = decode(write_wav(audio, tmp_path / "x.wav"), 8000)
    assert np.allclose(back.samples, audio.samples, atol=1e-3)
