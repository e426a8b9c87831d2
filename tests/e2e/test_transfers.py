"""Transfers between warehouses over HTTP: create (idempotent) → ship into in-transit → receive at the destination
out of in-transit → close with what was lost written off; balances in both warehouses and in-transit, scopes and
every refusal."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.services.verify import verify
from tests.e2e.support import API, create, error, ok
from tests.helpers import bearer

Json = dict[str, Any]


@dataclass
class Site:
    w1: int
    w2: int
    w3: int
    shelf: int  # W1
    dock: int  # W2
    dock3: int  # W3
    transit1: int  # W1's in-transit location
    adjustment1: int
    acme: int
    other: int
    tea: int
    phone: int
    l1: int


def virtual(client: TestClient, warehouse_id: int, kind: str) -> int:
    page = ok(client.get(f"{API}/locations", params={"warehouse_id": warehouse_id, "virtual_kind": kind}))
    return int(page["items"][0]["id"])


@pytest.fixture
def site(client: TestClient, db: Database) -> Site:
    w1, w2, w3 = (create(client, "warehouses", {"code": f"W{n}", "name": f"Warehouse {n}"})["id"] for n in (1, 2, 3))
    shelf = create(client, "locations", {"warehouse_id": w1, "code": "A-1"})["id"]
    dock = create(client, "locations", {"warehouse_id": w2, "code": "DOCK-2", "kind": "staging"})["id"]
    dock3 = create(client, "locations", {"warehouse_id": w3, "code": "DOCK-3", "kind": "staging"})["id"]
    acme = create(client, "owners", {"code": "ACME", "name": "Acme"})["id"]
    other = create(client, "owners", {"code": "OTHER", "name": "Other"})["id"]
    tea = create(client, "skus", {"owner_id": acme, "code": "TEA", "name": "Tea", "lot_control": True})["id"]
    phone = create(client, "skus", {"owner_id": acme, "code": "PHONE", "name": "Phone",
                                    "serial_control": True})["id"]
    create(client, "stock/opening", {"lines": [
        {"owner_id": acme, "sku_id": tea, "location_id": shelf, "quantity": "50", "lot_number": "L1"},
        {"owner_id": acme, "sku_id": phone, "location_id": shelf, "quantity": "1", "serial": "SN-1"},
        {"owner_id": acme, "sku_id": phone, "location_id": shelf, "quantity": "1", "serial": "SN-2"}]})
    l1 = int(db.read(lambda conn: conn.execute(select(t.lot.c.id).where(t.lot.c.sku_id == tea)).scalar_one()))
    return Site(w1, w2, w3, shelf, dock, dock3, virtual(client, w1, "in_transit"), virtual(client, w1, "adjustment"),
                acme, other, tea, phone, l1)


def order(site: Site, ref: str = "TR-A", **extra: Any) -> Json:
    return {"owner_id": site.acme, "from_warehouse_id": site.w1, "to_warehouse_id": site.w2, "external_ref": ref,
            "lines": [{"sku_id": site.tea, "lot_id": site.l1, "quantity": "30", "from_location_id": site.shelf},
                      {"sku_id": site.phone, "serial": "SN-1", "quantity": "1", "from_location_id": site.shelf}],
            **extra}


def on_hand(client: TestClient, location_id: int) -> dict[tuple[int, str | None], str]:
    """Non-zero on-hand per (SKU, serial) in a location (containers summed), virtual ones included."""
    rows = ok(client.get(f"{API}/stock/balances", params={"location_id": location_id, "include_virtual": "true",
                                                          "limit": 500}))["items"]
    totals: dict[tuple[int, str | None], Decimal] = {}
    for r in rows:
        key = (r["sku_id"], r["serial"])
        totals[key] = totals.get(key, Decimal(0)) + Decimal(r["on_hand"])
    return {key: str(total) for key, total in totals.items() if total}


def movements(db: Database) -> int:
    return int(db.read(lambda conn: conn.execute(select(func.count()).select_from(t.movement)).scalar_one()))


def count(db: Database, table: Any) -> int:
    return int(db.read(lambda conn: conn.execute(select(func.count()).select_from(table)).scalar_one()))


def test_create_ship_receive_close_moves_stock_through_in_transit(client: TestClient, db: Database,
                                                                  site: Site) -> None:
    transfer = create(client, "transfers", order(site))
    assert transfer["status"] == "created" and [x["quantity"] for x in transfer["lines"]] == ["30", "1"]
    # The same order sent again is the same order; other content under the same reference is refused.
    again = client.post(f"{API}/transfers", json=order(site))
    assert again.status_code == 200 and again.json()["id"] == transfer["id"]
    changed = order(site)
    changed["lines"][0]["quantity"] = "31"
    error(client.post(f"{API}/transfers", json=changed), 409, "transfer_conflict", "external_ref")
    assert count(db, t.transfer_order) == 1

    url = f"{API}/transfers/{transfer['id']}"
    shipped = ok(client.post(f"{url}/ship"))
    assert shipped["status"] == "shipped" and shipped["ship_posting_id"] and shipped["receipt_id"]
    assert on_hand(client, site.shelf) == {(site.tea, None): "20", (site.phone, "SN-2"): "1"}
    assert on_hand(client, site.transit1) == {(site.tea, None): "30", (site.phone, "SN-1"): "1"}
    error(client.post(f"{url}/ship"), 409, "transfer_not_created")

    # The destination's receipt order: type transfer_in, the shipped quantities, lots and serials expected.
    receipt = ok(client.get(f"{API}/receipts/{shipped['receipt_id']}"))
    assert (receipt["type"], receipt["warehouse_id"], receipt["external_ref"], receipt["status"]) == (
        "transfer_in", site.w2, f"TR-{transfer['id']}", "created")
    assert [(x["sku_id"], x["expected_quantity"], x["expected_lot"], x["expected_serials"])
            for x in receipt["lines"]] == [(site.tea, "30", "L1", None), (site.phone, "1", None, ["SN-1"])]

    # In transit shows in both warehouses: outbound from W1, inbound to W2.
    for warehouse, direction in ((site.w1, "outbound"), (site.w2, "inbound")):
        rows = ok(client.get(f"{API}/transfers/in-transit", params={"warehouse_id": warehouse}))
        assert [(r["line_no"], r["in_transit_quantity"], r["direction"]) for r in rows] == [
            (1, "30", direction), (2, "1", direction)]
    assert ok(client.get(f"{API}/transfers/in-transit", params={"warehouse_id": site.w3})) == []

    first = ok(client.post(f"{url}/receive", json={"location_id": site.dock, "line_no": 1, "quantity": "20",
                                                   "lpn": "PAL-T1"}), 201)
    assert first["received_quantity"] == "20" and first["in_transit_quantity"] == "10"
    assert first["status"] == "shipped" and len(first["putaway_tasks"]) == 1
    ok(client.post(f"{url}/receive", json={"location_id": site.dock, "sku_id": site.tea, "lot_id": site.l1,
                                           "quantity": "10"}), 201)
    error(client.post(f"{url}/receive", json={"location_id": site.dock, "serial": "SN-9"}), 422, "wrong_serial",
          "serial")
    # The serial scanned names its line on its own: no line number or SKU needed.
    last = ok(client.post(f"{url}/receive", json={"location_id": site.dock, "serial": "SN-1"}), 201)
    assert last["status"] == "received" and last["quantity"] == "1"
    assert on_hand(client, site.dock) == {(site.tea, None): "30", (site.phone, "SN-1"): "1"}
    assert on_hand(client, site.transit1) == {}
    assert ok(client.get(f"{API}/transfers/in-transit")) == []
    receipt = ok(client.get(f"{API}/receipts/{shipped['receipt_id']}"))
    assert receipt["status"] == "receiving"
    assert [x["received_quantity"] for x in receipt["lines"]] == ["30", "1"]
    assert verify(db).ok

    closed = ok(client.post(f"{url}/close"))
    assert closed["status"] == "closed" and closed["discrepancies"] == [] and closed["loss_posting_ids"] == []
    assert ok(client.get(f"{API}/receipts/{shipped['receipt_id']}"))["status"] == "closed"
    with db.engine.connect() as conn:
        event = conn.execute(select(t.outbox_event).where(t.outbox_event.c.topic == "transfer.closed")).one()
        actions = list(conn.execute(select(t.audit_entry.c.action).where(
            t.audit_entry.c.object_type == "transfer").order_by(t.audit_entry.c.seq)).scalars())
    assert event.aggregate_id == str(transfer["id"]) and event.payload["discrepancies"] == []
    assert actions == ["transfer.create", "transfer.ship", "transfer.receive", "transfer.receive",
                       "transfer.receive", "transfer.close"]
    error(client.post(f"{url}/close"), 409, "transfer_not_open")
    error(client.post(f"{url}/receive", json={"location_id": site.dock, "line_no": 1, "quantity": "1"}), 409,
          "transfer_not_open")
    got = ok(client.get(url))
    assert [(x["shipped_quantity"], x["received_quantity"], x["discrepancy"]) for x in got["lines"]] == [
        ("30", "30", "0"), ("1", "1", "0")]
    assert [x["id"] for x in ok(client.get(f"{API}/transfers", params={"warehouse_id": site.w2}))["items"]] == [
        transfer["id"]]
    assert verify(db).ok


def test_what_is_lost_in_transit_is_a_discrepancy_and_written_off_on_close(client: TestClient, db: Database,
                                                                          site: Site) -> None:
    transfer = create(client, "transfers", order(site))
    url = f"{API}/transfers/{transfer['id']}"
    ok(client.post(f"{url}/ship"))
    ok(client.post(f"{url}/receive", json={"location_id": site.dock, "line_no": 1, "quantity": "25"}), 201)
    # The phone never arrives; five of the tea neither.
    got = ok(client.get(url))
    assert [(x["line_no"], x["lost"]) for x in got["discrepancies"]] == [(1, "5"), (2, "1")]
    assert [x["in_transit_quantity"] for x in got["lines"]] == ["5", "1"]
    adjustment_before = on_hand(client, site.adjustment1)

    closed = ok(client.post(f"{url}/close"))
    assert closed["status"] == "closed" and len(closed["loss_posting_ids"]) == 2
    assert [(x["line_no"], x["shipped"], x["received"], x["lost"]) for x in closed["discrepancies"]] == [
        (1, "30", "25", "5"), (2, "1", "0", "1")]
    assert on_hand(client, site.transit1) == {}, "in-transit keeps no phantom stock"
    # The opening stock came from the adjustment location; the loss goes back to it.
    assert adjustment_before[(site.tea, None)] == "-50" and adjustment_before[(site.phone, "SN-1")] == "-1"
    adjustment = on_hand(client, site.adjustment1)
    assert adjustment[(site.tea, None)] == "-45" and (site.phone, "SN-1") not in adjustment
    assert on_hand(client, site.shelf) == {(site.tea, None): "20", (site.phone, "SN-2"): "1"}
    assert on_hand(client, site.dock) == {(site.tea, None): "25"}
    back, off = (ok(client.get(f"{API}/stock/movements", params={"posting_id": posting}))["items"]
                 for posting in closed["loss_posting_ids"])
    assert {(m["from_location_id"], m["to_location_id"]) for m in back} == {(site.transit1, site.shelf)}
    assert {(m["from_location_id"], m["to_location_id"]) for m in off} == {(site.shelf, site.adjustment1)}
    assert ok(client.get(f"{API}/transfers/in-transit")) == []
    receipt = ok(client.get(f"{API}/receipts/{closed['receipt_id']}"))
    assert receipt["status"] == "closed" and receipt["closed_at"]
    with db.engine.connect() as conn:
        event = conn.execute(select(t.outbox_event).where(t.outbox_event.c.topic == "transfer.closed")).one()
    assert [(d["line_no"], d["lost"]) for d in event.payload["discrepancies"]] == [(1, "5"), (2, "1")]
    assert verify(db).ok


def test_shipping_more_than_is_available_is_refused_and_nothing_is_posted(client: TestClient, db: Database,
                                                                          site: Site) -> None:
    body = order(site)
    body["lines"][0]["quantity"] = "51"
    transfer = create(client, "transfers", body)
    before = (movements(db), count(db, t.receipt))
    error(client.post(f"{API}/transfers/{transfer['id']}/ship"), 409, "insufficient_stock", "lines[0].quantity")
    body = order(site, "TR-B")
    body["lines"].reverse()
    body["lines"][1]["quantity"] = "50.5"
    error(client.post(f"{API}/transfers", json=body), 422, "too_many_decimals", "lines[1].quantity")
    body["lines"][1]["quantity"] = "51"
    second = create(client, "transfers", body)
    error(client.post(f"{API}/transfers/{second['id']}/ship"), 409, "insufficient_stock", "lines[1].quantity")
    assert (movements(db), count(db, t.receipt)) == before
    assert ok(client.get(f"{API}/transfers/{transfer['id']}"))["status"] == "created"
    assert on_hand(client, site.transit1) == {}
    error(client.post(f"{API}/transfers/{transfer['id']}/close"), 409, "transfer_not_shipped")
    error(client.post(f"{API}/transfers/{transfer['id']}/receive", json={"location_id": site.dock, "line_no": 1,
                                                                         "quantity": "1"}), 409,
          "transfer_not_shipped")
    assert movements(db) == before[0]
    assert verify(db).ok


def test_bad_orders_are_refused(client: TestClient, db: Database, site: Site) -> None:
    error(client.post(f"{API}/transfers", json=order(site, to_warehouse_id=site.w1)), 422, "same_warehouse",
          "to_warehouse_id")
    body = order(site)
    body["lines"][0]["from_location_id"] = site.dock
    error(client.post(f"{API}/transfers", json=body), 422, "unknown_location", "lines[0].from_location_id")
    body = order(site)
    body["lines"][0]["from_location_id"] = site.transit1
    error(client.post(f"{API}/transfers", json=body), 422, "unknown_location", "lines[0].from_location_id")
    body = order(site)
    del body["lines"][0]["lot_id"]
    error(client.post(f"{API}/transfers", json=body), 422, "lot_required", "lines[0].lot_id")
    body = order(site)
    body["lines"][1]["quantity"] = "2"
    error(client.post(f"{API}/transfers", json=body), 422, "serial_quantity_not_one", "lines[1].quantity")
    body = order(site)
    body["lines"].append(dict(body["lines"][1]))
    error(client.post(f"{API}/transfers", json=body), 422, "duplicate_serial", "lines[2].serial")
    error(client.post(f"{API}/transfers", json=order(site, owner_id=site.other)), 422, "unknown_sku",
          "lines[0].sku_id")
    error(client.post(f"{API}/transfers", json={**order(site), "lines": []}), 422, None, "lines")
    assert count(db, t.transfer_order) == 0


def test_scopes_hide_transfers_and_refuse_warehouses_outside_them(client: TestClient, db: Database,
                                                                  site: Site) -> None:
    transfer = create(client, "transfers", order(site))
    url = f"{API}/transfers/{transfer['id']}"
    # Only W1 in scope: the destination is unknown to this user, so it can create nothing into W2.
    only_w1 = bearer(db, "w1", roles=["system_administrator"], warehouse_ids=[site.w1])
    error(client.post(f"{API}/transfers", json=order(site, "TR-X"), headers=only_w1), 422, "unknown_warehouse",
          "to_warehouse_id")
    # Either end in scope sees the transfer; neither end, or another owner, does not.
    only_w2 = bearer(db, "w2", roles=["system_administrator"], warehouse_ids=[site.w2])
    only_w3 = bearer(db, "w3", roles=["system_administrator"], warehouse_ids=[site.w3])
    other_owner = bearer(db, "oo", roles=["system_administrator"], owner_ids=[site.other])
    assert ok(client.get(url, headers=only_w1))["id"] == transfer["id"]
    assert ok(client.get(url, headers=only_w2))["id"] == transfer["id"]
    for headers in (only_w3, other_owner):
        error(client.get(url, headers=headers), 404, "not_found")
        error(client.post(f"{url}/ship", headers=headers), 404, "not_found")
        error(client.post(f"{url}/close", headers=headers), 404, "not_found")
        error(client.post(f"{url}/receive", json={"location_id": site.dock, "line_no": 1, "quantity": "1"},
                          headers=headers), 404, "not_found")
        assert ok(client.get(f"{API}/transfers", headers=headers))["items"] == []
    # The destination's user may not ship from W1, which is not theirs.
    error(client.post(f"{url}/ship", headers=only_w2), 422, "unknown_warehouse", "from_warehouse_id")
    ok(client.post(f"{url}/ship", headers=only_w1))
    for headers in (only_w3, other_owner):
        assert ok(client.get(f"{API}/transfers/in-transit", headers=headers)) == []
    assert len(ok(client.get(f"{API}/transfers/in-transit", headers=only_w2))) == 2
    # ... and the source's user may not receive into W2.
    error(client.post(f"{url}/receive", json={"location_id": site.dock, "line_no": 1, "quantity": "1"},
                      headers=only_w1), 422, "unknown_location", "location_id")
    ok(client.post(f"{url}/receive", json={"location_id": site.dock, "line_no": 1, "quantity": "30"},
                   headers=only_w2), 201)
    # Operators receive through receipts, not transfers: they lack inventory.transfer.
    operator = bearer(db, "op", roles=["operator"])
    error(client.post(f"{url}/close", headers=operator), 403, "forbidden")
    assert verify(db).ok


def test_receiving_more_than_shipped_or_elsewhere_is_refused(client: TestClient, db: Database, site: Site) -> None:
    transfer = create(client, "transfers", order(site))
    url = f"{API}/transfers/{transfer['id']}"
    ok(client.post(f"{url}/ship"))
    before = movements(db)
    error(client.post(f"{url}/receive", json={"location_id": site.dock, "line_no": 1, "quantity": "31"}), 422,
          "over_shipped", "quantity")
    ok(client.post(f"{url}/receive", json={"location_id": site.dock, "line_no": 1, "quantity": "30"}), 201)
    after_first = movements(db)
    assert after_first == before + 1
    error(client.post(f"{url}/receive", json={"location_id": site.dock, "sku_id": site.tea, "quantity": "1"}), 422,
          "over_shipped", "quantity")
    error(client.post(f"{url}/receive", json={"location_id": site.shelf, "line_no": 2}), 422, "unknown_location",
          "location_id")
    error(client.post(f"{url}/receive", json={"location_id": site.dock3, "line_no": 2}), 422, "unknown_location",
          "location_id")
    error(client.post(f"{url}/receive", json={"location_id": site.dock, "line_no": 2, "serial": "SN-2"}), 422,
          "wrong_serial", "serial")
    error(client.post(f"{url}/receive", json={"location_id": site.dock, "line_no": 9, "quantity": "1"}), 422,
          "unknown_line", "line_no")
    error(client.post(f"{url}/receive", json={"location_id": site.dock, "quantity": "1"}), 422, None, "line_no")
    error(client.post(f"{url}/receive", json={"location_id": site.dock, "sku_id": site.tea, "lot_id": 999999,
                                              "quantity": "1"}), 422, "wrong_lot", "lot_id")
    assert movements(db) == after_first
    got = ok(client.get(url))
    assert [x["received_quantity"] for x in got["lines"]] == ["30", "0"]
    assert on_hand(client, site.transit1) == {(site.phone, "SN-1"): "1"}
    assert verify(db).ok
