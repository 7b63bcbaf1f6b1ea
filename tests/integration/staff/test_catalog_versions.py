from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from staff_helpers import StaffBrowser
from typer.testing import CliRunner
from xlsx import write_xlsx

from yibao.cli import app as cli_app
from yibao.persistence.tables import AuditEntry, CatalogImport, CatalogItem
from yibao.services import catalog, catalog_versions

HEADER = [
    "hilist_code",
    "hilist_name",
    "list_type",
    "chrgitm_lv",
    "selfpay_prop",
    "pric_uplmt_amt",
    "begndate",
    "enddate",
]
FIRST = [
    HEADER,
    ["XA001", "阿莫西林胶囊", "101", "01", "", "", "2024-01-01", ""],
    ["XB002", "头孢克洛胶囊", "101", "02", 0.1, 30, "2024-01-01", ""],
    ["XC003", "人工晶体", "301", "02", 0.2, 3000, "2024-01-01", ""],
]


def _cli(url: str, key: Path, *args: str) -> tuple[int, str, str]:
    env = {"YIBAO_DATABASE_URL": url, "YIBAO_SECRET_KEY_FILE": str(key)}
    r = CliRunner().invoke(cli_app, ["catalog", "import", *args], env=env)
    return r.exit_code, r.stdout, r.stderr


def test_an_excel_catalog_imports_and_a_new_full_version_reports_added_changed_removed(
    migrated_url: str,
    secret_key_file: Path,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    first = write_xlsx(tmp_path / "目录2024.xlsx", FIRST)
    code, out, err = _cli(migrated_url, secret_key_file, str(first))
    assert code == 0, err
    assert "新增 3 条" in out
    # 2027: XB002 gets a new price cap, XC003 leaves the catalog, XD004 joins.
    second = tmp_path / "目录2027.csv"
    second.write_text(
        ",".join(HEADER)
        + "\nXA001,阿莫西林胶囊,101,01,,,2024-01-01,\n"
        + "XB002,头孢克洛胶囊,101,02,0.10,25,2027-01-01,\n"
        + "XD004,新药,101,02,0.05,,2027-01-01,\n",
        encoding="utf-8",
    )
    code, out, err = _cli(migrated_url, secret_key_file, str(second), "--effective", "2027-01-01")
    assert code == 0, err
    assert "新增 2 条，更新 0 条，未变 1 条" in out
    assert "删除 1 条（2027-01-01 起不再执行）" in out
    with session_factory() as s:
        before = catalog.lookup(s, "XB002", date(2026, 12, 31))
        after = catalog.lookup(s, "XB002", date(2027, 1, 1))
        assert before is not None
        assert after is not None
        assert before.price_cap == Decimal("30.00")
        assert after.price_cap == Decimal("25.00")
        assert catalog.lookup(s, "XC003", date(2026, 12, 31)) is not None
        assert catalog.lookup(s, "XC003", date(2027, 1, 1)) is None
        report = s.scalars(select(CatalogImport).order_by(CatalogImport.id)).all()
        assert [(r.added, r.removed) for r in report] == [(3, 0), (2, 1)]
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "catalog.import")
            )
            == 2
        )


def test_bad_catalog_input_is_refused_cleanly_and_writes_nothing(
    migrated_url: str,
    secret_key_file: Path,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    good = write_xlsx(tmp_path / "a.xlsx", FIRST)
    code, _, err = _cli(migrated_url, secret_key_file, str(good), "--effective", "2027-02-30")
    assert code == 2
    assert "--effective" in err
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    code, _, err = _cli(migrated_url, secret_key_file, str(broken))
    assert code == 2
    assert "Excel" in err
    bad_row = write_xlsx(
        tmp_path / "bad.xlsx", [*FIRST, ["XE005", "坏行", "101", "09", "", "", "2024-01-01", ""]]
    )
    code, _, err = _cli(migrated_url, secret_key_file, str(bad_row))
    assert code == 1
    assert "第 5 行" in err
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(CatalogItem)) == 0
        assert s.scalar(select(func.count()).select_from(CatalogImport)) == 0


def test_the_catalog_page_searches_on_a_date_and_lists_every_version_of_a_code(
    signed_in: Callable[..., StaffBrowser],
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    with session_factory() as s, s.begin():
        catalog_versions.import_file(s, write_xlsx(tmp_path / "c.xlsx", FIRST))
    payer = signed_in("payer")
    page = payer.get("/staff/catalog?q=amxl&on=2025-01-01")
    assert page.status_code == 200
    assert "阿莫西林胶囊" in page.text
    assert "甲类" in page.text
    versions = payer.get("/staff/catalog?code=XB002")
    assert "2024-01-01 至 今" in versions.text
    bad = payer.get("/staff/catalog?q=x&on=2025-13-01")
    assert bad.status_code == 400
    assert "日期格式应为 YYYY-MM-DD" in bad.text
