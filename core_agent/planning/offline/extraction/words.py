"""Words in the request: quoted text, what to say, languages, voice names, the sound
asked about, and the description to generate from."""

from __future__ import annotations

import re

from core_agent.planning.offline.extraction.quantities import NUM

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
# Words that make up "it back", "the description out loud"...: no text of their own.
FILLER = frozenset({
    "it", "its", "this", "that", "them", "they", "these", "those", "the", "a", "an", "back",
    "out", "loud", "aloud", "to", "me", "us", "please", "pls", "for", "again", "now", "result",
    "results", "text", "transcript", "translation", "description", "caption", "answer", "what",
    "whatever", "said", "message", "post", "reply", "one",
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
    r"\b(?:say|saying|says|speak|pronounce|announce|read(?: out loud| out| aloud)?|sing|"
    r"voice ?over|voice(?= (?:the|this|these|that)\b)|tts)\b(?:\s+(?:me|us|the words|these words|"
    r"these lyrics|something|this|out|aloud|out loud|for me|saying|"
    r"(?:the|this|that) (?:sentence|line|phrase|text|following))\b)*[\s:.,!-]*", re.IGNORECASE)


QUOTED_SPAN = r"\"[^\"]*\"|“[^”]*”|(?<!\w)'[^']*?'(?!\w)"  # apostrophes in words left alone


def quoted(text: str) -> str | None:
    """The first quoted span ("...", '...', “...”), apostrophes in words left alone."""
    m = re.search(r"\"([^\"]+)\"|“([^”]+)”|(?<!\w)'([^']+?)'(?!\w)", text)
    if not m:
        return None
    return next(g for g in m.groups() if g is not None).strip() or None


def unquoted(text: str) -> str:
    """The text with quoted spans removed, so their words don't count as instructions."""
    return re.sub(QUOTED_SPAN, " ", text)


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


def voice(text: str) -> str | None:
    """A voice asked for by name: "the joe voice", "in joe's voice", "voice named joe"."""
    m = re.search(r"\bvoice (?:named|called) (\w+)|\b(?:in|with|using|use) (\w+)'s voice\b|"
                  r"\b(?:in|with|using|use) the (\w+) voice\b", text.lower())
    name = next((g for g in m.groups() if g), None) if m else None
    return None if name in VOICE_WORDS else name


SOUND_LEAD = re.compile(
    r"\b(?:extract|isolate|pull out|separate out|split out|get(?: me)?(?: only| just)?|"
    r"give me(?: only| just)?|keep(?: only| just)?|only want|(?:everything|all) (?:but|except)|"
    r"except|"
    r"at what time(?: (?:does|do|did|is|are|was|were))?|"
    r"(?:when|where) (?:does|do|did|is|are|was|were)(?: there)?(?: an?| any)?|"
    r"(?:tell|show|let) me(?: know)? (?:when|where)|"
    r"find(?: where| when)?|timestamps? (?:for|of)|times? (?:when|where)|every time|each time|"
    r"whenever|is there(?: an?| any)?|are there(?: any)?|detect|locate|spot|hear|does|do|did|"
    r"leave(?: only| just)?|(?:the )?(?:times|moments?|points?|seconds?)(?: that| where| when)?|"
    r"where in (?:the \w+|it|this)(?: is| are| does| do)?|"
    r"pull|take|(?:just|only)(?= (?:the|a|an|his|her|their|my) ))"
    r"\b\s*",
    re.IGNORECASE)
SOURCE_WORDS = r"(?:this|that|it|here|the (?:recording|audio|clip|track|song|file|mix|video))\b"
SOUND_STOP = re.compile(
    r"\b(?:the|a|an|some|any|only|just|this|it|in this|in it|from this|from it|out of this|"
    r"please|pls|plz|for me|sounds?|noises?|part|parts|track|audio|recording|clip|happen|"
    r"happens|occur|occurs|heard|one|start|starts|when|where|out|can|you|get|does|do|did|is|"
    r"are|was|were|there|hear|times|moments?|points?|seconds)\b",
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


def generation_prompt(text: str) -> str:
    """The description to generate from, without request words and the duration."""
    t = re.sub(rf"\b(?:for |about |around |like |roughly )?{NUM}\s*-?\s*"
               rf"(?:s|sec|secs|seconds?|mins?|minutes?)\b(?: long)?(?: of)?", " ", text)
    t = re.sub(r"^\W*(?:(?:please|pls|can you|could you|can u|i need|i want|give me|make me|"
               r"make|generate|create|compose|produce|play me|play|some|an?)\s+)*", "", t.strip(),
               flags=re.IGNORECASE)
    t = re.sub(r"^(?:sound|sound effect|sfx|noise|audio)\s*(?:of|:)\s*", "", t, flags=re.I)
    return re.sub(r"\s+", " ", t).strip(" ,.!?") or text.strip()
