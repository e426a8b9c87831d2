"""Allocation (分配): which stock a shipment line takes, in which order, and why other stock was passed over.

Pure rules, no database: the service hands in every physical balance of the owner's SKU in the order's warehouse
(``Candidate``) and gets back a deterministic ``Plan`` that names a reason for each bucket it takes and each one
it skips.

Ranking, per the order's rule:

* FEFO: the lot expiring first; stock without an expiry date last.
* FIFO: the lot produced first, then the lower lot id; lots without a production date after dated ones, stock
  without a lot last.
* LIFO: the lot produced last first (the reverse of FIFO's age order); stock without a lot still last, as its
  age is unknown.

Then, at equal rank: pick faces before other locations, the smallest available quantity first (cleans out small
remainders), and the location code, container and serial for a total order.

Where the stock is taken from (within one rank, the rule's order is never broken):

* Full cases from case locations: when the SKU has a case pack, the whole cases of the demand come first from
  other locations than pick faces, in whole cases only; the eaches that remain come from pick faces first.
* Fewest locations: when one location of the rank can give all that is still needed, the smallest such one
  gives it; otherwise the smallest quantities go first, so small remainders are cleaned out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from stockyard.domain.errors import Conflict
from stockyard.domain.stock import Bucket, StockItem, StockStatus


class Rule(StrEnum):
    FIFO = "fifo"
    FEFO = "fefo"
    LIFO = "lifo"


class OrderType(StrEnum):
    SALES_B2C = "sales_b2c"
    SALES_B2B = "sales_b2b"
    MATERIAL_ISSUE = "material_issue"
    TRANSFER_OUT = "transfer_out"
    RETURN_TO_VENDOR = "return_to_vendor"


class OrderStatus(StrEnum):
    CREATED = "created"
    PARTIALLY_ALLOCATED = "partially_allocated"
    ALLOCATED = "allocated"
    PICKING = "picking"  # in a released wave
    PICKED = "picked"  # nothing left to pick
    PACKED = "packed"  # everything picked is checked into closed packages
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


# Before a wave is released the order may still be allocated, held and put into a wave.
OPEN_STATUSES = frozenset({OrderStatus.CREATED, OrderStatus.PARTIALLY_ALLOCATED, OrderStatus.ALLOCATED})


PICK_FACE = "pick_face"
# Stock is picked from shelves only: on a dock it waits for putaway, in QC for a verdict, in staging, packing and
# shipping areas it is already an order's (or on its way back to a shelf).
PICKABLE_KINDS = frozenset({"storage", PICK_FACE})


@dataclass(frozen=True)
class Candidate:
    """One balance row that might serve a line: the stock item, its bucket and what is free of it."""

    item: StockItem
    bucket: Bucket
    available: Decimal  # on hand minus allocated
    location_code: str
    location_kind: str = "storage"
    location_usable: bool = True  # active and not blocked
    lot_number: str | None = None
    expiry: date | None = None
    production: date | None = None


@dataclass(frozen=True)
class Demand:
    quantity: Decimal  # what the line still needs, base units
    today: date
    lot_number: str | None = None
    min_shelf_life_days: int | None = None
    case_size: Decimal | None = None  # base units in the SKU's case pack, when it has one

    @property
    def expires_not_before(self) -> date | None:
        """The earliest expiry the customer accepts (``None``: no minimum)."""
        if self.min_shelf_life_days is None:
            return None
        return self.today + timedelta(days=self.min_shelf_life_days)


@dataclass(frozen=True)
class Skip:
    candidate: Candidate
    code: str  # status | location_blocked | not_pickable | expired | short_shelf_life | other_lot | nothing_available
    reason: str


@dataclass(frozen=True)
class Take:
    candidate: Candidate
    quantity: Decimal
    reason: str


@dataclass
class Plan:
    takes: list[Take] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)

    @property
    def quantity(self) -> Decimal:
        return sum((take.quantity for take in self.takes), Decimal(0))


def skip_reason(candidate: Candidate, demand: Demand) -> Skip | None:
    """Why this candidate cannot serve the demand at all, or ``None`` when it can."""
    status = candidate.bucket.status
    if status is not StockStatus.AVAILABLE:
        return Skip(candidate, "status", f"status {status.value}: only available stock is allocated")
    if not candidate.location_usable:
        return Skip(candidate, "location_blocked", f"location {candidate.location_code} is blocked or inactive")
    if candidate.location_kind not in PICKABLE_KINDS:
        return Skip(candidate, "not_pickable", f"{candidate.location_code} is a {candidate.location_kind} location: "
                                               "stock is picked from storage and pick faces only")
    if demand.lot_number is not None and candidate.lot_number != demand.lot_number:
        return Skip(candidate, "other_lot", f"lot {candidate.lot_number or '(none)'} is not the requested lot "
                                            f"{demand.lot_number}")
    if candidate.expiry is not None and candidate.expiry < demand.today:
        return Skip(candidate, "expired", f"expired {candidate.expiry.isoformat()}")
    minimum = demand.expires_not_before
    if minimum is not None and candidate.expiry is not None and candidate.expiry < minimum:
        return Skip(candidate, "short_shelf_life",
                    f"expires {candidate.expiry.isoformat()}, before the customer's minimum {minimum.isoformat()}")
    if candidate.available <= 0:
        return Skip(candidate, "nothing_available", "nothing available: all of it is allocated")
    return None


def rank_key(candidate: Candidate, rule: Rule) -> tuple[object, ...]:
    """The sort key of an eligible candidate under ``rule``; lower is taken first."""
    return (*_rule_order(candidate, rule), candidate.location_kind != PICK_FACE, *_tie_break(candidate))


def _rule_order(candidate: Candidate, rule: Rule) -> tuple[object, ...]:
    if rule is Rule.FEFO:
        return (candidate.expiry is None, candidate.expiry or date.max)
    lot = candidate.item.lot_id
    produced = candidate.production
    if rule is Rule.FIFO:
        return (lot is None, produced is None, produced or date.max, lot or 0)
    # LIFO: newest production first, then the higher lot id; no lot last
    return (lot is None, produced is None, -(produced or date.min).toordinal(), -(lot or 0))


def _tie_break(candidate: Candidate) -> tuple[object, ...]:
    return (candidate.available, candidate.location_code, candidate.bucket.container_id or 0,
            candidate.item.lot_id or 0, candidate.item.serial or "")


def take_reason(candidate: Candidate, rule: Rule) -> str:
    """What made this stock the one to take, e.g. ``FEFO: expires 2027-01-31; pick face``."""
    if rule is Rule.FEFO:
        why = f"expires {candidate.expiry.isoformat()}" if candidate.expiry else "no expiry date"
    elif candidate.item.lot_id is None:
        why = "no lot"
    elif candidate.production is not None:
        why = f"produced {candidate.production.isoformat()}"
    else:
        why = "no production date"
    if candidate.lot_number is not None:
        why += f" (lot {candidate.lot_number})"
    place = "pick face" if candidate.location_kind == PICK_FACE else candidate.location_kind.replace("_", " ")
    return f"{rule.value.upper()}: {why}; {place} {candidate.location_code}"


def plan(candidates: Iterable[Candidate], demand: Demand, rule: Rule) -> Plan:
    """Whole cases from case locations first, then the rest from pick faces first, each pass in rank order
    (see the module's docstring); list what was skipped and why."""
    result = Plan()
    eligible: list[Candidate] = []
    for candidate in candidates:
        skip = skip_reason(candidate, demand)
        if skip is None:
            eligible.append(candidate)
        else:
            result.skipped.append(skip)
    result.skipped.sort(key=lambda s: (s.candidate.location_code, s.candidate.item.lot_id or 0,
                                       s.candidate.bucket.container_id or 0, s.candidate.bucket.status.value,
                                       s.candidate.item.serial or ""))
    left = {id(c): c.available for c in eligible}
    remaining = demand.quantity
    case = demand.case_size
    if case is not None and case > 0 and remaining >= case:
        for candidate in sorted(eligible, key=lambda c: _case_key(c, rule)):
            cases = min(left[id(candidate)], remaining) // case * case
            if cases > 0:
                result.takes.append(Take(candidate, cases, take_reason(candidate, rule) + "; full cases"))
                left[id(candidate)] -= cases
                remaining -= cases
    _take_rest(eligible, left, remaining, rule, result)
    return result


def _case_key(candidate: Candidate, rule: Rule) -> tuple[object, ...]:
    """Whole cases: the rule's order, then case locations before pick faces."""
    return (*_rule_order(candidate, rule), candidate.location_kind == PICK_FACE, *_tie_break(candidate))


def _take_rest(eligible: list[Candidate], left: dict[int, Decimal], remaining: Decimal, rule: Rule,
               result: Plan) -> None:
    """Per rank group (rule order, then pick faces first): one location when one can give it all, else the
    smallest quantities first."""
    groups: dict[tuple[object, ...], list[Candidate]] = {}
    for candidate in sorted(eligible, key=lambda c: rank_key(c, rule)):
        groups.setdefault((*_rule_order(candidate, rule), candidate.location_kind != PICK_FACE), []).append(candidate)
    for group in groups.values():
        while remaining > 0:
            open_ = [c for c in group if left[id(c)] > 0]
            if not open_:
                break
            covering = [c for c in open_ if left[id(c)] >= remaining]
            candidate = covering[0] if covering else open_[0]
            quantity = min(left[id(candidate)], remaining)
            result.takes.append(Take(candidate, quantity, take_reason(candidate, rule)))
            left[id(candidate)] -= quantity
            remaining -= quantity
        if remaining <= 0:
            return


def check_can_allocate(status: str, on_hold: bool) -> None:
    check_open(status)
    if on_hold:
        raise Conflict("the order is on hold; release the hold first", field="order_id", code="order_on_hold")


def check_open(status: str) -> None:
    """Allocating by hand, holding and putting into a wave need an order no wave has released yet."""
    check_can_cancel(status)
    if status not in OPEN_STATUSES:
        raise Conflict(f"the order is {status}: its wave is released", field="order_id", code="order_in_progress")


def check_can_cancel(status: str) -> None:
    """An order can be cancelled at any stage before it ships."""
    if status == OrderStatus.CANCELLED:
        raise Conflict("the order is cancelled", field="order_id", code="order_cancelled")
    if status == OrderStatus.SHIPPED:
        raise Conflict("the order has shipped", field="order_id", code="order_shipped")


def status_after(needed: Sequence[Decimal], allocated: Sequence[Decimal]) -> OrderStatus:
    """created (nothing allocated), allocated (every line in full) or partially_allocated."""
    if all(a <= 0 for a in allocated):
        return OrderStatus.CREATED
    if all(a >= n for n, a in zip(needed, allocated, strict=True)):
        return OrderStatus.ALLOCATED
    return OrderStatus.PARTIALLY_ALLOCATED
