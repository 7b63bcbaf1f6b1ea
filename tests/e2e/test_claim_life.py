"""A 手工报销's whole life in the browser: the citizen submits it with uploads → a reviewer
returns it (退回补充材料) → the citizen completes and resubmits it → two different reviewers
approve it (the amount is above the second-review threshold) → a payer builds a 支付批次 and
marks it paid → the citizen sees 已支付 and the settlement with its explanation. Staff sign in
with 动态口令 computed by pyotp. Screenshots at 375 px and 1280 px go to
``test-output/screenshots/``."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
from test_claim_journey import receipt, shoot, signed_up

from servers import LiveServer
from yibao.persistence.db import unit_of_work
from yibao.services import staff
from yibao.services.audit import COMMAND_LINE

UPLOADS = {
    "医疗费用发票或收据原件（盖章）": "invoice",
    "费用明细清单（列明药品、检查项目，盖章）": "list",
    "诊断证明或病历记录": "diagnosis",
    "出院记录或出院小结（盖章）": "discharge",
}


def staff_member(server: LiveServer, username: str, role: str) -> tuple[str, pyotp.TOTP]:
    """A member who set a password and enrolled TOTP (the enrolment used the current step)."""
    with unit_of_work(server.session_factory) as session:
        member = staff.add_staff(session, username, role).member
        password = f"Pw-{username}-2026!"
        staff.change_password(session, member, password, password, COMMAND_LINE)
        secret = staff.start_enrolment(session, member)
        totp = pyotp.TOTP(secret)
        staff.confirm_enrolment(session, member, totp.now(), datetime.now(UTC), COMMAND_LINE)
    return password, totp


def staff_sign_in(server: LiveServer, page: Any, username: str, role: str) -> None:
    password, totp = staff_member(server, username, role)
    page.goto(server.url + "/staff/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_label("动态口令").fill(totp.at(time.time() + totp.interval))
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="经办管理").wait_for()


def staff_sign_out(page: Any) -> None:
    page.get_by_role("button", name="退出登录").click()
    page.get_by_role("heading", name="经办人员登录").wait_for()


def test_a_claim_is_returned_completed_approved_twice_paid_and_seen_paid(
    live_server: LiveServer, page: Any, browser: Any, tmp_path: Path
) -> None:
    url = live_server.url
    page.set_viewport_size({"width": 375, "height": 900})
    signed_up(live_server, page, "13900005555", 4)
    page.goto(url + "/claims")
    page.get_by_label("未直接结算的原因").select_option("not_networked")
    page.get_by_label("报销类别").select_option("inpatient")
    page.get_by_label("就诊医院", exact=True).fill("某县人民医院")
    page.get_by_label("医院等级").select_option("2")
    page.get_by_label("费用发生日期").fill((date.today() - timedelta(days=10)).isoformat())
    page.get_by_label("发票号", exact=True).fill("ZY20250077")
    page.get_by_label("银行卡号", exact=True).fill("6222020200112233445")
    page.get_by_label("项目名称 1", exact=True).fill("普通病房床位费")
    page.get_by_label("类别 1", exact=True).select_option("A")
    page.get_by_label("金额（元） 1", exact=True).fill("30000")
    page.get_by_role("button", name="下一步：测算报销金额").click()
    for label, name in UPLOADS.items():
        page.get_by_label(label).set_input_files(receipt(tmp_path, name))
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/applications/*")
    claim = page.url.rsplit("/", 1)[1]

    desk = browser.new_context(locale="zh-CN").new_page()
    desk.set_default_timeout(10_000)
    desk.set_viewport_size({"width": 375, "height": 900})
    staff_sign_in(live_server, desk, "reviewer.li", "reviewer")
    desk.goto(f"{url}/staff/claims/{claim}")
    assert "6222 **** **** 3445" in desk.inner_text("main")
    shoot(desk, "life-staff-claim")
    desk.get_by_label("退回原因").select_option("发票不清晰或不完整，请重新上传")
    desk.get_by_role("button", name="退回补充材料").click()
    desk.wait_for_url("**/staff/claims/**")

    page.goto(f"{url}/applications/{claim}")
    assert page.locator(".status").first.inner_text() == "退回补充材料"
    page.get_by_label("医疗费用发票或收据原件（盖章）").set_input_files(receipt(tmp_path, "again"))
    page.get_by_role("button", name="重新提交").click()
    page.wait_for_url(f"**/applications/{claim}")
    assert page.locator(".status").first.inner_text() == "已提交"

    desk.goto(f"{url}/staff/claims/{claim}")
    desk.get_by_role("button", name="通过", exact=True).click()
    desk.wait_for_url("**done=first")
    staff_sign_out(desk)
    staff_sign_in(live_server, desk, "reviewer.zhao", "reviewer")
    desk.goto(f"{url}/staff/claims/{claim}")
    desk.get_by_role("button", name="通过", exact=True).click()
    desk.wait_for_url("**done=approved")
    staff_sign_out(desk)

    staff_sign_in(live_server, desk, "payer.sun", "payer")
    desk.goto(url + "/staff/payments")
    desk.get_by_role("button", name="生成支付批次").click()
    desk.wait_for_url("**/staff/payments/batches/*")
    assert "6222020200112233445" not in desk.content()
    shoot(desk, "life-staff-batch")
    desk.get_by_role("button", name="银行已付款，标记已支付").click()
    desk.wait_for_load_state()
    desk.context.close()

    page.goto(f"{url}/applications/{claim}")
    assert page.locator(".status").first.inner_text() == "已支付"
    shoot(page, "life-claim-paid")
    page.get_by_role("link", name="查看结算单和计算说明").click()
    page.wait_for_url("**/me/settlements/*")
    assert page.locator("ol.steps li").count() > 0
    shoot(page, "life-claim-settlement")
