"""Bad stock input through the HTTP API: opening stock, adjustments and allocations.

Every bad request gets a 4xx naming the field and the reason, and NOTHING is posted: balances (virtual and empty
ones included), movement history and lots are exactly what they were, and a request with many lines and one bad
line writes none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from stockyard.db.engine import Database
from stockyard.domain.access import SYSTEM
from stockyard.domain.stock import Bucket, StockItem, StockStatus
from stockyard.services import ledger, stock
from stockyard.services import masterdata as md
from tests.e2e.support import API, all_pages, balances, error, ok, stock_state

Json = dict[str, Any]


@dataclass
class World:
    """One warehouse with stock in it, built through the API."""

    client: TestClient
    wh: int
    a1: int  # shelf with stock of every SKU
    a2: int  # shelf with QC stock only
    blocked: int  # blocked shelf that still holds stock
    inactive: int  # deactivated shelf
    adjustment: int  # the warehouse's virtual adjustment location
    acme: int
    other: int  # another owner
    dormant: int  # an inactive owner
    pc: int  # pieces, 0 decimals
    kg: int  # kilograms, 3 decimals
    lotted: int  # lot-controlled
    dated: int  # expiry-controlled
    serial: int  # serial-controlled
    gone: int  # inactive SKU
    theirs: int  # the other owner's SKU
    dormant_sku: int  # the inactive owner's SKU
    lot_l1: int  # lot L1 of `lotted`, 5 on hand in a1

    def line(self, **fields: Any) -> Json:
        return {"owner_id": self.acme, "sku_id": self.pc, "location_id": self.a1, "quantity": "1", **fields}

    def post(self, path: str, body: Json, **kwargs: Any) -> Any:
        return self.client.post(f"{API}/stock/{path}", json=body, **kwargs)

    def balance(self, sku: int, location: int, status: str = "available") -> Json:
        rows = [b for b in all_pages(self.client, "stock/balances", sku_id=sku, location_id=location)
                if b["status"] == status]
        assert len(rows) == 1, rows
        return rows[0]


@pytest.fixture
def w(client: TestClient, db: Database) -> World:
    """Built through the services, which is quicker than HTTP; every request under test goes through the API."""
    def record(entity: md.Entity, **values: Any) -> int:
        return int(md.create(db, entity, values, principal=SYSTEM)["id"])

    wh = record(md.WAREHOUSE, code="WH1", name="Main")
    a1, a2, blocked, inactive = (record(md.LOCATION, warehouse_id=wh, code=code)
                                 for code in ("A-01", "A-02", "B-01", "Z-99"))
    adjustment = md.list_records(db, md.LOCATION, {"warehouse_id": wh, "virtual_kind": "adjustment"},
            principal=SYSTEM).items[0]["id"]
    acme, other, dormant = (record(md.OWNER, code=code, name=code) for code in ("ACME", "OTHER", "DORMANT"))
    pc = record(md.SKU, owner_id=acme, code="PC", name="PC")
    kg = record(md.SKU, owner_id=acme, code="KG", name="KG", base_uom="KGM", decimals=3)
    lotted = record(md.SKU, owner_id=acme, code="LOT", name="LOT", lot_control=True)
    dated = record(md.SKU, owner_id=acme, code="EXP", name="EXP", expiry_control=True)
    serial = record(md.SKU, owner_id=acme, code="SER", name="SER", serial_control=True)
    gone = record(md.SKU, owner_id=acme, code="GONE", name="GONE")
    theirs = record(md.SKU, owner_id=other, code="THEIRS", name="THEIRS")
    dormant_sku = record(md.SKU, owner_id=dormant, code="DORM", name="DORM")
    day = date(2030, 1, 1)
    stock.post_opening_stock(db, [
        stock.StockLine(acme, pc, a1, Decimal(10)),
        stock.StockLine(acme, pc, blocked, Decimal(4)),
        stock.StockLine(acme, pc, a2, Decimal(3), status=StockStatus.QC),
        stock.StockLine(acme, kg, a1, Decimal("5.5")),
        stock.StockLine(acme, serial, a1, Decimal(1), serial="SN-1"),
        stock.StockLine(acme, lotted, a1, Decimal(5), lot_number="L1"),
        stock.StockLine(acme, dated, a1, Decimal(2), lot_number="E1", expiry_date=day),
        stock.StockLine(other, theirs, a1, Decimal(7)),
    ], principal=SYSTEM, doc_ref="GO-LIVE")
    ledger.allocate(db, StockItem(acme, pc), Bucket(a1), Decimal(2), user="test")
    md.update_record(db, md.LOCATION, blocked, {"status": "blocked"}, principal=SYSTEM)
    md.deactivate(db, md.LOCATION, inactive, principal=SYSTEM)
    md.deactivate(db, md.SKU, gone, principal=SYSTEM)
    md.deactivate(db, md.OWNER, dormant, principal=SYSTEM)
    lot_l1 = md.list_records(db, md.LOT, {"sku_id": lotted, "number": "L1"}, principal=SYSTEM).items[0]["id"]
    md.deactivate(db, md.LOT, record(md.LOT, sku_id=lotted, number="L-OLD"), principal=SYSTEM)
    return World(client, wh, a1, a2, blocked, inactive, adjustment, acme, other, dormant, pc, kg, lotted, dated,
                 serial, gone, theirs, dormant_sku, lot_l1)


def refused(w: World, path: str, body: Json, status: int, code: str | None, field: str | None,
            case: str, before: dict[str, Any] | None = None) -> dict[str, Any]:
    """Post a bad request: it is refused with the status, code and field given, and nothing is written.

    Given ``before`` (the stock state before a series of bad requests), only the balances are compared here;
    movements and lots are never deleted, so the caller compares the whole state once after the series."""
    whole = before is None
    before = before or stock_state(w.client)
    response = w.post(path, body)
    inner = error(response, status, code)
    if field is not None:
        assert inner["field"] == field, (case, inner)
    if whole:
        assert stock_state(w.client) == before, f"{case}: a refused request changed the stock"
    else:
        assert balances(w.client) == before["balances"], f"{case}: a refused request changed the balances"
    return inner


# ---------------------------------------------------------------- the world itself, so "unchanged" means something


def test_good_lines_are_posted(w: World) -> None:
    before = stock_state(w.client)
    written = ok(w.post("opening", {"lines": [
        w.line(sku_id=w.kg, quantity="1.125"),
        w.line(sku_id=w.lotted, lot_number="L2", quantity="3"),
        w.line(sku_id=w.serial, serial="SN-2"),
    ]}), 201)
    assert (written["movements"], written["allocations"]) == (3, 0)
    assert w.balance(w.kg, w.a1)["on_hand"] == "6.625"
    assert [lot["number"] for lot in all_pages(w.client, "lots", sku_id=w.lotted)] == ["L1", "L-OLD", "L2"]
    after = stock_state(w.client)
    assert len(after["movements"]) == len(before["movements"]) + 3
    pc = w.balance(w.pc, w.a1)
    assert (pc["on_hand"], pc["allocated"], pc["available"]) == ("10", "2", "8")


# ---------------------------------------------------------------- opening stock


def _opening_cases(w: World) -> list[tuple[str, Json, int, str, str | None]]:
    return [
        ("unknown SKU", w.line(sku_id=987654), 422, "unknown_sku", "lines[0].sku_id"),
        ("inactive SKU", w.line(sku_id=w.gone), 422, "inactive_sku", "lines[0].sku_id"),
        ("inactive owner", w.line(owner_id=w.dormant, sku_id=w.dormant_sku), 422, "inactive_owner",
         "lines[0].owner_id"),
        ("SKU of another owner", w.line(sku_id=w.theirs), 422, "sku_of_other_owner", "lines[0].sku_id"),
        ("unknown location", w.line(location_id=987654), 422, "unknown_location", "lines[0].location_id"),
        ("inactive location", w.line(location_id=w.inactive), 422, "inactive_location", "lines[0].location_id"),
        ("blocked location", w.line(location_id=w.blocked), 422, "location_blocked", "lines[0].location_id"),
        ("virtual location", w.line(location_id=w.adjustment), 422, "invalid", "lines[0].location_id"),
        ("unknown container", w.line(container_id=987654), 422, "unknown_container", "lines[0].container_id"),
        ("zero", w.line(quantity="0"), 422, "quantity_not_positive", "lines[0].quantity"),
        ("zero as a number", w.line(quantity=0), 422, "quantity_not_positive", "lines[0].quantity"),
        ("negative", w.line(quantity="-1"), 422, "quantity_not_positive", "lines[0].quantity"),
        ("not a number", w.line(quantity="ten"), 422, "invalid", "lines[0].quantity"),
        ("empty quantity", w.line(quantity=""), 422, "invalid", "lines[0].quantity"),
        ("NaN", w.line(quantity="NaN"), 422, "invalid", "lines[0].quantity"),
        ("boolean", w.line(quantity=True), 422, "invalid", "lines[0].quantity"),
        ("no quantity", {k: v for k, v in w.line().items() if k != "quantity"}, 422, "invalid",
         "lines[0].quantity"),
        ("fraction of a piece", w.line(quantity="1.5"), 422, "too_many_decimals", "lines[0].quantity"),
        ("fraction of a piece as a number", w.line(quantity=2.5), 422, "too_many_decimals", "lines[0].quantity"),
        # 30 significant digits: more than Decimal's default precision, once silently rounded to 1.
        ("a tiny fraction of a piece", w.line(quantity="1.00000000000000000000000000001"), 422,
         "too_many_decimals", "lines[0].quantity"),
        ("too large", w.line(quantity="1e13"), 422, "quantity_too_large", "lines[0].quantity"),
        ("4 decimals of kilograms", w.line(sku_id=w.kg, quantity="1.1255"), 422, "too_many_decimals",
         "lines[0].quantity"),
        ("lot-controlled without lot", w.line(sku_id=w.lotted), 422, "lot_required", None),
        ("inactive lot", w.line(sku_id=w.lotted, lot_number="L-OLD"), 422, "inactive_lot", None),
        ("expiry-controlled new lot without expiry", w.line(sku_id=w.dated, lot_number="E2"), 422,
         "expiry_required", "lines[0].expiry_date"),
        ("expiry before production", w.line(sku_id=w.lotted, lot_number="L3", production_date="2024-05-02",
                                            expiry_date="2024-05-01"), 422, "invalid", "lines[0].expiry_date"),
        ("existing lot with another expiry", w.line(sku_id=w.dated, lot_number="E1", expiry_date="2031-01-01"),
         422, "lot_expiry_mismatch", "lines[0].expiry_date"),
        ("bad date", w.line(sku_id=w.dated, lot_number="E3", expiry_date="2024-02-30"), 422, "invalid",
         "lines[0].expiry_date"),
        ("serial-controlled without serial", w.line(sku_id=w.serial), 422, "serial_required", "lines[0].serial"),
        ("serial quantity 2", w.line(sku_id=w.serial, serial="SN-5", quantity="2"), 422, "serial_quantity_not_one",
         "lines[0].quantity"),
        ("serial on a SKU without serials", w.line(serial="SN-6"), 422, "serial_not_allowed", "lines[0].serial"),
        ("serial with a separator", w.line(sku_id=w.serial, serial="SN|7"), 422, "invalid", "lines[0].serial"),
        ("serial already in stock", w.line(sku_id=w.serial, serial="SN-1"), 409, "duplicate_serial", None),
        ("unknown status", w.line(status="lost"), 422, "invalid", "lines[0].status"),
        ("unknown field", w.line(colour="red"), 422, "invalid", "lines[0].colour"),
    ]


def test_opening_refuses_each_bad_line_and_writes_nothing(w: World) -> None:
    before = stock_state(w.client)
    for case, line, status, code, field in _opening_cases(w):
        refused(w, "opening", {"lines": [line]}, status, code, field, case, before)
    for case, body, status, code, field in [
        ("same serial twice", {"lines": [w.line(sku_id=w.serial, serial="SN-8"), w.line(sku_id=w.pc),
                                         w.line(sku_id=w.serial, serial="SN-8")]},
         422, "duplicate_serial", "lines[2].serial"),
        ("no lines", {"lines": []}, 422, "invalid", "lines"),
        ("lines missing", {"doc_ref": "X"}, 422, "invalid", "lines"),
        ("lines not a list", {"lines": w.line()}, 422, "invalid", "lines"),
        # Refused, though named as the SKU's owner mismatch (see test_an_unknown_owner_is_named).
        ("unknown owner", {"lines": [w.line(owner_id=987654)]}, 422, None, None),
    ]:
        refused(w, "opening", body, status, code, field, case, before)
    assert stock_state(w.client) == before


# ---------------------------------------------------------------- adjustments


def test_adjustments_refuse_bad_lines_and_write_nothing(w: World) -> None:
    cases: list[tuple[str, Json, int, str, str | None]] = [
        ("unknown reason", {"reason_code": "MISC", "lines": [w.line()]}, 422, "unknown_reason", "reason_code"),
        ("no reason", {"lines": [w.line()]}, 422, "invalid", "reason_code"),
        # 10 on hand, 2 allocated: 8 can be written off, not 9.
        ("more than available", {"reason_code": "LOST", "lines": [w.line(quantity="9")]}, 409,
         "insufficient_stock", "lines[0].quantity"),
        ("nothing there", {"reason_code": "DAMAGED", "lines": [w.line(location_id=w.a2)]}, 409,
         "insufficient_stock", "lines[0].quantity"),
        ("more QC stock than there is", {"reason_code": "DAMAGED", "lines": [
            w.line(location_id=w.a2, status="qc", quantity="4")]}, 409, "insufficient_stock", "lines[0].quantity"),
        ("serial not in stock", {"reason_code": "LOST", "lines": [w.line(sku_id=w.serial, serial="SN-404")]}, 409,
         "insufficient_stock", "lines[0].quantity"),
        ("unknown lot", {"reason_code": "LOST", "lines": [w.line(sku_id=w.lotted, lot_number="L404")]}, 409,
         "insufficient_stock", "lines[0].quantity"),
        ("from a blocked location", {"reason_code": "LOST", "lines": [w.line(location_id=w.blocked)]}, 422,
         "location_blocked", "lines[0].location_id"),
        ("into a blocked location", {"reason_code": "FOUND", "lines": [w.line(location_id=w.blocked)]}, 422,
         "location_blocked", "lines[0].location_id"),
        ("from an inactive location", {"reason_code": "COUNT_LOSS", "lines": [w.line(location_id=w.inactive)]},
         422, "inactive_location", "lines[0].location_id"),
        ("unknown location", {"reason_code": "FOUND", "lines": [w.line(location_id=987654)]}, 422,
         "unknown_location", "lines[0].location_id"),
        ("unknown SKU", {"reason_code": "FOUND", "lines": [w.line(sku_id=987654)]}, 422, "unknown_sku",
         "lines[0].sku_id"),
        ("inactive SKU", {"reason_code": "FOUND", "lines": [w.line(sku_id=w.gone)]}, 422, "inactive_sku",
         "lines[0].sku_id"),
        ("inactive owner", {"reason_code": "FOUND", "lines": [w.line(owner_id=w.dormant, sku_id=w.dormant_sku)]},
         422, "inactive_owner", "lines[0].owner_id"),
        ("another owner's SKU", {"reason_code": "LOST", "lines": [w.line(sku_id=w.theirs)]}, 422,
         "sku_of_other_owner", "lines[0].sku_id"),
        ("zero", {"reason_code": "FOUND", "lines": [w.line(quantity="0")]}, 422, "quantity_not_positive",
         "lines[0].quantity"),
        ("negative write-off", {"reason_code": "LOST", "lines": [w.line(quantity="-3")]}, 422,
         "quantity_not_positive", "lines[0].quantity"),
        ("not a number", {"reason_code": "FOUND", "lines": [w.line(quantity="1,5")]}, 422, "invalid",
         "lines[0].quantity"),
        ("4 decimals of kilograms", {"reason_code": "LOST", "lines": [w.line(sku_id=w.kg, quantity="0.0001")]},
         422, "too_many_decimals", "lines[0].quantity"),
        ("serial quantity 2", {"reason_code": "FOUND", "lines": [
            w.line(sku_id=w.serial, serial="SN-9", quantity="2")]}, 422, "serial_quantity_not_one",
         "lines[0].quantity"),
        ("found a serial already in stock", {"reason_code": "FOUND", "lines": [
            w.line(sku_id=w.serial, serial="SN-1")]}, 409, "duplicate_serial", None),
        ("lot-controlled without lot", {"reason_code": "FOUND", "lines": [w.line(sku_id=w.lotted)]}, 422,
         "lot_required", None),
    ]
    before = stock_state(w.client)
    for case, body, status, code, field in cases:
        refused(w, "adjustments", body, status, code, field, case, before)
    assert stock_state(w.client) == before


def test_a_write_off_of_exactly_the_available_stock_is_allowed(w: World) -> None:
    ok(w.post("adjustments", {"reason_code": "LOST", "lines": [w.line(quantity="8")]}), 201)
    pc = w.balance(w.pc, w.a1)
    assert (pc["on_hand"], pc["allocated"], pc["available"]) == ("2", "2", "0")
    refused(w, "adjustments", {"reason_code": "LOST", "lines": [w.line(quantity="1")]}, 409, "insufficient_stock",
            "lines[0].quantity", "allocated stock is not written off")


# ---------------------------------------------------------------- one bad line spoils the whole request


def test_one_bad_line_writes_none_of_the_lines(w: World) -> None:
    good = [
        w.line(sku_id=w.lotted, lot_number="NEW-LOT", quantity="5"),  # would create a lot
        w.line(sku_id=w.dated, expiry_date="2031-06-30", quantity="1"),  # would create lot EXP20310630
        w.line(sku_id=w.kg, quantity="2.25"),
        w.line(sku_id=w.serial, serial="SN-NEW"),
    ]
    bad_lines: list[tuple[str, Json, int]] = [
        ("unknown location", w.line(location_id=987654), 422),
        ("unknown SKU with a lot", w.line(sku_id=987654, lot_number="X1"), 422),
        ("too many decimals", w.line(quantity="0.5"), 422),
        ("lot-controlled without lot", w.line(sku_id=w.lotted), 422),
        ("expiry-controlled without expiry", w.line(sku_id=w.dated, lot_number="E9"), 422),
        ("blocked location", w.line(location_id=w.blocked), 422),
        ("inactive SKU", w.line(sku_id=w.gone), 422),
        ("serial already in stock", w.line(sku_id=w.serial, serial="SN-1"), 409),
        ("serial of a good line again", w.line(sku_id=w.serial, serial="SN-NEW"), 422),
    ]
    before = stock_state(w.client)
    for case, bad, status in bad_lines:
        inner = refused(w, "opening", {"lines": [*good, bad]}, status, None, None, case, before)
        if inner["field"] is not None and inner["field"].startswith("lines["):
            assert inner["field"].startswith("lines[4]"), (case, inner)
    assert stock_state(w.client) == before
    lots = [lot["number"] for lot in all_pages(w.client, "lots")]
    assert "NEW-LOT" not in lots and "EXP20310630" not in lots
    # And the good lines alone go through, so it was the bad line that stopped them.
    ok(w.post("opening", {"lines": good}), 201)
    assert {"NEW-LOT", "EXP20310630"} <= {lot["number"] for lot in all_pages(w.client, "lots")}


def test_one_line_short_writes_off_none_of_the_lines(w: World) -> None:
    before = stock_state(w.client)
    body = {"reason_code": "COUNT_LOSS", "lines": [
        w.line(quantity="1"), w.line(sku_id=w.kg, quantity="0.5"), w.line(sku_id=w.serial, serial="SN-1"),
        w.line(sku_id=w.lotted, lot_number="L1", quantity="6")]}
    refused(w, "adjustments", body, 409, "insufficient_stock", "lines[3].quantity", "last line short", before)
    # Two lines from one bucket, each possible alone, are too much together: 5.5 kg on hand.
    twice = {"reason_code": "LOST", "lines": [w.line(sku_id=w.kg, quantity="3"), w.line(sku_id=w.kg, quantity="3")]}
    inner = refused(w, "adjustments", twice, 409, "insufficient_stock", None, "two lines over the available", before)
    assert inner["field"] in ("lines[0].quantity", "lines[1].quantity")
    assert stock_state(w.client) == before


# ---------------------------------------------------------------- allocations


def test_allocations_refuse_bad_input_and_write_nothing(w: World) -> None:
    def alloc(**fields: Any) -> Json:
        return {"owner_id": w.acme, "sku_id": w.pc, "location_id": w.a1, "quantity": "1", **fields}

    cases: list[tuple[str, Json, int, str, str]] = [
        ("unknown SKU", alloc(sku_id=987654), 422, "unknown_sku", "sku_id"),
        ("inactive SKU", alloc(sku_id=w.gone), 422, "inactive_sku", "sku_id"),
        ("inactive owner", alloc(owner_id=w.dormant, sku_id=w.dormant_sku), 422, "inactive_owner", "owner_id"),
        ("another owner's SKU", alloc(sku_id=w.theirs), 422, "sku_of_other_owner", "sku_id"),
        ("unknown location", alloc(location_id=987654), 422, "unknown_location", "location_id"),
        ("inactive location", alloc(location_id=w.inactive), 422, "inactive_location", "location_id"),
        ("blocked location", alloc(location_id=w.blocked), 422, "location_blocked", "location_id"),
        ("virtual location", alloc(location_id=w.adjustment), 422, "invalid", "location_id"),
        ("zero", alloc(quantity="0"), 422, "quantity_not_positive", "quantity"),
        ("not a number", alloc(quantity="many"), 422, "invalid", "quantity"),
        ("fraction of a piece", alloc(quantity="0.5"), 422, "too_many_decimals", "quantity"),
        ("4 decimals of kilograms", alloc(sku_id=w.kg, quantity="1.0001"), 422, "too_many_decimals", "quantity"),
        # 10 on hand, 2 already allocated.
        ("more than available", alloc(quantity="9"), 409, "insufficient_stock", "quantity"),
        ("QC stock", alloc(location_id=w.a2), 409, "insufficient_stock", "quantity"),
        ("nothing of this lot", alloc(sku_id=w.lotted), 422, "lot_required", "lot_id"),
        ("lot of another SKU", alloc(lot_id=w.lot_l1), 422, "lot_of_other_sku", "lot_id"),
        ("serial on a SKU without serials", alloc(serial="SN-1"), 422, "serial_not_allowed", "serial"),
        ("serial not in stock", alloc(sku_id=w.serial, serial="SN-404"), 409, "insufficient_stock", "quantity"),
        ("unknown field", alloc(priority="high"), 422, "invalid", "priority"),
    ]
    before = stock_state(w.client)
    for case, body, status, code, field in cases:
        inner = refused(w, "allocations", body, status, code, None, case, before)
        # The field is named (see test_allocation_errors_name_the_request_fields for the exact path).
        assert inner["field"] is not None and inner["field"].rsplit(".", 1)[-1] == field, (case, inner)
    assert stock_state(w.client) == before
    qc = w.balance(w.pc, w.a2, "qc")
    assert (qc["on_hand"], qc["allocated"]) == ("3", "0")


def test_allocating_all_that_is_available_then_one_more(w: World) -> None:
    ok(w.post("allocations", {"owner_id": w.acme, "sku_id": w.pc, "location_id": w.a1, "quantity": "8"}), 201)
    refused(w, "allocations", {"owner_id": w.acme, "sku_id": w.pc, "location_id": w.a1, "quantity": "1"}, 409,
            "insufficient_stock", None, "one more than available")
    pc = w.balance(w.pc, w.a1)
    assert (pc["on_hand"], pc["allocated"], pc["available"]) == ("10", "10", "0")


# ---------------------------------------------------------------- Idempotency-Key on stock postings


def test_a_replayed_opening_posts_once(w: World) -> None:
    body = {"lines": [w.line(quantity="4"), w.line(sku_id=w.lotted, lot_number="L7", quantity="2")]}
    headers = {"Idempotency-Key": "opening-2"}
    first = w.post("opening", body, headers=headers)
    assert first.status_code == 201
    after_first = stock_state(w.client)
    replay = w.post("opening", body, headers=headers)
    assert (replay.status_code, replay.json(), replay.headers["idempotency-replayed"]) == (201, first.json(), "true")
    assert stock_state(w.client) == after_first
    assert w.balance(w.pc, w.a1)["on_hand"] == "14"
    error(w.post("opening", {"lines": [w.line(quantity="5")]}, headers=headers), 422, "idempotency_key_reused",
          "Idempotency-Key")
    assert stock_state(w.client) == after_first


def test_a_refused_posting_replays_its_refusal(w: World) -> None:
    before = stock_state(w.client)
    body = {"reason_code": "LOST", "lines": [w.line(quantity="9")]}
    first = w.post("adjustments", body, headers={"Idempotency-Key": "adj-1"})
    error(first, 409, "insufficient_stock")
    # Enough stock arrives; the key still answers what it answered.
    ok(w.post("adjustments", {"reason_code": "FOUND", "lines": [w.line(quantity="5")]}), 201)
    after_found = stock_state(w.client)
    replay = w.post("adjustments", body, headers={"Idempotency-Key": "adj-1"})
    assert (replay.status_code, replay.json(), replay.headers["idempotency-replayed"]) == (409, first.json(), "true")
    assert stock_state(w.client) == after_found
    assert len(after_found["movements"]) == len(before["movements"]) + 1


# ---------------------------------------------------------------- fields named as the request names them


def test_a_negative_allocation_is_refused(w: World) -> None:
    refused(w, "allocations", {"owner_id": w.acme, "sku_id": w.pc, "location_id": w.a1, "quantity": "-2"}, 422,
            "quantity_not_positive", "quantity", "negative allocation")


def test_allocation_errors_name_the_request_fields(w: World) -> None:
    refused(w, "allocations", {"owner_id": w.acme, "sku_id": w.pc, "location_id": w.a1, "quantity": "9"}, 409,
            "insufficient_stock", "quantity", "more than available")


def test_a_serial_already_in_stock_names_its_line(w: World) -> None:
    refused(w, "opening", {"lines": [w.line(), w.line(sku_id=w.serial, serial="SN-1")]}, 409, "duplicate_serial",
            "lines[1].serial", "serial in stock")


def test_a_missing_lot_names_lot_number(w: World) -> None:
    refused(w, "opening", {"lines": [w.line(sku_id=w.lotted)]}, 422, "lot_required", "lines[0].lot_number",
            "no lot")


def test_a_missing_expiry_names_expiry_date(w: World) -> None:
    refused(w, "opening", {"lines": [w.line(sku_id=w.dated)]}, 422, "expiry_required", "lines[0].expiry_date",
            "no expiry")


def test_an_unknown_owner_is_named(w: World) -> None:
    inner = refused(w, "opening", {"lines": [w.line(owner_id=987654)]}, 422, "unknown_owner", None,
                    "unknown owner")
    assert inner["field"] == "lines[0].owner_id"
