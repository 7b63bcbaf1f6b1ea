from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from yibao.cli import app
from yibao.config import Settings
from yibao.persistence.tables import CatalogItem, Institution, Person
from yibao.services import institutions, ledger, persons

Invoke = Callable[..., "Result"]


class Result:
    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr

    @property
    def last_line(self) -> str:
        return self.stdout.strip().splitlines()[-1]


@pytest.fixture
def cli(
    db_url: str, tmp_path: Path, secret_key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> Invoke:
    """Run ``yibao ...`` against the test database; ``db upgrade`` runs first."""
    monkeypatch.chdir(tmp_path)
    env = {"YIBAO_DATABASE_URL": db_url, "YIBAO_SECRET_KEY_FILE": str(secret_key_file)}
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        r = runner.invoke(app, list(args), env=env)
        return Result(r.exit_code, r.stdout, r.stderr)

    assert invoke("db", "upgrade").exit_code == 0
    return invoke


@pytest.fixture
def cli_session(cli: Invoke, db_url: str) -> Iterator[Session]:
    from yibao.persistence.db import make_engine, make_session_factory
    from yibao.services.ledger import check_ledger

    engine = make_engine(db_url)
    factory: sessionmaker[Session] = make_session_factory(engine)
    with factory() as s:
        yield s
    with factory() as s:
        assert check_ledger(s) == []
    engine.dispose()


def test_db_upgrade_creates_the_key_file_and_is_repeatable(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    key = tmp_path / "var" / "secret.key"
    env = {"YIBAO_DATABASE_URL": db_url, "YIBAO_SECRET_KEY_FILE": str(key)}
    first = CliRunner().invoke(app, ["db", "upgrade"], env=env)
    assert first.exit_code == 0, first.output
    assert "已生成密钥文件" in first.stdout
    assert key.stat().st_mode & 0o777 == 0o600
    second = CliRunner().invoke(app, ["db", "upgrade"], env=env)
    assert second.exit_code == 0
    assert "已生成密钥文件" not in second.stdout


def test_person_add_prints_the_psn_no_last_and_show_masks_the_id(
    cli: Invoke, cli_session: Session, new_certno: Callable[..., str]
) -> None:
    number = new_certno(region="150102")
    added = cli(
        "person", "add", "--name", "王芳", "--certno", number, "--policy", "nmg-employee",
        "--group", "in_service", "--region", "150100", "--since", "2024-01-01",
        "--account-credit", "1200.00", "--continuous-years", "8",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    psn_no = added.last_line
    assert len(psn_no) == 20
    assert psn_no.isdigit()
    assert number not in added.stdout
    shown = cli("person", "show", psn_no)
    assert shown.exit_code == 0, shown.stderr
    assert f"{number[:4]}**********{number[-4:]}" in shown.stdout
    assert number not in shown.stdout
    assert "1200.00" in shown.stdout
    person = persons.get_by_psn_no(cli_session, psn_no)
    assert person is not None
    assert person.continuous_years == 8
    assert ledger.balance_fen(cli_session, person) == 120000


@pytest.mark.parametrize(
    ("change", "option"),
    [
        ({"--certno": "BAD"}, "--certno"),
        ({"--policy": "nowhere"}, "--policy"),
        ({"--group": "student"}, "--group"),
        ({"--region": "abc"}, "--region"),
        ({"--since": "2024/01/01"}, "--since"),
        ({"--account-credit": "12.345"}, "--account-credit"),
        ({"--account-credit": "abc"}, "--account-credit"),
        ({"--continuous-years": "-2"}, "--continuous-years"),
        ({"--first-visit-hospital": "H14010500001"}, "--first-visit-hospital"),
    ],
)
def test_person_add_input_errors_name_the_option_and_write_nothing(
    cli: Invoke,
    cli_session: Session,
    new_certno: Callable[..., str],
    change: dict[str, str],
    option: str,
) -> None:
    args = {
        "--name": "张三",
        "--certno": new_certno(),
        "--policy": "nmg-employee",
        "--group": "in_service",
        "--region": "150100",
    }
    args.update(change)
    result = cli("person", "add", *[x for kv in args.items() for x in kv])
    assert result.exit_code != 0
    assert option in result.stderr
    assert "错误" in result.stderr
    assert cli_session.scalar(select(func.count()).select_from(Person)) == 0


def test_a_wrong_check_digit_is_refused_by_the_cli(
    cli: Invoke, cli_session: Session, new_certno: Callable[..., str]
) -> None:
    good = new_certno()
    bad = good[:17] + ("1" if good[17] == "0" else "0")
    result = cli(
        "person", "add", "--name", "张三", "--certno", bad, "--policy", "nmg-employee",
        "--group", "in_service", "--region", "150100",
    )  # fmt: skip
    assert result.exit_code != 0
    assert "--certno" in result.stderr
    assert "校验位" in result.stderr


def test_account_credit_for_a_scheme_without_accounts_writes_nothing(
    cli: Invoke, cli_session: Session, new_certno: Callable[..., str]
) -> None:
    result = cli(
        "person", "add", "--name", "李娜", "--certno", new_certno(region="140105"),
        "--policy", "taiyuan-resident", "--group", "adult", "--region", "140100",
        "--account-credit", "100",
    )  # fmt: skip
    assert result.exit_code != 0
    assert "--account-credit" in result.stderr
    assert cli_session.scalar(select(func.count()).select_from(Person)) == 0


def test_institution_add_prints_a_working_key_last(cli: Invoke, cli_session: Session) -> None:
    result = cli(
        "institution", "add", "--code", "H15010300001", "--name", "测试医院",
        "--type", "hospital", "--level", "3", "--region", "150100",
        "--address", "呼和浩特市回民区", "--lat", "40.82", "--lon", "111.65",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    inst = institutions.authenticate(cli_session, result.last_line)
    assert inst is not None
    assert inst.code == "H15010300001"
    assert inst.level == 3
    cli_session.rollback()  # on SQLite every transaction holds the write lock: end it
    bad = cli(
        "institution", "add", "--code", "H15010300002", "--name", "坏等级",
        "--type", "hospital", "--level", "5", "--region", "150100",
    )  # fmt: skip
    assert bad.exit_code != 0
    assert "--level" in bad.stderr
    dup = cli(
        "institution", "add", "--code", "H15010300001", "--name", "重复",
        "--type", "hospital", "--level", "2", "--region", "150100",
    )  # fmt: skip
    assert dup.exit_code != 0
    assert "--code" in dup.stderr
    assert cli_session.scalar(select(func.count()).select_from(Institution)) == 1


CATALOG_HEADER = (
    "hilist_code,hilist_name,list_type,chrgitm_lv,selfpay_prop,pric_uplmt_amt,begndate,enddate\n"
)
GOOD_ROW = "XJ01CAA040A001010100001,阿莫西林胶囊,101,01,,,2024-01-01,\n"


def test_catalog_import_with_a_bad_row_writes_nothing_and_names_the_row(
    cli: Invoke, cli_session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(CATALOG_HEADER + GOOD_ROW + "XBAD1,坏等级,101,09,,,2024-01-01,\n", "utf-8")
    result = cli("catalog", "import", str(path))
    assert result.exit_code == 1
    assert "第 3 行 XBAD1" in result.stderr
    assert "chrgitm_lv" in result.stderr
    assert "没有写入任何行" in result.stderr
    assert cli_session.scalar(select(func.count()).select_from(CatalogItem)) == 0
    cli_session.rollback()
    skipped = cli("catalog", "import", "--skip-invalid", str(path))
    assert skipped.exit_code == 0, skipped.stderr
    assert "新增 1 条" in skipped.stdout
    assert "拒绝 1 条" in skipped.stdout
    assert "第 3 行 XBAD1" in skipped.stdout
    assert cli_session.scalar(select(func.count()).select_from(CatalogItem)) == 1
    cli_session.rollback()
    missing = cli("catalog", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code != 0
    assert "文件不存在" in missing.stderr


@pytest.mark.parametrize("skip", [[], ["--skip-invalid"]])
def test_catalog_import_exits_non_zero_when_every_row_is_refused(
    cli: Invoke, cli_session: Session, tmp_path: Path, skip: list[str]
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        CATALOG_HEADER
        + "XBAD1,坏类别,999,01,,,2024-01-01,\n"
        + "XBAD2,坏小数,101,02,0.10,12.345,2024-01-01,\n",
        "utf-8",
    )
    result = cli("catalog", "import", *skip, str(path))
    assert result.exit_code == 1
    assert "第 2 行 XBAD1：list_type" in result.stderr
    assert "101 西药中成药" in result.stderr  # the accepted codes are listed
    assert "第 3 行 XBAD2：pric_uplmt_amt" in result.stderr
    assert "'" not in result.stderr  # no Python reprs
    assert cli_session.scalar(select(func.count()).select_from(CatalogItem)) == 0
    empty = tmp_path / "empty.csv"
    empty.write_text(CATALOG_HEADER, "utf-8")
    assert cli("catalog", "import", str(empty)).exit_code == 1


def test_catalog_import_help_lists_the_list_type_codes(cli: Invoke) -> None:
    shown = cli("catalog", "import", "--help")
    assert shown.exit_code == 0
    for code in ("101", "102", "201", "301", "501"):
        assert code in shown.stdout


def test_demo_load_writes_keys_and_if_empty_skips_the_second_time(
    cli: Invoke, cli_session: Session, secret_key_file: Path, db_url: str
) -> None:
    first = cli("demo", "load", "--if-empty")
    assert first.exit_code == 0, first.stderr
    assert "参保人" in first.stdout
    count = cli_session.scalar(select(func.count()).select_from(Person))
    assert count is not None
    assert count >= 200
    keys_file = Settings.from_env(
        {"YIBAO_DATABASE_URL": db_url, "YIBAO_SECRET_KEY_FILE": str(secret_key_file)}
    ).demo_keys_file
    lines = [ln for ln in keys_file.read_text(encoding="utf-8").splitlines() if ln[:1] in "HP"]
    code, _name, key = lines[0].split("\t")
    inst = institutions.authenticate(cli_session, key)
    assert inst is not None
    assert inst.code == code
    cli_session.rollback()  # on SQLite every transaction holds the write lock: end it
    second = cli("demo", "load", "--if-empty")
    assert second.exit_code == 0
    assert "跳过" in second.stdout
    assert cli_session.scalar(select(func.count()).select_from(Person)) == count


def test_account_credit_adjust_and_show_keep_the_ledger_balanced(
    cli: Invoke, cli_session: Session, new_certno: Callable[..., str]
) -> None:
    psn_no = cli(
        "person", "add", "--name", "赵六", "--certno", new_certno(region="150102"),
        "--policy", "nmg-employee", "--group", "retired", "--region", "150100",
    ).last_line  # fmt: skip
    credited = cli("account", "credit", psn_no, "--amount", "200.00", "--reason", "2026年11月划入")
    assert credited.exit_code == 0, credited.stderr
    adjusted = cli("account", "adjust", psn_no, "--amount", "-12.50", "--reason", "更正重复划入")
    assert adjusted.exit_code == 0, adjusted.stderr
    assert "187.50" in adjusted.stdout
    shown = cli("account", "show", psn_no)
    assert "187.50" in shown.stdout
    assert "更正重复划入" in shown.stdout
    overdraw = cli("account", "adjust", psn_no, "--amount", "-500.00", "--reason", "测试透支")
    assert overdraw.exit_code != 0
    assert "余额不足" in overdraw.stderr
    bad = cli("account", "credit", psn_no, "--amount", "1.005", "--reason", "x")
    assert bad.exit_code != 0
    assert "--amount" in bad.stderr
    no_reason = cli("account", "credit", psn_no, "--amount", "1.00", "--reason", " ")
    assert no_reason.exit_code != 0
    person = persons.get_by_psn_no(cli_session, psn_no)
    assert person is not None
    assert ledger.balance_fen(cli_session, person) == 18750


def test_application_decide_moves_a_status_and_refuses_an_illegal_move(
    cli: Invoke, cli_session: Session, new_certno: Callable[..., str]
) -> None:
    from yibao.persistence.tables import Application
    from yibao.services import applications

    person = persons.create_person(
        cli_session,
        name="李梅",
        certno=new_certno(),
        policy_id="nmg-employee",
        group="in_service",
        region="150100",
    )
    app_id = applications.submit(cli_session, person, "card_loss", {"action": "loss"}).id
    cli_session.commit()
    ok = cli("application", "decide", str(app_id), "--to", "reviewing")
    assert ok.exit_code == 0, ok.stderr
    assert ok.last_line == f"申请 #{app_id}（挂失/解挂）已改为：审核中"
    no_reason = cli("application", "decide", str(app_id), "--to", "returned")
    assert no_reason.exit_code == 2
    assert "--reason" in no_reason.stderr
    assert "原因" in no_reason.stderr
    illegal = cli("application", "decide", str(app_id), "--to", "paid", "--reason", "x")
    assert illegal.exit_code == 2
    assert "--to" in illegal.stderr
    assert "不能改为" in illegal.stderr
    missing = cli("application", "decide", "999", "--to", "reviewing")
    assert missing.exit_code == 2
    assert "999" in missing.stderr
    listed = cli("application", "list", "--status", "reviewing")
    assert f"{app_id}\t挂失/解挂\t审核中" in listed.stdout
    cli_session.expire_all()
    stored = cli_session.get(Application, app_id)
    assert stored is not None
    assert stored.status == "reviewing"
