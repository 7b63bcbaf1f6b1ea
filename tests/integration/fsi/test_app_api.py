"""The citizen app's JSON API: sign-in, own data only, estimate from stored state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import jwt
import pytest
from hospital_client import World

from yibao.services import auth, persons

PASSWORD = "Yibao#2026test"


@pytest.fixture
def app_client(world: World) -> httpx.Client:
    with world.session_factory() as s, s.begin():
        for cert in world.people.values():
            person = persons.find_by_certno(s, cert)
            assert person is not None
            auth.set_password(s, person, PASSWORD)
    return httpx.Client(base_url=world.url, timeout=30)


def _login(client: httpx.Client, certno: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/login", json={"certno": certno, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_a_person_sees_only_their_own_data_with_the_id_number_masked(
    app_client: httpx.Client, world: World
) -> None:
    a = _login(app_client, world.people["nmg"])
    b = _login(app_client, world.people["national"])
    me_a = app_client.get("/api/v1/me", headers=a).json()
    me_b = app_client.get("/api/v1/me", headers=b).json()
    assert me_a["psn_no"] != me_b["psn_no"]
    assert me_a["policy"] == "nmg-employee"
    assert world.people["nmg"] not in app_client.get("/api/v1/me", headers=a).text
    assert me_a["certno"].startswith(world.people["nmg"][:4])
    assert "**********" in me_a["certno"]
    account = app_client.get("/api/v1/me/account", headers=a).json()
    assert account["balance"] == "1200.00"
    assert account["transactions"][0]["amount"] == "1200.00"
    assert app_client.get("/api/v1/me/settlements", headers=a).json() == {"settlements": []}


def test_the_estimate_uses_the_persons_own_policy_group_and_balance(
    app_client: httpx.Client, world: World
) -> None:
    a = _login(app_client, world.people["nmg"])
    encounter = {
        "med_type": "inpatient",
        "hospital_level": 3,
        "items": [
            {"name": "甲类药", "list_type": "A", "amount": "15000.00"},
            {"name": "乙类药", "list_type": "B", "amount": "6000.00"},
            {"name": "护工费", "list_type": "C", "amount": "1000.00"},
        ],
    }
    r = app_client.post("/api/v1/me/estimate", headers=a, json={"encounter": encounter})
    assert r.status_code == 200, r.text
    assert r.json()["hifp_pay"] == "16970.00"
    assert r.json()["acct_pay"] == "1200.00"
    refused = app_client.post(
        "/api/v1/me/estimate",
        headers=a,
        json={"policy": "taiyuan-resident", "encounter": encounter},
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "policy"]
    bad = dict(encounter, items=[{"name": "x", "list_type": "A", "amount": "-1"}])
    r = app_client.post("/api/v1/me/estimate", headers=a, json={"encounter": bad})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "encounter", "items", 0, "amount"]


def test_bad_expired_or_forged_tokens_are_refused(app_client: httpx.Client, world: World) -> None:
    assert app_client.get("/api/v1/me").status_code == 401
    assert (
        app_client.get("/api/v1/me", headers={"Authorization": "Bearer x.y.z"}).status_code == 401
    )
    psn_no = app_client.get("/api/v1/me", headers=_login(app_client, world.people["nmg"])).json()[
        "psn_no"
    ]
    now = datetime.now(UTC)
    claims = {
        "sub": psn_no,
        "typ": "person",
        "aud": auth.AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    forged = jwt.encode(claims, b"not-the-key-not-the-key-not-the-key!", algorithm="HS256")
    none_alg = jwt.encode(claims, None, algorithm="none")
    expired = dict(claims, exp=int((now - timedelta(minutes=1)).timestamp()))
    for token in (forged, none_alg, jwt.encode(expired, b"k" * 32, algorithm="HS256")):
        r = app_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401


def test_five_wrong_passwords_lock_the_login(app_client: httpx.Client, world: World) -> None:
    cert = world.people["national"]
    for _ in range(5):
        r = app_client.post("/api/v1/auth/login", json={"certno": cert, "password": "wrong-pass"})
        assert r.status_code == 401
    r = app_client.post("/api/v1/auth/login", json={"certno": cert, "password": PASSWORD})
    assert r.status_code == 401
    missing = app_client.post("/api/v1/auth/login", json={"certno": cert})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "password"]


def test_the_app_voucher_identifies_the_person_at_a_hospital(
    app_client: httpx.Client, world: World
) -> None:
    a = _login(app_client, world.people["nmg"])
    v = app_client.get("/api/v1/me/voucher", headers=a).json()
    assert v["mdtrt_cert_type"] == "01"
    assert len(v["mdtrt_cert_no"]) <= 50
    from hospital_client import Hospital

    h = Hospital(world)
    out = h.call("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": v["mdtrt_cert_no"]}})
    assert out["insuinfo"][0]["balc"] == Decimal("1200.00")
