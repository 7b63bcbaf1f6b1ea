"""Bad input gets a clear error naming the field (spec section 1), through the engine and the CLI."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from yibao.cli import app
from yibao.rules import CaseError, settle


def good_case() -> dict[str, Any]:
    return {
        "policy": "nmg-employee",
        "date": "2025-03-10",
        "person": {"group": "in_service", "account_balance": "1200.00"},
        "year_to_date": {"admissions": 0, "fund_paid": "0.00"},
        "encounter": {
            "med_type": "inpatient",
            "hospital_level": 3,
            "items": [
                {"name": "甲类药", "list_type": "A", "amount": "15000.00"},
                {"name": "乙类药", "list_type": "B", "amount": "6000.00", "selfpay_prop": "0.10"},
                {"name": "护工费", "list_type": "C", "amount": "1000.00"},
            ],
        },
    }


Edit = Callable[[dict[str, Any]], None]


def chronic(policy: str, group: str, block: dict[str, Any] | None) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        c["policy"] = policy
        c["person"] = {"group": group, "continuous_years": 3}
        c["encounter"]["med_type"] = "chronic_outpatient"
        if block is None:
            c["encounter"].pop("chronic", None)
        else:
            c["encounter"]["chronic"] = block

    return edit


def item0(key: str, value: Any) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        c["encounter"]["items"][0][key] = value

    return edit


def put(section: str, key: str, value: Any) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        c[section][key] = value

    return edit


def top(key: str, value: Any) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        c[key] = value

    return edit


def drop(*path: str | int) -> Edit:
    def edit(c: dict[str, Any]) -> None:
        node: Any = c
        for p in path[:-1]:
            node = node[p]
        del node[path[-1]]

    return edit


def resident(c: dict[str, Any]) -> None:
    c["policy"] = "taiyuan-resident"
    c["person"] = {"group": "adult", "account_balance": "100.00"}


# (id, edit, the field the error names, words the message must contain)
BAD: list[tuple[str, Edit, str, tuple[str, ...]]] = [
    (
        "unknown policy lists the known ones",
        top("policy", "beijing-employee"),
        "policy",
        (
            "beijing-employee",
            "nmg-employee",
            "national-employee",
            "taiyuan-resident",
            "taiyuan-employee",
        ),
    ),
    ("missing policy", drop("policy"), "policy", ("必填",)),
    ("date no version covers", top("date", "2023-12-31"), "date", ("2023-12-31", "2024-01-01")),
    ("impossible date", top("date", "2025-02-30"), "date", ("2025-02-30",)),
    ("date in another format", top("date", "2025/03/10"), "date", ("YYYY-MM-DD",)),
    ("missing date", drop("date"), "date", ("必填",)),
    ("negative amount", item0("amount", "-1.00"), "encounter.items[0].amount", ("负数",)),
    ("malformed amount", item0("amount", "12,00"), "encounter.items[0].amount", ("格式",)),
    ("amount with letters", item0("amount", "1e5"), "encounter.items[0].amount", ("格式",)),
    ("empty amount", item0("amount", ""), "encounter.items[0].amount", ("格式",)),
    (
        "amount with three decimals",
        item0("amount", "12.345"),
        "encounter.items[0].amount",
        ("两位小数",),
    ),
    ("amount as a float", item0("amount", 15000.5), "encounter.items[0].amount", ("浮点数",)),
    ("amount as a boolean", item0("amount", True), "encounter.items[0].amount", ("金额",)),
    (
        "amount with too many digits",
        item0("amount", "1" * 30 + ".001"),
        "encounter.items[0].amount",
        ("金额",),
    ),
    (
        "missing amount",
        drop("encounter", "items", 0, "amount"),
        "encounter.items[0].amount",
        ("必填",),
    ),
    (
        "negative limit amount",
        item0("limit_amount", "-5.00"),
        "encounter.items[0].limit_amount",
        ("负数",),
    ),
    (
        "self-pay share above 1",
        item0("selfpay_prop", "1.5"),
        "encounter.items[0].selfpay_prop",
        ("0 到 1",),
    ),
    (
        "self-pay share as a float",
        item0("selfpay_prop", 0.1),
        "encounter.items[0].selfpay_prop",
        ("浮点数",),
    ),
    (
        "account balance as a float",
        put("person", "account_balance", 1200.0),
        "person.account_balance",
        ("浮点数",),
    ),
    (
        "negative year-to-date fund",
        put("year_to_date", "fund_paid", "-1.00"),
        "year_to_date.fund_paid",
        ("负数",),
    ),
    (
        "negative admissions",
        put("year_to_date", "admissions", -1),
        "year_to_date.admissions",
        ("非负整数",),
    ),
    (
        "unknown med_type",
        put("encounter", "med_type", "dental"),
        "encounter.med_type",
        ("dental", "inpatient"),
    ),
    (
        "unknown list_type",
        item0("list_type", "D"),
        "encounter.items[0].list_type",
        ("“D”", "A, B, C"),
    ),
    ("unknown route", put("encounter", "route", "air"), "encounter.route", ("air", "transfer_out")),
    (
        "unknown cause",
        put("encounter", "cause", "bad_luck"),
        "encounter.cause",
        ("bad_luck", "third_party"),
    ),
    (
        "unknown group",
        put("person", "group", "child"),
        "person.group",
        ("child", "in_service", "retired"),
    ),
    (
        "resident group on an employee scheme",
        put("person", "group", "adult"),
        "person.group",
        ("adult", "retired"),
    ),
    (
        "unknown therapy",
        put("encounter", "therapy", "surgery"),
        "encounter.therapy",
        ("surgery", "dialysis"),
    ),
    (
        "hospital level 4",
        put("encounter", "hospital_level", 4),
        "encounter.hospital_level",
        ("1、2 或 3",),
    ),
    (
        "missing hospital level",
        drop("encounter", "hospital_level"),
        "encounter.hospital_level",
        ("1、2 或 3",),
    ),
    (
        "designated as text",
        put("encounter", "designated", "yes"),
        "encounter.designated",
        ("true", "false"),
    ),
    (
        "account on a resident scheme",
        resident,
        "person.account_balance",
        ("taiyuan-resident", "不适用"),
    ),
    (
        "a chronic class the policy does not have",
        chronic("nmg-employee", "in_service", {"class": "C", "disease": "x"}),
        "encounter.chronic.class",
        ("“C”", "A, B"),
    ),
    (
        "a chronic class on national-employee",
        chronic("national-employee", "in_service", {"class": "A", "disease": "x"}),
        "encounter.chronic.class",
        ("national-employee", "不分类别"),
    ),
    (
        "no chronic class where the policy has classes",
        chronic("nmg-employee", "retired", None),
        "encounter.chronic.class",
        ("A, B",),
    ),
    (
        "class B chronic without a disease",
        chronic("nmg-employee", "retired", {"class": "B"}),
        "encounter.chronic.disease",
        ("病种",),
    ),
    (
        "a quota disease the policy does not list",
        chronic("taiyuan-resident", "adult", {"class": "quota", "disease": "flu"}),
        "encounter.chronic.disease",
        ("flu", "hypertension_iii"),
    ),
    ("missing person", drop("person"), "person", ("JSON 对象",)),
    ("missing encounter", drop("encounter"), "encounter", ("JSON 对象",)),
    ("missing items", drop("encounter", "items"), "encounter.items", ("数组",)),
    ("unknown top-level key", top("patient", "张三"), "patient", ("未知字段", "encounter")),
    ("unknown person key", put("person", "age", 40), "person.age", ("未知字段", "group")),
    (
        "unknown encounter key",
        put("encounter", "doctor", "李"),
        "encounter.doctor",
        ("未知字段", "med_type"),
    ),
    (
        "unknown item key",
        item0("price", "1.00"),
        "encounter.items[0].price",
        ("未知字段", "amount"),
    ),
    (
        "unknown year-to-date key",
        put("year_to_date", "visits", 3),
        "year_to_date.visits",
        ("未知字段", "fund_paid"),
    ),
    (
        "year-to-date chronic as a list",
        put("year_to_date", "chronic", [{}]),
        "year_to_date.chronic",
        ("JSON 对象",),
    ),
    (
        "year-to-date quota month not two digits",
        put("year_to_date", "chronic", {"coronary_mi": {"months": {"3": "10.00"}}}),
        "year_to_date.chronic.coronary_mi.months.3",
        ("01 到 12",),
    ),
]


@pytest.mark.parametrize(
    ("edit", "field", "words"), [pytest.param(e, f, w, id=i) for i, e, f, w in BAD]
)
def test_bad_input_is_refused_with_the_field_and_a_clear_message(
    edit: Edit, field: str, words: tuple[str, ...]
) -> None:
    case = good_case()
    edit(case)
    with pytest.raises(CaseError) as info:
        settle(case)
    assert info.value.field == field
    for word in words:
        assert word in info.value.message
    assert str(info.value).startswith(f"{field}: ")
    assert info.value.to_dict() == {"error": info.value.message, "field": field}


def test_a_case_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(CaseError) as info:
        settle([good_case()])
    assert info.value.field == "(case)"


def test_the_good_case_used_above_settles() -> None:
    assert settle(good_case())["hifp_pay"] == "16970.00"


def test_a_json_number_read_as_decimal_is_taken_exactly() -> None:
    text = json.dumps(good_case()).replace('"15000.00"', "15000.55").replace('"6000.00"', "6000.05")
    case = json.loads(text, parse_float=Decimal)
    r = settle(case)
    assert r["medfee_sumamt"] == "22000.60"
    assert r["preselfpay_amt"] == "600.01"  # 600.005 rounds half up
    assert r["inscp_scp_amt"] == "20400.59"  # 22000.60 − 1000.00 − 600.01


def test_a_json_number_read_as_float_is_refused() -> None:
    text = json.dumps(good_case()).replace('"15000.00"', "15000.55")
    with pytest.raises(CaseError) as info:
        settle(json.loads(text))
    assert info.value.field == "encounter.items[0].amount"
    assert "浮点数" in info.value.message


def test_a_whole_json_number_is_an_exact_amount() -> None:
    case = good_case()
    case["encounter"]["items"][0]["amount"] = 15000
    assert settle(case)["hifp_pay"] == "16970.00"


def test_three_decimals_ending_in_zero_are_still_exact_cents() -> None:
    case = good_case()
    case["encounter"]["items"][0]["amount"] = "15000.000"
    assert settle(case)["medfee_sumamt"] == "22000.00"


runner = CliRunner()


def test_cli_jsonl_reports_a_bad_line_in_place_and_settles_the_others(tmp_path: Path) -> None:
    bad = good_case()
    bad["encounter"]["items"][1]["amount"] = "-3.00"
    retired = good_case()
    retired["person"]["group"] = "retired"
    lines = [json.dumps(good_case()), json.dumps(bad), "", json.dumps(retired), "{not json"]
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["settle", "--jsonl", str(path)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 4  # the blank line is skipped
    assert out[0]["hifp_pay"] == "16970.00"
    assert out[1]["field"] == "encounter.items[1].amount"
    assert "负数" in out[1]["error"]
    assert set(out[1]) == {"error", "field"}
    assert out[2]["hifp_pay"] == "17950.00"
    assert out[3]["field"] == "(json)"


def test_cli_settles_a_case_read_from_stdin() -> None:
    result = runner.invoke(app, ["settle", "-"], input=json.dumps(good_case()))
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["hifp_pay"] == "16970.00"
    assert out["acct_pay"] == "1200.00"
    assert out["psn_cash_pay"] == "3830.00"


def test_cli_reads_json_numbers_from_stdin_exactly() -> None:
    text = json.dumps(good_case()).replace('"15000.00"', "15000.55")
    result = runner.invoke(app, ["settle", "-"], input=text)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["medfee_sumamt"] == "22000.55"


def test_cli_exits_non_zero_with_the_field_for_a_bad_case_on_stdin() -> None:
    case = copy.deepcopy(good_case())
    case["policy"] = "nowhere"
    result = runner.invoke(app, ["settle", "-"], input=json.dumps(case))
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["field"] == "policy"
    assert "nmg-employee" in out["error"]
