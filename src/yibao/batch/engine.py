"""The batch engine: a table of claims settled exactly like the scalar engine, each person's
claims chained through the year in date order (:func:`yibao.rules.chain.settle_chain`).

Two steps, timed apart by the benchmark: :func:`prepare_claims` turns the Arrow table into
numpy columns (integer fen), :func:`settle_prepared` settles them as vectors. A row the
vectorised engine cannot settle exactly (a policy value that is not a whole number of fen or
of millionths, a claim of 10^9 yuan or more, a value only the scalar parser can judge) is
settled by the scalar engine, with the rest of its person-year; ``fallback_rows`` counts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from yibao.batch.chains import Layout, chain_layout, person_chunks
from yibao.batch.claims import conform, table_to_cases
from yibao.batch.columns import Columns, prepare
from yibao.batch.items import claim_sums
from yibao.batch.params import REASONS
from yibao.batch.profiles import RowProfiles, assign_profiles, calendar_year, reasons
from yibao.batch.result import BatchResult
from yibao.batch.scalar import (
    PolicyLike,
    chain_order,
    parse_row,
    settle_rows,
    settle_table_scalar,
    with_replacements,
)
from yibao.batch.waves import WaveInput, settle_waves
from yibao.rules.registry import PolicyRegistry

LIMIT = 10**11  # fen: a claim of 10^9 yuan or more goes to the scalar engine (int64 headroom)
_REASON_TEXT = np.array(REASONS, dtype=object)


@dataclass
class PreparedClaims:
    table: pa.Table
    columns: Columns


def prepare_claims(table: pa.Table) -> PreparedClaims:
    """The conversion step: Arrow table -> numpy columns (no loop over rows)."""
    table = conform(table)
    return PreparedClaims(table, prepare(table))


def settle_table(
    table: pa.Table,
    registry: PolicyRegistry,
    *,
    replace: Mapping[str, PolicyLike] | None = None,
) -> BatchResult:
    """Settle every row of a claim table (``CLAIM_SCHEMA``); ``replace`` maps a policy id to
    the policy that settles its claims instead (a reform)."""
    return settle_prepared(prepare_claims(table), registry, replace=replace)


def _check_suspects(claims: PreparedClaims, rows: RowProfiles, reg: PolicyRegistry) -> None:
    """Parse each suspect row with the scalar parser, in row order: the first invalid one
    raises its error (naming row and field); the others are settled by the scalar engine."""
    suspects = np.flatnonzero(rows.suspect)
    if len(suspects):
        cases = table_to_cases(claims.table.take(suspects))
        for row, case in zip(suspects.tolist(), cases, strict=True):
            parse_row(row, case, reg)


def _whole_years(layout: Layout, rows: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """``rows`` widened to every row of their person-years."""
    segment = np.empty(len(rows), np.int64)
    if layout.rows is None:
        segment[:] = layout.segment
    else:
        segment[layout.rows] = layout.segment
    years = np.zeros(layout.segments, np.bool_)
    years[segment[rows]] = True
    return years[segment]


def settle_prepared(
    claims: PreparedClaims,
    registry: PolicyRegistry,
    *,
    replace: Mapping[str, PolicyLike] | None = None,
) -> BatchResult:
    """The settlement step on prepared columns. Rows grouped by person are settled a chunk
    of whole persons at a time (about 10^6 rows), so that the temporaries stay small."""
    cols = claims.columns
    reg = with_replacements(registry, replace)
    rows, _ = assign_profiles(cols, reg)
    _check_suspects(claims, rows, reg)
    year = calendar_year(cols.day)
    chunks = person_chunks(cols.person)
    if len(chunks) == 1:
        out, fallback = _settle_rows(cols, rows, year)
    else:
        out = BatchResult.empty(cols.n)
        fallback = np.zeros(cols.n, np.bool_)
        for lo, hi in chunks:
            part, fallback[lo:hi] = _settle_rows(
                cols.rows(lo, hi), rows.rows(lo, hi), None if year is None else year[lo:hi]
            )
            out.put_rows(lo, part)
    if fallback.any():
        _settle_scalar(claims, np.flatnonzero(fallback), reg, out)
    return out


def _settle_rows(
    cols: Columns, rows: RowProfiles, year: npt.NDArray[np.int32] | None
) -> tuple[BatchResult, npt.NDArray[np.bool_]]:
    """Rows of whole persons, vectorised; and which of them the scalar engine must settle."""
    p = rows.profiles
    sums = claim_sums(cols, rows.profile, p)
    code = reasons(cols, rows)
    eligible = code == 0
    everyone = bool(eligible.all())
    if not everyone:  # an ineligible claim: all of it is the person's, nothing in scope
        sums.fulamt[~eligible] = sums.medfee[~eligible]
        for part in (sums.overlmt, sums.preselfpay, sums.inscp):
            part[~eligible] = 0
    fallback = rows.suspect | rows.fallback | (sums.medfee >= LIMIT)
    layout = chain_layout(cols.person, cols.day, year)
    if fallback.any():
        fallback = _whole_years(layout, fallback)
    paid = settle_waves(
        layout,
        WaveInput(
            profile=rows.profile,
            med=cols.med_type,
            inscp=sums.inscp,
            medfee=sums.medfee,
            eligible=eligible,
            oncology=cols.oncology_course,
            use_account=cols.use_account,
            balance=cols.balance,
            has_balance=cols.has_balance,
            disease=cols.chronic_disease.codes,
            day=cols.day,
            quota=rows.quota,
        ),
        p,
    )
    fund = paid.hifp + paid.hifmi
    person_part = sums.medfee - fund
    reason = np.full(cols.n, None, dtype=object) if everyone else _REASON_TEXT[code]
    out = BatchResult(
        medfee_sumamt=sums.medfee,
        fulamt_ownpay_amt=sums.fulamt,
        overlmt_selfpay=sums.overlmt,
        preselfpay_amt=sums.preselfpay,
        inscp_scp_amt=sums.inscp,
        act_pay_dedc=paid.dedc,
        hifp_pay=paid.hifp,
        hifmi_pay=paid.hifmi,
        fund_pay_sumamt=fund,
        psn_part_amt=person_part,
        acct_pay=paid.acct,
        psn_cash_pay=person_part - paid.acct,
        eligible=eligible,
        reason=reason,
        capped=paid.capped,
    )
    return out, fallback


def _settle_scalar(
    claims: PreparedClaims, at: npt.NDArray[np.int64], reg: PolicyRegistry, out: BatchResult
) -> None:
    raw = table_to_cases(claims.table.take(at))
    rows = at.tolist()
    cases = {row: parse_row(row, case, reg) for row, case in zip(rows, raw, strict=True)}
    days = claims.columns.day[at].astype(np.int64)
    chains = chain_order([c["person_id"] for c in raw], days)
    settle_rows(cases, [[rows[i] for i in chain] for chain in chains], out)
    out.fallback_rows = len(rows)


__all__ = ["BatchResult", "PreparedClaims", "prepare_claims", "settle_prepared", "settle_table"]
__all__ += ["settle_table_scalar"]
