"""speech_translation: speech in one language to text in another (Whisper, SeamlessM4T)."""
