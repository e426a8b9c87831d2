"""Four eyes on stock adjustments: a request waits, nobody approves their own, approval carries it out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from stockyard.config import get_settings
from stockyard.db import tables as t
from stockyard.db.engine import Database
from tests.e2e.support import API, create, error, ok
from tests.helpers import bearer

Json = dict[str, Any]


@pytest.fixture
def shelf(client: TestClient) -> Json:
    wh = create(client, "warehouses", {"code": "W1", "name": "One"})
    acme = create(client, "owners", {"code": "ACME", "name": "Acme"})
    sku = create(client, "skus", {"owner_id": acme["id"], "code": "TEA", "name": "Tea"})
    loc = create(client, "locations", {"warehouse_id": wh["id"], "code": "A-1"})
    create(client, "stock/opening", {"lines": [{"owner_id": acme["id"], "sku_id": sku["id"],
                                                "location_id": loc["id"], "quantity": "100"}]})
    return {"owner_id": acme["id"], "sku_id": sku["id"], "location_id": loc["id"], "warehouse_id": wh["id"]}


def on_hand(client: TestClient, shelf: Json) -> str:
    rows = ok(client.get(f"{API}/stock/balances", params={"location_id": shelf["location_id"]}))["items"]
    return str(sum(float(r["on_hand"]) for r in rows))


def write_off(shelf: Json, quantity: str, approval: str = "request") -> Json:
    line = {k: shelf[k] for k in ("owner_id", "sku_id", "location_id")}
    return {"reason_code": "DAMAGED", "approval": approval, "lines": [{**line, "quantity": quantity}]}


def test_a_requested_adjustment_waits_and_only_someone_else_approves_it(client: TestClient, db: Database,
                                                                        shelf: Json) -> None:
    alice = bearer(db, "alice", roles=["warehouse_manager"])
    bob = bearer(db, "bob", roles=["warehouse_manager"])
    operator = bearer(db, "olga", roles=["operator"])
    pending = ok(client.post(f"{API}/stock/adjustments", json=write_off(shelf, "30"), headers=alice), 202)
    request_id = pending["approval_request_id"]
    assert pending["status"] == "pending" and on_hand(client, shelf) == "100.0"
    error(client.post(f"{API}/approvals/{request_id}/approve", headers=alice), 403, "self_approval")
    error(client.post(f"{API}/approvals/{request_id}/approve", headers=operator), 403, "forbidden")
    assert on_hand(client, shelf) == "100.0"
    approved = ok(client.post(f"{API}/approvals/{request_id}/approve", json={"note": "seen it"}, headers=bob))
    assert approved["status"] == "approved" and approved["decided_by"] == "bob"
    assert approved["result"]["movements"] == 1 and on_hand(client, shelf) == "70.0"
    error(client.post(f"{API}/approvals/{request_id}/approve", headers=bob), 409, "decided")
    error(client.post(f"{API}/approvals/{request_id}/reject", headers=bob), 409, "decided")
    actions = _audit(db)
    assert actions[-3:] == [("alice", "approval.request"), ("alice", "stock.adjust"), ("bob", "approval.approve")]


def test_rejected_and_cancelled_requests_change_no_stock(client: TestClient, db: Database, shelf: Json) -> None:
    alice = bearer(db, "alice", roles=["warehouse_manager"])
    bob = bearer(db, "bob", roles=["warehouse_manager"])
    first = ok(client.post(f"{API}/stock/adjustments", json=write_off(shelf, "5"), headers=alice), 202)
    second = ok(client.post(f"{API}/stock/adjustments", json=write_off(shelf, "6"), headers=alice), 202)
    assert ok(client.post(f"{API}/approvals/{first['approval_request_id']}/reject", headers=bob))["status"] == \
        "rejected"
    error(client.post(f"{API}/approvals/{second['approval_request_id']}/cancel", headers=bob), 403, "not_requester")
    assert ok(client.post(f"{API}/approvals/{second['approval_request_id']}/cancel", headers=alice))["status"] == \
        "cancelled"
    assert on_hand(client, shelf) == "100.0"
    listed = ok(client.get(f"{API}/approvals", params={"status": "rejected"}, headers=bob))
    assert [r["id"] for r in listed] == [first["approval_request_id"]]


def test_an_impossible_adjustment_is_refused_before_it_is_filed(client: TestClient, db: Database,
                                                                shelf: Json) -> None:
    error(client.post(f"{API}/stock/adjustments", json=write_off(shelf, "101")), 409, "insufficient_stock",
          "lines[0].quantity")
    error(client.post(f"{API}/stock/adjustments", json=write_off({**shelf, "sku_id": 9999}, "1")), 422, None,
          "lines[0].sku_id")
    assert db.read(lambda conn: conn.execute(select(func.count()).select_from(t.approval_request)).scalar()) == 0


def test_stock_gone_by_approval_time_leaves_the_request_pending(client: TestClient, db: Database,
                                                               shelf: Json) -> None:
    alice = bearer(db, "alice", roles=["warehouse_manager"])
    pending = ok(client.post(f"{API}/stock/adjustments", json=write_off(shelf, "80"), headers=alice), 202)
    ok(client.post(f"{API}/stock/adjustments", json=write_off(shelf, "50", approval="auto")), 201)
    error(client.post(f"{API}/approvals/{pending['approval_request_id']}/approve"), 409, "insufficient_stock")
    assert ok(client.get(f"{API}/approvals/{pending['approval_request_id']}"))["status"] == "pending"
    assert on_hand(client, shelf) == "50.0"


@pytest.fixture
def threshold(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    get_settings.cache_clear()
    monkeypatch.setenv("STOCKYARD_ADJUSTMENT_APPROVAL_QUANTITY", "10")
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_adjustments_above_the_configured_quantity_wait_for_approval(client: TestClient, shelf: Json,
                                                                     threshold: None) -> None:
    ok(client.post(f"{API}/stock/adjustments", json=write_off(shelf, "10", approval="auto")), 201)
    ok(client.post(f"{API}/stock/adjustments", json=write_off(shelf, "11", approval="auto")), 202)
    assert on_hand(client, shelf) == "90.0"


@pytest.fixture
def value_threshold(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    get_settings.cache_clear()
    monkeypatch.setenv("STOCKYARD_ADJUSTMENT_APPROVAL_VALUE", "500")
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def test_adjustments_above_the_configured_value_wait_for_approval(client: TestClient, shelf: Json,
                                                                  value_threshold: None) -> None:
    ok(client.patch(f"{API}/skus/{shelf['sku_id']}", json={"unit_cost": "25.50"}))
    # 19 × 25.50 = 484.50 is posted; 20 × 25.50 = 510 waits.
    ok(client.post(f"{API}/stock/adjustments", json=write_off(shelf, "19", approval="auto")), 201)
    pending = ok(client.post(f"{API}/stock/adjustments", json=write_off(shelf, "20", approval="auto")), 202)
    assert pending["status"] == "pending" and on_hand(client, shelf) == "81.0"


def test_requests_of_another_warehouse_are_not_found(client: TestClient, db: Database, shelf: Json) -> None:
    other = create(client, "warehouses", {"code": "W2", "name": "Two"})
    pending = ok(client.post(f"{API}/stock/adjustments", json=write_off(shelf, "1")), 202)
    outsider = bearer(db, "carl", roles=["warehouse_manager"], warehouse_ids=[other["id"]])
    error(client.get(f"{API}/approvals/{pending['approval_request_id']}", headers=outsider), 404, "not_found")
    error(client.post(f"{API}/approvals/{pending['approval_request_id']}/approve", headers=outsider), 404)
    assert ok(client.get(f"{API}/approvals", headers=outsider)) == []


def _audit(db: Database) -> list[tuple[str, str]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(t.audit_entry.c.actor, t.audit_entry.c.action)
                                               .order_by(t.audit_entry.c.seq))]
