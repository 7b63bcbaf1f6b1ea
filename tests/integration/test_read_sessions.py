"""Sessions that only read (and the health check) do not queue behind SQLite's one writer."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import text

from yibao.config import Settings
from yibao.persistence.db import make_engine, make_read_session_factory, make_session_factory
from yibao.persistence.migrate import upgrade
from yibao.web.app import create_app


def test_a_read_session_answers_while_a_writer_holds_the_sqlite_write_lock(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'y.db'}"
    upgrade(url)
    engine = make_engine(url, connect_args={"timeout": 2})
    try:
        with make_session_factory(engine)() as writer:
            writer.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock is taken
            started = time.monotonic()
            with make_read_session_factory(engine)() as reader:
                assert reader.execute(text("SELECT count(*) FROM persons")).scalar() == 0
            assert time.monotonic() - started < 1  # it did not wait out the busy timeout
            writer.rollback()
    finally:
        engine.dispose()


def test_the_health_check_answers_while_a_writer_holds_the_sqlite_write_lock(
    tmp_path: Path, secret_key_file: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'y.db'}"
    upgrade(url)
    app = create_app(Settings(database_url=url, secret_key_file=secret_key_file))
    try:
        with app.state.session_factory() as writer:
            writer.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock is taken
            started = time.monotonic()
            assert TestClient(app).get("/healthz").json() == {"status": "ok"}
            assert time.monotonic() - started < 2
            writer.rollback()
    finally:
        app.state.engine.dispose()
