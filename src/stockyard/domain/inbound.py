"""Rules of inbound: receipt orders and their life, receiving tolerances, shelf life, QC and inspection results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from stockyard.domain.errors import Conflict, InvalidInput


class ReceiptType(StrEnum):
    PURCHASE = "purchase"
    CUSTOMER_RETURN = "customer_return"
    TRANSFER_IN = "transfer_in"
    PRODUCTION = "production"


class ReceiptStatus(StrEnum):
    CREATED = "created"
    RECEIVING = "receiving"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class QcResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    PARTIAL = "partial"


@dataclass(frozen=True)
class InboundPolicy:
    """The owner's inbound settings with the SKU's overrides applied."""

    over_receipt_pct: Decimal
    min_shelf_life_days: int | None
    qc_required: bool
    blind_receiving: bool


def effective_policy(owner: Mapping[str, Any], sku: Mapping[str, Any], receipt_type: str) -> InboundPolicy:
    """A SKU's own setting wins over its owner's; QC also applies to receipt types the owner lists, unless the
    SKU says otherwise."""
    def pick(name: str) -> Any:
        return sku[name] if sku.get(name) is not None else owner.get(name)

    by_type = sku.get("qc_required") is None and receipt_type in (owner.get("qc_receipt_types") or [])
    return InboundPolicy(over_receipt_pct=Decimal(pick("over_receipt_pct") or 0),
                         min_shelf_life_days=pick("min_shelf_life_days"),
                         qc_required=bool(pick("qc_required")) or by_type,
                         blind_receiving=bool(owner.get("blind_receiving")))


def check_can_receive(status: str) -> None:
    if status not in (ReceiptStatus.CREATED, ReceiptStatus.RECEIVING):
        raise Conflict(f"the receipt is {status}; nothing more can be received", field="receipt_id",
                       code="receipt_not_open")


def check_can_cancel(status: str, received_anything: bool) -> None:
    if status != ReceiptStatus.CREATED or received_anything:
        raise Conflict("only a receipt that nothing was received on can be cancelled; close it instead",
                       field="receipt_id", code="receiving_started")


def check_can_close(status: str) -> None:
    if status not in (ReceiptStatus.CREATED, ReceiptStatus.RECEIVING):
        raise Conflict(f"the receipt is already {status}", field="receipt_id", code="receipt_not_open")


def check_over_receipt(expected: Decimal, already: Decimal, incoming: Decimal, tolerance_pct: Decimal) -> None:
    """Refuse what would bring the line above the expected quantity plus the tolerance."""
    allowed = expected * (1 + tolerance_pct / 100)
    if already + incoming > allowed:
        raise InvalidInput(f"receiving {incoming} would make {already + incoming}, more than the {allowed} allowed "
                           f"(expected {expected} + {tolerance_pct}%)", field="quantity", code="over_tolerance",
                           details={"expected": str(expected), "allowed": str(allowed), "already": str(already)})


def check_shelf_life(expiry: date | None, today: date, min_days: int | None) -> None:
    """Expired stock is refused, and so is stock with less remaining shelf life than the owner / SKU requires."""
    if expiry is None:
        return
    if expiry < today:
        raise InvalidInput(f"the lot expired on {expiry.isoformat()}", field="expiry_date", code="expired")
    if min_days is not None and (expiry - today).days < min_days:
        raise InvalidInput(f"only {(expiry - today).days} days of shelf life left; at least {min_days} required",
                           field="expiry_date", code="short_shelf_life")


@dataclass(frozen=True)
class InspectionOutcome:
    """The disposition of inspected stock: restock (available), damaged, return to vendor, scrap."""

    passed: Decimal
    damaged: Decimal
    returned: Decimal
    scrapped: Decimal = Decimal(0)


def inspection_outcome(result: QcResult, quantity: Decimal, sampled: Decimal, passed: Decimal | None,
                       damaged: Decimal | None, returned: Decimal | None,
                       scrapped: Decimal | None = None) -> InspectionOutcome:
    """Where inspected stock goes. Pass: all restocked (available). Fail: all damaged, except what is given to go
    back to the vendor or to scrap. Partial: the given split, which must account for every unit inspected."""
    if sampled > quantity:
        raise InvalidInput("cannot sample more than is inspected", field="sampled_quantity")
    if result is QcResult.PASS:
        return InspectionOutcome(quantity, Decimal(0), Decimal(0))
    back, scrap = returned or Decimal(0), scrapped or Decimal(0)
    if result is QcResult.FAIL:
        if back + scrap > quantity:
            raise InvalidInput("cannot return or scrap more than is inspected", field="returned_quantity")
        return InspectionOutcome(Decimal(0), quantity - back - scrap, back, scrap)
    split = InspectionOutcome(passed or Decimal(0), damaged or Decimal(0), back, scrap)
    if split.passed + split.damaged + split.returned + split.scrapped != quantity:
        raise InvalidInput(f"passed + damaged + returned + scrapped must equal the {quantity} inspected",
                           field="passed_quantity", code="split_mismatch")
    if sum(1 for part in (split.passed, split.damaged, split.returned, split.scrapped) if part) < 2:
        raise InvalidInput("a partial result splits the quantity; use pass or fail", field="result")
    return split
