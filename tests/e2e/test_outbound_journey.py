"""The whole outbound journey over HTTP, by the roles that do it: orders in from the OMS → a wave by rule → routed
trips → picks by scan → sorting at the put wall → check and pack → ship → the ledger proves the books."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.services.verify import verify
from tests.e2e.support import API, create, ok
from tests.helpers import World, bearer

Json = dict[str, Any]


def test_orders_to_shipment_by_the_people_who_do_it(client: TestClient, db: Database) -> None:
    w = World(db)
    wh, owner = w.warehouse(), w.owner()
    w.sku("PEN", weight="0.02", barcodes=[{"barcode": "4006381333931", "kind": "gtin", "pack_level": "each"}])
    w.sku("INK", weight="0.1")
    w.sku("PAD", weight="0.3")
    w.location("STAGE-1", kind="staging", x=0, y=0)
    shelves = {code: w.location(code, aisle=code[0], x=x, y=y) for code, x, y in (
        ("A-01", 3, 2), ("A-05", 3, 10), ("B-02", 6, 4), ("C-04", 9, 8))}
    w.receive(shelves["A-01"], 5, w.item("PEN"))
    w.receive(shelves["C-04"], 20, w.item("PEN"))
    w.receive(shelves["B-02"], 10, w.item("INK"))
    w.receive(shelves["A-05"], 3, w.item("PAD"))
    ok(client.patch(f"{API}/owners/{owner}", json={"shortage_policy": "backorder"}))
    erp = bearer(db, "oms", roles=["coordinator"], warehouse_ids=[wh], owner_ids=[owner])
    picker = bearer(db, "picker", roles=["operator"], warehouse_ids=[wh], owner_ids=[owner])

    # The OMS sends three orders; one asks for more PAD than there is.
    refs = {"SO-1": [("PEN", 6), ("INK", 2)], "SO-2": [("PEN", 1), ("PAD", 5)], "SO-3": [("INK", 1), ("PEN", 2)]}
    ids = {ref: create(client, "orders", {
        "owner_id": owner, "warehouse_id": wh, "external_ref": ref, "type": "sales_b2c",
        "ship_to": {"name": "Ann", "city": "Oslo"},
        "lines": [{"sku_code": sku, "quantity": str(q)} for sku, q in lines]}, headers=erp)["id"]
        for ref, lines in refs.items()}

    # The coordinator makes a batch wave of the multi-line orders and releases it.
    wave = create(client, "waves/by-rule", {"warehouse_id": wh, "profile": "multi_line", "pick_mode": "batch",
                                            "max_lines_per_trip": 4}, headers=erp)
    assert sorted(o["id"] for o in wave["orders"]) == sorted(ids.values())
    released = ok(client.post(f"{API}/waves/{wave['id']}/release", headers=erp))
    assert released["stats"]["short_lines"] == 1  # SO-2 wants 5 PAD, 3 are there
    assert all(o["sort_slot"] for o in released["orders"])
    for trip in released["trips"]:
        assert Decimal(trip["route_length"]) <= min(Decimal(trip["s_shape_length"]),
                                                    Decimal(trip["largest_gap_length"]))

    # The picker walks each trip in route order, scanning location and item (a GTIN for PEN).
    for trip in released["trips"]:
        ok(client.post(f"{API}/trips/{trip['id']}/start", headers=picker))
        while (task := ok(client.get(f"{API}/trips/{trip['id']}", headers=picker))["next_task"]) is not None:
            scan = "4006381333931" if task["sku_code"] == "PEN" else task["sku_code"]
            ok(client.post(f"{API}/pick-tasks/{task['id']}/confirm", headers=picker, json={
                "location": task["location_code"], "scan": scan, "quantity": task["quantity"]}))
        assert ok(client.get(f"{API}/trips/{trip['id']}", headers=picker))["status"] == "done"

    # At the put wall every unit goes to its order's slot; the last unit of an order fills its slot.
    picked = {ref: ok(client.get(f"{API}/orders/{order_id}", headers=picker)) for ref, order_id in ids.items()}
    full = set()
    for order in picked.values():
        for line in order["lines"]:
            for _ in range(int(Decimal(line["picked_quantity"]))):
                answer = ok(client.post(f"{API}/waves/{wave['id']}/sort", headers=picker,
                                        json={"scan": line["sku_code"]}))
                if answer["slot_full"]:
                    full.add(answer["order_id"])
    assert full == set(ids.values())

    # Check and pack: every unit scanned into a carton, weighed, closed with the carrier's tracking number.
    for ref, order_id in ids.items():
        package = ok(client.post(f"{API}/orders/{order_id}/packages", headers=picker, json={"carton_type": "M"}),
                     201)
        for line in picked[ref]["lines"]:
            ok(client.post(f"{API}/packages/{package['id']}/items", headers=picker,
                           json={"scan": line["sku_code"], "quantity": line["picked_quantity"]}))
        closed = ok(client.post(f"{API}/packages/{package['id']}/close", headers=picker,
                                json={"tracking_number": f"TRK-{ref}"}))
        assert closed["order_status"] == "packed"
        shipped = ok(client.post(f"{API}/orders/{order_id}/ship", headers=picker))
        assert shipped["status"] == "shipped"

    # SO-2's missing 2 PAD became a backorder; the ERP hears of every shipment from the outbox.
    backorder = db.read(lambda conn: conn.execute(select(t.shipment_order.c.external_ref, t.shipment_order.c.status)
                                                  .where(t.shipment_order.c.backorder_of_id == ids["SO-2"])).one())
    assert backorder == ("SO-2-BO1", "created")
    events = db.read(lambda conn: conn.execute(select(t.outbox_event.c.payload).where(
        t.outbox_event.c.topic == "shipment.confirmed").order_by(t.outbox_event.c.id)).scalars().all())
    assert [e["external_ref"] for e in events] == ["SO-1", "SO-2", "SO-3"]
    # Nothing stays in staging, nothing stays reserved, and the ledger proves it.
    b = t.balance
    left = db.read(lambda conn: conn.execute(select(b.c.location_id, b.c.on_hand, b.c.allocated).where(
        ~b.c.is_virtual, (b.c.on_hand > 0) | (b.c.allocated > 0))).all())
    assert all(row.allocated == 0 for row in left)
    assert w.location("STAGE-1") not in {row.location_id for row in left}
    assert verify(db).ok
