"""Talking head, neural catalog: Wav2Lip lip-syncs a portrait to speech (models/nets/wav2lip.py).

The face is found with the embedded tier's Haar cascade (models/talking_head/faces.py) and cut
out as Wav2Lip's face detector would (a little below the chin), at 96×96. Speech becomes
Wav2Lip's mel spectrogram; each 25 fps video frame reads the 0.2 s window that starts at
its time. The generator draws the lower half of the face for every window, in batches (on
the GPU when there is one), and that half is blended back into the portrait, feathered at
its edges; the frames and the speech are encoded by the embedded tier's MP4 encoder.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from core_agent.errors import BackendUnavailable
from media.audio import Audio
from models import stop
from models.catalog.checkpoints import CatalogEntry, NeuralBackend, torch_device
from models.settings import ModelSettings
from models.talking_head.base import TalkingHead
from models.talking_head.faces import Box, opencv, portrait_of
from models.talking_head.video import FPS, encode_mp4

log = logging.getLogger(__name__)

# Wav2Lip's hparams.py: the spectrogram the generator was trained on.
SAMPLE_RATE = 16_000  # Hz
N_FFT, HOP, WINDOW = 800, 200, 800  # samples: 50 ms windows every 12.5 ms (80 a second)
MELS, FMIN, FMAX = 80, 55.0, 7600.0  # bands, Hz
PREEMPHASIS = 0.97
MIN_LEVEL_DB, REF_LEVEL_DB = -100.0, 20.0
MAX_ABS = 4.0  # mels are scaled to [-4, 4]
MEL_STEPS = 16  # mel frames a video frame reads (0.2 s)
BATCH = 32  # video frames per generator call
CHIN_PAD = 0.1  # of the face's height added below the box (Wav2Lip pads 10 px below)
FEATHER = 0.08  # of the face's size: the blend's soft edge
CHECKPOINTS = ("wav2lip_gan.pth", "wav2lip.pth")  # preferred first


def _mel_filters() -> np.ndarray:
    """librosa.filters.mel(sr=16000, n_fft=800, n_mels=80, fmin=55, fmax=7600): Slaney's
    mel scale, each triangle normalised to unit area (MELS × N_FFT//2+1)."""
    def to_mel(hz: np.ndarray) -> np.ndarray:
        linear = hz / (200.0 / 3)
        log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
        return np.where(hz >= 1000.0, log_part, linear)

    def to_hz(mel: np.ndarray) -> np.ndarray:
        return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)),
                        mel * (200.0 / 3))

    bins = np.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    edges = to_hz(np.linspace(to_mel(np.array(FMIN)), to_mel(np.array(FMAX)), MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    return np.asarray(weights * (2.0 / (edges[2:MELS + 2] - edges[:MELS]))[:, None])


def melspectrogram(samples: np.ndarray) -> np.ndarray:
    """Wav2Lip's audio.melspectrogram of 16 kHz samples: (80, frames), in [-4, 4]."""
    from scipy import signal

    x = signal.lfilter([1.0, -PREEMPHASIS], [1.0], samples.astype(np.float64))
    x = np.pad(x, N_FFT // 2, mode="reflect" if len(x) > N_FFT // 2 else "constant")
    frames = 1 + (len(x) - N_FFT) // HOP
    index = np.arange(N_FFT)[None, :] + HOP * np.arange(frames)[:, None]
    window = signal.get_window("hann", WINDOW, fftbins=True)
    magnitude = np.abs(np.fft.rfft(x[index] * window, axis=1)).T
    min_level = np.exp(MIN_LEVEL_DB / 20 * np.log(10))
    db = 20 * np.log10(np.maximum(min_level, _mel_filters() @ magnitude)) - REF_LEVEL_DB
    scaled = 2 * MAX_ABS * (db - MIN_LEVEL_DB) / -MIN_LEVEL_DB - MAX_ABS
    return np.asarray(np.clip(scaled, -MAX_ABS, MAX_ABS), np.float32)


def mel_windows(mel: np.ndarray, frames: int) -> np.ndarray:
    """The 80×16 window each video frame reads (Wav2Lip's inference: the window starting at
    the frame's time, the last full window past the end): (frames, 80, 16)."""
    if mel.shape[1] < MEL_STEPS:
        mel = np.pad(mel, ((0, 0), (0, MEL_STEPS - mel.shape[1])), constant_values=-MAX_ABS)
    last = mel.shape[1] - MEL_STEPS
    starts = [min(int(i * 80 / FPS), last) for i in range(frames)]
    return np.stack([mel[:, s:s + MEL_STEPS] for s in starts])


def face_crop(face: Box, height: int, width: int) -> Box:
    """The region the generator redraws: the detected face, padded below the chin."""
    bottom = min(height, face.y + face.h + round(CHIN_PAD * face.h))
    x0, y0 = max(0, face.x), max(0, face.y)
    return Box(x0, y0, min(width, face.x + face.w) - x0, bottom - y0)


def lower_half_mask(box: Box) -> np.ndarray:
    """Blend weights over the crop (h, w, 1): the generated lower half, feathered."""
    cv2 = opencv()
    mask = np.zeros((box.h, box.w), np.float32)
    edge = max(2, round(FEATHER * min(box.w, box.h)))
    mask[box.h // 2:box.h - edge // 2, edge // 2:box.w - edge // 2] = 1.0
    return np.asarray(cv2.GaussianBlur(mask, (0, 0), edge / 2))[..., None]


class Wav2LipTalkingHead(NeuralBackend, TalkingHead):
    """talking_head: a portrait, or the default face, lip-synced to the speech by Wav2Lip."""

    name = "wav2lip"
    task = "talking_head"
    model = "Wav2Lip (GAN generator, 96×96 lip sync)"
    license = "Wav2Lip: non-commercial research use only; Apache-2.0 (OpenCV), LGPL-2.1+ (ffmpeg)"
    install_hint = ("set AUDIOGPT_WAV2LIP_REPO to a hub repository holding wav2lip_gan.pth, "
                    "then: audiogpt models pull talking_head")
    requires = ("torch", "cv2")
    entry = CatalogEntry("wav2lip", "", ("wav2lip_gan.pth", "*/wav2lip_gan.pth"),
                         size="436 MB", license="non-commercial research use (Wav2Lip's terms)")
    _net: Any = None

    @classmethod
    def configured_repo(cls, settings: ModelSettings) -> str | None:
        return settings.wav2lip_repo  # none is named here: the weights are community copies

    def checkpoint(self) -> Path:
        """The checkpoint file in the folder, wav2lip_gan.pth first."""
        for name in CHECKPOINTS:
            found = sorted(self.folder.rglob(name))
            if found:
                return found[0]
        raise BackendUnavailable(self.model, self.install_hint)

    def load(self) -> None:

        from models.nets.wav2lip import load_generator

        self._device = torch_device()
        self._net = load_generator(self.checkpoint(), self._device)

    def render(self, picture: Path | None, audio: Audio, sound: Path, target: Path) -> Path:
        """An MP4 of the face speaking; `sound` is the same audio as a file for the muxer.
        Unsupported when the picture has no face."""
        from scipy import signal

        image, portrait = portrait_of(picture)
        frames = max(1, round(audio.duration * FPS))
        speech = signal.resample_poly(audio.mono, SAMPLE_RATE, audio.sample_rate) \
            if audio.sample_rate != SAMPLE_RATE else audio.mono
        windows = mel_windows(melspectrogram(speech), frames)
        box = face_crop(portrait.face, *image.shape[:2])
        return encode_mp4(self._frames(image, box, windows), image.shape[1], image.shape[0],
                          sound, target)

    def _frames(self, image: np.ndarray, box: Box, windows: np.ndarray) -> Iterator[np.ndarray]:
        """The portrait with each window's generated mouth blended in, frame by frame."""
        import torch

        from models.nets.wav2lip import FACE_SIZE

        cv2 = opencv()
        crop = image[box.y:box.y + box.h, box.x:box.x + box.w]
        face = cv2.resize(crop, (FACE_SIZE, FACE_SIZE)).astype(np.float32) / 255.0
        masked = face.copy()
        masked[FACE_SIZE // 2:] = 0.0  # the generator sees the upper half and a reference
        faces = torch.from_numpy(np.concatenate([masked, face], axis=2).transpose(2, 0, 1))
        mask = lower_half_mask(box)
        for start in range(0, len(windows), BATCH):
            stop.check()
            mels = torch.from_numpy(windows[start:start + BATCH])[:, None]
            with torch.inference_mode():
                drawn = self._net(mels.to(self._device),
                                  faces[None].expand(len(mels), -1, -1, -1).to(self._device))
            for out in (drawn.float().cpu().numpy().transpose(0, 2, 3, 1) * 255.0):
                mouth = cv2.resize(out, (box.w, box.h))
                frame = image.copy()
                frame[box.y:box.y + box.h, box.x:box.x + box.w] = np.clip(
                    crop * (1 - mask) + mouth * mask, 0, 255).astype(np.uint8)
                yield frame
