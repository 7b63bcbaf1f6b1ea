"""``POST /api/v1/settlements/estimate``: the engine over HTTP, with FastAPI's 422 shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from yibao.web.app import create_app

URL = "/api/v1/settlements/estimate"


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


def example_1() -> dict[str, Any]:
    return {
        "policy": "nmg-employee",
        "date": "2025-03-10",
        "person": {"group": "in_service", "account_balance": "1200.00", "use_account": True},
        "year_to_date": {"admissions": 0, "fund_paid": "0.00"},
        "encounter": {
            "med_type": "inpatient",
            "hospital_level": 3,
            "items": [
                {"name": "头孢克洛胶囊", "list_type": "A", "amount": "15000.00"},
                {"name": "某乙类药", "list_type": "B", "amount": "6000.00", "selfpay_prop": "0.10"},
                {"name": "护工费", "list_type": "C", "amount": "1000.00"},
            ],
        },
    }


def test_estimate_returns_the_numbers_of_spec_example_1(client: TestClient) -> None:
    response = client.post(URL, json=example_1())
    assert response.status_code == 200
    r = response.json()
    assert r["policy_version"] == "2024-01-01"
    assert r["medfee_sumamt"] == "22000.00"
    assert r["preselfpay_amt"] == "600.00"
    assert r["inscp_scp_amt"] == "20400.00"
    assert r["act_pay_dedc"] == "800.00"
    assert r["hifp_pay"] == "16970.00"
    assert r["psn_part_amt"] == "5030.00"
    assert r["acct_pay"] == "1200.00"
    assert r["psn_cash_pay"] == "3830.00"
    assert r["year_to_date_after"]["fund_paid"] == "16970.00"
    assert r["explanation"]


def test_a_bad_amount_gives_422_with_the_field_path(client: TestClient) -> None:
    case = example_1()
    case["encounter"]["items"][0]["amount"] = "-5.00"
    response = client.post(URL, json=case)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["body", "encounter", "items", 0, "amount"]
    assert "负数" in detail[0]["msg"]


def test_an_unknown_policy_gives_422_listing_the_known_ones(client: TestClient) -> None:
    case = example_1()
    case["policy"] = "nowhere"
    response = client.post(URL, json=case)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["body", "policy"]
    assert "taiyuan-resident" in detail[0]["msg"]


def test_a_nested_chronic_field_gives_its_path(client: TestClient) -> None:
    case = example_1()
    case["encounter"]["med_type"] = "chronic_outpatient"
    case["encounter"]["chronic"] = {"class": "Z", "disease": "x"}
    response = client.post(URL, json=case)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "encounter", "chronic", "class"]


def test_a_json_number_amount_is_read_exactly(client: TestClient) -> None:
    text = json.dumps(example_1()).replace('"15000.00"', "15000.5").replace('"6000.00"', "6000.05")
    response = client.post(URL, content=text, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    r = response.json()
    assert r["medfee_sumamt"] == "22000.55"
    assert r["preselfpay_amt"] == "600.01"  # 6000.05 × 10% = 600.005, half up


def test_invalid_json_gives_422(client: TestClient) -> None:
    response = client.post(URL, content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail[0]["loc"] == ["body"]
    assert detail[0]["msg"]


def test_a_body_that_is_not_an_object_gives_422(client: TestClient) -> None:
    response = client.post(URL, json=[1, 2])
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"]


def test_the_docs_and_the_openapi_schema_respond(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    schema = client.get("/openapi.json")
    assert schema.status_code == 200
    assert URL in schema.json()["paths"]


def test_the_root_is_the_citizen_home_page_and_health_is_reported(tmp_path: Path) -> None:
    from yibao.config import Settings

    app = create_app(
        Settings(
            database_url=f"sqlite:///{tmp_path / 'h.db'}", secret_key_file=tmp_path / "none.key"
        )
    )
    with TestClient(app) as client:
        root = client.get("/", follow_redirects=False)
        assert root.status_code == 200
        assert "参保人服务" in root.text
        assert client.get("/healthz").json() == {"status": "ok"}
