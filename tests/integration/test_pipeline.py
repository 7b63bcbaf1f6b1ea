"""The PostgreSQL wire of ``Batch`` (yibao.persistence.pipeline): statements prepared once per
connection, a failed statement named with the rest skipped and the connection still usable,
statements that wait for the COMMIT dropped by a rollback, and prepared statements dropped
behind its back (a pooler's ``DISCARD ALL``) prepared again on a retry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from yibao.persistence.db import Batch, make_engine, run_in_transaction, sql


@pytest.fixture
def pg(migrated_url: str) -> Iterator[Engine]:
    if migrated_url.startswith("sqlite"):
        pytest.skip("the libpq pipeline is PostgreSQL's")
    engine = make_engine(migrated_url, pool_size=1, max_overflow=0)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE wire_probe (k text PRIMARY KEY, n bigint NOT NULL)")
    yield engine
    engine.dispose()


def _count(conn: Connection) -> int:
    return int(sql(conn, "SELECT count(*) FROM wire_probe")[0][0])


def test_a_batch_returns_each_statements_rows_and_prepares_each_statement_once(
    pg: Engine,
) -> None:
    for round_ in range(3):
        with pg.connect() as conn, conn.begin():
            batch = Batch(conn)
            batch.add("INSERT INTO wire_probe (k, n) VALUES (:k, :n)", {"k": f"a{round_}", "n": 7})
            batch.add("SELECT k, n FROM wire_probe WHERE k = :k AND n = :n", {"k": "a0", "n": 7})
            batch.add_many(
                "INSERT INTO wire_probe (k, n) VALUES (:k, :n)",
                [{"k": f"m{round_}-{i}", "n": 10**12 + i} for i in range(3)],
            )
            rows = batch.run()
        assert rows == [[], [("a0", 7)], []]
    with pg.connect() as conn:
        assert _count(conn) == 12
        prepared = conn.execute(
            text("SELECT count(*) FROM pg_prepared_statements WHERE starts_with(name, 'yb_')")
        ).scalar_one()
    assert prepared == 3  # the two statements and the count above, once each


def test_a_failed_statement_is_named_skips_the_rest_and_leaves_the_connection_usable(
    pg: Engine,
) -> None:
    with pg.begin() as conn:
        sql(conn, "INSERT INTO wire_probe (k, n) VALUES ('x', 1)")

    def clash(conn: Connection) -> None:
        batch = Batch(conn)
        batch.add("INSERT INTO wire_probe (k, n) VALUES (:k, :n)", {"k": "y", "n": 2})
        batch.add("INSERT INTO wire_probe (k, n) VALUES (:k, :n)", {"k": "x", "n": 3})
        batch.add("UPDATE wire_probe SET n = n + 1", {})
        batch.run()

    with pytest.raises(IntegrityError) as raised:
        run_in_transaction(pg, clash)
    assert "INSERT INTO wire_probe" in str(raised.value.statement)
    with pg.connect() as conn:  # the same pooled connection, rolled back and usable
        assert sql(conn, "SELECT k, n FROM wire_probe ORDER BY k") == [("x", 1)]


def test_statements_waiting_for_the_commit_go_with_it_or_not_at_all(pg: Engine) -> None:
    with pg.connect() as conn, conn.begin():
        batch = Batch(conn)
        batch.add("INSERT INTO wire_probe (k, n) VALUES ('kept', 1)", {})
        batch.run_with_commit()

    def fails_after_queuing(conn: Connection) -> None:
        batch = Batch(conn)
        batch.add("INSERT INTO wire_probe (k, n) VALUES ('dropped', 1)", {})
        batch.run_with_commit()
        raise RuntimeError("the work fails after queuing its writes")

    with pytest.raises(RuntimeError):
        run_in_transaction(pg, fails_after_queuing)
    with pg.connect() as conn:
        assert sql(conn, "SELECT k FROM wire_probe ORDER BY k") == [("kept",)]


def test_prepared_statements_dropped_behind_its_back_are_prepared_again(pg: Engine) -> None:
    attempts: list[int] = []

    def count(conn: Connection) -> int:
        attempts.append(1)
        return _count(conn)

    assert run_in_transaction(pg, count) == 0
    with pg.connect() as conn:  # the pool's one connection: what a pooler's reset would do
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("DISCARD ALL")
    attempts.clear()
    assert run_in_transaction(pg, count) == 0
    assert len(attempts) == 2  # 26000 on the first attempt, prepared again on the second
    with pg.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
