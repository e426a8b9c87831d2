"""Replenishment without a database: when and how much to top up, FEFO order of the sources, splitting the need
over them, and the limits of a rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from stockyard.domain.errors import InvalidInput
from stockyard.domain.replenishment import (
    Rule,
    Source,
    check_limits,
    confirm_quantity,
    fefo_key,
    plan,
    split,
    top_up,
)

OWNER, SKU, FACE = 1, 10, 100
D = Decimal


def rule(**changes: Any) -> Rule:
    base = Rule(id=1, location_id=FACE, location_code="P-01", owner_id=OWNER, sku_id=SKU,
                min_quantity=D(10), max_quantity=D(50))
    return replace(base, **changes)


def src(location_id: int, code: str, available: int | str, *, lot: int | None = None,
        expiry: date | None = None, container: int | None = None, **changes: Any) -> Source:
    base = Source(location_id=location_id, location_code=code, owner_id=OWNER, sku_id=SKU, container_id=container,
                  lot_id=lot, lot_number=None if lot is None else f"L{lot}", expiry=expiry, serial=None,
                  available=D(available))
    return replace(base, **changes)


def test_top_up_only_at_or_below_the_minimum_counting_what_is_on_its_way() -> None:
    r = rule()
    assert top_up(r, D(11), D(0)) == 0
    assert top_up(r, D(10), D(0)) == 40
    assert top_up(r, D(0), D(0)) == 50
    assert top_up(r, D(4), D(5)) == 41
    assert top_up(r, D(4), D(7)) == 0  # 11 expected: above the minimum
    assert top_up(rule(min_quantity=D(0)), D(0), D(0)) == 50
    assert top_up(rule(min_quantity=D(0)), D("0.5"), D(0)) == 0


def test_fefo_earliest_expiry_then_lots_without_expiry_then_no_lot_ties_by_location_code() -> None:
    sources = [
        src(5, "R-05", 1),
        src(4, "R-04", 1, lot=7),
        src(3, "R-03", 1, lot=8, expiry=date(2027, 1, 1)),
        src(2, "R-02", 1, lot=9, expiry=date(2026, 6, 1)),
        src(1, "R-09", 1, lot=6, expiry=date(2026, 6, 1)),
        src(6, "R-01", 1),
    ]
    assert [s.location_code for s in sorted(sources, key=fefo_key)] == ["R-02", "R-09", "R-03", "R-04", "R-01",
                                                                         "R-05"]


def test_split_takes_in_fefo_order_and_stops_when_the_need_is_met() -> None:
    late = src(1, "R-01", 30, lot=1, expiry=date(2026, 9, 1))
    early = src(2, "R-02", 25, lot=2, expiry=date(2026, 5, 1))
    loose = src(3, "R-03", 100)
    picks = split(D(40), [late, loose, early])
    assert [(p.source.location_code, p.quantity) for p in picks] == [("R-02", D(25)), ("R-01", D(15))]
    assert split(D(0), [late]) == []


def test_split_takes_what_there_is_when_reserve_is_short() -> None:
    picks = split(D(40), [src(1, "R-01", "7.5"), src(2, "R-02", 0)])
    assert [(p.source.location_code, p.quantity) for p in picks] == [("R-01", D("7.5"))]


def test_plan_reports_the_shortfall() -> None:
    [p] = plan([rule()], {(FACE, OWNER, SKU): D(2)}, {}, [src(1, "R-01", 30)])
    assert (p.need, p.short, p.level, p.incoming) == (D(48), D(18), D(2), D(0))
    [p] = plan([rule()], {}, {}, [])
    assert p.need == 50 and p.picks == [] and p.short == 50


def test_plan_skips_faces_above_the_minimum_and_counts_open_tasks() -> None:
    levels = {(FACE, OWNER, SKU): D(5)}
    assert plan([rule()], levels, {(FACE, OWNER, SKU): D(6)}, [src(1, "R-01", 30)]) == []
    [p] = plan([rule()], levels, {(FACE, OWNER, SKU): D(5)}, [src(1, "R-01", 30)])
    assert p.need == 40 and p.short == 10


def test_plan_never_takes_from_a_pick_face_or_another_owners_or_skus_stock() -> None:
    other_face = rule(id=2, location_id=200, location_code="P-02")
    sources = [src(FACE, "P-01", 99), src(200, "P-02", 99), src(1, "R-01", 99, owner_id=2),
               src(2, "R-02", 99, sku_id=11), src(3, "R-03", 5)]
    plans = plan([rule(), other_face], {}, {}, sources)
    assert [[(x.source.location_code, x.quantity) for x in p.picks] for p in plans] == [[("R-03", D(5))], []]


def test_rules_of_the_same_sku_share_reserve_in_pick_face_order() -> None:
    second = rule(id=2, location_id=200, location_code="P-00")  # sorts first by code
    plans = plan([rule(), second], {}, {}, [src(1, "R-01", 70)])
    assert [(p.rule.id, [x.quantity for x in p.picks]) for p in plans] == [(2, [D(50)]), (1, [D(20)])]


def test_limits() -> None:
    check_limits(D(0), D("0.5"))
    with pytest.raises(InvalidInput) as caught:
        check_limits(D(5), D(5))
    assert caught.value.field == "max_quantity"
    with pytest.raises(InvalidInput) as caught:
        check_limits(D(-1), D(5))
    assert caught.value.field == "min_quantity"


def test_confirm_quantity() -> None:
    assert confirm_quantity(D(8), None) == 8
    assert confirm_quantity(D(8), D(3)) == 3
    for bad in (D(0), D(9)):
        with pytest.raises(InvalidInput) as caught:
            confirm_quantity(D(8), bad)
        assert caught.value.field == "quantity"
