"""Rules after picking: the put wall (播种), checking (复核) and packing (打包) an order, weighing its packages,
and what shipping does with the part of a line that was never picked.

Pure rules, no database: the services hand in what the order's lines picked, sorted and packed, and get back the
line an item goes to, or an error naming the field at fault.

* Put wall: an order whose picks are mixed with other orders' (batch or zone picking) has a slot. A scanned item
  goes to the lowest slot whose line of that SKU still needs it (picked − sorted); the slot is full when every
  line has sorted all it picked and no pick of the order is open.
* Check and pack: every unit is scanned again into a package. Only a SKU of the order, only what was picked (or
  sorted, for a put-wall order) and not yet packed, only a lot or serial that was picked for that line.
* Weighing: the scale's weight must lie within ± a tolerance of the expected weight (the items' weight per base
  unit × quantity, plus the carton's tare). A package whose last weighing failed is not closed.
* Shipping: what is picked ships; the rest of each line is short (closed unserved) or goes to a backorder, as the
  owner's shortage policy says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from stockyard.domain.errors import Conflict, InvalidInput
from stockyard.domain.quantity import MAX_DECIMALS

# Order statuses after allocation (the flow: picking → picked → packed → shipped; cancelled any time before).
PICKING = "picking"
PICKED = "picked"
PACKED = "packed"
SHIPPED = "shipped"
CANCELLED = "cancelled"

# A wave's items are sorted while it is picked and after its last pick (its status then is done).
SORTABLE_WAVES = frozenset({"released", "done"})

_STEP = Decimal(1).scaleb(-MAX_DECIMALS)


class ShortagePolicy(StrEnum):
    """What happens to the part of a line that was not picked when the order ships."""

    BACKORDER = "backorder"  # a new order for the rest, to ship later
    SHORT = "short"  # closed unserved


class PackageStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"  # its order was cancelled while it was open


# ---------------------------------------------------------------- put wall


@dataclass(frozen=True)
class SlotLine:
    """A line of an order that has a put-wall slot, with what was picked and sorted of it."""

    slot: int
    order_id: int
    line_id: int
    line_no: int
    sku_id: int
    picked: Decimal
    sorted: Decimal
    lots: frozenset[str] = frozenset()  # lot numbers picked for the line
    serials: frozenset[str] = frozenset()  # serials picked for the line

    @property
    def needs(self) -> Decimal:
        return self.picked - self.sorted


def check_can_sort(wave_status: str, slots: int) -> None:
    """A wave is sorted while it is released or once its picks are done, when some of its orders have a slot."""
    if wave_status not in SORTABLE_WAVES:
        raise Conflict(f"the wave is {wave_status}; only a released wave is sorted", field="wave_id",
                       code="wave_not_released")
    if slots == 0:
        raise Conflict("no order of this wave is sorted on the put wall: its picks go straight to check",
                       field="wave_id", code="wave_not_sorted")


def choose_slot(lines: Iterable[SlotLine], sku_ids: Iterable[int], quantity: Decimal, lot: str | None = None,
                serial: str | None = None) -> SlotLine:
    """The slot a scanned item goes to: the lowest slot (then line) of that SKU that still needs ``quantity`` of
    it, of the scanned lot and serial when the barcode names them."""
    wanted = set(sku_ids)
    needing = sorted((x for x in lines if x.sku_id in wanted and x.needs > 0), key=lambda x: (x.slot, x.line_no))
    if not needing:
        raise InvalidInput("no slot of this wave needs this item: put it aside for the supervisor", field="scan",
                           code="not_needed")
    if lot is not None:
        needing = [x for x in needing if lot in x.lots]
        if not needing:
            raise InvalidInput(f"lot {lot} was not picked for any slot that needs this item", field="lot_number",
                               code="wrong_lot")
    if serial is not None:
        needing = [x for x in needing if serial in x.serials]
        if not needing:
            raise InvalidInput(f"serial {serial} was not picked for any slot that needs this item", field="serial",
                               code="wrong_serial")
    for line in needing:
        if line.needs >= quantity:
            return line
    most = max(x.needs for x in needing)
    raise InvalidInput(f"no slot needs {quantity} of this item at once; at most {most}", field="quantity",
                       code="more_than_needed", details={"at_most": str(most)})


def slot_full(lines: Iterable[tuple[Decimal, Decimal]], open_picks: int) -> bool:
    """Every line of the order (picked, sorted) has sorted all it picked and nothing is left to pick: the order
    leaves the put wall for check."""
    return open_picks == 0 and all(sorted_ == picked for picked, sorted_ in lines)


# ---------------------------------------------------------------- check and pack


@dataclass(frozen=True)
class PackLine:
    """A line of the order being checked: what may be packed of it, and what already was, by lot and serial."""

    line_id: int
    line_no: int
    sku_id: int
    packable: Decimal  # picked, or sorted for an order on the put wall
    packed: Decimal
    picked_lots: Mapping[str, Decimal] = field(default_factory=dict)  # lot number → quantity picked
    packed_lots: Mapping[str, Decimal] = field(default_factory=dict)  # lot number → quantity packed (when scanned)
    picked_serials: frozenset[str] = frozenset()
    packed_serials: frozenset[str] = frozenset()
    unlotted: bool = False  # some of what was picked has no lot

    @property
    def left(self) -> Decimal:
        return self.packable - self.packed

    def lot_left(self, lot: str) -> Decimal:
        return self.picked_lots.get(lot, Decimal(0)) - self.packed_lots.get(lot, Decimal(0))


def check_can_pack(status: str, open_picks: int, needs_sorting: bool) -> None:
    """An order is checked and packed once it is picked: no pick open, and sorted when it has a slot."""
    if status == CANCELLED:
        raise Conflict("the order is cancelled", field="order_id", code="order_cancelled")
    if status == SHIPPED:
        raise Conflict("the order has shipped", field="order_id", code="order_shipped")
    if status == PACKED:
        raise Conflict("the order is packed: every package is closed", field="order_id", code="order_packed")
    if open_picks or status != PICKED:
        raise Conflict("the order still has picks open; pack it once it is picked", field="order_id",
                       code="order_not_picked", details={"open_picks": open_picks})
    if needs_sorting:
        raise Conflict("the order has items still to sort on the put wall", field="order_id",
                       code="order_not_sorted")


def choose_pack_line(lines: Sequence[PackLine], sku_id: int, quantity: Decimal, *, lot: str | None = None,
                     serial: str | None = None, serial_control: bool = False) -> PackLine:
    """The line a checked item is packed against, or why it may not be packed: another SKU (``wrong_item``),
    more than is left to pack (``extra_item``), a lot or serial that was not picked for the order."""
    of_sku = sorted((x for x in lines if x.sku_id == sku_id), key=lambda x: x.line_no)
    if not of_sku:
        raise InvalidInput("this item is not on the order", field="scan", code="wrong_item")
    if serial_control and serial is None:
        raise InvalidInput("this SKU is serial-controlled: scan the serial", field="serial", code="serial_required")
    if serial is not None:
        _check_serial(of_sku, serial, quantity)
        of_sku = [x for x in of_sku if serial in x.picked_serials]
    if lot is not None:
        of_sku = [x for x in of_sku if lot in x.picked_lots]
        if not of_sku:
            raise InvalidInput(f"lot {lot} was not picked for this order", field="lot_number", code="wrong_lot")
    for line in of_sku:
        if line.left >= quantity and (lot is None or line.lot_left(lot) >= quantity):
            return line
    left = max(min(x.left, x.lot_left(lot)) if lot is not None else x.left for x in of_sku)
    raise InvalidInput(f"{quantity} is more than is left to pack of this item ({max(left, Decimal(0))})",
                       field="quantity", code="extra_item", details={"left": str(max(left, Decimal(0)))})


def _check_serial(lines: Sequence[PackLine], serial: str, quantity: Decimal) -> None:
    if quantity != 1:
        raise InvalidInput("a serial is one unit", field="quantity", code="serial_quantity_not_one")
    if not any(serial in x.picked_serials for x in lines):
        raise InvalidInput(f"serial {serial} was not picked for this order", field="serial", code="wrong_serial")
    if any(serial in x.packed_serials for x in lines):
        raise InvalidInput(f"serial {serial} is already packed", field="serial", code="serial_already_packed")


def order_packed(lines: Iterable[tuple[Decimal, Decimal]], open_picks: int, open_packages: int) -> bool:
    """Packed: every line (picked, packed) packed all it picked, at least one unit is packed, no pick is open and
    every package is closed."""
    pairs = list(lines)
    return (open_picks == 0 and open_packages == 0 and all(packed == picked for picked, packed in pairs)
            and sum((packed for _, packed in pairs), Decimal(0)) > 0)


# ---------------------------------------------------------------- weighing


def item_weight(unit_weight: Decimal | None, quantity: Decimal) -> Decimal | None:
    """The weight (kg) of ``quantity`` base units, to the precision weights are kept in; None when the SKU has
    no weight."""
    if unit_weight is None:
        return None
    return (unit_weight * quantity).quantize(_STEP, rounding=ROUND_HALF_UP)


def add_weight(expected: Decimal | None, unit_weight: Decimal | None, quantity: Decimal) -> Decimal | None:
    """The package's expected weight after packing ``quantity`` more of an item; once an item without a weight
    is in the package, nothing can be expected of it."""
    more = item_weight(unit_weight, quantity)
    return None if expected is None or more is None else expected + more


@dataclass(frozen=True)
class WeightCheck:
    expected: Decimal
    actual: Decimal
    tolerance_pct: Decimal

    @property
    def difference(self) -> Decimal:
        return self.actual - self.expected

    @property
    def allowed(self) -> Decimal:
        """The largest difference accepted either way (kg)."""
        return (self.expected * self.tolerance_pct / 100).quantize(_STEP, rounding=ROUND_HALF_UP)

    @property
    def ok(self) -> bool:
        return abs(self.difference) <= self.allowed


def check_weight(expected: Decimal | None, actual: Decimal, tolerance_pct: Decimal) -> WeightCheck:
    """Compare the scale's weight with what the package should weigh; 409 when nothing can be expected (an item
    of the package has no weight on its SKU)."""
    if actual <= 0:
        raise InvalidInput("a package weighs more than nothing", field="weight", code="weight_not_positive")
    if expected is None:
        raise Conflict("an item of this package has no weight on its SKU, so its weight cannot be checked",
                       field="weight", code="no_expected_weight")
    return WeightCheck(expected, actual, tolerance_pct)


def mismatch_message(check: WeightCheck) -> str:
    return (f"the package weighs {check.actual} kg, {check.expected} kg expected (± {check.tolerance_pct} %, "
            f"{check.allowed} kg): weigh it again after checking its contents")


def check_can_close(status: str, items: int, weight_checked: bool | None, expected: Decimal | None,
                    weight: Decimal | None) -> None:
    if status != PackageStatus.OPEN:
        raise Conflict(f"the package is {status}", field="package_id", code="package_closed")
    if items == 0:
        raise Conflict("the package is empty: pack something or leave it", field="package_id",
                       code="package_empty")
    if weight_checked is False:
        raise Conflict(f"the last weighing failed ({weight} kg, {expected} kg expected): weigh it again",
                       field="weight", code="weight_mismatch",
                       details={"expected": str(expected), "actual": str(weight)})


# ---------------------------------------------------------------- shipping


def check_can_ship(status: str) -> None:
    if status == CANCELLED:
        raise Conflict("the order is cancelled", field="order_id", code="order_cancelled")
    if status == SHIPPED:
        raise Conflict("the order has shipped already", field="order_id", code="order_shipped")
    if status != PACKED:
        raise Conflict(f"the order is {status}: only a packed order ships", field="order_id",
                       code="order_not_packed")


@dataclass(frozen=True)
class Settled:
    """What becomes of a line's unshipped rest."""

    short: Decimal  # closed unserved
    backorder: Decimal  # ordered again on the backorder


def settle(quantity: Decimal, shipped: Decimal, policy: str) -> Settled:
    rest = max(quantity - shipped, Decimal(0))
    if policy == ShortagePolicy.SHORT:
        return Settled(rest, Decimal(0))
    return Settled(Decimal(0), rest)


MAX_REF = 64


def backorder_ref(ref: str, n: int) -> str:
    """``SO-1`` → ``SO-1-BO1``; a reference too long for the suffix loses its end, never the suffix."""
    suffix = f"-BO{n}"
    return ref[:MAX_REF - len(suffix)] + suffix
