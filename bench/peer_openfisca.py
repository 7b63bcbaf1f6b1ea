"""One OpenFisca peer measurement for `make bench-batch`, run with the peer's own interpreter.

    /tmp/ofvenv/bin/python bench/peer_openfisca.py PEER_DIR IMPL N CORE OUT.npy

Runs in the OpenFisca virtual environment (openfisca-core is not a yibao dependency), pinned
to one core like every other measurement of the benchmark. The timing is the peer's own
``bench.one`` (its code, unchanged: a fresh simulation, three ``set_input`` and one
``calculate`` per run, best of up to 3); then one more run saves the claims' fund payments
in fen to OUT.npy so that the caller can count the float model's mismatches on every claim.
Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys


def main(peer_dir: str, impl: str, n: int, core: int, out: str) -> None:
    os.sched_setaffinity(0, {core})
    sys.path.insert(0, peer_dir)
    import numpy as np
    from bench import PREP, make_claims, one  # the peer's bench.py

    measured = one(impl, n)
    run, to_cents = PREP[impl](*make_claims(n))
    np.save(out, to_cents(run()))
    print(json.dumps(measured))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
