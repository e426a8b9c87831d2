"""After picking, through the services on both databases: the put wall, check and packing, weighing, shipping.

Each scenario runs the real flow before it (order → wave → release → picks by scan) and ends with a clean
``verify``: whatever was refused wrote nothing, and what shipped left the books balanced."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, update

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import SYSTEM
from stockyard.domain.allocation import OrderType
from stockyard.domain.errors import Conflict, DomainError, InvalidInput
from stockyard.domain.stock import VirtualKind
from stockyard.domain.waves import PickMode
from stockyard.services import orders, packing, picking, waves
from stockyard.services.verify import verify
from tests.helpers import World

Row = dict[str, Any]
D = Decimal


@dataclass
class Site:
    world: World
    wh: int
    owner: int
    staging: int
    shelves: dict[str, int]


@pytest.fixture
def site(db: Database) -> Site:
    """Two aisles of shelves and a staging area; pens and ink weigh something, pads have no weight."""
    w = World(db)
    wh, owner = w.warehouse(), w.owner()
    w.sku("PEN", weight="0.02", barcodes=[{"barcode": "4006381333931", "kind": "gtin"}])
    w.sku("INK", weight="0.1")
    w.sku("PAD")
    w.sku("TEA", lot_control=True, weight="0.25")
    w.sku("GLUE", weight="0.05")  # never ordered here
    staging = w.location("STAGE-1", kind="staging", x=0, y=0)
    shelves = {code: w.location(code, aisle=code[0], x=x, y=y)
               for code, x, y in (("A-01", 3, 2), ("A-02", 3, 4), ("B-01", 6, 2), ("B-02", 6, 4))}
    w.receive(shelves["A-01"], 20, w.item("PEN"))
    w.receive(shelves["A-02"], 20, w.item("INK"))
    w.receive(shelves["B-01"], 20, w.item("PAD"))
    w.receive(shelves["B-02"], 5, w.item("TEA", lot=w.lot("L1", "TEA")))
    return Site(w, wh, owner, staging, shelves)


def order(site: Site, ref: str, lines: list[tuple[str, int]]) -> int:
    new = orders.NewOrder(owner_id=site.owner, warehouse_id=site.wh, external_ref=ref, type=OrderType.SALES_B2C,
                          lines=[orders.NewOrderLine(quantity=D(q), sku_code=sku) for sku, q in lines])
    return int(orders.create_order(site.world.db, SYSTEM, new).order["id"])


def released(site: Site, order_ids: list[int], mode: PickMode = PickMode.CLUSTER) -> Row:
    settings = waves.PickSettings(pick_mode=mode, staging_location_id=site.staging)
    made = waves.create_wave(site.world.db, SYSTEM, waves.NewWave(site.wh, order_ids, settings))
    return waves.release(site.world.db, SYSTEM, made["id"])


def pick_all(site: Site, wave: Row, *, short: dict[str, Decimal] | None = None) -> None:
    """Confirm every pick of the wave by scan; ``short`` names SKUs found only partly at their location."""
    db = site.world.db
    for trip in wave["trips"]:
        for task in picking.get_trip(db, SYSTEM, trip["id"])["tasks"]:
            if task["status"] != "open":
                continue
            found = (short or {}).get(task["sku_code"])
            if found is not None:
                picking.short_pick(db, SYSTEM, task["id"], picking.ShortPick(
                    task["location_code"], found, task["sku_code"] if found else None, task["lot_number"]))
            else:
                picking.confirm_pick(db, SYSTEM, task["id"], picking.PickScan(
                    task["location_code"], task["sku_code"], task["quantity"], task["lot_number"]))


def picked_order(site: Site, ref: str, lines: list[tuple[str, int]], **kwargs: Any) -> int:
    order_id = order(site, ref, lines)
    pick_all(site, released(site, [order_id]), **kwargs)
    return order_id


def pack_all(site: Site, order_id: int, **close: Any) -> Row:
    """Check every picked unit into one package, weigh it as expected and close it."""
    db = site.world.db
    package = packing.open_package(db, SYSTEM, order_id, packing.NewPackage(tare_weight=D("0.2")))
    for line in orders.get_order(db, SYSTEM, order_id)["lines"]:
        left = line["picked_quantity"] - line["packed_quantity"]
        if left > 0:
            packing.pack_item(db, SYSTEM, package["id"], packing.ItemScan(line["sku_code"], left))
    return packing.close_package(db, SYSTEM, package["id"], packing.ClosePackage(**close))


def snapshot(db: Database) -> dict[str, Any]:
    """What any command of these flows could write, for 'nothing was written' checks."""
    def read(conn: Any) -> dict[str, Any]:
        counted = {table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                   for table in (t.posting, t.movement, t.package, t.package_item, t.outbox_event, t.audit_entry,
                                 t.shipment_order)}
        sl = t.shipment_line
        counted["lines"] = [tuple(r) for r in conn.execute(
            select(sl.c.id, sl.c.sorted_quantity, sl.c.packed_quantity, sl.c.shipped_quantity,
                   sl.c.short_quantity).order_by(sl.c.id))]
        counted["orders"] = [tuple(r) for r in conn.execute(
            select(t.shipment_order.c.id, t.shipment_order.c.status).order_by(t.shipment_order.c.id))]
        return counted
    return db.read(read)


def refused(db: Database, kind: type[DomainError], code: str, field: str | None,
            call: Callable[[], object]) -> None:
    """The call is refused with this code and field, and writes nothing."""
    before = snapshot(db)
    with pytest.raises(kind) as error:
        call()
    assert (error.value.code, error.value.field) == (code, field), error.value.message
    assert snapshot(db) == before


def line_of(db: Database, order_id: int, sku: str) -> Row:
    lines: list[Row] = orders.get_order(db, SYSTEM, order_id)["lines"]
    return next(x for x in lines if x["sku_code"] == sku)


def balance(db: Database, location_id: int) -> tuple[Decimal, Decimal]:
    b = t.balance
    row = db.read(lambda conn: conn.execute(select(func.coalesce(func.sum(b.c.on_hand), 0),
                                                   func.coalesce(func.sum(b.c.allocated), 0))
                                            .where(b.c.location_id == location_id)).one())
    return D(row[0]), D(row[1])


# ---------------------------------------------------------------- put wall


def test_put_wall_gives_each_multi_line_order_a_slot_and_says_full_at_the_last_item(db: Database,
                                                                                     site: Site) -> None:
    first = order(site, "SO-1", [("PEN", 2), ("INK", 1)])
    second = order(site, "SO-2", [("PEN", 1), ("PAD", 1)])
    single = order(site, "SO-3", [("PEN", 1)])
    wave = released(site, [first, second, single], PickMode.BATCH)
    slots = {o["id"]: o["sort_slot"] for o in waves.get_wave(db, SYSTEM, wave["id"])["orders"]}
    assert slots[single] is None and sorted([slots[first], slots[second]]) == [1, 2]
    pick_all(site, wave)
    # A slotted order is not packed before it is sorted; the single-line order goes straight to check.
    refused(db, Conflict, "order_not_sorted", "order_id",
            lambda: packing.open_package(db, SYSTEM, first, packing.NewPackage()))
    packing.open_package(db, SYSTEM, single, packing.NewPackage())

    def sort(scan: str) -> Row:
        return packing.sort_item(db, SYSTEM, wave["id"], packing.ItemScan(scan))

    low, high = sorted((first, second), key=lambda o: slots[o])
    pens = {first: 2, second: 1}
    results = [sort("PEN") for _ in range(3)]
    # The lower slot first, until it has all it picked; no slot is full while its other line waits.
    assert [r["order_id"] for r in results] == [low] * pens[low] + [high] * pens[high]
    assert [r["slot"] for r in results] == [slots[r["order_id"]] for r in results]
    assert not any(r["slot_full"] for r in results)
    # The GTIN on the pen finds nothing more to sort: every pen has its slot.
    refused(db, InvalidInput, "not_needed", "scan", lambda: sort("4006381333931"))
    refused(db, InvalidInput, "not_needed", "scan", lambda: sort("GLUE"))
    ink = sort("INK")
    assert (ink["order_id"], ink["external_ref"], ink["line_no"], ink["sku_code"]) == (first, "SO-1", 2, "INK")
    assert ink["slot_full"] is True
    pad = sort("PAD")
    assert (pad["order_id"], pad["slot"], pad["slot_full"]) == (second, slots[second], True)
    assert line_of(db, first, "PEN")["sorted_quantity"] == 2
    # Sorting moved nothing in the ledger: the stock waits in staging, reserved for its orders.
    assert balance(db, site.staging) == (D(6), D(6))
    packing.open_package(db, SYSTEM, first, packing.NewPackage())
    assert verify(db).ok


def test_sorting_a_cluster_wave_is_refused(db: Database, site: Site) -> None:
    wave = released(site, [order(site, "SO-1", [("PEN", 1), ("INK", 1)])])
    pick_all(site, wave)
    refused(db, Conflict, "wave_not_sorted", "wave_id",
            lambda: packing.sort_item(db, SYSTEM, wave["id"], packing.ItemScan("PEN")))


# ---------------------------------------------------------------- check and pack


def test_wrong_item_extra_unit_and_wrong_lot_are_refused_and_nothing_is_written(db: Database,
                                                                               site: Site) -> None:
    order_id = picked_order(site, "SO-1", [("PEN", 2), ("TEA", 1)])
    package = packing.open_package(db, SYSTEM, order_id, packing.NewPackage(carton_type="S", tare_weight=D("0.1")))
    assert (package["package_no"], package["status"], package["expected_weight"]) == (1, "open", D("0.1"))

    def pack(scan: str, quantity: int = 1, **extra: Any) -> Row:
        return packing.pack_item(db, SYSTEM, package["id"], packing.ItemScan(scan, D(quantity), **extra))

    refused(db, InvalidInput, "wrong_item", "scan", lambda: pack("GLUE"))
    refused(db, InvalidInput, "unknown_barcode", "scan", lambda: pack("NO-SUCH-THING"))
    refused(db, InvalidInput, "extra_item", "quantity", lambda: pack("PEN", 3))
    done = pack("4006381333931", 2)  # the pen's GTIN, both at once
    assert (done["line_no"], done["sku_code"], done["line_left"], done["order_left"]) == (1, "PEN", 0, 1)
    refused(db, InvalidInput, "extra_item", "quantity", lambda: pack("PEN"))
    refused(db, InvalidInput, "wrong_lot", "lot_number", lambda: pack("TEA", lot_number="L9"))
    tea = pack("TEA", lot_number="L1")
    assert [(i["sku_code"], i["lot_number"], i["quantity"]) for i in tea["items"]] == [
        ("PEN", None, D(2)), ("TEA", "L1", D(1))]
    assert tea["expected_weight"] == D("0.1") + D("0.04") + D("0.25")
    assert line_of(db, order_id, "PEN")["packed_quantity"] == 2
    assert verify(db).ok


def test_packing_waits_for_the_picks(db: Database, site: Site) -> None:
    order_id = order(site, "SO-1", [("PEN", 1)])
    released(site, [order_id])
    refused(db, Conflict, "order_not_picked", "order_id",
            lambda: packing.open_package(db, SYSTEM, order_id, packing.NewPackage()))


def test_a_failed_weighing_keeps_the_package_open_until_it_passes(db: Database, site: Site) -> None:
    order_id = picked_order(site, "SO-1", [("INK", 3)])
    package = packing.open_package(db, SYSTEM, order_id, packing.NewPackage(tare_weight=D("0.2")))
    refused(db, Conflict, "package_empty", "package_id",
            lambda: packing.close_package(db, SYSTEM, package["id"], packing.ClosePackage()))
    packing.pack_item(db, SYSTEM, package["id"], packing.ItemScan("INK", D(3)))
    heavy = packing.weigh(db, SYSTEM, package["id"], packing.Weighing(D("0.9")))  # 0.5 expected, ±5 %
    assert heavy["weight_checked"] is False and heavy["weight_difference"] == D("0.4")
    assert "0.9 kg" in heavy["message"] and "0.5 kg expected" in heavy["message"]
    refused(db, Conflict, "weight_mismatch", "weight",
            lambda: packing.close_package(db, SYSTEM, package["id"], packing.ClosePackage()))
    refused(db, Conflict, "weight_mismatch", "weight",
            lambda: packing.close_package(db, SYSTEM, package["id"], packing.ClosePackage(weight=D("0.6"))))
    passed = packing.weigh(db, SYSTEM, package["id"], packing.Weighing(D("0.51")))
    assert passed["weight_checked"] is True and passed["weight"] == D("0.51")
    refused(db, InvalidInput, "invalid_sscc", "sscc",
            lambda: packing.close_package(db, SYSTEM, package["id"], packing.ClosePackage(sscc="123456789012345678")))
    closed = packing.close_package(db, SYSTEM, package["id"], packing.ClosePackage(
        tracking_number="1Z999", sscc="106141411234567897", length=D(30), width=D(20), height=D(10)))
    assert (closed["status"], closed["order_status"], closed["sscc"]) == ("closed", "packed", "106141411234567897")
    assert orders.get_order(db, SYSTEM, order_id)["status"] == "packed"


def test_an_item_without_weight_cannot_be_weighed_but_the_package_closes(db: Database, site: Site) -> None:
    order_id = picked_order(site, "SO-1", [("PAD", 1)])
    package = packing.open_package(db, SYSTEM, order_id, packing.NewPackage())
    packing.pack_item(db, SYSTEM, package["id"], packing.ItemScan("PAD"))
    refused(db, Conflict, "no_expected_weight", "weight",
            lambda: packing.weigh(db, SYSTEM, package["id"], packing.Weighing(D(1))))
    closed = packing.close_package(db, SYSTEM, package["id"], packing.ClosePackage(weight=D("0.3")))
    assert (closed["weight"], closed["weight_checked"], closed["order_status"]) == (D("0.3"), None, "packed")


def test_order_is_packed_only_when_every_package_is_closed(db: Database, site: Site) -> None:
    order_id = picked_order(site, "SO-1", [("PEN", 2), ("INK", 1)])
    one = packing.open_package(db, SYSTEM, order_id, packing.NewPackage())
    two = packing.open_package(db, SYSTEM, order_id, packing.NewPackage())
    spare = packing.open_package(db, SYSTEM, order_id, packing.NewPackage())
    packing.pack_item(db, SYSTEM, one["id"], packing.ItemScan("PEN", D(2)))
    packing.pack_item(db, SYSTEM, two["id"], packing.ItemScan("INK"))
    refused(db, Conflict, "nothing_to_pack", "order_id",
            lambda: packing.open_package(db, SYSTEM, order_id, packing.NewPackage()))
    assert packing.close_package(db, SYSTEM, one["id"], packing.ClosePackage())["order_status"] == "picked"
    assert packing.close_package(db, SYSTEM, two["id"], packing.ClosePackage())["order_status"] == "packed"
    # The spare carton stayed empty: it is put back, not shipped.
    assert [p["id"] for p in packing.list_packages(db, SYSTEM, order_id)] == [one["id"], two["id"]]
    assert spare["id"] not in {p["id"] for p in packing.list_packages(db, SYSTEM, order_id)}


# ---------------------------------------------------------------- shipping


def test_shipping_an_unpacked_order_is_refused_and_nothing_is_posted(db: Database, site: Site) -> None:
    created = order(site, "SO-0", [("PEN", 1)])
    refused(db, Conflict, "order_not_packed", "order_id", lambda: packing.ship(db, SYSTEM, created))
    order_id = picked_order(site, "SO-1", [("PEN", 1), ("INK", 1)])
    refused(db, Conflict, "order_not_packed", "order_id", lambda: packing.ship(db, SYSTEM, order_id))
    package = packing.open_package(db, SYSTEM, order_id, packing.NewPackage())
    packing.pack_item(db, SYSTEM, package["id"], packing.ItemScan("PEN"))
    refused(db, Conflict, "order_not_packed", "order_id", lambda: packing.ship(db, SYSTEM, order_id))
    orders.cancel(db, SYSTEM, created)
    refused(db, Conflict, "order_cancelled", "order_id", lambda: packing.ship(db, SYSTEM, created))
    assert verify(db).ok


def outbox(db: Database) -> list[Row]:
    return db.read(lambda conn: [dict(r._mapping) for r in conn.execute(
        select(t.outbox_event).where(t.outbox_event.c.topic == "shipment.confirmed").order_by(t.outbox_event.c.id))])


def test_ship_moves_stock_to_the_customer_and_backorders_the_rest(db: Database, site: Site) -> None:
    order_id = picked_order(site, "SO-1", [("PEN", 3), ("INK", 2)], short={"INK": D(1)})
    assert line_of(db, order_id, "INK")["picked_quantity"] == 1
    pack_all(site, order_id, weight=D("0.36"), tracking_number="TRK-1")  # 0.2 + 3 × 0.02 + 0.1
    customer = site.world.virtual(VirtualKind.CUSTOMER)
    before = snapshot(db)
    shipped = packing.ship(db, SYSTEM, order_id)
    assert shipped["status"] == "shipped" and shipped["shipped_at"] is not None
    assert balance(db, customer) == (D(4), D(0))
    assert balance(db, site.staging) == (D(0), D(0))
    assert balance(db, site.shelves["A-01"]) == (D(17), D(0))
    moved = db.read(lambda conn: conn.execute(select(func.count()).select_from(t.movement).where(
        t.movement.c.posting_id == shipped["ship_posting_id"], t.movement.c.to_location_id == customer))
        .scalar_one())
    assert moved == 2
    assert [(x["sku_code"], x["shipped_quantity"], x["short_quantity"]) for x in shipped["lines"]] == [
        ("PEN", 3, 0), ("INK", 1, 0)]
    assert {a["status"] for x in shipped["lines"] for a in x["allocations"] if a["quantity"] > 0} == {"shipped"}
    # The rest of the ink goes on a backorder, waiting to be allocated.
    back = orders.get_order(db, SYSTEM, shipped["backorder"]["id"])
    assert (back["external_ref"], back["status"], back["backorder_of_id"]) == ("SO-1-BO1", "created", order_id)
    assert [(x["sku_code"], x["quantity"]) for x in back["lines"]] == [("INK", 1)]
    # Exactly one event, written by the same command.
    events = outbox(db)
    assert len(events) == 1 and snapshot(db)["outbox_event"] == before["outbox_event"] + 1
    event = events[0]
    assert (event["aggregate_type"], event["aggregate_id"], event["owner_id"]) == (
        "shipment_order", str(order_id), site.owner)
    payload = event["payload"]
    assert (payload["external_ref"], payload["owner"], payload["warehouse"]) == ("SO-1", "ACME", "WH1")
    assert [(x["sku_code"], x["ordered"], x["shipped"], x["short"]) for x in payload["lines"]] == [
        ("PEN", "3", "3", "0"), ("INK", "2", "1", "0")]
    assert payload["packages"][0]["weight"] == "0.36" and payload["packages"][0]["tracking_number"] == "TRK-1"
    assert payload["backorder"] == {"order_id": back["id"], "external_ref": "SO-1-BO1"}
    refused(db, Conflict, "order_shipped", "order_id", lambda: packing.ship(db, SYSTEM, order_id))
    assert verify(db).ok


def test_a_short_owner_closes_the_rest_unserved(db: Database, site: Site) -> None:
    db.write(lambda conn: conn.execute(update(t.owner).where(t.owner.c.id == site.owner)
                                       .values(shortage_policy="short")))
    order_id = picked_order(site, "SO-1", [("TEA", 4), ("PEN", 1)], short={"TEA": D(0)})
    pack_all(site, order_id)
    shipped = packing.ship(db, SYSTEM, order_id)
    assert [(x["sku_code"], x["shipped_quantity"], x["short_quantity"]) for x in shipped["lines"]] == [
        ("TEA", 0, 4), ("PEN", 1, 0)]
    assert shipped["backorder"] is None
    assert db.read(lambda conn: conn.execute(select(func.count()).select_from(t.shipment_order)).scalar_one()) == 1
    # The tea never left its shelf and is no longer reserved.
    assert balance(db, site.shelves["B-02"]) == (D(5), D(0))
    assert outbox(db)[0]["payload"]["lines"][0]["short"] == "4"
    assert verify(db).ok


def test_the_event_and_the_posting_commit_together(db: Database, site: Site,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    order_id = picked_order(site, "SO-1", [("PEN", 1)])
    pack_all(site, order_id)

    def broken(*_: Any) -> Row:
        raise RuntimeError("the outbox is unreachable")

    monkeypatch.setattr(packing, "_confirmed_event", broken)
    before = snapshot(db)
    with pytest.raises(RuntimeError):
        packing.ship(db, SYSTEM, order_id)
    assert snapshot(db) == before  # no posting, no status change without the event
    assert verify(db).ok


def test_a_cancelled_order_is_neither_packed_nor_shipped(db: Database, site: Site) -> None:
    order_id = picked_order(site, "SO-1", [("PEN", 1)])
    package = packing.open_package(db, SYSTEM, order_id, packing.NewPackage())
    packing.pack_item(db, SYSTEM, package["id"], packing.ItemScan("PEN"))
    orders.cancel(db, SYSTEM, order_id)
    refused(db, Conflict, "package_closed", "package_id",
            lambda: packing.close_package(db, SYSTEM, package["id"], packing.ClosePackage()))
    refused(db, Conflict, "package_closed", "package_id",
            lambda: packing.pack_item(db, SYSTEM, package["id"], packing.ItemScan("PEN")))
    refused(db, Conflict, "order_cancelled", "order_id",
            lambda: packing.open_package(db, SYSTEM, order_id, packing.NewPackage()))
    refused(db, Conflict, "order_cancelled", "order_id", lambda: packing.ship(db, SYSTEM, order_id))
    assert orders.get_order(db, SYSTEM, order_id)["status"] == "cancelled"
    assert verify(db).ok
