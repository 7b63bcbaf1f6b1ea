"""A batch of statements sent to PostgreSQL as one message and read back in one go.

:class:`yibao.persistence.db.Batch` uses this on PostgreSQL. psycopg's own pipeline mode
sends every ``execute`` with a socket write of its own, and starts a transaction with a
round trip of its own: on this machine each write woke the server's backend once per
statement, and the writes, wake-ups and psycopg's per-cursor work cost more CPU than the
statements themselves. Here the whole batch goes through libpq (psycopg's ``pgconn``) as
one pipeline, flushed once:

    [BEGIN]  Parse (first use on this connection)  Bind/Execute  …  [COMMIT]  Sync

- Each statement is a server-side prepared statement, prepared on its first use on a
  connection and kept for the connection's life (:class:`Statements`, bounded), so the
  server parses and plans it once.
- Parameters are adapted by psycopg's own dumpers (a :class:`~psycopg.adapt.Transformer`
  of the connection) except that every Python ``int`` is sent as ``int8``: psycopg picks
  ``int2``/``int4``/``int8`` by value, which would make one prepared statement per mix of
  magnitudes. Results are loaded by psycopg's loaders, in text format, as a cursor would.
- Errors come back per statement: the first failed statement is named, the ones after it
  were skipped by the server, and the transaction is left failed for the caller to roll
  back. A connection that broke is reported as such.

psycopg's automatic preparing is turned off for these connections (``prepare_threshold``
``None`` in :func:`yibao.persistence.db.make_engine`): psycopg answers a ROLLBACK by
``DEALLOCATE ALL``, which would drop these statements too. Should they be gone anyway
(``DISCARD ALL`` from a pooler), the error's SQLSTATE 26000 clears the cache and the
transaction is retried.
"""

from __future__ import annotations

import re
import select
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import pq
from psycopg.adapt import AdaptersMap, PyFormat, Transformer
from psycopg.errors import error_from_result
from psycopg.types.numeric import Int8BinaryDumper

Rows = list[tuple[Any, ...]]
# a statement written with :name parameters, and one parameter set or a list of them
Statement = tuple[str, dict[str, Any] | list[dict[str, Any]]]

MAX_PREPARED = 200  # prepared statements kept per connection (the oldest is closed)
MISSING_STATEMENT = "26000"  # invalid_sql_statement_name: our prepared statement is gone

_PARAM = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")
_TUPLES_OK = pq.ExecStatus.TUPLES_OK
_COMMAND_OK = pq.ExecStatus.COMMAND_OK
_FATAL_ERROR = pq.ExecStatus.FATAL_ERROR
_PIPELINE_SYNC = pq.ExecStatus.PIPELINE_SYNC
_IDLE = pq.TransactionStatus.IDLE
_TEXT = pq.Format.TEXT


@lru_cache(maxsize=512)
def numbered(statement: str) -> tuple[bytes, tuple[str, ...]]:
    """``statement`` with ``:name`` parameters as ``$1, $2, …`` (a name used twice is the
    same number), and the names in their numbers' order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PARAM.sub(number, statement).encode(), tuple(names)


class _Context:
    """The connection's adapters, with ``int`` always dumped as ``int8``."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection
        self.adapters = AdaptersMap(connection.adapters)
        self.adapters.register_dumper(int, Int8BinaryDumper)


class Statements:
    """What is prepared on one connection: (SQL, parameter types) → statement name, in
    order of last use."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.transformer = Transformer(_Context(connection))
        self.names: OrderedDict[tuple[bytes, tuple[int, ...]], bytes] = OrderedDict()
        self.counter = 0
        self.to_close: list[bytes] = []

    def name(self, key: tuple[bytes, tuple[int, ...]]) -> tuple[bytes, bool]:
        """The statement's name, and whether it must be prepared first."""
        name = self.names.get(key)
        if name is not None:
            self.names.move_to_end(key)
            return name, False
        self.counter += 1
        name = self.names[key] = b"yb_%d" % self.counter
        if len(self.names) > MAX_PREPARED:
            self.to_close.append(self.names.popitem(last=False)[1])
        return name, True

    def forget(self, key: tuple[bytes, tuple[int, ...]]) -> None:
        self.names.pop(key, None)


class Failed(Exception):
    """A statement of the batch failed: its index (-1: one of the commands around them,
    named by ``command``) and the driver's error."""

    def __init__(self, index: int, error: psycopg.Error, command: str = "") -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error
        self.command = command


def _begin_command(connection: psycopg.Connection[Any]) -> bytes:
    """The BEGIN psycopg itself would send for this connection's settings."""
    parts = [b"BEGIN"]
    if connection.isolation_level is not None:
        level = psycopg.IsolationLevel(connection.isolation_level).name.replace("_", " ")
        parts += [b"ISOLATION LEVEL", level.encode()]
    if connection.read_only is not None:
        parts.append(b"READ ONLY" if connection.read_only else b"READ WRITE")
    if connection.deferrable is not None:
        parts.append(b"DEFERRABLE" if connection.deferrable else b"NOT DEFERRABLE")
    return b" ".join(parts)


def _wait(fd: int, events: int) -> int:
    poller = select.poll()
    poller.register(fd, events)
    while True:
        ready = poller.poll()  # without the GIL
        if ready:
            return int(ready[0][1])


def run(
    connection: psycopg.Connection[Any],
    statements: Statements,
    batch: Sequence[Statement],
    *,
    commit: bool = False,
    before: Callable[[int, str, Any], None] | None = None,
) -> list[Rows]:
    """Send ``batch`` as one pipeline (with BEGIN first when no transaction is open, and
    COMMIT last with ``commit``) and return each statement's rows (empty for a statement
    that returns none; an executemany returns none). ``before(index, sql, params)`` is
    called for each statement before anything is sent. Raises :class:`Failed` for the
    first statement that failed (after reading every result: the connection stays usable,
    its transaction failed), or the driver's error if the connection broke."""
    tx = statements.transformer
    # adapt everything first: nothing is sent if a parameter cannot be adapted
    commands: list[tuple[int, bytes, tuple[int, ...], Sequence[Any], list[Any]]] = []
    for index, (sql, params) in enumerate(batch):
        query, names = numbered(sql)
        if before is not None:
            before(index, query.decode(), params)
        for one in params if isinstance(params, list) else [params]:
            values = tx.dump_sequence([one[n] for n in names], [PyFormat.AUTO] * len(names))
            commands.append((index, query, tuple(tx.types or ()), values, list(tx.formats or ())))
    pgconn = connection.pgconn
    begin = not connection.autocommit and pgconn.transaction_status == _IDLE
    expected: list[tuple[str, Any]] = []  # what each result answers
    pgconn.enter_pipeline_mode()
    done = False
    try:
        for name in statements.to_close:
            pgconn.send_close_prepared(name)
            expected.append(("command", "DEALLOCATE"))
        statements.to_close.clear()
        if begin:
            pgconn.send_query_params(_begin_command(connection), None)
            expected.append(("command", "BEGIN"))
        for index, query, types, values, formats in commands:
            name, new = statements.name((query, types))
            if new:
                pgconn.send_prepare(name, query, param_types=types)
                expected.append(("prepare", (query, types)))
            pgconn.send_query_prepared(name, values, param_formats=formats, result_format=_TEXT)
            expected.append(("statement", index))
        if commit:
            pgconn.send_query_params(b"COMMIT", None)
            expected.append(("command", "COMMIT"))
        pgconn.pipeline_sync()
        results = _exchange(pgconn)
        done = True
    finally:
        if done:
            pgconn.exit_pipeline_mode()
        else:  # the connection is in an unknown state: the caller invalidates it
            statements.names.clear()
    return _collect(connection, statements, expected, results, len(batch))


def _exchange(pgconn: pq.abc.PGconn) -> list[pq.abc.PGresult]:
    """Flush what is queued and read every result up to the pipeline's sync."""
    fd = pgconn.socket
    while pgconn.flush():  # the rest waits for the socket (reading meanwhile)
        if _wait(fd, select.POLLIN | select.POLLOUT) & select.POLLIN:
            pgconn.consume_input()
    results: list[pq.abc.PGresult] = []
    while True:
        while pgconn.is_busy():
            _wait(fd, select.POLLIN)
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:  # the end of one command's results
            continue
        if result.status == _PIPELINE_SYNC:
            return results
        results.append(result)


def _collect(
    connection: psycopg.Connection[Any],
    statements: Statements,
    expected: list[tuple[str, Any]],
    results: list[pq.abc.PGresult],
    count: int,
) -> list[Rows]:
    tx = statements.transformer
    out: list[Rows] = [[] for _ in range(count)]
    failed: Failed | None = None
    for (kind, what), result in zip(expected, results, strict=True):
        status = result.status
        if status == _FATAL_ERROR and failed is None:
            error = error_from_result(result, encoding=connection.info.encoding)
            if kind == "statement":
                failed = Failed(what, error)
            else:
                failed = Failed(-1, error, what if kind == "command" else "PREPARE")
            if error.sqlstate == MISSING_STATEMENT:
                statements.names.clear()
        if kind == "prepare" and status != _COMMAND_OK:
            statements.forget(what)
        elif kind == "statement" and status == _TUPLES_OK and failed is None:
            tx.set_pgresult(result)
            out[what] = tx.load_rows(0, result.ntuples, tuple)
    tx.set_pgresult(None)
    if failed is not None:
        raise failed
    return out


__all__ = ["Failed", "Statements", "numbered", "run"]
