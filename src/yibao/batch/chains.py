"""The order the batch engine settles rows in: each person's claims by date (stable), cut into
person-years, then in *waves*: wave k holds the k-th claim of every person-year that has one.
The claims of one wave never share a person-year, so a wave is settled as one vector and the
year-to-date state is carried from wave to wave in arrays indexed by person-year.

Person-years are numbered longest first, so the person-years still active in wave k are
exactly 0 .. m_k-1 and a wave's state is a slice of the state arrays: no gather, no scatter.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]


@dataclass
class Layout:
    rows: I64 | None  # input row of each position in wave order; None: the input order
    bounds: list[int]  # wave k is positions bounds[k]:bounds[k+1]
    segment: I64  # person-year number of each position (wave order)
    segments: int

    def take(self, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Per-row values in wave order."""
        return values if self.rows is None else values[self.rows]

    def back(self, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Per-row values in wave order, back in input order."""
        if self.rows is None:
            return values
        out = np.empty_like(values)
        out[self.rows] = values
        return out


CHUNK = 1 << 20  # rows settled together when the input is grouped by person


def person_chunks(person: I64, size: int = CHUNK) -> list[tuple[int, int]]:
    """Row ranges of about ``size`` rows that never split a person, when the rows are grouped
    by person in increasing order (as ``yibao synth`` and partitioned files are); else one
    range. Settling range by range keeps every array small enough to stay in cache."""
    n = len(person)
    if n <= size or not bool(np.all(person[1:] >= person[:-1])):
        return [(0, n)]
    cuts = np.searchsorted(person, person[np.arange(size, n, size)], side="left")
    edges = [0, *sorted({int(c) for c in cuts.tolist() if c > 0}), n]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def _sorted_order(person: I64, day: I32) -> I64 | None:
    """Rows by (person, date, row); None when the input is already in that order."""
    if len(person) == 0:
        return None
    if bool(np.all(person[1:] >= person[:-1])):
        same = person[1:] == person[:-1]
        if not bool(np.any(same & (day[1:] < day[:-1]))):
            return None
    order: I64 = np.lexsort((day, person))  # stable: the input order breaks ties
    return order


def chain_layout(person: I64, day: I32, year: I32 | None) -> Layout:
    """``year``: each row's calendar year (None: all rows are of one year)."""
    n = len(person)
    if n and bool(np.all(person[1:] > person[:-1])):  # one claim per person, in order
        return Layout(None, [0, n], np.arange(n, dtype=np.int64), n)
    order = _sorted_order(person, day)
    p = person if order is None else person[order]
    start = np.ones(n, np.bool_)
    if n:
        np.not_equal(p[1:], p[:-1], out=start[1:])
        if year is not None:
            y = year if order is None else year[order]
            start[1:] |= y[1:] != y[:-1]
    starts = np.flatnonzero(start).astype(np.int64)
    segments = len(starts)
    lengths = np.diff(np.append(starts, n))
    if n == 0 or int(lengths.max()) == 1:
        return Layout(order, [0, n], np.arange(n, dtype=np.int64), segments)
    longest_first = np.argsort(-lengths, kind="stable")
    first = starts[longest_first]
    # active[k]: person-years with more than k claims
    count_by_length = np.bincount(lengths)
    active = segments - np.cumsum(count_by_length)[:-1]
    bounds = [0, *np.cumsum(active).tolist()]
    positions = np.concatenate([first[:m] + k for k, m in enumerate(active.tolist())])
    segment = np.arange(n, dtype=np.int64) - np.repeat(np.asarray(bounds[:-1], np.int64), active)
    rows = positions if order is None else order[positions]
    return Layout(rows.astype(np.int64), bounds, segment, segments)


__all__ = ["Layout", "chain_layout"]
