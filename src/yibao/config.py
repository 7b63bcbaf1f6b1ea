"""One typed settings object, read from the environment (``YIBAO_*``) once and passed down.

- ``YIBAO_DATABASE_URL``: SQLAlchemy URL; default a SQLite file ``var/yibao.db`` under the
  current directory. PostgreSQL: ``postgresql+psycopg://user@host:5432/dbname``.
- ``YIBAO_SECRET_KEY_FILE``: the master key for field encryption and lookup hashes; default
  ``var/secret.key``. ``yibao db upgrade`` creates it (random, mode 0600) when absent. Losing it
  makes every stored ID number and phone number unreadable: back it up with the database.
- ``YIBAO_TIMEZONE``: the business time zone of the hospital interface (times sent without a
  zone, and the dates derived from them); default ``Asia/Shanghai`` (Beijing time).
- ``YIBAO_CLOCK_SKEW_SECONDS``: how far a visit, admission or discharge time may lie ahead
  of the server's clock (the hospital's clock may run fast); default 300.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DEFAULT_DB_FILE = Path("var") / "yibao.db"
DEFAULT_SECRET_KEY_FILE = Path("var") / "secret.key"
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_CLOCK_SKEW_SECONDS = 300
_MASTER_KEY_BYTES = 32


class ConfigError(RuntimeError):
    """The configuration cannot be used (missing key file, malformed key...)."""


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    secret_key_file: Path
    timezone: str = DEFAULT_TIMEZONE
    clock_skew_seconds: int = DEFAULT_CLOCK_SKEW_SECONDS

    def __post_init__(self) -> None:
        business_zone(self.timezone)  # a clear error now rather than on the first request
        if not 0 <= self.clock_skew_seconds <= 86400:
            raise ConfigError("YIBAO_CLOCK_SKEW_SECONDS 应为 0 到 86400 之间的整数")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        url = env.get("YIBAO_DATABASE_URL") or f"sqlite:///{DEFAULT_DB_FILE.absolute()}"
        key_file = Path(env.get("YIBAO_SECRET_KEY_FILE") or DEFAULT_SECRET_KEY_FILE)
        skew = env.get("YIBAO_CLOCK_SKEW_SECONDS") or str(DEFAULT_CLOCK_SKEW_SECONDS)
        if not skew.strip().isdigit():
            raise ConfigError("YIBAO_CLOCK_SKEW_SECONDS 应为 0 到 86400 之间的整数")
        return cls(
            database_url=url,
            secret_key_file=key_file.absolute(),
            timezone=env.get("YIBAO_TIMEZONE") or DEFAULT_TIMEZONE,
            clock_skew_seconds=int(skew),
        )

    @property
    def zone(self) -> ZoneInfo:
        """The business time zone (``YIBAO_TIMEZONE``)."""
        return business_zone(self.timezone)

    @property
    def var_dir(self) -> Path:
        """The directory beside the key file (``var/`` by default) for local artefacts."""
        return self.secret_key_file.parent


def business_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (``Asia/Shanghai``); ConfigError if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"YIBAO_TIMEZONE {name!r} 不是有效的时区名（如 Asia/Shanghai）") from None


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings.from_env()


def ensure_secret_key(path: Path) -> bool:
    """Create ``path`` with a fresh random master key (mode 0600) if absent. True if created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(_MASTER_KEY_BYTES) + "\n")
    return True


def load_secret_key(path: Path) -> bytes:
    """Read the master key; a clear error if it is missing or malformed."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise ConfigError(
            f"密钥文件 {path} 不存在：请先运行 yibao db upgrade（或设置 YIBAO_SECRET_KEY_FILE）"
        ) from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ConfigError(f"密钥文件 {path} 格式不正确（应为 64 位十六进制）") from None
    if len(key) != _MASTER_KEY_BYTES:
        raise ConfigError(f"密钥文件 {path} 长度不正确（应为 32 字节）")
    return key


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def field_encryption_key(master: bytes) -> bytes:
    """AES-256-GCM key for encrypted columns (ID number, phone)."""
    return _derive(master, b"yibao/field-encryption/v1")


def lookup_hash_key(master: bytes) -> bytes:
    """HMAC-SHA256 key for the lookup hash of the ID number."""
    return _derive(master, b"yibao/lookup-hash/v1")
