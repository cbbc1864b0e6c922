"""talking_head: a portrait speaking the given audio (OpenCV animation, Wav2Lip lip sync)."""
