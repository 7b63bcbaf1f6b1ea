"""A person's year of claims, settled one after another: the scalar reference the batch
engine (:mod:`yibao.batch.engine`) must agree with to the cent.

Each case's ``year_to_date`` is what the person's earlier cases of the same calendar year
left behind (the first case of a year starts from an empty year, whatever its own field
says). The personal account works the same way: the ``account_balance`` of the first case
in a calendar year is the opening balance; each later case of that year sees the opening
balance less what the account paid so far (none, when the year opened without a balance).
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from decimal import Decimal

from yibao.rules.case import Case, YearToDate
from yibao.rules.engine import settle_case
from yibao.rules.result import Result


def settle_chain(cases: Iterable[Case]) -> Iterator[Result]:
    """Settle ONE person's cases, already in date order, chaining the year to date."""
    year: int | None = None
    ytd = YearToDate()
    balance: Decimal | None = None
    for case in cases:
        if case.date.year != year:
            year = case.date.year
            ytd = YearToDate()
            balance = case.account_balance
        result = settle_case(replace(case, ytd=ytd, account_balance=balance))
        ytd = result.year_to_date_after
        if balance is not None:
            balance -= result.acct_pay
        yield result


__all__ = ["settle_chain"]
