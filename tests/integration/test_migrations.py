from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

import yibao.persistence.tables  # noqa: F401
from yibao.persistence.base import Base
from yibao.persistence.db import make_engine
from yibao.persistence.migrate import downgrade_engine, upgrade


def test_migrations_create_exactly_the_models_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_migrations_seed_the_ledger_system_accounts(engine: Engine) -> None:
    with engine.connect() as conn:
        codes = set(conn.execute(text("SELECT code FROM accounts")).scalars())
    assert {
        "system:contribution_source",
        "system:institution_payable",
        "system:adjustments",
        "system:pooled_fund",
    } <= codes


def test_upgrade_twice_is_harmless_and_downgrade_removes_everything(migrated_url: str) -> None:
    upgrade(migrated_url)
    engine = make_engine(migrated_url)
    try:
        downgrade_engine(engine, "base")
        tables = set(inspect(engine).get_table_names())
        assert tables <= {"alembic_version"}
        upgrade(migrated_url)
        assert "persons" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_sqlite_transactions_take_the_write_lock_up_front(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    fast = make_engine(
        engine.url.render_as_string(hide_password=False), connect_args={"timeout": 0.05}
    )
    try:
        with engine.begin() as holder:
            holder.execute(text("SELECT 1"))  # a read-only transaction still holds the lock
            with fast.connect() as other:
                try:
                    other.execute(text("SELECT 1"))
                    locked = False
                except Exception as exc:  # sqlite3.OperationalError: database is locked
                    locked = "locked" in str(exc)
        assert locked
    finally:
        fast.dispose()
