from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.persistence.tables import CatalogItem
from yibao.services import catalog

HEADER = (
    "hilist_code,hilist_name,list_type,chrgitm_lv,selfpay_prop,pric_uplmt_amt,begndate,enddate\n"
)
GOOD = (
    "XJ01CAA040A001010100001,阿莫西林胶囊,101,01,,,2024-01-01,\n"
    "XC10AAA040A001010100004,阿托伐他汀钙片,101,02,0.05,25.00,2024-01-01,2025-12-31\n"
    "002502010010000,血常规,201,01,,20.00,20240101,\n"
    "C0301050010001000001,冠状动脉药物洗脱支架,301,02,0.2,800,2024-01-01,\n"
)
BAD = (
    ",无编码,101,01,,,2024-01-01,\n"
    "XBAD1,坏等级,101,07,,,2024-01-01,\n"
    "XBAD2,坏比例,101,02,1.5,,2024-01-01,\n"
    "XBAD3,坏日期,101,02,0.1,,2024-13-01,\n"
    "XBAD4,坏类别,999,02,0.1,,2024-01-01,\n"
    "XBAD5,倒序日期,101,02,0.1,,2024-01-01,2023-01-01\n"
    "XBAD6,负限价,101,02,0.1,-3,2024-01-01,\n"
    "XJ01CAA040A001010100001,重复行,101,01,,,2024-01-01,\n"
)


def _write(tmp_path: Path, body: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "catalog.csv"
    path.write_text(HEADER + body, encoding=encoding)
    return path


def test_a_catalog_import_adds_good_rows_and_refuses_bad_ones_with_reasons(
    session: Session, tmp_path: Path
) -> None:
    report = catalog.import_csv(session, _write(tmp_path, GOOD + BAD))
    session.commit()
    assert (report.added, report.changed) == (4, 0)
    reasons = {r.hilist_code: r.reason for r in report.refused}
    assert len(report.refused) == 8
    assert "hilist_code" in reasons[""]
    assert "chrgitm_lv" in reasons["XBAD1"]
    assert "selfpay_prop" in reasons["XBAD2"]
    assert "begndate" in reasons["XBAD3"]
    assert "list_type" in reasons["XBAD4"]
    assert "enddate" in reasons["XBAD5"]
    assert "pric_uplmt_amt" in reasons["XBAD6"]
    assert "重复" in reasons["XJ01CAA040A001010100001"]
    assert [r.line for r in report.refused] == list(range(6, 14))
    assert session.scalar(select(func.count()).select_from(CatalogItem)) == 4

    statin = catalog.lookup(session, "XC10AAA040A001010100004", date(2024, 6, 1))
    assert statin is not None
    assert statin.list_type == "B"
    assert statin.selfpay_prop == Decimal("0.05")
    assert statin.price_cap == Decimal("25.00")
    assert catalog.lookup(session, "XC10AAA040A001010100004", date(2026, 1, 1)) is None
    amox = catalog.lookup(session, "XJ01CAA040A001010100001", date(2024, 6, 1))
    assert amox is not None
    assert (amox.category, amox.list_type, amox.selfpay_prop) == ("drug", "A", Decimal(0))
    blood = catalog.lookup(session, "002502010010000", date(2024, 1, 1))
    assert blood is not None
    assert blood.category == "service"
    stent = catalog.lookup(session, "C0301050010001000001", date(2024, 1, 1))
    assert stent is not None
    assert (stent.category, stent.price_cap) == ("material", Decimal("800.00"))


def test_reimporting_reports_changed_and_unchanged_rows(session: Session, tmp_path: Path) -> None:
    catalog.import_csv(session, _write(tmp_path, GOOD))
    changed = GOOD.replace("0.05,25.00", "0.10,26.50")
    report = catalog.import_csv(session, _write(tmp_path, changed, encoding="gb18030"))
    assert (report.added, report.changed, report.unchanged, report.refused) == (0, 1, 3, [])
    statin = catalog.lookup(session, "XC10AAA040A001010100004", date(2024, 6, 1))
    assert statin is not None
    assert statin.price_cap == Decimal("26.50")


def test_a_file_with_a_wrong_header_is_refused_whole(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("code,name\nX1,阿莫西林\n", encoding="utf-8")
    with pytest.raises(ValueError, match="表头缺少列"):
        catalog.import_csv(session, path)


def test_search_matches_name_pinyin_initials_full_pinyin_and_code(
    session: Session, tmp_path: Path
) -> None:
    catalog.import_csv(session, _write(tmp_path, GOOD))
    on = date(2024, 6, 1)

    def names(q: str) -> list[str]:
        return [i.name for i in catalog.search(session, q, on_date=on)]

    assert names("阿莫") == ["阿莫西林胶囊"]
    assert names("amxl") == ["阿莫西林胶囊"]
    assert names("AMOXILIN") == ["阿莫西林胶囊"]
    assert names("xcg") == ["血常规"]
    assert names("C03010") == ["冠状动脉药物洗脱支架"]
    assert names("%") == []
    assert catalog.pinyin_keys("阿莫西林胶囊") == ("amoxilinjiaonang", "amxljn")
