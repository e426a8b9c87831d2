"""Kits and work orders without a database: component lists, cycles however deep, exact component quantities and
the first-expiry-first-out split across lots and balances."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from stockyard.domain.errors import InsufficientStock, InvalidInput
from stockyard.domain.kitting import (
    Component,
    Need,
    StockSource,
    check_components,
    component_needs,
    fefo_order,
    fefo_split,
    find_cycle,
)
from stockyard.domain.stock import SkuFacts

OWNER, OTHER = 1, 2
KIT = SkuFacts(10, OWNER, True, 0, False, False, False)
BOLT = SkuFacts(11, OWNER, True, 0, False, False, False)
OIL = SkuFacts(12, OWNER, True, 3, True, True, False)
FOREIGN = SkuFacts(13, OTHER, True, 0, False, False, False)
SKUS = {s.id: s for s in (KIT, BOLT, OIL, FOREIGN)}


def components(*pairs: tuple[int, str]) -> list[Component]:
    return [Component(sku_id, Decimal(qty)) for sku_id, qty in pairs]


# ---------------------------------------------------------------- definitions


def test_a_valid_component_list_is_kept_in_order() -> None:
    checked = check_components(KIT, components((OIL.id, "0.25"), (BOLT.id, "4")), SKUS)
    assert checked == components((OIL.id, "0.25"), (BOLT.id, "4"))
    assert check_components(KIT, [], SKUS) == []


@pytest.mark.parametrize(("given", "code", "field"), [
    ([(KIT.id, "1")], "kit_cycle", "components[0].component_sku_id"),
    ([(BOLT.id, "1"), (FOREIGN.id, "1")], "sku_of_other_owner", "components[1].component_sku_id"),
    ([(99, "1")], "unknown_sku", "components[0].component_sku_id"),
    ([(BOLT.id, "1"), (BOLT.id, "2")], "duplicate_component", "components[1].component_sku_id"),
    ([(BOLT.id, "0")], "quantity_not_positive", "components[0].quantity"),
    ([(BOLT.id, "-1")], "quantity_not_positive", "components[0].quantity"),
    ([(BOLT.id, "1.5")], "too_many_decimals", "components[0].quantity"),
    ([(OIL.id, "0.0001")], "too_many_decimals", "components[0].quantity"),
])
def test_bad_component_lists_name_the_field(given: list[tuple[int, str]], code: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_components(KIT, components(*given), SKUS)
    assert (caught.value.code, caught.value.field) == (code, field)


def test_an_inactive_component_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_components(KIT, components((BOLT.id, "1")), {**SKUS, BOLT.id: replace(BOLT, active=False)})
    assert caught.value.code == "inactive_sku"


# ---------------------------------------------------------------- cycles


def test_no_cycle_in_a_tree_or_a_diamond() -> None:
    # 1 > 2 > 4 and 1 > 3 > 4: a shared sub-kit is no cycle.
    assert find_cycle(1, [2, 3], {2: [4], 3: [4], 4: [5]}) is None
    assert find_cycle(1, [], {2: [1]}) is None


def test_a_direct_cycle_is_found() -> None:
    assert find_cycle(1, [2], {2: [1]}) == [1, 2, 1]


def test_a_deep_cycle_is_found_with_a_shortest_path() -> None:
    contents = {2: [3], 3: [4], 4: [5], 5: [1], 6: [1]}
    assert find_cycle(1, [2, 7], contents) == [1, 2, 3, 4, 5, 1]
    assert find_cycle(1, [2, 6], contents) == [1, 6, 1]


def test_the_kits_own_current_components_do_not_count() -> None:
    # Kit 1 now holds 9 (which holds nothing back); replacing its list by [2] is judged on [2] alone.
    assert find_cycle(1, [2], {1: [9], 9: [1], 2: [3]}) is None


def test_cycles_elsewhere_in_the_graph_do_not_hang_the_search() -> None:
    assert find_cycle(1, [2], {2: [3], 3: [2]}) is None


# ---------------------------------------------------------------- quantities


def test_component_needs_are_exact_products() -> None:
    needs = component_needs(components((BOLT.id, "4"), (OIL.id, "0.125")), SKUS, Decimal("8"))
    assert needs == [Need(BOLT.id, Decimal(32)), Need(OIL.id, Decimal(1))]


def test_large_products_are_never_rounded() -> None:
    big = SkuFacts(20, OWNER, True, 6, False, False, False)
    needs = component_needs(components((20, "123456.654321")), {20: big}, Decimal("3"))
    assert needs == [Need(20, Decimal("370369.962963"))]


def test_a_product_finer_than_the_components_unit_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        component_needs(components((OIL.id, "0.125")), SKUS, Decimal("0.5"))
    assert caught.value.code == "component_fraction"
    assert caught.value.field == "quantity"
    assert caught.value.details["sku_id"] == OIL.id
    # Whole-unit components: half a kit of one bolt each is half a bolt.
    with pytest.raises(InvalidInput):
        component_needs(components((BOLT.id, "1")), SKUS, Decimal("2.5"))
    assert component_needs(components((OIL.id, "0.125")), SKUS, Decimal("0.8")) == [Need(OIL.id, Decimal("0.1"))]


def test_a_product_beyond_the_largest_quantity_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        component_needs(components((BOLT.id, "1000000")), SKUS, Decimal("10000000"))
    assert caught.value.code == "quantity_too_large"


# ---------------------------------------------------------------- FEFO


def source(key: str, available: str, lot: int | None = None, expiry: date | None = None,
           container: int | None = None) -> StockSource:
    return StockSource(key, lot, expiry, container, Decimal(available))


def test_fefo_order_earliest_expiry_then_lots_without_then_no_lot() -> None:
    no_lot = source("a", "5")
    undated = source("b", "5", lot=3)
    late = source("c", "5", lot=1, expiry=date(2027, 1, 1))
    early = source("d", "5", lot=2, expiry=date(2026, 6, 1))
    early_pallet = source("e", "5", lot=2, expiry=date(2026, 6, 1), container=7)
    assert fefo_order([no_lot, undated, late, early_pallet, early]) == [early, early_pallet, late, undated, no_lot]


def test_fefo_split_takes_the_earliest_lot_first_and_splits_across_lots() -> None:
    early = source("a", "6", lot=2, expiry=date(2026, 6, 1))
    late = source("b", "10", lot=1, expiry=date(2027, 1, 1))
    assert fefo_split(Decimal(4), [late, early], sku_id=5, label="x") == [(early, Decimal(4))]
    assert fefo_split(Decimal(9), [late, early], sku_id=5, label="x") == [(early, Decimal(6)), (late, Decimal(3))]
    assert fefo_split(Decimal(16), [late, early], sku_id=5, label="x") == [(early, Decimal(6)),
                                                                          (late, Decimal(10))]


def test_fefo_split_never_takes_more_than_available() -> None:
    sources = [source("a", "2.5", lot=1, expiry=date(2026, 1, 1)), source("b", "0"), source("c", "1")]
    with pytest.raises(InsufficientStock) as caught:
        fefo_split(Decimal("3.6"), sources, sku_id=5, label="component BOLT")
    assert "component BOLT" in caught.value.message
    assert caught.value.details == {"sku_id": 5, "needed": "3.6", "available": "3.5"}
    with pytest.raises(InsufficientStock):
        fefo_split(Decimal(1), [], sku_id=5, label="x")
