"""Reasons for manual adjustments (报损 / 报溢) and opening stock."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from stockyard.domain.errors import InvalidInput


class Direction(StrEnum):
    GAIN = "gain"  # 报溢: the adjustment location gives stock to a physical bucket
    LOSS = "loss"  # 报损: a physical bucket gives stock to the adjustment location


@dataclass(frozen=True)
class AdjustmentReason:
    code: str
    direction: Direction
    description: str


ADJUSTMENT_REASONS: dict[str, AdjustmentReason] = {r.code: r for r in (
    AdjustmentReason("FOUND", Direction.GAIN, "stock found that the books did not have"),
    AdjustmentReason("COUNT_GAIN", Direction.GAIN, "a count found more than the books"),
    AdjustmentReason("RETURN_UNDOCUMENTED", Direction.GAIN, "goods came back without a document"),
    AdjustmentReason("CORRECTION_GAIN", Direction.GAIN, "a booking error corrected upwards"),
    AdjustmentReason("LOST", Direction.LOSS, "stock missing from its location"),
    AdjustmentReason("COUNT_LOSS", Direction.LOSS, "a count found less than the books"),
    AdjustmentReason("DAMAGED", Direction.LOSS, "written off as damaged"),
    AdjustmentReason("EXPIRED", Direction.LOSS, "written off as expired"),
    AdjustmentReason("SAMPLE", Direction.LOSS, "taken as a sample"),
    AdjustmentReason("CORRECTION_LOSS", Direction.LOSS, "a booking error corrected downwards"),
)}

OPENING_REASON = "OPENING"


def adjustment_reason(code: str) -> AdjustmentReason:
    reason = ADJUSTMENT_REASONS.get(code)
    if reason is None:
        raise InvalidInput(f"{code!r} is not an adjustment reason; use one of {', '.join(ADJUSTMENT_REASONS)}",
                           field="reason_code", code="unknown_reason")
    return reason
