"""The posting service against real databases: atomic batches, reversals, allocations, and verify."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import SYSTEM
from stockyard.domain.errors import Conflict, DuplicateSerial, InsufficientStock, InvalidInput
from stockyard.domain.stock import Bucket, Movement, PostingRequest, StockStatus, VirtualKind
from stockyard.services import ledger
from stockyard.services.stock import BalanceFilter, list_balances
from stockyard.services.verify import verify
from tests.helpers import World


def on_hand(db: Database, location: int, status: StockStatus | None = None) -> dict[str, Decimal]:
    rows, _ = list_balances(db, BalanceFilter(location_id=location, status=status), principal=SYSTEM)
    return {"on_hand": sum((r["on_hand"] for r in rows), Decimal(0)),
            "allocated": sum((r["allocated"] for r in rows), Decimal(0))}


def counts(db: Database) -> tuple[int, int, int]:
    return db.read(lambda c: tuple(int(c.execute(select(func.count()).select_from(x)).scalar_one())
                                   for x in (t.posting, t.movement, t.allocation_entry)))  # type: ignore[return-value]


def test_batch_posts_all_movements_in_one_posting(world: World, db: Database) -> None:
    a, b = world.location("A"), world.location("B")
    world.receive(a, 10)
    item = world.item()
    written = ledger.post(db, PostingRequest("MOVE", [Movement(item, Bucket(a), Bucket(b), Decimal(3)),
                                                      Movement(item, Bucket(a), Bucket(b), Decimal(2))], user="u"))
    assert written.movements == 2
    assert on_hand(db, a)["on_hand"] == 5 and on_hand(db, b)["on_hand"] == 5
    assert verify(db).ok


def test_a_failing_movement_leaves_the_whole_batch_unposted(world: World, db: Database) -> None:
    a, b = world.location("A"), world.location("B")
    world.receive(a, 4)
    before = counts(db)
    item = world.item()
    with pytest.raises(InsufficientStock) as caught:
        ledger.post(db, PostingRequest("MOVE", [Movement(item, Bucket(a), Bucket(b), Decimal(3)),
                                                Movement(item, Bucket(a), Bucket(b), Decimal(2))], user="u"))
    assert caught.value.field == "movements[0].quantity"
    assert counts(db) == before
    assert on_hand(db, a)["on_hand"] == 4 and on_hand(db, b)["on_hand"] == 0


def test_allocation_never_exceeds_available_and_taking_respects_it(world: World, db: Database) -> None:
    a, b = world.location("A"), world.location("B")
    world.receive(a, 10)
    item = world.item()
    ledger.allocate(db, item, Bucket(a), Decimal(7), user="u")
    with pytest.raises(InsufficientStock):
        ledger.allocate(db, item, Bucket(a), Decimal(4), user="u")
    with pytest.raises(InsufficientStock):  # only 3 are free to move
        ledger.post(db, PostingRequest("MOVE", [Movement(item, Bucket(a), Bucket(b), Decimal(4))], user="u"))
    with pytest.raises(InsufficientStock):
        ledger.release(db, item, Bucket(a), Decimal(8), user="u")
    ledger.release(db, item, Bucket(a), Decimal(7), user="u")
    ledger.post(db, PostingRequest("MOVE", [Movement(item, Bucket(a), Bucket(b), Decimal(10))], user="u"))
    assert on_hand(db, a) == {"on_hand": 0, "allocated": 0}
    assert verify(db).ok


def test_picking_allocated_stock_consumes_the_allocation_in_the_same_posting(world: World, db: Database) -> None:
    from stockyard.domain.stock import AllocationChange

    a, customer = world.location("A"), world.virtual(VirtualKind.CUSTOMER)
    world.receive(a, 5)
    item = world.item()
    ledger.allocate(db, item, Bucket(a), Decimal(5), user="u")
    ledger.post(db, PostingRequest("SHIP", [Movement(item, Bucket(a), Bucket(customer), Decimal(5))],
                                   [AllocationChange(item, Bucket(a), Decimal(-5))], user="u"))
    assert on_hand(db, a) == {"on_hand": 0, "allocated": 0}
    assert verify(db).ok


def test_reversal_restores_balances_once(world: World, db: Database) -> None:
    a = world.location("A")
    posting = world.receive(a, 6)
    ledger.reverse(db, posting, user="u")
    assert on_hand(db, a)["on_hand"] == 0
    with pytest.raises(Conflict) as caught:
        ledger.reverse(db, posting, user="u")
    assert caught.value.code == "already_reversed"
    assert verify(db).ok


def test_a_serial_is_in_one_place_only(world: World, db: Database) -> None:
    world.sku("PHONE", serial_control=True)
    a, b = world.location("A"), world.location("B")
    phone = world.item("PHONE", serial="SN-1")
    world.receive(a, 1, phone)
    with pytest.raises(DuplicateSerial):
        world.receive(b, 1, phone)
    with pytest.raises(DuplicateSerial):
        world.receive(a, 1, phone)
    ledger.post(db, PostingRequest("MOVE", [Movement(phone, Bucket(a), Bucket(b), Decimal(1))], user="u"))
    assert on_hand(db, b)["on_hand"] == 1
    assert verify(db).ok


def test_blocked_location_refuses_posting(world: World, db: Database) -> None:
    a = world.location("A")
    blocked = world.location("X", status="blocked")
    world.receive(a, 2)
    with pytest.raises(InvalidInput) as caught:
        ledger.post(db, PostingRequest("MOVE", [Movement(world.item(), Bucket(a), Bucket(blocked), Decimal(1))],
                                       user="u"))
    assert caught.value.code == "location_blocked"


def test_database_constraints_hold_even_behind_the_service(world: World, db: Database) -> None:
    """The projection's CHECKs refuse a negative physical bucket even from raw SQL."""
    a = world.location("A")
    world.receive(a, 1)
    with pytest.raises(Exception, match=r"(?i)check"), db.begin() as conn:
        conn.execute(text("UPDATE balance SET on_hand = -1000000 WHERE location_id = :a"), {"a": a})


@pytest.mark.parametrize("corruption", ["on_hand", "allocated", "deleted", "status"])
def test_verify_catches_a_balance_corrupted_behind_the_services_back(world: World, db: Database,
                                                                     corruption: str) -> None:
    a = world.location("A")
    world.receive(a, 10)
    ledger.allocate(db, world.item(), Bucket(a), Decimal(2), user="u")
    assert verify(db).ok
    sql = {
        "on_hand": "UPDATE balance SET on_hand = on_hand + 1000000 WHERE location_id = :a",
        "allocated": "UPDATE balance SET allocated = 0 WHERE location_id = :a",
        "deleted": "DELETE FROM balance WHERE location_id = :a",
        "status": "UPDATE balance SET status = 'frozen', allocated = 0 WHERE location_id = :a",
    }[corruption]
    with db.begin() as conn:
        conn.execute(text(sql), {"a": a})
    report = verify(db)
    assert not report.ok
    assert 2 in {v.invariant for v in report.violations}
    if corruption in ("on_hand", "deleted"):
        assert 3 in {v.invariant for v in report.violations}  # the item no longer sums to zero


def test_verify_reports_a_serial_in_two_places(world: World, db: Database) -> None:
    world.sku("PHONE", serial_control=True)
    a, b = world.location("A"), world.location("B")
    world.receive(a, 1, world.item("PHONE", serial="SN-9"))
    with db.begin() as conn:  # forge a second copy, bypassing the ledger and the partial unique index
        conn.execute(text("DROP INDEX uq_balance_serial_in_stock"))
        conn.execute(text("INSERT INTO balance (key, owner_id, sku_id, serial, warehouse_id, location_id, status, "
                          "is_virtual, on_hand, allocated, updated_at) SELECT 'forged', owner_id, sku_id, serial, "
                          "warehouse_id, :b, status, is_virtual, on_hand, 0, updated_at FROM balance "
                          "WHERE location_id = :a"), {"a": a, "b": b})
    try:
        invariants = {v.invariant for v in verify(db).violations}
        assert {2, 3, 4} <= invariants
    finally:
        with db.begin() as conn:
            conn.execute(text("DELETE FROM balance WHERE key = 'forged'"))
            conn.execute(text("CREATE UNIQUE INDEX uq_balance_serial_in_stock ON balance (sku_id, serial) "
                              "WHERE serial IS NOT NULL AND NOT is_virtual AND on_hand > 0"))


def test_verify_counts_in_status_buckets(world: World, db: Database) -> None:
    a = world.location("A")
    world.receive(a, 3, status=StockStatus.QC)
    assert on_hand(db, a, StockStatus.QC)["on_hand"] == 3
    report = verify(db)
    assert report.ok and report.movements == 1 and report.balances == 2


def test_a_container_stands_in_one_location(world: World, db: Database) -> None:
    from stockyard.services import masterdata as md

    a, b, c = world.location("A"), world.location("B"), world.location("C")
    pallet = md.create(db, md.CONTAINER, {"warehouse_id": world.warehouse(), "lpn": "LPN001"}, principal=SYSTEM)["id"]
    world.receive(a, 4, container=pallet)
    with pytest.raises(InvalidInput) as caught:
        world.receive(b, 1, container=pallet)
    assert caught.value.code == "container_elsewhere"
    item = world.item()
    # Moving the whole container keeps it in one place.
    ledger.post(db, PostingRequest("MOVE", [Movement(item, Bucket(a, pallet), Bucket(c, pallet), Decimal(4))]))
    assert on_hand(db, c)["on_hand"] == 4
    assert verify(db).ok
