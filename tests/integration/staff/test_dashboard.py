from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker
from staff_helpers import StaffBrowser

from yibao.persistence.tables import Institution, Person, SettlementRecord, Visit
from yibao.services import dashboard

YEAR = dashboard.Scope(date(2026, 1, 1), date(2026, 12, 31))


def _settlement(
    i: int,
    person: int,
    inst: int,
    day: date,
    med: str,
    fee: int,
    fund: int,
    kind: str = "settle",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": i, "setl_id": f"S{i}", "visit_id": 1, "person_id": person, "institution_id": inst,
        "kind": kind, "reversed": False, "msgid": f"m{i}", "infno": "2207", "year": day.year,
        "setl_date": day, "setl_time": datetime(day.year, day.month, day.day, tzinfo=UTC),
        "med_type": med, "insutype": "310", "policy": "nmg-employee",
        "policy_version": "2024-01-01", "eligible": True, "medfee_fen": fee,
        "fulamt_ownpay_fen": 0, "overlmt_selfpay_fen": 0, "preselfpay_fen": 0,
        "inscp_scp_fen": fee, "act_pay_dedc_fen": 0, "hifp_pay_fen": fund, "hifmi_pay_fen": 0,
        "fund_pay_sumamt_fen": fund, "psn_part_fen": fee - fund, "acct_pay_fen": 0,
        "psn_cash_pay_fen": fee - fund, "balc_fen": 0, "ytd_delta": "{}",
        "explanation": "[]", **extra,
    }  # fmt: skip


def _seed(session: Session) -> None:
    now = datetime.now(UTC)
    session.execute(insert(Institution), [
        {"id": i, "code": f"H{i}", "name": f"医院{i}", "type": "hospital", "level": lv,
         "region": "150102", "designated_begin": date(2020, 1, 1), "created_at": now}
        for i, lv in ((1, 3), (2, 1))
    ])  # fmt: skip
    session.execute(insert(Person), [
        {"id": i, "psn_no": f"P{i}", "name": "参保人", "certno_ciphertext": b"x",
         "certno_hash": f"h{i}", "sex": "male", "birth_date": date(1970, 1, 1),
         "region": region, "scheme": "employee", "policy_id": "nmg-employee",
         "person_group": "in_service", "created_at": now}
        for i, region in ((1, "150102"), (2, "140105"))
    ])  # fmt: skip
    session.execute(insert(Visit), [{
        "id": 1, "mdtrt_id": "M1", "institution_id": 1, "person_id": 1, "kind": "outpatient",
        "insutype": "310", "med_type": "11", "ipt_otp_no": "O1", "mdtrt_cert_type": "02",
        "begntime": now, "status": "settled", "created_at": now,
    }])  # fmt: skip
    session.execute(insert(SettlementRecord), [
        _settlement(1, 1, 1, date(2026, 1, 5), "11", 10_000, 8_000),
        _settlement(2, 1, 2, date(2026, 1, 20), "21", 1_000_000, 800_000),
        _settlement(3, 2, 1, date(2026, 3, 2), "11", 60_000, 0),
        # A settlement and its reversal net to nothing.
        _settlement(4, 2, 1, date(2026, 3, 3), "11", 5_000, 4_000, reversed=True),
        _settlement(5, 2, 1, date(2026, 3, 3), "11", -5_000, -4_000, kind="reversal"),
        _settlement(6, 1, 1, date(2025, 12, 31), "11", 999, 0),  # outside the year
    ])  # fmt: skip


def test_fund_spending_sums_by_month_level_policy_and_medical_type_net_of_reversals(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s, s.begin():
        _seed(s)
    with session_factory() as s:
        months = {r.key: (r.count, r.fund_fen, r.psn_part_fen) for r in dashboard.by_month(s, YEAR)}
        assert months == {"2026-01": (2, 808_000, 202_000), "2026-03": (1, 0, 60_000)}
        levels = {r.key: r.fund_fen for r in dashboard.by_level(s, YEAR)}
        assert levels == {"1": 800_000, "3": 8_000}
        assert [(r.key, r.medfee_fen) for r in dashboard.by_policy(s, YEAR)] == [
            ("nmg-employee", 1_070_000)
        ]
        assert {r.key: r.count for r in dashboard.by_med_type(s, YEAR)} == {"11": 2, "21": 1}
        oop = {str(b.label): b.count for b in dashboard.out_of_pocket(s, YEAR)}
        assert oop["0–100 元"] == 1
        assert oop["500–1000 元"] == 1
        assert oop["1000–5000 元"] == 1
        assert sum(oop.values()) == 3
        mine = dashboard.Scope(YEAR.date_from, YEAR.date_to, ("1401",))
        assert [(r.key, r.count) for r in dashboard.by_month(s, mine)] == [("2026-03", 1)]


def test_the_dashboard_page_draws_local_charts_exports_csv_and_refuses_bad_dates(
    signed_in: Callable[..., StaffBrowser], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s, s.begin():
        _seed(s)
    reviewer = signed_in("reviewer", regions=("1501",))
    page = reviewer.get("/staff/dashboard?date_from=2026-01-01&date_to=2026-12-31")
    assert page.status_code == 200
    assert "/static/vendor/echarts/echarts.yibao.min.js" in page.text
    assert "三级医院" in page.text
    assert "普通住院" in page.text
    assert "http://" not in page.text
    assert "https://" not in page.text
    export = reviewer.get(
        "/staff/dashboard.csv?section=month&date_from=2026-01-01&date_to=2026-12-31"
    )
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows == [
        ["按月", "结算笔数", "医疗费总额（元）", "基金支付（元）", "个人负担（元）"],
        ["2026-01", "2", "10100.00", "8080.00", "2020.00"],
    ]
    bad = reviewer.get("/staff/dashboard?date_from=2026-02-30")
    assert bad.status_code == 400
    assert "日期格式应为 YYYY-MM-DD" in bad.text
    backwards = reviewer.get("/staff/dashboard.csv?date_from=2026-05-01&date_to=2026-01-01")
    assert backwards.status_code == 400
    assert reviewer.get("/staff/dashboard.csv?section=nope").status_code == 400
