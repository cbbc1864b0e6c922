"""style_transfer: speech in a reference recording's voice (Piper + WORLD morphing, CSM)."""
