"""Account pages: register, sign in (phone or ID number), sign out, real-name binding,
password change and reset, each with its bad input; sessions revoked; CSRF on every form."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from page_helpers import PASSWORD, PageClient, bind, new_phone, register
from sqlalchemy import update

from yibao.persistence.tables import CitizenSession
from yibao.services.sms import LogSender, MemorySender
from yibao.web.pages.context import CSRF_COOKIE, SESSION_COOKIE
from yibao.web.ratelimit import LoginLimits


def test_the_home_page_links_every_function_with_its_exact_words(page_client: PageClient) -> None:
    html = page_client.get("/").text
    for word in (
        "登录", "注册", "实名认证", "电子医保凭证", "我的医保", "报销测算", "手工报销",
        "异地就医备案", "药品目录", "定点医疗机构", "政策资讯", "长辈模式",
    ):  # fmt: skip
        assert f">{word}</a>" in html, word


def test_register_rejects_each_bad_field_beside_it_and_saves_nothing(
    page_client: PageClient,
) -> None:
    cases: list[tuple[dict[str, str], str, str]] = [
        ({"phone": "", "password": PASSWORD, "confirm": PASSWORD}, "e-phone", "请填写手机号"),
        ({"phone": "12345", "password": PASSWORD, "confirm": PASSWORD}, "e-phone", "11 位手机号"),
        ({"phone": new_phone(), "password": "short", "confirm": "short"}, "e-password", "8"),
        ({"phone": new_phone(), "password": "12345678", "confirm": "12345678"}, "e-password", "过于简单"),
        ({"phone": new_phone(), "password": PASSWORD, "confirm": PASSWORD + "x"}, "e-confirm", "不一致"),
    ]  # fmt: skip
    for data, error_id, message in cases:
        response = page_client.post_form("/register", data)
        assert response.status_code == 400, data
        assert f'id="{error_id}"' in response.text
        assert message in response.text
        assert SESSION_COOKIE not in response.cookies
    # nothing was saved: the good numbers can still register
    register(page_client, cases[2][0]["phone"])


def test_a_phone_number_registers_once(page_client: PageClient, new_client: Any) -> None:
    phone = new_phone()
    register(page_client, phone)
    other: PageClient = new_client()
    response = other.post_form(
        "/register", {"phone": phone, "password": PASSWORD, "confirm": PASSWORD}
    )
    assert response.status_code == 400
    assert "已注册" in response.text


def test_login_with_phone_or_id_number_and_logout_revokes_the_session(
    page_client: PageClient, enrol: Any, new_client: Any
) -> None:
    who = enrol()
    register(page_client, who.phone)
    bind(page_client, who)
    for ident in (who.phone, who.certno):
        browser: PageClient = new_client()
        response = browser.post_form("/login", {"ident": ident, "password": PASSWORD})
        assert response.status_code == 303
        assert browser.get("/account").status_code == 200
        token = browser.cookies[SESSION_COOKIE]
        browser.post_form("/logout")
        assert browser.get("/account", follow_redirects=False).status_code == 303
        browser.cookies.set(SESSION_COOKIE, token)  # replaying the old cookie does not work
        assert (
            browser.get("/account", follow_redirects=False).headers["location"].startswith("/login")
        )


def test_wrong_passwords_lock_the_account_after_five_tries(
    page_client: PageClient, new_client: Any
) -> None:
    phone = new_phone()
    register(page_client, phone)
    browser: PageClient = new_client()
    for _ in range(5):
        bad = browser.post_form("/login", {"ident": phone, "password": "wrong-password"})
        assert bad.status_code == 400
        assert "错误" in bad.text
    locked = browser.post_form("/login", {"ident": phone, "password": PASSWORD})
    assert locked.status_code == 400
    empty = browser.post_form("/login", {"ident": "", "password": ""})
    assert 'id="e-ident"' in empty.text
    assert 'id="e-password"' in empty.text


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(
    page_client: PageClient, new_client: Any
) -> None:
    phone = new_phone()
    register(page_client, phone)
    asked = page_client.get("/account/password", follow_redirects=False)
    assert asked.status_code == 200
    browser: PageClient = new_client()
    assert browser.get("/account", follow_redirects=False).headers["location"] == (
        "/login?next=/account"
    )
    for target, landing in (
        ("/account", "/account"),
        ("//evil.example/x", "/"),
        ("https://e.x", "/"),
    ):
        response = browser.post_form(
            "/login", {"ident": phone, "password": PASSWORD, "next": target}
        )
        assert response.headers["location"] == landing


def test_every_form_carries_the_browsers_csrf_token(
    page_client: PageClient, bound_citizen: Any
) -> None:
    token = page_client.cookies[CSRF_COOKIE]
    for url in (
        "/", "/register", "/login", "/account/real-name", "/account/password", "/account/reset",
        "/account/face", "/voucher", "/estimate",
    ):  # fmt: skip
        html = page_client.get(url).text
        forms = html.count("<form")
        assert forms, url
        fields = re.findall(r'name="csrf_token" value="([^"]*)"', html)
        assert fields == [token] * forms, url


def test_every_form_needs_the_csrf_token(page_client: PageClient) -> None:
    page_client.csrf()
    for url in ("/register", "/login", "/logout", "/account/reset", "/account/reset/confirm"):
        response = page_client.post(url, data={"phone": new_phone()}, follow_redirects=False)
        assert response.status_code == 403, url
        assert "页面已过期" in response.text
        forged = page_client.post(url, data={"csrf_token": "forged"}, follow_redirects=False)
        assert forged.status_code == 403


def test_real_name_binding_matches_the_enrolment_and_says_what_to_check(
    page_client: PageClient, enrol: Any
) -> None:
    who = enrol(name="李四")
    register(page_client, new_phone())
    bad_id = page_client.post_form(
        "/account/real-name", {"name": "李四", "certno": "150102198005170000"}
    )
    assert bad_id.status_code == 400
    assert 'id="e-certno"' in bad_id.text
    empty = page_client.post_form("/account/real-name", {"name": "", "certno": ""})
    assert 'id="e-name"' in empty.text
    assert 'id="e-certno"' in empty.text
    wrong_name = page_client.post_form("/account/real-name", {"name": "李五", "certno": who.certno})
    assert wrong_name.status_code == 400
    assert "姓名与参保登记的信息不一致" in wrong_name.text
    assert "请逐项核对" in wrong_name.text
    assert "呼和浩特市医疗保障事务中心" in wrong_name.text
    bind(page_client, who)
    account = page_client.get("/account").text
    assert "李四" in account
    assert who.certno not in account  # masked
    assert who.certno[:4] + "**********" + who.certno[-4:] in account


def test_an_unknown_id_number_names_the_agency_of_its_region(
    page_client: PageClient, new_certno: Any
) -> None:
    register(page_client, new_phone())
    response = page_client.post_form(
        "/account/real-name", {"name": "张三", "certno": new_certno(region="140105")}
    )
    assert "未查到该身份证号的参保登记" in response.text
    assert "太原市医疗保障服务中心" in response.text


def test_a_person_binds_to_one_account_only(
    page_client: PageClient, enrol: Any, new_client: Any
) -> None:
    who = enrol()
    register(page_client, who.phone)
    bind(page_client, who)
    other: PageClient = new_client()
    register(other, new_phone())
    response = other.post_form("/account/real-name", {"name": who.name, "certno": who.certno})
    assert response.status_code == 400
    assert "已绑定另一个手机号" in response.text


def test_password_change_checks_the_old_one_and_signs_out_everywhere(
    page_client: PageClient, new_client: Any
) -> None:
    phone = new_phone()
    register(page_client, phone)
    second: PageClient = new_client()
    second.post_form("/login", {"ident": phone, "password": PASSWORD})
    wrong = page_client.post_form(
        "/account/password",
        {"old_password": "not-it-123", "password": "Another-pass-9", "confirm": "Another-pass-9"},
    )
    assert wrong.status_code == 400
    assert 'id="e-old_password"' in wrong.text
    mismatch = page_client.post_form(
        "/account/password",
        {"old_password": PASSWORD, "password": "Another-pass-9", "confirm": "Another-pass-8"},
    )
    assert 'id="e-confirm"' in mismatch.text
    done = page_client.post_form(
        "/account/password",
        {"old_password": PASSWORD, "password": "Another-pass-9", "confirm": "Another-pass-9"},
    )
    assert done.status_code == 303
    assert second.get("/account", follow_redirects=False).status_code == 303
    assert page_client.get("/account", follow_redirects=False).status_code == 303
    back = page_client.post_form("/login", {"ident": phone, "password": "Another-pass-9"})
    assert back.status_code == 303


def test_password_reset_by_sms_code_with_rate_limits(
    page_client: PageClient, page_app: FastAPI, new_client: Any
) -> None:
    sender: MemorySender = page_app.state.sms_sender
    phone = new_phone()
    register(page_client, phone)
    browser: PageClient = new_client()
    assert browser.post_form("/account/reset", {"phone": phone}).status_code == 200
    code = sender.codes[phone]
    again = browser.post_form("/account/reset", {"phone": phone})
    assert again.status_code == 400
    assert "频繁" in again.text
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3):
        bad = browser.post_form(
            "/account/reset/confirm",
            {"phone": phone, "code": wrong, "password": "Brand-new-77", "confirm": "Brand-new-77"},
        )
        assert f"还可输入 {left} 次" in bad.text
    weak = browser.post_form(
        "/account/reset/confirm",
        {"phone": phone, "code": code, "password": "password", "confirm": "password"},
    )
    assert weak.status_code == 400
    assert 'id="e-password"' in weak.text
    ok = browser.post_form(
        "/account/reset/confirm",
        {"phone": phone, "code": code, "password": "Brand-new-77", "confirm": "Brand-new-77"},
    )
    assert ok.status_code == 303
    assert page_client.get("/account", follow_redirects=False).status_code == 303  # signed out
    reused = browser.post_form(
        "/account/reset/confirm",
        {"phone": phone, "code": code, "password": "Brand-new-78", "confirm": "Brand-new-78"},
    )
    assert "已失效" in reused.text
    assert (
        browser.post_form("/login", {"ident": phone, "password": "Brand-new-77"}).status_code == 303
    )


def test_the_default_sms_sender_logs_the_code_with_the_phone_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="yibao.sms"):
        LogSender().send_code("13812341234", "482913", "找回密码")
    assert "482913" in caplog.text
    assert "138****1234" in caplog.text
    assert "13812341234" not in caplog.text


def test_language_and_elder_mode_are_remembered(page_client: PageClient) -> None:
    page_client.get("/lang?to=en&next=/register")
    english = page_client.get("/register").text
    assert 'lang="en"' in english
    assert "Register" in english
    page_client.get("/lang?to=zh&next=/")
    page_client.get("/elder?on=1&next=/")
    home = page_client.get("/").text
    assert 'class="elder' in home
    assert 'class="tiles-big"' in home
    assert (
        page_client.get("/lang?to=en&next=https://evil.example", follow_redirects=False).headers[
            "location"
        ]
        == "/"
    )


def test_an_expired_session_is_refused(page_client: PageClient, session_factory: Any) -> None:
    register(page_client, new_phone())
    assert page_client.get("/account", follow_redirects=False).status_code == 200
    with session_factory() as session:
        session.execute(
            update(CitizenSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        session.commit()
    assert page_client.get("/account", follow_redirects=False).headers["location"] == (
        "/login?next=/account"
    )


def test_a_reset_code_for_an_unknown_number_is_answered_alike_and_sent_nowhere(
    page_client: PageClient, page_app: FastAPI
) -> None:
    phone = new_phone()
    response = page_client.post_form("/account/reset", {"phone": phone})
    assert response.status_code == 200
    assert "如该手机号已注册" in response.text
    assert phone not in page_app.state.sms_sender.codes
    bad = page_client.post_form("/account/reset", {"phone": "12"})
    assert bad.status_code == 400
    assert 'id="e-phone"' in bad.text


def test_sign_in_and_codes_are_limited_per_address(page_app: FastAPI, new_client: Any) -> None:
    page_app.state.login_limits = LoginLimits.of((3, 60), (10, 300))
    browser: PageClient = new_client()
    for _ in range(3):
        response = browser.post_form("/login", {"ident": new_phone(), "password": "whatever-1"})
        assert response.status_code == 400
    limited = browser.post_form("/login", {"ident": new_phone(), "password": "whatever-1"})
    assert limited.status_code == 429
    assert "尝试过于频繁" in limited.text
    code = browser.post_form("/account/reset", {"phone": new_phone()})
    assert code.status_code == 400
    assert "尝试过于频繁" in code.text
