"""Waves (波次) and picker trips: which orders go into a wave, how its picks are grouped into trips, which orders
meet at the put wall (播种), and what a pick scan must match.

Pure rules; the services read the facts and write the results."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from stockyard.domain.errors import Conflict, InvalidInput


class PickMode(StrEnum):
    CLUSTER = "cluster"  # several orders per trip, each into its own tote: no sorting afterwards
    BATCH = "batch"  # the picks of many orders together, sorted to orders at the put wall afterwards
    ZONE = "zone"  # one trip per zone; orders spanning zones meet at the put wall


class WaveStatus(StrEnum):
    CREATED = "created"
    RELEASED = "released"
    DONE = "done"
    CANCELLED = "cancelled"


class Profile(StrEnum):
    SINGLE_LINE = "single_line"
    MULTI_LINE = "multi_line"


MAX_TRIP_ORDERS = 64
MAX_TRIP_LINES = 500


def check_wave_settings(max_orders_per_trip: int, max_lines_per_trip: int) -> None:
    if not 1 <= max_orders_per_trip <= MAX_TRIP_ORDERS:
        raise InvalidInput(f"must be 1 to {MAX_TRIP_ORDERS}", field="max_orders_per_trip")
    if not 1 <= max_lines_per_trip <= MAX_TRIP_LINES:
        raise InvalidInput(f"must be 1 to {MAX_TRIP_LINES}", field="max_lines_per_trip")


def check_can_release(status: str) -> None:
    if status != WaveStatus.CREATED:
        raise Conflict(f"the wave is {status}; only a created wave is released", field="wave_id",
                       code="wave_not_created")


# ---------------------------------------------------------------- choosing orders by rule


@dataclass(frozen=True)
class WaveLimits:
    max_orders: int | None = None
    max_lines: int | None = None
    max_volume: Decimal | None = None  # cubic metres, Σ SKU volume × quantity


@dataclass(frozen=True)
class OrderFacts:
    id: int
    priority: int
    requested_ship_date: date | None
    lines: int
    volume: Decimal  # unknown SKU volumes count as 0


def choose_orders(orders: Iterable[OrderFacts], profile: Profile | None, limits: WaveLimits) -> list[int]:
    """The orders a rule-made wave takes: highest priority first, then the earliest requested ship date, then
    the oldest; an order that would break a limit is passed over, a smaller one after it may still fit."""
    chosen: list[int] = []
    lines, volume = 0, Decimal(0)
    ranked = sorted(orders, key=lambda o: (-o.priority, o.requested_ship_date or date.max, o.id))
    for order in ranked:
        if (profile is Profile.SINGLE_LINE and order.lines != 1) or (profile is Profile.MULTI_LINE and order.lines < 2):
            continue
        if limits.max_orders is not None and len(chosen) >= limits.max_orders:
            break
        if limits.max_lines is not None and lines + order.lines > limits.max_lines:
            continue
        if limits.max_volume is not None and volume + order.volume > limits.max_volume:
            continue
        chosen.append(order.id)
        lines += order.lines
        volume += order.volume
    return chosen


# ---------------------------------------------------------------- trips


@dataclass(frozen=True)
class Pick:
    """One pick to place in a trip: ``key`` is the caller's handle (an allocation id)."""

    key: int
    order_id: int
    location_id: int
    zone_id: int | None
    place: tuple[str, Decimal]  # aisle and position along it: keeps neighbouring picks in one trip


@dataclass
class TripPlan:
    zone_id: int | None
    picks: list[Pick] = field(default_factory=list)
    totes: dict[int, int] = field(default_factory=dict)  # order id → tote number on the cart (cluster picking)


def group_trips(picks: Sequence[Pick], mode: PickMode, max_orders: int, max_lines: int) -> list[TripPlan]:
    """Split a wave's picks into trips of at most ``max_lines`` picks (and ``max_orders`` orders when clustering)."""
    if mode is PickMode.CLUSTER:
        return _cluster(picks, max_orders, max_lines)
    if mode is PickMode.BATCH:
        return _chunks(picks, None, max_lines)
    by_zone: defaultdict[int | None, list[Pick]] = defaultdict(list)
    for pick in picks:
        by_zone[pick.zone_id].append(pick)
    return [trip for zone in sorted(by_zone, key=lambda z: (z is None, z or 0))
            for trip in _chunks(by_zone[zone], zone, max_lines)]


def _chunks(picks: Sequence[Pick], zone_id: int | None, max_lines: int) -> list[TripPlan]:
    ordered = sorted(picks, key=lambda p: (p.place, p.location_id, p.key))
    return [TripPlan(zone_id, ordered[i:i + max_lines]) for i in range(0, len(ordered), max_lines)]


def _cluster(picks: Sequence[Pick], max_orders: int, max_lines: int) -> list[TripPlan]:
    by_order: defaultdict[int, list[Pick]] = defaultdict(list)
    for pick in picks:
        by_order[pick.order_id].append(pick)
    # Orders whose first pick lies near each other share a cart.
    orders = sorted(by_order, key=lambda o: (min(p.place for p in by_order[o]), o))
    trips: list[TripPlan] = []
    current = TripPlan(None)
    for order_id in orders:
        own = by_order[order_id]
        if current.picks and (len(current.totes) >= max_orders or len(current.picks) + len(own) > max_lines):
            trips.append(current)
            current = TripPlan(None)
        if len(own) > max_lines:  # an order bigger than a cart's limit walks alone, in several trips
            trips += [TripPlan(None, chunk.picks, {order_id: 1}) for chunk in _chunks(own, None, max_lines)]
            continue
        current.totes[order_id] = len(current.totes) + 1
        current.picks += own
    if current.picks:
        trips.append(current)
    return trips


def orders_to_sort(trips: Sequence[TripPlan], mode: PickMode, lines_per_order: dict[int, int]) -> list[int]:
    """Orders that must meet at the put wall: picked in more than one trip, or batch-picked with several lines
    (a batch trip mixes orders in one tote)."""
    trips_of: defaultdict[int, set[int]] = defaultdict(set)
    for index, trip in enumerate(trips):
        for pick in trip.picks:
            trips_of[pick.order_id].add(index)
    return sorted(order_id for order_id, seen in trips_of.items()
                  if len(seen) > 1 or (mode is PickMode.BATCH and lines_per_order.get(order_id, 0) > 1))


# ---------------------------------------------------------------- a pick scan


@dataclass(frozen=True)
class PickTarget:
    """What the task expects."""

    location_code: str
    sku_id: int
    lot_number: str | None
    serial: str | None
    open_quantity: Decimal
    tote: str | None = None  # the cart position the pick goes into (cluster picking)


@dataclass(frozen=True)
class PickScanned:
    """What the picker scanned (the SKU already resolved from the barcode)."""

    location_code: str
    sku_id: int
    lot_number: str | None
    serial: str | None
    quantity: Decimal
    tote: str | None = None  # the tote label scanned, when the picker scanned one


def check_pick(target: PickTarget, scanned: PickScanned) -> None:
    """A pick counts only at the right location, of the right item, lot and serial, not more than is open, and
    into the order's own tote when one was scanned (a pick into another order's tote is a mis-ship later)."""
    if scanned.location_code != target.location_code:
        raise InvalidInput(f"this is not the pick location: go to {target.location_code}", field="location",
                           code="wrong_location")
    if scanned.sku_id != target.sku_id:
        raise InvalidInput("this is not the item to pick here", field="scan", code="wrong_item")
    if target.lot_number is not None and scanned.lot_number != target.lot_number:
        raise InvalidInput(f"pick lot {target.lot_number}", field="lot_number", code="wrong_lot")
    if target.serial is not None and scanned.serial != target.serial:
        raise InvalidInput(f"pick serial {target.serial}", field="serial", code="wrong_serial")
    if scanned.quantity <= 0:
        raise InvalidInput("must be positive", field="quantity")
    if scanned.quantity > target.open_quantity:
        raise InvalidInput(f"only {target.open_quantity} is to be picked here", field="quantity",
                           code="more_than_open")
    if target.tote is not None and scanned.tote is not None and \
            scanned.tote.strip().upper() != target.tote.upper():
        raise InvalidInput(f"put it into tote {target.tote}", field="tote", code="wrong_tote")
