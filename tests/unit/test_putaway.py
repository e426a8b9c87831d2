"""Choosing where received stock goes, without a database: rule order and criteria, the four policies, capacity
and mixing, distances, and the explanations that come with every answer."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from stockyard.domain.putaway import (
    Candidate,
    Policy,
    PutawayItem,
    PutawayRule,
    Skip,
    Suggestion,
    fits,
    suggest,
)

TODAY = date(2026, 3, 1)
ORIGIN = (Decimal(0), Decimal(0))
OWNER, SKU, LOT = 1, 12, 500


def item(**changes: Any) -> PutawayItem:
    base = PutawayItem(owner_id=OWNER, sku_id=SKU, lot_id=None, expiry=None, status="available",
                       category="grocery", abc_class="A", storage_condition="ambient", receipt_type="purchase",
                       quantity=Decimal(40), unit_volume=None, unit_weight=None)
    return replace(base, **changes)


def loc(location_id: int, code: str, x: int | None = None, y: int | None = None, **changes: Any) -> Candidate:
    base = Candidate(location_id=location_id, code=code, zone_id=7, zone_kind="storage",
                     x=None if x is None else Decimal(x), y=None if y is None else Decimal(y), blocked=False,
                     max_volume=None, max_weight=None, max_units=None, max_pallets=None, mix_skus=True,
                     mix_lots=True, used_volume=Decimal(0), used_weight=Decimal(0), used_units=Decimal(0),
                     used_pallets=0, contents=frozenset())
    return replace(base, **changes)


def rule(rule_id: int, policy: Policy = Policy.NEAREST_CAPACITY, **changes: Any) -> PutawayRule:
    return replace(PutawayRule(id=rule_id, name=f"R{rule_id}", priority=10, policy=policy), **changes)


def holding(*contents: tuple[int, int, int | None], units: int = 10) -> dict[str, Any]:
    return {"contents": frozenset(contents), "used_units": Decimal(units)}


def run(the_item: PutawayItem, rules: list[PutawayRule], candidates: list[Candidate],
        origin: tuple[Decimal, Decimal] | None = ORIGIN) -> Suggestion:
    return suggest(the_item, rules, candidates, origin=origin, today=TODAY)


def chosen(the_item: PutawayItem, rules: list[PutawayRule], candidates: list[Candidate],
           origin: tuple[Decimal, Decimal] | None = ORIGIN) -> str | None:
    return run(the_item, rules, candidates, origin).location_code


# ---------------------------------------------------------------- rule order and criteria


def test_lower_priority_number_goes_first() -> None:
    rules = [rule(1, priority=20, target_zone_id=1), rule(2, priority=10, target_zone_id=2)]
    found = run(item(), rules, [loc(1, "Z1", 1, 1, zone_id=1), loc(2, "Z2", 9, 9, zone_id=2)])
    assert (found.location_code, found.rule_id, found.rule) == ("Z2", 2, "R2")
    assert found.skipped == ()


def test_equal_priorities_go_by_rule_id() -> None:
    rules = [rule(5, target_zone_id=1), rule(3, target_zone_id=2)]
    assert chosen(item(), rules, [loc(1, "Z1", zone_id=1), loc(2, "Z2", zone_id=2)]) == "Z2"


def test_rule_without_criteria_matches_anything() -> None:
    assert chosen(item(lot_id=9, expiry=date(2030, 1, 1)), [rule(1)], [loc(1, "A")]) == "A"


@pytest.mark.parametrize(("criterion", "why"), [
    ({"owner_id": 2}, "owner 1 is not 2"),
    ({"sku_id": 13}, "SKU 12 is not 13"),
    ({"category": "frozen food"}, "category grocery is not frozen food"),
    ({"abc_class": "C"}, "ABC class A is not C"),
    ({"storage_condition": "chilled"}, "storage condition ambient is not chilled"),
    ({"receipt_type": "customer_return"}, "receipt type purchase is not customer_return"),
    ({"status": "qc"}, "status available is not qc"),
    ({"lot_controlled": True}, "the item has no lot and the rule is for lot-controlled stock"),
])
def test_each_criterion_that_does_not_match_is_named(criterion: dict[str, Any], why: str) -> None:
    found = run(item(), [rule(1, name="Special", **criterion), rule(2)], [loc(1, "A")])
    assert found.rule_id == 2
    assert found.skipped == (Skip(1, "Special", f"rule 'Special' (nearest_capacity): {why}"),)


@pytest.mark.parametrize("criterion", [
    {"owner_id": OWNER}, {"sku_id": SKU}, {"category": "grocery"}, {"abc_class": "A"},
    {"storage_condition": "ambient"}, {"receipt_type": "purchase"}, {"status": "available"},
])
def test_each_criterion_that_matches_lets_the_rule_decide(criterion: dict[str, Any]) -> None:
    assert run(item(), [rule(1, **criterion), rule(2)], [loc(1, "A")]).rule_id == 1


def test_unknown_attribute_of_the_item_does_not_match_a_rule_that_asks_for_one() -> None:
    found = run(item(category=None), [rule(1, category="grocery"), rule(2)], [loc(1, "A")])
    assert found.skipped[0].why.endswith("category none is not grocery")


def test_lot_controlled_rules() -> None:
    rules = [rule(1, lot_controlled=True, target_zone_id=1), rule(2, lot_controlled=False, target_zone_id=2)]
    places = [loc(1, "LOTS", zone_id=1), loc(2, "NOLOTS", zone_id=2)]
    assert chosen(item(lot_id=LOT), rules, places) == "LOTS"
    without = run(item(), rules, places)
    assert without.location_code == "NOLOTS"
    assert "the item has no lot" in without.skipped[0].why
    only_without = run(item(lot_id=LOT), [rule(2, lot_controlled=False)], places)
    assert only_without.skipped[0].why.endswith("the item has lot 500 and the rule is for stock without lots")


@pytest.mark.parametrize(("expiry", "decides"), [
    (date(2026, 3, 31), True),  # 30 days: the edge is inside
    (date(2026, 3, 2), True),
    (date(2026, 2, 1), True),  # already expired is certainly within
    (date(2026, 4, 1), False),
])
def test_expires_within_days(expiry: date, decides: bool) -> None:
    found = run(item(expiry=expiry), [rule(1, expires_within_days=30), rule(2)], [loc(1, "A")])
    assert (found.rule_id == 1) is decides


def test_expiry_rule_explains_why_it_did_not_match() -> None:
    rules = [rule(1, name="Short dated", expires_within_days=30), rule(2)]
    far = run(item(expiry=date(2026, 6, 1)), rules, [loc(1, "A")])
    assert far.skipped[0].why == ("rule 'Short dated' (nearest_capacity): "
                                  "expiry 2026-06-01 is 92 days away, more than 30")
    unknown = run(item(expiry=None), rules, [loc(1, "A")])
    assert "has no expiry date" in unknown.skipped[0].why


# ---------------------------------------------------------------- policies


def test_fixed_home_goes_home_even_when_farther() -> None:
    places = [loc(1, "NEAR", 1, 0), loc(2, "HOME", 50, 50, home_of=frozenset({SKU}))]
    found = run(item(), [rule(1, Policy.FIXED_HOME)], places)
    assert found.location_code == "HOME"
    assert found.reason == "rule 'R1' (fixed_home): HOME is the home location of SKU 12 (distance 100 from receiving)"


def test_fixed_home_without_a_home_falls_through() -> None:
    places = [loc(1, "A", home_of=frozenset({99}))]
    found = run(item(), [rule(1, Policy.FIXED_HOME, name="Pick faces"), rule(2)], places)
    assert found.rule_id == 2
    assert found.skipped[0].why == ("rule 'Pick faces' (fixed_home): SKU 12 has no home location "
                                    "in storage or picking zones")


def test_full_home_falls_through_with_the_reason() -> None:
    home = loc(1, "HOME", max_units=Decimal(50), used_units=Decimal(20), home_of=frozenset({SKU}))
    found = run(item(), [rule(1, Policy.FIXED_HOME), rule(2)], [home, loc(2, "B")])
    assert found.location_code == "B"
    assert found.skipped[0].why == ("rule 'R1' (fixed_home): the home location of SKU 12 in storage or picking "
                                    "zones cannot take 40 units: HOME has room for 30 more units, 40 needed")


def test_consolidate_goes_to_the_nearest_location_already_holding_the_sku() -> None:
    places = [loc(1, "EMPTY", 1, 1), loc(2, "FAR", 9, 9, **holding((OWNER, SKU, None))),
              loc(3, "NEAR", 5, 5, **holding((OWNER, SKU, None))), loc(4, "OTHER", 2, 2, **holding((OWNER, 77, None)))]
    found = run(item(), [rule(1, Policy.CONSOLIDATE)], places)
    assert found.location_code == "NEAR"
    assert found.reason == ("rule 'R1' (consolidate): NEAR already holds SKU 12, nearest with room "
                            "(distance 10 from receiving)")


def test_consolidate_does_not_count_another_owners_sku() -> None:
    found = run(item(), [rule(1, Policy.CONSOLIDATE, target_zone_id=7)], [loc(1, "A", **holding((2, SKU, None)))])
    assert found.location_id is None
    assert found.skipped[0].why == "rule 'R1' (consolidate): no location in zone 7 holds SKU 12"


def test_consolidate_prefers_the_same_lot_over_a_nearer_other_lot() -> None:
    places = [loc(1, "OTHER-LOT", 1, 1, **holding((OWNER, SKU, 499))),
              loc(2, "SAME-LOT", 8, 8, **holding((OWNER, SKU, LOT)))]
    found = run(item(lot_id=LOT), [rule(1, Policy.CONSOLIDATE)], places)
    assert found.location_code == "SAME-LOT"
    assert "already holds lot 500 of SKU 12" in found.reason


def test_consolidate_falls_back_to_other_lots_where_lots_may_mix() -> None:
    places = [loc(1, "NO-MIX", 1, 1, mix_lots=False, **holding((OWNER, SKU, 499))),
              loc(2, "MIX", 5, 5, **holding((OWNER, SKU, 498)))]
    found = run(item(lot_id=LOT), [rule(1, Policy.CONSOLIDATE)], places)
    assert found.location_code == "MIX"
    assert "already holds other lots of SKU 12" in found.reason


def test_consolidate_with_no_room_says_why_for_each_location() -> None:
    places = [loc(1, "A", 1, 1, max_units=Decimal(45), **holding((OWNER, SKU, None), units=10)),
              loc(2, "B", 2, 2, mix_lots=False, **holding((OWNER, SKU, 3)))]
    found = run(item(), [rule(1, Policy.CONSOLIDATE, name="Cold chain", target_zone_id=7)], places)
    assert found.location_id is None
    assert found.skipped[0].why == (
        "rule 'Cold chain' (consolidate): no location in zone 7 holds SKU 12 with room for 40 units: "
        "A has room for 35 more units, 40 needed; B holds lot 3 of SKU 12 and does not mix lots")


def test_nearest_empty_skips_locations_with_stock_or_planned_putaways() -> None:
    places = [loc(1, "STOCKED", 1, 0, **holding((2, 5, None))),
              loc(2, "PLANNED", 2, 0, used_pallets=1),
              loc(3, "EMPTY-FAR", 9, 0), loc(4, "EMPTY", 3, 0)]
    found = run(item(), [rule(1, Policy.NEAREST_EMPTY, target_zone_id=7)], places)
    assert found.location_code == "EMPTY"
    assert found.reason == ("rule 'R1' (nearest_empty): EMPTY is the nearest empty location in zone 7 with room "
                            "(distance 3 from receiving)")


def test_nearest_empty_without_empty_locations() -> None:
    found = run(item(), [rule(1, Policy.NEAREST_EMPTY)], [loc(1, "A", **holding((2, 5, None)))])
    assert found.skipped[0].why == "rule 'R1' (nearest_empty): no location in storage or picking zones is empty"


def test_nearest_empty_too_small() -> None:
    found = run(item(), [rule(1, Policy.NEAREST_EMPTY)], [loc(1, "TINY", max_units=Decimal(10))])
    assert found.skipped[0].why == ("rule 'R1' (nearest_empty): no empty location in storage or picking zones "
                                    "has room for 40 units: TINY has room for 10 more units, 40 needed")


def test_nearest_capacity_takes_the_nearest_that_fits() -> None:
    places = [loc(1, "FULL", 1, 0, max_units=Decimal(50), **holding((2, 5, None), units=20)),
              loc(2, "ROOM", 4, 0, **holding((2, 5, None))), loc(3, "FAR", 8, 0)]
    assert chosen(item(), [rule(1)], places) == "ROOM"


# ---------------------------------------------------------------- capacity and mixing


@pytest.mark.parametrize(("the_item", "place", "problem"), [
    (item(), loc(1, "A", max_units=Decimal(50), used_units=Decimal(11)), "has room for 39 more units, 40 needed"),
    (item(unit_volume=Decimal("0.025")), loc(1, "A", max_volume=Decimal("1.5"), used_volume=Decimal("0.6")),
     "has room for 0.9 more volume, 1 needed"),
    (item(unit_weight=Decimal("12.5")), loc(1, "A", max_weight=Decimal(1000), used_weight=Decimal(600)),
     "has room for 400 more weight, 500 needed"),
    (item(pallets=1), loc(1, "A", max_pallets=2, used_pallets=2), "has room for 0 more pallets, 1 needed"),
    (item(), loc(1, "A", max_units=Decimal(30), used_units=Decimal(35)), "has room for 0 more units, 40 needed"),
    (item(), loc(1, "A", blocked=True), "is blocked"),
    (item(), loc(1, "A", mix_skus=False, contents=frozenset({(OWNER, 13, None)})),
     "holds SKU 13 and does not mix SKUs"),
    (item(), loc(1, "A", mix_skus=False, contents=frozenset({(2, SKU, None)})), "holds SKU 12 and does not mix SKUs"),
    (item(lot_id=LOT), loc(1, "A", mix_lots=False, contents=frozenset({(OWNER, SKU, 7)})),
     "holds lot 7 of SKU 12 and does not mix lots"),
    (item(lot_id=LOT), loc(1, "A", mix_lots=False, contents=frozenset({(OWNER, SKU, None)})),
     "holds no lot of SKU 12 and does not mix lots"),
])
def test_what_does_not_fit(the_item: PutawayItem, place: Candidate, problem: str) -> None:
    assert fits(the_item, place) == problem


@pytest.mark.parametrize(("the_item", "place"), [
    (item(), loc(1, "A")),  # no limits at all
    (item(), loc(1, "A", max_units=Decimal(50), used_units=Decimal(10))),  # exactly full is fine
    (item(unit_volume=Decimal("0.025")), loc(1, "A", max_volume=Decimal(1))),
    (item(unit_weight=None), loc(1, "A", max_weight=Decimal(1), used_weight=Decimal(1))),  # unknown weight: no check
    (item(unit_volume=None), loc(1, "A", max_volume=Decimal(0))),
    (item(pallets=0), loc(1, "A", max_pallets=1, used_pallets=1)),  # loose cases take no pallet place
    (item(pallets=1), loc(1, "A", max_pallets=2, used_pallets=1)),
    (item(), loc(1, "A", mix_skus=False, contents=frozenset({(OWNER, SKU, None)}))),
    (item(lot_id=LOT), loc(1, "A", mix_lots=False, contents=frozenset({(OWNER, SKU, LOT)}))),
    (item(lot_id=LOT), loc(1, "A", mix_skus=False, mix_lots=True, contents=frozenset({(OWNER, SKU, 7)}))),
    (item(), loc(1, "A", mix_lots=False, contents=frozenset({(OWNER, 13, 7)}))),  # other SKUs may mix
])
def test_what_fits(the_item: PutawayItem, place: Candidate) -> None:
    assert fits(the_item, place) is None


def test_capacity_counts_stock_and_planned_putaways_together() -> None:
    # 30 in stock plus 25 already planned there leave 45 of 100: 40 fit, 50 do not.
    place = loc(1, "A", max_units=Decimal(100), used_units=Decimal(55))
    assert fits(item(quantity=Decimal(40)), place) is None
    assert fits(item(quantity=Decimal(50)), place) == "has room for 45 more units, 50 needed"


def test_the_first_problem_found_is_reported() -> None:
    place = loc(1, "A", blocked=True, max_units=Decimal(1))
    assert fits(item(), place) == "is blocked"


def test_blocked_locations_are_never_chosen() -> None:
    places = [loc(1, "BLOCKED", 0, 0, blocked=True, home_of=frozenset({SKU})), loc(2, "OPEN", 9, 9)]
    assert chosen(item(), [rule(1, Policy.FIXED_HOME), rule(2, Policy.NEAREST_EMPTY)], places) == "OPEN"
    only_blocked = run(item(), [rule(1)], [places[0]])
    assert only_blocked.location_id is None
    assert only_blocked.skipped[0].why.endswith("BLOCKED is blocked")


def test_mixing_decides_between_otherwise_equal_locations() -> None:
    places = [loc(1, "SINGLE", 1, 0, mix_skus=False, **holding((OWNER, 13, None))),
              loc(2, "SHARED", 2, 0, **holding((OWNER, 13, None)))]
    assert chosen(item(), [rule(1)], places) == "SHARED"


def test_long_explanations_are_cut_after_three_locations() -> None:
    places = [loc(i, f"L{i}", i, 0, blocked=True) for i in range(1, 6)]
    why = run(item(), [rule(1)], places).skipped[0].why
    assert why.endswith("L1 is blocked; L2 is blocked; L3 is blocked; and 2 more")


# ---------------------------------------------------------------- zones, distance and determinism


def test_target_zone_limits_the_search() -> None:
    places = [loc(1, "NEAR", 1, 1, zone_id=3), loc(2, "ZONE9", 9, 9, zone_id=9)]
    assert chosen(item(), [rule(1, target_zone_id=9)], places) == "ZONE9"


def test_without_target_zone_only_storage_and_picking_zones_are_searched() -> None:
    places = [loc(1, "DOCK", 0, 0, zone_kind="receiving"), loc(2, "STAGE", 1, 0, zone_kind="staging"),
              loc(3, "NOZONE", 1, 1, zone_id=None, zone_kind=None), loc(4, "PICK", 5, 0, zone_kind="picking"),
              loc(5, "RACK", 6, 0)]
    assert chosen(item(), [rule(1)], places) == "PICK"


def test_a_target_zone_may_be_of_any_kind() -> None:
    assert chosen(item(), [rule(1, target_zone_id=4)], [loc(1, "QC-1", zone_id=4, zone_kind="qc")]) == "QC-1"


def test_empty_target_zone_is_explained() -> None:
    found = run(item(), [rule(1, target_zone_id=4)], [loc(1, "A")])
    assert found.skipped[0].why == "rule 'R1' (nearest_capacity): there are no locations in zone 4"


def test_distance_is_manhattan_from_the_origin() -> None:
    # (3, 4) is nearer as the crow flies (5) but farther along the aisles (7) than (6, 0).
    places = [loc(1, "DIAGONAL", 3, 4), loc(2, "STRAIGHT", 6, 0)]
    assert chosen(item(), [rule(1)], places) == "STRAIGHT"
    assert chosen(item(), [rule(1)], places, origin=(Decimal(3), Decimal(5))) == "DIAGONAL"


def test_locations_without_coordinates_come_after_those_with() -> None:
    places = [loc(1, "AAA"), loc(2, "ZZZ", 100, 100)]
    assert chosen(item(), [rule(1)], places) == "ZZZ"


def test_without_origin_locations_go_by_code() -> None:
    places = [loc(1, "B-02", 0, 0), loc(2, "A-09", 50, 50), loc(3, "B-01")]
    found = run(item(), [rule(1)], places, origin=None)
    assert found.location_code == "A-09"
    assert found.reason == ("rule 'R1' (nearest_capacity): A-09 is the nearest location in storage or picking "
                            "zones with room for 40 units")


def test_ties_are_broken_by_code_then_id_whatever_the_input_order() -> None:
    places = [loc(3, "B", 2, 2), loc(2, "A", 1, 3), loc(1, "A", 4, 0), loc(4, "C", 0, 4)]
    answers = set()
    for seed in range(20):
        shuffled = places[:]
        random.Random(seed).shuffle(shuffled)
        found = run(item(), [rule(1)], shuffled)
        answers.add((found.location_id, found.reason))
    assert answers == {(1, "rule 'R1' (nearest_capacity): A is the nearest location in storage or picking zones "
                           "with room for 40 units (distance 4 from receiving)")}


def test_decimal_coordinates() -> None:
    places = [replace(loc(1, "A"), x=Decimal("1.5"), y=Decimal("2.25")), loc(2, "B", 4, 0)]
    found = run(item(), [rule(1)], places)
    assert found.location_code == "A"
    assert found.reason.endswith("(distance 3.75 from receiving)")


# ---------------------------------------------------------------- explanations and no answer


def test_every_rule_that_did_not_decide_is_explained_in_order() -> None:
    rules = [rule(1, name="Returns", priority=1, receipt_type="customer_return"),
             rule(2, Policy.FIXED_HOME, name="Home", priority=2),
             rule(3, Policy.CONSOLIDATE, name="Together", priority=3),
             rule(4, Policy.NEAREST_EMPTY, name="Anywhere", priority=4)]
    found = run(item(), rules, [loc(1, "A", 2, 0), loc(2, "B", 1, 0, **holding((9, 9, None)))])
    assert found == Suggestion(
        location_id=1, location_code="A", rule_id=4, rule="Anywhere",
        reason="rule 'Anywhere' (nearest_empty): A is the nearest empty location in storage or picking zones with "
               "room (distance 2 from receiving)",
        skipped=(
            Skip(1, "Returns", "rule 'Returns' (nearest_capacity): receipt type purchase is not customer_return"),
            Skip(2, "Home", "rule 'Home' (fixed_home): SKU 12 has no home location in storage or picking zones"),
            Skip(3, "Together", "rule 'Together' (consolidate): no location in storage or picking zones holds "
                                "SKU 12"),
        ))


def test_no_rule_finds_a_location() -> None:
    found = run(item(), [rule(1, target_zone_id=7)],
                [loc(1, "A", max_units=Decimal(10))])
    assert (found.location_id, found.location_code, found.rule_id, found.rule) == (None, None, None, None)
    assert found.reason == ("no putaway rule found a location for 40 units of SKU 12; each rule's reason is "
                            "listed under skipped")
    assert found.skipped == (Skip(1, "R1", "rule 'R1' (nearest_capacity): no location in zone 7 has room for "
                                           "40 units: A has room for 10 more units, 40 needed"),)


def test_no_rules_at_all() -> None:
    found = run(item(), [], [loc(1, "A")])
    assert found.location_id is None
    assert found.reason == "no putaway rules are set up for this warehouse"
    assert found.skipped == ()
