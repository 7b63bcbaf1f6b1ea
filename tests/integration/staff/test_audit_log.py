from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from staff_helpers import StaffBrowser

from yibao.services import audit


def _three_entries(session: Session) -> None:
    wang = audit.Actor("wang", None)
    audit.record(
        session,
        wang,
        "claim.approve",
        "claim",
        7,
        before={"status": "审核中"},
        after={"status": "已通过"},
        region="150102",
    )
    audit.record(session, wang, "claim.return", "claim", 8, region="140105")
    audit.record(session, audit.COMMAND_LINE, "staff.add", "staff", 1, after={"role": "payer"})


def test_the_audit_log_refuses_updates_and_deletes(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s, s.begin():
        _three_entries(s)
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError), session_factory() as s, s.begin():
            s.execute(text(statement))
    with session_factory() as s:
        assert len(audit.search(s, audit.AuditQuery())) == 3


def test_search_filters_by_actor_action_object_date_and_region(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s, s.begin():
        _three_entries(s)
    with session_factory() as s:
        assert len(audit.search(s, audit.AuditQuery(actor="wang"))) == 2
        assert len(audit.search(s, audit.AuditQuery(action="staff.add"))) == 1
        hit = audit.search(s, audit.AuditQuery(object_type="claim", object_id="7"))
        assert [json.loads(e.after) for e in hit] == [{"status": "已通过"}]
        assert len(audit.search(s, audit.AuditQuery(regions=("1502",)))) == 0
        assert len(audit.search(s, audit.AuditQuery(regions=("1501",)))) == 1
        assert len(audit.search(s, audit.AuditQuery(regions=("150102", "14")))) == 2
        assert audit.search(s, audit.AuditQuery(date_to=date(2000, 1, 1))) == []


def test_the_audit_page_exports_csv_and_refuses_a_bad_date_beside_the_field(
    signed_in: Callable[..., StaffBrowser], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s, s.begin():
        _three_entries(s)
    admin = signed_in("admin")
    page = admin.get("/staff/audit?actor=wang")
    assert page.status_code == 200
    assert "claim.approve" in page.text
    assert "staff.add" not in page.text
    bad = admin.get("/staff/audit?date_from=2026-13-01")
    assert bad.status_code == 400
    assert "日期格式应为 YYYY-MM-DD" in bad.text
    export = admin.get("/staff/audit.csv?actor=wang")
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["id", "at_utc", "actor", "action"]
    assert {r[3] for r in rows[1:]} == {"claim.approve", "claim.return"}


def test_a_region_limited_admin_sees_only_their_regions_entries(
    signed_in: Callable[..., StaffBrowser], session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as s, s.begin():
        _three_entries(s)
    admin = signed_in("admin", regions=("1401",))
    page = admin.get("/staff/audit")
    assert "claim.return" in page.text
    assert "claim.approve" not in page.text
