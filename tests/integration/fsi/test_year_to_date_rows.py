"""The stored year-to-date row (one per person and year) equals the replay of that year's
settlement contributions after random sequences of settlements, reversals of any earlier
settlement, and retries (hypothesis drives the same hospital as the state-machine test)."""

from __future__ import annotations

import json
from collections.abc import Callable

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, run_state_machine_as_test
from sqlalchemy import select
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
