"""人脸认证 and 认证记录 pages: uploads checked, which check failed said, manual review after
3 automatic failures, and every attempt listed."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from page_helpers import PageClient, new_phone, register
from PIL import Image

sys.path.insert(0, str(Path(__file__).parents[2] / "unit"))
import face_images

from yibao.services.identity import Verdict
from yibao.services.uploads import CleanFile
from yibao.web.pages.context import CSRF_FIELD


def upload(client: PageClient, id_photo: tuple[str, bytes], selfie: tuple[str, bytes]) -> Any:
    return client.post(
        "/account/face",
        data={CSRF_FIELD: client.csrf()},
        files={
            "id_photo": (id_photo[0], id_photo[1], "application/octet-stream"),
            "selfie": (selfie[0], selfie[1], "application/octet-stream"),
        },
        follow_redirects=False,
    )


def test_the_face_check_needs_real_name_binding(page_client: PageClient) -> None:
    register(page_client, new_phone())
    assert page_client.get("/account/face", follow_redirects=False).status_code == 303


def test_bad_uploads_are_refused_beside_their_field(
    page_client: PageClient, bound_citizen: Any
) -> None:
    good = ("id.png", face_images.face())
    cases = [
        (("x.php.png", face_images.face()), good, "e-id_photo", "多个扩展名"),
        (("id.jpg", b"GIF89a not really"), good, "e-id_photo", "不是 JPG、PNG 或 PDF"),
        (good, ("../../selfie.png", face_images.face()), "e-selfie", "文件名不合法"),
    ]
    for id_photo, selfie, error_id, message in cases:
        response = upload(page_client, id_photo, selfie)
        assert response.status_code == 400
        assert f'id="{error_id}"' in response.text
        assert message in response.text
    missing = page_client.post_form("/account/face", {})
    assert 'id="e-id_photo"' in missing.text
    assert 'id="e-selfie"' in missing.text
    assert "还没有认证记录" in page_client.get("/account/face/records").text


def test_three_failed_checks_go_to_manual_review_and_every_attempt_is_listed(
    page_client: PageClient, bound_citizen: Any
) -> None:
    good = ("id.png", face_images.face())
    for selfie, why in (
        (face_images.dark(), "本人照片太暗"),
        (face_images.blurred(), "本人照片不够清晰"),
    ):
        response = upload(page_client, good, ("me.png", selfie))
        assert response.status_code == 303
        records = page_client.get("/account/face/records").text
        assert why in records
        assert "认证失败" in records
    third = upload(page_client, good, ("me.png", face_images.two_faces()))
    assert third.status_code == 303
    records = page_client.get("/account/face/records").text
    assert "检测到 2 张人脸" in records
    assert "已转人工审核" in records
    assert records.count("<tr>") == 1 + 3
    again = upload(page_client, good, ("me.png", face_images.face()))
    assert again.status_code == 400
    assert "人工审核中" in again.text


def test_good_photos_pass_quality_and_go_to_manual_review_without_a_matcher(
    page_client: PageClient, bound_citizen: Any
) -> None:
    response = upload(page_client, ("id.png", face_images.face()), ("me.png", face_images.face()))
    assert response.status_code == 303
    records = page_client.get("/account/face/records").text
    assert "照片质量合格" in records
    assert "人工审核中" in records


def test_a_matching_verifier_can_pass_the_check(
    page_client: PageClient, page_app: FastAPI, bound_citizen: Any
) -> None:
    class Matcher:
        name = "matcher"

        def check(self, id_photo: CleanFile, selfie: CleanFile) -> Verdict:
            return Verdict(None, "一致", matched=True)

    page_app.state.identity_verifier = Matcher()
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(out, "JPEG")
    response = upload(page_client, ("id.jpg", out.getvalue()), ("me.jpg", out.getvalue()))
    assert response.status_code == 303
    assert "认证成功" in page_client.get("/account/face/records").text
    assert "您已通过人脸认证" in page_client.get("/account/face").text
