"""The rules layer imports no framework: settling a case loads no database, web or CLI code."""

from __future__ import annotations

import json
import subprocess
import sys

FRAMEWORKS = ("sqlalchemy", "fastapi", "starlette", "typer", "httpx", "uvicorn", "alembic")

SCRIPT = """
import json, sys
import yibao.rules
result = yibao.rules.settle({
    "policy": "nmg-employee", "date": "2025-03-10",
    "person": {"group": "in_service", "account_balance": "1200.00"},
    "encounter": {"med_type": "inpatient", "hospital_level": 3, "items": [
        {"name": "a", "list_type": "A", "amount": "15000.00"},
        {"name": "b", "list_type": "B", "amount": "6000.00"},
        {"name": "c", "list_type": "C", "amount": "1000.00"}]}})
loaded = sorted({m.split(".")[0] for m in sys.modules})
print(json.dumps({"hifp_pay": result["hifp_pay"], "modules": loaded}))
"""


def test_importing_and_settling_with_the_rules_loads_no_framework() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=60
    )
    out = json.loads(proc.stdout)
    assert out["hifp_pay"] == "16970.00"  # the case really was settled
    loaded = set(out["modules"])
    assert "yibao" in loaded
    for name in FRAMEWORKS:
        assert name not in loaded, f"yibao.rules pulled in {name}"
