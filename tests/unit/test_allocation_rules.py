"""Allocation ranking and skip rules: deterministic, explainable, no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from stockyard.domain.allocation import (
    Candidate,
    Demand,
    OrderStatus,
    Rule,
    check_can_allocate,
    plan,
    rank_key,
    skip_reason,
    status_after,
)
from stockyard.domain.errors import Conflict
from stockyard.domain.stock import Bucket, StockItem, StockStatus

TODAY = date(2026, 6, 1)


def cand(location: int, available: str, *, lot: int | None = None, number: str | None = None,
         expiry: date | None = None, produced: date | None = None, kind: str = "storage",
         status: StockStatus = StockStatus.AVAILABLE, code: str | None = None, usable: bool = True) -> Candidate:
    return Candidate(StockItem(1, 1, lot), Bucket(location, None, status), Decimal(available),
                     code or f"L-{location:02d}", kind, usable, number or (f"LOT{lot}" if lot else None), expiry,
                     produced)


def order_of(candidates: list[Candidate], rule: Rule) -> list[int]:
    return [c.bucket.location_id for c in sorted(candidates, key=lambda c: rank_key(c, rule))]


A = cand(1, "5", lot=1, expiry=date(2027, 3, 1), produced=date(2026, 1, 1))
B = cand(2, "5", lot=2, expiry=date(2026, 12, 1), produced=date(2026, 3, 1))
C = cand(3, "5", lot=3, expiry=None, produced=date(2025, 12, 1))
N = cand(4, "5")  # no lot


def test_fefo_earliest_expiry_first_no_expiry_last() -> None:
    assert order_of([A, B, C, N], Rule.FEFO)[:2] == [2, 1]
    assert set(order_of([A, B, C, N], Rule.FEFO)[2:]) == {3, 4}


def test_fifo_oldest_production_first_no_lot_last() -> None:
    assert order_of([A, B, C, N], Rule.FIFO) == [3, 1, 2, 4]


def test_lifo_newest_production_first_no_lot_still_last() -> None:
    assert order_of([A, B, C, N], Rule.LIFO) == [2, 1, 3, 4]


def test_fifo_same_date_lower_lot_first() -> None:
    x = cand(1, "5", lot=9, produced=date(2026, 1, 1))
    y = cand(2, "5", lot=4, produced=date(2026, 1, 1))
    assert order_of([x, y], Rule.FIFO) == [2, 1]


def test_ties_pick_face_then_smallest_then_location_code() -> None:
    expiry = date(2027, 1, 1)
    big_pick = cand(1, "9", kind="pick_face", code="P-2", lot=1, expiry=expiry)
    small_store = cand(2, "1", code="S-1", lot=1, expiry=expiry)
    small_pick = cand(3, "2", kind="pick_face", code="P-9", lot=1, expiry=expiry)
    also_small_pick = cand(4, "2", kind="pick_face", code="P-1", lot=1, expiry=expiry)
    assert order_of([big_pick, small_store, small_pick, also_small_pick], Rule.FEFO) == [4, 3, 1, 2]


def test_plan_takes_greedily_and_explains() -> None:
    result = plan([A, B, C], Demand(Decimal(7), TODAY), Rule.FEFO)
    assert [(t.candidate.bucket.location_id, t.quantity) for t in result.takes] == [(2, 5), (1, 2)]
    assert result.quantity == 7
    assert result.takes[0].reason == "FEFO: expires 2026-12-01 (lot LOT2); storage L-02"
    pick = cand(5, "3", lot=5, expiry=date(2027, 1, 31), kind="pick_face", code="PF-1")
    assert plan([pick], Demand(Decimal(1), TODAY), Rule.FEFO).takes[0].reason == \
        "FEFO: expires 2027-01-31 (lot LOT5); pick face PF-1"


def test_plan_partial_when_short() -> None:
    result = plan([A], Demand(Decimal(9), TODAY), Rule.FIFO)
    assert result.quantity == 5 and len(result.takes) == 1


@pytest.mark.parametrize(("candidate", "demand", "code"), [
    (cand(1, "5", status=StockStatus.QC), Demand(Decimal(1), TODAY), "status"),
    (cand(1, "5", status=StockStatus.FROZEN), Demand(Decimal(1), TODAY), "status"),
    (cand(1, "5", status=StockStatus.DAMAGED), Demand(Decimal(1), TODAY), "status"),
    (cand(1, "5", usable=False), Demand(Decimal(1), TODAY), "location_blocked"),
    (cand(1, "5", lot=1), Demand(Decimal(1), TODAY, lot_number="LOT2"), "other_lot"),
    (cand(1, "5"), Demand(Decimal(1), TODAY, lot_number="LOT2"), "other_lot"),
    (cand(1, "5", lot=1, expiry=date(2026, 5, 31)), Demand(Decimal(1), TODAY), "expired"),
    (cand(1, "5", lot=1, expiry=date(2026, 6, 30)), Demand(Decimal(1), TODAY, min_shelf_life_days=30),
     "short_shelf_life"),
    (cand(1, "0"), Demand(Decimal(1), TODAY), "nothing_available"),
])
def test_skip_reasons(candidate: Candidate, demand: Demand, code: str) -> None:
    skip = skip_reason(candidate, demand)
    assert skip is not None and skip.code == code and skip.reason


def test_shelf_life_boundary_is_accepted() -> None:
    exactly = cand(1, "5", lot=1, expiry=date(2026, 7, 1))
    assert skip_reason(exactly, Demand(Decimal(1), TODAY, min_shelf_life_days=30)) is None
    skip = skip_reason(cand(1, "5", lot=1, expiry=date(2026, 6, 30)),
                       Demand(Decimal(1), TODAY, min_shelf_life_days=30))
    assert skip is not None
    assert skip.reason == "expires 2026-06-30, before the customer's minimum 2026-07-01"


def test_plan_lists_skipped_and_never_takes_them() -> None:
    qc = cand(9, "50", status=StockStatus.QC, lot=1, expiry=date(2026, 7, 1))
    result = plan([qc, A], Demand(Decimal(3), TODAY), Rule.FEFO)
    assert [t.candidate for t in result.takes] == [A]
    assert [s.code for s in result.skipped] == ["status"]


def test_plan_is_deterministic_whatever_the_input_order() -> None:
    many = [A, B, C, N, cand(6, "1", lot=7, expiry=date(2026, 12, 1))]
    first = plan(many, Demand(Decimal(12), TODAY), Rule.FEFO).takes
    again = plan(list(reversed(many)), Demand(Decimal(12), TODAY), Rule.FEFO).takes
    assert first == again
    assert first[0].candidate.bucket.location_id == 6  # same expiry as B, smaller remainder first


def test_status_after_and_guards() -> None:
    assert status_after([Decimal(2)], [Decimal(0)]) is OrderStatus.CREATED
    assert status_after([Decimal(2), Decimal(1)], [Decimal(2), Decimal(0)]) is OrderStatus.PARTIALLY_ALLOCATED
    assert status_after([Decimal(2)], [Decimal(2)]) is OrderStatus.ALLOCATED
    with pytest.raises(Conflict, match="hold"):
        check_can_allocate("created", True)
    with pytest.raises(Conflict, match="cancelled"):
        check_can_allocate("cancelled", False)


def test_full_cases_come_from_case_locations_and_eaches_from_pick_faces() -> None:
    expiry = date(2027, 6, 30)
    face = cand(1, "20", kind="pick_face", code="PF-1", lot=1, expiry=expiry)
    reserve = cand(2, "48", code="R-1", lot=1, expiry=expiry)
    result = plan([face, reserve], Demand(Decimal(27), TODAY, case_size=Decimal(12)), Rule.FEFO)
    # 2 cases (24) from reserve, the 3 eaches from the pick face.
    assert [(t.candidate.location_code, t.quantity) for t in result.takes] == [("R-1", 24), ("PF-1", 3)]
    assert result.takes[0].reason.endswith("full cases")


def test_the_rule_order_comes_before_the_case_location() -> None:
    face_old = cand(1, "24", kind="pick_face", code="PF-1", lot=1, expiry=date(2027, 1, 31))
    reserve_new = cand(2, "48", code="R-1", lot=2, expiry=date(2027, 9, 30))
    result = plan([face_old, reserve_new], Demand(Decimal(24), TODAY, case_size=Decimal(12)), Rule.FEFO)
    assert [(t.candidate.location_code, t.quantity) for t in result.takes] == [("PF-1", 24)]


def test_one_location_that_covers_the_need_beats_splitting() -> None:
    expiry = date(2027, 6, 30)
    small, middle, big = (cand(i, q, code=f"R-{i}", lot=1, expiry=expiry) for i, q in ((1, "2"), (2, "8"), (3, "30")))
    # 7 fits in R-2 alone: one location, the smallest that can give it all.
    assert [t.candidate.location_code for t in plan([small, middle, big], Demand(Decimal(7), TODAY),
                                                    Rule.FEFO).takes] == ["R-2"]
    # 35 fits nowhere alone: small remainders are cleaned out first.
    assert [t.candidate.location_code for t in plan([small, middle, big], Demand(Decimal(35), TODAY),
                                                    Rule.FEFO).takes] == ["R-1", "R-2", "R-3"]


@pytest.mark.parametrize("kind", ["dock", "staging", "packing", "shipping", "qc", "returns"])
def test_stock_off_the_shelves_is_not_allocated(kind: str) -> None:
    off = cand(1, "1", kind=kind, code="X-1")
    shelf = cand(2, "50", code="S-1")
    result = plan([off, shelf], Demand(Decimal(1), TODAY), Rule.FEFO)
    assert [t.candidate.location_code for t in result.takes] == ["S-1"]
    assert [(s.candidate.location_code, s.code) for s in result.skipped] == [("X-1", "not_pickable")]
