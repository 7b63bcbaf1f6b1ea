"""The OpenFisca peer's workload as yibao claims, and the check that both apply the same rule.

The peer (``../shared/peers/openfisca``) generates inpatient claims as three arrays: the
eligible cost in fen, the hospital level and whether the person is retired. Each becomes one
row of yibao's claim table under policy nmg-employee: one person per claim (the peer's own
simplification, "one claim per person"), an inpatient stay on 2024-07-01 at a designated
hospital, one 甲类 (list type A) line for the whole cost, so that the policy-scope cost is
exactly the peer's eligible cost; no personal account.
"""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa

from yibao.batch.claims import CLAIM_SCHEMA
from yibao.rules.registry import builtin_registry

POLICY = "nmg-employee"
CLAIM_DATE = dt.date(2024, 7, 1)


def load_peer(peer_dir: Path) -> ModuleType:
    """The peer's bench.py (data generator and Decimal reference); it needs only numpy."""
    sys.path.insert(0, str(peer_dir))
    import bench as peer  # type: ignore[import-not-found]

    return peer  # type: ignore[no-any-return]


def _decimal_column(fen: np.ndarray, scale_type: pa.DataType) -> pa.Array:
    """decimal128 values from integer fen, exactly: the unscaled integer is the fen."""
    words = np.zeros((len(fen), 2), dtype=np.int64)
    words[:, 0] = fen
    words[:, 1] = np.where(fen < 0, -1, 0)
    return pa.Array.from_buffers(scale_type, len(fen), [None, pa.py_buffer(words.tobytes())])


def peer_table(cost_fen: np.ndarray, level: np.ndarray, retired: np.ndarray) -> pa.Table:
    """The peer's claims as yibao's claim table (CLAIM_SCHEMA), built column by column."""
    n = len(cost_fen)
    item_type = CLAIM_SCHEMA.field("items").type.value_type
    amount_type = item_type.field("amount").type
    items = pa.StructArray.from_arrays(
        [
            pa.array(np.full(n, "住院费用", dtype=object), pa.string()),
            pa.array(np.full(n, "A", dtype=object), pa.string()),
            _decimal_column(np.asarray(cost_fen, np.int64), amount_type),
            pa.nulls(n, item_type.field("selfpay_prop").type),
            pa.nulls(n, item_type.field("limit_amount").type),
        ],
        fields=list(item_type),
    )
    offsets = pa.array(np.arange(n + 1, dtype=np.int32))
    columns: dict[str, Any] = {
        "person_id": pa.array([f"P{i:08d}" for i in range(n)], pa.string()),
        "policy": pa.array(np.full(n, POLICY, dtype=object), pa.string()),
        "date": pa.array(np.full(n, CLAIM_DATE), pa.date32()),
        "group": pa.array(np.where(retired, "retired", "in_service").astype(object), pa.string()),
        "account_balance": None,
        "use_account": np.zeros(n, bool),
        "continuous_years": np.full(n, 10, np.int32),
        "med_type": pa.array(np.full(n, "inpatient", dtype=object), pa.string()),
        "hospital_level": np.asarray(level, np.int8),
        "designated": np.ones(n, bool),
        "approved": np.zeros(n, bool),
        "route": pa.array(np.full(n, "normal", dtype=object), pa.string()),
        "at_first_visit_hospital": np.ones(n, bool),
        "cause": None,
        "mental_illness": np.zeros(n, bool),
        "oncology_course": np.zeros(n, bool),
        "chronic_class": None,
        "chronic_disease": None,
        "therapy": None,
        "items": pa.ListArray.from_arrays(offsets, items),
    }
    arrays = []
    for field in CLAIM_SCHEMA:
        value = columns[field.name]
        if value is None:
            arrays.append(pa.nulls(n, field.type))
        else:
            arrays.append(pa.array(value, field.type) if isinstance(value, np.ndarray) else value)
    return pa.Table.from_arrays(arrays, schema=CLAIM_SCHEMA)


def rule_differences(peer: ModuleType) -> list[str]:
    """Where nmg-employee's inpatient rule (in force on the claims' date) differs from the
    peer's ``rule_table.py``; an empty list means the same rule."""
    rules = sys.modules.get("rule_table") or __import__("rule_table")
    policy = builtin_registry().get(POLICY)
    version = policy.version_on(CLAIM_DATE) if policy else None
    if version is None:
        return [f"{POLICY} not in force on {CLAIM_DATE}"]
    benefit = version.benefit_for("inpatient", None)
    if benefit is None:
        return [f"{POLICY} has no inpatient benefit"]
    out: list[str] = []
    fen = Decimal(100)
    bp = Decimal(10_000)
    bonus = Decimal(rules.RETIREE_BONUS_BP) / bp
    for level, cents in rules.DEDUCTIBLE_CENTS.items():
        ours = benefit.deductible.standard("in_service", level, 0) if benefit.deductible else None
        if benefit.deductible is None or benefit.deductible.per != "admission" or ours is None:
            out.append("deductible is not per admission")
        elif ours * fen != cents:
            out.append(f"level {level} deductible {ours} != {Decimal(cents) / fen}")
    for level, bands in rules.BANDS.items():
        ours_bands = benefit.rates.bands("in_service", level) or ()
        theirs = [
            (Decimal(lo) / fen, None if hi is None else Decimal(hi) / fen, Decimal(r) / bp)
            for lo, hi, r in bands
        ]
        mine = [(b.lo, b.hi, b.rate) for b in ours_bands]
        if mine != theirs:
            out.append(f"level {level} bands {mine} != {theirs}")
        if any(rate + bonus > 1 for _, _, rate in mine):
            out.append(f"level {level}: a rate plus the bonus exceeds 100% (yibao caps it)")
    if benefit.group_bonus.get("retired") != bonus or set(benefit.group_bonus) != {"retired"}:
        out.append(f"group bonus {dict(benefit.group_bonus)} != retired {bonus}")
    cap = Decimal(rules.ANNUAL_CAP_CENTS) / fen
    if benefit.cap != "shared" or version.annual_cap != cap:
        out.append(f"annual cap {version.annual_cap} ({benefit.cap}) != {cap}")
    si = version.serious_illness
    if si is not None and "inpatient" in si.applies_to:
        out.append("serious illness insurance applies to inpatient claims")
    if benefit.route_rates.get("normal") is not None or benefit.waiting_years:
        out.append("route rates or a waiting period apply")
    return out
