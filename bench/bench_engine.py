"""`make bench`: settlements per second of the engine, in-process, on 10,000 mixed cases.

Three figures: ``settle`` alone (validated case -> result object), validate + settle from
decoded JSON, and the whole path from JSON text to JSON text. Best of 5 runs.
"""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import make_cases

from yibao.rules import default_registry, parse_case, settle_case


def best_rate(label: str, n: int, fn: object, runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    rate = n / best
    print(f"{label:<44} {rate:>10,.0f} /s   ({best * 1000:.1f} ms for {n:,})")
    return rate


def main(n: int = 10_000) -> None:
    raw = make_cases(n)
    texts = [json.dumps(c, ensure_ascii=False) for c in raw]
    registry = default_registry()
    cases = [parse_case(c, registry) for c in raw]

    def settle_only() -> None:
        for c in cases:
            settle_case(c)

    def parse_and_settle() -> None:
        for c in raw:
            settle_case(parse_case(c, registry))

    def json_round_trip() -> None:
        for t in texts:
            json.dumps(
                settle_case(parse_case(json.loads(t, parse_float=Decimal), registry)).to_dict(),
                ensure_ascii=False,
            )

    print(f"yibao engine benchmark: {n:,} mixed cases, one core, best of 5")
    best_rate("settle (validated case -> result)", n, settle_only)
    best_rate("validate + settle (decoded JSON -> result)", n, parse_and_settle)
    best_rate("JSON text -> JSON text", n, json_round_trip)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
