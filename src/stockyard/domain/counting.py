"""Rules of counting: count life, when a line is recounted and by whom, inventory accuracy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

from stockyard.domain.errors import Forbidden


class CountStatus(StrEnum):
    COUNTING = "counting"
    RECOUNT = "recount"
    AWAITING_APPROVAL = "awaiting_approval"
    POSTED = "posted"
    CANCELLED = "cancelled"


def variance(line: Mapping[str, Any]) -> Decimal:
    """Counted (the recount when there is one) against the books at the moment of counting."""
    final = line["recount_quantity"] if line["recount_quantity"] is not None else line["counted_quantity"]
    return Decimal(final) - Decimal(line["book_at_count"])


def needs_recount(line: Mapping[str, Any], threshold: Decimal) -> bool:
    """A first count that differs from the books by more than the threshold is counted again."""
    if line["counted_quantity"] is None or line["book_at_count"] is None:
        return False
    return abs(Decimal(line["counted_quantity"]) - Decimal(line["book_at_count"])) > threshold


def check_recounter(counted_by: str | None, recounter: str) -> None:
    """The recount is another person's: a second pair of eyes, not the same mistake twice."""
    if counted_by == recounter:
        raise Forbidden("the recount is done by someone other than the first counter", field="entries",
                        code="same_counter")


def accuracy(pairs: Sequence[tuple[Decimal, Decimal]]) -> dict[str, Any]:
    """For (counted, book) pairs: how many lines, how many exact, line accuracy and quantity accuracy."""
    exact = sum(1 for counted, book in pairs if counted == book)
    book_total = sum((book for _, book in pairs), Decimal(0))
    off = sum((abs(counted - book) for counted, book in pairs), Decimal(0))
    quantity = Decimal(1) - off / book_total if book_total else (Decimal(1) if not off else Decimal(0))
    return {"lines": len(pairs), "exact_lines": exact,
            "line_accuracy": (Decimal(exact) / len(pairs)).quantize(Decimal("0.0001")) if pairs else None,
            "quantity_accuracy": max(quantity, Decimal(0)).quantize(Decimal("0.0001"))}
