"""A new user's journey in the browser, in normal and in 长辈模式: register → 实名认证 →
activate the e-voucher (the QR decodes to a token that 1101 accepts) → balance → estimate.
Screenshots at 375 px and 1280 px go to ``test-output/screenshots/``; no page may scroll
sideways at 375 px."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from servers import LiveServer
from yibao.persistence.tables import Person
from yibao.services import persons

SHOTS = Path(__file__).parents[2] / "test-output" / "screenshots"
# Every other citizen page, checked at 375 px for sideways scrolling once signed in.
OTHER_PAGES = (
    "/account", "/account/real-name", "/account/password", "/account/face",
    "/account/face/records", "/me/account", "/me/settlements", "/me/year", "/claims",
    "/filings", "/chronic", "/first-visit", "/card-loss", "/messages", "/applications",
    "/drugs?q=amxl", "/hospitals", "/news", "/register", "/login",
)  # fmt: skip


def enrolled_person(server: LiveServer) -> tuple[str, str]:
    """(姓名, 身份证号) of a demo employee with a personal account."""
    with server.session_factory() as session:
        person = session.scalars(
            select(Person).where(Person.policy_id == "nmg-employee").order_by(Person.id).limit(1)
        ).one()
        return person.name, persons.certno_of(person)


def no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def check_1101_accepts(server: LiveServer, token: str) -> dict[str, Any]:
    code, key = next(iter(server.institution_keys.items()))
    body = {
        "infno": "1101", "msgid": f"{code}20260101120000{1:04d}", "mdtrtarea_admvs": "150102",
        "insuplc_admdvs": "150102", "recer_sys_code": "YBXT", "dev_no": "", "dev_safe_info": "",
        "cainfo": "", "signtype": "", "infver": "V1.0", "opter_type": "1", "opter": "001",
        "opter_name": "收费员", "inf_time": "2026-01-01 12:00:00", "fixmedins_code": code,
        "fixmedins_name": "医院", "sign_no": "",
        "input": {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": token}},
    }  # fmt: skip
    response = httpx.post(
        f"{server.url}/fsi/api",
        content=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Authorization": f"Bearer {key}", "content-type": "application/json"},
    )
    out = response.json()
    assert out["infcode"] == 0, out
    return dict(out["output"])


SMALLEST_TEXT_JS = """() => {
  let smallest = 1000, where = "";
  for (const el of document.body.querySelectorAll("*")) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < smallest) { smallest = size; where = el.tagName + " " + el.textContent.trim().slice(0, 20); }
  }
  return [smallest, where];
}"""


def elder_text_is_large(page: Any) -> None:
    size, where = page.evaluate(SMALLEST_TEXT_JS)
    assert size >= 20, f"{page.url}: {where!r} is {size}px"


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        if width == 375:
            no_sideways_scroll(page)
    page.set_viewport_size({"width": 375, "height": 900})
    if name.startswith("elder"):
        elder_text_is_large(page)


@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_a_new_user_registers_binds_shows_the_voucher_and_estimates(
    live_server: LiveServer, page: Any, elder: bool
) -> None:
    mode = "elder" if elder else "normal"
    name, certno = enrolled_person(live_server)
    page.set_viewport_size({"width": 375, "height": 900})
    page.goto(live_server.url + "/")
    if elder:
        page.get_by_role("link", name="长辈模式", exact=True).first.click()
        page.wait_for_selector("body.elder")
        # The new page's DOM can exist before its stylesheet has applied.
        page.wait_for_load_state("load")
        size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert size >= 20
        assert page.locator(".tiles-big a").count() == 5
    shoot(page, f"{mode}-home")

    page.get_by_role("link", name="注册", exact=True).first.click()
    page.get_by_label("手机号", exact=True).fill("13900001111" if elder else "13900002222")
    page.get_by_label("密码", exact=True).fill("Journey-pass-1")
    page.get_by_label("确认密码", exact=True).fill("Journey-pass-1")
    page.get_by_role("button", name="注册").click()

    page.wait_for_load_state()
    assert "/account/real-name" in page.url, page.inner_text("main")

    page.get_by_label("姓名", exact=True).fill(name)
    page.get_by_label("身份证号", exact=True).fill(certno)
    page.get_by_role("button", name="提交认证").click()

    page.wait_for_url("**/voucher")
    page.get_by_role("button", name="激活电子医保凭证").click()
    qr = page.get_by_role("img", name="电子医保凭证二维码")
    image = Image.open(io.BytesIO(qr.screenshot()))
    decoded = zxingcpp.read_barcodes(image)
    assert len(decoded) == 1
    token = decoded[0].text
    assert token.startswith("E")
    info = check_1101_accepts(live_server, token)
    assert info["baseinfo"]["psn_name"] == name
    shoot(page, f"{mode}-voucher")

    page.goto(live_server.url + "/me")
    assert page.get_by_text("账户余额", exact=True).is_visible()
    assert page.locator("#balance").inner_text().replace(".", "").isdigit()
    shoot(page, f"{mode}-me")

    page.goto(live_server.url + "/estimate")
    page.get_by_label("医院等级").select_option("3")
    page.get_by_label("医疗类别").select_option("inpatient")
    page.locator("#f-item1_name").fill("头孢克洛胶囊")
    page.locator("#f-item1_type").select_option("A")
    page.locator("#f-item1_amount").fill("12000")
    page.get_by_role("button", name="开始测算").click()
    for words in ("统筹基金支付", "个人账户支付", "个人现金支付"):
        assert page.get_by_text(words, exact=True).is_visible()
    shoot(page, f"{mode}-estimate")

    if not elder:
        for path in OTHER_PAGES:
            response = page.goto(live_server.url + path)
            assert response is not None
            if response.status == 404:
                continue  # a page not built yet
            assert response.ok, path
            no_sideways_scroll(page)
