"""What a new user meets on the command line: one database wherever they run it from, demo
keys per database, key rotation, citizen passwords (issue 6, item 8)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from yibao.cli import app
from yibao.cli import person as person_cli
from yibao.config import Settings
from yibao.persistence.db import make_engine, make_session_factory
from yibao.services import auth, institutions, persons
from yibao.services.demo import EXAMPLE_HOSPITAL

ROOT = Path(__file__).resolve().parents[2]


def run(env: dict[str, str | None], *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env=env, input=stdin)
    return result.exit_code, result.stdout, result.stderr


def session_on(url: str) -> Session:
    return make_session_factory(make_engine(url))()


def test_the_default_data_folder_is_the_checkout_not_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = Settings.from_env({})
    assert cfg.database_url == f"sqlite:///{ROOT / 'var' / 'yibao.db'}"
    assert cfg.secret_key_file == ROOT / "var" / "secret.key"
    home = Settings.from_env({"YIBAO_HOME": str(tmp_path / "h")})
    assert home.database_url == f"sqlite:///{tmp_path / 'h' / 'var' / 'yibao.db'}"


def test_every_folder_finds_the_same_database_and_a_read_creates_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    env: dict[str, str | None] = {
        "YIBAO_HOME": str(home),
        "YIBAO_DATABASE_URL": None,
        "YIBAO_SECRET_KEY_FILE": None,
    }
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    for command in (["person", "show", "15010000000000000001"], ["demo", "load"]):
        code, _out, err = run(env, *command)
        assert code != 0
        assert "yibao db upgrade" in err
    assert not (home / "var" / "yibao.db").exists()  # nothing created by a read
    assert not home.exists()
    assert list(elsewhere.iterdir()) == []
    assert run(env, "db", "upgrade")[0] == 0
    assert (home / "var" / "yibao.db").is_file()
    (home / "var" / "yibao.db").rename(home / "var" / "moved.db")
    code, _out, err = run(env, "account", "show", "15010000000000000001")
    assert code == 1
    assert "数据库尚未初始化" in err
    assert not (home / "var" / "yibao.db").exists()
    (home / "var" / "moved.db").rename(home / "var" / "yibao.db")
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.chdir(other)
    code, _out, err = run(env, "person", "show", "15010000000000000001")
    assert code == 1
    assert "没有人员编号" in err  # the database was found
    assert list(other.iterdir()) == []


def test_demo_keys_are_kept_per_database(
    db_url: str, secret_key_file: Path, tmp_path: Path
) -> None:
    env_a: dict[str, str | None] = {
        "YIBAO_DATABASE_URL": db_url,
        "YIBAO_SECRET_KEY_FILE": str(secret_key_file),
    }
    env_b = {**env_a, "YIBAO_DATABASE_URL": f"sqlite:///{tmp_path / 'second.db'}"}
    for env in (env_a, env_b):
        assert run(env, "db", "upgrade")[0] == 0
        code, out, err = run(env, "demo", "load")
        assert code == 0, err
        assert "demo-keys-" in out
    code, key_a, err = run(env_a, "demo", "key", EXAMPLE_HOSPITAL)
    assert code == 0, err
    code, key_b, err = run(env_b, "demo", "key", EXAMPLE_HOSPITAL)
    assert code == 0, err
    assert key_a != key_b
    with session_on(db_url) as s:  # loading B did not lock A's demo institutions out
        inst = institutions.authenticate(s, key_a.strip())
        assert inst is not None
        assert inst.code == EXAMPLE_HOSPITAL
    # rotating a demo institution's key revokes the old one and updates this database's file
    code, out, err = run(env_a, "institution", "rotate-key", EXAMPLE_HOSPITAL)
    assert code == 0, err
    new_key = out.strip().splitlines()[-1]
    assert run(env_a, "demo", "key", EXAMPLE_HOSPITAL)[1].strip() == new_key
    with session_on(db_url) as s:
        assert institutions.authenticate(s, key_a.strip()) is None
    code, _out, err = run(env_a, "demo", "key", "H99999999999")
    assert code != 0
    assert "CODE" in err


def test_rotate_key_prints_the_new_key_last_and_the_old_one_stops_at_once(
    db_url: str, secret_key_file: Path
) -> None:
    env: dict[str, str | None] = {
        "YIBAO_DATABASE_URL": db_url,
        "YIBAO_SECRET_KEY_FILE": str(secret_key_file),
    }
    assert run(env, "db", "upgrade")[0] == 0
    code, out, err = run(
        env, "institution", "add", "--code", "H15010200099", "--name", "示例社区卫生服务中心",
        "--type", "hospital", "--level", "1", "--region", "150100",
    )  # fmt: skip
    assert code == 0, err
    old = out.strip().splitlines()[-1]
    with session_on(db_url) as s:  # verified once: this process now caches the old key
        assert institutions.authenticate(s, old) is not None
    code, out, err = run(env, "institution", "rotate-key", "h15010200099")
    assert code == 0, err
    new = out.strip().splitlines()[-1]
    assert new.startswith("yb_")
    assert new != old
    assert "作废旧密钥 1 个" in out
    with session_on(db_url) as s:  # another worker, or this one with the cache: refused
        assert institutions.authenticate(s, old) is None
        inst = institutions.authenticate(s, new)
        assert inst is not None
        assert inst.code == "H15010200099"
    code, _out, err = run(env, "institution", "rotate-key", "H15010200098")
    assert code == 1
    assert "CODE" in err


@pytest.fixture
def person_env(
    db_url: str, secret_key_file: Path, new_certno: Callable[..., str]
) -> tuple[dict[str, str | None], str, str]:
    env: dict[str, str | None] = {
        "YIBAO_DATABASE_URL": db_url,
        "YIBAO_SECRET_KEY_FILE": str(secret_key_file),
    }
    assert run(env, "db", "upgrade")[0] == 0
    certno = new_certno(region="150102")
    code, out, err = run(
        env, "person", "add", "--name", "赵六", "--certno", certno, "--policy", "nmg-employee",
        "--group", "in_service", "--region", "150100",
    )  # fmt: skip
    assert code == 0, err
    return env, out.strip().splitlines()[-1], certno


def _can_log_in(url: str, certno: str, password: str) -> bool:
    engine = make_engine(url)
    try:
        auth.login(make_session_factory(engine), certno, password, datetime.now(UTC))
    except auth.LoginFailed:
        return False
    finally:
        engine.dispose()
    return True


def test_set_password_from_standard_input_lets_the_person_log_in(
    person_env: tuple[dict[str, str | None], str, str], db_url: str
) -> None:
    env, psn_no, certno = person_env
    code, out, err = run(env, "person", "set-password", psn_no, stdin="zhaoliu-2026\n")
    assert code == 0, err
    assert "已为 赵六" in out
    assert "zhaoliu-2026" not in out
    assert _can_log_in(db_url, certno, "zhaoliu-2026")


@pytest.mark.parametrize(
    ("stdin", "message"),
    [("short\n", "密码长度"), ("12345678\n", "过于简单"), ("", "标准输入为空")],
)
def test_a_bad_password_is_refused_naming_it_and_nothing_changes(
    person_env: tuple[dict[str, str | None], str, str], db_url: str, stdin: str, message: str
) -> None:
    env, psn_no, certno = person_env
    code, _out, err = run(env, "person", "set-password", psn_no, stdin=stdin)
    assert code != 0
    assert "PASSWORD" in err
    assert message in err
    assert not _can_log_in(db_url, certno, stdin.strip() or "x")


def test_set_password_on_a_terminal_asks_twice_without_echo(
    person_env: tuple[dict[str, str | None], str, str],
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env, psn_no, certno = person_env
    monkeypatch.setattr(person_cli, "_is_terminal", lambda: True)
    code, out, err = run(
        env,
        "person",
        "set-password",
        psn_no,
        stdin="zhaoliu-2026\nzhaoliu-2027\n" * 1 + "zhaoliu-2026\nzhaoliu-2026\n",
    )
    assert code == 0, err
    assert "zhaoliu-2026" not in out  # hidden
    assert "再次输入新密码" in out
    assert _can_log_in(db_url, certno, "zhaoliu-2026")
    unknown = run(env, "person", "set-password", "15010000000000000009", stdin="x\n")
    assert unknown[0] == 1
    assert "PSN_NO" in unknown[2]
    with session_on(db_url) as s:
        assert persons.get_by_psn_no(s, psn_no) is not None


def test_a_database_behind_the_code_asks_for_db_upgrade_without_a_traceback(
    tmp_path: Path, secret_key_file: Path, new_certno: Callable[..., str]
) -> None:
    from yibao.persistence.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0003")  # as left by an older version of yibao
    env: dict[str, str | None] = {
        "YIBAO_DATABASE_URL": url,
        "YIBAO_SECRET_KEY_FILE": str(secret_key_file),
    }
    code, _out, err = run(
        env, "person", "add", "--name", "赵六", "--certno", new_certno(region="150102"),
        "--policy", "nmg-employee", "--group", "in_service", "--region", "150100",
    )  # fmt: skip
    assert code == 1
    assert "yibao db upgrade" in err
    assert "Traceback" not in err
    assert "OperationalError" not in err
    assert run(env, "db", "upgrade")[0] == 0
