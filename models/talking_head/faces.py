"""Portraits for the talking-head backends: a picture read safely, scaled to fit, and its
face, eyes and mouth found with the Haar cascades OpenCV ships; or the project's own drawn
face when none is given."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core_agent.errors import MediaError, Unsupported
from media import ffmpeg
from media.probe import MAX_PICTURE_PIXELS, probe

MAX_SIDE = 720  # pixels; larger portraits are scaled down
NO_FACE = ("I couldn't find a face in that picture. Send a photo where one face looks at "
           "the camera, well lit and not too small, or say “make the talking head with your "
           "own face” to use mine")


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


def opencv() -> Any:
    """OpenCV, imported on first use."""
    import cv2

    return cv2


def haar_cascade(name: str) -> Any:
    """One of the Haar cascades OpenCV ships, by file name."""
    cv2 = opencv()
    return cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / name))


def default_face(side: int = 512) -> tuple[np.ndarray, Portrait]:
    """The face the bot uses when it is given no picture: drawn here, with where its
    parts are (it is the project's own drawing, so nothing needs detecting)."""
    cv2 = opencv()
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
    cv2 = opencv()
    gray = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    side = min(gray.shape)
    faces = haar_cascade("haarcascade_frontalface_default.xml").detectMultiScale(
        gray, 1.1, 5, minSize=(side // 8, side // 8))
    if len(faces) == 0:
        return None
    x, y, w, h = (int(v) for v in max(faces, key=lambda f: f[2] * f[3]))
    face = Box(x, y, w, h)
    top = gray[y:y + h // 2 + h // 10, x:x + w]
    found = sorted(haar_cascade("haarcascade_eye.xml").detectMultiScale(
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
    smiles = haar_cascade("haarcascade_smile.xml").detectMultiScale(
        gray[low_top:y + h, x:x + w], 1.1, 15, minSize=(w // 6, h // 12))
    if len(smiles):
        mx, my, mw, mh = (int(v) for v in max(smiles, key=lambda s: s[2] * s[3]))
        # The cascade's box takes in the chin below the lips: keep its upper part.
        mouth = Box(x + mx, low_top + my, mw, int(mh * 0.8))
    else:
        mouth = Box(x + int(w * 0.31), y + int(h * 0.72), int(w * 0.38), int(h * 0.12))
    left, right = sorted(eyes, key=lambda e: e.x)
    return Portrait(face, mouth, (left, right))


def fit_size(image: np.ndarray) -> tuple[np.ndarray, float]:
    """The picture at most MAX_SIDE on its longer side, with even width and height
    (yuv420p needs them), and the scale applied."""
    cv2 = opencv()
    h, w = image.shape[:2]
    scale = min(1.0, MAX_SIDE / max(h, w))
    nw, nh = max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2)
    if (nw, nh) != (w, h):
        image = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)
    return image, scale


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


def read_picture(path: Path) -> np.ndarray:
    """A picture as BGR pixels (the first frame of a GIF), refused before any decoder runs
    if its header is not a picture's or claims more than MAX_PICTURE_PIXELS."""
    cv2 = opencv()
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
