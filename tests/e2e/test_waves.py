"""Waves over HTTP: by hand and by rule, release into routed trips, picks by scan, short picks, cancellation."""

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
from tests.helpers import World, bearer

Json = dict[str, Any]


@dataclass
class Site:
    world: World
    wh: int
    owner: int
    staging: int
    shelves: dict[str, int]


@pytest.fixture
def site(db: Database) -> Site:
    """Three aisles 3 m apart with shelves along them, a staging area at the front."""
    w = World(db)
    wh, owner = w.warehouse(), w.owner()
    w.sku("PEN")
    w.sku("INK")
    w.sku("PAD")
    w.sku("TEA", lot_control=True)
    staging = w.location("STAGE-1", kind="staging", x=0, y=0)
    shelves = {}
    for aisle, x in (("A", 3), ("B", 6), ("C", 9)):
        for bay in range(1, 5):
            code = f"{aisle}-{bay:02d}"
            shelves[code] = w.location(code, aisle=aisle, x=x, y=bay * 2)
    w.receive(shelves["A-01"], 10, w.item("PEN"))
    w.receive(shelves["C-04"], 10, w.item("PEN"))
    w.receive(shelves["B-02"], 10, w.item("INK"))
    w.receive(shelves["C-03"], 10, w.item("PAD"))
    lot = w.lot("L1", "TEA")
    w.receive(shelves["A-03"], 5, w.item("TEA", lot=lot))
    return Site(w, wh, owner, staging, shelves)


def order(client: TestClient, site: Site, ref: str, lines: list[tuple[str, int]], **extra: Any) -> int:
    body = {"owner_id": site.owner, "warehouse_id": site.wh, "external_ref": ref, "type": "sales_b2c",
            "lines": [{"sku_code": sku, "quantity": str(q)} for sku, q in lines], **extra}
    return int(create(client, "orders", body)["id"])


def wave(client: TestClient, site: Site, order_ids: list[int], **settings: Any) -> Json:
    result: Json = create(client, "waves", {"warehouse_id": site.wh, "order_ids": order_ids, **settings})
    return result


def release(client: TestClient, wave_id: int) -> Json:
    result: Json = ok(client.post(f"{API}/waves/{wave_id}/release"))
    return result


def trip(client: TestClient, trip_id: int) -> Json:
    result: Json = ok(client.get(f"{API}/trips/{trip_id}"))
    return result


def pick_all(client: TestClient, trip_id: int) -> None:
    for task in trip(client, trip_id)["tasks"]:
        if task["status"] == "open":
            ok(client.post(f"{API}/pick-tasks/{task['id']}/confirm", json={
                "location": task["location_code"], "scan": task["sku_code"], "quantity": str(task["quantity"]),
                "lot_number": task["lot_number"]}))


def staged(db: Database, site: Site) -> Decimal:
    b = t.balance
    return Decimal(db.read(lambda conn: conn.execute(select(func.coalesce(func.sum(b.c.on_hand), 0))
                                                     .where(b.c.location_id == site.staging)).scalar_one()))


def test_release_allocates_groups_and_routes_trips(client: TestClient, db: Database, site: Site) -> None:
    first = order(client, site, "SO-1", [("PEN", 2), ("INK", 1)], priority=5)
    second = order(client, site, "SO-2", [("PAD", 1)])
    made = wave(client, site, [first, second], max_orders_per_trip=8)
    assert made["status"] == "created" and {o["id"] for o in made["orders"]} == {first, second}
    released = release(client, made["id"])
    assert released["status"] == "released" and released["stats"]["picks"] == 3
    assert len(released["trips"]) == 1  # cluster picking: both orders on one cart
    walked = trip(client, released["trips"][0]["id"])
    # The route is never longer than the better of the two textbook heuristics.
    assert Decimal(walked["route_length"]) <= min(Decimal(walked["s_shape_length"]),
                                                  Decimal(walked["largest_gap_length"]))
    assert [task["sequence"] for task in walked["tasks"]] == [1, 2, 3]
    assert {task["tote"] for task in walked["tasks"]} == {"T1-1", "T1-2"}
    assert walked["next_task"]["id"] == walked["tasks"][0]["id"]
    for order_id in (first, second):
        assert ok(client.get(f"{API}/orders/{order_id}"))["status"] == "picking"
    # An order in a released wave is no longer allocated by hand, held or waved again.
    error(client.post(f"{API}/orders/{first}/allocate"), 409, "order_in_progress")
    error(client.post(f"{API}/orders/{first}/hold"), 409, "order_in_progress")
    assert verify(db).ok


def test_picks_by_scan_move_stock_to_staging_and_finish_the_wave(client: TestClient, db: Database,
                                                                 site: Site) -> None:
    first = order(client, site, "SO-1", [("PEN", 2), ("TEA", 1)])
    made = wave(client, site, [first])
    released = release(client, made["id"])
    trip_id = released["trips"][0]["id"]
    tasks = trip(client, trip_id)["tasks"]
    pen = next(x for x in tasks if x["sku_code"] == "PEN")
    tea = next(x for x in tasks if x["sku_code"] == "TEA")
    # Wrong location, wrong item, wrong lot, too much: refused, nothing posted.
    before = staged(db, site)
    error(client.post(f"{API}/pick-tasks/{pen['id']}/confirm", json={"location": "B-02", "scan": "PEN"}),
          422, "wrong_location", "location")
    error(client.post(f"{API}/pick-tasks/{pen['id']}/confirm",
                      json={"location": pen["location_code"], "scan": "INK"}), 422, "wrong_item", "scan")
    error(client.post(f"{API}/pick-tasks/{pen['id']}/confirm",
                      json={"location": pen["location_code"], "scan": "NOPE"}), 422, "unknown_barcode", "scan")
    error(client.post(f"{API}/pick-tasks/{tea['id']}/confirm",
                      json={"location": tea["location_code"], "scan": "TEA", "lot_number": "L9"}),
          422, "wrong_lot", "lot_number")
    error(client.post(f"{API}/pick-tasks/{pen['id']}/confirm",
                      json={"location": pen["location_code"], "scan": "PEN", "quantity": "3"}),
          422, "more_than_open", "quantity")
    assert staged(db, site) == before
    # Partial pick, then the rest.
    done = ok(client.post(f"{API}/pick-tasks/{pen['id']}/confirm",
                          json={"location": pen["location_code"], "scan": "PEN", "quantity": "1"}))
    assert done["status"] == "open" and Decimal(done["quantity"]) == 1
    pick_all(client, trip_id)
    assert staged(db, site) == 3
    assert ok(client.get(f"{API}/orders/{first}"))["status"] == "picked"
    assert trip(client, trip_id)["status"] == "done"
    assert ok(client.get(f"{API}/waves/{made['id']}"))["status"] == "done"
    # A confirmed task is not confirmed twice.
    error(client.post(f"{API}/pick-tasks/{pen['id']}/confirm",
                      json={"location": pen["location_code"], "scan": "PEN"}), 409, "task_not_open")
    assert verify(db).ok


def test_short_pick_counts_the_location_and_takes_other_stock(client: TestClient, db: Database,
                                                             site: Site) -> None:
    first = order(client, site, "SO-1", [("PEN", 12)])  # 10 at A-01 and 2 at C-04
    released = release(client, wave(client, site, [first])["id"])
    trip_id = released["trips"][0]["id"]
    tasks = trip(client, trip_id)["tasks"]
    at_a = next(x for x in tasks if x["location_code"] == "A-01")
    result = ok(client.post(f"{API}/pick-tasks/{at_a['id']}/short",
                            json={"location": "A-01", "found_quantity": "7", "scan": "PEN"}))
    assert Decimal(result["missing"]) == 3 and result["count_id"] is not None
    # C-04 had 8 more: they were allocated and added to the same trip.
    assert result["replacement_task_ids"] and not result["line_short"]
    walked = trip(client, trip_id)
    assert sum(Decimal(x["quantity"]) for x in walked["tasks"] if x["status"] == "open") == 5
    count = db.read(lambda conn: conn.execute(select(t.stock_count.c.kind).where(
        t.stock_count.c.id == result["count_id"])).scalar_one())
    assert count == "short_pick"
    pick_all(client, trip_id)
    line = ok(client.get(f"{API}/orders/{first}"))["lines"][0]
    assert Decimal(line["picked_quantity"]) == 12
    assert verify(db).ok


def test_short_pick_without_other_stock_leaves_the_line_short(client: TestClient, db: Database,
                                                              site: Site) -> None:
    first = order(client, site, "SO-1", [("INK", 4)])
    released = release(client, wave(client, site, [first])["id"])
    task = trip(client, released["trips"][0]["id"])["tasks"][0]
    result = ok(client.post(f"{API}/pick-tasks/{task['id']}/short", json={"location": "B-02"}))
    assert result["line_short"] and result["status"] == "done"
    seen = ok(client.get(f"{API}/orders/{first}"))
    assert seen["status"] == "picked" and Decimal(seen["lines"][0]["allocated_quantity"]) == 0
    assert verify(db).ok


def test_waves_by_rule_take_single_line_orders_by_priority(client: TestClient, site: Site) -> None:
    single = order(client, site, "SO-1", [("PEN", 1)], priority=1)
    urgent = order(client, site, "SO-2", [("PAD", 1)], priority=9)
    order(client, site, "SO-3", [("PEN", 1), ("INK", 1)])
    made = create(client, "waves/by-rule", {"warehouse_id": site.wh, "profile": "single_line", "max_orders": 1})
    assert [o["id"] for o in made["orders"]] == [urgent]
    again = create(client, "waves/by-rule", {"warehouse_id": site.wh, "profile": "single_line"})
    assert [o["id"] for o in again["orders"]] == [single]
    error(client.post(f"{API}/waves/by-rule", json={"warehouse_id": site.wh, "profile": "single_line"}),
          409, "no_orders")


def test_batch_wave_gives_multi_line_orders_a_put_wall_slot(client: TestClient, site: Site) -> None:
    multi = order(client, site, "SO-1", [("PEN", 1), ("INK", 1)])
    single = order(client, site, "SO-2", [("PAD", 1)])
    released = release(client, wave(client, site, [multi, single], pick_mode="batch")["id"])
    slots = {o["id"]: o["sort_slot"] for o in released["orders"]}
    assert slots == {multi: 1, single: None}


def test_wave_input_is_checked(client: TestClient, site: Site, db: Database) -> None:
    first = order(client, site, "SO-1", [("PEN", 1)])
    error(client.post(f"{API}/waves", json={"warehouse_id": site.wh, "order_ids": [first, first]}), 422,
          "duplicate_order", "order_ids")
    error(client.post(f"{API}/waves", json={"warehouse_id": site.wh, "order_ids": [999999]}), 422,
          "unknown_order", "order_ids[0]")
    error(client.post(f"{API}/waves", json={"warehouse_id": site.wh, "order_ids": [first],
                                            "max_lines_per_trip": 0}), 422, None, "max_lines_per_trip")
    made = wave(client, site, [first])
    error(client.post(f"{API}/waves", json={"warehouse_id": site.wh, "order_ids": [first]}), 409, "order_in_wave",
          "order_ids[0]")
    release(client, made["id"])
    error(client.post(f"{API}/waves/{made['id']}/release"), 409, "wave_not_created")
    # A role without the wave permission is refused.
    operator = bearer(db, "op", roles=["operator"])
    error(client.post(f"{API}/waves", json={"warehouse_id": site.wh, "order_ids": [first]}, headers=operator), 403)


def test_cancel_after_picking_returns_goods_by_task(client: TestClient, db: Database, site: Site) -> None:
    first = order(client, site, "SO-1", [("PEN", 2), ("INK", 1)])
    released = release(client, wave(client, site, [first])["id"])
    walked = trip(client, released["trips"][0]["id"])
    pen = next(x for x in walked["tasks"] if x["sku_code"] == "PEN")
    ok(client.post(f"{API}/pick-tasks/{pen['id']}/confirm",
                   json={"location": pen["location_code"], "scan": "PEN", "quantity": "2"}))
    cancelled = ok(client.post(f"{API}/orders/{first}/cancel"))
    assert cancelled["status"] == "cancelled" and len(cancelled["return_task_ids"]) == 1
    back = db.read(lambda conn: conn.execute(select(t.task).where(
        t.task.c.id == cancelled["return_task_ids"][0])).one())
    assert (back.kind, back.from_location_id, back.to_location_id, back.quantity) == (
        "putaway", site.staging, site.shelves["A-01"], 2)
    # Nothing is reserved any more; the open INK pick is cancelled and cannot be confirmed.
    ink = next(x for x in walked["tasks"] if x["sku_code"] == "INK")
    error(client.post(f"{API}/pick-tasks/{ink['id']}/confirm",
                      json={"location": ink["location_code"], "scan": "INK"}), 409, "task_not_open")
    reserved = db.read(lambda conn: conn.execute(select(func.coalesce(func.sum(t.balance.c.allocated), 0))
                                                 .where(~t.balance.c.is_virtual)).scalar_one())
    assert reserved == 0
    assert verify(db).ok


def test_release_tops_up_the_pick_faces_the_wave_drains(client: TestClient, db: Database, site: Site) -> None:
    face = site.world.location("PF-1", kind="pick_face", aisle="A", x=3, y=1)
    site.world.receive(face, 4, site.world.item("INK"))
    create(client, f"warehouses/{site.wh}/replenishment-rules", {
        "location_id": face, "owner_id": site.owner, "sku_id": site.world.sku("INK"),
        "min_quantity": "2", "max_quantity": "6"})
    # Before the wave the face holds 4, above its minimum: nothing is due.
    assert ok(client.post(f"{API}/warehouses/{site.wh}/replenishment/run")) == []
    first = order(client, site, "SO-1", [("INK", 3)])
    released = release(client, wave(client, site, [first])["id"])
    # The wave takes 3 of the 4 (pick faces first): 1 stays, below 2, so 5 come from reserve (B-02).
    tasks = released["stats"]["replenish_task_ids"]
    assert len(tasks) == 1
    task = db.read(lambda conn: conn.execute(select(t.task).where(t.task.c.id == tasks[0])).one())
    assert (task.kind, task.from_location_id, task.to_location_id, task.quantity) == (
        "replenish", site.shelves["B-02"], face, 5)
    assert verify(db).ok


def test_eaches_come_from_the_pick_face_after_their_replenishment(client: TestClient, db: Database,
                                                                  site: Site) -> None:
    """PAD has a pick face but its stock is all in reserve (C-03): the wave's pick waits for a replenishment that
    carries exactly the reserved units to the face, and is then picked there."""
    face = site.world.location("PF-PAD", kind="pick_face", aisle="B", x=6, y=1)
    create(client, f"warehouses/{site.wh}/replenishment-rules", {
        "location_id": face, "owner_id": site.owner, "sku_id": site.world.sku("PAD"),
        "min_quantity": "0", "max_quantity": "4"})
    first = order(client, site, "SO-1", [("PAD", 2)])
    released = release(client, wave(client, site, [first])["id"])
    pick = trip(client, released["trips"][0]["id"])["tasks"][0]
    assert pick["location_id"] == face and pick["waits_for_task_id"] is not None
    error(client.post(f"{API}/pick-tasks/{pick['id']}/confirm", json={"location": "PF-PAD", "scan": "PAD",
                                                                     "quantity": "2"}),
          409, "waiting_for_replenishment")
    feed = pick["waits_for_task_id"]
    error(client.post(f"{API}/tasks/{feed}/replenish", json={"quantity": "1"}), 422, "partial_not_allowed",
          "quantity")
    ok(client.post(f"{API}/tasks/{feed}/replenish", json={"location_code": "PF-PAD"}))
    # The reservation travelled with the stock: the face holds 2 reserved, the reserve 8 free.
    b = t.balance
    rows = db.read(lambda conn: {r.location_id: (r.on_hand, r.allocated) for r in conn.execute(
        select(b.c.location_id, b.c.on_hand, b.c.allocated).where(b.c.sku_id == site.world.sku("PAD"),
                                                                  ~b.c.is_virtual))})
    assert rows[face] == (2, 2) and rows[site.shelves["C-03"]] == (8, 0)
    ok(client.post(f"{API}/pick-tasks/{pick['id']}/confirm", json={"location": "PF-PAD", "scan": "PAD",
                                                                  "quantity": "2"}))
    assert ok(client.get(f"{API}/orders/{first}"))["status"] == "picked"
    assert verify(db).ok


def test_full_cases_are_picked_where_they_stand(client: TestClient, db: Database, site: Site) -> None:
    site.world.sku("BOX", packs=[{"level": "case", "uom": "CS", "factor": "6"}])
    site.world.receive(site.shelves["B-04"], 12, site.world.item("BOX"))
    face = site.world.location("PF-BOX", kind="pick_face", aisle="B", x=6, y=1)
    create(client, f"warehouses/{site.wh}/replenishment-rules", {
        "location_id": face, "owner_id": site.owner, "sku_id": site.world.sku("BOX"),
        "min_quantity": "0", "max_quantity": "6"})
    first = order(client, site, "SO-1", [("BOX", 6)])
    released = release(client, wave(client, site, [first])["id"])
    pick = trip(client, released["trips"][0]["id"])["tasks"][0]
    assert pick["location_id"] == site.shelves["B-04"] and pick["waits_for_task_id"] is None


def test_a_pick_during_a_count_is_no_variance(client: TestClient, db: Database, site: Site) -> None:
    count = ok(client.post(f"{API}/counts", json={"warehouse_id": site.wh,
                                                  "location_ids": [site.shelves["A-01"]]}), 201)
    first = order(client, site, "SO-1", [("PEN", 3)])
    released = release(client, wave(client, site, [first])["id"])
    pick_all(client, released["trips"][0]["id"])
    # The counter reaches the shelf after the pick and finds the 7 that are there.
    line = count["lines"][0]
    counted = ok(client.post(f"{API}/counts/{count['id']}/entries",
                             json={"entries": [{"line_id": line["id"], "quantity": "7"}]}))
    assert [x["variance"] for x in counted["lines"]] == ["0"]
    assert ok(client.post(f"{API}/counts/{count['id']}/finish"))["status"] == "posted"
    assert verify(db).ok


def test_a_pick_that_empties_its_location_starts_a_count_on_touch(client: TestClient, db: Database,
                                                                   site: Site) -> None:
    first = order(client, site, "SO-1", [("INK", 10)])
    released = release(client, wave(client, site, [first])["id"])
    pick_all(client, released["trips"][0]["id"])
    counts = db.read(lambda conn: conn.execute(select(t.stock_count.c.kind, t.count_line.c.location_id).join(
        t.count_line, t.count_line.c.count_id == t.stock_count.c.id)).all())
    assert ("on_touch", site.shelves["B-02"]) in counts


def test_an_order_held_after_waving_leaves_the_wave_at_release(client: TestClient, site: Site) -> None:
    first = order(client, site, "SO-1", [("PEN", 1)])
    second = order(client, site, "SO-2", [("INK", 1)])
    made = wave(client, site, [first, second])
    ok(client.post(f"{API}/orders/{second}/hold"))
    released = release(client, made["id"])
    assert [o["id"] for o in released["orders"]] == [first] and released["stats"]["held"] == [second]
    held = ok(client.get(f"{API}/orders/{second}"))
    assert (held["status"], held["wave_id"], held["lines"][0]["allocations"]) == ("created", None, [])
