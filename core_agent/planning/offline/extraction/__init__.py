"""Argument extraction for the offline planner: pure functions from request text to values.

Each function reads one kind of value and returns None when the text has none:
`words` (quoted text, what to say, languages, voice names, the sound asked about),
`quantities` (times, lengths, speed, pitch, volume, counts, direction and distance),
`music` (lyrics, notes, beats, tunes) and `edits` (the audio_edit operation).
Each task's spec reads its own arguments with them (`Asking.read`).
"""
