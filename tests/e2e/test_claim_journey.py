"""手工报销 in the browser, in normal and in 长辈模式: the step-by-step claim with uploads → see it
审核中 → returned for more material (by the reviewing side's service) → resubmitted.
Screenshots at 375 px and 1280 px go to ``test-output/screenshots/``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from servers import LiveServer
from yibao.persistence.tables import CitizenUser, Person
from yibao.services import applications, persons

SHOTS = Path(__file__).parents[2] / "test-output" / "screenshots"


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        if width == 375:
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 375, f"{page.url} is {wide}px wide"
    page.set_viewport_size({"width": 375, "height": 900})


def receipt(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    Image.new("RGB", (120, 80), (230, 230, 230)).save(path, "PNG")
    return path


def signed_up(server: LiveServer, page: Any, phone: str, offset: int) -> None:
    """Register, bind to a demo employee, and mark the face check passed (its own test)."""
    with server.session_factory() as session:
        person = session.scalars(
            select(Person).where(Person.policy_id == "nmg-employee").order_by(Person.id)
        ).all()[offset]
        name, certno, person_id = person.name, persons.certno_of(person), person.id
    page.goto(server.url + "/")
    page.get_by_role("link", name="注册", exact=True).first.click()
    page.get_by_label("手机号", exact=True).fill(phone)
    page.get_by_label("密码", exact=True).fill("Journey-pass-1")
    page.get_by_label("确认密码", exact=True).fill("Journey-pass-1")
    page.get_by_role("button", name="注册").click()
    page.wait_for_load_state()
    assert "/account/real-name" in page.url, page.inner_text("main")
    page.get_by_label("姓名", exact=True).fill(name)
    page.get_by_label("身份证号", exact=True).fill(certno)
    page.get_by_role("button", name="提交认证").click()
    page.wait_for_load_state()
    with server.session_factory() as session, session.begin():
        user = session.scalars(select(CitizenUser).where(CitizenUser.person_id == person_id)).one()
        user.face_verified_at = datetime.now(UTC)


def decide(server: LiveServer, application_id: int, to: str, reason: str = "") -> None:
    with server.session_factory() as session, session.begin():
        applications.decide(session, application_id, to, reason)


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_a_claim_with_uploads_is_reviewed_returned_and_resubmitted(
    live_server: LiveServer, page: Any, elder: bool, tmp_path: Path
) -> None:
    mode = "elder" if elder else "normal"
    page.set_viewport_size({"width": 375, "height": 900})
    signed_up(live_server, page, "13900003333" if elder else "13900004444", 2 if elder else 3)
    if elder:
        page.goto(live_server.url + "/elder?on=1&next=/")
        page.wait_for_selector("body.elder")
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="手工报销", exact=True).first.click()

    page.get_by_label("未直接结算的原因").select_option("not_networked")
    page.get_by_label("报销类别").select_option("inpatient")
    page.get_by_label("就诊医院", exact=True).fill("某县人民医院")
    page.get_by_label("医院等级").select_option("2")
    page.get_by_label("费用发生日期").fill((date.today() - timedelta(days=10)).isoformat())
    page.get_by_label("发票号", exact=True).fill("ZY20250001" if elder else "ZY20250002")
    page.get_by_label("银行卡号", exact=True).fill("6222020200112233445")
    page.get_by_label("项目名称 1", exact=True).fill("普通病房床位费")
    page.get_by_label("类别 1", exact=True).select_option("A")
    page.get_by_label("金额（元） 1", exact=True).fill("8000")
    shoot(page, f"{mode}-claim-step1")
    page.get_by_role("button", name="下一步：测算报销金额").click()

    for words in ("统筹基金支付", "个人账户支付", "个人现金支付"):
        assert page.get_by_text(words, exact=True).first.is_visible()
    page.get_by_label("医疗费用发票或收据原件（盖章）").set_input_files(
        receipt(tmp_path, "invoice")
    )
    page.get_by_label("费用明细清单（列明药品、检查项目，盖章）").set_input_files(
        receipt(tmp_path, "list")
    )
    page.get_by_label("诊断证明或病历记录").set_input_files(receipt(tmp_path, "diagnosis"))
    page.get_by_label("出院记录或出院小结（盖章）").set_input_files(receipt(tmp_path, "discharge"))
    shoot(page, f"{mode}-claim-step2")
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/applications/*")
    application_id = int(page.url.rsplit("/", 1)[1])
    assert page.locator(".status").first.inner_text() == "已提交"

    decide(live_server, application_id, "reviewing")
    page.goto(live_server.url + "/applications")
    assert page.locator(f"#a-{application_id} ~ p .status").inner_text() == "审核中"
    shoot(page, f"{mode}-applications")

    decide(live_server, application_id, "returned", "发票照片不清晰，请重新上传")
    page.goto(f"{live_server.url}/applications/{application_id}")
    assert page.locator(".status").first.inner_text() == "退回补充材料"
    assert page.get_by_text("发票照片不清晰，请重新上传").first.is_visible()
    page.get_by_label("医疗费用发票或收据原件（盖章）").set_input_files(receipt(tmp_path, "again"))
    shoot(page, f"{mode}-claim-returned")
    page.get_by_role("button", name="重新提交").click()
    page.wait_for_url(f"**/applications/{application_id}")
    assert page.locator(".status").first.inner_text() == "已提交"
    page.goto(live_server.url + "/messages")
    assert page.get_by_text("手工报销：退回补充材料").is_visible()
