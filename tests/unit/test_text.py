"""Translatable words for the inner layers: translated first, then filled."""

from __future__ import annotations

from yibao.domain.text import N_, Joined, Text, Verbatim

ENGLISH = {
    "发票 {invoice} {found}": "Invoice {invoice} {found}",
    "另有 {count} 件报销申请": "is on {count} other claim(s)",
    "；": "; ",
    "三级医院": "Level 3 hospital",
    "{name}（{level}）": "{name} ({level})",
}


def english(message: str) -> str:
    return ENGLISH.get(message, message)


def test_a_text_is_chinese_as_a_string_and_translated_then_filled_on_a_page() -> None:
    found = Joined(N_("；"), [Text(N_("另有 {count} 件报销申请"), count=2), Verbatim("甲；乙")])
    text = Text(N_("发票 {invoice} {found}"), invoice="FP-1", found=found)
    assert str(text) == "发票 FP-1 另有 2 件报销申请；甲；乙"
    assert text.render(english) == "Invoice FP-1 is on 2 other claim(s); 甲；乙"


def test_values_are_filled_after_translation_so_they_are_never_translated_themselves() -> None:
    # a value that happens to be a catalog entry stays as it is unless it is a Text
    text = Text(N_("{name}（{level}）"), name="三级医院", level=Text(N_("三级医院")))
    assert text.render(english) == "三级医院 (Level 3 hospital)"
    assert Text(N_("三级医院")).render(english) == "Level 3 hospital"  # a label: no values
    assert Text("{braces} kept").render(english) == "{braces} kept"


def test_texts_compare_by_their_words_and_values() -> None:
    assert Text(N_("另有 {count} 件报销申请"), count=1) == Text("另有 {count} 件报销申请", count=1)
    assert Text(N_("另有 {count} 件报销申请"), count=1) != Text("另有 {count} 件报销申请", count=2)
    assert Verbatim("80%") != Text("80%")
    assert Joined("、", ["a", "b"]) == Joined("、", ["a", "b"])
    assert N_("三级医院") == "三级医院"
