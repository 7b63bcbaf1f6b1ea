"""Building Arrow columns from numpy arrays without a Python loop per row.

Money goes in as integer fen and comes out as ``decimal128`` with the fen as its unscaled
value, so nothing passes through a binary float.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


def _validity(valid: Bools | None) -> tuple[pa.Buffer | None, int]:
    if valid is None or bool(valid.all()):
        return None, 0
    bits = np.packbits(valid.astype(np.uint8), bitorder="little")
    return pa.py_buffer(bits), int(len(valid) - np.count_nonzero(valid))


def decimals(units: Ints, type_: pa.DataType, valid: Bools | None = None) -> pa.Array:
    """A decimal128 array whose unscaled values are ``units`` (fen for scale 2)."""
    n = len(units)
    raw = np.empty((n, 2), dtype=np.int64)
    raw[:, 0] = units
    raw[:, 1] = np.right_shift(units, 63)  # two's-complement sign extension to 128 bits
    validity, nulls = _validity(valid)
    return pa.Array.from_buffers(type_, n, [validity, pa.py_buffer(raw)], null_count=nulls)


def strings_from_codes(codes: npt.NDArray[np.integer], labels: Sequence[str]) -> pa.Array:
    """A string array: ``labels[code]``, or null where the code is negative."""
    idx = np.asarray(codes, dtype=np.int32)
    mask = idx < 0
    indices = pa.array(np.where(mask, 0, idx), type=pa.int32(), mask=mask if mask.any() else None)
    dictionary = pa.array(list(labels) or [""], type=pa.string())
    return pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string())


def numbered_ids(prefix: str, numbers: Ints, width: int) -> pa.Array:
    """``prefix`` + the number zero-padded to ``width`` digits, e.g. P0000000042."""
    n = len(numbers)
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    size = len(head) + width
    chars = np.empty((n, size), dtype=np.uint8)
    chars[:, : len(head)] = head
    rest = numbers.copy()
    for col in range(size - 1, len(head) - 1, -1):
        chars[:, col] = 48 + rest % 10
        rest //= 10
    offsets = np.arange(0, (n + 1) * size, size, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(chars)])


def bools(values: Bools) -> pa.Array:
    return pa.array(values, type=pa.bool_())
