"""Argument extraction for the offline planner: pure functions from request text to values.

Each function reads one kind of value (quoted text, languages, times, speed, pitch,
volume, durations, notes, counts, formats) and returns None when the text has none.
`task_args` assembles a task's non-media arguments from them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

NUM = r"\d+(?:\.\d+)?"
TIME = rf"(\d+:\d{{2}}(?:\.\d+)?|{NUM})"
SECONDS = r"(?:(?:s|sec|secs|seconds?)\b)"

LANGUAGES = {
    "english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it",
    "portuguese": "pt", "dutch": "nl", "russian": "ru", "chinese": "zh", "mandarin": "zh",
    "japanese": "ja", "korean": "ko", "arabic": "ar", "hindi": "hi", "turkish": "tr",
    "polish": "pl", "swedish": "sv", "norwegian": "no", "danish": "da", "finnish": "fi",
    "greek": "el", "hebrew": "he", "ukrainian": "uk", "czech": "cs", "vietnamese": "vi",
    "thai": "th", "indonesian": "id", "romanian": "ro", "hungarian": "hu", "persian": "fa",
    "farsi": "fa", "urdu": "ur", "bengali": "bn", "tamil": "ta", "swahili": "sw",
    "catalan": "ca", "malay": "ms", "tagalog": "tl", "filipino": "tl", "welsh": "cy",
}
LANG = "(" + "|".join(LANGUAGES) + ")"
MELODIES = {
    "happy birthday": r"happy birthday", "twinkle twinkle": r"twinkle,? twinkle",
    "jingle bells": r"jingle bells", "row row row your boat": r"row,? row,? row your boat",
    "mary had a little lamb": r"mary had a little lamb", "ode to joy": r"ode to joy",
    "frere jacques": r"fr[eè]re jacques", "london bridge": r"london bridge",
    "old macdonald": r"old mac ?donald", "you are my sunshine": r"you are my sunshine",
}
COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "both": 2, "couple": 2, "pair": 2}
FORMATS = ("ogg", "mp3", "wav", "flac", "m4a")
# Words that make up "it back", "the description out loud"...: no text of their own.
FILLER = frozenset({
    "it", "its", "this", "that", "them", "they", "these", "those", "the", "a", "an", "back",
    "out", "loud", "aloud", "to", "me", "us", "please", "pls", "for", "again", "now", "result",
    "results", "text", "transcript", "translation", "description", "caption", "answer", "what",
    "whatever", "said",
})
# Words that describe a voice rather than name one.
VOICE_WORDS = frozenset({"same", "other", "default", "normal", "usual", "deep", "deeper", "high",
                         "higher", "low", "lower", "male", "female", "robot", "calm", "my", "his",
                         "her", "their", "your", "this", "that", "original"})
TTS_MODIFIER = re.compile(
    rf"[\s,]*(?:(?:really|very|super|much|way|a bit|a little|slightly)\s+)*"
    rf"(?:slowly|slower|slow|quickly|faster|fast|please|pls|plz|for me|out loud|aloud|again|"
    rf"(?:in|with|using|use) (?:[\w'-]+ ){{0,3}}(?:voice|accent|recording|clip)|like me|"
    rf"in {LANG})\s*[.!?]*$",
    re.IGNORECASE,
)
SPEECH_VERB = re.compile(
    r"\b(?:say|saying|says|speak|pronounce|announce|read(?: out| aloud)?|sing|"
    r"voice ?over|tts)\b(?:\s+(?:me|us|the words|these words|these lyrics|something|this|out|"
    r"aloud|out loud|for me)\b)*[\s:.,!-]*", re.IGNORECASE)


def clamp(value: float, low: float, high: float) -> float:
    """The value kept within [low, high]."""
    return max(low, min(high, value))


def quoted(text: str) -> str | None:
    """The first quoted span ("...", '...', “...”), apostrophes in words left alone."""
    m = re.search(r"\"([^\"]+)\"|“([^”]+)”|(?<!\w)'([^']+?)'(?!\w)", text)
    if not m:
        return None
    return next(g for g in m.groups() if g is not None).strip() or None


def unquoted(text: str) -> str:
    """The text with quoted spans removed, so their words don't count as instructions."""
    return re.sub(r"\"[^\"]*\"|“[^”]*”|(?<!\w)'[^']*?'(?!\w)", " ", text)


def spoken_text(text: str) -> str | None:
    """What to say or sing: quoted text, text after a colon, or after "say"/"read"/"sing"."""
    if found := quoted(text):
        return found
    if ":" in text and not re.search(r"\d:\d", text):
        rest = text.split(":", 1)[1]
    elif m := SPEECH_VERB.search(text):
        rest = text[m.end():]
    else:
        return None
    rest = re.sub(r"^\s*(?:that|like)\s+", "", rest)
    while (cut := TTS_MODIFIER.sub("", rest)) != rest:
        rest = cut
    rest = rest.strip(" ,")
    words = re.findall(r"\w[\w']*", rest.lower())
    return rest if words and not set(words) <= FILLER else None


def languages(text: str) -> tuple[str | None, str | None]:
    """(source, target) ISO 639-1 codes: "from X" is the source, "to/into/in X" the target."""
    t = unquoted(text).lower()
    source = m.group(1) if (m := re.search(rf"\bfrom {LANG}\b", t)) else None
    targets = re.findall(rf"\b(?:to|into|in) {LANG}\b|\b{LANG} (?:translation|version|subtitles)",
                         t)
    target = next((a or b for a, b in reversed(targets)), None)
    if source is None:
        others = [x for x in re.findall(rf"\b{LANG}\b", t) if x != target]
        source = others[0] if others else None
    return (LANGUAGES[source] if source else None, LANGUAGES[target] if target else None)


def language(text: str) -> str | None:
    """Any language named in the request (outside quotes), as an ISO 639-1 code."""
    m = re.search(rf"\b{LANG}\b", unquoted(text).lower())
    return LANGUAGES[m.group(1)] if m else None


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


def audio_format(text: str) -> str | None:
    """A target file format named in the request."""
    m = re.search(r"\b(" + "|".join(FORMATS) + r")\b", text.lower())
    return m.group(1) if m else None


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


def voice(text: str) -> str | None:
    """A voice asked for by name: "the joe voice", "in joe's voice", "voice named joe"."""
    m = re.search(r"\bvoice (?:named|called) (\w+)|\b(?:in|with|using|use) (\w+)'s voice\b|"
                  r"\b(?:in|with|using|use) the (\w+) voice\b", text.lower())
    name = next((g for g in m.groups() if g), None) if m else None
    return None if name in VOICE_WORDS else name


def notes(text: str) -> str | None:
    """Note names ("C4 D4 E4"), at least two in a row."""
    m = re.search(r"\b[a-g][#b]?\d(?:[\s,]+[a-g][#b]?\d\b)+", text, re.IGNORECASE)
    return " ".join(n[0].upper() + n[1:] for n in re.split(r"[\s,]+", m.group(0))) if m else None


def note_durations(text: str) -> str | None:
    """Beats per note after "durations"/"beats"/"lengths", or the numbers right after the
    notes ("C4 D4 E4 / 0.5 0.5 1")."""
    m = re.search(rf"\b(?:durations?|beats?|lengths?|rhythm)\b[:\s]*((?:{NUM}[\s,]*)+)",
                  text.lower())
    m = m or re.search(rf"\b[a-g][#b]?\d(?:[\s,]+[a-g][#b]?\d\b)+\s*[/|;,]?\s*"
                       rf"((?:{NUM}[\s,]*)+)", text, re.IGNORECASE)
    return " ".join(re.findall(NUM, m.group(1))) if m else None


def melody(text: str) -> str | None:
    """A known tune named in the request."""
    t = text.lower()
    return next((name for name, pattern in MELODIES.items() if re.search(pattern, t)), None)


def lyrics(text: str) -> str | None:
    """The words to sing, without the notes, durations and tune."""
    if found := quoted(text):
        return found
    cut = re.sub(r"\s*\b(?:with |using )?(?:the )?(?:notes?|durations?|beats?)\b.*$", "", text,
                 flags=re.IGNORECASE)
    cut = re.sub(r"\s*\bto the (?:tune|melody) of\b.*$", "", cut, flags=re.IGNORECASE)
    cut = re.split(r"\s*[/|]\s*(?=[a-g][#b]?\d)", cut, maxsplit=1, flags=re.IGNORECASE)[0]
    return spoken_text(cut)


SOUND_LEAD = re.compile(
    r"\b(?:extract|isolate|pull out|separate out|split out|get(?: me)?(?: only| just)?|"
    r"give me(?: only| just)?|keep(?: only| just)?|only want|(?:everything|all) (?:but|except)|"
    r"except|"
    r"at what time(?: (?:does|do|did|is|are|was|were))?|"
    r"(?:when|where) (?:does|do|did|is|are|was|were)(?: there)?(?: an?| any)?|"
    r"find(?: where| when)?|timestamps? (?:for|of)|times? (?:when|where)|every time|each time|"
    r"whenever|is there(?: an?| any)?|are there(?: any)?|detect|locate|spot|hear|does|do|did|"
    r"pull|take)"
    r"\b\s*",
    re.IGNORECASE)
SOURCE_WORDS = r"(?:this|that|it|here|the (?:recording|audio|clip|track|song|file|mix|video))\b"
SOUND_STOP = re.compile(
    r"\b(?:the|a|an|some|any|only|just|this|it|in this|in it|from this|from it|out of this|"
    r"please|pls|plz|for me|sounds?|noises?|part|parts|track|audio|recording|clip|happen|"
    r"happens|occur|occurs|heard|one|start|starts|when|where|out|can|you|get|does|do|did|is|"
    r"are|was|were|there)\b",
    re.IGNORECASE)


def sound_query(text: str) -> str | None:
    """The sound a request is about: "when does the dog bark" -> "dog bark"."""
    for m in SOUND_LEAD.finditer(text):
        head = re.split(r"[,.?!;:]", text[m.end():], maxsplit=1)[0]
        head = re.split(rf"\b(?:out of|from|in|on|of) {SOURCE_WORDS}", head, maxsplit=1)[0]
        words = SOUND_STOP.sub(" ", head).split()
        if words:
            return " ".join(words).lower()
    return None


def trim_range(text: str) -> tuple[float | None, float | None] | None:
    """Trim bounds: a time range, "the first 5 seconds" (keep), "off the first 3 s" (cut)."""
    t = text.lower()
    if span := time_range(t):
        return span
    m = re.search(rf"\bfirst ({NUM})\s*{SECONDS}?", t)
    if not m:
        return None
    n = float(m.group(1))
    keep = re.search(r"\b(to|keep|only|just)\s+(the\s+)?first\b|\bfirst .* only\b", t)
    return (0.0, n) if keep else (n, None)


EDIT_OPERATIONS: list[tuple[str, str]] = [
    ("normalize", r"normali[sz]|\blufs\b|r ?128|loudness (?:level|standard)|even (?:out )?the "
                  r"(?:volume|level|loudness)|same loudness"),
    ("mix", r"\bmix|\b(?:under|underneath|beneath|behind) (?:my|the|this|that|a\d)\b|"
            r"\bover (?:the|this|that) (?:music|rain|sound|track|background)|as (?:a )?background"),
    ("concat", r"\bjoin|\bconcat|\bappend|\bstitch|\bcombine|\bglue|back to back|"
               r"one after (?:the )?other|\bafter the (?:first|other)"),
    ("reverb", r"reverb|cathedral|\bhall\b|big room|\bchurch"),
    ("echo", r"\becho"),
    ("reverse", r"revers|backwards?\b"),
    ("convert", r"\bconvert|\b(" + "|".join(FORMATS) + r")\b"),
    ("fade", r"\bfade"),
    ("trim", r"\btrim|\bcut|\bcrop|\bshorten|\bchop|\bfirst \d"),
    ("speed", r"speed|faster|slower|slow (it |this )?down|\d\s*x\b|twice as fast|half"),
    ("pitch", r"pitch|semitone|octave|deeper|higher|chipmunk|squeak"),
    ("volume", r"loud|quiet|volume|\bdb\b|boost|amplif|soft|turn (it |this )?(up|down)"),
]


def target_loudness(text: str) -> float | None:
    """A loudness target in LUFS: "-23 LUFS", "broadcast"/"EBU R128" -23, else None."""
    if m := re.search(rf"(-?{NUM})\s*(?:lufs|lu\b|dbfs|db)", text):
        return clamp(-abs(float(m.group(1))), -40.0, -5.0)
    return -23.0 if re.search(r"r ?128|broadcast|\bebu\b", text) else None


def edit_args(text: str) -> dict[str, Any] | None:
    """An audio_edit operation with its parameters, or None when no edit is named."""
    t = text.lower()
    operation = next((op for op, pattern in EDIT_OPERATIONS if re.search(pattern, t)), None)
    args: dict[str, Any] = {"operation": operation}
    if operation == "convert":
        args["format"] = audio_format(t)
    elif operation == "fade":
        m = re.search(rf"({NUM})\s*-?\s*{SECONDS}", t)
        args["fade_seconds"] = clamp(float(m.group(1)), 0.1, 30.0) if m else None
    elif operation == "trim" and (bounds := trim_range(t)):
        args["start"], args["end"] = bounds
    elif operation == "speed":
        args["factor"] = speed(t)
    elif operation == "pitch":
        args["semitones"] = pitch(t)
    elif operation == "volume":
        args["gain_db"] = gain_db(t)
    elif operation == "normalize":
        args["loudness"] = target_loudness(t)
    elif operation == "reverb" and (m := re.search(rf"({NUM})\s*-?\s*{SECONDS}", t)):
        args["reverb_seconds"] = clamp(float(m.group(1)), 0.1, 10.0)
    return {k: v for k, v in args.items() if v is not None} if operation else None


def generation_prompt(text: str) -> str:
    """The description to generate from, without request words and the duration."""
    t = re.sub(rf"\b(?:for |about |around |like |roughly )?{NUM}\s*-?\s*"
               rf"(?:s|sec|secs|seconds?|mins?|minutes?)\b(?: long)?(?: of)?", " ", text)
    t = re.sub(r"^\W*(?:(?:please|pls|can you|could you|can u|i need|i want|give me|make me|"
               r"make|generate|create|compose|produce|play me|play|some|an?)\s+)*", "", t.strip(),
               flags=re.IGNORECASE)
    t = re.sub(r"^(?:sound|sound effect|sfx|noise|audio)\s*(?:of|:)\s*", "", t, flags=re.I)
    return re.sub(r"\s+", " ", t).strip(" ,.!?") or text.strip()


def _recognition(text: str) -> dict[str, Any]:
    stamps = re.search(r"word.?(level|timing|timestamp)|timings", text.lower())
    return {"language": language(text), "word_timestamps": True if stamps else None}


def _translation(text: str) -> dict[str, Any]:
    source, target = languages(text)
    return {"source_language": source, "target_language": target or "en"}


def _tts(text: str) -> dict[str, Any]:
    rest = unquoted(text)
    return {"text": spoken_text(text), "speed": speed(rest), "pitch": pitch(rest),
            "language": language(rest), "voice": voice(rest)}


def _inpainting(text: str) -> dict[str, Any]:
    span = time_range(unquoted(text))
    return {"start": span[0], "end": span[1]} if span else {}


def _singing(text: str) -> dict[str, Any]:
    rest = unquoted(text)
    return {"lyrics": lyrics(text) or melody(text), "notes": notes(rest),
            "durations": note_durations(rest), "melody": melody(rest)}


def _generation(text: str) -> dict[str, Any]:
    return {"prompt": generation_prompt(text), "duration": duration(unquoted(text))}


EXTRACTORS: dict[str, Callable[[str], dict[str, Any]]] = {
    "speech_recognition": _recognition,
    "speech_translation": _translation,
    "text_to_speech": _tts,
    "style_transfer": lambda t: {"text": spoken_text(t)},
    "speech_separation": lambda t: {"speakers": speakers(unquoted(t))},
    "mono_to_binaural": lambda t: {"azimuth": azimuth(unquoted(t)),
                                   "elevation": elevation(unquoted(t)),
                                   "distance": distance_m(unquoted(t))},
    "audio_inpainting": _inpainting,
    "sound_extraction": lambda t: {"query": sound_query(unquoted(t))},
    "target_sound_detection": lambda t: {"query": sound_query(unquoted(t))},
    "text_to_audio": _generation,
    "text_to_music": _generation,
    "image_to_audio": lambda t: {"duration": duration(unquoted(t))},
    "singing_synthesis": _singing,
    "audio_edit": lambda t: edit_args(unquoted(t)) or {},
}


def task_args(task: str, text: str) -> dict[str, Any]:
    """The non-media arguments of a task read from the request; absent values left out."""
    extractor = EXTRACTORS.get(task)
    found = extractor(text) if extractor else {}
    return {k: v for k, v in found.items() if v is not None}
