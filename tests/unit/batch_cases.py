"""Random claims over every feature of the four built-in policies, for the batch engine's
tests: persons with several encounters in date order, some crossing New Year, bills large
enough to reach the caps, every eligibility rule, chronic classes with monthly quotas.

Seeded and reproducible: the same (seed, persons) gives the same cases.
"""

from __future__ import annotations

import random
from typing import Any

POLICIES = ("nmg-employee", "national-employee", "taiyuan-employee", "taiyuan-resident")
GROUPS = {
    "nmg-employee": ("in_service", "retired"),
    "national-employee": ("in_service", "retired"),
    "taiyuan-employee": ("in_service", "retired"),
    "taiyuan-resident": ("adult", "minor", "student"),
}
QUOTA_DISEASES = (
    "hypertension_iii",
    "renal_failure",
    "coronary_mi",
    "cerebrovascular_sequelae",
    "diabetes_heart",
    "diabetes_retinopathy",
    "diabetes_nephropathy",
    "diabetes_gangrene",
)
CAUSES = (
    "self_harm",
    "violence_crime",
    "third_party",
    "cosmetic",
    "work_injury",
    "maternity_insurance",
    "other_excluded",
)
MED_TYPES = ("inpatient", "outpatient", "outpatient", "chronic_outpatient", "maternity")
ROUTES = ("normal", "normal", "referral", "transfer_out", "emergency")
PROPS = (None, None, "0", "0.05", "0.10", "0.15", "0.2", "0.333", "0.123457", "1")
# upper ends of an item's amount in fen: small, ordinary, large (reaches caps)
SCALES = (5_000, 50_000, 500_000, 5_000_000, 40_000_000)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _items(rng: random.Random, scale: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(rng.choice((0, 1, 1, 2, 3, 4, 6))):
        kind = rng.choice("AAABBBC")
        fen = rng.randint(0, scale)
        item: dict[str, Any] = {"name": f"项目{i}", "list_type": kind, "amount": _yuan(fen)}
        if kind == "B":
            prop = rng.choice(PROPS)
            if prop is not None:
                item["selfpay_prop"] = prop
        if rng.random() < 0.2:
            item["limit_amount"] = _yuan(rng.randint(0, scale))
        out.append(item)
    return out


def _chronic(rng: random.Random, policy: str, enc: dict[str, Any]) -> None:
    if policy == "nmg-employee":
        cls = rng.choice("AB")
        enc["chronic"] = {"class": cls, "disease": rng.choice(("a1", "a2", "b1", "b2"))}
        if cls == "A" and rng.random() < 0.5:
            enc["therapy"] = rng.choice(("dialysis", "anti_rejection"))
    elif policy == "taiyuan-resident":
        if rng.random() < 0.6:
            enc["chronic"] = {"class": "quota", "disease": rng.choice(QUOTA_DISEASES[:4])}
        else:
            enc["chronic"] = {"class": "quarterly", "disease": rng.choice(("k1", "k2"))}
    elif rng.random() < 0.8:
        enc["chronic"] = {"disease": rng.choice(("d1", "d2", "hypertension_iii"))}


def _encounter(rng: random.Random, policy: str) -> dict[str, Any]:
    med = rng.choice(MED_TYPES)
    scale = rng.choice(SCALES) if med == "inpatient" else rng.choice(SCALES[:3])
    enc: dict[str, Any] = {
        "med_type": med,
        "hospital_level": rng.randint(1, 3),
        "items": _items(rng, scale),
    }
    if rng.random() < 0.06:
        enc["cause"] = rng.choice(CAUSES)
        enc["mental_illness"] = rng.random() < 0.5
    if rng.random() < 0.05:
        enc["designated"] = False
        enc["approved"] = rng.random() < 0.5
    if med == "inpatient":
        enc["oncology_course"] = rng.random() < 0.3
        enc["route"] = rng.choice(ROUTES)
        if rng.random() < 0.1:
            enc["therapy"] = rng.choice(("dialysis", "anti_rejection"))
    if policy == "taiyuan-resident":
        enc["at_first_visit_hospital"] = rng.random() < 0.8
    if med == "chronic_outpatient":
        _chronic(rng, policy, enc)
    return enc


def _person(rng: random.Random, policy: str) -> dict[str, Any]:
    person: dict[str, Any] = {
        "group": rng.choice(GROUPS[policy]),
        "continuous_years": rng.choice((0, 1, 2, 3, 3, 5)),
    }
    if policy != "taiyuan-resident" and rng.random() < 0.7:
        person["account_balance"] = _yuan(rng.choice((0, rng.randint(0, 300_000), 5_000_000)))
        person["use_account"] = rng.random() < 0.85
    return person


def random_claims(seed: int, persons: int) -> list[dict[str, Any]]:
    """Claims of ``persons`` random persons (1 to 12 encounters each), in random file order
    within each person's rows; dates in 2024-2026, often crossing New Year."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for n in range(persons):
        policy = rng.choice(POLICIES)
        person = _person(rng, policy)
        year = rng.choice((2024, 2025))
        for _ in range(rng.choice((1, 1, 2, 3, 5, 8, 12))):
            month = rng.randint(1, 12) if rng.random() < 0.8 else rng.choice((1, 12))
            when_year = year + (1 if rng.random() < 0.15 else 0)
            claim = {
                "person_id": f"P{seed}-{n}",
                "policy": policy,
                "date": f"{when_year}-{month:02d}-{rng.randint(1, 28):02d}",
                "person": person,
                "encounter": _encounter(rng, policy),
            }
            out.append(claim)
    rng.shuffle(out)
    return out
