"""Policy files: the built-ins load, broken files are reported by file, key and reason, dated
values pick the version in force, and the ``yibao policy`` commands work."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from yibao.cli import app
from yibao.rules import PolicyError, default_registry, parse_case, settle, settle_case
from yibao.rules.policy_loader import (
    POLICY_DIR,
    load_builtin_policies,
    load_policy_file,
    parse_policy,
)

runner = CliRunner()

MINIMAL = """\
id: test-employee
label: 测试职工医保
region: "000000"
scheme: employee
sources:
  "000": 测试来源
parameters:
  person_groups:
    source: "000"
    values: {2024-01-01: [in_service, retired]}
  annual_cap:
    source: "000"
    values: {2024-01-01: 1000}
  benefits:
    inpatient:
      deductible:
        source: "000"
        values:
          2024-01-01: {per: admission, by_level: {1: 200, 2: 500, 3: 800}}
      rates:
        source: "000"
        values:
          2024-01-01:
            1: 0.87
            2: 0.85
            3: [{from: 0, to: 5000, rate: 0.80}, {from: 5000, rate: 0.90}]
"""


def test_the_four_built_in_policies_load() -> None:
    policies = load_builtin_policies()
    assert sorted(policies) == [
        "national-employee",
        "nmg-employee",
        "taiyuan-employee",
        "taiyuan-resident",
    ]
    assert policies["nmg-employee"].first_date.isoformat() == "2024-01-01"
    assert policies["taiyuan-resident"].first_date.isoformat() == "2010-01-01"
    assert policies["taiyuan-employee"].first_date.isoformat() == "2021-01-01"
    assert policies["national-employee"].first_date.isoformat() == "2024-01-01"


def test_built_in_values_are_the_ones_of_the_spec() -> None:
    reg = default_registry()
    nmg = reg.policies["nmg-employee"].versions[-1]
    assert nmg.annual_cap == Decimal(250000)
    assert nmg.default_selfpay_prop == Decimal("0.10")
    assert nmg.chronic_classes["B"].disease_cap == Decimal(5000)
    resident = reg.policies["taiyuan-resident"].versions[-1]
    assert resident.first_visit_hospital is True
    assert resident.personal_account is False
    national = reg.policies["national-employee"].versions[-1]
    assert national.benefits["outpatient"].own_cap == Decimal(2000)


def test_every_built_in_policy_sets_a_claim_deadline_within_the_sources_range() -> None:
    reg = default_registry()
    months = {pid: reg.policies[pid].versions[-1].claim_deadline_months for pid in reg.ids()}
    assert months == {
        "national-employee": 12,
        "nmg-employee": 12,
        "taiyuan-employee": 6,
        "taiyuan-resident": 9,
    }


def test_a_minimal_policy_file_loads_and_its_decimals_stay_exact(tmp_path: Path) -> None:
    path = tmp_path / "test-employee.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    policy = load_policy_file(path)
    bands = policy.versions[0].benefits["inpatient"].rates.bands("in_service", 1)
    assert bands is not None
    rate = bands[0].rate
    assert isinstance(rate, Decimal)
    assert rate == Decimal("0.87")  # not 0.8699999999999999955591079014993738383054733276367
    assert str(rate) == "0.87"


def _replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit


# (id, edit of MINIMAL, the key the error names, words of the reason)
BROKEN: list[tuple[str, Callable[[str], str], str, tuple[str, ...]]] = [
    (
        "missing source",
        _replace('  annual_cap:\n    source: "000"\n', "  annual_cap:\n"),
        "parameters.annual_cap.values.2024-01-01",
        ("来源", "source"),
    ),
    (
        "unknown source key",
        _replace('  annual_cap:\n    source: "000"\n', '  annual_cap:\n    source: "999"\n'),
        "parameters.annual_cap.values.2024-01-01",
        ("“999”", "sources"),
    ),
    (
        "non-date key",
        _replace("values: {2024-01-01: 1000}", "values: {soon: 1000}"),
        "parameters.annual_cap.values.soon",
        ("生效日期", "YYYY-MM-DD"),
    ),
    (
        "rate above 1",
        _replace("1: 0.87", "1: 1.5"),
        "parameters.benefits.inpatient.rates.1",
        ("0 到 1", "1.5"),
    ),
    (
        "overlapping bands",
        _replace("{from: 5000, rate: 0.90}", "{from: 4000, rate: 0.90}"),
        "parameters.benefits.inpatient.rates.3[1]",
        ("重叠",),
    ),
    (
        "missing level",
        _replace("by_level: {1: 200, 2: 500, 3: 800}", "by_level: {1: 200, 2: 500}"),
        "parameters.benefits.inpatient.deductible.by_level",
        ("1、2、3",),
    ),
    (
        "negative amount",
        _replace("values: {2024-01-01: 1000}", "values: {2024-01-01: -1000}"),
        "parameters.annual_cap",
        ("负数",),
    ),
    (
        "unknown deductible kind",
        _replace("per: admission,", "per: weekly,"),
        "parameters.benefits.inpatient.deductible.per",
        ("weekly", "admission"),
    ),
    (
        "claim deadline not a whole number of months",
        _replace(
            "  benefits:\n",
            '  claim_deadline_months:\n    source: "000"\n    values: {2024-01-01: 6.5}\n  benefits:\n',
        ),
        "parameters.claim_deadline_months",
        ("1 到 36",),
    ),
    ("missing sources", _replace('sources:\n  "000": 测试来源\n', ""), "sources", ("缺少",)),
]


@pytest.mark.parametrize(
    ("edit", "key", "words"), [pytest.param(e, k, w, id=i) for i, e, k, w in BROKEN]
)
def test_policy_validate_names_the_file_the_key_and_what_is_wrong(
    tmp_path: Path, edit: Callable[[str], str], key: str, words: tuple[str, ...]
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(edit(MINIMAL), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy_file(path)
    assert info.value.file == "broken.yaml"
    assert info.value.key == key
    for word in words:
        assert word in info.value.message

    result = runner.invoke(app, ["policy", "validate", str(path)])
    assert result.exit_code == 1
    assert "broken.yaml" in result.stderr
    assert key in result.stderr
    assert words[0] in result.stderr


def test_policy_validate_accepts_a_good_file(tmp_path: Path) -> None:
    path = tmp_path / "test-employee.yaml"
    path.write_text(MINIMAL, encoding="utf-8")
    result = runner.invoke(app, ["policy", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "test-employee" in result.stdout
    assert "2024-01-01" in result.stdout


def test_a_file_whose_id_differs_from_its_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "other-name.yaml").write_text(MINIMAL, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_builtin_policies(tmp_path)
    assert info.value.key == "id"
    assert "other-name" in info.value.message


def test_invalid_yaml_is_reported_with_the_file() -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy("id: [unclosed", "bad.yaml")
    assert info.value.file == "bad.yaml"
    assert info.value.key == "(YAML)"


def _reform_text() -> str:
    text = (POLICY_DIR / "nmg-employee.yaml").read_text(encoding="utf-8")
    old = "values: {2024-01-01: 250000}"
    assert old in text
    return text.replace(old, "values: {2024-01-01: 250000, 2026-01-01: 300000}")


def _capped_case(on: str) -> dict[str, Any]:
    return {
        "policy": "nmg-employee",
        "date": on,
        "person": {"group": "in_service"},
        "year_to_date": {"admissions": 2, "fund_paid": "245000.00"},
        "encounter": {
            "med_type": "inpatient",
            "hospital_level": 3,
            "items": [{"name": "药", "list_type": "A", "amount": "20000.00"}],
        },
    }


def test_a_reform_applies_from_its_date_and_reports_the_policy_version(tmp_path: Path) -> None:
    path = tmp_path / "nmg-employee.yaml"
    path.write_text(_reform_text(), encoding="utf-8")
    reform = load_policy_file(path)
    assert [v.version.isoformat() for v in reform.versions] == ["2024-01-01", "2026-01-01"]
    registry = default_registry().with_policy(reform)

    before = settle(_capped_case("2025-12-31"), registry)
    assert before["policy_version"] == "2024-01-01"
    assert before["hifp_pay"] == "5000.00"  # 250000 − 245000 left

    after = settle(_capped_case("2026-01-01"), registry)
    assert after["policy_version"] == "2026-01-01"
    # 3360 + 4250 + 9000 = 16610, within 300000 − 245000
    assert after["hifp_pay"] == "16610.00"

    # the other parameters carry over unchanged into the new version
    new = reform.version_on(parse_case(_capped_case("2026-06-01"), registry).date)
    assert new is not None
    assert new.annual_cap == Decimal(300000)
    assert new.benefits["inpatient"].oncology_once is True

    # the built-in registry is untouched
    assert settle(_capped_case("2026-01-01"))["hifp_pay"] == "5000.00"


def test_a_reform_shows_each_parameter_at_its_date(tmp_path: Path) -> None:
    path = tmp_path / "nmg-employee.yaml"
    path.write_text(_reform_text(), encoding="utf-8")
    reform = load_policy_file(path)
    caps = {
        on: [
            p.value
            for p in reform.parameters_on(date.fromisoformat(on))
            if p.path == "parameters.annual_cap"
        ]
        for on in ("2025-06-01", "2026-06-01")
    }
    assert caps == {"2025-06-01": [250000], "2026-06-01": [300000]}
    assert settle_case(
        parse_case(_capped_case("2026-06-01"), default_registry().with_policy(reform))
    ).policy_version == ("2026-01-01")


def test_policy_list_names_every_built_in_policy_with_its_versions() -> None:
    result = runner.invoke(app, ["policy", "list"])
    assert result.exit_code == 0, result.output
    for pid in ("nmg-employee", "taiyuan-resident", "taiyuan-employee", "national-employee"):
        assert pid in result.stdout
    assert "2010-01-01" in result.stdout


def test_policy_show_prints_the_parameters_in_force_on_a_date() -> None:
    result = runner.invoke(app, ["policy", "show", "nmg-employee", "--on", "2025-03-10"])
    assert result.exit_code == 0, result.output
    assert "annual_cap" in result.stdout
    assert "250000" in result.stdout
    assert "2024-01-01" in result.stdout


def test_policy_show_as_json_lists_values_with_their_sources() -> None:
    result = runner.invoke(
        app, ["policy", "show", "taiyuan-resident", "--on", "2025-03-10", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["version"] == "2010-01-01"
    by_key = {p["key"]: p for p in data["parameters"]}
    assert by_key["annual_cap"]["value"] == 40000
    assert by_key["annual_cap"]["source"] in data["sources"]
    assert by_key["benefits.inpatient.rates"]["value"] == {"1": "0.60", "2": "0.55", "3": "0.50"}


def test_policy_show_refuses_an_unknown_policy_and_a_date_before_it() -> None:
    unknown = runner.invoke(app, ["policy", "show", "nowhere"])
    assert unknown.exit_code == 2
    assert "nmg-employee" in unknown.stderr
    early = runner.invoke(app, ["policy", "show", "nmg-employee", "--on", "2023-12-31"])
    assert early.exit_code == 2
    assert "2024-01-01" in early.stderr
