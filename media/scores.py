"""Score files people sing from, MIDI (mido) and MusicXML (music21): told apart by their
first bytes, held to a size and a note count when they arrive, read as one melody."""

from __future__ import annotations

from pathlib import Path

from core_agent.errors import MediaError, Unsupported

SCORES = {"midi": ("audio/midi", ".mid"),
          "musicxml": ("application/vnd.recordare.musicxml+xml", ".musicxml")}
SCORE_HEAD_BYTES = 2048  # where a MusicXML document names its root element
MAX_NOTES = 400  # notes (or lyric syllables) a song we sing may have
# A 400-note song with lyrics is a few KB of MIDI and some 200 KB of MusicXML.
MAX_SCORE_BYTES = 512 * 2**10
DEFAULT_TEMPO = 100.0  # beats per minute when nothing says otherwise
Melody = tuple[list[tuple[int | None, float]], float, list[str]]  # pitches, tempo, lyrics


def sniff_score(path: Path) -> str | None:
    """"midi" or "musicxml" when the file is a score, else None."""
    with path.open("rb") as source:
        head = source.read(SCORE_HEAD_BYTES)
    if head.startswith(b"MThd") and head[4:8] == b"\x00\x00\x00\x06":
        return "midi"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and (
            b"<score-partwise" in head or b"<score-timewise" in head):
        return "musicxml"
    return None


def read_melody(path: Path) -> Melody:
    """A score file's top voice: (MIDI pitch or None for a rest, beats) pairs, its tempo
    and the lyrics it carries. Unsupported for a file that is no score or too large."""
    check_size(path)
    kind = sniff_score(path)
    if kind is None:
        raise Unsupported("that file is not a MIDI or MusicXML score")
    try:
        return _read_midi(path) if kind == "midi" else _read_musicxml(path)
    except Exception as err:  # mido and music21 raise many kinds on damaged files
        raise MediaError(f"the score file is damaged ({type(err).__name__})") from err


def check_size(path: Path) -> None:
    """Refuse a score file larger than any song we sing needs."""
    if path.stat().st_size > MAX_SCORE_BYTES:
        raise Unsupported(f"the score file is over {MAX_SCORE_BYTES // 2**10} KB; a song I "
                          f"can sing ({MAX_NOTES} notes at most) fits in far less")


def check_upload(path: Path, kind: str) -> None:
    """Refuse a score too large to sing when it arrives, before anything fits it: its
    bytes, then its notes and lyric events, counted ("midi" or "musicxml")."""
    check_size(path)
    if kind == "midi":
        try:
            pitches, _, words = _read_midi(path)
        except Exception as err:  # mido raises many kinds on damaged files
            raise MediaError(f"the score file is damaged ({type(err).__name__})") from err
        notes, sung = sum(p is not None for p, _ in pitches), len(words)
    else:  # counting elements is enough; music21 is slow on a large document
        text = path.read_bytes()
        notes, sung = text.count(b"<note"), text.count(b"<lyric")
    if max(notes, sung) > MAX_NOTES:
        raise Unsupported(f"it has {max(notes, sung)} notes or syllables; I sing up to "
                          f"{MAX_NOTES}")


def _read_midi(path: Path) -> Melody:
    import mido

    song = mido.MidiFile(str(path))
    tempo, words, starts = DEFAULT_TEMPO, [], []
    for track in song.tracks:
        at = 0
        for msg in track:
            at += msg.time
            if msg.type == "set_tempo":
                tempo = mido.tempo2bpm(msg.tempo)
            elif msg.type == "lyrics":
                words.append(msg.text.strip())
            elif msg.type == "note_on" and msg.velocity > 0:
                starts.append((at, msg.note))
            elif msg.type in ("note_off", "note_on"):
                starts.append((at, -1 - msg.note))  # an end
    return _monophonic(starts, song.ticks_per_beat), tempo, [w for w in words if w]


def _monophonic(events: list[tuple[int, int]], ticks_per_beat: int
                ) -> list[tuple[int | None, float]]:
    """Note-on/off events as one line: the highest sounding note, rests between."""
    events.sort()
    out: list[tuple[int | None, float]] = []
    sounding: set[int] = set()
    last_tick, last_pitch = 0, None
    for tick, code in events:
        if tick > last_tick:
            beats = (tick - last_tick) / ticks_per_beat
            out.append((last_pitch, beats))
        if code >= 0:
            sounding.add(code)
        else:
            sounding.discard(-1 - code)
        last_tick, last_pitch = tick, max(sounding) if sounding else None
    merged: list[tuple[int | None, float]] = []
    for pitch, beats in out:
        if merged and pitch is None and merged[-1][0] is None:
            merged[-1] = (None, merged[-1][1] + beats)
        else:
            merged.append((pitch, beats))
    while merged and merged[0][0] is None:
        merged.pop(0)
    return merged


def _read_musicxml(path: Path) -> Melody:
    from music21 import converter, tempo

    parsed = converter.parse(str(path))
    marks = list(parsed.recurse().getElementsByClass(tempo.MetronomeMark))
    quarter = marks[0].getQuarterBPM() if marks and marks[0].number else None
    bpm = float(quarter) if quarter else DEFAULT_TEMPO
    parts = getattr(parsed, "parts", None)
    part = parts[0] if parts else parsed
    pitches: list[tuple[int | None, float]] = []
    words: list[str] = []
    for element in part.flatten().notesAndRests:
        beats = float(element.quarterLength)
        if element.isRest:
            pitches.append((None, beats))
            continue
        top = max(element.pitches, key=lambda p: p.midi)
        pitches.append((int(top.midi), beats))
        if element.lyric:
            words.append(element.lyric.strip())
    return pitches, bpm, words
