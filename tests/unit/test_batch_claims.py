"""The claim table: case dicts <-> Arrow, Parquet and JSON Lines, errors naming row and field."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from yibao.batch.claims import (
    CLAIM_SCHEMA,
    ClaimError,
    cases_to_table,
    read_claims,
    table_to_cases,
    write_claims,
)


def _claim(person: str, when: str = "2025-03-10", **encounter: Any) -> dict[str, Any]:
    return {
        "person_id": person,
        "policy": "nmg-employee",
        "date": when,
        "person": {"group": "in_service", "account_balance": "1200.00", "continuous_years": 3},
        "encounter": {
            "med_type": "inpatient",
            "hospital_level": 3,
            "items": [
                {"name": "头孢克洛胶囊", "list_type": "A", "amount": "15000.00"},
                {
                    "name": "阿托伐他汀",
                    "list_type": "B",
                    "amount": "60.00",
                    "selfpay_prop": "0.333",
                },
                {"name": "支架", "list_type": "A", "amount": "9000.00", "limit_amount": "8000.00"},
            ],
            **encounter,
        },
    }


def test_cases_become_rows_of_the_claim_schema_with_the_defaults_filled_in() -> None:
    table = cases_to_table([_claim("p1"), _claim("p2", cause="third_party")])
    assert table.schema.equals(CLAIM_SCHEMA)
    row = table.slice(1, 1).to_pylist()[0]
    assert row["date"] == date(2025, 3, 10)
    assert row["account_balance"] == Decimal("1200.00")
    assert (row["use_account"], row["route"], row["designated"]) == (True, "normal", True)
    assert row["cause"] == "third_party"
    assert row["items"][1]["selfpay_prop"] == Decimal("0.333000")


def test_a_table_turns_back_into_the_same_cases() -> None:
    cases = [_claim("p1"), _claim("p2", chronic=None, therapy=None)]
    back = table_to_cases(cases_to_table(cases))
    assert back[0]["encounter"]["items"] == cases[0]["encounter"]["items"]
    assert back[0]["person"]["account_balance"] == "1200.00"
    assert back[1]["encounter"]["route"] == "normal"
    assert "chronic" not in back[1]["encounter"]


def test_json_lines_and_parquet_files_and_directories_read_back_alike(tmp_path: Path) -> None:
    table = cases_to_table([_claim("p1"), _claim("p2"), _claim("p3")])
    write_claims(table, tmp_path / "claims.jsonl")
    write_claims(table, tmp_path / "claims.parquet")
    (tmp_path / "parts").mkdir()
    pq.write_table(table.slice(0, 2), tmp_path / "parts" / "part-0.parquet")
    pq.write_table(table.slice(2), tmp_path / "parts" / "part-1.parquet")
    for source in ("claims.jsonl", "claims.parquet", "parts"):
        assert read_claims(tmp_path / source).equals(table), source


def test_a_parquet_file_without_the_defaulted_columns_is_completed(tmp_path: Path) -> None:
    table = cases_to_table([_claim("p1")])
    pq.write_table(table.drop_columns(["route", "use_account", "therapy"]), tmp_path / "c.parquet")
    assert read_claims(tmp_path / "c.parquet").equals(table)


def test_a_year_to_date_in_json_lines_is_ignored(tmp_path: Path) -> None:
    claim = _claim("p1")
    claim["year_to_date"] = {"admissions": 3}
    (tmp_path / "c.jsonl").write_text(json.dumps(claim) + "\n", encoding="utf-8")
    assert read_claims(tmp_path / "c.jsonl").num_rows == 1


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"items": [{"list_type": "A", "amount": 12.5}]}, "encounter.items[0].amount", "浮点数"),
        ({"items": [{"list_type": "A", "amount": "1.234"}]}, "encounter.items[0].amount", "两位"),
        (
            {"items": [{"list_type": "B", "amount": "1", "selfpay_prop": "2"}]},
            "encounter.items[0].selfpay_prop",
            "0 到 1",
        ),
        ({"hospital_level": 4}, "encounter.hospital_level", "1、2 或 3"),
        ({"oncology_course": "yes"}, "encounter.oncology_course", "true 或 false"),
        ({"colour": "red"}, "encounter.colour", "未知字段"),
    ],
)
def test_a_bad_field_is_named_with_its_row(
    tmp_path: Path, change: dict[str, Any], field: str, words: str
) -> None:
    bad = _claim("p2")
    bad["encounter"].update(change)
    lines = [json.dumps(c, default=str) for c in (_claim("p1"), bad)]
    (tmp_path / "c.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ClaimError) as caught:
        read_claims(tmp_path / "c.jsonl")
    assert (caught.value.row, caught.value.field) == (2, field)
    assert words in caught.value.message
    assert str(caught.value).startswith(f"第 2 行 {field}：")


def test_a_missing_person_id_is_named() -> None:
    claim = _claim("p1")
    del claim["person_id"]
    with pytest.raises(ClaimError, match="第 1 行 person_id：必填"):
        cases_to_table([claim])


def test_a_parquet_file_without_a_required_column_is_refused(tmp_path: Path) -> None:
    table = cases_to_table([_claim("p1")]).drop_columns(["med_type"])
    pq.write_table(table, tmp_path / "c.parquet")
    with pytest.raises(ClaimError, match=r"encounter\.med_type：缺少此列"):
        read_claims(tmp_path / "c.parquet")


def test_a_null_in_a_required_column_names_its_row() -> None:
    table = cases_to_table([_claim("p1"), _claim("p2")])
    groups = pa.array(["in_service", None], pa.string())
    table = table.set_column(3, pa.field("group", pa.string()), groups)
    with pytest.raises(ClaimError, match=r"第 2 行 person\.group：必填"):
        write_claims(table, "unused.parquet")
