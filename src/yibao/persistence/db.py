"""Engines, sessions and transactions for SQLite (default) and PostgreSQL.

SQLite: WAL, ``busy_timeout`` 5 s, foreign keys on, and every transaction starts with
``BEGIN IMMEDIATE`` (except in sessions from :func:`make_read_session_factory`, which only
read) so it takes the write lock up front (a deferred ``BEGIN`` that reads
then writes fails with SQLITE_BUSY at once, whatever the timeout). This uses SQLAlchemy's
documented recipe: the driver's own transaction handling off (``isolation_level = None``)
and our ``BEGIN`` emitted in the engine's ``begin`` event.

PostgreSQL: psycopg 3, READ COMMITTED; balance changes use conditional UPDATEs, and
:func:`transaction` retries serialization failures (40001) and deadlocks (40P01).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
SQLITE_BUSY_TIMEOUT_MS = 5000
READ_ONLY = "yibao_read_only"  # execution option: a SQLite transaction that only reads


def _sqlite_file(url: URL) -> Path | None:
    db = url.database
    if not db or db == ":memory:" or db.startswith("file:"):
        return None
    return Path(db)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` set up as described in this module's docstring."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    path = _sqlite_file(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    connect_args.setdefault("check_same_thread", False)
    busy_ms = int(connect_args["timeout"] * 1000)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        try:
            if path is not None:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")  # a WAL reader: never waits for the writer
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def make_read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for work that only reads. On SQLite their transactions start with a plain
    (deferred) ``BEGIN``: in WAL mode such a reader sees a consistent snapshot and neither
    waits for the one writer nor makes it wait, where ``BEGIN IMMEDIATE`` would queue every
    page view behind every settlement. Do not write in them. Elsewhere: the same as
    :func:`make_session_factory`."""
    return sessionmaker(bind=engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


def is_retryable(exc: BaseException) -> bool:
    """A PostgreSQL serialization failure or deadlock, or SQLite still busy after the timeout."""
    if not isinstance(exc, DBAPIError):
        return False
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


@contextmanager
def unit_of_work(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error. No retry."""
    with session_factory() as session, session.begin():
        yield session


def transaction(
    session_factory: sessionmaker[Session],
    work: Callable[[Session], T],
    *,
    attempts: int = 5,
    backoff_s: float = 0.02,
) -> T:
    """Run ``work(session)`` in one transaction and commit; retry it (a bounded number of
    times, with jittered backoff) when the database reports a retryable conflict.

    ``work`` must be safe to re-run: everything it did is rolled back before a retry.
    """
    for attempt in range(1, attempts + 1):
        try:
            with unit_of_work(session_factory) as session:
                return work(session)
        except DBAPIError as exc:
            if attempt == attempts or not is_retryable(exc):
                raise
            time.sleep(backoff_s * attempt * (0.5 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover
