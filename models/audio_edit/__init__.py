"""audio_edit: everyday edits, file to file, with ffmpeg filters."""
