"""Shipment orders over HTTP: intake, FEFO/FIFO/LIFO allocation with explanations, hold, cancel, bad input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.stock import StockStatus
from stockyard.services.verify import verify
from tests.e2e.support import API, create, error, ok
from tests.helpers import World, bearer

Json = dict[str, Any]
TODAY = date.today()


@dataclass
class Site:
    world: World
    wh: int
    owner: int
    tea: int  # lot- and expiry-controlled
    bolt: int  # no lots, a case of 10
    pick: int
    shelf_a: int
    shelf_b: int
    lots: dict[str, int]


@pytest.fixture
def site(db: Database) -> Site:
    w = World(db)
    wh, owner = w.warehouse(), w.owner()
    tea = w.sku("TEA", lot_control=True, expiry_control=True)
    bolt = w.sku("BOLT", packs=[{"level": "case", "uom": "CS", "factor": "10"}])
    pick = w.location("PF-01", kind="pick_face")
    shelf_a, shelf_b = w.location("S-A"), w.location("S-B")
    lots = {
        # number: (expiry, production)
        "OLD": w.lot("OLD", "TEA", expiry_date=TODAY + timedelta(days=300),
                     production_date=TODAY - timedelta(days=60)),
        "SOON": w.lot("SOON", "TEA", expiry_date=TODAY + timedelta(days=20),
                      production_date=TODAY - timedelta(days=30)),
        "NEW": w.lot("NEW", "TEA", expiry_date=TODAY + timedelta(days=200),
                     production_date=TODAY - timedelta(days=5)),
    }
    w.receive(shelf_a, 10, w.item("TEA", lot=lots["OLD"]))
    w.receive(shelf_b, 10, w.item("TEA", lot=lots["SOON"]))
    w.receive(pick, 10, w.item("TEA", lot=lots["NEW"]))
    return Site(w, wh, owner, tea, bolt, pick, shelf_a, shelf_b, lots)


def order(site: Site, ref: str = "SO-1", lines: list[Json] | None = None, **extra: Any) -> Json:
    return {"owner_id": site.owner, "warehouse_id": site.wh, "external_ref": ref, "type": "sales_b2c",
            "lines": lines or [{"sku_code": "TEA", "quantity": "5"}], **extra}


def allocate(client: TestClient, order_id: int, status: int = 200) -> Json:
    result: Json = ok(client.post(f"{API}/orders/{order_id}/allocate"), status)
    return result


def taken(result: Json, line: int = 0) -> list[tuple[str, str]]:
    return [(a["lot_number"], a["quantity"]) for a in result["explanation"]["lines"][line]["taken"]]


def postings(db: Database) -> int:
    return int(db.read(lambda conn: conn.execute(select(func.count()).select_from(t.posting)).scalar_one()))


def allocated(db: Database) -> Decimal:
    return Decimal(db.read(lambda conn: conn.execute(select(func.coalesce(func.sum(t.balance.c.allocated), 0))
                                                    .where(~t.balance.c.is_virtual)).scalar_one()))


def test_intake_is_idempotent_and_converts_packs(client: TestClient, site: Site) -> None:
    body = order(site, lines=[{"sku_code": "TEA", "quantity": "3"},
                              {"sku_id": site.bolt, "quantity": "2", "level": "case"}],
                 ship_to={"name": "Ann", "city": "Oslo"}, priority=5)
    created = create(client, "orders", body)
    assert created["status"] == "created" and created["rule"] == "fefo" and not created["on_hold"]
    assert [(x["sku_code"], x["quantity"], x["ordered_quantity"], x["ordered_uom"]) for x in created["lines"]] == [
        ("TEA", "3", "3", "C62"), ("BOLT", "20", "2", "CS")]
    again = client.post(f"{API}/orders", json=body)
    assert again.status_code == 200 and again.json()["id"] == created["id"]
    error(client.post(f"{API}/orders", json={**body, "priority": 6}), 409, "order_conflict", "external_ref")
    listed = ok(client.get(f"{API}/orders", params={"warehouse_id": site.wh}))
    assert [o["id"] for o in listed["items"]] == [created["id"]] and listed["next_cursor"] is None
    assert ok(client.get(f"{API}/orders/{created['id']}"))["lines"][0]["allocations"] == []


@pytest.mark.parametrize(("rule", "expected"), [
    ("fefo", [("SOON", "10"), ("NEW", "2")]),  # SOON expires first; NEW (200 days) before OLD (300)
    ("fifo", [("OLD", "10"), ("SOON", "2")]),  # produced 60, 30 days ago
    ("lifo", [("NEW", "10"), ("SOON", "2")]),
])
def test_rules_order_the_stock(client: TestClient, db: Database, site: Site, rule: str,
                               expected: list[tuple[str, str]]) -> None:
    created = create(client, "orders", order(site, rule=rule, lines=[{"sku_code": "TEA", "quantity": "12"}]))
    result = allocate(client, created["id"])
    assert taken(result) == expected
    assert result["order"]["status"] == "allocated"
    line = result["order"]["lines"][0]
    assert line["allocated_quantity"] == "12" and line["open_quantity"] == "0"
    assert {a["posting_id"] for a in line["allocations"]} == {result["posting_id"]}  # one posting
    assert line["allocations"][0]["reason"].startswith(rule.upper() + ": ")
    assert allocated(db) == 12
    explained = ok(client.get(f"{API}/orders/{created['id']}/allocation-explanation"))
    assert explained["lines"] == result["explanation"]["lines"]
    assert verify(db).ok


def test_reason_names_expiry_and_pick_face(client: TestClient, site: Site) -> None:
    created = create(client, "orders", order(site, lines=[{"sku_code": "TEA", "quantity": "1",
                                                           "lot_number": "NEW"}]))
    result = allocate(client, created["id"])
    expiry = (TODAY + timedelta(days=200)).isoformat()
    reason = result["explanation"]["lines"][0]["taken"][0]["reason"]
    assert reason == f"FEFO: expires {expiry} (lot NEW); pick face PF-01"


def test_given_lot_and_min_shelf_life(client: TestClient, site: Site) -> None:
    created = create(client, "orders", order(site, lines=[
        {"sku_code": "TEA", "quantity": "4", "lot_number": "OLD"},
        {"sku_code": "TEA", "quantity": "15", "min_shelf_life_days": 100}]))
    result = allocate(client, created["id"])
    assert taken(result, 0) == [("OLD", "4")]
    skipped = {(s["lot_number"], s["code"]) for s in result["explanation"]["lines"][0]["skipped"]}
    assert skipped == {("SOON", "other_lot"), ("NEW", "other_lot")}
    # Line 2: SOON expires within 100 days; NEW first by expiry, then what line 1 left of OLD.
    assert taken(result, 1) == [("NEW", "10"), ("OLD", "5")]
    skip = result["explanation"]["lines"][1]["skipped"]
    assert [(s["lot_number"], s["code"]) for s in skip] == [("SOON", "short_shelf_life")]
    assert "before the customer's minimum" in skip[0]["reason"]
    assert result["order"]["status"] == "allocated"


def test_qc_and_frozen_stock_is_never_allocated_partial_allocation(client: TestClient, db: Database,
                                                                   site: Site) -> None:
    w = site.world
    bolt = w.item("BOLT")
    w.receive(site.shelf_a, 3, bolt)
    w.receive(site.shelf_b, 50, bolt, status=StockStatus.QC)
    w.receive(site.pick, 40, bolt, status=StockStatus.FROZEN)
    created = create(client, "orders", order(site, lines=[{"sku_code": "BOLT", "quantity": "1", "level": "case"}]))
    result = allocate(client, created["id"])
    line = result["explanation"]["lines"][0]
    assert [(x["location_code"], x["quantity"]) for x in line["taken"]] == [("S-A", "3")]
    assert {(s["status"], s["code"]) for s in line["skipped"]} == {("qc", "status"), ("frozen", "status")}
    assert line["short"] == "7" and line["note"] == "not enough available"
    assert result["order"]["status"] == "partially_allocated"
    # Nothing more to find: another run takes nothing and says so, and posts nothing.
    before = postings(db)
    again = allocate(client, created["id"])
    assert again["posting_id"] is None and again["explanation"]["lines"][0]["note"] == "nothing available"
    assert postings(db) == before
    # Stock arrives: the next run takes the rest.
    w.receive(site.shelf_a, 10, bolt)
    assert allocate(client, created["id"])["order"]["status"] == "allocated"
    assert verify(db).ok


def test_stock_allocated_to_one_order_is_not_taken_by_another(client: TestClient, site: Site) -> None:
    first = create(client, "orders", order(site, "SO-A", lines=[{"sku_code": "TEA", "quantity": "25"}]))
    second = create(client, "orders", order(site, "SO-B", lines=[{"sku_code": "TEA", "quantity": "10"}]))
    allocate(client, first["id"])
    result = allocate(client, second["id"])
    assert taken(result) == [("OLD", "5")]
    assert result["order"]["status"] == "partially_allocated"
    assert any(s["code"] == "nothing_available" for s in result["explanation"]["lines"][0]["skipped"])


def test_cancel_releases_every_allocation_in_one_posting(client: TestClient, db: Database, site: Site) -> None:
    created = create(client, "orders", order(site, lines=[{"sku_code": "TEA", "quantity": "15"},
                                                          {"sku_code": "TEA", "quantity": "3"}]))
    allocate(client, created["id"])
    assert allocated(db) == 18
    before = postings(db)
    cancelled = ok(client.post(f"{API}/orders/{created['id']}/cancel"))
    assert cancelled["status"] == "cancelled" and postings(db) == before + 1
    assert allocated(db) == 0
    allocations = [a for line in cancelled["lines"] for a in line["allocations"]]
    assert allocations and {a["status"] for a in allocations} == {"released"}
    assert len({a["release_posting_id"] for a in allocations}) == 1
    error(client.post(f"{API}/orders/{created['id']}/allocate"), 409, "order_cancelled")
    error(client.post(f"{API}/orders/{created['id']}/cancel"), 409, "order_cancelled")
    assert verify(db).ok


def test_hold_blocks_allocation(client: TestClient, db: Database, site: Site) -> None:
    created = create(client, "orders", order(site))
    assert ok(client.post(f"{API}/orders/{created['id']}/hold"))["on_hold"] is True
    before = postings(db)
    error(client.post(f"{API}/orders/{created['id']}/allocate"), 409, "order_on_hold", "order_id")
    assert postings(db) == before
    assert ok(client.post(f"{API}/orders/{created['id']}/release-hold"))["on_hold"] is False
    assert allocate(client, created["id"])["order"]["status"] == "allocated"


@pytest.mark.parametrize(("change", "status", "field"), [
    ({"owner_id": 999999}, 422, "owner_id"),
    ({"warehouse_id": 999999}, 422, "warehouse_id"),
    ({"carrier_id": 999999}, 422, "carrier_id"),
    ({"type": "gift"}, 422, "type"),
    ({"rule": "random"}, 422, "rule"),
    ({"lines": []}, 422, "lines"),
    ({"lines": [{"sku_code": "NOPE", "quantity": "1"}]}, 422, "lines[0].sku_code"),
    ({"lines": [{"sku_id": 999999, "quantity": "1"}]}, 422, "lines[0].sku_id"),
    ({"lines": [{"quantity": "1"}]}, 422, "lines[0].sku_id"),
    ({"lines": [{"sku_code": "TEA", "quantity": "0"}]}, 422, "lines[0].quantity"),
    ({"lines": [{"sku_code": "TEA", "quantity": "1.5"}]}, 422, "lines[0].quantity"),
    ({"lines": [{"sku_code": "TEA", "quantity": "1", "level": "case"}]}, 422, "lines[0].quantity_level"),
    ({"lines": [{"sku_code": "BOLT", "quantity": "1", "lot_number": "X"}]}, 422, "lines[0].lot_number"),
    ({"lines": [{"sku_code": "TEA", "quantity": "1", "min_shelf_life_days": -1}]}, 422,
     "lines[0].min_shelf_life_days"),
])
def test_bad_input_names_the_field_and_writes_nothing(client: TestClient, db: Database, site: Site,
                                                      change: Json, status: int, field: str) -> None:
    body = {**order(site), **change}
    problem = error(client.post(f"{API}/orders", json=body), status)
    assert problem["field"] is not None and problem["field"].endswith(field), problem
    assert db.read(lambda conn: conn.execute(select(func.count()).select_from(t.shipment_order)).scalar_one()) == 0


def test_unknown_or_out_of_scope_order_is_404(client: TestClient, db: Database, site: Site) -> None:
    created = create(client, "orders", order(site))
    for path in ("", "/allocation-explanation"):
        error(client.get(f"{API}/orders/999999{path}"), 404, field="order_id")
    for action in ("allocate", "hold", "release-hold", "cancel"):
        error(client.post(f"{API}/orders/999999/{action}"), 404, field="order_id")
    other = site.world.owner("OTHER")
    outsider = bearer(db, "outsider", owner_ids=[other])
    error(client.get(f"{API}/orders/{created['id']}", headers=outsider), 404)
    error(client.post(f"{API}/orders/{created['id']}/allocate", headers=outsider), 404)
    assert ok(client.get(f"{API}/orders", headers=outsider))["items"] == []
    error(client.post(f"{API}/orders", json=order(site, "SO-X"), headers=outsider), 422, field="owner_id")
