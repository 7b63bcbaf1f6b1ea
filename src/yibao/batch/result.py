"""What the batch engine returns: one entry per input row, amounts in integer fen."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from yibao.domain.money import to_fen
from yibao.rules.result import AMOUNT_FIELDS, Result

Fen = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]

# The engine's explanation line when a cap cut the pooled fund's payment (engine._apply_caps).
CAP_MARK = "统筹基金本次最多支付"


@dataclass
class BatchResult:
    """Arrays aligned with the input rows. ``reason`` is None where the claim is eligible;
    ``capped``: a cap (annual, own, disease or monthly) cut this claim's pooled payment;
    ``fallback_rows``: how many rows the scalar engine settled (a feature not vectorised)."""

    medfee_sumamt: Fen
    fulamt_ownpay_amt: Fen
    overlmt_selfpay: Fen
    preselfpay_amt: Fen
    inscp_scp_amt: Fen
    act_pay_dedc: Fen
    hifp_pay: Fen
    hifmi_pay: Fen
    fund_pay_sumamt: Fen
    psn_part_amt: Fen
    acct_pay: Fen
    psn_cash_pay: Fen
    eligible: Flags
    reason: npt.NDArray[np.object_]
    capped: Flags
    fallback_rows: int = 0

    @classmethod
    def empty(cls, n: int) -> BatchResult:
        out = cls.__new__(cls)
        for name in AMOUNT_FIELDS:
            setattr(out, name, np.zeros(n, np.int64))
        out.eligible = np.zeros(n, np.bool_)
        out.reason = np.full(n, None, dtype=object)
        out.capped = np.zeros(n, np.bool_)
        out.fallback_rows = 0
        return out

    def __len__(self) -> int:
        return len(self.medfee_sumamt)

    def put_rows(self, start: int, part: BatchResult) -> None:
        """Copy ``part`` into rows ``start`` .. ``start + len(part)``."""
        end = start + len(part)
        for f in fields(self):
            if f.name != "fallback_rows":
                getattr(self, f.name)[start:end] = getattr(part, f.name)

    def put(self, row: int, result: Result) -> None:
        """Store the scalar engine's result for one row."""
        for name in AMOUNT_FIELDS:
            getattr(self, name)[row] = to_fen(getattr(result, name))
        self.eligible[row] = result.eligible
        self.reason[row] = result.ineligible_reason
        self.capped[row] = any(CAP_MARK in line for line in result.explanation)

    def differences(self, other: BatchResult) -> dict[str, int]:
        """How many rows differ, per field (empty: identical)."""
        out: dict[str, int] = {}
        for f in fields(self):
            if f.name == "fallback_rows":
                continue
            a, b = getattr(self, f.name), getattr(other, f.name)
            wrong = int(np.count_nonzero(a != b))
            if wrong:
                out[f.name] = wrong
        return out


__all__ = ["AMOUNT_FIELDS", "CAP_MARK", "BatchResult"]
