"""Engines, sessions and transactions for SQLite (default) and PostgreSQL.

SQLite: WAL, ``busy_timeout`` 5 s, foreign keys on, and every transaction starts with
``BEGIN IMMEDIATE`` (except in sessions from :func:`make_read_session_factory`, which only
read) so it takes the write lock up front (a deferred ``BEGIN`` that reads
then writes fails with SQLITE_BUSY at once, whatever the timeout). This uses SQLAlchemy's
documented recipe: the driver's own transaction handling off (``isolation_level = None``)
and our ``BEGIN`` emitted in the engine's ``begin`` event.

PostgreSQL: psycopg 3, READ COMMITTED; balance changes use conditional UPDATEs, and
:func:`transaction` retries serialization failures (40001) and deadlocks (40P01). No
``pool_pre_ping`` (it costs a round trip per checkout): a connection found dead is
invalidated by SQLAlchemy, and the exactly-once entry point retries the message on a fresh
one (:func:`run_in_transaction` with ``retry_disconnect``).

Hot paths work on a Core :class:`~sqlalchemy.engine.Connection` with driver-level SQL
(:func:`run_in_transaction`, :class:`Batch`): statements are written once with ``:name``
parameters and sent as they are, several in one round trip on PostgreSQL (psycopg's
pipeline mode).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from yibao.persistence import pipeline

T = TypeVar("T")

# serialization failure, deadlock, and a prepared statement of ours gone (pipeline.py)
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", pipeline.MISSING_STATEMENT})
SQLITE_BUSY_TIMEOUT_MS = 5000
READ_ONLY = "yibao_read_only"  # execution option: a SQLite transaction that only reads
POOL_SIZE = 20  # PostgreSQL connections kept open per process (opened only when needed)


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
    # keep up to POOL_SIZE connections open: with SQLAlchemy's default of 5, a worker serving
    # more concurrent requests closed and reopened connections all the time (a new backend
    # and new prepared statements each), and under an open-loop 400/s fell behind for good
    kwargs.setdefault("pool_size", POOL_SIZE)
    # psycopg's own statement preparing off: it answers a ROLLBACK with DEALLOCATE ALL, which
    # would drop the statements Batch prepares (persistence/pipeline.py)
    kwargs.setdefault("connect_args", {}).setdefault("prepare_threshold", None)
    engine = create_engine(parsed, **kwargs)
    _commit_sends_pending(engine)
    return engine


def _commit_sends_pending(engine: Engine) -> None:
    """The engine's COMMIT carries the statements of :meth:`Batch.run_with_commit` (one round
    trip); a ROLLBACK drops them. SQLAlchemy has no event for the DBAPI commit itself, so
    the dialect's ``do_commit``/``do_rollback`` of this engine are wrapped; they get the
    pooled connection, whose ``info`` holds the waiting batch."""
    dialect = engine.dialect
    plain_commit, plain_rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        pending = _take_pending(dbapi_connection)
        if pending is None:
            plain_commit(dbapi_connection)
        else:
            pending.run(commit=True)

    def do_rollback(dbapi_connection: Any) -> None:
        _take_pending(dbapi_connection)
        plain_rollback(dbapi_connection)

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]


def _take_pending(dbapi_connection: Any) -> Batch | None:
    try:
        info = dbapi_connection.info
    except NotImplementedError:  # the engine's first connection: it has no pool entry yet
        return None
    pending: Batch | None = info.pop(_PENDING, None)
    return pending


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
    """A PostgreSQL serialization failure or deadlock, or SQLite still busy after the timeout.
    Also a driver error raised outside SQLAlchemy (at the end of a psycopg pipeline)."""
    if not isinstance(exc, DBAPIError):
        return getattr(exc, "sqlstate", None) in RETRYABLE_SQLSTATES
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def is_disconnect(exc: BaseException) -> bool:
    """The connection died (server restart, network): SQLAlchemy has invalidated it."""
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


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
    retry_disconnect: bool = False,
) -> T:
    """Run ``work(session)`` in one transaction and commit; retry it (a bounded number of
    times, with jittered backoff) when the database reports a retryable conflict, and with
    ``retry_disconnect`` when the connection died (only for work safe to run twice).

    ``work`` must be safe to re-run: everything it did is rolled back before a retry.
    """
    for attempt in range(1, attempts + 1):
        try:
            with unit_of_work(session_factory) as session:
                return work(session)
        except DBAPIError as exc:
            if attempt == attempts:
                raise
            if not (is_retryable(exc) or (retry_disconnect and is_disconnect(exc))):
                raise
            time.sleep(backoff_s * attempt * (0.5 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover


def run_in_transaction(
    engine: Engine,
    work: Callable[[Connection], T],
    *,
    attempts: int = 5,
    backoff_s: float = 0.02,
    retry_disconnect: bool = False,
) -> T:
    """Like :func:`transaction` on a Core connection: ``work(conn)`` in one transaction,
    committed, retried on a retryable conflict (and, with ``retry_disconnect``, on a dead
    connection: only for work that is safe to run twice, such as a msgid-claimed message)."""
    for attempt in range(1, attempts + 1):
        try:
            with engine.connect() as conn, conn.begin():
                return work(conn)
        except Exception as exc:
            if attempt == attempts:
                raise
            if not (is_retryable(exc) or (retry_disconnect and is_disconnect(exc))):
                raise
            time.sleep(backoff_s * attempt * (0.5 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover


Rows = list[tuple[Any, ...]]
# on each pooled connection (its pool entry's info, cleared when it is replaced): the
# statements prepared on it, and a Batch waiting to go with the COMMIT
_PREPARED = "yibao_prepared"
_PENDING = "yibao_pending"


class Batch:
    """Statements sent together on a Core connection's transaction: in one round trip on
    PostgreSQL (one libpq pipeline, :mod:`yibao.persistence.pipeline`), one after another
    in process on SQLite. Each is written once with ``:name`` parameters and handed to the
    driver as it is: no SQL compilation, no result objects beyond the rows. SQLAlchemy's
    ``before_cursor_execute`` and ``after_cursor_execute`` events still fire for every
    statement, and a driver error is raised as SQLAlchemy's exception for it
    (``IntegrityError``, ``OperationalError``; a dead connection is invalidated), so callers
    handle errors as for any statement.

    On PostgreSQL a failed statement aborts the transaction and the statements after it
    are skipped; the error is raised by :meth:`run` and names the statement.
    :meth:`run_with_commit` sends the last batch of a transaction with its COMMIT.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        # a list of parameter sets: the statement is executed once for each (executemany)
        self.statements: list[tuple[str, dict[str, Any] | list[dict[str, Any]]]] = []

    def add(self, statement: str, params: Mapping[str, Any] | None = None) -> int:
        """Queue a statement; returns its index in :meth:`run`'s result."""
        self.statements.append((statement, dict(params or {})))
        return len(self.statements) - 1

    def add_many(self, statement: str, rows: list[dict[str, Any]]) -> int:
        """Queue one statement executed for each of ``rows`` (the driver's executemany:
        the statement is parsed and prepared once); it returns no rows."""
        self.statements.append((statement, rows))
        return len(self.statements) - 1

    def run_with_commit(self) -> None:
        """Send the queued statements with the transaction's COMMIT, in the same round trip
        on PostgreSQL: they wait on the connection until the transaction commits (after
        SQLAlchemy's ``commit`` event, as for any commit; an error in them is raised by the
        commit) and are dropped if it rolls back. On SQLite they run now. Nothing may be
        sent on the connection in between except by another :class:`Batch`, which sends
        them first."""
        if self.conn.dialect.name == "sqlite":
            self.run()
            return
        info = self.conn.connection.info
        pending = info.setdefault(_PENDING, Batch(self.conn))
        pending.statements += self.statements
        self.statements = []

    def run(self, *, commit: bool = False) -> list[Rows]:
        """Send the queued statements (with ``commit``: and COMMIT); the rows each returned
        (empty for most writes)."""
        statements, self.statements = self.statements, []
        conn = self.conn
        driver: Any = conn.connection.driver_connection
        events = conn._has_events or conn.engine._has_events
        if conn.dialect.name == "sqlite":
            return self._run_sqlite(driver, statements, events)
        info = conn.connection.info
        pending = info.pop(_PENDING, None)
        if pending is not None:  # statements waiting for the commit go first
            statements = pending.statements + statements
        cache = info.get(_PREPARED)
        if cache is None:
            cache = info[_PREPARED] = pipeline.Statements(driver)
        cursor = driver.cursor() if events else None  # only for the event listeners

        def before(_index: int, statement: str, params: Any) -> None:
            self._fire_before(cursor, statement, params, True)

        try:
            out = pipeline.run(
                driver, cache, statements, commit=commit, before=before if events else None
            )
        except pipeline.Failed as failed:
            statement: str = failed.command
            params: Any = {}
            if failed.index >= 0:
                statement, params = statements[failed.index]
            raise self._error(failed.error, driver, statement, params) from failed.error
        except conn.dialect.loaded_dbapi.Error as exc:
            raise self._error(exc, driver, "(pipeline)", {}) from exc
        except BaseException:
            if driver.pgconn.pipeline_status:
                conn.invalidate()  # broken off mid-exchange: the connection can't be reused
            raise
        if events:
            for statement, params in statements:
                self._fire_after(cursor, pipeline.numbered(statement)[0].decode(), params, True)
        return out

    def _error(self, exc: Exception, driver: Any, statement: str, params: Any) -> DBAPIError:
        """The driver's error as SQLAlchemy raises it (a dead connection invalidated)."""
        conn = self.conn
        invalidated = conn.dialect.is_disconnect(exc, driver, None)  # type: ignore[arg-type]
        if invalidated or driver.pgconn.pipeline_status:
            conn.invalidate(exc)
        error = DBAPIError.instance(
            statement,
            params,
            exc,
            conn.dialect.loaded_dbapi.Error,
            connection_invalidated=invalidated,
            dialect=conn.dialect,
        )
        assert isinstance(error, DBAPIError)
        return error

    def _run_sqlite(
        self, driver: Any, statements: list[tuple[str, Any]], events: bool
    ) -> list[Rows]:
        current: tuple[str, Any] | None = None
        try:
            out: list[Rows] = []
            cursor = driver.cursor()
            for current in statements:
                self._fire_before(cursor, *current, events)
                if isinstance(current[1], list):
                    cursor.executemany(*current)
                else:
                    cursor.execute(*current)
                out.append(cursor.fetchall())
                self._fire_after(cursor, *current, events)
            return out
        except self.conn.dialect.loaded_dbapi.Error as exc:
            statement, params = current or ("(batch)", {})
            raise DBAPIError.instance(
                statement,
                params,
                exc,
                self.conn.dialect.loaded_dbapi.Error,
                dialect=self.conn.dialect,
            ) from exc

    def _fire_before(self, cursor: Any, statement: str, params: Any, events: bool) -> None:
        if events:
            many = isinstance(params, list)
            for fn in self.conn.dispatch.before_cursor_execute:
                fn(self.conn, cursor, statement, params, None, many)

    def _fire_after(self, cursor: Any, statement: str, params: Any, events: bool) -> None:
        if events:
            many = isinstance(params, list)
            for fn in self.conn.dispatch.after_cursor_execute:
                fn(self.conn, cursor, statement, params, None, many)


def sql(conn: Connection, statement: str, params: Mapping[str, Any] | None = None) -> Rows:
    """Run one statement (see :class:`Batch`); the rows it returned."""
    batch = Batch(conn)
    batch.add(statement, params)
    return batch.run()[0]


def for_update(conn: Connection, tables: str = "") -> str:
    """The row-lock clause (``FOR UPDATE [OF tables]``) on PostgreSQL; nothing on SQLite,
    where ``BEGIN IMMEDIATE`` has locked the database for the whole transaction."""
    if conn.dialect.name == "sqlite":
        return ""
    return f" FOR UPDATE OF {tables}" if tables else " FOR UPDATE"


def bind_time(conn: Connection, value: datetime) -> Any:
    """A timestamp as the column stores it (SQLite: naive UTC text, like SQLAlchemy)."""
    value = value.astimezone(UTC)
    if conn.dialect.name == "sqlite":
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def bind_decimal(conn: Connection, value: Decimal | None) -> Any:
    """A NUMERIC as SQLAlchemy binds it (SQLite: a float)."""
    if value is None or conn.dialect.name != "sqlite":
        return value
    return float(value)


def bind_date(conn: Connection, value: date) -> Any:
    return value.isoformat() if conn.dialect.name == "sqlite" else value


def read_time(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def read_date(value: Any) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    return date.fromisoformat(str(value))


def read_decimal(value: Any, places: int) -> Decimal | None:
    """A NUMERIC read at driver level (SQLite gives a float, like SQLAlchemy rounds it)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(f"{float(value):.{places}f}")
