"""A reproducible mix of settlement cases for benchmarks (seeded; all four policies)."""

from __future__ import annotations

import random
from typing import Any

POLICIES = {
    "nmg-employee": ("in_service", "retired"),
    "national-employee": ("in_service", "retired"),
    "taiyuan-employee": ("in_service", "retired"),
    "taiyuan-resident": ("adult", "minor", "student"),
}
NAMES = ["阿莫西林胶囊", "头孢克洛胶囊", "血常规", "CT检查", "护工费", "心脏支架", "二甲双胍片"]


def _amount(rng: random.Random, median: float) -> str:
    # Generated in fen as integers: the benchmark data never holds a float amount.
    fen = int(rng.lognormvariate(0, 1) * median * 100)
    return f"{fen // 100}.{fen % 100:02d}"


def make_cases(n: int, seed: int = 20240601) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        policy = rng.choice(list(POLICIES))
        group = rng.choice(POLICIES[policy])
        med = rng.choice(["inpatient", "inpatient", "outpatient", "chronic_outpatient"])
        if policy in ("taiyuan-employee",) or (policy == "nmg-employee" and med == "outpatient"):
            med = "inpatient"
        if policy == "taiyuan-resident" and med == "chronic_outpatient":
            med = "outpatient"
        median = 8000 if med == "inpatient" else 300
        items = []
        for _ in range(rng.randint(1, 6)):
            lt = rng.choice("AAAB BC")
            lt = "A" if lt == " " else lt
            item: dict[str, Any] = {
                "name": rng.choice(NAMES),
                "list_type": lt,
                "amount": _amount(rng, median / 3),
            }
            if lt == "B" and rng.random() < 0.5:
                item["selfpay_prop"] = "0.15"
            items.append(item)
        person: dict[str, Any] = {"group": group}
        if policy != "taiyuan-resident":
            person["account_balance"] = _amount(rng, 800)
        case: dict[str, Any] = {
            "policy": policy,
            "date": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "person": person,
            "year_to_date": {"admissions": rng.randint(0, 3), "fund_paid": _amount(rng, 5000)},
            "encounter": {"med_type": med, "hospital_level": rng.randint(1, 3), "items": items},
        }
        if med == "chronic_outpatient" and policy == "nmg-employee":
            case["encounter"]["chronic"] = {
                "class": rng.choice("AB"),
                "disease": rng.choice(["hypertension", "diabetes"]),
            }
        out.append(case)
    return out
