"""Spec 2.1 for every fee line at once, then summed per claim: 全自费 (C lines), 超限价自费
(above ``limit_amount``), 先行自付 (B lines × their proportion, ROUND_HALF_UP to the fen per
line, exactly where :func:`yibao.rules.engine.split_item` rounds)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from yibao.batch.columns import Columns
from yibao.batch.params import HALF, SCALE

I64 = npt.NDArray[np.int64]
TYPE_B, TYPE_C = 1, 2


@dataclass
class ClaimSums:
    medfee: I64
    fulamt: I64
    overlmt: I64
    preselfpay: I64

    @property
    def inscp(self) -> I64:
        return self.medfee - self.fulamt - self.overlmt - self.preselfpay


def _per_claim(values: I64, offsets: I64, one_each: bool) -> I64:
    """Sum of each claim's lines (a difference of running sums: exact in int64 even where
    the running sum itself wraps, as long as each claim's own total fits)."""
    if one_each:
        return values
    running = np.zeros(len(values) + 1, np.int64)
    np.cumsum(values, out=running[1:])
    return running[offsets[1:]] - running[offsets[:-1]]


def claim_sums(cols: Columns, b_preselfpay: npt.NDArray[np.bool_], default_prop: I64) -> ClaimSums:
    """``b_preselfpay`` and ``default_prop`` per claim row (from its profile)."""
    offsets, amount, kind = cols.item_offsets, cols.item_amount, cols.item_type
    one_each = len(amount) == cols.n and bool(np.all(np.diff(offsets) == 1))
    medfee = _per_claim(amount, offsets, one_each)
    zero = np.zeros(cols.n, np.int64)
    is_c = kind == TYPE_C
    fulamt = _per_claim(np.where(is_c, amount, 0), offsets, one_each) if is_c.any() else zero
    rest = amount
    overlmt = zero
    if cols.item_has_limit.any():
        above = cols.item_has_limit & (amount > cols.item_limit) & ~is_c
        if above.any():
            over = np.where(above, amount - cols.item_limit, 0)
            overlmt = _per_claim(over, offsets, one_each)
            rest = amount - over
    preselfpay = zero
    b_lines = np.flatnonzero(kind == TYPE_B)
    if len(b_lines):
        row = np.searchsorted(offsets, b_lines, side="right") - 1
        prop = np.where(cols.item_has_prop[b_lines], cols.item_prop[b_lines], default_prop[row])
        pre_b = (rest[b_lines] * prop + HALF) // SCALE
        pre_b[~b_preselfpay[row]] = 0
        pre = np.zeros(len(amount), np.int64)
        pre[b_lines] = pre_b
        preselfpay = _per_claim(pre, offsets, one_each)
    return ClaimSums(medfee, fulamt, overlmt, preselfpay)


__all__ = ["ClaimSums", "claim_sums"]
