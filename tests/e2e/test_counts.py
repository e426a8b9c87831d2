"""Counts over HTTP: blind counting, recount by someone else, variances approved by a supervisor who did not
count, counting while stock moves, count-on-touch, plans that schedule themselves, accuracy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stockyard.db.engine import Database
from stockyard.services.verify import verify
from tests.e2e.support import API, create, error, ok
from tests.helpers import bearer

Json = dict[str, Any]


@dataclass
class Site:
    wh: int
    zone: int
    a1: int
    a2: int
    acme: int
    tea: int
    coffee: int


@pytest.fixture
def site(client: TestClient) -> Site:
    wh = create(client, "warehouses", {"code": "W1", "name": "Main"})["id"]
    zone = create(client, "zones", {"warehouse_id": wh, "code": "STO", "name": "Storage", "kind": "storage"})["id"]
    a1, a2 = (create(client, "locations", {"warehouse_id": wh, "zone_id": zone, "code": code})["id"]
              for code in ("A-1", "A-2"))
    acme = create(client, "owners", {"code": "ACME", "name": "Acme"})["id"]
    tea = create(client, "skus", {"owner_id": acme, "code": "TEA", "name": "Tea", "abc_class": "A"})["id"]
    coffee = create(client, "skus", {"owner_id": acme, "code": "COFFEE", "name": "Coffee"})["id"]
    create(client, "stock/opening", {"lines": [
        {"owner_id": acme, "sku_id": tea, "location_id": a1, "quantity": "50"},
        {"owner_id": acme, "sku_id": coffee, "location_id": a2, "quantity": "8"}]})
    return Site(wh, zone, a1, a2, acme, tea, coffee)


def on_hand(client: TestClient, location_id: int) -> dict[int, str]:
    rows = ok(client.get(f"{API}/stock/balances", params={"location_id": location_id}))["items"]
    return {r["sku_id"]: r["on_hand"] for r in rows}


def test_blind_count_recount_by_another_and_approval_by_a_supervisor_who_did_not_count(
        client: TestClient, db: Database, site: Site) -> None:
    olga = bearer(db, "olga", roles=["operator"])
    mia, max_ = bearer(db, "mia", roles=["warehouse_manager"]), bearer(db, "max", roles=["warehouse_manager"])
    count = ok(client.post(f"{API}/counts", json={"warehouse_id": site.wh, "location_ids": [site.a1]},
                           headers=mia), 201)
    seen = ok(client.get(f"{API}/counts/{count['id']}", headers=olga))
    assert [line["snapshot_quantity"] for line in seen["lines"]] == [None], "blind: counters see no books"
    line = seen["lines"][0]["id"]
    ok(client.post(f"{API}/counts/{count['id']}/entries", json={"entries": [{"line_id": line, "quantity": "48"}]},
                   headers=olga))
    assert ok(client.post(f"{API}/counts/{count['id']}/finish", headers=olga))["status"] == "recount"
    error(client.post(f"{API}/counts/{count['id']}/entries", json={"entries": [{"line_id": line, "quantity": "48"}]},
                      headers=olga), 403, "same_counter")
    ok(client.post(f"{API}/counts/{count['id']}/entries", json={"entries": [{"line_id": line, "quantity": "48"}]},
                   headers=max_))
    finished = ok(client.post(f"{API}/counts/{count['id']}/finish", headers=olga))
    assert finished["status"] == "awaiting_approval" and on_hand(client, site.a1) == {site.tea: "50"}
    request = finished["approval_request_id"]
    error(client.post(f"{API}/approvals/{request}/approve", headers=olga), 403)  # the requester, an operator
    error(client.post(f"{API}/approvals/{request}/approve", headers=max_), 403, "self_approval")  # recounted
    ok(client.post(f"{API}/approvals/{request}/approve", headers=mia))
    assert ok(client.get(f"{API}/counts/{count['id']}"))["status"] == "posted"
    assert on_hand(client, site.a1) == {site.tea: "48"}
    assert verify(db).ok


def test_stock_moved_during_a_count_is_no_variance(client: TestClient, db: Database, site: Site) -> None:
    count = ok(client.post(f"{API}/counts", json={"warehouse_id": site.wh, "zone_id": site.zone}), 201)
    assert len(count["lines"]) == 2
    # A pick (here a move) takes 10 of the 50 after the snapshot, before the counter reaches the shelf.
    ok(client.post(f"{API}/stock/moves", json={"from_location_id": site.a1, "to_location_id": site.a2,
                                               "owner_id": site.acme, "sku_id": site.tea, "quantity": "10"}), 201)
    tea = next(line for line in count["lines"] if line["sku_id"] == site.tea)
    coffee = next(line for line in count["lines"] if line["sku_id"] == site.coffee)
    counted = ok(client.post(f"{API}/counts/{count['id']}/entries", json={"entries": [
        {"line_id": tea["id"], "quantity": "40"}, {"line_id": coffee["id"], "quantity": "8"},
        {"location_id": site.a2, "owner_id": site.acme, "sku_id": site.tea, "quantity": "10"}]}))
    assert {line["variance"] for line in counted["lines"]} == {"0"}, counted["lines"]
    assert ok(client.post(f"{API}/counts/{count['id']}/finish"))["status"] == "posted"
    assert verify(db).ok


def test_a_found_item_is_a_gain_once_approved(client: TestClient, db: Database, site: Site) -> None:
    count = ok(client.post(f"{API}/counts", json={"warehouse_id": site.wh, "location_ids": [site.a2]}), 201)
    ok(client.post(f"{API}/counts/{count['id']}/entries", json={"entries": [
        {"line_id": count["lines"][0]["id"], "quantity": "8"},
        {"location_id": site.a2, "owner_id": site.acme, "sku_id": site.tea, "quantity": "3"}]}))
    ok(client.post(f"{API}/counts/{count['id']}/finish"))  # recount: the found tea differs from the books
    recount = ok(client.get(f"{API}/counts/{count['id']}"))
    found = next(line for line in recount["lines"] if line["needs_recount"])
    ok(client.post(f"{API}/counts/{count['id']}/entries", json={"entries": [{"line_id": found["id"],
                                                                             "quantity": "3"}]},
                   headers=bearer(db, "oscar", roles=["operator"])))
    request = ok(client.post(f"{API}/counts/{count['id']}/finish"))["approval_request_id"]
    ok(client.post(f"{API}/approvals/{request}/approve", headers=bearer(db, "mia", roles=["warehouse_manager"])))
    assert on_hand(client, site.a2) == {site.coffee: "8", site.tea: "3"}
    accuracy = ok(client.get(f"{API}/counts/accuracy", params={
        "warehouse_id": site.wh, "since": str(date.today()), "until": str(date.today())}))
    assert accuracy == [{"zone_id": site.zone, "lines": 2, "exact_lines": 1, "line_accuracy": "0.5000",
                         "quantity_accuracy": "0.6250"}]
    assert verify(db).ok


def test_emptying_a_location_starts_a_count_on_touch(client: TestClient, site: Site) -> None:
    ok(client.post(f"{API}/stock/moves", json={"from_location_id": site.a2, "to_location_id": site.a1,
                                               "owner_id": site.acme, "sku_id": site.coffee, "quantity": "8"}), 201)
    counts = ok(client.get(f"{API}/counts", params={"status": "counting"}))
    assert [(c["kind"], c["blind"]) for c in counts] == [("on_touch", True)]
    lines = ok(client.get(f"{API}/counts/{counts[0]['id']}"))["lines"]
    assert [(line["location_id"], line["sku_id"], line["snapshot_quantity"]) for line in lines] == [
        (site.a2, site.coffee, "0")]
    # Emptying it again while its count is open does not open a second one; A-1 still holds tea: no count.
    ok(client.post(f"{API}/stock/moves", json={"from_location_id": site.a1, "to_location_id": site.a2,
                                               "owner_id": site.acme, "sku_id": site.coffee, "quantity": "8"}), 201)
    ok(client.post(f"{API}/stock/moves", json={"from_location_id": site.a2, "to_location_id": site.a1,
                                               "owner_id": site.acme, "sku_id": site.coffee, "quantity": "8"}), 201)
    assert len(ok(client.get(f"{API}/counts", params={"status": "counting"}))) == 1


def test_plans_start_counts_when_due(client: TestClient, site: Site) -> None:
    plan = ok(client.post(f"{API}/warehouses/{site.wh}/count-plans", json={
        "name": "A items monthly", "abc_class": "A", "every_days": 30, "next_due": str(date.today())}), 201)
    started = ok(client.post(f"{API}/count-plans/run-due"))
    assert len(started) == 1 and started[0]["kind"] == "planned"
    assert [line["sku_id"] for line in started[0]["lines"]] == [site.tea]
    assert ok(client.post(f"{API}/count-plans/run-due")) == []
    plans = ok(client.get(f"{API}/warehouses/{site.wh}/count-plans"))
    assert plans[0]["id"] == plan["id"] and plans[0]["next_due"] == str(date.today() + timedelta(days=30))


def test_bad_count_input(client: TestClient, site: Site) -> None:
    count = ok(client.post(f"{API}/counts", json={"warehouse_id": site.wh, "location_ids": [site.a1]}), 201)
    error(client.post(f"{API}/counts/{count['id']}/finish"), 409, "not_counted")
    error(client.post(f"{API}/counts/{count['id']}/entries", json={"entries": [{"line_id": 999999,
                                                                                "quantity": "1"}]}),
          422, "unknown_line", "entries[0].line_id")
    error(client.post(f"{API}/counts/{count['id']}/entries", json={"entries": [{"line_id": count["lines"][0]["id"],
                                                                                "quantity": "-1"}]}),
          422, None, "entries[0].quantity")
    error(client.post(f"{API}/counts", json={"warehouse_id": 999999}), 422, "unknown_warehouse", "warehouse_id")
    ok(client.post(f"{API}/counts/{count['id']}/cancel"))
    error(client.post(f"{API}/counts/{count['id']}/entries", json={"entries": [{"line_id": count["lines"][0]["id"],
                                                                                "quantity": "1"}]}),
          409, "count_closed")
