"""A file too large for a page: the page answers with its own error beside the field (in
Chinese, or English when chosen), not the API's JSON 413; the API keeps its JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from page_helpers import Enrolled, PageClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from test_pages_applications import face_verified, files, png, step1

from yibao.config import Settings
from yibao.persistence.tables import Application
from yibao.services.sms import MemorySender
from yibao.web.app import create_app
from yibao.web.pages.context import LANG_COOKIE

MB = 1 << 20


def _applications(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count()).select_from(Application)) or 0)


def test_a_photo_over_the_upload_limit_is_refused_beside_its_field(
    page_client: PageClient, bound_citizen: Enrolled, session_factory: sessionmaker[Session]
) -> None:
    face_verified(session_factory, bound_citizen)
    body = files("fee_list", "diagnosis")
    body["file_invoice"] = ("invoice.png", png() + b"\0" * (20 * MB), "image/png")  # > 16 MB
    response = page_client.post_form("/claims", step1(), files=body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert 'id="e-file_invoice"' in response.text
    assert "文件过大：不能超过 5 MB" in response.text
    assert _applications(session_factory) == 0


@pytest.fixture
def small_limit_client(
    migrated_url: str, secret_key_file: Path
) -> Iterator[Callable[[], PageClient]]:
    """Browsers on an app whose form uploads may total 1 MB only."""
    app: FastAPI = create_app(
        Settings(database_url=migrated_url, secret_key_file=secret_key_file, max_upload_bytes=MB)
    )
    app.state.sms_sender = MemorySender()
    clients: list[PageClient] = []

    def make() -> PageClient:
        clients.append(PageClient(app))
        return clients[-1]

    yield make
    for c in clients:
        c.close()
    app.state.engine.dispose()


def test_a_form_still_over_the_limit_gets_a_short_page_naming_the_field(
    small_limit_client: Callable[[], PageClient],
) -> None:
    client = small_limit_client()
    body = {"file_invoice": ("invoice.png", b"\0" * (3 * MB), "image/png")}
    response = client.post_form("/claims", step1(), files=body, headers={"referer": "/claims"})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in response.text
    assert "“医疗费用发票或收据原件（盖章）”过大：一次提交的内容不能超过 1 MB" in response.text
    assert '<a href="/claims">返回</a>' in response.text
    client.cookies.set(LANG_COOKIE, "en")
    english = client.post_form("/claims", step1(), files=body)
    assert english.status_code == 413
    assert '<html lang="en">' in english.text
    assert (
        "“Original invoice or receipt for the medical costs (stamped)” is too large:"
        " one submission may carry at most 1 MB." in english.text
    )
    # declared larger than a page reads at all: refused before reading, without a field
    huge = client.post(
        "/claims",
        content=b"x" * 10,
        headers={"content-type": "multipart/form-data; boundary=b", "content-length": str(5 * MB)},
    )
    assert huge.status_code == 413
    assert "The submission is too large" in huge.text
    api = client.post(
        "/api/v1/settlements/estimate", files={"file": ("a.jpg", b"\xff" * (2 * MB), "image/jpeg")}
    )
    assert api.status_code == 413
    assert api.json()["detail"] == f"请求体过大：上限 {MB} 字节"
