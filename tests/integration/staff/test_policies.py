from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from staff_helpers import StaffBrowser, policy_upload_text

from yibao.persistence.tables import PolicyDocument
from yibao.rules import default_registry
from yibao.rules.policy_diff import diff
from yibao.rules.policy_loader import parse_policy
from yibao.services import policy_documents
from yibao.services.audit import COMMAND_LINE
from yibao.services.errors import InvalidInput

TODAY = date(2026, 6, 1)


def test_the_difference_between_two_versions_reads_as_plain_chinese() -> None:
    policy = parse_policy(policy_upload_text("2031-01-01", 300000), "x.yaml")
    changes = diff(policy, date(2024, 1, 1), date(2031, 1, 1))
    assert [str(c.sentence) for c in changes] == [
        "统筹基金年度最高支付限额（住院与门诊慢特病合计）：250,000 元 → 300,000 元"
    ]
    assert diff(policy, date(2031, 1, 1), date(2031, 1, 1)) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: [unclosed", "校验失败"),
        (policy_upload_text().replace("id: nmg-employee", "id: nmg-new"), "未知的医保政策"),
        (policy_upload_text("2025-01-01"), "已过"),
        (policy_upload_text().replace("2024-01-01: 250000", "2024-01-01: 260000"), "不能修改"),
        (policy_upload_text().replace("0.10}", "1.50}"), "校验失败"),
    ],
)
def test_a_bad_upload_is_refused_with_its_reason_and_nothing_is_stored(
    session_factory: sessionmaker[Session], text: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message), session_factory() as s, s.begin():
        policy_documents.upload(s, text, COMMAND_LINE, TODAY)
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(PolicyDocument)) == 0


def test_a_published_version_takes_effect_on_its_date_and_not_before(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s, s.begin():
        doc = policy_documents.upload(s, policy_upload_text(), COMMAND_LINE, TODAY).document
    assert default_registry().get("nmg-employee").versions[-1].version == date(2024, 1, 1)  # type: ignore[union-attr]
    with session_factory() as s, s.begin():
        policy_documents.publish(s, doc.id, COMMAND_LINE, datetime.now(UTC), TODAY)
    with session_factory() as s:
        policy_documents.refresh(s)
    policy = default_registry().get("nmg-employee")
    assert policy is not None
    assert policy.version_on(date(2030, 12, 31)).annual_cap == 250000  # type: ignore[union-attr]
    assert policy.version_on(date(2031, 1, 1)).annual_cap == 300000  # type: ignore[union-attr]
    # Publishing twice, or an upload no later than the published version, is refused.
    with pytest.raises(InvalidInput), session_factory() as s, s.begin():
        policy_documents.publish(s, doc.id, COMMAND_LINE, datetime.now(UTC), TODAY)
    with pytest.raises(InvalidInput, match="应晚于"), session_factory() as s, s.begin():
        policy_documents.upload(s, policy_upload_text(), COMMAND_LINE, TODAY)


def test_the_policy_page_shows_versions_and_the_change_and_admins_upload_there(
    signed_in: Callable[..., StaffBrowser],
) -> None:
    admin = signed_in("admin")
    bad = admin.post("/staff/policies/upload", files={"file": ("p.yaml", b"\xff\xfe not utf-8")})
    assert bad.status_code == 400
    assert "UTF-8" in bad.text
    empty = admin.post("/staff/policies/upload")
    assert "请选择政策 YAML 文件" in empty.text
    ok = admin.post(
        "/staff/policies/upload", files={"file": ("p.yaml", policy_upload_text().encode())}
    )
    assert ok.status_code == 200
    assert "草稿" in ok.text
    reviewer = signed_in("reviewer")
    page = reviewer.get("/staff/policies")
    assert "内蒙古自治区职工基本医疗保险" in page.text
    assert "上传新版本" not in page.text
    assert reviewer.get("/staff/policies/nmg-employee").status_code == 200
    assert reviewer.get("/staff/policies/no-such").status_code == 404


def test_a_policy_file_over_the_upload_limit_is_refused_beside_the_file_field(
    signed_in: Callable[..., StaffBrowser],
) -> None:
    admin = signed_in("admin")
    huge = b"a" * (20 << 20)  # past the 16 MB form limit: cut short on the way, not a 413
    page = admin.post("/staff/policies/upload", files={"file": ("p.yaml", huge)})
    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert "文件过大（上限 200 KB）" in page.text


def test_a_version_another_process_published_is_picked_up_by_the_watch(
    session_factory: sessionmaker[Session],
) -> None:
    """``yibao serve --workers N``: the process that publishes installs the version at once;
    the others notice the published versions changed and reload (web/policy_watch.py)."""
    from yibao.web.policy_watch import PolicyWatch

    watch = PolicyWatch(session_factory, seconds=1)
    assert watch.check() is False  # the first look only loads
    assert watch.check() is False  # nothing changed
    with session_factory() as s, s.begin():
        doc = policy_documents.upload(s, policy_upload_text(), COMMAND_LINE, TODAY).document
    assert watch.check() is False  # a draft is not a change
    with session_factory() as s, s.begin():  # "another process" publishes: no refresh here
        policy_documents.publish(s, doc.id, COMMAND_LINE, datetime.now(UTC), TODAY)
    before = default_registry().get("nmg-employee")
    assert before is not None
    assert before.version_on(date(2031, 1, 1)).annual_cap == 250000  # type: ignore[union-attr]
    assert watch.check() is True
    after = default_registry().get("nmg-employee")
    assert after is not None
    assert after.version_on(date(2031, 1, 1)).annual_cap == 300000  # type: ignore[union-attr]
    assert watch.check() is False


def test_the_watch_runs_in_the_background_while_the_app_serves(
    session_factory: sessionmaker[Session], migrated_url: str, secret_key_file: Path
) -> None:
    from fastapi.testclient import TestClient

    from yibao.config import Settings
    from yibao.web.app import create_app

    settings = Settings(migrated_url, secret_key_file, policy_refresh_seconds=1)
    app = create_app(settings)
    with TestClient(app):
        with session_factory() as s, s.begin():
            doc = policy_documents.upload(s, policy_upload_text(), COMMAND_LINE, TODAY).document
            policy_documents.publish(s, doc.id, COMMAND_LINE, datetime.now(UTC), TODAY)
        deadline = time.monotonic() + 10
        while True:
            policy = default_registry().get("nmg-employee")
            assert policy is not None
            if policy.version_on(date(2031, 1, 1)).annual_cap == 300000:  # type: ignore[union-attr]
                break
            assert time.monotonic() < deadline, "the watch did not reload the registry"
            time.sleep(0.1)
    assert app.state.policy_watch._thread is None  # stopped with the app
    app.state.engine.dispose()
