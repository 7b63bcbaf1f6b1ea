"""Who gains and who loses under a reform, and the burden by decile, from per-person totals.

Everything is integer fen. A person's change is what they pay under the reform less what they
pay now (``psn_part_amt``, account + cash): negative means the reform helps them (a winner).
Deciles rank persons by their medical cost in the baseline; ties are ordered by the amounts
themselves, so the result does not depend on the order the persons came in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from yibao.simulation.summary import Fen, PersonTotals

DECILES = 10


@dataclass(frozen=True)
class DecileRow:
    decile: int  # 1 (lowest medical cost) .. 10 (highest)
    persons: int
    medfee: int  # fen, the baseline medical cost of the decile's persons
    paid: int  # fen, what they pay in the baseline
    reform_paid: int | None  # fen, what they pay under the reform
    winners: int
    losers: int

    @property
    def change(self) -> int | None:
        return None if self.reform_paid is None else self.reform_paid - self.paid


@dataclass(frozen=True)
class Comparison:
    winners: int  # pay less under the reform
    losers: int  # pay more
    unchanged: int
    change: int  # fen, all persons together
    # over the persons whose payment changes: the 10th, 20th … 90th percentile of the change
    # (nearest rank), fen
    affected_deciles: tuple[int, ...]


def nearest_rank(sorted_values: Fen, share_tenths: int) -> int:
    """The value at ``share_tenths``/10 of a sorted array (nearest-rank percentile)."""
    n = len(sorted_values)
    rank = -(-n * share_tenths // DECILES)  # ceil(n * p)
    return int(sorted_values[max(rank, 1) - 1])


def decile_rows(base: PersonTotals, reform: PersonTotals | None) -> list[DecileRow]:
    n = len(base.medfee)
    if n == 0:
        return []
    change: Fen = (reform.paid - base.paid) if reform is not None else np.zeros(n, np.int64)
    order = np.lexsort((change, base.paid, base.medfee))
    decile = np.empty(n, dtype=np.int64)
    decile[order] = np.arange(n, dtype=np.int64) * DECILES // n
    rows = []
    for d in range(DECILES):
        sel = decile == d
        count = int(sel.sum())
        if not count:
            continue
        rows.append(
            DecileRow(
                decile=d + 1,
                persons=count,
                medfee=int(base.medfee[sel].sum(dtype=np.int64)),
                paid=int(base.paid[sel].sum(dtype=np.int64)),
                reform_paid=None if reform is None else int(reform.paid[sel].sum(dtype=np.int64)),
                winners=int((change[sel] < 0).sum()),
                losers=int((change[sel] > 0).sum()),
            )
        )
    return rows


def compare(base: PersonTotals, reform: PersonTotals) -> Comparison:
    change = reform.paid - base.paid
    affected = np.sort(change[change != 0])
    return Comparison(
        winners=int((change < 0).sum()),
        losers=int((change > 0).sum()),
        unchanged=int((change == 0).sum()),
        change=int(change.sum(dtype=np.int64)),
        affected_deciles=tuple(nearest_rank(affected, k) for k in range(1, DECILES))
        if len(affected)
        else (),
    )


__all__ = ["Comparison", "DecileRow", "compare", "decile_rows", "nearest_rank"]
