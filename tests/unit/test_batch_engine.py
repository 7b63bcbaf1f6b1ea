"""The batch engine settles a table exactly like settle_chain over each person's claims in
date order (ties in file order), restarting each calendar year."""

from __future__ import annotations

import itertools
from collections import defaultdict
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from batch_cases import RandomClaims, random_claims

from yibao.batch import ClaimError, cases_to_table, engine, settle_table
from yibao.batch.claims import table_to_cases
from yibao.batch.engine import prepare_claims, settle_table_scalar
from yibao.batch.params import REASONS, ProfileKey, build_profile
from yibao.batch.result import AMOUNT_FIELDS, CAP_MARK, BatchResult
from yibao.domain.money import to_fen
from yibao.rules import Result, parse_case
from yibao.rules.chain import settle_chain
from yibao.rules.policy_loader import POLICY_DIR, parse_policy
from yibao.rules.registry import builtin_registry

# 100,000 random claims in four parts of about 25,000 (so that xdist spreads them)
PROPERTY_SEEDS = (20261127, 20261128, 20261129, 20261130)
PROPERTY_PERSONS = 4_400


def _reference(claims: RandomClaims) -> BatchResult:
    """settle_chain over each person's cases in date order (stable), field by field."""
    rows: dict[str, list[int]] = defaultdict(list)
    for row, person in enumerate(claims.persons):
        rows[person].append(row)
    results: list[Result | None] = [None] * len(claims.cases)
    for chain in rows.values():
        chain.sort(key=lambda r: claims.cases[r].date)
        for row, result in zip(chain, settle_chain(claims.cases[r] for r in chain), strict=True):
            results[row] = result
    done = [r for r in results if r is not None]
    assert len(done) == len(results)
    out = BatchResult.empty(len(done))
    for name in AMOUNT_FIELDS:
        setattr(out, name, np.array([int(getattr(r, name).scaleb(2)) for r in done], np.int64))
    out.eligible[:] = [r.eligible for r in done]
    out.reason[:] = [r.ineligible_reason for r in done]
    out.capped[:] = [any(CAP_MARK in line for line in r.explanation) for r in done]
    return out


def _first_differences(got: BatchResult, want: BatchResult, claims: RandomClaims) -> list[str]:
    out = []
    for name in got.differences(want):
        a, b = getattr(got, name), getattr(want, name)
        for row in np.flatnonzero(a != b)[:3].tolist():
            case = claims.cases[row]
            out.append(
                f"row {row} {name}: batch {a[row]} scalar {b[row]} "
                f"({case.policy.id} {case.date} {case.med_type} {claims.persons[row]})"
            )
    return out


@pytest.mark.parametrize("seed", PROPERTY_SEEDS)
def test_100000_random_claims_settle_to_the_fen_exactly_like_the_scalar_engine(seed: int) -> None:
    claims = random_claims(seed, PROPERTY_PERSONS)
    assert claims.table.num_rows >= 100_000 // len(PROPERTY_SEEDS)
    got = settle_table(claims.table, builtin_registry())
    want = _reference(claims)
    assert _first_differences(got, want, claims) == []
    assert got.differences(want) == {}
    assert got.fallback_rows == 0
    # the draw reaches every feature
    assert set(got.reason.tolist()) == set(REASONS)
    assert got.capped.sum() > 500
    assert (got.hifmi_pay > 0).sum() > 50
    assert (got.acct_pay > 0).sum() > 500
    assert (got.preselfpay_amt > 0).sum() > 500
    assert (got.overlmt_selfpay > 0).sum() > 500
    assert (got.act_pay_dedc > 0).sum() > 500


def test_the_random_rows_are_what_parse_case_makes_of_them() -> None:
    claims = random_claims(5, 400)
    raw = table_to_cases(claims.table)
    for row, case in enumerate(raw):
        assert case["person_id"] == claims.persons[row]
        del case["person_id"]
        assert parse_case(case) == claims.cases[row], row


def _inpatient(person: str, when: str, amount: str) -> dict[str, Any]:
    return {
        "person_id": person,
        "policy": "taiyuan-employee",
        "date": when,
        "person": {"group": "in_service"},
        "encounter": {
            "med_type": "inpatient",
            "hospital_level": 2,
            "items": [{"name": "床位费", "list_type": "A", "amount": amount}],
        },
    }


def test_a_persons_admissions_count_in_date_order_with_ties_in_file_order() -> None:
    # taiyuan-employee: 800 for the year's first admission, 400 for the second, 0 after
    claims = [
        _inpatient("p", "2025-05-01", "3000.00"),
        _inpatient("q", "2025-01-01", "3000.00"),
        _inpatient("p", "2025-02-01", "3000.00"),
        _inpatient("p", "2025-05-01", "3001.00"),
        _inpatient("p", "2026-01-02", "3000.00"),
    ]
    result = settle_table(cases_to_table(claims), builtin_registry())
    assert result.act_pay_dedc.tolist() == [40000, 80000, 80000, 0, 80000]


def test_a_reform_replaces_the_policy_of_its_id() -> None:
    text = (POLICY_DIR / "nmg-employee.yaml").read_text(encoding="utf-8")
    reform = parse_policy(text.replace("{1: 200, 2: 500, 3: 800}", "{1: 200, 2: 500, 3: 600}"), "r")
    claim = _inpatient("p", "2025-05-01", "3000.00")
    claim["policy"] = "nmg-employee"
    claim["encounter"]["hospital_level"] = 3
    table = cases_to_table([claim])
    before = settle_table(table, builtin_registry())
    after = settle_table(table, builtin_registry(), replace={"nmg-employee": reform})
    assert (before.act_pay_dedc[0], after.act_pay_dedc[0]) == (80000, 60000)
    # 80% of the 200 yuan more above the deductible
    assert after.hifp_pay[0] - before.hifp_pay[0] == to_fen(Decimal("160.00"))


def test_an_invalid_claim_names_its_row_and_field() -> None:
    claims = [_inpatient("p", "2025-05-01", "1.00"), _inpatient("q", "2025-05-01", "1.00")]
    claims[1]["person"]["group"] = "adult"
    with pytest.raises(ClaimError) as caught:
        settle_table(cases_to_table(claims), builtin_registry())
    assert (caught.value.row, caught.value.field) == (2, "person.group")


def test_rows_the_vectors_cannot_settle_exactly_go_to_the_scalar_engine_with_their_year() -> None:
    text = (POLICY_DIR / "nmg-employee.yaml").read_text(encoding="utf-8")
    # a rate in ten-millionths does not fit the engine's millionths
    odd = parse_policy(text.replace("rate: 0.80}", "rate: 0.8000001}"), "odd")
    claims = [_inpatient(p, f"2025-0{m}-01", "30000.00") for p in "abc" for m in (1, 2)]
    for claim in claims:
        claim["policy"] = "nmg-employee"
        claim["encounter"]["hospital_level"] = 3
    claims[0]["encounter"]["hospital_level"] = 1  # person a: level 1 first, then level 3
    claims[2]["date"] = "2024-12-31"  # person b: level 1 in 2024, the odd rate in 2025
    claims[2]["encounter"]["hospital_level"] = 1
    claims[4]["encounter"]["items"][0]["amount"] = "999999999.99"  # person c: too large
    claims[5]["encounter"]["route"] = ""  # read as "normal" by the scalar parser
    table = cases_to_table(claims)
    replace = {"nmg-employee": odd}
    result = settle_table(table, builtin_registry(), replace=replace)
    assert result.differences(settle_table_scalar(table, builtin_registry(), replace=replace)) == {}
    # a's two claims (2025), b's 2025 claim (not its 2024 one), c's two claims
    assert result.fallback_rows == 5


def test_a_table_in_many_pieces_and_chunks_settles_as_one(monkeypatch: pytest.MonkeyPatch) -> None:
    claims = random_claims(11, 600, shuffle=False)  # grouped by person, dates unsorted
    whole = settle_table(claims.table, builtin_registry())
    pieces = pa.concat_tables(
        [claims.table.slice(i, 500) for i in range(0, claims.table.num_rows, 500)]
    )
    assert pieces.column("items").num_chunks > 1
    small = engine.person_chunks
    monkeypatch.setattr(engine, "person_chunks", lambda person: small(person, 700))
    assert len(engine.person_chunks(prepare_claims(pieces).columns.person)) > 3
    assert settle_table(pieces, builtin_registry()).differences(whole) == {}
    assert whole.differences(_reference(claims)) == {}
    # with a policy whose rate does not fit: its persons' years go to the scalar engine
    text = (POLICY_DIR / "nmg-employee.yaml").read_text(encoding="utf-8")
    odd = {"nmg-employee": parse_policy(text.replace("rate: 0.80}", "rate: 0.8000001}"), "odd")}
    mixed = settle_table(pieces, builtin_registry(), replace=odd)
    assert 0 < mixed.fallback_rows < pieces.num_rows
    assert mixed.differences(settle_table_scalar(pieces, builtin_registry(), replace=odd)) == {}


def test_an_empty_table_settles_to_empty_arrays() -> None:
    empty = random_claims(1, 5).table.slice(0, 0)
    result = settle_table(empty, builtin_registry())
    assert len(result) == 0
    assert result.fallback_rows == 0


def test_every_value_of_every_built_in_policy_fits_the_integer_tables() -> None:
    registry = builtin_registry()
    checked = 0
    for pid in registry.ids():
        policy = registry.get(pid)
        assert policy is not None
        for version in policy.versions:
            classes = [None, *version.chronic_classes]
            for med, cls, group, level, route, first, therapy in itertools.product(
                range(4), classes, version.groups, (1, 2, 3), range(4), (True, False), (-1, 0, 1)
            ):
                key = ProfileKey(
                    version=0,
                    med=med,
                    chronic_class=cls,
                    group=group,
                    level=level,
                    route=route,
                    at_first_visit=first,
                    therapy=therapy,
                )
                profile = build_profile(key, version)
                assert profile.exact, (pid, version.version, key)
                checked += 1
    assert checked > 1000


REFORMS = {  # values and shapes no built-in policy has
    "national-employee": (
        (
            "bands: [{from: 10000, rate: 0.60}]",
            "bands: [{from: 8000, to: 50000, rate: 0.605}, {from: 50000, rate: 0.755}]",
        ),
        ("in_service: {1: 0.90, 2: 0.87, 3: 0.85}", "in_service: {1: 0.905, 2: 0.875, 3: 0.8555}"),
        ("{own: 2000}", "{own: 333.33}"),
        ("values: {2024-01-01: 0.65}", "values: {2024-01-01: 0.655}"),
    ),
    "taiyuan-resident": (
        (
            "[{from: 0, to: 100, rate: 0.30}]",
            "[{from: 0, to: 100, rate: 0.30}, {from: 100, to: 250.5, rate: 0.125}]",
        ),
        ("hypertension_iii: 80", "hypertension_iii: 80.55"),
        ("transfer_out: {rate: 0.45}", "transfer_out: {rate: 0.455, elsewhere_only: true}"),
    ),
    "nmg-employee": (
        ("{retired: 0.05}", "{retired: 0.025, in_service: 0.0125}"),
        ("{dialysis: 0.10, anti_rejection: 0.10}", "{dialysis: 0.123, anti_rejection: 0.2}"),
        ("values: {2024-01-01: 5000}", "values: {2024-01-01: 777.77}"),
    ),
}


@pytest.mark.parametrize("policy", sorted(REFORMS))
def test_a_reform_with_other_values_and_bands_settles_like_the_scalar_engine(policy: str) -> None:
    text = (POLICY_DIR / f"{policy}.yaml").read_text(encoding="utf-8")
    for old, new in REFORMS[policy]:
        assert old in text
        text = text.replace(old, new)
    reform = {policy: parse_policy(text, "reform")}
    claims = random_claims(21, 700)
    got = settle_table(claims.table, builtin_registry(), replace=reform)
    want = settle_table_scalar(claims.table, builtin_registry(), replace=reform)
    assert got.differences(want) == {}
    assert got.fallback_rows == 0
    assert got.differences(settle_table(claims.table, builtin_registry()))  # it did change


def _set(claim: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = claim
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("policy", "nowhere", "policy"),
        ("date", "2001-01-01", "date"),
        ("encounter.med_type", "dental", "encounter.med_type"),
        ("encounter.route", "air", "encounter.route"),
        ("encounter.cause", "war", "encounter.cause"),
        ("encounter.therapy", "magic", "encounter.therapy"),
        ("encounter.chronic", {"class": "quota"}, "encounter.chronic.disease"),
        ("encounter.chronic", {"disease": "renal_failure"}, "encounter.chronic.class"),
        ("encounter.chronic", {"class": "quota", "disease": "flu"}, "encounter.chronic.disease"),
        ("encounter.chronic", {"class": "quota", "disease": " "}, "encounter.chronic.disease"),
        ("person.account_balance", "10.00", "person.account_balance"),
        ("encounter.items", [{"list_type": "D", "amount": "1.00"}], "encounter.items[0].list_type"),
    ],
)
def test_an_invalid_row_is_refused_with_the_scalar_parsers_error(
    path: str, value: Any, field: str
) -> None:
    claims = [_inpatient("p", "2025-05-01", "10.00") for _ in range(3)]
    for claim in claims:
        claim["policy"] = "taiyuan-resident"
        claim["person"]["group"] = "adult"
    if path == "encounter.chronic":
        claims[1]["encounter"]["med_type"] = "chronic_outpatient"
    _set(claims[1], path, value)
    table = cases_to_table(claims)
    with pytest.raises(ClaimError) as vector:
        settle_table(table, builtin_registry())
    with pytest.raises(ClaimError) as scalar:
        settle_table_scalar(table, builtin_registry())
    assert (vector.value.row, vector.value.field) == (2, field)
    assert str(vector.value) == str(scalar.value)
