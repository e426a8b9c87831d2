"""The ledger's rules, without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from stockyard.domain.errors import InvalidInput
from stockyard.domain.stock import (
    AllocationChange,
    Bucket,
    LocationFacts,
    LocationStatus,
    LotFacts,
    MasterFacts,
    Movement,
    OwnerFacts,
    PostingRequest,
    SkuFacts,
    StockItem,
    StockStatus,
    VirtualKind,
    balance_deltas,
    bucket_key,
    check_posting,
    reversal_of,
)

SUPPLIER, SHELF, OTHER_SHELF, BLOCKED, TRANSIT, FAR_SHELF = 1, 2, 3, 4, 5, 6


def facts(**sku: bool | int) -> MasterFacts:
    f = MasterFacts()
    f.owners[100] = OwnerFacts(100, True)
    f.owners[200] = OwnerFacts(200, True)
    f.skus[10] = SkuFacts(10, 100, True, int(sku.get("decimals", 0)), bool(sku.get("lot", False)),
                          bool(sku.get("expiry", False)), bool(sku.get("serial", False)))
    f.skus[11] = SkuFacts(11, 200, True, 0, False, False, False)
    f.lots[7] = LotFacts(7, 10, date(2027, 1, 1), True)
    f.lots[8] = LotFacts(8, 10, None, True)
    f.locations[SUPPLIER] = LocationFacts(SUPPLIER, 1, True, LocationStatus.ACTIVE, VirtualKind.SUPPLIER)
    f.locations[SHELF] = LocationFacts(SHELF, 1, True, LocationStatus.ACTIVE, None)
    f.locations[OTHER_SHELF] = LocationFacts(OTHER_SHELF, 1, True, LocationStatus.ACTIVE, None)
    f.locations[BLOCKED] = LocationFacts(BLOCKED, 1, True, LocationStatus.BLOCKED, None)
    f.locations[TRANSIT] = LocationFacts(TRANSIT, 1, True, LocationStatus.ACTIVE, VirtualKind.IN_TRANSIT)
    f.locations[FAR_SHELF] = LocationFacts(FAR_SHELF, 2, True, LocationStatus.ACTIVE, None)
    return f


def receipt(qty: str | int = 1, *, lot: int | None = None, serial: str | None = None, sku: int = 10,
            owner: int = 100, to: int = SHELF, source: int = SUPPLIER) -> PostingRequest:
    item = StockItem(owner, sku, lot, serial)
    return PostingRequest("RECEIPT", [Movement(item, Bucket(source), Bucket(to), Decimal(qty))])


def refused(request: PostingRequest, f: MasterFacts) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        check_posting(request, f)
    return caught.value


def test_a_plain_receipt_passes_and_nets_to_zero() -> None:
    request = check_posting(receipt(5), facts())
    deltas = balance_deltas(request)
    assert sorted(d.on_hand for d in deltas) == [Decimal(-5), Decimal(5)]
    assert sum(d.on_hand for d in deltas) == 0


@pytest.mark.parametrize(("qty", "code"), [("0", "quantity_not_positive"), ("-1", "quantity_not_positive"),
                                           ("1.5", "too_many_decimals")])
def test_quantities_must_be_positive_and_within_the_units_precision(qty: str, code: str) -> None:
    error = refused(receipt(qty), facts())
    assert (error.field, error.code) == ("movements[0].quantity", code)


def test_a_kilogram_sku_takes_its_three_decimals_but_not_four() -> None:
    check_posting(receipt("1.125"), facts(decimals=3))
    assert refused(receipt("1.1255"), facts(decimals=3)).code == "too_many_decimals"


def test_lot_controlled_needs_a_lot_of_its_own_sku() -> None:
    assert refused(receipt(), facts(lot=True)).field == "movements[0].lot_id"
    f = facts(lot=True)
    f.lots[9] = LotFacts(9, 11, None, True)
    assert refused(receipt(lot=9), f).code == "lot_of_other_sku"
    check_posting(receipt(lot=7), f)


def test_an_inactive_lot_takes_no_stock() -> None:
    f = facts(lot=True)
    f.lots[9] = LotFacts(9, 10, None, False)
    assert refused(receipt(lot=9), f).code == "inactive_lot"


def test_expiry_controlled_needs_a_lot_with_an_expiry_date() -> None:
    assert refused(receipt(lot=8), facts(expiry=True)).field == "movements[0].expiry_date"
    assert refused(receipt(), facts(expiry=True)).code == "expiry_required"
    check_posting(receipt(lot=7), facts(expiry=True))


def test_serials_are_one_each_once_per_posting_and_only_for_serial_skus() -> None:
    f = facts(serial=True)
    assert refused(receipt(1), f).code == "serial_required"
    assert refused(receipt(2, serial="S1"), f).code == "serial_quantity_not_one"
    assert refused(receipt(serial="S|1"), f).field == "movements[0].serial"
    twice = PostingRequest("RECEIPT", [*receipt(serial="S1").movements, *receipt(serial="S1").movements])
    assert refused(twice, f).code == "duplicate_serial"
    assert refused(receipt(serial="S1"), facts()).code == "serial_not_allowed"


def test_sku_of_another_owner_and_unknown_owners_are_refused() -> None:
    assert refused(receipt(sku=11, owner=100), facts()).code == "sku_of_other_owner"
    assert refused(receipt(owner=999), facts()).field == "movements[0].owner_id"


def test_blocked_unknown_and_virtual_to_virtual_locations_are_refused() -> None:
    assert refused(receipt(to=BLOCKED), facts()).code == "location_blocked"
    assert refused(receipt(to=99), facts()).code == "unknown_location"
    assert refused(receipt(to=TRANSIT), facts()).field == "movements[0].to_location_id"


def test_stock_crosses_warehouses_only_through_in_transit() -> None:
    assert refused(receipt(source=SHELF, to=FAR_SHELF), facts()).code == "cross_warehouse"
    check_posting(receipt(source=TRANSIT, to=FAR_SHELF), facts())


def test_only_available_physical_stock_is_allocated() -> None:
    item = StockItem(100, 10)
    for status in (StockStatus.QC, StockStatus.FROZEN, StockStatus.DAMAGED):
        request = PostingRequest("ALLOCATE", allocations=[AllocationChange(item, Bucket(SHELF, None, status),
                                                                           Decimal(1))])
        assert refused(request, facts()).code == "status_not_allocatable"
    virtual = PostingRequest("ALLOCATE", allocations=[AllocationChange(item, Bucket(SUPPLIER), Decimal(1))])
    assert refused(virtual, facts()).field == "allocations[0].location_id"


def test_release_keeps_its_sign() -> None:
    item = StockItem(100, 10)
    request = check_posting(PostingRequest("RELEASE", allocations=[
        AllocationChange(item, Bucket(SHELF), Decimal(-3))]), facts())
    assert request.allocations[0].quantity == Decimal(-3)


def test_deltas_are_netted_and_sorted_by_key_so_rows_lock_in_one_order() -> None:
    item = StockItem(100, 10)
    moves = [Movement(item, Bucket(SHELF), Bucket(OTHER_SHELF), Decimal(2)),
             Movement(item, Bucket(OTHER_SHELF), Bucket(SHELF), Decimal(2))]
    deltas = balance_deltas(PostingRequest("MOVE", moves))
    assert all(d.on_hand == 0 for d in deltas)
    keys = [bucket_key(d.item, d.bucket) for d in deltas]
    assert keys == sorted(keys)


def test_reversal_swaps_source_and_target() -> None:
    move = Movement(StockItem(100, 10), Bucket(SUPPLIER), Bucket(SHELF), Decimal(4))
    (back,) = reversal_of([move])
    assert (back.source, back.target, back.quantity) == (move.target, move.source, move.quantity)
