"""The ledger's rules: stock items, buckets, movements, allocations and the checks every posting passes.

A movement takes a quantity of one stock item (owner, SKU, lot, serial) from one bucket (location, container,
status) to another. Virtual locations (supplier, customer, adjustment, ...) make every movement balanced, so the
sum of an item over all locations is always zero. Balances are a projection of movements and allocation entries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from stockyard.domain.errors import DomainError, InvalidInput
from stockyard.domain.quantity import check_quantity

T = TypeVar("T")


class StockStatus(StrEnum):
    AVAILABLE = "available"
    QC = "qc"
    FROZEN = "frozen"
    DAMAGED = "damaged"
    RETURN_TO_VENDOR = "return_to_vendor"

    @property
    def allocatable(self) -> bool:
        """Invariant 5: only available stock is ever allocated."""
        return self is StockStatus.AVAILABLE


class VirtualKind(StrEnum):
    """The other side of every movement that enters or leaves the physical warehouse."""

    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    ADJUSTMENT = "adjustment"
    PRODUCTION = "production"
    IN_TRANSIT = "in_transit"
    SCRAP = "scrap"


VIRTUAL_LOCATION_CODES: dict[VirtualKind, str] = {kind: f"@{kind.value.upper().replace('_', '-')}"
                                                  for kind in VirtualKind}


class LocationStatus(StrEnum):
    ACTIVE = "active"
    BLOCKED = "blocked"


@dataclass(frozen=True, order=True)
class StockItem:
    owner_id: int
    sku_id: int
    lot_id: int | None = None
    serial: str | None = None


@dataclass(frozen=True, order=True)
class Bucket:
    location_id: int
    container_id: int | None = None
    status: StockStatus = StockStatus.AVAILABLE


@dataclass(frozen=True)
class Movement:
    item: StockItem
    source: Bucket
    target: Bucket
    quantity: Decimal


@dataclass(frozen=True)
class AllocationChange:
    """Reserve (positive) or release (negative) a quantity of an item in a bucket."""

    item: StockItem
    bucket: Bucket
    quantity: Decimal


@dataclass(frozen=True)
class PostingRequest:
    """One atomic posting: movements and allocation changes that succeed or fail together."""

    reason: str
    movements: Sequence[Movement] = ()
    allocations: Sequence[AllocationChange] = ()
    doc_type: str | None = None
    doc_ref: str | None = None
    user: str = "system"
    reverses_posting_id: int | None = None


# Facts the rules need about referenced master data, loaded by the service in one query per kind.

@dataclass(frozen=True)
class SkuFacts:
    id: int
    owner_id: int
    active: bool
    decimals: int
    lot_control: bool
    expiry_control: bool
    serial_control: bool


@dataclass(frozen=True)
class OwnerFacts:
    id: int
    active: bool


@dataclass(frozen=True)
class LotFacts:
    id: int
    sku_id: int
    expiry_date: date | None
    active: bool


@dataclass(frozen=True)
class LocationFacts:
    id: int
    warehouse_id: int
    active: bool
    status: LocationStatus
    virtual_kind: VirtualKind | None

    @property
    def is_virtual(self) -> bool:
        return self.virtual_kind is not None


@dataclass(frozen=True)
class ContainerFacts:
    id: int
    warehouse_id: int
    active: bool


@dataclass
class MasterFacts:
    owners: dict[int, OwnerFacts] = field(default_factory=dict)
    skus: dict[int, SkuFacts] = field(default_factory=dict)
    lots: dict[int, LotFacts] = field(default_factory=dict)
    locations: dict[int, LocationFacts] = field(default_factory=dict)
    containers: dict[int, ContainerFacts] = field(default_factory=dict)


SERIAL_MAX_LENGTH = 64


def check_serial(serial: str, field: str = "serial") -> str:
    """Serials are printable text; '|' is reserved because it separates the parts of a bucket key."""
    if not serial or len(serial) > SERIAL_MAX_LENGTH:
        raise InvalidInput(f"must be 1 to {SERIAL_MAX_LENGTH} characters", field=field)
    if "|" in serial or not serial.isprintable() or serial != serial.strip():
        raise InvalidInput("must be printable, without '|' or surrounding spaces", field=field)
    return serial


def check_item(item: StockItem, quantity: Decimal, facts: MasterFacts) -> Decimal:
    """The item rules: an active SKU of this owner, lot/expiry/serial as the SKU demands, a quantity it allows."""
    owner = facts.owners.get(item.owner_id)
    if owner is None:
        raise InvalidInput(f"owner {item.owner_id} does not exist", field="owner_id", code="unknown_owner")
    if not owner.active:
        raise InvalidInput(f"owner {item.owner_id} is inactive", field="owner_id", code="inactive_owner")
    sku = facts.skus.get(item.sku_id)
    if sku is None:
        raise InvalidInput(f"SKU {item.sku_id} does not exist", field="sku_id", code="unknown_sku")
    if not sku.active:
        raise InvalidInput(f"SKU {item.sku_id} is inactive", field="sku_id", code="inactive_sku")
    if sku.owner_id != item.owner_id:
        raise InvalidInput(f"SKU {item.sku_id} belongs to another owner", field="sku_id",
                           code="sku_of_other_owner")
    qty = check_quantity(quantity, decimals=sku.decimals)
    _check_lot(item, sku, facts)
    if sku.serial_control:
        if item.serial is None:
            raise InvalidInput("is required for this serial-controlled SKU", field="serial",
                               code="serial_required")
        check_serial(item.serial)
        if qty != 1:
            raise InvalidInput("must be exactly 1 for a serial number", field="quantity",
                               code="serial_quantity_not_one")
    elif item.serial is not None:
        raise InvalidInput("this SKU is not serial-controlled", field="serial", code="serial_not_allowed")
    return qty


def _check_lot(item: StockItem, sku: SkuFacts, facts: MasterFacts) -> None:
    if item.lot_id is None:
        if sku.lot_control:
            raise InvalidInput("is required for this lot-controlled SKU", field="lot_id", code="lot_required")
        if sku.expiry_control:
            raise InvalidInput("an expiry date is required for this expiry-controlled SKU", field="expiry_date",
                               code="expiry_required")
        return
    lot = facts.lots.get(item.lot_id)
    if lot is None or lot.sku_id != item.sku_id:
        raise InvalidInput(f"lot {item.lot_id} is not a lot of SKU {item.sku_id}", field="lot_id",
                           code="lot_of_other_sku")
    if not lot.active:
        raise InvalidInput(f"lot {item.lot_id} is inactive", field="lot_id", code="inactive_lot")
    if sku.expiry_control and lot.expiry_date is None:
        raise InvalidInput("an expiry date is required for this expiry-controlled SKU", field="expiry_date",
                           code="expiry_required")


def check_bucket(bucket: Bucket, facts: MasterFacts, side: str) -> LocationFacts:
    """A bucket is usable when its location exists, is active and not blocked, and its container fits."""
    location = facts.locations.get(bucket.location_id)
    field_name = f"{side}location_id"
    if location is None:
        raise InvalidInput(f"location {bucket.location_id} does not exist", field=field_name,
                       code="unknown_location")
    if not location.active:
        raise InvalidInput(f"location {bucket.location_id} is inactive", field=field_name,
                           code="inactive_location")
    if location.status is LocationStatus.BLOCKED:
        raise InvalidInput(f"location {bucket.location_id} is blocked", field=field_name,
                           code="location_blocked")
    if bucket.container_id is not None:
        container = facts.containers.get(bucket.container_id)
        container_field = f"{side}container_id"
        if container is None:
            raise InvalidInput(f"container {bucket.container_id} does not exist", field=container_field,
                           code="unknown_container")
        if location.is_virtual:
            raise InvalidInput("a virtual location holds no containers", field=container_field)
        if container.warehouse_id != location.warehouse_id:
            raise InvalidInput("the container belongs to another warehouse", field=container_field)
        if not container.active:
            raise InvalidInput(f"container {bucket.container_id} is inactive", field=container_field)
    return location


def check_movement(movement: Movement, facts: MasterFacts) -> Movement:
    """All rules of one movement that do not depend on balances."""
    qty = check_item(movement.item, movement.quantity, facts)
    source = check_bucket(movement.source, facts, "from_")
    target = check_bucket(movement.target, facts, "to_")
    if movement.source == movement.target:
        raise InvalidInput("source and target bucket are the same", field="to_location_id",
                           code="same_bucket")
    if source.is_virtual and target.is_virtual:
        raise InvalidInput("a movement needs at least one physical location", field="to_location_id")
    crossing = source.warehouse_id != target.warehouse_id
    if crossing and VirtualKind.IN_TRANSIT not in (source.virtual_kind, target.virtual_kind):
        raise InvalidInput("stock leaves a warehouse for another only through in-transit",
                           field="to_location_id", code="cross_warehouse")
    return Movement(movement.item, movement.source, movement.target, qty)


def check_allocation(change: AllocationChange, facts: MasterFacts) -> AllocationChange:
    sku = facts.skus.get(change.item.sku_id)
    if sku is None:
        raise InvalidInput(f"SKU {change.item.sku_id} does not exist", field="sku_id", code="unknown_sku")
    qty = check_quantity(abs(change.quantity), decimals=sku.decimals)
    if change.quantity > 0:
        check_item(change.item, qty, facts)
        location = check_bucket(change.bucket, facts, "")
        if location.is_virtual:
            raise InvalidInput("stock in a virtual location cannot be allocated", field="location_id")
        if not change.bucket.status.allocatable:
            raise InvalidInput(f"{change.bucket.status.value} stock cannot be allocated", field="status",
                               code="status_not_allocatable")
    return AllocationChange(change.item, change.bucket, qty.copy_sign(change.quantity))


def check_posting(request: PostingRequest, facts: MasterFacts) -> PostingRequest:
    """Check every movement and allocation; the error's field says which one, e.g. ``movements[2].lot``."""
    if not request.movements and not request.allocations:
        raise InvalidInput("a posting needs at least one movement or allocation", field="movements")
    if not request.reason:
        raise InvalidInput("is required", field="reason")
    movements = [_at(check_movement, m, facts, f"movements[{i}]") for i, m in enumerate(request.movements)]
    allocations = [_at(check_allocation, a, facts, f"allocations[{i}]")
                   for i, a in enumerate(request.allocations)]
    _check_serial_once(movements)
    return PostingRequest(request.reason, movements, allocations, request.doc_type, request.doc_ref,
                          request.user, request.reverses_posting_id)


def _at(check: Callable[[T, MasterFacts], T], value: T, facts: MasterFacts, prefix: str) -> T:
    try:
        return check(value, facts)
    except DomainError as error:
        raise error.at(prefix) from None


def _check_serial_once(movements: Sequence[Movement]) -> None:
    """Within one posting a serial may enter the physical warehouse only once."""
    seen: set[tuple[int, str]] = set()
    for index, movement in enumerate(movements):
        if movement.item.serial is None:
            continue
        key = (movement.item.sku_id, movement.item.serial)
        if key in seen:
            raise InvalidInput(f"serial {movement.item.serial} appears twice in this posting",
                               field=f"movements[{index}].serial", code="duplicate_serial")
        seen.add(key)


@dataclass(frozen=True)
class BalanceDelta:
    """The net change a posting makes to one balance row."""

    item: StockItem
    bucket: Bucket
    on_hand: Decimal
    allocated: Decimal
    key: str = ""


def balance_deltas(request: PostingRequest) -> list[BalanceDelta]:
    """Net each (item, bucket) over the posting, sorted so rows are always locked in the same order."""
    on_hand: defaultdict[tuple[StockItem, Bucket], Decimal] = defaultdict(Decimal)
    allocated: defaultdict[tuple[StockItem, Bucket], Decimal] = defaultdict(Decimal)
    for m in request.movements:
        on_hand[(m.item, m.source)] -= m.quantity
        on_hand[(m.item, m.target)] += m.quantity
    for a in request.allocations:
        allocated[(a.item, a.bucket)] += a.quantity
    keyed = sorted((bucket_key(item, bucket), item, bucket) for item, bucket in set(on_hand) | set(allocated))
    return [BalanceDelta(item, bucket, on_hand[(item, bucket)], allocated[(item, bucket)], key)
            for key, item, bucket in keyed]


def bucket_key(item: StockItem, bucket: Bucket) -> str:
    """The one text key of a balance row: unique, readable, and the order rows are locked in."""
    return "|".join((
        str(item.owner_id), str(item.sku_id), _opt(item.lot_id), item.serial or "",
        str(bucket.location_id), _opt(bucket.container_id), bucket.status.value,
    ))


def _opt(value: int | None) -> str:
    return "" if value is None else str(value)


def reversal_of(movements: Iterable[Movement]) -> list[Movement]:
    """Corrections are reversing movements: the same quantities, from where they went back to where they came."""
    return [Movement(m.item, m.target, m.source, m.quantity) for m in movements]
