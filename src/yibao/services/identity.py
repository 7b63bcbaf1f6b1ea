"""人脸认证 (identity check): an ID-card photo and a selfie, judged by a pluggable verifier.

The built-in :class:`QualityVerifier` checks photo quality only, with OpenCV's bundled Haar
cascade (``cv2.data.haarcascades``, no download): bright enough, sharp enough (variance of
the Laplacian), exactly one face in each photo. It cannot tell whether the two faces are the
same person, so a photo pair that passes goes to manual review — as does every case after
:data:`MAX_AUTOMATIC_FAILURES` failed automatic checks, and every case when no verifier is
configured. A deployment with a face-matching service plugs in an object with the
:class:`Verifier` method that returns ``matched=True`` or ``False``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.persistence.tables import CitizenUser, IdentityCheck
from yibao.services import uploads
from yibao.services.uploads import CleanFile

MAX_AUTOMATIC_FAILURES = 3
MIN_BRIGHTNESS = 60.0  # mean grey level, 0–255
MAX_BRIGHTNESS = 230.0
MIN_SHARPNESS = 30.0  # variance of the Laplacian on the image scaled to 640 px
WORK_SIDE = 640


@dataclass(frozen=True, slots=True)
class Verdict:
    """``failed_check``: brightness, sharpness, face_count, match, file (None if all passed).
    ``matched``: True/False from a face-matching verifier, None if it does not compare."""

    failed_check: str | None
    message: str
    matched: bool | None = None


class Verifier(Protocol):
    name: str

    def check(self, id_photo: CleanFile, selfie: CleanFile) -> Verdict: ...


@functools.cache
def _cascade() -> Any:
    import cv2

    path = Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml"  # type: ignore[attr-defined]
    cascade = cv2.CascadeClassifier(str(path))
    if cascade.empty():  # pragma: no cover - a broken OpenCV install
        raise RuntimeError(f"cannot load {path}")
    return cascade


def _grey(data: bytes) -> Any:
    import cv2

    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
    if img is None:
        return None
    h, w = img.shape[:2]
    scale = WORK_SIDE / max(h, w)
    if scale < 1:
        img = cv2.resize(img, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    return img


def photo_quality(data: bytes, which: str) -> Verdict:
    """Brightness, sharpness and exactly one face, in that order; the first failure wins."""
    import cv2

    img = _grey(data)
    if img is None:
        return Verdict("file", f"{which}无法读取，请上传 JPG 或 PNG 照片")
    brightness = float(img.mean())
    if brightness < MIN_BRIGHTNESS:
        return Verdict("brightness", f"{which}太暗，请在光线充足处重拍")
    if brightness > MAX_BRIGHTNESS:
        return Verdict("brightness", f"{which}过曝（太亮），请避开强光重拍")
    sharpness = float(cv2.Laplacian(img, cv2.CV_64F).var())
    if sharpness < MIN_SHARPNESS:
        return Verdict("sharpness", f"{which}不够清晰，请对焦后重拍，保持手机稳定")
    faces = _cascade().detectMultiScale(img, scaleFactor=1.1, minNeighbors=4, minSize=(48, 48))
    if len(faces) == 0:
        return Verdict("face_count", f"{which}中没有检测到人脸，请正对镜头，露出完整面部")
    if len(faces) > 1:
        return Verdict("face_count", f"{which}中检测到 {len(faces)} 张人脸，请只拍本人")
    return Verdict(None, f"{which}质量合格")


class QualityVerifier:
    """Photo quality only (see the module docstring); never decides that faces match."""

    name = "quality"

    def check(self, id_photo: CleanFile, selfie: CleanFile) -> Verdict:
        for clean, which in ((id_photo, "身份证照片"), (selfie, "本人照片")):
            if clean.media_type == "application/pdf":
                return Verdict("file", f"{which}请上传 JPG 或 PNG 照片，不能是 PDF")
            verdict = photo_quality(clean.data, which)
            if verdict.failed_check:
                return verdict
        return Verdict(None, "照片质量合格")


def automatic_failures(session: Session, user: CitizenUser) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(IdentityCheck)
            .where(IdentityCheck.user_id == user.id, IdentityCheck.result == "failed")
        )
        or 0
    )


def pending_review(session: Session, user: CitizenUser) -> IdentityCheck | None:
    return session.scalars(
        select(IdentityCheck)
        .where(IdentityCheck.user_id == user.id, IdentityCheck.result == "manual_review")
        .order_by(IdentityCheck.id.desc())
        .limit(1)
    ).first()


def records(session: Session, user: CitizenUser) -> list[IdentityCheck]:
    return list(
        session.scalars(
            select(IdentityCheck)
            .where(IdentityCheck.user_id == user.id)
            .order_by(IdentityCheck.id.desc())
        )
    )


def submit(
    session: Session,
    user: CitizenUser,
    id_photo: CleanFile,
    selfie: CleanFile,
    verifier: Verifier | None,
    upload_dir: Path,
    now: datetime,
) -> IdentityCheck:
    """Run one attempt and record it (the caller commits). Results: ``passed`` (a matching
    verifier said so), ``failed`` (a check failed: which one, and why), or ``manual_review``
    (quality passed but nothing compares faces, no verifier, or the 3rd automatic failure)."""
    failures = automatic_failures(session, user)
    if verifier is None:
        verdict = Verdict(None, "未配置自动核验，已转人工审核")
        name = "none"
    else:
        verdict = verifier.check(id_photo, selfie)
        name = verifier.name
    if verdict.failed_check is not None:
        result = "failed"
        message = verdict.message
        if failures + 1 >= MAX_AUTOMATIC_FAILURES:
            result = "manual_review"
            message = f"{verdict.message}。自动审核已失败 {MAX_AUTOMATIC_FAILURES} 次，已转人工审核（一般不超过一周）"
    elif verdict.matched is True:
        result, message = "passed", "认证成功"
    elif verdict.matched is False:
        result, message = "failed", "本人照片与身份证照片不是同一人"
    else:
        result = "manual_review"
        message = f"{verdict.message}，已转人工审核（一般不超过一周）"
    check = IdentityCheck(
        user_id=user.id,
        verifier=name,
        result=result,
        failed_check=verdict.failed_check or ("match" if verdict.matched is False else None),
        message=message[:200],
        id_photo=uploads.store(upload_dir, id_photo),
        selfie=uploads.store(upload_dir, selfie),
        created_at=now,
    )
    session.add(check)
    if result == "passed":
        user.face_verified_at = now
    session.flush()
    return check
