"""Talking head, embedded tier: a portrait animated by its speech with OpenCV.

The face, eyes and mouth are found with the Haar cascades OpenCV ships. Each video frame
drops the jaw by the speech's loudness at that moment (everything below the lips is
pulled down, the opening between them darkened as a mouth), closes the eyelids now and
then, and moves the head a little, as people do while they talk. Frames and the speech
go to ffmpeg: H.264 (yuv420p) and AAC in an MP4 with the index at the front, what
browsers and the chat apps play inline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import signal

from media import ffmpeg
from media.audio import Audio
from media.probe import MAX_PICTURE_PIXELS, probe
from models.base import TalkingHead
from models.errors import MediaError, Unsupported

FPS = 25
MAX_SIDE = 720  # pixels; larger portraits are scaled down
JAW_DROP = 0.10  # of the face's height, at the loudest speech
BLINK_SECONDS = 0.16
BLINK_EVERY = (2.5, 5.0)  # seconds between blinks, drawn at random in this range
HEAD_DEGREES = 1.5  # peak head roll
HEAD_PIXELS = 0.012  # peak head sway, of the face's width
SPEECH_BAND = (250.0, 3500.0)  # Hz: what the envelope listens to
NO_FACE = ("I couldn't find a face in that picture. Send a photo where one face looks at "
           "the camera, well lit and not too small, or ask without a picture to use my "
           "default face.")


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels."""

    x: int
    y: int
    w: int
    h: int

    @property
    def centre(self) -> tuple[float, float]:
        """(x, y) of its middle."""
        return self.x + self.w / 2, self.y + self.h / 2


@dataclass(frozen=True)
class Portrait:
    """Where the face's parts are in a picture."""

    face: Box
    mouth: Box
    eyes: tuple[Box, Box]


def _cv2() -> Any:
    import cv2

    return cv2


def _cascade(name: str) -> Any:
    cv2 = _cv2()
    return cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / name))


def default_face(side: int = 512) -> tuple[np.ndarray, Portrait]:
    """The face the bot uses when it is given no picture: drawn here, with where its
    parts are (it is the project's own drawing, so nothing needs detecting)."""
    cv2 = _cv2()
    img = np.zeros((side, side, 3), np.uint8)
    yy = np.linspace(0, 1, side)[:, None, None]
    img[:] = (np.array([120, 90, 60]) * (1 - yy) + np.array([200, 170, 140]) * yy).astype(np.uint8)
    s = side / 512
    cx, cy = side // 2, int(250 * s)
    skin = (150, 180, 225)
    cv2.ellipse(img, (cx, int(470 * s)), (int(150 * s), int(90 * s)), 0, 180, 360, (70, 60, 50),
                -1)  # shoulders
    cv2.rectangle(img, (cx - int(45 * s), int(330 * s)), (cx + int(45 * s), int(420 * s)),
                  (130, 160, 205), -1)  # neck
    cv2.ellipse(img, (cx, cy), (int(120 * s), int(155 * s)), 0, 0, 360, skin, -1)
    cv2.ellipse(img, (cx, cy - int(95 * s)), (int(128 * s), int(80 * s)), 0, 180, 360,
                (40, 50, 70), -1)  # hair
    eyes = []
    for dx in (-45, 45):
        ex, ey = cx + int(dx * s), cy - int(20 * s)
        cv2.ellipse(img, (ex, ey), (int(22 * s), int(12 * s)), 0, 0, 360, (245, 245, 245), -1)
        cv2.circle(img, (ex, ey), int(9 * s), (60, 80, 110), -1)
        cv2.circle(img, (ex, ey), int(4 * s), (20, 20, 20), -1)
        cv2.line(img, (ex - int(24 * s), ey - int(24 * s)), (ex + int(22 * s), ey - int(28 * s)),
                 (40, 50, 70), max(2, int(5 * s)))  # brow
        eyes.append(Box(ex - int(24 * s), ey - int(14 * s), int(48 * s), int(28 * s)))
    cv2.line(img, (cx, cy), (cx - int(8 * s), cy + int(35 * s)), (120, 150, 200),
             max(2, int(3 * s)))  # nose
    my = cy + int(70 * s)
    cv2.ellipse(img, (cx, my), (int(38 * s), int(8 * s)), 0, 0, 360, (90, 90, 180), -1)  # lips
    cv2.line(img, (cx - int(36 * s), my), (cx + int(36 * s), my), (50, 50, 110), max(1, int(2 * s)))
    img = cv2.GaussianBlur(img, (0, 0), 1.2 * s)
    face = Box(cx - int(120 * s), cy - int(130 * s), int(240 * s), int(270 * s))
    mouth = Box(cx - int(40 * s), my - int(12 * s), int(80 * s), int(24 * s))
    return img, Portrait(face, mouth, (eyes[0], eyes[1]))


def locate(image: np.ndarray) -> Portrait | None:
    """The largest face in the picture with its eyes and mouth, or None."""
    cv2 = _cv2()
    gray = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    side = min(gray.shape)
    faces = _cascade("haarcascade_frontalface_default.xml").detectMultiScale(
        gray, 1.1, 5, minSize=(side // 8, side // 8))
    if len(faces) == 0:
        return None
    x, y, w, h = (int(v) for v in max(faces, key=lambda f: f[2] * f[3]))
    face = Box(x, y, w, h)
    top = gray[y:y + h // 2 + h // 10, x:x + w]
    found = sorted(_cascade("haarcascade_eye.xml").detectMultiScale(
        top, 1.1, 5, minSize=(w // 10, w // 10)), key=lambda e: -e[2] * e[3])[:2]
    eyes = [Box(x + int(ex), y + int(ey), int(ew), int(eh)) for ex, ey, ew, eh in found]
    if len(eyes) == 1:  # the other mirrored across the face's middle
        e = eyes[0]
        eyes.append(Box(int(2 * (x + w / 2) - e.x - e.w), e.y, e.w, e.h))
    if len(eyes) < 2:
        size = w // 5
        eyes = [Box(x + int(w * f) - size // 2, y + int(h * 0.38) - size // 3, size, size * 2 // 3)
                for f in (0.3, 0.7)]
    low_top = y + h * 2 // 3
    smiles = _cascade("haarcascade_smile.xml").detectMultiScale(
        gray[low_top:y + h, x:x + w], 1.1, 15, minSize=(w // 6, h // 12))
    if len(smiles):
        mx, my, mw, mh = (int(v) for v in max(smiles, key=lambda s: s[2] * s[3]))
        # The cascade's box takes in the chin below the lips: keep its upper part.
        mouth = Box(x + mx, low_top + my, mw, int(mh * 0.8))
    else:
        mouth = Box(x + int(w * 0.31), y + int(h * 0.72), int(w * 0.38), int(h * 0.12))
    left, right = sorted(eyes, key=lambda e: e.x)
    return Portrait(face, mouth, (left, right))


def envelope(audio: Audio, frames: int) -> np.ndarray:
    """How open the mouth is in each video frame, 0..1, from the speech band's loudness."""
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
        self.cv2 = _cv2()
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


def fit_size(image: np.ndarray) -> tuple[np.ndarray, float]:
    """The picture at most MAX_SIDE on its longer side, with even width and height
    (yuv420p needs them), and the scale applied."""
    cv2 = _cv2()
    h, w = image.shape[:2]
    scale = min(1.0, MAX_SIDE / max(h, w))
    nw, nh = max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2)
    if (nw, nh) != (w, h):
        image = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
    return image, scale


class CascadeTalkingHead(TalkingHead):
    """A portrait, or the default face, speaking the given audio."""

    name = "opencv-talking-head"
    task = "talking_head"
    model = "OpenCV Haar cascades + loudness-driven jaw, blinks and head motion"
    license = "Apache-2.0 (OpenCV, this project), LGPL-2.1+ (ffmpeg)"
    install_hint = "pip install opencv-python-headless; apt-get install ffmpeg"
    requires = ("cv2",)

    def load(self) -> None:
        _cascade("haarcascade_frontalface_default.xml")

    def render(self, picture: Path | None, audio: Audio, sound: Path, target: Path) -> Path:
        """An MP4 of the face speaking; `sound` is the same audio as a file for the muxer.
        Unsupported when the picture has no face."""
        image, portrait = portrait_of(picture)
        frames = max(1, round(audio.duration * FPS))
        opening = envelope(audio, frames)
        animator = FaceAnimator(image, portrait)
        return encode_mp4((animator.frame(i, float(opening[i])) for i in range(frames)),
                          image.shape[1], image.shape[0], sound, target)


def portrait_of(picture: Path | None) -> tuple[np.ndarray, Portrait]:
    """The picture (scaled to fit) and where its face is, or the default face; Unsupported
    when the picture has no face."""
    if picture is None:
        return default_face()
    image, _ = fit_size(read_picture(picture))
    found = locate(image)
    if found is None:
        raise Unsupported(NO_FACE)
    return image, found


def encode_mp4(frames: Iterable[np.ndarray], width: int, height: int, sound: Path,
               target: Path) -> Path:
    """BGR frames at FPS and the sound file as an H.264 + AAC MP4, index at the front."""
    ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24",
                "-s", f"{width}x{height}", "-r", str(FPS), "-i", "-", *ffmpeg.input_args(sound),
                "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast",
                "-crf", "23", "-pix_fmt", "yuv420p", "-profile:v", "high", "-c:a", "aac",
                "-b:a", "128k", "-ar", "48000", "-movflags", "+faststart", str(target)],
               stdin=(frame.tobytes() for frame in frames))
    return target


def read_picture(path: Path) -> np.ndarray:
    """A picture as BGR pixels (the first frame of a GIF), refused before any decoder runs
    if its header is not a picture's or claims more than MAX_PICTURE_PIXELS."""
    cv2 = _cv2()
    facts = probe(path)
    if facts.kind != "image" or (facts.width or 0) * (facts.height or 0) > MAX_PICTURE_PIXELS:
        raise MediaError("the picture is not one I can read, or too large to open")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:  # a format OpenCV can't read (GIF): ffmpeg's first frame as PNG
        png, _ = ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", *ffmpeg.input_args(path),
                             "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-"])
        image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR) if png else None
    if image is None:
        raise MediaError("the picture could not be read")
    return np.asarray(image)
