"""Replenishment over HTTP: rules, the run (FEFO from reserve, no duplicates while tasks are open, shortfalls),
confirmation by scanning the pick face (whole, partial, refused) — and bad input."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from stockyard.api.app import create_app
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.services.verify import verify
from tests.e2e.support import API, create, error, ok
from tests.helpers import bearer

Json = dict[str, Any]
EARLY = (date.today() + timedelta(days=100)).isoformat()
LATE = (date.today() + timedelta(days=200)).isoformat()


@dataclass
class Site:
    wh: int
    wh2: int
    face: int
    r1: int
    r2: int
    r3: int
    far: int
    acme: int
    other: int
    tea: int
    other_tea: int


@pytest.fixture
def site(client: TestClient) -> Site:
    wh = create(client, "warehouses", {"code": "W1", "name": "Main"})["id"]
    wh2 = create(client, "warehouses", {"code": "W2", "name": "Second"})["id"]
    face, r1, r2, r3 = (create(client, "locations", {"warehouse_id": wh, "code": code})["id"]
                        for code in ("P-01", "R-01", "R-02", "R-03"))
    far = create(client, "locations", {"warehouse_id": wh2, "code": "X-01"})["id"]
    acme = create(client, "owners", {"code": "ACME", "name": "Acme"})["id"]
    other = create(client, "owners", {"code": "OTHER", "name": "Other"})["id"]
    tea = create(client, "skus", {"owner_id": acme, "code": "TEA", "name": "Tea", "lot_control": True})["id"]
    other_tea = create(client, "skus", {"owner_id": other, "code": "TEA", "name": "Tea", "lot_control": True})["id"]
    line = {"owner_id": acme, "sku_id": tea}
    create(client, "stock/opening", {"lines": [
        {**line, "location_id": face, "quantity": "5", "lot_number": "FACE"},
        {**line, "location_id": r1, "quantity": "30", "lot_number": "LATE", "expiry_date": LATE},
        {**line, "location_id": r2, "quantity": "25", "lot_number": "EARLY", "expiry_date": EARLY},
        {**line, "location_id": r3, "quantity": "100", "lot_number": "NOEXP"}]})
    # 5 of the earliest lot are promised to an order: reserve gives only what is not allocated.
    ok(client.post(f"{API}/stock/allocations", json={**line, "location_id": r2, "quantity": "5",
                                                     "lot_id": lot(client, tea, "EARLY")}), 201)
    return Site(wh, wh2, face, r1, r2, r3, far, acme, other, tea, other_tea)


def lot(client: TestClient, sku_id: int, number: str) -> int:
    [found] = ok(client.get(f"{API}/lots", params={"sku_id": sku_id, "number": number}))["items"]
    return int(found["id"])


def rule(client: TestClient, site: Site, **changes: Any) -> Json:
    body = {"location_id": site.face, "owner_id": site.acme, "sku_id": site.tea, "min_quantity": "10",
            "max_quantity": "50", **changes}
    return create(client, f"warehouses/{site.wh}/replenishment-rules", body)


def run(client: TestClient, site: Site) -> list[Json]:
    result: list[Json] = ok(client.post(f"{API}/warehouses/{site.wh}/replenishment/run"))
    return result


def on_hand(client: TestClient, location_id: int) -> dict[int | None, str]:
    rows = ok(client.get(f"{API}/stock/balances", params={"location_id": location_id, "limit": 500}))["items"]
    return {r["lot_id"]: r["on_hand"] for r in rows if r["status"] == "available"}


def audited(db: Database, action: str) -> list[tuple[str, Json]]:
    """(object id, after) of the audit entries of an action, oldest first."""
    rows = db.read(lambda conn: conn.execute(select(t.audit_entry.c.object_id, t.audit_entry.c.after).where(
        t.audit_entry.c.action == action).order_by(t.audit_entry.c.seq)).all())
    return [(r.object_id, json.loads(r.after)) for r in rows]


def test_run_tops_up_from_reserve_fefo_once_and_confirms(client: TestClient, db: Database, site: Site) -> None:
    created = rule(client, site)
    assert ok(client.get(f"{API}/warehouses/{site.wh}/replenishment-rules")) == [created]
    tasks = run(client, site)
    # 5 on the face, 10 the minimum, 50 the maximum: 45 to bring, the earliest lot first (20 unallocated).
    assert [(k["kind"], k["status"], k["from_location_id"], k["to_location_id"], k["quantity"]) for k in tasks] == [
        ("replenish", "open", site.r2, site.face, "20"), ("replenish", "open", site.r1, site.face, "25")]
    assert [k["lot_id"] for k in tasks] == [lot(client, site.tea, "EARLY"), lot(client, site.tea, "LATE")]
    assert tasks[0]["explanation"]["pick_face"] == "P-01" and tasks[0]["explanation"]["need"] == "45"
    assert "note" not in tasks[0]["explanation"]
    assert audited(db, "replenishment.run") == [(str(site.wh), {"task_ids": [k["id"] for k in tasks],
                                                                "rule_ids": [created["id"]]})]
    # The tasks are on their way: a second run plans nothing more.
    assert run(client, site) == []
    listed = ok(client.get(f"{API}/tasks", params={"warehouse_id": site.wh}))
    assert [k["id"] for k in listed] == [k["id"] for k in tasks]
    for task in tasks:
        done = ok(client.post(f"{API}/tasks/{task['id']}/replenish", json={"location_code": "P-01"}))
        assert done["status"] == "done" and done["quantity"] == "0" and done["done_quantity"] == task["quantity"]
    face = on_hand(client, site.face)
    assert face[lot(client, site.tea, "EARLY")] == "20" and face[lot(client, site.tea, "LATE")] == "25"
    assert on_hand(client, site.r2) == {lot(client, site.tea, "EARLY"): "5"}  # the allocated 5 stay
    assert run(client, site) == []  # 50 on the face
    assert [entry[0] for entry in audited(db, "task.replenish")] == [str(k["id"]) for k in tasks]
    assert [entry[1]["task_ids"] for entry in audited(db, "replenishment.run")] == [[k["id"] for k in tasks], [], []]
    assert verify(db).ok


def test_shortfall_is_explained_and_lots_without_expiry_come_before_loose_stock(client: TestClient, db: Database,
                                                                               site: Site) -> None:
    created = rule(client, site)
    changed = ok(client.patch(f"{API}/replenishment-rules/{created['id']}",
                              json={"min_quantity": "100", "max_quantity": "200"}))
    assert (changed["min_quantity"], changed["max_quantity"]) == ("100", "200")
    tasks = run(client, site)
    assert [(k["from_location_id"], k["quantity"]) for k in tasks] == [(site.r2, "20"), (site.r1, "30"),
                                                                       (site.r3, "100")]
    assert all(k["explanation"]["short"] == "45" and "45 short" in k["explanation"]["note"] for k in tasks)
    # Reserve is all on its way now: another run finds nothing left to take.
    assert run(client, site) == []
    ok(client.patch(f"{API}/replenishment-rules/{created['id']}", json={"active": False}))
    assert run(client, site) == []
    assert verify(db).ok


def test_partial_confirmation_and_refusals(client: TestClient, db: Database, site: Site) -> None:
    rule(client, site)
    first, second = run(client, site)
    url = f"{API}/tasks/{first['id']}/replenish"
    error(client.post(url, json={"location_code": "R-01"}), 422, "wrong_location", "location_code")
    error(client.post(url, json={"quantity": "21"}), 422, "over_task", "quantity")
    part = ok(client.post(url, json={"quantity": "8", "location_code": "P-01"}))
    assert (part["status"], part["quantity"], part["done_quantity"]) == ("open", "12", "8")
    assert on_hand(client, site.face)[lot(client, site.tea, "EARLY")] == "8"
    # 8 arrived and 12 are still coming: 5 + 8 + 12 + 25 is above the minimum, nothing new is planned.
    assert run(client, site) == []
    ok(client.post(url, json={}))
    error(client.post(url, json={}), 409, "task_closed", "task_id")
    # The source of the second task is emptied by a move: the ledger refuses to take what is not there.
    ok(client.post(f"{API}/stock/moves", json={"from_location_id": site.r1, "to_location_id": site.r3,
                                               "owner_id": site.acme, "sku_id": site.tea, "quantity": "30",
                                               "lot_id": second["lot_id"]}), 201)
    error(client.post(f"{API}/tasks/{second['id']}/replenish", json={}), 409, "insufficient_stock")
    assert ok(client.get(f"{API}/tasks/{second['id']}"))["status"] == "open"
    error(client.post(f"{API}/tasks/999999/replenish", json={}), 404, None, "task_id")
    putaway_task = db.write(lambda conn: conn.execute(insert(t.task).values(
        warehouse_id=site.wh, kind="putaway", status="open", owner_id=site.acme, sku_id=site.tea,
        stock_status="available", from_location_id=site.r3, quantity=1, to_location_id=site.face,
        created_at=datetime.now(UTC), updated_at=datetime.now(UTC)).returning(t.task.c.id)).scalar_one())
    error(client.post(f"{API}/tasks/{putaway_task}/replenish", json={}), 409, "not_replenishment", "task_id")
    assert verify(db).ok


def test_bad_rule_input_names_the_field(client: TestClient, db: Database, site: Site) -> None:
    path = f"warehouses/{site.wh}/replenishment-rules"
    base = {"location_id": site.face, "owner_id": site.acme, "sku_id": site.tea, "min_quantity": "10",
            "max_quantity": "50"}
    error(client.post(f"{API}/{path}", json={**base, "max_quantity": "10"}), 422, "max_not_above_min",
          "max_quantity")
    error(client.post(f"{API}/{path}", json={**base, "min_quantity": "-1"}), 422, None, "min_quantity")
    error(client.post(f"{API}/{path}", json={**base, "location_id": site.far}), 422, "unknown_location",
          "location_id")
    error(client.post(f"{API}/{path}", json={**base, "sku_id": site.other_tea}), 422, "unknown_sku", "sku_id")
    error(client.post(f"{API}/{path}", json={**base, "sku_id": 999999}), 422, "unknown_sku", "sku_id")
    error(client.post(f"{API}/warehouses/999999/replenishment-rules", json=base), 404)
    created = rule(client, site)
    error(client.post(f"{API}/{path}", json=base), 409, "duplicate", "sku_id")
    url = f"{API}/replenishment-rules/{created['id']}"
    error(client.patch(url, json={"max_quantity": "5"}), 422, "max_not_above_min", "max_quantity")
    error(client.patch(url, json={"min_quantity": None}), 422, None, "min_quantity")
    error(client.patch(f"{API}/replenishment-rules/999999", json={"active": False}), 404, None, "rule_id")
    assert [entry[0] for entry in audited(db, "replenishment_rule.create")] == [str(created["id"])]
    assert verify(db).ok


def test_other_warehouses_rules_and_tasks_are_not_found(client: TestClient, db: Database, site: Site) -> None:
    created = rule(client, site)
    [task, _] = run(client, site)
    with TestClient(create_app(db)) as outsider:
        outsider.headers.update(bearer(db, "outsider", roles=["system_administrator"], warehouse_ids=[site.wh2]))
        error(outsider.get(f"{API}/warehouses/{site.wh}/replenishment-rules"), 404)
        error(outsider.post(f"{API}/warehouses/{site.wh}/replenishment/run"), 404)
        error(outsider.patch(f"{API}/replenishment-rules/{created['id']}", json={"active": False}), 404)
        error(outsider.post(f"{API}/tasks/{task['id']}/replenish", json={}), 404)
        assert ok(outsider.get(f"{API}/warehouses/{site.wh2}/replenishment-rules")) == []
    assert verify(db).ok
