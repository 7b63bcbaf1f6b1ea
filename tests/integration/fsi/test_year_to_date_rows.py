"""The stored year-to-date row (one per person and year) equals the replay of that year's
settlement contributions after random sequences of settlements, reversals of any earlier
settlement, and retries (hypothesis drives the same hospital as the state-machine test)."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, run_state_machine_as_test
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker
from test_stateful import SettlementMachine, _bench

from yibao.persistence.tables import YearToDateRow
from yibao.persistence.tables.hospital import Settlement
from yibao.services import year_to_date as ytd_sums


class YearRowMachine(SettlementMachine):
    @invariant()
    def the_books_agree(self) -> None:  # replaces the full books check: only the rows here
        with self.bench.factory() as s:
            for p in self.people:
                row = s.get(YearToDateRow, (p.id, self.bench.year))
                deltas = s.scalars(
                    select(Settlement.ytd_delta)
                    .where(Settlement.person_id == p.id, Settlement.year == self.bench.year)
                    .order_by(Settlement.id)
                ).all()
                if row is None:
                    assert deltas == []
                    continue
                replayed = ytd_sums.replay(deltas)
                assert json.loads(row.totals) == replayed
                assert ytd_sums.state(json.loads(row.totals)) == ytd_sums.total(deltas)


def test_the_year_to_date_row_equals_the_replay_after_random_settlements_and_reversals(
    session_factory: sessionmaker[Session],
) -> None:
    bench = _bench(session_factory)
    machine: Callable[[], RuleBasedStateMachine] = type(
        "BoundYearRowMachine", (YearRowMachine,), {"bench": bench}
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=8,
            stateful_step_count=30,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.reuse, Phase.generate],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


def test_migration_0005_sums_existing_settlements_into_the_year_rows(
    session_factory: sessionmaker[Session], engine: Engine
) -> None:
    bench = _bench(session_factory)
    machine = type("BoundSettlementMachine", (SettlementMachine,), {"bench": bench})()
    machine.enrol([3000, 3000, 3000])
    for kind in ("outpatient", "inpatient", "outpatient"):
        data = _Draws(machine)
        machine.open_visit(data, kind)  # type: ignore[arg-type]
        machine.upload_fees(data, [("XJ01DCK050A001010100001", 150_000)])  # type: ignore[arg-type]
        if kind == "inpatient":
            machine.discharge(data)  # type: ignore[arg-type]
        machine.settle(data, use_account=True, presettle=False)  # type: ignore[arg-type]
    machine.reverse(_Draws(machine))  # type: ignore[arg-type]
    with session_factory() as s:
        before = {(r.person_id, r.year): r.totals for r in s.scalars(select(YearToDateRow))}
    assert before
    with engine.begin() as conn:  # the table as migration 0005 found it: empty
        conn.execute(delete(YearToDateRow))
        _migration_0005().sum_settlements(conn)
    with session_factory() as s:
        after = {(r.person_id, r.year): r.totals for r in s.scalars(select(YearToDateRow))}
        for (person_id, year), totals in after.items():
            deltas = s.scalars(
                select(Settlement.ytd_delta)
                .where(Settlement.person_id == person_id, Settlement.year == year)
                .order_by(Settlement.id)
            ).all()
            assert json.loads(totals) == ytd_sums.replay(deltas)
    assert {k: json.loads(v) for k, v in after.items()} == {
        k: json.loads(v) for k, v in before.items()
    }


def _migration_0005() -> ModuleType:
    import yibao.persistence

    versions = Path(yibao.persistence.__file__).parent / "migrations" / "versions"
    path = versions / "0005_year_to_date_rows.py"
    spec = importlib.util.spec_from_file_location("migration_0005", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Draws:
    """Stands in for hypothesis' ``data`` in a scripted run: always the newest choice."""

    def __init__(self, machine: SettlementMachine) -> None:
        self.machine = machine

    def draw(self, strategy: object, label: str = "") -> object:
        options = {
            "person": self.machine.people,
            "visit": self.machine.visits,
            "admission": self.machine.visits,
            "settlement": self.machine.active(),
        }[label]
        return options[-1] if label != "person" else options[len(self.machine.visits) % 3]
