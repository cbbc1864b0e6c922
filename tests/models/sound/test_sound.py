"""The embedded sound tasks (YAMNet events, target sounds, masking, captions, gap filling),
run for real on clips assembled here from known sounds at known times."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pytest
from PIL import Image
from scipy import signal

from core_agent.types import Artifact, Attachment, Kind, Message
from media.audio import ASR_RATE, Audio
from media.encode import write_wav
from models.cache import BackendCache
from models.inpainting.lpc import AR_MAX_GAP, LpcInpaint
from models.sound.plots import LANES, LEFT, RIGHT, SIZE
from models.sound.yamnet import YamnetDetector, YamnetMask, YamnetTargetDetector
from models.text_to_speech.base import Synthesizer
from tasks.base import AudioIn, QueryArgs
from tests.conftest import report
from tests.samples import wer
from workers.runtime import Runtime
from workers.steps import executor_for

SAID = "The package arrives on Monday afternoon. Please bring the report."
SIREN_LABELS = {"Siren", "Alarm", "Police car (siren)", "Civil defense siren"}
# A white-noise burst is also a spray can's hiss to YAMNet: which of the two scores higher
# turns on the speech before it, and Piper's speech differs from run to run.
NOISE_LABELS = {"White noise", "Static", "Noise", "Pink noise", "Spray"}


@dataclass
class Scene:
    """A clip and where each of its sounds really is (seconds)."""

    audio: Audio
    truth: dict[str, tuple[float, float]]
    parts: dict[str, np.ndarray]


def siren(seconds: float, rate: int) -> np.ndarray:
    """A wailing siren: a harmonic tone sweeping 600–1400 Hz."""
    t = np.arange(int(seconds * rate)) / rate
    phase = 2 * np.pi * np.cumsum(1000 + 400 * np.sin(2 * np.pi * 0.3 * t)) / rate
    return 0.2 * np.sum([np.sin(k * phase) / k for k in range(1, 7)], axis=0)


def sounding(x: np.ndarray, rate: int, at: float) -> tuple[float, float]:
    """Where a placed sound is above -40 dB of its peak (speech has silence at its ends)."""
    loud = np.flatnonzero(np.abs(x) > np.abs(x).max() * 0.01)
    return at + loud[0] / rate, at + (loud[-1] + 1) / rate


@pytest.fixture(scope="module")
def speech(backends: BackendCache) -> Audio:
    """Piper speech, as made by the text_to_speech backend."""
    return cast(Synthesizer, backends.for_task("text_to_speech")).synthesize(SAID)


def scene(speech: Audio, rate: int, bed_db: float | None = None) -> Scene:
    """12 s: a siren at 1.0–3.5 s, speech from 5.0 s, a white-noise burst at 9.0–10.5 s;
    with `bed_db`, steady noise that far below the siren throughout."""
    n = 12 * rate
    voice = signal.resample_poly(speech.samples, rate, speech.sample_rate)
    parts = {name: np.zeros(n) for name in ("siren", "speech", "noise")}
    parts["siren"][rate:rate + int(2.5 * rate)] = siren(2.5, rate)
    parts["speech"][5 * rate:5 * rate + len(voice)] = voice
    burst = 0.1 * np.random.default_rng(1).standard_normal(int(1.5 * rate))
    parts["noise"][9 * rate:9 * rate + len(burst)] = burst
    truth = {"siren": (1.0, 3.5), "speech": sounding(voice, rate, 5.0), "noise": (9.0, 10.5)}
    if bed_db is not None:
        bed = np.random.default_rng(2).standard_normal(n)
        parts["bed"] = bed * np.sqrt(np.mean(siren(2.5, rate) ** 2)) * 10 ** (bed_db / 20)
    mix = sum(parts.values())
    return Scene(Audio(np.asarray(mix, np.float32), rate), truth, parts)


def upload(audio: Audio, folder: Path) -> dict[str, Artifact]:
    """The clip as an uploaded artifact, as executors receive it."""
    path = write_wav(audio, folder / "clip.wav")
    return {"audio": Artifact(id="x", handle="a1", kind=Kind.AUDIO, mime="audio/wav", path=path,
                              producer="upload", duration=audio.duration)}


def test_detection_places_each_sound_within_half_a_second(backends: BackendCache, speech: Audio
                                                          ) -> None:
    clip = scene(speech, ASR_RATE)
    _, events = cast(YamnetDetector, backends.for_task("sound_detection")).events(clip.audio)
    for name, labels in (("siren", SIREN_LABELS), ("speech", {"Speech"}),
                         ("noise", NOISE_LABELS)):
        start, end = clip.truth[name]
        found = [e for e in events if e.label in labels]
        assert found, f"no {name} among {events}"
        best = min(found, key=lambda e: abs(e.start - start))
        report(f"sound detection, {name} at {start:.2f}–{end:.2f} s: found {best.label} "
               f"{best.start:.2f}–{best.end:.2f} s (onset error {best.start - start:+.2f} s)")
        assert abs(best.start - start) < 0.5 and abs(best.end - end) < 0.75
    spans = list(clip.truth.values())
    for e in events:  # nothing is reported where the clip is silent
        assert any(e.start < hi and e.end > lo for lo, hi in spans), e


def test_detection_reply_has_a_list_data_and_a_picture(backends: BackendCache, speech: Audio,
                                                       tmp_path: Path) -> None:
    clip = scene(speech, ASR_RATE)
    run = executor_for("sound_detection", backends)
    out = run(backends.for_task("sound_detection"), AudioIn(audio="a1"),
              upload(clip.audio, tmp_path), tmp_path)
    assert out.text and "Siren" in out.text and "Speech" in out.text
    assert {e["label"] for e in out.data["events"]} >= {"Siren", "Speech"}
    (picture,) = out.files
    assert picture.kind == Kind.IMAGE and picture.path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = np.asarray(Image.open(picture.path).convert("RGB")).astype(int)
    assert (image.shape[1], image.shape[0]) == SIZE

    def lane_ink(t: float) -> int:  # non-white pixels in the event lanes' column at time t
        x = int((LEFT + (RIGHT - LEFT) * t / clip.audio.duration) * SIZE[0])
        top, bottom = (int((1 - LANES[0] - LANES[1]) * SIZE[1]) + 3,
                       int((1 - LANES[0]) * SIZE[1]) - 3)
        return int((image[top:bottom, x].sum(axis=1) < 700).sum())

    assert lane_ink(2.2) > 20 and lane_ink(7.0) > 10  # siren and speech spans are drawn
    assert lane_ink(4.3) == 0 and lane_ink(11.5) == 0  # nothing where nothing sounds


def test_descriptions_match_audioset_classes(backends: BackendCache) -> None:
    model = cast(YamnetTargetDetector, backends.for_task("target_sound_detection")).yamnet
    wanted = {"dog barking": {"Bark", "Dog"}, "birds": {"Bird"}, "the siren": {"Siren"},
              "someone talking": {"Speech"}, "car horn": {"Vehicle horn, car horn, honking"},
              "a baby crying": {"Baby cry, infant cry"}}
    for query, labels in wanted.items():
        assert labels <= {model.labels[i] for i in model.match(query)}, query
    assert model.match("xqzzt plorf") == []
    assert "Silence" not in {model.labels[i] for i in model.match("silence")}


def test_target_detection_finds_the_asked_sound_only(backends: BackendCache, speech: Audio,
                                                     tmp_path: Path) -> None:
    clip = scene(speech, ASR_RATE)
    media = upload(clip.audio, tmp_path)
    backend = backends.for_task("target_sound_detection")
    run = executor_for("target_sound_detection", backends)
    for query, name in (("siren", "siren"), ("someone talking", "speech")):
        out = run(backend, QueryArgs(audio="a1", query=query), media, tmp_path)
        (event,) = out.data["events"]
        start, end = clip.truth[name]
        report(f"target detection {query!r}: {event['start']:.2f}–{event['end']:.2f} s "
               f"(true {start:.2f}–{end:.2f} s)")
        assert abs(event["start"] - start) < 0.5 and abs(event["end"] - end) < 0.75
        assert f"{event['start']:.1f}" in (out.text or "")
    absent = run(backend, QueryArgs(audio="a1", query="dog barking"), media, tmp_path)
    assert absent.data["events"] == [] and absent.data["classes"]
    assert "didn't hear dog barking" in (absent.text or "")


def _kept_ratio_db(out: np.ndarray, target: np.ndarray, mix: np.ndarray) -> tuple[float, float]:
    """Target-to-rest energy ratio before and after: the output's projection on the target
    against everything else in it (distortion of the target counts as rest)."""
    before = 10 * np.log10(np.sum(target ** 2) / np.sum((mix - target) ** 2))
    scale = np.dot(out, target) / np.dot(target, target)
    rest = out - scale * target
    return float(before), float(10 * np.log10(np.sum((scale * target) ** 2) / np.sum(rest ** 2)))


@pytest.mark.parametrize(("query", "name"), [("siren", "siren"), ("speech", "speech")])
def test_extraction_raises_the_kept_sound_over_the_rest(backends: BackendCache, speech: Audio,
                                                        query: str, name: str) -> None:
    clip = scene(speech, 48_000, bed_db=-20.0)
    masker = cast(YamnetMask, backends.for_task("sound_extraction"))
    _, events, kept = masker.extract(clip.audio, query)
    assert kept is not None and events
    before, after = _kept_ratio_db(kept.samples, clip.parts[name], clip.audio.samples)
    report(f"extraction {query!r} from siren + speech + noise burst + noise bed: "
           f"{name}-to-rest {before:.1f} -> {after:.1f} dB ({after - before:+.1f} dB)")
    assert after > before + 6.0


def test_extraction_of_an_absent_sound_says_so(backends: BackendCache, speech: Audio,
                                              tmp_path: Path) -> None:
    clip = scene(speech, ASR_RATE)
    run = executor_for("sound_extraction", backends)
    out = run(backends.for_task("sound_extraction"), QueryArgs(audio="a1", query="dog barking"),
              upload(clip.audio, tmp_path), tmp_path)
    assert out.files == [] and "didn't hear dog barking" in (out.text or "")


def test_caption_names_the_sounds_in_order_with_the_words(backends: BackendCache, speech: Audio,
                                                          tmp_path: Path) -> None:
    clip = scene(speech, ASR_RATE)
    run = executor_for("audio_to_text", backends)
    out = run(backends.for_task("audio_to_text"), AudioIn(audio="a1"),
              upload(clip.audio, tmp_path), tmp_path)
    caption = out.text or ""
    report(f"caption: {caption}")
    def named(labels: set[str]) -> int:  # where the caption first names one of them
        return min(caption.find(n) for n in (label.lower() for label in labels) if n in caption)

    assert named(SIREN_LABELS) < caption.index("speech") < named(NOISE_LABELS)
    words = " ".join(out.data["speech"].values())
    assert wer(SAID, words) < 0.25, words
    assert words and words in caption


def snr_db(reference: np.ndarray, estimate: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(reference ** 2) / np.sum((reference - estimate) ** 2)))


def crossfade(x: np.ndarray, i: int, j: int) -> np.ndarray:
    """Baseline: the stretch before the gap faded linearly into the stretch after it."""
    w = np.linspace(1.0, 0.0, j - i)
    return w * x[i - (j - i):i] + (1 - w) * x[j:j + (j - i)]


@pytest.fixture(scope="module")
def sentences(backends: BackendCache) -> Audio:
    tts = cast(Synthesizer, backends.for_task("text_to_speech"))
    first = tts.synthesize("Seven bright foxes jumped over the lazy dog near the river.")
    second = tts.synthesize("Please bring the quarterly report to the meeting on Monday.")
    return Audio(np.concatenate([first.samples, second.samples]), first.sample_rate)


@pytest.mark.parametrize("gap_ms", [20, 50, 100, 200])
@pytest.mark.parametrize("kind", ["speech", "tones"])
def test_inpainting_beats_silence_and_crossfade(backends: BackendCache, sentences: Audio,
                                                kind: str, gap_ms: int) -> None:
    if kind == "speech":
        x, rate = sentences.samples.astype(np.float64), sentences.sample_rate
        level = np.convolve(x ** 2, np.ones(rate // 50) / (rate // 50), "same")
        starts = [c for c in range(rate // 2, len(x) - rate // 2, rate // 6)
                  if level[c] > np.median(level)]  # gaps in speech, not in pauses
    else:
        rate = 16_000
        t = np.arange(3 * rate) / rate
        x = 0.3 * np.sin(2 * np.pi * 437 * t) + 0.15 * np.sin(2 * np.pi * 1234.5 * t + 1.0)
        starts = list(range(rate // 2, 2 * rate, rate // 7))
    n = rate * gap_ms // 1000
    filler = cast(LpcInpaint, backends.for_task("audio_inpainting"))
    truth, filled, faded = [], [], []
    for i in starts:
        damaged = x.copy()
        damaged[i:i + n] = 0.0
        out, method = filler.fill(Audio(damaged.astype(np.float32), rate), i / rate,
                                  (i + n) / rate)
        truth.append(x[i:i + n])
        filled.append(out.samples[i:i + n])
        faded.append(crossfade(x, i, i + n))
        assert np.allclose(out.samples[:i], damaged[:i], atol=1e-6)  # the rest is untouched
    assert method.startswith("autoregressive") == (gap_ms / 1000 <= AR_MAX_GAP)
    ref = np.concatenate(truth)
    ours, silence = snr_db(ref, np.concatenate(filled)), snr_db(ref, np.zeros_like(ref))
    baseline = snr_db(ref, np.concatenate(faded))
    report(f"inpainting {kind}, {gap_ms} ms gaps ({len(starts)}): SNR {ours:.2f} dB; "
           f"silence {silence:.2f} dB, crossfade {baseline:.2f} dB")
    assert ours > silence and ours > baseline


def test_long_gaps_are_interpolated_spectrally(backends: BackendCache) -> None:
    rate = 16_000
    t = np.arange(3 * rate) / rate
    x = 0.3 * np.sin(2 * np.pi * 437 * t) * (1 + 0.2 * t)  # a tone slowly getting louder
    damaged = x.copy()
    damaged[rate:rate + 6400] = 0.0
    filler = cast(LpcInpaint, backends.for_task("audio_inpainting"))
    out, method = filler.fill(Audio(damaged.astype(np.float32), rate), 1.0, 1.4)
    ours = snr_db(x[rate:rate + 6400], out.samples[rate:rate + 6400])
    report(f"inpainting a 400 ms gap in a swelling tone ({method}): SNR {ours:.1f} dB")
    assert method == "spectral interpolation" and ours > 20.0


async def test_what_sounds_are_in_this_gives_text_and_a_picture(runtime: Runtime, speech: Audio,
                                                                tmp_path: Path) -> None:
    clip = write_wav(scene(speech, ASR_RATE).audio, tmp_path / "street.wav")
    reply = await runtime.agent.handle(Message(
        channel_id="cli:sound", text="what sounds are in this?",
        attachments=[Attachment(path=clip, filename=clip.name)]))
    assert reply.error_code is None, reply.text
    assert [s.task for s in reply.steps] == ["sound_detection"]
    assert "Siren" in reply.text and "Speech" in reply.text
    (picture,) = reply.artifacts
    assert picture.kind == Kind.IMAGE and picture.mime == "image/png"
    assert picture.duration is None and picture.handle in reply.text
