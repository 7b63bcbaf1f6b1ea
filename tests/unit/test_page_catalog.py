"""The pages' English catalog: it parses, and a translation keeps the placeholders."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from babel.messages.pofile import read_po

from yibao.rules.policy_diff import plain_value
from yibao.services import smart_audit
from yibao.web.pages import i18n

PO = i18n.LOCALE_DIR / "en" / "LC_MESSAGES" / "messages.po"


def test_the_english_catalog_keeps_every_placeholder() -> None:
    with PO.open("rb") as f:
        catalog = read_po(f, locale="en")
    translated = [m for m in catalog if m.id and m.string]
    assert len(translated) > 150
    for message in translated:
        assert set(re.findall(r"\{\w*\}", str(message.id))) == set(
            re.findall(r"\{\w*\}", str(message.string))
        ), message.id


def test_english_is_served_from_the_committed_catalog_without_a_build_step() -> None:
    i18n.set_lang("en")
    try:
        assert i18n.gettext("账户余额") == "Account balance"
        assert i18n.gettext("请填写{label}").format(label=i18n.gettext("姓名")) == (
            "Please fill in Name"
        )
    finally:
        i18n.set_lang("zh")
    assert i18n.gettext("账户余额") == "账户余额"


def _catalog() -> dict[str, str]:
    with PO.open("rb") as f:
        return {str(m.id): str(m.string) for m in read_po(f, locale="en") if m.id}


def test_every_message_in_the_catalog_has_its_english() -> None:
    assert [k for k, v in _catalog().items() if not v] == []


def test_the_audit_rules_labels_in_the_data_are_in_the_catalog() -> None:
    english = _catalog()
    labels = {str(spec["label"]) for spec in smart_audit.rule_table().values()}
    assert labels == set(smart_audit.LABELS_FOR_CATALOG)
    assert all(english.get(label) for label in labels)


def test_an_audit_flag_is_translated_then_filled_and_stays_chinese_by_default() -> None:
    facts = smart_audit.ClaimFacts(
        visit_date=date(2025, 5, 10), submitted_on=date(2025, 6, 1), claim_type="inpatient",
        institution_name="某县人民医院", invoice_no="FP001", item_names=("宫颈细胞学检查",),
        items_total_fen=100, medfee_fen=200, sex="male", age=45, enrolled=True,
        settled_directly=(("S1", date(2025, 5, 10)),),
        restricted=(smart_audit.RestrictedItem("宫颈细胞学检查", "female", None, None),),
    )  # fmt: skip
    flags = smart_audit.run(facts)
    chinese = [str(f) for f in flags]
    assert chinese == [
        "DUP_INVOICE 同一张发票重复报销，或已在医院直接结算：发票 FP001 已于 2025-05-10"
        " 在某县人民医院直接结算（结算号 S1，未撤销）",
        "SEX_AGE_LIMIT 项目限定性别或年龄，与参保人不符：与参保人（45 岁）不符：宫颈细胞学检查限女性",
        "AMOUNTS_MISMATCH 费用明细合计与医疗费总额不符：明细合计 1.00 元，医疗费总额 2.00 元",
    ]
    i18n.set_lang("en")
    try:
        english = [f.render(i18n.gettext) for f in flags]
    finally:
        i18n.set_lang("zh")
    assert english == [
        "DUP_INVOICE The same invoice claimed twice, or already settled directly at the hospital:"
        " Invoice FP001 was settled directly at 某县人民医院 on 2025-05-10 (settlement S1,"
        " not reversed)",
        "SEX_AGE_LIMIT Items restricted by sex or age that do not fit the insured person:"
        " Does not fit the insured person (aged 45): 宫颈细胞学检查 is for women only",
        "AMOUNTS_MISMATCH The items do not add up to the total medical costs:"
        " The items add up to 1.00 yuan; the total medical costs are 2.00 yuan",
    ]
    assert [f.render(i18n.gettext) for f in flags] == chinese  # the page's default


def test_a_policy_value_reads_in_english_with_its_bands_levels_and_words() -> None:
    bands = {
        3: [{"from": 0, "to": 5000, "rate": Decimal("0.8")}, {"from": 5000, "rate": Decimal("0.9")}]
    }
    value = plain_value({"per": "admission", "by_level": bands}, "元")
    assert str(value) == "计算方式 每次住院；按医院等级 三级医院 0–5,000 元 80%，5,000 元以上 90%"
    i18n.set_lang("en")
    try:
        english = value.render(i18n.gettext)
        amount = plain_value(800, "元").render(i18n.gettext)
    finally:
        i18n.set_lang("zh")
    assert english == (
        "calculated per admission; By hospital level Level 3 hospital 0–5,000 yuan 80%,"
        " over 5,000 yuan 90%"
    )
    assert amount == "800 yuan"
