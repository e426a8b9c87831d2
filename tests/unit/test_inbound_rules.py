"""Rules of inbound: policy overrides, tolerance, shelf life, receipt life, inspection outcomes."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from stockyard.domain.errors import Conflict, InvalidInput
from stockyard.domain.inbound import (
    QcResult,
    check_can_cancel,
    check_can_close,
    check_can_receive,
    check_over_receipt,
    check_shelf_life,
    effective_policy,
    inspection_outcome,
)

OWNER = {"over_receipt_pct": Decimal(5), "min_shelf_life_days": 30, "qc_required": False,
         "qc_receipt_types": ["customer_return"], "blind_receiving": True}
NO_OVERRIDES = {"over_receipt_pct": None, "min_shelf_life_days": None, "qc_required": None}


def test_the_owner_policy_applies_unless_the_sku_overrides_it() -> None:
    plain = effective_policy(OWNER, NO_OVERRIDES, "purchase")
    assert (plain.over_receipt_pct, plain.min_shelf_life_days, plain.qc_required, plain.blind_receiving) == (
        Decimal(5), 30, False, True)
    assert effective_policy(OWNER, NO_OVERRIDES, "customer_return").qc_required
    sku = {"over_receipt_pct": Decimal(0), "min_shelf_life_days": 90, "qc_required": True}
    own = effective_policy(OWNER, sku, "purchase")
    assert (own.over_receipt_pct, own.min_shelf_life_days, own.qc_required) == (Decimal(0), 90, True)
    # A SKU that says it needs no QC is not sent there by its receipt type either.
    assert not effective_policy(OWNER, {**NO_OVERRIDES, "qc_required": False}, "customer_return").qc_required


def test_over_receipt_tolerance() -> None:
    check_over_receipt(Decimal(100), Decimal(90), Decimal(15), Decimal(5))  # 105 allowed
    with pytest.raises(InvalidInput) as caught:
        check_over_receipt(Decimal(100), Decimal(90), Decimal(16), Decimal(5))
    assert caught.value.code == "over_tolerance" and caught.value.field == "quantity"
    with pytest.raises(InvalidInput):
        check_over_receipt(Decimal(10), Decimal(0), Decimal("10.001"), Decimal(0))


def test_shelf_life() -> None:
    today = date(2026, 11, 23)
    check_shelf_life(None, today, 30)
    check_shelf_life(today + timedelta(days=30), today, 30)
    with pytest.raises(InvalidInput) as caught:
        check_shelf_life(today + timedelta(days=29), today, 30)
    assert caught.value.code == "short_shelf_life"
    with pytest.raises(InvalidInput) as caught:
        check_shelf_life(today - timedelta(days=1), today, None)
    assert caught.value.code == "expired"


def test_receipt_life() -> None:
    check_can_receive("created")
    check_can_receive("receiving")
    for status in ("closed", "cancelled"):
        with pytest.raises(Conflict):
            check_can_receive(status)
        with pytest.raises(Conflict):
            check_can_close(status)
    check_can_cancel("created", received_anything=False)
    with pytest.raises(Conflict):
        check_can_cancel("created", received_anything=True)
    with pytest.raises(Conflict):
        check_can_cancel("receiving", received_anything=False)


def test_inspection_outcomes() -> None:
    ten, one = Decimal(10), Decimal(1)
    passed = inspection_outcome(QcResult.PASS, ten, one, None, None, None)
    assert (passed.passed, passed.damaged, passed.returned) == (ten, 0, 0)
    fail = inspection_outcome(QcResult.FAIL, ten, one, None, None, Decimal(4))
    assert (fail.passed, fail.damaged, fail.returned) == (0, 6, 4)
    split = inspection_outcome(QcResult.PARTIAL, ten, one, Decimal(7), Decimal(3), None)
    assert (split.passed, split.damaged, split.returned) == (7, 3, 0)
    with pytest.raises(InvalidInput) as caught:
        inspection_outcome(QcResult.PARTIAL, ten, one, Decimal(7), Decimal(2), None)
    assert caught.value.code == "split_mismatch"
    with pytest.raises(InvalidInput):
        inspection_outcome(QcResult.PARTIAL, ten, one, ten, None, None)  # not a split: that is a pass
    with pytest.raises(InvalidInput):
        inspection_outcome(QcResult.PASS, ten, Decimal(11), None, None, None)
