"""text_to_speech: Piper (the packaged English voice and the catalog's voices), espeak-ng,
MMS-TTS and Kokoro."""
