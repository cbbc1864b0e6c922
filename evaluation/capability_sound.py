"""Capability cases for the sound, picture, singing and editing tasks."""

from __future__ import annotations

from typing import Any

import numpy as np

from core_agent.types import Reply
from evaluation import signals as sig
from evaluation.capability_cases import (
    CAPTION_WORDS,
    LABELS,
    PORTRAIT,
    Kit,
    Made,
    Measured,
    output,
    step,
)

LYRICS, NOTES, BEATS, TEMPO = "la la la la", "C4 D4 E4 C4", "0.5 0.5 1 2", 90.0
HELD_MIN = 0.3  # seconds: notes at least this long count as held
SETTLE, RELEASE = 0.08, 0.05  # seconds after an onset and before an end left out


def _scene_file(kit: Kit, rate: int, name: str, bed_db: float | None = None
                ) -> tuple[sig.Scene, Any]:
    clip = sig.scene(kit.speech(), rate, bed_db)
    return clip, sig.write(clip.samples, rate, kit.folder / name)


def make_detection(kit: Kit) -> Made:
    clip, path = _scene_file(kit, 16_000, "street.wav")
    return Made([path], [step("sound_detection", audio="a1")], {"truth": clip.truth})


def measure_detection(reply: Reply, made: Made, kit: Kit) -> Measured:
    events = reply.steps[0].data.get("events", [])
    errors, notes = [], []
    for name, (start, _end) in made.truth["truth"].items():
        found = [e for e in events if e["label"] in LABELS[name]]
        if not found:
            errors.append(start)  # missed: as wrong as the onset itself
            notes.append(f"{name} missed")
            continue
        best = min(found, key=lambda e: abs(e["start"] - start))
        errors.append(abs(best["start"] - start))
        notes.append(f"{name} {best['start'] - start:+.2f} s")
    return float(np.mean(errors)), "siren, speech, noise burst onsets: " + ", ".join(notes)


def make_target(kit: Kit) -> Made:
    clip, path = _scene_file(kit, 16_000, "street-target.wav")
    return Made([path], [step("target_sound_detection", audio="a1", query="siren")],
                {"truth": clip.truth})


def measure_target(reply: Reply, made: Made, kit: Kit) -> Measured:
    events = reply.steps[0].data.get("events", [])
    start, end = made.truth["truth"]["siren"]
    if not events:
        return start, "the siren was not found"
    first = min(events, key=lambda e: abs(e["start"] - start))
    return abs(first["start"] - start), (f"siren at {start:.2f}–{end:.2f} s found at "
                                         f"{first['start']:.2f}–{first['end']:.2f} s")


def make_extraction(kit: Kit) -> Made:
    clip, path = _scene_file(kit, 48_000, "street-bed.wav", bed_db=-20.0)
    return Made([path], [step("sound_extraction", audio="a1", query="siren")],
                {"target": clip.parts["siren"], "mix": clip.samples})


def measure_extraction(reply: Reply, made: Made, kit: Kit) -> Measured:
    target, mix = made.truth["target"], made.truth["mix"]
    out = sig.aligned(mix, output(reply, 48_000), 48_000)
    before = 10 * np.log10(np.sum(target ** 2) / np.sum((mix - target) ** 2))
    scale = np.dot(out, target) / np.dot(target, target)
    after = 10 * np.log10(np.sum((scale * target) ** 2) / np.sum((out - scale * target) ** 2))
    return float(after - before), (f"siren from siren + speech + noise: siren-to-rest "
                                   f"{before:.1f} -> {after:.1f} dB")


def make_caption(kit: Kit) -> Made:
    clip, path = _scene_file(kit, 16_000, "street-caption.wav")
    return Made([path], [step("audio_to_text", audio="a1")], {"truth": clip.truth})


def measure_caption(reply: Reply, made: Made, kit: Kit) -> Measured:
    caption = (reply.steps[0].text or "").lower()
    named = [name for name, stems in CAPTION_WORDS.items() if any(s in caption for s in stems)]
    return 100 * len(named) / len(CAPTION_WORDS), f"names {', '.join(named) or 'none'}: {caption!r}"


def make_talking_head(kit: Kit) -> Made:
    speech = sig.espeak("hello there. this is my talking head, one, two, three.",
                        kit.folder / "face-speech.wav", speed=120)
    return Made([PORTRAIT, speech], [step("talking_head", audio="a2", image="a1")])


def measure_talking_head(reply: Reply, made: Made, kit: Kit) -> Measured:
    import cv2

    from models.talking_head.cascade import JAW_DROP
    from models.talking_head.faces import fit_size, locate, read_picture
    from models.talking_head.video import FPS

    video = reply.artifacts[0].path
    portrait = locate(fit_size(read_picture(PORTRAIT))[0])
    if portrait is None:
        return 0.0, "no face found in the test portrait"
    m, face = portrait.mouth, portrait.face
    reach = int(JAW_DROP * face.h) + m.h
    capture, darkness = cv2.VideoCapture(str(video)), []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)[m.y:m.y + reach, m.x:m.x + m.w]
        darkness.append(float(np.mean(grey < 70)))
    capture.release()
    heard = output(reply, 16_000)
    hop = 16_000 // FPS
    level = np.array([np.sqrt(np.mean(heard[i * hop:(i + 1) * hop] ** 2) + 1e-10)
                      for i in range(len(darkness))])
    loud = 20 * np.log10(level)
    r = float(np.corrcoef(darkness, np.maximum(loud, loud.max() - 40))[0, 1])
    return r, f"mouth opening vs speech level over {len(darkness)} frames (Pearson r)"


def make_singing(kit: Kit) -> Made:
    return Made([], [step("singing_synthesis", lyrics=LYRICS, notes=NOTES, durations=BEATS,
                                tempo=TEMPO)])


def measure_singing(reply: Reply, made: Made, kit: Kit) -> Measured:
    import pyworld

    from models.singing.scores import from_text
    from models.singing.world import LEAD_IN

    rate = 22_050
    sung = output(reply, rate)
    f0, times = pyworld.harvest(sung, rate, f0_floor=65.0, f0_ceil=700.0, frame_period=5.0)
    score = from_text(LYRICS, NOTES, BEATS, TEMPO)
    cents = []
    for (onset, length), note in zip(score.timing(), score.notes, strict=True):
        if note.pitch is None or length < HELD_MIN:
            continue
        start = LEAD_IN + onset
        inside = (times >= start + SETTLE) & (times < start + length - RELEASE) & (f0 > 0)
        want = 440.0 * 2 ** ((note.pitch - 69) / 12)
        cents.extend(np.abs(1200 * np.log2(f0[inside] / want)))
    if not cents:
        return 1200.0, "no voiced frames in the held notes"
    return float(np.median(cents)), (f"'{LYRICS}' on {NOTES}: median "
                                     f"|error| over {len(cents)} voiced frames (pyworld)")


def make_edit(kit: Kit) -> Made:
    t = np.arange(2 * 16_000) / 16_000
    tone = 0.3 * np.sin(2 * np.pi * 440.0 * t)
    return Made([sig.write(tone, 16_000, kit.folder / "tone.wav")],
                [step("audio_edit", audio="a1", operation="pitch", semitones=12.0)])


def measure_edit(reply: Reply, made: Made, kit: Kit) -> Measured:
    out = output(reply, 16_000)
    middle = out[len(out) // 4: 3 * len(out) // 4]
    got = sig.peak_hz(middle, 16_000)
    return abs(1200 * np.log2(got / 880.0)), f"440 Hz up 12 semitones: peak at {got:.1f} Hz"
