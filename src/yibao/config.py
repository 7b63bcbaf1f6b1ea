"""One typed settings object, read from the environment (``YIBAO_*``) once and passed down.

- ``YIBAO_HOME``: where ``var/`` lives (the SQLite database, the key file, the demo keys).
  Default: the source checkout this package runs from (the folder with ``pyproject.toml``),
  else ``$XDG_DATA_HOME/yibao`` (``~/.local/share/yibao``). Never the current directory, so
  every command finds the same database from any folder.
- ``YIBAO_DATABASE_URL``: SQLAlchemy URL; default the SQLite file ``$YIBAO_HOME/var/yibao.db``.
  PostgreSQL: ``postgresql+psycopg://user@host:5432/dbname``.
- ``YIBAO_SECRET_KEY_FILE``: the master key for field encryption and lookup hashes; default
  ``$YIBAO_HOME/var/secret.key``. ``yibao db upgrade`` creates it (random, mode 0600) when
  absent. Losing it makes every stored ID number and phone number unreadable: back it up with
  the database.
- ``YIBAO_TIMEZONE``: the business time zone of the hospital interface (times sent without a
  zone, and the dates derived from them); default ``Asia/Shanghai`` (Beijing time).
- ``YIBAO_CLOCK_SKEW_SECONDS``: how far a visit, admission or discharge time may lie ahead
  of the server's clock (the hospital's clock may run fast); default 300.
- ``YIBAO_MAX_BODY_BYTES``: the largest request body any route accepts (413 beyond it);
  default 1048576 (1 MiB). ``YIBAO_MAX_UPLOAD_BYTES``: the same for form uploads
  (``multipart/form-data``: photos and scans); default 16777216 (16 MiB).
- ``YIBAO_LOGIN_LIMIT_PER_ADDRESS`` / ``YIBAO_LOGIN_LIMIT_PER_ID``: sign-in attempts allowed
  per client address and per ID number, as ``attempts/seconds``; defaults ``20/60`` and
  ``10/300``. Beyond them: 429 with ``Retry-After``. Counted in each worker's memory.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DB_FILE_NAME = "yibao.db"
SECRET_KEY_FILE_NAME = "secret.key"
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_CLOCK_SKEW_SECONDS = 300
DEFAULT_MAX_BODY_BYTES = 1 << 20
DEFAULT_MAX_UPLOAD_BYTES = 16 << 20
DEFAULT_LOGIN_LIMIT_PER_ADDRESS = "20/60"
DEFAULT_LOGIN_LIMIT_PER_ID = "10/300"
_MASTER_KEY_BYTES = 32


class ConfigError(RuntimeError):
    """The configuration cannot be used (missing key file, malformed key...)."""


def _source_checkout() -> Path | None:
    """The repository root when this package runs from a source checkout (``src/yibao``)."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "src" / "yibao").is_dir():
        return root
    return None


def yibao_home(env: Mapping[str, str] | None = None) -> Path:
    """``YIBAO_HOME``, else the source checkout, else the user's data directory."""
    env = os.environ if env is None else env
    if env.get("YIBAO_HOME"):
        return Path(env["YIBAO_HOME"]).expanduser().absolute()
    checkout = _source_checkout()
    if checkout is not None:
        return checkout
    data = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data).expanduser().absolute() / "yibao"


DEFAULT_CLAIM_SECOND_REVIEW_YUAN = 5000
DEFAULT_POLICY_REFRESH_SECONDS = 10


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    secret_key_file: Path
    timezone: str = DEFAULT_TIMEZONE
    clock_skew_seconds: int = DEFAULT_CLOCK_SKEW_SECONDS
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    login_limit_per_address: str = DEFAULT_LOGIN_LIMIT_PER_ADDRESS
    login_limit_per_id: str = DEFAULT_LOGIN_LIMIT_PER_ID
    # 手工报销 approved above this amount (fen) need a second reviewer
    # (YIBAO_CLAIM_SECOND_REVIEW_YUAN, default 5000 yuan).
    claim_second_review_fen: int = DEFAULT_CLAIM_SECOND_REVIEW_YUAN * 100
    # How often each server process looks for policy versions published by another process
    # (YIBAO_POLICY_REFRESH_SECONDS; 0 turns the look off).
    policy_refresh_seconds: int = DEFAULT_POLICY_REFRESH_SECONDS

    def __post_init__(self) -> None:
        business_zone(self.timezone)  # a clear error now rather than on the first request
        if not 0 <= self.clock_skew_seconds <= 86400:
            raise ConfigError("YIBAO_CLOCK_SKEW_SECONDS 应为 0 到 86400 之间的整数")
        if not 0 <= self.policy_refresh_seconds <= 86400:
            raise ConfigError("YIBAO_POLICY_REFRESH_SECONDS 应为 0 到 86400 之间的整数（秒）")
        if self.max_body_bytes < 1:
            raise ConfigError("YIBAO_MAX_BODY_BYTES 应为正整数（字节数）")
        if self.max_upload_bytes < 1:
            raise ConfigError("YIBAO_MAX_UPLOAD_BYTES 应为正整数（字节数）")
        for name, value in (
            ("YIBAO_LOGIN_LIMIT_PER_ADDRESS", self.login_limit_per_address),
            ("YIBAO_LOGIN_LIMIT_PER_ID", self.login_limit_per_id),
        ):
            rate_or_error(value, name)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        var = yibao_home(env) / "var"
        url = env.get("YIBAO_DATABASE_URL") or f"sqlite:///{var / DB_FILE_NAME}"
        key_file = Path(env.get("YIBAO_SECRET_KEY_FILE") or var / SECRET_KEY_FILE_NAME)
        skew = env.get("YIBAO_CLOCK_SKEW_SECONDS") or str(DEFAULT_CLOCK_SKEW_SECONDS)
        if not skew.strip().isdigit():
            raise ConfigError("YIBAO_CLOCK_SKEW_SECONDS 应为 0 到 86400 之间的整数")
        body = env.get("YIBAO_MAX_BODY_BYTES") or str(DEFAULT_MAX_BODY_BYTES)
        if not body.strip().isdigit():
            raise ConfigError("YIBAO_MAX_BODY_BYTES 应为正整数（字节数）")
        uploads = env.get("YIBAO_MAX_UPLOAD_BYTES") or str(DEFAULT_MAX_UPLOAD_BYTES)
        if not uploads.strip().isdigit():
            raise ConfigError("YIBAO_MAX_UPLOAD_BYTES 应为正整数（字节数）")
        second = env.get("YIBAO_CLAIM_SECOND_REVIEW_YUAN") or str(DEFAULT_CLAIM_SECOND_REVIEW_YUAN)
        if not second.strip().isdigit():
            raise ConfigError("YIBAO_CLAIM_SECOND_REVIEW_YUAN 应为不小于 0 的整数（元）")
        refresh = env.get("YIBAO_POLICY_REFRESH_SECONDS") or str(DEFAULT_POLICY_REFRESH_SECONDS)
        if not refresh.strip().isdigit():
            raise ConfigError("YIBAO_POLICY_REFRESH_SECONDS 应为 0 到 86400 之间的整数（秒）")
        return cls(
            database_url=url,
            secret_key_file=key_file.expanduser().absolute(),
            timezone=env.get("YIBAO_TIMEZONE") or DEFAULT_TIMEZONE,
            clock_skew_seconds=int(skew),
            max_body_bytes=int(body),
            max_upload_bytes=int(uploads),
            login_limit_per_address=env.get("YIBAO_LOGIN_LIMIT_PER_ADDRESS")
            or DEFAULT_LOGIN_LIMIT_PER_ADDRESS,
            login_limit_per_id=env.get("YIBAO_LOGIN_LIMIT_PER_ID") or DEFAULT_LOGIN_LIMIT_PER_ID,
            claim_second_review_fen=int(second) * 100,
            policy_refresh_seconds=int(refresh),
        )

    @property
    def zone(self) -> ZoneInfo:
        """The business time zone (``YIBAO_TIMEZONE``)."""
        return business_zone(self.timezone)

    @property
    def var_dir(self) -> Path:
        """The directory beside the key file (``$YIBAO_HOME/var/`` by default) for local
        artefacts."""
        return self.secret_key_file.parent

    @property
    def demo_keys_file(self) -> Path:
        """The demo institutions' API keys for THIS database: one file per database URL, so
        loading demo data into another database never overwrites the keys of this one."""
        digest = hashlib.sha256(self.database_url.encode()).hexdigest()[:12]
        return self.var_dir / f"demo-keys-{digest}.txt"


def rate_or_error(text: str, name: str) -> tuple[int, int]:
    """``"20/60"`` -> ``(20, 60)``: attempts per seconds, both at least 1."""
    count, _, window = text.partition("/")
    if not (count.strip().isdigit() and window.strip().isdigit()):
        raise ConfigError(f"{name} 应为“次数/秒数”，如 20/60")
    if int(count) < 1 or int(window) < 1:
        raise ConfigError(f"{name} 的次数和秒数都应至少为 1")
    return int(count), int(window)


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
