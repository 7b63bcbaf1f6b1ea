"""``yibao db``: create or upgrade the database; shared helpers for the data commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from yibao.config import ConfigError, Settings, ensure_secret_key
from yibao.persistence.db import make_engine, make_session_factory
from yibao.services.crypto import FieldCrypto

app = typer.Typer(no_args_is_help=True)


def fail(message: str, option: str | None = None, code: int = 2) -> NoReturn:
    """Print a Chinese error naming the option and exit non-zero."""
    prefix = f"{option}：" if option else ""
    typer.echo(f"错误：{prefix}{message}", err=True)
    raise typer.Exit(code=code)


def settings() -> Settings:
    """Read fresh for each command (one command per process in normal use)."""
    return Settings.from_env()


def crypto(cfg: Settings) -> FieldCrypto:
    try:
        return FieldCrypto.from_settings(cfg)
    except ConfigError as exc:
        fail(str(exc))


NOT_INITIALISED = "数据库尚未初始化：请先运行 yibao db upgrade"
SCHEMA_OUTDATED = "数据库尚未初始化或版本落后于程序：请运行 yibao db upgrade"
# what SQLite and PostgreSQL say when a table or column the code uses is not there (yet)
SCHEMA_BEHIND = ("no such table", "no such column", "has no column", "does not exist")


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database or an in-memory one)."""
    parsed = make_url(url)
    db = parsed.database
    if parsed.get_backend_name() != "sqlite" or not db or db == ":memory:":
        return None
    return None if db.startswith("file:") else Path(db)


@contextmanager
def database(cfg: Settings) -> Iterator[sessionmaker[Session]]:
    """A session factory on the configured database; a clear message if it is not set up.

    A missing SQLite file is reported, never created: only ``yibao db upgrade`` creates it.
    """
    path = sqlite_file(cfg.database_url)
    if path is not None and not path.is_file():
        fail(f"{NOT_INITIALISED}（{path} 不存在；数据位置见 YIBAO_HOME）", code=1)
    engine = make_engine(cfg.database_url)
    try:
        yield make_session_factory(engine)
    except (OperationalError, ProgrammingError) as exc:
        text = str(exc.orig)
        if any(sign in text for sign in SCHEMA_BEHIND):
            fail(SCHEMA_OUTDATED, code=1)
        raise
    finally:
        engine.dispose()


@app.command("upgrade")
def upgrade_command() -> None:
    """创建或升级数据库（YIBAO_DATABASE_URL），并在缺少时生成密钥文件。"""
    from yibao.persistence.migrate import upgrade

    cfg = settings()
    if ensure_secret_key(cfg.secret_key_file):
        print(f"已生成密钥文件：{cfg.secret_key_file}（权限 0600，请与数据库一同备份）")
    upgrade(cfg.database_url)
    print(f"数据库已升级到最新版本：{_display_url(cfg.database_url)}")


def _display_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
