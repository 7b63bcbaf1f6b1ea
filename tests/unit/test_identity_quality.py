"""The built-in identity verifier: photo quality with OpenCV's bundled Haar cascade."""

from __future__ import annotations

import face_images

from yibao.services.identity import QualityVerifier, photo_quality
from yibao.services.uploads import check_upload


def test_a_clear_bright_single_face_passes() -> None:
    assert photo_quality(face_images.face(), "本人照片").failed_check is None


def test_each_failed_check_is_named() -> None:
    assert photo_quality(face_images.dark(), "本人照片").failed_check == "brightness"
    assert photo_quality(face_images.blurred(), "本人照片").failed_check == "sharpness"
    verdict = photo_quality(face_images.no_face(), "身份证照片")
    assert verdict.failed_check == "face_count"
    assert "身份证照片中没有检测到人脸" in verdict.message
    two = photo_quality(face_images.two_faces(), "本人照片")
    assert two.failed_check == "face_count"
    assert "2 张人脸" in two.message


def test_the_quality_verifier_never_claims_the_faces_match() -> None:
    photo = check_upload("a.png", face_images.face())
    verdict = QualityVerifier().check(photo, photo)
    assert verdict.failed_check is None
    assert verdict.matched is None
