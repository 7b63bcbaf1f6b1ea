"""A claim table as the numpy columns the batch engine computes on: amounts in integer fen,
proportions in millionths, text as small integer codes. No Python loop over rows: decimals
are read from their Arrow buffers, text is dictionary-encoded by Arrow.

This is the conversion step, timed apart from settlement (``make bench-batch``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from yibao.batch.claims import CLAIM_SCHEMA, conform
from yibao.rules.case import CAUSES, LIST_TYPES
from yibao.rules.policy import MED_TYPES, ROUTES, THERAPIES

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
Flags = npt.NDArray[np.bool_]


@dataclass
class Coded:
    """A text column as codes into ``words`` (-1: null or not one of the known words)."""

    codes: I32
    words: list[str]


@dataclass
class Columns:
    """One entry per claim row, except the ``item_*`` arrays (one per fee line, the lines of
    row i at ``item_offsets[i]:item_offsets[i+1]``)."""

    n: int
    person: I64
    policy: Coded
    day: I32  # days since 1970-01-01
    group: Coded
    balance: I64
    has_balance: Flags
    use_account: Flags
    continuous_years: I32
    med_type: I32  # index in MED_TYPES; -1 null, -2 unknown (so for every coded column)
    level: I32
    designated: Flags
    approved: Flags
    route: I32  # index in ROUTES
    at_first_visit: Flags
    cause: I32  # index in CAUSES
    mental_illness: Flags
    oncology_course: Flags
    chronic_class: Coded
    chronic_disease: Coded
    therapy: I32  # index in THERAPIES
    item_offsets: I64
    item_type: I32  # index in LIST_TYPES
    item_amount: I64
    item_prop: I64  # millionths
    item_has_prop: Flags
    item_limit: I64
    item_has_limit: Flags

    def rows(self, lo: int, hi: int) -> Columns:
        """Rows lo..hi with their lines (views, but for the rebased offsets)."""
        first, last = int(self.item_offsets[lo]), int(self.item_offsets[hi])
        out: dict[str, Any] = {"n": hi - lo, "item_offsets": self.item_offsets[lo : hi + 1] - first}
        for name, value in vars(self).items():
            if name in out:
                continue
            if isinstance(value, Coded):
                out[name] = Coded(value.codes[lo:hi], value.words)
            else:
                out[name] = value[first:last] if name.startswith("item_") else value[lo:hi]
        return Columns(**out)


def _array(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _valid(array: pa.Array) -> Flags:
    if array.null_count == 0:
        return np.ones(len(array), np.bool_)
    return np.asarray(array.is_valid().to_numpy(zero_copy_only=False), np.bool_)


def decimal_units(array: pa.Array) -> tuple[I64, Flags]:
    """A decimal128 array's unscaled values (fen for scale 2) and where they are not null,
    read from the Arrow buffer (the low 64 bits hold every value of precision ≤ 18)."""
    n = len(array)
    data = array.buffers()[1]
    if data is None or n == 0:
        return np.zeros(n, np.int64), np.zeros(n, np.bool_)
    words = np.frombuffer(data, dtype=np.int64).reshape(-1, 2)
    units = words[array.offset : array.offset + n, 0].copy()
    valid = _valid(array)
    if array.null_count:
        units[~valid] = 0
    return units, valid


def _flags(array: pa.Array) -> Flags:
    return np.asarray(array.to_numpy(zero_copy_only=False), np.bool_)


def _ints(array: pa.Array) -> I32:
    return np.asarray(array.to_numpy(zero_copy_only=False), np.int32)


def _constant_text(array: pa.Array) -> str | None:
    """The one value of a text array holding the same text in every row (no nulls), read
    from the Arrow buffers; else None. Much cheaper than hashing every row."""
    n = len(array)
    if n == 0 or array.null_count or array.type != pa.string():
        return None
    offsets = np.frombuffer(array.buffers()[1], np.int32)[array.offset : array.offset + n + 1]
    width = int(offsets[1] - offsets[0])
    if int(offsets[-1] - offsets[0]) != width * n:
        return None
    if not bool(np.all(offsets[1:] - offsets[:-1] == width)):
        return None
    data = np.frombuffer(array.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    if width and not bool(np.all(data.reshape(n, width) == data[:width])):
        return None
    return bytes(data[:width]).decode("utf-8")


def known_codes(array: pa.Array, words: tuple[str, ...]) -> I32:
    """Index in ``words``; -1 for a null, -2 for a word not in ``words``."""
    if array.null_count == len(array):
        return np.full(len(array), -1, np.int32)
    constant = _constant_text(array)
    if constant is not None:
        return np.full(len(array), words.index(constant) if constant in words else -2, np.int32)
    index = pc.index_in(array, value_set=pa.array(words, pa.string()))
    codes = np.array(index.fill_null(-2).to_numpy(zero_copy_only=False), np.int32)
    if array.null_count:
        codes[~_valid(array)] = -1
    return codes


def coded(array: pa.Array) -> Coded:
    """Dictionary-encode an open vocabulary (policy ids, groups, disease codes)."""
    if array.null_count == len(array):
        return Coded(np.full(len(array), -1, np.int32), [])
    constant = _constant_text(array)
    if constant is not None:
        return Coded(np.zeros(len(array), np.int32), [constant])
    encoded = pc.dictionary_encode(array)
    words = [str(w) for w in encoded.dictionary.to_pylist()]
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return Coded(np.asarray(codes, np.int32), words)


def _fixed_width_keys(array: pa.Array) -> I64 | None:
    """Person ids of one width (``P0000000042``) as order-preserving integers, read from the
    Arrow buffers: the bytes that differ between ids, as digits when they all are digits,
    else as base-256 numbers. None when the ids do not fit that (then they are hashed)."""
    n = len(array)
    if n == 0 or array.null_count or array.type != pa.string():
        return None
    offsets = np.frombuffer(array.buffers()[1], np.int32)[array.offset : array.offset + n + 1]
    width = int(offsets[1] - offsets[0])
    if width == 0 or int(offsets[-1] - offsets[0]) != width * n:
        return None
    if not bool(np.all(offsets[1:] - offsets[:-1] == width)):
        return None
    data = np.frombuffer(array.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    chars = data.reshape(n, width)
    varying = [j for j in range(width) if not bool(np.all(chars[:, j] == chars[0, j]))]
    digits = all(bool(np.all((chars[:, j] >= 48) & (chars[:, j] <= 57))) for j in varying)
    if len(varying) > (18 if digits else 7):
        return None
    keys = np.zeros(n, np.int64)
    for j in varying:
        if digits:
            keys *= 10
            keys += chars[:, j] - 48
        else:
            keys <<= 8
            keys |= chars[:, j]
    return keys


def person_keys(array: pa.Array) -> I64:
    """An integer per row, the same for the same person id (and in id order when read from
    fixed-width ids; else numbered by first appearance)."""
    keys = _fixed_width_keys(array)
    if keys is not None:
        return keys
    codes = pc.dictionary_encode(array).indices.fill_null(-1).to_numpy(zero_copy_only=False)
    return np.asarray(codes, np.int64)


_ROW_FIELDS = {  # per claim row: name and dtype
    "day": np.int32,
    "balance": np.int64,
    "has_balance": np.bool_,
    "use_account": np.bool_,
    "continuous_years": np.int32,
    "med_type": np.int32,
    "level": np.int32,
    "designated": np.bool_,
    "approved": np.bool_,
    "route": np.int32,
    "at_first_visit": np.bool_,
    "cause": np.int32,
    "mental_illness": np.bool_,
    "oncology_course": np.bool_,
    "therapy": np.int32,
}
_LINE_FIELDS = {
    "item_type": np.int32,
    "item_amount": np.int64,
    "item_prop": np.int64,
    "item_has_prop": np.bool_,
    "item_limit": np.int64,
    "item_has_limit": np.bool_,
}
_CODED = ("policy", "group", "chronic_class", "chronic_disease")


def _batch_rows(col: dict[str, pa.Array]) -> dict[str, npt.NDArray[Any]]:
    balance, has_balance = decimal_units(col["account_balance"])
    return {
        "day": np.asarray(col["date"].cast(pa.int32()).to_numpy(), np.int32),
        "balance": balance,
        "has_balance": has_balance,
        "use_account": _flags(col["use_account"]),
        "continuous_years": _ints(col["continuous_years"]),
        "med_type": known_codes(col["med_type"], MED_TYPES),
        "level": _ints(col["hospital_level"]),
        "designated": _flags(col["designated"]),
        "approved": _flags(col["approved"]),
        "route": known_codes(col["route"], ROUTES),
        "at_first_visit": _flags(col["at_first_visit_hospital"]),
        "cause": known_codes(col["cause"], CAUSES),
        "mental_illness": _flags(col["mental_illness"]),
        "oncology_course": _flags(col["oncology_course"]),
        "therapy": known_codes(col["therapy"], THERAPIES),
    }


def _batch_lines(lines: pa.Array) -> dict[str, npt.NDArray[Any]]:
    amount, _ = decimal_units(lines.field("amount"))
    amount[~_valid(lines.field("amount"))] = -1  # a missing amount is refused like a negative
    prop, has_prop = decimal_units(lines.field("selfpay_prop"))
    limit, has_limit = decimal_units(lines.field("limit_amount"))
    return {
        "item_type": known_codes(lines.field("list_type"), LIST_TYPES),
        "item_amount": amount,
        "item_prop": prop,
        "item_has_prop": has_prop,
        "item_limit": limit,
        "item_has_limit": has_limit,
    }


class _Vocabulary:
    """One list of words for codes made batch by batch."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def codes(self, array: pa.Array) -> I32:
        local = coded(array)
        lookup = [self.index.setdefault(w, len(self.index)) for w in local.words]
        return np.array([*lookup, -1], np.int32)[local.codes]  # code -1 reads the final -1


def prepare(table: pa.Table) -> Columns:
    """The numpy columns of a claim table (any layout ``conform`` accepts), converted one
    record batch at a time straight into the final arrays (small temporaries, no copy of
    the nested items into one Arrow array)."""
    table = conform(table)
    n = table.num_rows
    batches = [b for b in table.to_batches() if b.num_rows]
    if len(batches) == 1:  # the arrays of the one batch are the columns: no copy
        return _one_batch(batches[0], person_keys(_array(table.column("person_id"))))
    line_counts = [int(_line_span(b.column("items"))) for b in batches]
    m = sum(line_counts)
    rows: dict[str, npt.NDArray[Any]] = {k: np.empty(n, t) for k, t in _ROW_FIELDS.items()}
    lines: dict[str, npt.NDArray[Any]] = {k: np.empty(m, t) for k, t in _LINE_FIELDS.items()}
    coded_rows = {k: np.empty(n, np.int32) for k in _CODED}
    words = {k: _Vocabulary() for k in _CODED}
    offsets = np.zeros(n + 1, np.int64)
    at = line_at = 0
    for batch, count in zip(batches, line_counts, strict=True):
        col = {f.name: batch.column(f.name) for f in CLAIM_SCHEMA}
        end, line_end = at + batch.num_rows, line_at + count
        for name, values in _batch_rows(col).items():
            rows[name][at:end] = values
        for name in _CODED:
            coded_rows[name][at:end] = words[name].codes(col[name])
        items = col["items"]
        local = np.asarray(items.offsets.to_numpy(), np.int64)
        offsets[at + 1 : end + 1] = local[1:] - local[0] + line_at
        for name, values in _batch_lines(items.flatten()).items():
            lines[name][line_at:line_end] = values
        at, line_at = end, line_end
    return Columns(
        n=n,
        person=person_keys(_array(table.column("person_id"))),
        policy=Coded(coded_rows["policy"], list(words["policy"].index)),
        group=Coded(coded_rows["group"], list(words["group"].index)),
        chronic_class=Coded(coded_rows["chronic_class"], list(words["chronic_class"].index)),
        chronic_disease=Coded(coded_rows["chronic_disease"], list(words["chronic_disease"].index)),
        item_offsets=offsets,
        **rows,
        **lines,
    )


def _one_batch(batch: pa.RecordBatch, person: I64) -> Columns:
    col = {f.name: batch.column(f.name) for f in CLAIM_SCHEMA}
    items = col["items"]
    offsets = np.asarray(items.offsets.to_numpy(), np.int64)
    return Columns(
        n=batch.num_rows,
        person=person,
        item_offsets=offsets - offsets[0],
        policy=coded(col["policy"]),
        group=coded(col["group"]),
        chronic_class=coded(col["chronic_class"]),
        chronic_disease=coded(col["chronic_disease"]),
        **_batch_rows(col),
        **_batch_lines(items.flatten()),
    )


def _line_span(items: pa.Array) -> int:
    offsets = items.offsets
    return int(offsets[len(offsets) - 1].as_py() - offsets[0].as_py()) if len(offsets) else 0


__all__ = ["Coded", "Columns", "decimal_units", "prepare"]
