from __future__ import annotations

from collections.abc import Callable

from claim_helpers import manual_identity_check, pending_application
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from staff_helpers import StaffBrowser

from yibao.persistence.tables import Application, Notice, Person
from yibao.persistence.tables.citizens import CitizenUser, IdentityCheck


def _status(factory: sessionmaker[Session], application_id: int) -> str:
    with factory() as s:
        app = s.get(Application, application_id)
        assert app is not None
        return app.status


def test_a_filing_is_rejected_with_a_reason_and_the_person_sees_the_outcome(
    signed_in: Callable[..., StaffBrowser],
    make_person: Callable[..., Person],
    session: Session,
    session_factory: sessionmaker[Session],
) -> None:
    person = make_person()
    app = pending_application(session, person, "cross_region_filing")
    session.commit()
    reviewer = signed_in("reviewer")
    page = reviewer.get("/staff/queues/cross_region_filing")
    assert f"申请 {app.id}" in page.text
    no_reason = reviewer.post(
        f"/staff/queues/cross_region_filing/{app.id}/decide", {"decision": "reject"}
    )
    assert no_reason.status_code == 400
    assert "未通过须写明原因" in no_reason.text
    assert _status(session_factory, app.id) == "submitted"
    done = reviewer.post(
        f"/staff/queues/cross_region_filing/{app.id}/decide",
        {"decision": "reject", "reason": "缺少居住证明"},
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/staff/queues/cross_region_filing"
    assert _status(session_factory, app.id) == "rejected"
    with session_factory() as s:
        bodies = s.scalars(select(Notice.body).where(Notice.person_id == person.id)).all()
    assert any("缺少居住证明" in b for b in bodies)
    wrong_kind = reviewer.post(
        f"/staff/queues/chronic_disease/{app.id}/decide", {"decision": "approve"}
    )
    assert wrong_kind.status_code == 404


def test_an_identity_check_in_manual_review_is_passed_by_a_reviewer(
    signed_in: Callable[..., StaffBrowser],
    make_person: Callable[..., Person],
    session: Session,
    session_factory: sessionmaker[Session],
) -> None:
    check = manual_identity_check(session, make_person())
    session.commit()
    reviewer = signed_in("reviewer")
    assert "认证 " in reviewer.get("/staff/identity").text
    assert reviewer.get(f"/staff/identity/{check.id}/../../etc").status_code == 404
    assert reviewer.get(f"/staff/identity/{check.id}/selfie").status_code == 404  # no file stored
    assert (
        reviewer.post(f"/staff/identity/{check.id}/decide", {"decision": "approve"}).status_code
        == 303
    )
    with session_factory() as s:
        stored = s.get(IdentityCheck, check.id)
        assert stored is not None
        assert stored.result == "passed"
        user = s.get(CitizenUser, stored.user_id)
        assert user is not None
        assert user.face_verified_at is not None
    again = reviewer.post(
        f"/staff/identity/{check.id}/decide", {"decision": "reject", "reason": "x"}
    )
    assert again.status_code == 400
    assert "已处理" in again.text


def test_a_region_limited_reviewer_does_not_see_other_regions_queues(
    signed_in: Callable[..., StaffBrowser], make_person: Callable[..., Person], session: Session
) -> None:
    app = pending_application(session, make_person(region="150100"), "first_visit_hospital")
    session.commit()
    outside = signed_in("reviewer", regions=("14",))
    assert f"申请 {app.id}" not in outside.get("/staff/queues/first_visit_hospital").text
    r = outside.post(f"/staff/queues/first_visit_hospital/{app.id}/decide", {"decision": "approve"})
    assert r.status_code == 404
