"""Inbound over HTTP: ASN in → receive by GS1 scans → QC → putaway → balances, verify, outbox; and every bad input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.master import gs1_check_digit
from stockyard.services.verify import verify
from tests.e2e.support import API, create, error, ok
from tests.helpers import bearer

Json = dict[str, Any]


def gtin(body: str) -> str:
    return body + str(gs1_check_digit(body))


TEA_GTIN = gtin("0950600013435")
PHONE_GTIN = gtin("0950600013436")
BOLT_CASE_GTIN = gtin("1950600013437")
SOON = date.today() + timedelta(days=10)
LATER = date.today() + timedelta(days=400)


def gs1(*parts: str) -> str:
    """A GS1-128 scan as a scanner sends it: symbology identifier, GS after variable-length fields."""
    return "]C1" + "\x1d".join(parts)


@dataclass
class Site:
    wh: int
    dock: int
    shelves: list[int]
    blocked: int
    acme: int
    other: int
    tea: int
    phone: int
    bolt: int
    supplier: int


@pytest.fixture
def site(client: TestClient) -> Site:
    wh = create(client, "warehouses", {"code": "W1", "name": "Main"})["id"]
    rcv = create(client, "zones", {"warehouse_id": wh, "code": "RCV", "name": "Receiving", "kind": "receiving"})["id"]
    sto = create(client, "zones", {"warehouse_id": wh, "code": "STO", "name": "Storage", "kind": "storage"})["id"]
    dock = create(client, "locations", {"warehouse_id": wh, "zone_id": rcv, "code": "DOCK-1", "kind": "staging",
                                        "x": "0", "y": "0"})["id"]
    shelves = [create(client, "locations", {"warehouse_id": wh, "zone_id": sto, "code": f"S-0{n}", "x": str(n),
                                            "y": "0", "max_units": "100", "mix_skus": False})["id"]
               for n in range(1, 5)]
    blocked = create(client, "locations", {"warehouse_id": wh, "zone_id": sto, "code": "S-BLK", "x": "0.5",
                                           "y": "0", "status": "blocked"})["id"]
    acme = create(client, "owners", {"code": "ACME", "name": "Acme", "over_receipt_pct": "10",
                                     "min_shelf_life_days": 30, "qc_receipt_types": ["customer_return"]})["id"]
    other = create(client, "owners", {"code": "OTHER", "name": "Other"})["id"]
    tea = create(client, "skus", {"owner_id": acme, "code": "TEA", "name": "Tea", "lot_control": True,
                                  "expiry_control": True, "barcodes": [{"barcode": TEA_GTIN}]})["id"]
    phone = create(client, "skus", {"owner_id": acme, "code": "PHONE", "name": "Phone", "serial_control": True,
                                    "barcodes": [{"barcode": PHONE_GTIN}]})["id"]
    bolt = create(client, "skus", {"owner_id": acme, "code": "BOLT", "name": "Bolt", "packs": [
        {"level": "case", "uom": "CS", "factor": "10"}], "barcodes": [{"barcode": BOLT_CASE_GTIN,
                                                                      "pack_level": "case"}]})["id"]
    supplier = create(client, "suppliers", {"owner_id": acme, "code": "SUP", "name": "Supplier"})["id"]
    create(client, f"warehouses/{wh}/putaway-rules", {"name": "Same SKU together", "priority": 10,
                                                      "policy": "consolidate", "target_zone_id": sto})
    create(client, f"warehouses/{wh}/putaway-rules", {"name": "Nearest empty shelf", "priority": 20,
                                                      "policy": "nearest_empty", "target_zone_id": sto})
    return Site(wh, dock, shelves, blocked, acme, other, tea, phone, bolt, supplier)


def asn(site: Site, ref: str = "PO-1", **extra: Any) -> Json:
    return {"owner_id": site.acme, "warehouse_id": site.wh, "external_ref": ref, "type": "purchase",
            "supplier_id": site.supplier, "lines": [
                {"sku_code": "TEA", "quantity": "100"},
                {"sku_id": site.phone, "quantity": "2"},
                {"sku_id": site.bolt, "quantity": "5", "level": "case"}], **extra}


def movements(db: Database) -> int:
    return int(db.read(lambda conn: conn.execute(select(func.count()).select_from(t.movement)).scalar_one()))


def on_hand(client: TestClient, **filters: Any) -> dict[tuple[int, int, str], str]:
    rows = ok(client.get(f"{API}/stock/balances", params={**filters, "limit": 500}))["items"]
    return {(r["location_id"], r["sku_id"], r["status"]): r["on_hand"] for r in rows}


def test_asn_in_scan_receive_putaway_close(client: TestClient, db: Database, site: Site) -> None:
    receipt = create(client, "receipts", asn(site))
    assert [(line["sku_code"], line["expected_quantity"]) for line in receipt["lines"]] == [
        ("TEA", "100"), ("PHONE", "2"), ("BOLT", "50")]
    # The same order sent again is the same order; other content under the same reference is refused.
    again = client.post(f"{API}/receipts", json=asn(site))
    assert again.status_code == 200 and again.json()["id"] == receipt["id"]
    error(client.post(f"{API}/receipts", json=asn(site, note="changed")), 409, "receipt_conflict", "external_ref")

    url = f"{API}/receipts/{receipt['id']}/receive"
    tea = ok(client.post(url, json={"location_id": site.dock, "quantity": "60", "lpn": "PAL-1",
                                    "scan": gs1(f"01{TEA_GTIN}17{LATER:%y%m%d}10L1")}), 201)
    assert tea["status"] == "available" and tea["quantity"] == "60" and len(tea["putaway_tasks"]) == 1
    for serial in ("SN-1", "SN-2"):
        ok(client.post(url, json={"location_id": site.dock, "scan": gs1(f"01{PHONE_GTIN}21{serial}")}), 201)
    bolts = ok(client.post(url, json={"location_id": site.dock, "scan": BOLT_CASE_GTIN, "quantity": "5"}), 201)
    assert bolts["quantity"] == "50"  # five cases of ten

    tasks = ok(client.get(f"{API}/tasks", params={"receipt_id": receipt["id"]}))
    assert len(tasks) == 4
    targets = {task["to_location_id"] for task in tasks}
    assert len(targets) == 3, "the two phones go together, each SKU to its own shelf (no mixing)"
    tea_task = next(task for task in tasks if task["sku_id"] == site.tea)
    assert tea_task["explanation"]["rule"] == "Nearest empty shelf"
    assert tea_task["explanation"]["skipped"], "the consolidate rule says why it did not decide"
    for task in tasks:
        code = next(c for c, i in zip(("S-01", "S-02", "S-03", "S-04"), site.shelves, strict=True)
                    if i == task["to_location_id"])
        done = ok(client.post(f"{API}/tasks/{task['id']}/confirm", json={"location_code": code,
                                                                          "sku_id": task["sku_id"]}))
        assert done["status"] == "done" and not done["overridden"]
    stock = on_hand(client, warehouse_id=site.wh)
    assert stock[(tea_task["to_location_id"], site.tea, "available")] == "60"
    assert not any(loc == site.dock for loc, _, _ in stock), "nothing left on the dock"

    closed = ok(client.post(f"{API}/receipts/{receipt['id']}/close"))
    assert closed["status"] == "closed"
    assert closed["discrepancies"] == [{"line_no": 1, "sku_code": "TEA", "difference": "-40", "kind": "short"}]
    with db.engine.connect() as conn:
        event = conn.execute(select(t.outbox_event)).one()
    assert event.topic == "receipt.confirmed" and event.aggregate_id == str(receipt["id"])
    lines = {line["sku_code"]: line for line in event.payload["lines"]}
    assert lines["TEA"]["detail"][0]["lot"] == "L1" and lines["TEA"]["received"] == "60"
    assert sorted(d["serial"] for d in lines["PHONE"]["detail"]) == ["SN-1", "SN-2"]
    assert verify(db).ok
    report = client.get(f"{API}/receipts/{receipt['id']}/report.pdf")
    assert report.status_code == 200 and report.content.startswith(b"%PDF-")


def test_returns_go_to_qc_and_an_inspection_splits_them(client: TestClient, db: Database, site: Site) -> None:
    receipt = create(client, "receipts", {**asn(site, "RMA-1"), "type": "customer_return",
                                          "lines": [{"sku_id": site.bolt, "quantity": "5"}]})
    got = ok(client.post(f"{API}/receipts/{receipt['id']}/receive",
                         json={"location_id": site.dock, "sku_id": site.bolt, "quantity": "5"}), 201)
    assert got["status"] == "qc" and got["putaway_tasks"] == []
    queue = ok(client.get(f"{API}/qc/queue"))
    assert [(q["sku_id"], q["on_hand"]) for q in queue] == [(site.bolt, "5")]
    # QC stock can never be allocated.
    error(client.post(f"{API}/stock/allocations", json={"owner_id": site.acme, "sku_id": site.bolt,
                                                        "location_id": site.dock, "status": "qc", "quantity": "1"}),
          422)
    body = {"owner_id": site.acme, "sku_id": site.bolt, "location_id": site.dock, "quantity": "5",
            "sampled_quantity": "2", "result": "partial", "passed_quantity": "3", "damaged_quantity": "1",
            "returned_quantity": "1", "receipt_id": receipt["id"]}
    error(client.post(f"{API}/qc/inspections", json={**body, "returned_quantity": "0"}), 422, "split_mismatch")
    inspection = ok(client.post(f"{API}/qc/inspections", json=body), 201)
    assert len(inspection["putaway_tasks"]) == 1 and inspection["putaway_tasks"][0]["quantity"] == "3"
    stock = on_hand(client, location_id=site.dock)
    assert stock == {(site.dock, site.bolt, "available"): "3", (site.dock, site.bolt, "damaged"): "1",
                     (site.dock, site.bolt, "return_to_vendor"): "1"}
    assert ok(client.get(f"{API}/qc/queue")) == []
    assert verify(db).ok


def test_partial_putaway_and_overrides(client: TestClient, db: Database, site: Site) -> None:
    receipt = create(client, "receipts", asn(site))
    got = ok(client.post(f"{API}/receipts/{receipt['id']}/receive", json={
        "location_id": site.dock, "scan": gs1(f"01{TEA_GTIN}17{LATER:%y%m%d}10L1"), "quantity": "60"}), 201)
    task = got["putaway_tasks"][0]
    first = ok(client.post(f"{API}/tasks/{task['id']}/confirm", json={"quantity": "20"}))
    assert first["status"] == "open" and first["quantity"] == "40" and first["done_quantity"] == "20"
    suggested = task["to_location_id"]
    error(client.post(f"{API}/tasks/{task['id']}/confirm", json={"location_id": site.shelves[3]}), 422, None,
          "override_reason")
    error(client.post(f"{API}/tasks/{task['id']}/confirm", json={"location_id": site.blocked,
                                                                  "override_reason": "closer"}), 409,
          "location_blocked")
    # A shelf holding bolts takes no tea: shelves here do not mix SKUs.
    bolts = ok(client.post(f"{API}/receipts/{receipt['id']}/receive",
                           json={"location_id": site.dock, "scan": BOLT_CASE_GTIN, "quantity": "5"}), 201)
    bolt_target = bolts["putaway_tasks"][0]["to_location_id"]
    ok(client.post(f"{API}/tasks/{bolts['putaway_tasks'][0]['id']}/confirm", json={}))
    before = movements(db)
    error(client.post(f"{API}/tasks/{task['id']}/confirm", json={"location_id": bolt_target,
                                                                  "override_reason": "closer"}), 409,
          "location_unfit")
    assert movements(db) == before
    other = next(s for s in site.shelves if s not in (suggested, bolt_target))
    moved = ok(client.post(f"{API}/tasks/{task['id']}/confirm", json={"location_id": other,
                                                                       "override_reason": "aisle 1 closed"}))
    assert moved["status"] == "done" and moved["overridden"]
    with db.engine.connect() as conn:
        reasons = conn.execute(select(t.task_confirmation.c.override_reason).order_by(t.task_confirmation.c.id))
        assert list(reasons.scalars()) == [None, None, "aisle 1 closed"]
    assert verify(db).ok


@pytest.mark.parametrize(("entry", "status", "code", "field"), [
    ({"sku_id": "OTHER_SKU", "quantity": "1"}, 422, "sku_not_on_receipt", "sku_id"),
    ({"scan": "OTHER_BARCODE", "quantity": "1"}, 422, "unknown_barcode", "scan"),
    ({"scan": f"]C101{TEA_GTIN}17{LATER:%y%m%d}", "quantity": "1"}, 422, "lot_required", "lot"),
    ({"scan": gs1(f"01{TEA_GTIN}17{date.today() - timedelta(days=1):%y%m%d}10L9"), "quantity": "1"}, 422,
     "expired", "expiry_date"),
    ({"scan": gs1(f"01{TEA_GTIN}17{SOON:%y%m%d}10L9"), "quantity": "1"}, 422, "short_shelf_life", "expiry_date"),
    ({"scan": gs1(f"01{TEA_GTIN}17{LATER:%y%m%d}10L1"), "quantity": "111"}, 422, "over_tolerance", "quantity"),
    ({"sku_id": "PHONE", "serials": ["SN-1", "SN-1"], "quantity": "2"}, 422, "duplicate_serial", "serials"),
    ({"sku_id": "PHONE", "quantity": "1"}, 422, "serial_required", "serials"),
    ({"scan": "]C10112345678901234", "quantity": "1"}, 422, "bad_barcode", "scan"),
    ({"scan": "(01)0950600013435", "quantity": "1"}, 422, "bad_barcode", "scan"),
    ({"sku_id": "TEA", "lot": "L1", "expiry_date": str(LATER), "quantity": "1", "location_id": "BLOCKED"}, 422,
     "location_blocked", "location_id"),
    ({"sku_id": "TEA", "lot": "L1", "expiry_date": str(LATER), "quantity": "0"}, 422, None, "quantity"),
])
def test_bad_receiving_input_is_refused_and_nothing_is_posted(client: TestClient, db: Database, site: Site,
                                                              entry: Json, status: int, code: str | None,
                                                              field: str) -> None:
    other_sku = create(client, "skus", {"owner_id": site.other, "code": "X", "name": "X",
                                        "barcodes": [{"barcode": gtin("0950600013439")}]})["id"]
    names = {"OTHER_SKU": other_sku, "PHONE": site.phone, "TEA": site.tea, "BLOCKED": site.blocked,
             "OTHER_BARCODE": gtin("0950600013439")}
    body = {"location_id": site.dock, **{k: names.get(v, v) if isinstance(v, str) else v for k, v in entry.items()}}
    receipt = create(client, "receipts", asn(site))
    before = movements(db)
    error(client.post(f"{API}/receipts/{receipt['id']}/receive", json=body), status, code, field)
    assert movements(db) == before
    assert ok(client.get(f"{API}/receipts/{receipt['id']}"))["status"] == "created"


def test_a_serial_already_in_stock_is_refused(client: TestClient, db: Database, site: Site) -> None:
    first = create(client, "receipts", asn(site))
    ok(client.post(f"{API}/receipts/{first['id']}/receive",
                   json={"location_id": site.dock, "scan": gs1(f"01{PHONE_GTIN}21SN-7")}), 201)
    second = create(client, "receipts", asn(site, "PO-2"))
    before = movements(db)
    error(client.post(f"{API}/receipts/{second['id']}/receive",
                      json={"location_id": site.dock, "scan": gs1(f"01{PHONE_GTIN}21SN-7")}), 409,
          "duplicate_serial", "serials")
    assert movements(db) == before


def test_bad_asns(client: TestClient, site: Site) -> None:
    error(client.post(f"{API}/receipts", json={**asn(site), "lines": [{"sku_code": "NOPE", "quantity": "1"}]}),
          422, "unknown_sku", "lines[0].sku_code")
    other_sku = create(client, "skus", {"owner_id": site.other, "code": "OWN", "name": "Other's"})["id"]
    error(client.post(f"{API}/receipts", json={**asn(site), "lines": [{"sku_id": other_sku, "quantity": "1"}]}),
          422, "unknown_sku", "lines[0].sku_id")
    error(client.post(f"{API}/receipts", json={**asn(site), "lines": [{"sku_id": site.bolt, "quantity": "1",
                                                                        "level": "pallet"}]}),
          422, None, "lines[0].quantity_level")
    error(client.post(f"{API}/receipts", json={**asn(site), "lines": []}), 422, None, "lines")
    error(client.post(f"{API}/receipts", json={**asn(site), "type": "gift"}), 422, None, "type")


def test_cancel_only_before_receiving(client: TestClient, site: Site) -> None:
    untouched = create(client, "receipts", asn(site, "PO-9"))
    assert ok(client.post(f"{API}/receipts/{untouched['id']}/cancel"))["status"] == "cancelled"
    error(client.post(f"{API}/receipts/{untouched['id']}/receive", json={
        "location_id": site.dock, "sku_id": site.bolt, "quantity": "1"}), 409, "receipt_not_open")
    started = create(client, "receipts", asn(site, "PO-10"))
    ok(client.post(f"{API}/receipts/{started['id']}/receive",
                   json={"location_id": site.dock, "sku_id": site.bolt, "quantity": "1"}), 201)
    error(client.post(f"{API}/receipts/{started['id']}/cancel"), 409, "receiving_started")


def test_blind_receiving_hides_expected_quantities_from_receivers(client: TestClient, db: Database,
                                                                  site: Site) -> None:
    ok(client.patch(f"{API}/owners/{site.acme}", json={"blind_receiving": True}))
    receipt = create(client, "receipts", asn(site))
    operator = bearer(db, "olga", roles=["operator"])
    seen = ok(client.get(f"{API}/receipts/{receipt['id']}", headers=operator))
    assert seen["blind"] and all(line["expected_quantity"] is None for line in seen["lines"])
    manager = ok(client.get(f"{API}/receipts/{receipt['id']}"))
    assert manager["lines"][0]["expected_quantity"] == "100"


def test_pallet_labels(client: TestClient, site: Site) -> None:
    receipt = create(client, "receipts", asn(site))
    got = ok(client.post(f"{API}/receipts/{receipt['id']}/receive", json={
        "location_id": site.dock, "quantity": "60", "lpn": "PAL-9",
        "scan": gs1(f"01{TEA_GTIN}17{LATER:%y%m%d}10L1")}), 201)
    zpl = client.get(f"{API}/containers/{got['container_id']}/label")
    assert zpl.status_code == 200 and zpl.text.startswith("^XA") and "PAL-9" in zpl.text
    assert f"^FD>;>802{TEA_GTIN}17{LATER:%y%m%d}3760>8" in zpl.text  # GS1-128: FNC1, (02), (17), (37), FNC1
    assert f"(02){TEA_GTIN}(17){LATER:%y%m%d}(37)60(10)L1" in zpl.text
    pdf = client.get(f"{API}/containers/{got['container_id']}/label", params={"format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")


def test_planned_putaways_count_against_capacity(client: TestClient, site: Site) -> None:
    receipt = create(client, "receipts", {**asn(site), "lines": [{"sku_id": site.tea, "quantity": "200"}]})
    url = f"{API}/receipts/{receipt['id']}/receive"
    scan = gs1(f"01{TEA_GTIN}17{LATER:%y%m%d}10L1")
    first = ok(client.post(url, json={"location_id": site.dock, "scan": scan, "quantity": "60", "lpn": "P1"}), 201)
    second = ok(client.post(url, json={"location_id": site.dock, "scan": scan, "quantity": "30", "lpn": "P2"}), 201)
    third = ok(client.post(url, json={"location_id": site.dock, "scan": scan, "quantity": "60", "lpn": "P3"}), 201)
    a, b, c = (r["putaway_tasks"][0] for r in (first, second, third))
    assert a["to_location_id"] == site.shelves[0]  # nearest empty shelf
    # 60 planned + 30 fit the 100 of S-01: consolidated with the same SKU and lot...
    assert b["to_location_id"] == site.shelves[0] and b["explanation"]["rule"] == "Same SKU together"
    # ...but another 60 would not, though nothing is on the shelf yet: planned putaways count.
    assert c["to_location_id"] == site.shelves[1]
    assert "room" in " ".join(s["why"] for s in c["explanation"]["skipped"])


def test_damaged_units_are_booked_as_damaged_and_not_put_away(client: TestClient, db: Database, site: Site) -> None:
    receipt = create(client, "receipts", asn(site))
    got = ok(client.post(f"{API}/receipts/{receipt['id']}/receive", json={
        "location_id": site.dock, "sku_id": site.bolt, "quantity": "12", "damaged_quantity": "2"}), 201)
    assert got["putaway_tasks"][0]["quantity"] == "10"
    assert on_hand(client, location_id=site.dock) == {(site.dock, site.bolt, "available"): "10",
                                                     (site.dock, site.bolt, "damaged"): "2"}
    line = ok(client.get(f"{API}/receipts/{receipt['id']}"))["lines"][2]
    assert (line["received_quantity"], line["damaged_quantity"]) == ("12", "2")
    assert verify(db).ok


def test_customer_return_dispositions_restock_damaged_scrap_and_return_to_vendor(client: TestClient, db: Database,
                                                                                  site: Site) -> None:
    receipt = create(client, "receipts", {**asn(site, "RMA-7"), "type": "customer_return",
                                          "lines": [{"sku_id": site.bolt, "quantity": "10"}]})
    ok(client.post(f"{API}/receipts/{receipt['id']}/receive",
                   json={"location_id": site.dock, "sku_id": site.bolt, "quantity": "10"}), 201)
    inspection = ok(client.post(f"{API}/qc/inspections", json={
        "owner_id": site.acme, "sku_id": site.bolt, "location_id": site.dock, "quantity": "10",
        "sampled_quantity": "10", "result": "partial", "passed_quantity": "4", "damaged_quantity": "3",
        "returned_quantity": "2", "scrapped_quantity": "1", "receipt_id": receipt["id"]}), 201)
    assert inspection["scrapped_quantity"] == "1" and inspection["putaway_tasks"][0]["quantity"] == "4"
    assert on_hand(client, location_id=site.dock) == {
        (site.dock, site.bolt, "available"): "4", (site.dock, site.bolt, "damaged"): "3",
        (site.dock, site.bolt, "return_to_vendor"): "2"}
    scrap = ok(client.get(f"{API}/locations", params={"warehouse_id": site.wh, "virtual_kind": "scrap"}))["items"]
    assert on_hand(client, location_id=scrap[0]["id"], include_virtual=True) == {
        (scrap[0]["id"], site.bolt, "available"): "1"}
    assert verify(db).ok
