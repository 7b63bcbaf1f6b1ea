"""The files of ``examples/`` do what the README says (issue 6, item 8)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

from yibao.rules import settle
from yibao.rules.policy_loader import load_policy_file
from yibao.services import catalog

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_example_case_settles() -> None:
    case = json.loads((EXAMPLES / "case.json").read_text(encoding="utf-8"), parse_float=Decimal)
    result = settle(case)
    assert result["eligible"] is True
    assert result["medfee_sumamt"] == "31000.00"
    assert result["explanation"]


def test_the_example_reform_is_a_valid_policy_with_a_dated_change() -> None:
    policy = load_policy_file(EXAMPLES / "my-reform.yaml")
    assert policy.id == "my-reform"
    assert [v.version.isoformat() for v in policy.versions] == ["2024-01-01", "2027-01-01"]


def test_every_row_of_the_example_catalog_is_accepted() -> None:
    text = (EXAMPLES / "catalog.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) >= 5
    assert {catalog.parse_row(row)["list_category"] for row in rows} >= {"101", "201", "301"}
