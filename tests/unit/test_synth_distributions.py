"""The synthetic population stays near the published figures it is calibrated on
(docs/simulation.md): admissions a person, cost of a stay, visits a person, and each feature
of the engine turns up."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from yibao.rules.registry import builtin_registry
from yibao.simulation.synth_table import synth_claims

PERSONS = 20_000


def _claims(policy: str) -> pa.Table:
    return synth_claims([builtin_registry().policies[policy]], 2025, PERSONS, seed=9)


def _count(table: pa.Table, column: str, value: object) -> int:
    return int(pc.sum(pc.equal(table.column(column), value)).as_py() or 0)


def test_employees_are_admitted_and_visit_about_as_often_as_the_national_figures() -> None:
    table = _claims("national-employee")
    admissions = _count(table, "med_type", "inpatient") / PERSONS
    visits = (
        _count(table, "med_type", "outpatient") + _count(table, "med_type", "chronic_outpatient")
    ) / PERSONS
    assert 0.17 <= admissions <= 0.25  # 0.214 nationally
    assert 5.5 <= visits <= 8.0  # 6.8 nationally
    stays = (
        table.filter(pc.equal(table.column("med_type"), "inpatient")).column("items").to_pylist()
    )
    mean = sum(sum((i["amount"] for i in s), Decimal(0)) for s in stays) / len(stays)
    assert Decimal(8500) <= mean <= Decimal(12000)  # 10,315.8 yuan at hospitals


def test_every_feature_of_the_engine_turns_up() -> None:
    nmg, resident = _claims("nmg-employee"), _claims("taiyuan-resident")
    assert _count(nmg, "oncology_course", True) > 0
    assert _count(nmg, "therapy", "dialysis") > 0
    assert _count(nmg, "therapy", "anti_rejection") > 0
    assert _count(nmg, "designated", False) > 0
    assert _count(nmg, "approved", True) > 0
    assert _count(nmg, "group", "retired") > 0
    assert nmg.column("account_balance").null_count == 0
    assert {"transfer_out", "emergency", "referral"} <= set(nmg.column("route").to_pylist())
    assert len(set(nmg.column("cause").drop_null().to_pylist())) >= 5
    assert _count(resident, "at_first_visit_hospital", False) > 0
    assert _count(resident, "med_type", "maternity") > 0
    assert resident.column("account_balance").null_count == resident.num_rows
    assert {"adult", "minor", "student"} <= set(resident.column("group").to_pylist())
    quota = resident.filter(pc.equal(resident.column("chronic_class"), "quota"))
    assert quota.num_rows > 0
    assert set(quota.column("chronic_disease").to_pylist()) <= {
        "hypertension_iii", "renal_failure", "coronary_mi", "cerebrovascular_sequelae",
        "diabetes_heart", "diabetes_retinopathy", "diabetes_nephropathy", "diabetes_gangrene",
    }  # fmt: skip
    limits = pc.list_flatten(nmg.column("items")).combine_chunks().field("limit_amount")
    assert limits.null_count < len(limits)
