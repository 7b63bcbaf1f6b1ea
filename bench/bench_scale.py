"""`make bench-scale`: the largest simulation this machine runs, on one process and on a
2-worker Dask cluster, as a person types it (``yibao simulate … --json [--workers N]``).

    python bench/bench_scale.py [--persons 8000000] [--partitions 40] [--workers 2]

1. ``yibao synth --persons P --policy nmg-employee --partitions K`` writes a directory of K
   Parquet files split by person into var/bench/ (once; reused while it is there).
2. ``yibao simulate --claims DIR --policy nmg-employee --reform <level-3 deductible 600> --json``
   on one process, then the same with ``--workers N`` (a local cluster of N single-threaded
   worker processes).
3. For each: wall time, claims/s, the peak resident memory of the command and of each Dask
   worker (the process tree is sampled every 0.1 s with psutil), the CPU used outside the run;
   and whether the two JSON outputs are identical byte for byte.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "var" / "bench"
YIBAO = str(Path(sys.executable).parent / "yibao")
POLICY = "nmg-employee"
REFORM = ROOT / "examples" / "reforms" / "nmg-level3-deductible-600.yaml"


def ensure_data(persons: int, partitions: int) -> Path:
    out = DATA / f"scale-{persons}p-{partitions}"
    if len(list(out.glob("*.parquet"))) == partitions:
        return out
    DATA.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.parquet"):
        stale.unlink()
    cmd = [YIBAO, "synth", "--persons", str(persons), "--year", "2025", "--policy", POLICY]
    cmd += ["--seed", "1", "--partitions", str(partitions), "--out", str(out)]
    print("$", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True, env=env())
    return out


def env() -> dict[str, str]:
    return {
        k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    }


def _busy_seconds() -> float:
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def run_sampled(cmd: list[str], output: Path) -> dict[str, Any]:
    """Run ``cmd`` with stdout to ``output``; sample the RSS of it and its descendants."""
    busy0 = _busy_seconds()
    start = time.perf_counter()
    peak: dict[int, tuple[str, int]] = {}
    cpu: dict[int, float] = {}
    with output.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env(), cwd=ROOT)
        top = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                family = [top, *top.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            for p in family:
                try:
                    rss = p.memory_info().rss
                    times = p.cpu_times()
                    kind = "command" if p.pid == proc.pid else _kind(p)
                except psutil.Error:
                    continue
                cpu[p.pid] = times.user + times.system
                if rss > peak.get(p.pid, ("", 0))[1]:
                    peak[p.pid] = (kind, rss)
            time.sleep(0.1)
        _, err = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err.decode()[-3000:]}")
    outside = max(0.0, _busy_seconds() - busy0 - sum(cpu.values()))
    workers = [rss for kind, rss in peak.values() if kind == "worker"]
    return {
        "wall_s": wall,
        "command_mib": peak.get(proc.pid, ("", 0))[1] / 2**20,
        "workers_mib": [w / 2**20 for w in sorted(workers, reverse=True)],
        "cpu_s": sum(cpu.values()),
        "outside_pct": outside / (wall * (os.cpu_count() or 1)) * 100,
    }


def _kind(p: psutil.Process) -> str:
    line = " ".join(p.cmdline())
    if "spawn_main" in line:
        return "worker"
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=8_000_000)
    parser.add_argument("--partitions", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-local", action="store_true", help="only the Dask run")
    args = parser.parse_args()
    print(f"make bench-scale: load average before {os.getloadavg()[0]:.2f}", flush=True)
    directory = ensure_data(args.persons, args.partitions)
    size = sum(f.stat().st_size for f in directory.glob("*.parquet"))
    base = [YIBAO, "simulate", "--claims", str(directory), "--policy", POLICY]
    base += ["--reform", str(REFORM.relative_to(ROOT)), "--json"]
    runs: dict[str, dict[str, Any]] = {}
    outputs: dict[str, Path] = {}
    plans = [("dask", [*base, "--workers", str(args.workers)])]
    if not args.skip_local:
        plans.insert(0, ("local", base))
    for name, cmd in plans:
        outputs[name] = DATA / f"scale-{name}.json"
        print("$", " ".join(c if c != YIBAO else "yibao" for c in cmd), flush=True)
        runs[name] = run_sampled(cmd, outputs[name])
        print(f"  {json.dumps(runs[name])}", flush=True)
    report = json.loads(outputs["dask"].read_text())["baseline"]
    claims, persons = report["claims"], report["persons"]
    print(
        f"\n{claims:,} claims of {persons:,} persons with claims ({args.persons:,} synthesised), "
        f"{args.partitions} partitions, {size / 2**20:,.0f} MiB of Parquet; "
        f"baseline and reform settled:\n"
    )
    print("| run | wall s | claims/s | command peak RSS MiB | worker peak RSS MiB | outside |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in runs.items():
        label = "one process" if name == "local" else f"Dask, {args.workers} workers"
        workers = ", ".join(f"{w:,.0f}" for w in r["workers_mib"]) or "—"
        print(
            f"| {label} | {r['wall_s']:.1f} | {claims / r['wall_s']:,.0f} "
            f"| {r['command_mib']:,.0f} | {workers} | {r['outside_pct']:.0f}% |"
        )
    if "local" in outputs:
        same = outputs["local"].read_bytes() == outputs["dask"].read_bytes()
        print(f"\n--json of the two runs identical byte for byte: {'yes' if same else 'NO'}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
