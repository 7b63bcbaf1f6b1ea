"""Browser tests: a live yibao server on a fresh SQLite demo database, and headless Chromium.

Fixtures (use them from any test under ``tests/e2e/``):

- ``live_server`` -> :class:`LiveServer`: uvicorn on a free loopback port, serving the app on
  its own copy of the demo database (persons, institutions with API keys, catalog), so a test
  may change data freely. ``live_server.url`` is the base URL; ``live_server.session_factory``
  reaches the same database; ``live_server.institution_keys`` maps institution code -> API key;
  ``live_server.citizen()`` gives a demo person with a password set (for sign-in pages).
- ``browser``: Debian's Chromium (``/usr/bin/chromium``) driven by Playwright, headless, one
  per worker process. ``make test`` installs it when missing; the tests skip without it.
- ``page``: a new browser context and page where every request to a host other than
  127.0.0.1/localhost is aborted (the service must work with no internet); the aborted URLs
  are in the ``blocked_requests`` fixture, so a test can assert that nothing tried to leave.

Everything here is marked ``e2e`` and ``slow``; keep each browser test short.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from servers import LiveServer, running_server
from yibao.config import Settings
from yibao.persistence.db import make_engine, make_session_factory, unit_of_work
from yibao.persistence.migrate import upgrade
from yibao.services import demo
from yibao.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)


@dataclass
class DemoDatabase:
    """The demo data, built once per worker; each server gets a copy of the file."""

    path: Path
    institution_keys: dict[str, str]


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory, secret_key_file: Path) -> DemoDatabase:
    path = tmp_path_factory.mktemp("demo-db") / "demo.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            report = demo.load_demo(session)
    finally:
        engine.dispose()
    return DemoDatabase(path, {code: key for code, _name, key in report.keys})


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy (the source may still have a WAL file beside it)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@pytest.fixture
def live_server(
    demo_database: DemoDatabase, tmp_path: Path, secret_key_file: Path
) -> Iterator[LiveServer]:
    db_file = tmp_path / "yibao.db"
    _copy_sqlite(demo_database.path, db_file)
    settings = Settings(database_url=f"sqlite:///{db_file}", secret_key_file=secret_key_file)
    app = create_app(settings)
    with running_server(app) as url:
        yield LiveServer(
            url=url,
            settings=settings,
            session_factory=app.state.session_factory,
            institution_keys=dict(demo_database.institution_keys),
        )


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} missing: apt-get install -y chromium (make test does this)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI must run the browser tests, not skip them
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def blocked_requests() -> list[str]:
    """URLs of the requests the ``page`` fixture refused because they left this machine."""
    return []


@pytest.fixture
def page(browser: Any, blocked_requests: list[str]) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})

    def only_local(route: Any) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and host not in LOCAL_HOSTS:
            blocked_requests.append(url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    context.route("**/*", only_local)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
