"""Static files as a browser gets them: the vendored ECharts build as the shipped brotli file
when the browser accepts br (keeping the chart page under its 150 KB budget), gzip otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from yibao.config import Settings
from yibao.web.app import create_app
from yibao.web.pages import STATIC_DIR

ECHARTS = "/static/vendor/echarts/echarts.yibao.min.js"
PAGE_BUDGET = 150 * 1024


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("static")
    app = create_app(
        Settings(database_url=f"sqlite:///{tmp / 'y.db'}", secret_key_file=Path(tmp / "none.key"))
    )
    return TestClient(app)


def test_a_browser_that_accepts_brotli_gets_the_shipped_brotli_file(client: TestClient) -> None:
    r = client.get(ECHARTS, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "br"
    assert "javascript" in r.headers["content-type"]
    assert r.headers["vary"] == "Accept-Encoding"
    shipped = (STATIC_DIR / "vendor/echarts/echarts.yibao.min.js.br").read_bytes()
    assert r.num_bytes_downloaded == len(shipped)
    # with the page's own HTML and CSS (a few KB), the chart page stays within its budget
    assert len(shipped) < PAGE_BUDGET - 10 * 1024


def test_a_browser_without_brotli_gets_gzip_and_the_same_script(client: TestClient) -> None:
    r = client.get(ECHARTS, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "gzip"
    plain = (STATIC_DIR / "vendor/echarts/echarts.yibao.min.js").read_bytes()
    assert r.content == plain
    assert r.num_bytes_downloaded < len(plain) // 2


def test_files_without_a_brotli_sibling_are_served_as_before(client: TestClient) -> None:
    css = next(p for p in STATIC_DIR.rglob("*.css"))
    url = "/static/" + css.relative_to(STATIC_DIR).as_posix()
    r = client.get(url, headers={"Accept-Encoding": "br"})
    assert r.status_code == 200
    assert "content-encoding" not in r.headers
    assert r.content == css.read_bytes()
