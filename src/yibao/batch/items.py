"""Spec 2.1 for every fee line at once, then summed per claim: 全自费 (C lines), 超限价自费
(above ``limit_amount``), 先行自付 (B lines × their proportion, ROUND_HALF_UP to the fen per
line, exactly where :func:`yibao.rules.engine.split_item` rounds)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from yibao.batch.columns import Columns
from yibao.batch.params import HALF, SCALE, Profiles

I64 = npt.NDArray[np.int64]
TYPE_B, TYPE_C = 1, 2


@dataclass
class ClaimSums:
    medfee: I64
    fulamt: I64
    overlmt: I64
    preselfpay: I64
    inscp: I64


class _Lines:
    """Sums of chosen lines per claim (exact integer adds; ``np.add.at`` scatters)."""

    def __init__(self, cols: Columns) -> None:
        self.cols = cols
        self.one_each = len(cols.item_amount) == cols.n and bool(
            np.all(cols.item_offsets[1:] - cols.item_offsets[:-1] == 1)
        )
        self._rows: npt.NDArray[np.intp] | None = None

    def every_row(self) -> npt.NDArray[np.intp]:
        """The claim row of every line."""
        if self._rows is None:
            counts = self.cols.item_offsets[1:] - self.cols.item_offsets[:-1]
            self._rows = np.repeat(np.arange(self.cols.n, dtype=np.intp), counts)
        return self._rows

    def rows(self, lines: I64) -> npt.NDArray[np.intp]:
        """The claim row of each of ``lines``."""
        if self.one_each:
            return lines
        if self._rows is None and len(lines) * 8 < len(self.cols.item_amount):
            found: npt.NDArray[np.intp] = np.searchsorted(self.cols.item_offsets, lines, "right")
            return found - 1
        return self.every_row()[lines]

    def total(self, values: I64, lines: I64 | None = None) -> I64:
        """Per claim, the sum of ``values`` (one per line of ``lines``, or of every line)."""
        if self.one_each and lines is None:
            return values.copy()
        out = np.zeros(self.cols.n, np.int64)
        np.add.at(out, self.every_row() if lines is None else self.rows(lines), values)
        return out


def claim_sums(cols: Columns, profile: I64, profiles: Profiles) -> ClaimSums:
    """Each claim's totals; ``profile`` gives each claim row's B-line rule and default
    proportion."""
    amount, kind = cols.item_amount, cols.item_type
    lines = _Lines(cols)
    medfee = lines.total(amount)
    inscp = medfee.copy()
    fulamt = np.zeros(cols.n, np.int64)
    c_lines = np.flatnonzero(kind == TYPE_C)
    if len(c_lines):
        fulamt = lines.total(amount[c_lines], c_lines)
        inscp -= fulamt
    overlmt = np.zeros(cols.n, np.int64)
    over_line: I64 | None = None
    limited = np.flatnonzero(cols.item_has_limit)
    if len(limited):
        over = amount[limited] - cols.item_limit[limited]
        over *= (over > 0) & (kind[limited] != TYPE_C)
        overlmt = lines.total(over, limited)
        inscp -= overlmt
        over_line = np.zeros(len(amount), np.int64)
        over_line[limited] = over
    preselfpay = np.zeros(cols.n, np.int64)
    b_lines = np.flatnonzero(kind == TYPE_B)
    if len(b_lines):
        row_profile = profile[lines.rows(b_lines)]
        rest = amount[b_lines]
        if over_line is not None:
            rest = rest - over_line[b_lines]
        prop = np.where(
            cols.item_has_prop[b_lines], cols.item_prop[b_lines], profiles.default_prop[row_profile]
        )
        pre = (rest * prop + HALF) // SCALE
        pre *= profiles.b_preselfpay[row_profile]
        preselfpay = lines.total(pre, b_lines)
        inscp -= preselfpay
    return ClaimSums(medfee, fulamt, overlmt, preselfpay, inscp)


__all__ = ["ClaimSums", "claim_sums"]
