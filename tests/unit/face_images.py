"""Synthetic photos for identity-check tests: a drawn face that OpenCV's frontal-face Haar
cascade detects, and its dark, blurred, empty and two-face variants (PNG bytes)."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np


def face_array(size: int = 400) -> Any:
    img = np.full((size, size), 170, np.uint8)
    c = size // 2
    cv2.ellipse(img, (c, c + 10), (110, 140), 0, 0, 360, 200, -1)
    cv2.ellipse(img, (c, c - 110), (120, 60), 0, 180, 360, 40, -1)
    for dx in (-45, 45):
        cv2.ellipse(img, (c + dx, c - 25), (22, 11), 0, 0, 360, 255, -1)
        cv2.circle(img, (c + dx, c - 25), 9, 20, -1)
        cv2.line(img, (c + dx - 25, c - 50), (c + dx + 25, c - 52), 50, 6)
    cv2.line(img, (c, c - 15), (c - 10, c + 35), 120, 4)
    cv2.ellipse(img, (c, c + 70), (40, 14), 0, 0, 180, 60, 5)
    return cv2.GaussianBlur(img, (3, 3), 0)


def png(img: Any) -> bytes:
    ok, buf = cv2.imencode(".png", img)
    assert ok
    return bytes(buf.tobytes())


def face() -> bytes:
    return png(face_array())


def dark() -> bytes:
    return png((face_array() * 0.2).astype(np.uint8))


def blurred() -> bytes:
    return png(cv2.GaussianBlur(face_array(), (31, 31), 0))


def no_face() -> bytes:
    rng = np.random.default_rng(1)
    return png(rng.integers(60, 200, (400, 400), dtype=np.uint8))


def two_faces() -> bytes:
    return png(np.hstack([face_array(), face_array()]))
