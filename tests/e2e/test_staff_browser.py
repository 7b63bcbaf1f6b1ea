"""经办管理 in the browser: a new staff member signs in with the one-time password, sets a
new one, enrols TOTP from the key shown beside 密钥 (pyotp computes the code), and later signs
in with 用户名, 密码 and 动态口令. Screenshots at 375 px and 1280 px go to
``test-output/screenshots/``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pyotp

from servers import LiveServer
from yibao.persistence.db import unit_of_work
from yibao.services import staff

SHOTS = Path(__file__).parents[2] / "test-output" / "screenshots"
NEW_PASSWORD = "Staff-pass-2026"


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        if width == 375:
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 375, f"{page.url} scrolls sideways at 375 px ({wide}px)"
    page.set_viewport_size({"width": 375, "height": 900})


def test_staff_first_login_enrols_totp_and_then_signs_in_with_the_code(
    live_server: LiveServer, page: Any, blocked_requests: list[str]
) -> None:
    with unit_of_work(live_server.session_factory) as session:
        initial = staff.add_staff(session, "admin.wang", "admin").initial_password
    page.set_viewport_size({"width": 375, "height": 900})
    page.goto(live_server.url + "/staff/login")
    shoot(page, "staff-login")
    page.get_by_label("用户名").fill("admin.wang")
    page.get_by_label("密码", exact=True).fill(initial)
    page.get_by_role("button", name="登录").click()
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("确认新密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="保存新密码").click()
    secret = page.locator("dt:text-is('密钥') + dd").inner_text().strip()
    assert page.get_by_role("img", name="动态口令二维码").is_visible()
    shoot(page, "staff-totp-enrolment")
    totp = pyotp.TOTP(secret)
    page.get_by_label("动态口令").fill(totp.now())
    page.get_by_role("button", name="完成绑定").click()
    page.get_by_role("heading", name="经办管理").wait_for()
    page.get_by_role("button", name="退出登录").click()

    # Later: 用户名, 密码 and 动态口令 (the next time step: a code is accepted once only).
    page.get_by_label("用户名").fill("admin.wang")
    page.get_by_label("密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("动态口令").fill(totp.at(time.time() + totp.interval))
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="经办管理").wait_for()
    shoot(page, "staff-home")
    page.get_by_role("link", name="统计看板").first.click()
    page.get_by_role("heading", name="统计看板").wait_for()
    assert page.locator("script[src='/static/vendor/echarts/echarts.yibao.min.js']").count() == 1
    shoot(page, "staff-dashboard")
    page.get_by_role("link", name="医保政策").first.click()
    page.get_by_role("link", name="查看与比较").first.click()
    shoot(page, "staff-policy")
    assert blocked_requests == []
