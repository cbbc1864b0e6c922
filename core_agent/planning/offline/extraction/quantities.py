"""Numbers in the request: times, lengths, speed, pitch, volume, speaker counts and
where a sound sits (direction, height, distance)."""

from __future__ import annotations

import re

NUM = r"\d+(?:\.\d+)?"
TIME = rf"(\d+:\d{{2}}(?:\.\d+)?|{NUM})"
SECONDS = r"(?:(?:s|sec|secs|seconds?)\b)"
COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "both": 2, "couple": 2, "pair": 2}


def clamp(value: float, low: float, high: float) -> float:
    """The value kept within [low, high]."""
    return max(low, min(high, value))


def seconds(token: str) -> float:
    """A time token ("1:30", "90" or "2.5") in seconds."""
    if ":" in token:
        minutes, secs = token.split(":", 1)
        return int(minutes) * 60 + float(secs)
    return float(token)


def time_range(text: str) -> tuple[float, float] | None:
    """A start/end pair: "from 1.5 s to 2 s", "between 0:02 and 0:03", "2s-2.3s"."""
    pattern = rf"{TIME}\s*{SECONDS}?\s*(?:-|–|to|and|until|till)\s*{TIME}\s*{SECONDS}?"
    for m in re.finditer(pattern, text.lower()):
        start, end = seconds(m.group(1)), seconds(m.group(2))
        if end > start:
            return start, end
    return None


def moment(text: str) -> float | None:
    """One point in time: "at 0:12", "around 5 seconds", "at about 7 sec"."""
    pattern = (rf"\b(?:at|around|about|near)\s+(?:(?:about|around|roughly)\s+)?"
               rf"(\d+:\d{{2}}(?:\.\d+)?|{NUM}(?=\s*{SECONDS}))")
    m = re.search(pattern, text.lower())
    return seconds(m.group(1)) if m else None


def duration(text: str) -> float | None:
    """A length in seconds: "10 seconds of rain", "30s", "a 2 minute track" (at most 60)."""
    t = text.lower()
    if m := re.search(rf"({NUM})\s*-?\s*(s|sec|secs|seconds?|m|mins?|minutes?)\b", t):
        value = float(m.group(1)) * (60 if m.group(2).startswith("m") else 1)
        return min(value, 60.0) if value > 0 else None
    if re.search(r"\bhalf a minute\b", t):
        return 30.0
    return 60.0 if re.search(r"\b(a|one) minute\b", t) else None


def speed(text: str) -> float | None:
    """A speed factor from words: slower 0.8, much slower 0.6, faster 1.25, twice as fast 2."""
    t = text.lower()
    if m := re.search(rf"\b({NUM})\s*x\b", t):
        return clamp(float(m.group(1)), 0.3, 4.0)
    table = [
        (r"twice as fast|double (?:the )?speed|two times faster", 2.0),
        (r"half (?:the )?speed|half as fast|twice as slow", 0.5),
        (r"(?:much|way|a lot|lots|really|super|very) (?:slower|more slowly|slowly)", 0.6),
        (r"(?:a (?:little )?bit|slightly|a little|a tad) slower", 0.9),
        (r"slower|slow (?:it |this |that )?down|slowly|\bslow\b", 0.8),
        (r"(?:much|way|a lot|lots|really|super|very) (?:faster|quicker)", 1.5),
        (r"(?:a (?:little )?bit|slightly|a little|a tad) faster", 1.1),
        (r"faster|quicker|speed (?:it |this |that )?up|quickly|\bfast\b", 1.25),
    ]
    return next((value for pattern, value in table if re.search(pattern, t)), None)


def pitch(text: str) -> float | None:
    """A pitch shift in semitones: "up 3 semitones", "an octave down", "deeper" (-3)."""
    t = text.lower()
    if m := re.search(rf"({NUM})\s*semi(?:-?tones?)?\s*(down|lower|deeper)?", t):
        down = m.group(2) or re.search(r"\b(down|lower|deeper)\b", t[:m.start()])
        return clamp(-float(m.group(1)) if down else float(m.group(1)), -12.0, 12.0)
    if "octave" in t:
        return -12.0 if re.search(r"\b(down|lower|deeper)\b", t) else 12.0
    much = 2 if re.search(r"\b(much|way|really|very|super) (deeper|lower|higher)", t) else 1
    if re.search(r"\bdeep(er)?\b|lower (?:the )?(pitch|voice)|pitch (?:it |this )?down|"
                 r"\blow(er)? voice|\bbass", t):
        return -3.0 * much
    if re.search(r"\bhigh(er)?(-pitched)? (pitch|voice)|higher\b|pitch (?:it |this )?up|"
                 r"squeak|chipmunk|helium", t):
        return 3.0 * much
    return None


def gain_db(text: str) -> float | None:
    """A volume change in dB: louder +6, quieter -6, "by 10 db", "a bit" halves it."""
    t = text.lower()
    level = r"(?:the )?(?:volume|gain|level|loudness)"
    down = re.search(rf"\bquiet|\bsoft|turn (?:it |this |that )?down|volume down|less loud|"
                     rf"(?:lower|reduce|decrease|drop) {level}", t)
    if m := re.search(rf"({NUM})\s*db\b", t):
        return clamp(-float(m.group(1)) if down else float(m.group(1)), -40.0, 40.0)
    up = re.search(rf"\bloud|\bboost|\bamplif|turn (?:it |this |that )?up|volume up|\bcrank|"
                   rf"(?:raise|increase|pump up) {level}", t)
    if not (up or down):
        return None
    step = 12.0 if re.search(r"\b(much|way|a lot|really|super) (louder|quieter)", t) else 6.0
    step = 3.0 if re.search(r"\b(a (little )?bit|slightly|a little|a tad)\b", t) else step
    return -step if down else step


def speakers(text: str) -> int | None:
    """How many speakers the user says there are (2 to 8)."""
    t = text.lower()
    nouns = r"(?:people|persons|speakers|voices|guys|women|men|kids|singers|of us|talkers)"
    m = re.search(rf"\b(\d|two|three|four|five|six|seven|eight|both|couple|pair)\b"
                  rf"(?:\s+(?:of|different|separate|distinct))*\s+{nouns}", t)
    if not m:
        return None
    word = m.group(1)
    count = int(word) if word.isdigit() else COUNTS[word]
    return count if 2 <= count <= 8 else None


def azimuth(text: str) -> float | None:
    """A direction in degrees: left -90, right 90, behind 180, or "45 degrees"."""
    t = text.lower()
    if m := re.search(r"(-?\d+)\s*(?:°|deg|degrees)(?! (?:up|above|high|down|below))", t):
        return clamp(float(m.group(1)), -180.0, 180.0)
    if m := re.search(r"\b(?:from|on|to|at) (?:my|the|your) (left|right)\b", t):
        return -90.0 if m.group(1) == "left" else 90.0
    return 180.0 if re.search(r"\bbehind\b", t) else None


def elevation(text: str) -> float | None:
    """Height in degrees: "above me" 45, "below" -30, or "30 degrees up"."""
    t = text.lower()
    if m := re.search(r"(-?\d+)\s*(?:°|deg|degrees) (up|above|high|down|below)", t):
        sign = -1.0 if m.group(2) in ("down", "below") else 1.0
        return clamp(sign * float(m.group(1)), -90.0, 90.0)
    if re.search(r"\b(above|overhead|over my head|up high)\b", t):
        return 45.0
    return -30.0 if re.search(r"\b(below|beneath|under me|down low)\b", t) else None


def distance_m(text: str) -> float | None:
    """How far the source is: "3 m away", "far away" 5 m, "close" 0.5 m."""
    t = text.lower()
    if m := re.search(r"(\d+(?:\.\d+)?)\s*(?:m|metres?|meters?)\b(?: away)?", t):
        return clamp(float(m.group(1)), 0.25, 50.0)
    if re.search(r"\b(far away|in the distance|distant|far off)\b", t):
        return 5.0
    return 0.5 if re.search(r"\b(close|near|next to|whisper(ing)? in my ear)\b", t) else None
