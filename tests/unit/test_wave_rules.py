"""Wave rules: which orders a rule takes, how picks become trips, who meets at the put wall, what a scan must match."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from stockyard.domain.errors import Conflict, InvalidInput
from stockyard.domain.waves import (
    OrderFacts,
    Pick,
    PickMode,
    PickScanned,
    PickTarget,
    Profile,
    WaveLimits,
    check_can_release,
    check_pick,
    check_wave_settings,
    choose_orders,
    group_trips,
    orders_to_sort,
)

D = Decimal


def order(id_: int, lines: int = 1, priority: int = 0, ship: date | None = None, volume: str = "0") -> OrderFacts:
    return OrderFacts(id_, priority, ship, lines, D(volume))


def test_rule_takes_priority_then_ship_date_then_age() -> None:
    orders = [order(1, ship=date(2027, 1, 3)), order(2, priority=5), order(3, ship=date(2027, 1, 2)),
              order(4)]
    assert choose_orders(orders, None, WaveLimits()) == [2, 3, 1, 4]


def test_profile_keeps_single_or_multi_line_orders() -> None:
    orders = [order(1, lines=1), order(2, lines=3), order(3, lines=2)]
    assert choose_orders(orders, Profile.SINGLE_LINE, WaveLimits()) == [1]
    assert choose_orders(orders, Profile.MULTI_LINE, WaveLimits()) == [2, 3]


def test_limits_pass_over_an_order_that_does_not_fit_and_take_a_smaller_one() -> None:
    orders = [order(1, lines=3, volume="0.5"), order(2, lines=5, volume="0.1"), order(3, lines=1, volume="0.1")]
    assert choose_orders(orders, None, WaveLimits(max_lines=4)) == [1, 3]
    assert choose_orders(orders, None, WaveLimits(max_volume=D("0.25"))) == [2, 3]
    assert choose_orders(orders, None, WaveLimits(max_orders=2)) == [1, 2]


def pick(key: int, order_id: int, aisle: str, y: int, zone: int | None = None) -> Pick:
    return Pick(key, order_id, key * 10, zone, (aisle, D(y)))


def test_cluster_puts_neighbouring_orders_on_one_cart_each_in_its_tote() -> None:
    picks = [pick(1, 100, "C", 5), pick(2, 200, "A", 1), pick(3, 200, "A", 9), pick(4, 300, "A", 3),
             pick(5, 400, "B", 2)]
    trips = group_trips(picks, PickMode.CLUSTER, max_orders=2, max_lines=10)
    assert [sorted(trip.totes) for trip in trips] == [[200, 300], [100, 400]]
    assert trips[0].totes == {200: 1, 300: 2}


def test_cluster_respects_the_line_limit_and_splits_an_order_too_big_for_a_cart() -> None:
    picks = [pick(k, 1, "A", k) for k in range(1, 6)] + [pick(9, 2, "B", 1)]
    trips = group_trips(picks, PickMode.CLUSTER, max_orders=8, max_lines=2)
    assert [[p.key for p in trip.picks] for trip in trips] == [[1, 2], [3, 4], [5], [9]]
    assert orders_to_sort(trips, PickMode.CLUSTER, {1: 5, 2: 1}) == [1]


def test_batch_chunks_picks_by_place_and_slots_multi_line_orders() -> None:
    picks = [pick(1, 1, "B", 1), pick(2, 2, "A", 5), pick(3, 1, "A", 2)]
    trips = group_trips(picks, PickMode.BATCH, max_orders=8, max_lines=2)
    assert [[p.key for p in trip.picks] for trip in trips] == [[3, 2], [1]]
    assert trips[0].totes == {}
    assert orders_to_sort(trips, PickMode.BATCH, {1: 2, 2: 1}) == [1]


def test_zone_picking_gives_each_zone_its_trips_and_sorts_orders_that_span_zones() -> None:
    picks = [pick(1, 1, "A", 1, zone=7), pick(2, 1, "D", 1, zone=8), pick(3, 2, "A", 2, zone=7)]
    trips = group_trips(picks, PickMode.ZONE, max_orders=8, max_lines=10)
    assert [(trip.zone_id, [p.key for p in trip.picks]) for trip in trips] == [(7, [1, 3]), (8, [2])]
    assert orders_to_sort(trips, PickMode.ZONE, {1: 2, 2: 1}) == [1]


def test_settings_and_release_are_checked() -> None:
    with pytest.raises(InvalidInput) as error:
        check_wave_settings(0, 10)
    assert error.value.field == "max_orders_per_trip"
    with pytest.raises(InvalidInput):
        check_wave_settings(1, 501)
    with pytest.raises(Conflict):
        check_can_release("released")


TARGET = PickTarget("A-01", 5, "L1", None, D(3))


@pytest.mark.parametrize(("scanned", "field", "code"), [
    (PickScanned("A-02", 5, "L1", None, D(1)), "location", "wrong_location"),
    (PickScanned("A-01", 6, "L1", None, D(1)), "scan", "wrong_item"),
    (PickScanned("A-01", 5, "L2", None, D(1)), "lot_number", "wrong_lot"),
    (PickScanned("A-01", 5, None, None, D(1)), "lot_number", "wrong_lot"),
    (PickScanned("A-01", 5, "L1", None, D(4)), "quantity", "more_than_open"),
    (PickScanned("A-01", 5, "L1", None, D(0)), "quantity", "invalid"),
])
def test_a_pick_scan_must_match_the_task(scanned: PickScanned, field: str, code: str) -> None:
    with pytest.raises(InvalidInput) as error:
        check_pick(TARGET, scanned)
    assert (error.value.field, error.value.code) == (field, code)


def test_the_right_scan_passes_and_serials_are_checked() -> None:
    check_pick(TARGET, PickScanned("A-01", 5, "L1", None, D(3)))
    with pytest.raises(InvalidInput) as error:
        check_pick(PickTarget("A-01", 5, None, "SN1", D(1)), PickScanned("A-01", 5, None, "SN2", D(1)))
    assert error.value.code == "wrong_serial"


def test_a_pick_into_another_orders_tote_is_refused_and_an_unscanned_tote_is_not_checked() -> None:
    on_cart = PickTarget("A-01", 5, None, None, D(2), tote="T1-2")
    with pytest.raises(InvalidInput) as refused:
        check_pick(on_cart, PickScanned("A-01", 5, None, None, D(2), tote="T1-3"))
    assert (refused.value.field, refused.value.code) == ("tote", "wrong_tote")
    check_pick(on_cart, PickScanned("A-01", 5, None, None, D(2), tote=" t1-2 "))  # as a scanner or a thumb types it
    check_pick(on_cart, PickScanned("A-01", 5, None, None, D(2)))  # the API caller that scans no tote
