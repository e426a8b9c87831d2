"""Put wall, check, packing, weighing and shipping rules: which slot or line an item goes to, what is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from stockyard.domain.errors import Conflict, DomainError, InvalidInput
from stockyard.domain.packing import (
    PackLine,
    SlotLine,
    add_weight,
    backorder_ref,
    check_can_close,
    check_can_pack,
    check_can_ship,
    check_can_sort,
    check_weight,
    choose_pack_line,
    choose_slot,
    order_packed,
    settle,
    slot_full,
)

D = Decimal


def slot(slot_no: int, order: int, sku: int, picked: str, sorted_: str = "0", *, line_no: int = 1,
         lots: frozenset[str] = frozenset(), serials: frozenset[str] = frozenset()) -> SlotLine:
    return SlotLine(slot_no, order, order * 10 + line_no, line_no, sku, D(picked), D(sorted_), lots, serials)


def code_of(error: pytest.ExceptionInfo[DomainError]) -> tuple[str, str | None]:
    return error.value.code, error.value.field


# ---------------------------------------------------------------- put wall


def test_item_goes_to_the_lowest_slot_that_still_needs_it() -> None:
    lines = [slot(2, 20, 7, "1"), slot(1, 10, 7, "2", "2"), slot(3, 30, 7, "4"), slot(1, 10, 8, "1", line_no=2)]
    assert choose_slot(lines, [7], D(1)).slot == 2  # slot 1 has all it picked of SKU 7
    assert choose_slot(lines, [8], D(1)).slot == 1


def test_several_units_go_to_a_slot_that_needs_them_all() -> None:
    lines = [slot(1, 10, 7, "1"), slot(2, 20, 7, "3")]
    assert choose_slot(lines, [7], D(3)).slot == 2
    with pytest.raises(InvalidInput) as error:
        choose_slot(lines, [7], D(4))
    assert code_of(error) == ("more_than_needed", "quantity") and error.value.details == {"at_most": "3"}


def test_an_item_no_slot_needs_is_refused_naming_the_scan() -> None:
    lines = [slot(1, 10, 7, "2", "2")]
    for sku in (7, 9):
        with pytest.raises(InvalidInput) as error:
            choose_slot(lines, [sku], D(1))
        assert code_of(error) == ("not_needed", "scan")


def test_a_scanned_lot_or_serial_picks_the_slot_that_picked_it() -> None:
    lines = [slot(1, 10, 7, "1", lots=frozenset({"A"}), serials=frozenset({"S1"})),
             slot(2, 20, 7, "1", lots=frozenset({"B"}), serials=frozenset({"S2"}))]
    assert choose_slot(lines, [7], D(1), lot="B").slot == 2
    assert choose_slot(lines, [7], D(1), serial="S2").slot == 2
    with pytest.raises(InvalidInput) as error:
        choose_slot(lines, [7], D(1), lot="C")
    assert code_of(error) == ("wrong_lot", "lot_number")
    with pytest.raises(InvalidInput) as error:
        choose_slot(lines, [7], D(1), serial="S9")
    assert code_of(error) == ("wrong_serial", "serial")


def test_slot_is_full_when_all_picked_is_sorted_and_no_pick_is_open() -> None:
    assert slot_full([(D(2), D(2)), (D(1), D(1))], open_picks=0)
    assert not slot_full([(D(2), D(2)), (D(1), D(0))], open_picks=0)
    assert not slot_full([(D(2), D(2))], open_picks=1)  # more is on its way from a picker


def test_only_a_released_or_picked_wave_with_slots_is_sorted() -> None:
    check_can_sort("released", 2)
    check_can_sort("done", 1)
    for status, slots, code in (("created", 2, "wave_not_released"), ("cancelled", 2, "wave_not_released"),
                                ("released", 0, "wave_not_sorted")):
        with pytest.raises(Conflict) as error:
            check_can_sort(status, slots)
        assert error.value.code == code


# ---------------------------------------------------------------- check and pack


def pack_line(line_no: int, sku: int, packable: str, packed: str = "0", **extra: object) -> PackLine:
    return PackLine(line_no * 100, line_no, sku, D(packable), D(packed), **extra)  # type: ignore[arg-type]


def test_a_sku_not_on_the_order_is_the_wrong_item() -> None:
    with pytest.raises(InvalidInput) as error:
        choose_pack_line([pack_line(1, 7, "2")], 8, D(1))
    assert code_of(error) == ("wrong_item", "scan")


def test_more_than_is_left_to_pack_is_an_extra_item() -> None:
    lines = [pack_line(1, 7, "2", "1"), pack_line(2, 7, "1")]
    assert choose_pack_line(lines, 7, D(1)).line_no == 1
    assert choose_pack_line(lines, 7, D(1)).line_no == 1
    with pytest.raises(InvalidInput) as error:
        choose_pack_line([pack_line(1, 7, "2", "2"), pack_line(2, 7, "1", "1")], 7, D(1))
    assert code_of(error) == ("extra_item", "quantity") and error.value.details == {"left": "0"}
    with pytest.raises(InvalidInput) as error:
        choose_pack_line(lines, 7, D(2))  # line 1 has 1 left, line 2 has 1: neither takes 2
    assert code_of(error) == ("extra_item", "quantity")


def test_lot_must_be_one_picked_for_the_line_and_not_all_packed() -> None:
    lines = [pack_line(1, 7, "3", "1", picked_lots={"A": D(2), "B": D(1)}, packed_lots={"B": D(1)})]
    assert choose_pack_line(lines, 7, D(2), lot="A").line_no == 1
    with pytest.raises(InvalidInput) as error:
        choose_pack_line(lines, 7, D(1), lot="C")
    assert code_of(error) == ("wrong_lot", "lot_number")
    with pytest.raises(InvalidInput) as error:
        choose_pack_line(lines, 7, D(1), lot="B")
    assert code_of(error) == ("extra_item", "quantity")


def test_serials_are_required_picked_and_packed_once() -> None:
    lines = [pack_line(1, 7, "2", "1", picked_serials=frozenset({"S1", "S2"}), packed_serials=frozenset({"S1"}))]
    assert choose_pack_line(lines, 7, D(1), serial="S2", serial_control=True).line_no == 1
    for serial, quantity, code, field in ((None, "1", "serial_required", "serial"),
                                          ("S3", "1", "wrong_serial", "serial"),
                                          ("S1", "1", "serial_already_packed", "serial"),
                                          ("S2", "2", "serial_quantity_not_one", "quantity")):
        with pytest.raises(InvalidInput) as error:
            choose_pack_line(lines, 7, D(quantity), serial=serial, serial_control=True)
        assert code_of(error) == (code, field)


@pytest.mark.parametrize(("status", "open_picks", "needs_sorting", "code"), [
    ("picking", 1, False, "order_not_picked"),
    ("picked", 1, False, "order_not_picked"),
    ("allocated", 0, False, "order_not_picked"),
    ("picked", 0, True, "order_not_sorted"),
    ("packed", 0, False, "order_packed"),
    ("shipped", 0, False, "order_shipped"),
    ("cancelled", 0, False, "order_cancelled"),
])
def test_only_a_picked_and_sorted_order_is_packed(status: str, open_picks: int, needs_sorting: bool,
                                                  code: str) -> None:
    with pytest.raises(Conflict) as error:
        check_can_pack(status, open_picks, needs_sorting)
    assert error.value.code == code
    check_can_pack("picked", 0, False)


def test_order_is_packed_when_everything_picked_is_in_closed_packages() -> None:
    assert order_packed([(D(2), D(2)), (D(0), D(0))], open_picks=0, open_packages=0)  # a line picked short
    assert not order_packed([(D(2), D(1))], open_picks=0, open_packages=0)
    assert not order_packed([(D(2), D(2))], open_picks=0, open_packages=1)
    assert not order_packed([(D(0), D(0))], open_picks=0, open_packages=0)  # nothing at all to ship


# ---------------------------------------------------------------- weighing


def test_expected_weight_adds_items_to_the_tare_and_is_lost_with_an_unweighed_item() -> None:
    expected = add_weight(D("0.250"), D("1.5"), D(2))
    assert expected == D("3.25")
    assert add_weight(expected, D("0.0000001"), D(3)) == D("3.25")  # kept to the millionth
    assert add_weight(expected, None, D(1)) is None
    assert add_weight(None, D(1), D(1)) is None


@pytest.mark.parametrize(("actual", "ok"), [("10.5", True), ("9.5", True), ("10.51", False), ("9.49", False)])
def test_weight_within_the_tolerance_either_way(actual: str, ok: bool) -> None:
    check = check_weight(D(10), D(actual), D(5))
    assert check.ok is ok
    assert check.allowed == D("0.5") and check.difference == D(actual) - 10


def test_no_expected_weight_cannot_be_checked() -> None:
    with pytest.raises(Conflict) as error:
        check_weight(None, D(1), D(5))
    assert code_of(error) == ("no_expected_weight", "weight")
    with pytest.raises(InvalidInput):
        check_weight(D(1), D(0), D(5))


def test_closing_refuses_empty_closed_and_failed_weighing() -> None:
    check_can_close("open", 1, None, None, None)  # weighing is optional
    check_can_close("open", 1, True, D(1), D(1))
    for args, code in ((("closed", 1, None, None, None), "package_closed"),
                       (("open", 0, None, None, None), "package_empty"),
                       (("open", 1, False, D(10), D(12)), "weight_mismatch")):
        with pytest.raises(Conflict) as error:
            check_can_close(*args)  # type: ignore[arg-type]
        assert error.value.code == code


# ---------------------------------------------------------------- shipping


def test_only_a_packed_order_ships() -> None:
    check_can_ship("packed")
    for status, code in (("picked", "order_not_packed"), ("allocated", "order_not_packed"),
                         ("cancelled", "order_cancelled"), ("shipped", "order_shipped")):
        with pytest.raises(Conflict) as error:
            check_can_ship(status)
        assert error.value.code == code


def test_rest_of_a_line_is_short_or_backordered_by_policy() -> None:
    assert (settle(D(5), D(3), "short").short, settle(D(5), D(3), "short").backorder) == (D(2), D(0))
    assert (settle(D(5), D(3), "backorder").short, settle(D(5), D(3), "backorder").backorder) == (D(0), D(2))
    assert settle(D(5), D(5), "backorder").backorder == 0


def test_backorder_reference_keeps_its_suffix() -> None:
    assert backorder_ref("SO-1", 1) == "SO-1-BO1"
    long = backorder_ref("X" * 64, 12)
    assert len(long) == 64 and long.endswith("-BO12")
