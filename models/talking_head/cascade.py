"""Talking head, embedded tier: a portrait animated by its speech with OpenCV.

The face, eyes and mouth are found with the Haar cascades OpenCV ships
(models/talking_head/faces.py). Each video frame drops the jaw by the speech's loudness at
that moment (everything below the lips is pulled down, the opening between them darkened
as a mouth), closes the eyelids now and then, and moves the head a little, as people do
while they talk. Frames and the speech go to ffmpeg: H.264 (yuv420p) and AAC in an MP4
with the index at the front, what browsers and the chat apps play inline.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from media.audio import Audio
from models.talking_head.base import TalkingHead
from models.talking_head.faces import Box, Portrait, haar_cascade, opencv, portrait_of
from models.talking_head.video import FPS, encode_mp4

JAW_DROP = 0.10  # of the face's height, at the loudest speech
BLINK_SECONDS = 0.16
BLINK_EVERY = (2.5, 5.0)  # seconds between blinks, drawn at random in this range
HEAD_DEGREES = 1.5  # peak head roll
HEAD_PIXELS = 0.012  # peak head sway, of the face's width
SPEECH_BAND = (250.0, 3500.0)  # Hz: what the envelope listens to


def envelope(audio: Audio, frames: int) -> np.ndarray:
    """How open the mouth is in each video frame, 0..1, from the speech band's loudness."""
    from scipy import signal

    x = audio.mono.astype(np.float64)
    sos = signal.butter(4, SPEECH_BAND, btype="band", fs=audio.sample_rate, output="sos")
    band = signal.sosfilt(sos, x)
    hop = audio.sample_rate / FPS
    levels = np.array([np.sqrt(np.mean(band[int(i * hop):int((i + 1) * hop)] ** 2) + 1e-12)
                       for i in range(frames)])
    db = 20 * np.log10(levels)
    floor, top = np.percentile(db, 20), np.percentile(db, 97)
    opening = np.clip((db - max(floor, top - 40)) / max(top - max(floor, top - 40), 1e-6), 0, 1)
    out = np.zeros(frames)
    for i, value in enumerate(opening):  # opens at once, closes over a couple of frames
        out[i] = value if i == 0 or value >= out[i - 1] else 0.5 * value + 0.5 * out[i - 1]
    return out


class FaceAnimator:
    """Draws one portrait's frames."""

    def __init__(self, image: np.ndarray, portrait: Portrait, seed: int = 0) -> None:
        self.cv2 = opencv()
        self.image, self.portrait = image, portrait
        h, w = image.shape[:2]
        self.grid_x, self.grid_y = np.meshgrid(np.arange(w, dtype=np.float32),
                                               np.arange(h, dtype=np.float32))
        face, mouth = portrait.face, portrait.mouth
        mx, my = mouth.centre
        lips = max(mouth.h * 0.25, 2.0)
        below = np.clip((self.grid_y - my) / lips, 0, 1)  # 0 above the lips, 1 under them
        chin = face.y + face.h * 1.05
        fall = np.clip(1 - (self.grid_y - chin) / (face.h * 0.25), 0, 1)  # fades into the neck
        across = np.exp(-(((self.grid_x - mx) / (face.w * 0.32)) ** 2))
        self.jaw_weight = (below * fall * across).astype(np.float32)
        rng = np.random.default_rng(seed)
        self.blinks = np.cumsum(rng.uniform(*BLINK_EVERY, size=64)) - 1.0
        self.phase = rng.uniform(0, 2 * np.pi, size=3)

    def frame(self, index: int, opening: float) -> np.ndarray:
        """Frame `index` with the mouth this far open (0..1)."""
        cv2, p = self.cv2, self.portrait
        drop = opening * JAW_DROP * p.face.h
        out = cv2.remap(self.image, self.grid_x, self.grid_y - drop * self.jaw_weight,
                        cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
        if drop >= 1.0:
            self._mouth_inside(out, drop)
        t = index / FPS
        closure = self._blink(t)
        if closure > 0:
            for eye in p.eyes:
                self._eyelid(out, eye, closure)
        return self._head_motion(out, t)

    def _mouth_inside(self, out: np.ndarray, drop: float) -> None:
        cv2, mouth = self.cv2, self.portrait.mouth
        mx, my = mouth.centre
        mask = np.zeros(out.shape[:2], np.float32)
        centre = (round(mx), round(my + drop / 2))
        cv2.ellipse(mask, centre, (max(2, round(mouth.w * 0.3)), max(1, round(drop / 2))), 0, 0,
                    360, 1.0, -1, cv2.LINE_AA)
        mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, drop / 8))[..., None]
        inside = np.empty_like(out)
        inside[:] = (30, 25, 70)  # BGR: a dark, reddish mouth
        teeth_band = (self.grid_y < my + drop * 0.15)[..., None]
        inside = np.where(teeth_band, np.array([190, 200, 210], np.uint8), inside)
        out[:] = (out * (1 - mask) + inside * mask).astype(np.uint8)

    def _blink(self, t: float) -> float:
        """How far the eyes are closed at time t (0 open .. 1 shut)."""
        near = self.blinks[np.argmin(np.abs(self.blinks - t))]
        phase = abs(t - near) / (BLINK_SECONDS / 2)
        return float(max(0.0, 1.0 - phase))

    def _eyelid(self, out: np.ndarray, eye: Box, closure: float) -> None:
        above = self.image[max(0, eye.y - eye.h // 2):eye.y, eye.x:eye.x + eye.w]
        skin = np.median(above.reshape(-1, 3), axis=0) if above.size else np.array([150, 170, 200])
        lid = round(eye.h * closure)
        if lid <= 0:
            return
        region = out[eye.y:eye.y + lid, eye.x:eye.x + eye.w]
        ramp = np.linspace(1.0, 0.7, region.shape[0])[:, None, None]
        region[:] = (region * (1 - ramp) + skin * ramp).astype(np.uint8)

    def _head_motion(self, out: np.ndarray, t: float) -> np.ndarray:
        cv2, face = self.cv2, self.portrait.face
        a, b, c = self.phase
        angle = HEAD_DEGREES * (0.7 * np.sin(2 * np.pi * 0.23 * t + a)
                                + 0.3 * np.sin(2 * np.pi * 0.51 * t + b))
        shift = HEAD_PIXELS * face.w
        matrix = cv2.getRotationMatrix2D(face.centre, angle, 1.0)
        matrix[0, 2] += shift * np.sin(2 * np.pi * 0.17 * t + c)
        matrix[1, 2] += 0.5 * shift * np.sin(2 * np.pi * 0.29 * t + a)
        return np.asarray(cv2.warpAffine(out, matrix, (out.shape[1], out.shape[0]),
                                         borderMode=cv2.BORDER_REFLECT101))


class CascadeTalkingHead(TalkingHead):
    """A portrait, or the default face, speaking the given audio."""

    name = "opencv-talking-head"
    task = "talking_head"
    model = "OpenCV Haar cascades + loudness-driven jaw, blinks and head motion"
    license = "Apache-2.0 (OpenCV, this project), LGPL-2.1+ (ffmpeg)"
    install_hint = "pip install opencv-python-headless; apt-get install ffmpeg"
    requires = ("cv2",)

    def load(self) -> None:
        haar_cascade("haarcascade_frontalface_default.xml")

    def render(self, picture: Path | None, audio: Audio, sound: Path, target: Path) -> Path:
        """An MP4 of the face speaking; `sound` is the same audio as a file for the muxer.
        Unsupported when the picture has no face."""
        image, portrait = portrait_of(picture)
        frames = max(1, round(audio.duration * FPS))
        opening = envelope(audio, frames)
        animator = FaceAnimator(image, portrait)
        return encode_mp4((animator.frame(i, float(opening[i])) for i in range(frames)),
                          image.shape[1], image.shape[0], sound, target)


