"""The mixed all-feature workload of `make bench-batch`: ``yibao synth`` claims of the four
built-in policies (persons shared out evenly), cut to exactly N claims (whole persons but the
last), written once as Parquet under var/bench/ and reused by later runs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from yibao.batch.claims import write_claims
from yibao.rules.registry import builtin_registry
from yibao.simulation.synth_table import synth_claims

YEAR = 2025


def make_mixed(n: int, policy_ids: Sequence[str], seed: int, path: Path) -> None:
    registry = builtin_registry()
    policies = [p for p in (registry.get(i) for i in policy_ids) if p is not None]
    probe = synth_claims(policies, YEAR, 4_000, seed)
    per_person = probe.num_rows / 4_000
    persons = int(n / per_person * 1.05) + 100
    table = synth_claims(policies, YEAR, persons, seed)
    while table.num_rows < n:  # the estimate fell short: a few more persons
        persons = int(persons * 1.05) + 100
        table = synth_claims(policies, YEAR, persons, seed)
    tmp = path.with_suffix(".tmp.parquet")
    write_claims(table.slice(0, n), tmp)
    tmp.replace(path)
