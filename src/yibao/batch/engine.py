"""The batch engine: a table of claims settled exactly like the scalar engine, each person's
claims chained through the year in date order (:func:`yibao.rules.chain.settle_chain`)."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from yibao.batch.result import BatchResult
from yibao.batch.scalar import PolicyLike, settle_table_scalar
from yibao.rules.registry import PolicyRegistry


def settle_table(
    table: pa.Table,
    registry: PolicyRegistry,
    *,
    replace: Mapping[str, PolicyLike] | None = None,
) -> BatchResult:
    """Settle every row of a claim table (``CLAIM_SCHEMA``); ``replace`` maps a policy id to
    the policy that settles its claims instead (a reform)."""
    return settle_table_scalar(table, registry, replace=replace)


__all__ = ["BatchResult", "settle_table"]
