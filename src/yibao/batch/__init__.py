"""Claims as columns and the batch engine that settles them, exactly like the scalar engine
(spec ``shared/spec/settlement.md``), each person's year chained in date order."""

from yibao.batch.claims import CLAIM_SCHEMA, ClaimError, cases_to_table, read_claims, write_claims
from yibao.batch.engine import settle_table
from yibao.batch.result import BatchResult

__all__ = [
    "CLAIM_SCHEMA",
    "BatchResult",
    "ClaimError",
    "cases_to_table",
    "read_claims",
    "settle_table",
    "write_claims",
]
