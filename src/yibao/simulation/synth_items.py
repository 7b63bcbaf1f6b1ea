"""The fee lines of synthetic encounters: 甲/乙/丙 shares of the cost and inpatient devices with
a payment standard (限价). All amounts are integer fen; shares are drawn as floats and turned
into whole basis points before they touch money."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from yibao.batch.claims import AMOUNT, ITEM_TYPE
from yibao.batch.claims import PROPORTION as RATIO
from yibao.simulation import synth_params as P
from yibao.simulation.arrow_build import decimals, strings_from_codes

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

# the four possible lines of an encounter, in this order
SLOT_NAMES = (
    "甲类药品及诊疗项目",
    "乙类药品及诊疗项目",
    "丙类及目录外项目",
    "医用耗材（有支付标准）",
)
SLOT_TYPES = ("A", "B", "C", "A")
MED_TYPE_NAMES = ("outpatient", "chronic_outpatient", "inpatient", "maternity")


@dataclass
class ItemLines:
    present: Bools  # (n, 4): which slots an encounter has
    amount: Ints  # (n, 4) fen
    selfpay_micro: Ints  # (n, 4) millionths, -1 for the policy's default
    limit_fen: Ints  # (n, 4) fen, -1 for none


def _basis_points(rng: np.random.Generator, a: float, b: float, n: int) -> Ints:
    return np.rint(rng.beta(a, b, n) * 10_000).astype(np.int64)


def draw_items(rng: np.random.Generator, cost_fen: Ints, med_type: Ints) -> ItemLines:
    """Split each encounter's cost into its lines; inpatient stays may add a device line."""
    n = len(cost_fen)
    c_present = np.zeros(n, dtype=np.bool_)
    u = rng.random(n)
    for code, name in enumerate(MED_TYPE_NAMES):
        sel = med_type == code
        c_present[sel] = u[sel] < P.C_LINE_PRESENT[name]
    b_present = rng.random(n) < P.B_LINE_PRESENT
    c_bp = np.where(c_present, _basis_points(rng, *P.C_SHARE_BETA, n), 0)
    c_fen = cost_fen * c_bp // 10_000
    b_bp = np.where(b_present, _basis_points(rng, *P.B_SHARE_BETA, n), 0)
    b_fen = (cost_fen - c_fen) * b_bp // 10_000
    a_fen = cost_fen - c_fen - b_fen
    device = (med_type == 2) & (rng.random(n) < P.IMPLANT_SHARE)
    device_fen = np.where(
        device,
        np.maximum(np.rint(rng.lognormal(np.log(P.IMPLANT_COST[0]) - P.IMPLANT_COST[1] ** 2 / 2,
                                         P.IMPLANT_COST[1], n) * 100), 1).astype(np.int64),
        0,
    )  # fmt: skip
    lo, hi = P.IMPLANT_LIMIT_PERMILLE
    limit_fen = np.where(device, device_fen * rng.integers(lo, hi + 1, n) // 1000, -1)
    choice = rng.choice(len(P.B_SELFPAY_CHOICES), n, p=list(P.B_SELFPAY_WEIGHTS))
    micro = np.array([-1 if c is None else c for c in P.B_SELFPAY_CHOICES], dtype=np.int64)
    minus = np.full(n, -1, dtype=np.int64)
    return ItemLines(
        present=np.column_stack([np.ones(n, dtype=np.bool_), b_present, c_present, device]),
        amount=np.column_stack([a_fen, b_fen, c_fen, device_fen]),
        selfpay_micro=np.column_stack([minus, micro[choice], minus, minus]),
        limit_fen=np.column_stack([minus, minus, minus, limit_fen]),
    )


def items_array(lines: ItemLines) -> pa.Array:
    """The ``items`` column: a list of lines per encounter, in slot order."""
    present = lines.present
    counts = present.sum(axis=1).astype(np.int32)
    offsets = np.zeros(len(counts) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    slot = np.broadcast_to(np.arange(4), present.shape)[present]
    amount = lines.amount[present]
    selfpay = lines.selfpay_micro[present]
    limit = lines.limit_fen[present]
    values = pa.StructArray.from_arrays(
        [
            strings_from_codes(slot, SLOT_NAMES),
            strings_from_codes(slot, SLOT_TYPES),
            decimals(amount, AMOUNT),
            decimals(np.maximum(selfpay, 0), RATIO, valid=selfpay >= 0),
            decimals(np.maximum(limit, 0), AMOUNT, valid=limit >= 0),
        ],
        fields=list(ITEM_TYPE),
    )
    return pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), values)
