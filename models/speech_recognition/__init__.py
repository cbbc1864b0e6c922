"""speech_recognition: speech to text, with Whisper in three engines and a batching layer."""
