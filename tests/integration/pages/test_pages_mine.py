"""电子医保凭证, 我的医保 and 报销测算 pages: what a bound citizen sees of their own, bad
input beside its field, and another person's ids answered with 404."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from page_helpers import PageClient, bind, new_phone, register

from yibao.domain import voucher


def test_pages_of_the_insured_need_real_name_binding(page_client: PageClient) -> None:
    register(page_client, new_phone())
    for url in ("/voucher", "/me", "/me/account", "/me/year", "/estimate"):
        response = page_client.get(url, follow_redirects=False)
        assert response.headers["location"] == "/account/real-name", url


def test_the_voucher_is_activated_then_shows_a_signed_short_lived_token(
    page_client: PageClient, page_app: FastAPI, bound_citizen: Any
) -> None:
    page = page_client.get("/voucher").text
    assert "激活电子医保凭证" in page
    assert page_client.get("/voucher/code").status_code == 404
    assert page_client.post_form("/voucher/activate").status_code == 303
    page = page_client.get("/voucher").text
    assert 'aria-label="电子医保凭证二维码"' in page
    assert "<svg" in page
    assert "/static/js/voucher.js" in page
    fresh = page_client.get("/voucher/code").json()
    assert fresh["svg"].startswith("<svg")
    assert fresh["refresh_in"] == 540


def test_the_voucher_token_in_the_code_is_the_one_1101_verifies(page_app: FastAPI) -> None:
    now = datetime.now(UTC)
    token = voucher.issue(page_app.state.voucher_key, "15010000000000000001", now)
    assert voucher.verify(page_app.state.voucher_key, token, now) == "15010000000000000001"


def test_my_insurance_shows_enrolment_balance_and_the_year(
    page_client: PageClient, bound_citizen: Any, settle_for: Any
) -> None:
    setl_id = settle_for(bound_citizen.person_id, fund="800.00", cash="200.00")
    page = page_client.get("/me").text
    assert "参保缴费" in page
    assert "职工基本医疗保险" in page
    assert "在职" in page
    assert re.search(r"账户余额</span>\s*<span[^>]*>500\.00</span>", page)
    assert "800.00" in page
    assert f"/me/settlements/{setl_id}" in page
    year = page_client.get("/me/year").text
    assert "echarts.yibao.min.js" in year
    assert "剩余额度" in year
    assert "echarts" not in page  # the chart library only on the chart page


def test_a_settlement_shows_its_explanation_and_prints_as_a_pdf(
    page_client: PageClient, bound_citizen: Any, settle_for: Any
) -> None:
    setl_id = settle_for(bound_citizen.person_id)
    page = page_client.get(f"/me/settlements/{setl_id}").text
    assert "统筹基金按 90% 支付 800.00 元" in page
    assert "打印结算单" in page
    assert 'href="/static/css/print.css" media="print"' in page
    pdf = page_client.get(f"/me/settlements/{setl_id}/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert b"STSong-Light" in pdf.content


def test_account_movements_are_paged_by_month(
    page_client: PageClient, bound_citizen: Any, settle_for: Any
) -> None:
    settle_for(bound_citizen.person_id)
    now = datetime.now(UTC)
    this_month = page_client.get(f"/me/account?month={now:%Y-%m}").text
    assert "个人账户划入" in this_month
    assert "+500.00" in this_month
    empty = page_client.get("/me/account?month=2001-01").text
    assert "本月没有收支" in empty
    bad = page_client.get("/me/account?month=2025-13")
    assert bad.status_code == 400
    assert 'id="e-month"' in bad.text


def test_another_persons_settlement_is_not_found(
    page_client: PageClient, bound_citizen: Any, settle_for: Any, enrol: Any, new_client: Any
) -> None:
    other = enrol(name="赵六")
    theirs = settle_for(other.person_id)
    mine = settle_for(bound_citizen.person_id)
    assert page_client.get(f"/me/settlements/{mine}").status_code == 200
    for url in (f"/me/settlements/{theirs}", f"/me/settlements/{theirs}/pdf"):
        response = page_client.get(url)
        assert response.status_code == 404
        assert "赵六" not in response.text
    browser: PageClient = new_client()
    register(browser, other.phone)
    bind(browser, other)
    assert browser.get(f"/me/settlements/{mine}").status_code == 404
    assert browser.get(f"/me/settlements/{theirs}").status_code == 200


def test_the_estimate_names_what_the_fund_the_account_and_i_pay(
    page_client: PageClient, bound_citizen: Any
) -> None:
    response = page_client.post_form(
        "/estimate",
        {
            "hospital_level": "3",
            "med_type": "inpatient",
            "item1_name": "头孢克洛胶囊",
            "item1_type": "A",
            "item1_amount": "15000.00",
            "item2_name": "护工费",
            "item2_type": "C",
            "item2_amount": "1000",
        },
    )
    assert response.status_code == 200, response.text
    for words in ("统筹基金支付", "个人账户支付", "个人现金支付", "怎么算的"):
        assert words in response.text
    fund = re.search(r'id="fund-pay">([\d.]+)', response.text)
    assert fund is not None
    assert float(fund.group(1)) > 0
    assert page_client.get("/me").status_code == 200  # nothing stored: no settlement listed
    assert "暂无结算记录" in page_client.get("/me").text


def test_the_estimate_rejects_bad_input_beside_each_field(
    page_client: PageClient, bound_citizen: Any
) -> None:
    cases: list[tuple[dict[str, str], str]] = [
        ({"hospital_level": "9", "med_type": "inpatient", "item1_name": "x", "item1_type": "A", "item1_amount": "10"}, "e-hospital_level"),
        ({"hospital_level": "2", "med_type": "spa", "item1_name": "x", "item1_type": "A", "item1_amount": "10"}, "e-med_type"),
        ({"hospital_level": "2", "med_type": "outpatient"}, "e-item1_name"),
        ({"hospital_level": "2", "med_type": "outpatient", "item1_name": "x", "item1_type": "A", "item1_amount": "-5"}, "e-item1_amount"),
        ({"hospital_level": "2", "med_type": "outpatient", "item1_name": "x", "item1_type": "A", "item1_amount": "1.234"}, "e-item1_amount"),
        ({"hospital_level": "2", "med_type": "outpatient", "item1_name": "x", "item1_type": "A", "item1_amount": "abc"}, "e-item1_amount"),
        ({"hospital_level": "2", "med_type": "outpatient", "item1_name": "x", "item1_type": "Z", "item1_amount": "10"}, "e-item1_type"),
        ({"hospital_level": "2", "med_type": "outpatient", "item1_name": "没有这个药zz", "item1_type": "", "item1_amount": "10"}, "e-item1_name"),
        ({"hospital_level": "2", "med_type": "outpatient", "item1_name": "", "item1_type": "A", "item1_amount": "10"}, "e-item1_name"),
    ]  # fmt: skip
    for data, error_id in cases:
        response = page_client.post_form("/estimate", data)
        assert response.status_code == 400, data
        assert f'id="{error_id}"' in response.text, data
        assert 'id="fund-pay"' not in response.text
