"""Request and response bodies. Types, lengths and enumerations are checked here; the rules in ``domain``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from stockyard.domain.master import (
    BarcodeKind,
    ContainerKind,
    LocationKind,
    PackLevel,
    StorageCondition,
    ZoneKind,
)
from stockyard.domain.stock import StockStatus, VirtualKind

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32,
                                        pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")]
LongCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                            pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=16)]
Measure = Annotated[Decimal, Field(ge=0, max_digits=19, decimal_places=6)]
# Ids are 64-bit in the database: a bigger number is a 422 naming the field, not an overflow in the driver.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(gt=0, le=MAX_ID)]

T = TypeVar("T")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Out, Generic[T]):
    items: list[T]
    next_cursor: int | None = Field(description="pass as ?cursor= to get the next page; null on the last")


# ---------------------------------------------------------------- warehouses, zones, locations

class WarehouseCreate(Body):
    code: Code
    name: Name
    address: dict[str, Any] | None = None
    timezone: str = "UTC"


class WarehouseUpdate(Body):
    name: Name | None = None
    address: dict[str, Any] | None = None
    timezone: str | None = None
    active: bool | None = None


class WarehouseOut(Out):
    id: int
    code: str
    name: str
    address: dict[str, Any] | None
    timezone: str
    active: bool
    created_at: datetime
    updated_at: datetime


class ZoneCreate(Body):
    warehouse_id: Id
    code: Code
    name: Name
    kind: ZoneKind


class ZoneUpdate(Body):
    code: Code | None = None
    name: Name | None = None
    kind: ZoneKind | None = None
    active: bool | None = None


class ZoneOut(Out):
    id: int
    warehouse_id: int
    code: str
    name: str
    kind: str
    active: bool
    created_at: datetime
    updated_at: datetime


class LocationFields(Body):
    zone_id: Id | None = None
    aisle: Short | None = None
    bay: Short | None = None
    level: Short | None = None
    position: Short | None = None
    x: Annotated[Decimal, Field(max_digits=19, decimal_places=6)] | None = Field(None, description="metres")
    y: Annotated[Decimal, Field(max_digits=19, decimal_places=6)] | None = Field(None, description="metres")
    pick_sequence: Annotated[int, Field(ge=0)] | None = None
    max_volume: Measure | None = Field(None, description="cubic metres")
    max_weight: Measure | None = Field(None, description="kilograms")
    max_units: Measure | None = Field(None, description="base units of any SKU")
    max_pallets: Annotated[int, Field(ge=0)] | None = None
    mix_skus: bool | None = None
    mix_lots: bool | None = None
    status: Annotated[str, Field(pattern="^(active|blocked)$")] | None = None


class LocationCreate(LocationFields):
    warehouse_id: Id
    code: LongCode
    kind: LocationKind = LocationKind.STORAGE


class LocationUpdate(LocationFields):
    code: LongCode | None = None
    kind: LocationKind | None = None
    active: bool | None = None


class LocationOut(Out):
    id: int
    warehouse_id: int
    zone_id: int | None
    code: str
    kind: str
    virtual_kind: VirtualKind | None
    aisle: str | None
    bay: str | None
    level: str | None
    position: str | None
    x: Decimal | None
    y: Decimal | None
    pick_sequence: int | None
    max_volume: Decimal | None
    max_weight: Decimal | None
    max_units: Decimal | None
    max_pallets: int | None
    mix_skus: bool
    mix_lots: bool
    status: str
    active: bool
    created_at: datetime
    updated_at: datetime


# ---------------------------------------------------------------- owners, SKUs, lots

Percent = Annotated[Decimal, Field(ge=0, le=1000, max_digits=10, decimal_places=4)]
ShelfDays = Annotated[int, Field(ge=0, le=36500)]
ReceiptTypeName = Literal["purchase", "customer_return", "transfer_in", "production"]


class OwnerPolicy(Body):
    over_receipt_pct: Percent | None = Field(None, description="over-receipt tolerance, % of the expected quantity")
    min_shelf_life_days: ShelfDays | None = Field(None, description="refuse stock with less shelf life left")
    qc_required: bool | None = Field(None, description="all received stock goes to QC")
    qc_receipt_types: list[ReceiptTypeName] | None = Field(None, description="receipt types that go to QC")
    blind_receiving: bool | None = Field(None, description="receivers do not see expected quantities")
    shortage_policy: Literal["backorder", "short"] | None = Field(
        None, description="what is not shipped: a backorder order for the rest, or closed short")


class OwnerCreate(OwnerPolicy):
    code: Code
    name: Name
    contact: dict[str, Any] | None = None


class OwnerUpdate(OwnerPolicy):
    name: Name | None = None
    contact: dict[str, Any] | None = None
    active: bool | None = None


class OwnerOut(Out):
    id: int
    code: str
    name: str
    contact: dict[str, Any] | None
    over_receipt_pct: Decimal
    min_shelf_life_days: int | None
    qc_required: bool
    qc_receipt_types: list[str] | None
    blind_receiving: bool
    shortage_policy: str
    active: bool
    created_at: datetime
    updated_at: datetime


class PackIn(Body):
    level: PackLevel
    uom: Annotated[str, StringConstraints(min_length=1, max_length=3)]
    factor: Annotated[Decimal, Field(gt=0, max_digits=19, decimal_places=6)] = Field(
        description="base units in one of this pack")
    decimals: Annotated[int, Field(ge=0, le=6)] = 0


class BarcodeIn(Body):
    barcode: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    kind: BarcodeKind = BarcodeKind.GTIN
    pack_level: PackLevel = PackLevel.EACH


class SkuFields(Body):
    name: Name | None = None
    specification: Annotated[str, StringConstraints(max_length=200)] | None = None
    base_uom: Annotated[str, StringConstraints(min_length=1, max_length=3)] | None = None
    decimals: Annotated[int, Field(ge=0, le=6)] | None = None
    length: Measure | None = Field(None, description="metres")
    width: Measure | None = Field(None, description="metres")
    height: Measure | None = Field(None, description="metres")
    volume: Measure | None = Field(None, description="cubic metres per base unit")
    weight: Measure | None = Field(None, description="kilograms per base unit")
    unit_cost: Measure | None = Field(None, description="value of one base unit, for approvals by value")
    category: Annotated[str, StringConstraints(max_length=64)] | None = None
    abc_class: Annotated[str, Field(pattern="^[ABC]$")] | None = None
    lot_control: bool | None = None
    expiry_control: bool | None = None
    shelf_life_days: Annotated[int, Field(gt=0)] | None = None
    serial_control: bool | None = None
    storage_condition: StorageCondition | None = None
    over_receipt_pct: Percent | None = Field(None, description="overrides the owner's tolerance")
    min_shelf_life_days: ShelfDays | None = Field(None, description="overrides the owner's minimum")
    qc_required: bool | None = Field(None, description="overrides the owner's QC setting")
    packs: list[PackIn] | None = None
    barcodes: list[BarcodeIn] | None = None


class SkuCreate(SkuFields):
    owner_id: Id
    code: LongCode
    name: Name
    base_uom: Annotated[str, StringConstraints(min_length=1, max_length=3)] = "C62"
    decimals: Annotated[int, Field(ge=0, le=6)] = 0


class SkuUpdate(SkuFields):
    active: bool | None = None


class PackOut(Out):
    level: str
    uom: str
    factor: Decimal
    decimals: int


class BarcodeOut(Out):
    barcode: str
    kind: str
    pack_level: str


class SkuOut(Out):
    id: int
    owner_id: int
    code: str
    name: str
    specification: str | None
    base_uom: str
    decimals: int
    length: Decimal | None
    width: Decimal | None
    height: Decimal | None
    volume: Decimal | None
    weight: Decimal | None
    unit_cost: Decimal | None
    category: str | None
    abc_class: str | None
    lot_control: bool
    expiry_control: bool
    shelf_life_days: int | None
    serial_control: bool
    storage_condition: str | None
    over_receipt_pct: Decimal | None
    min_shelf_life_days: int | None
    qc_required: bool | None
    packs: list[PackOut]
    barcodes: list[BarcodeOut]
    active: bool
    created_at: datetime
    updated_at: datetime


class LotCreate(Body):
    sku_id: Id
    number: LongCode
    production_date: date | None = None
    expiry_date: date | None = None
    attributes: dict[str, Any] | None = None


class LotUpdate(Body):
    production_date: date | None = None
    expiry_date: date | None = None
    attributes: dict[str, Any] | None = None
    active: bool | None = None


class LotOut(Out):
    id: int
    owner_id: int
    sku_id: int
    number: str
    production_date: date | None
    expiry_date: date | None
    attributes: dict[str, Any] | None
    active: bool
    created_at: datetime
    updated_at: datetime


# ---------------------------------------------------------------- parties and containers

class PartyCreate(Body):
    owner_id: Id
    code: Code
    name: Name
    contact_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    phone: Annotated[str, StringConstraints(max_length=64)] | None = None
    email: Annotated[str, StringConstraints(max_length=200)] | None = None
    address: dict[str, Any] | None = None


class PartyUpdate(Body):
    name: Name | None = None
    contact_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    phone: Annotated[str, StringConstraints(max_length=64)] | None = None
    email: Annotated[str, StringConstraints(max_length=200)] | None = None
    address: dict[str, Any] | None = None
    active: bool | None = None


class PartyOut(Out):
    id: int
    owner_id: int
    code: str
    name: str
    contact_name: str | None
    phone: str | None
    email: str | None
    address: dict[str, Any] | None
    active: bool
    created_at: datetime
    updated_at: datetime


class CarrierCreate(Body):
    code: Code
    name: Name
    scac: Annotated[str, StringConstraints(min_length=2, max_length=4)] | None = None
    service_levels: list[str] | None = None


class CarrierUpdate(Body):
    name: Name | None = None
    scac: Annotated[str, StringConstraints(min_length=2, max_length=4)] | None = None
    service_levels: list[str] | None = None
    active: bool | None = None


class CarrierOut(Out):
    id: int
    code: str
    name: str
    scac: str | None
    service_levels: list[str] | None
    active: bool
    created_at: datetime
    updated_at: datetime


class ContainerCreate(Body):
    warehouse_id: Id
    lpn: Code
    sscc: Annotated[str, StringConstraints(min_length=18, max_length=18)] | None = None
    kind: ContainerKind = ContainerKind.PALLET


class ContainerUpdate(Body):
    sscc: Annotated[str, StringConstraints(min_length=18, max_length=18)] | None = None
    kind: ContainerKind | None = None
    active: bool | None = None


class ContainerOut(Out):
    id: int
    warehouse_id: int
    lpn: str
    sscc: str | None
    kind: str
    active: bool
    created_at: datetime
    updated_at: datetime


# ---------------------------------------------------------------- stock

Qty = Annotated[Decimal, Field(description="in the SKU's base unit; a decimal string keeps it exact",
                               max_digits=30)]


class StockLineIn(Body):
    owner_id: Id
    sku_id: Id
    location_id: Id
    quantity: Qty
    container_id: Id | None = None
    status: StockStatus = StockStatus.AVAILABLE
    lot_number: LongCode | None = None
    production_date: date | None = None
    expiry_date: date | None = None
    serial: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None


class OpeningStockIn(Body):
    lines: Annotated[list[StockLineIn], Field(min_length=1, max_length=10000)]
    doc_ref: Annotated[str, StringConstraints(max_length=128)] | None = None


class AdjustmentIn(Body):
    reason_code: str = Field(description="see GET /api/v1/stock/adjustment-reasons")
    lines: Annotated[list[StockLineIn], Field(min_length=1, max_length=10000)]
    doc_ref: Annotated[str, StringConstraints(max_length=128)] | None = None
    note: Annotated[str, StringConstraints(max_length=500)] | None = None
    approval: Literal["auto", "request"] = Field(
        "auto", description="request: wait for someone else's approval even below the configured quantity")


class ApprovalPendingOut(Out):
    approval_request_id: int
    status: str
    summary: str


class AllocationIn(Body):
    owner_id: Id
    sku_id: Id
    location_id: Id
    quantity: Qty
    container_id: Id | None = None
    lot_id: Id | None = None
    serial: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    status: StockStatus = StockStatus.AVAILABLE
    doc_type: Annotated[str, StringConstraints(max_length=32)] | None = None
    doc_ref: Annotated[str, StringConstraints(max_length=128)] | None = None


class PostingOut(Out):
    posting_id: int
    movements: int
    allocations: int
    created_at: datetime


class BalanceOut(Out):
    id: int
    warehouse_id: int
    zone_id: int | None
    location_id: int
    location_code: str
    container_id: int | None
    status: str
    owner_id: int
    sku_id: int
    sku_code: str
    lot_id: int | None
    lot_number: str | None
    expiry_date: date | None
    serial: str | None
    on_hand: Decimal
    allocated: Decimal
    available: Decimal
    updated_at: datetime


class MovementOut(Out):
    id: int
    posting_id: int
    reason: str
    doc_type: str | None
    doc_ref: str | None
    user_name: str
    owner_id: int
    sku_id: int
    lot_id: int | None
    serial: str | None
    quantity: Decimal
    from_location_id: int
    from_container_id: int | None
    from_status: str
    to_location_id: int
    to_container_id: int | None
    to_status: str
    created_at: datetime


class ReasonOut(Out):
    code: str
    direction: str
    description: str


class ViolationOut(Out):
    invariant: int
    key: str
    message: str


class VerifyOut(Out):
    ok: bool
    movements: int
    balances: int
    violations: list[ViolationOut]


def plain_json(value: Any) -> Any:
    """A service's rows as JSON values: exact decimals as strings (never floats), dates in ISO 8601."""
    if isinstance(value, dict):
        return {k: plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
