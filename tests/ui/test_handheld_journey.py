"""An order's whole way through the warehouse in a real browser, in English and in Chinese: two SKUs of the test's
own (so the only stock of them is what this test receives) is received and put away on a phone, waved and released
by a coordinator on the desktop (batch pick, so it goes to the put wall), then picked in route order, sorted to
its slot, checked and packed, and shipped on the phone, every scan typed and sent with Enter as a keyboard-wedge
scanner does. At the end the ledger shows the units gone out and the books still prove."""

from __future__ import annotations

import random
import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select, type_coerce

from stockyard.api import schemas
from stockyard.db import tables as t
from stockyard.db.types import Exact
from stockyard.domain.access import SYSTEM
from stockyard.domain.allocation import OrderType
from stockyard.domain.inbound import ReceiptType
from stockyard.domain.master import gs1_check_digit
from stockyard.domain.stock import VirtualKind
from stockyard.services import masterdata as md
from stockyard.services import orders, picking, receipts, verify
from tests.ui.conftest import Console, open_context, sign_in, snap

WAREHOUSE, OWNER, DOCK = "SH-DC1", "BRIGHTHOME", "DOCK-I03"
RECEIVED, ORDERED = 3, (1, 2)  # each SKU received; the order's lines


def _wedge(page: Any, text: str) -> None:
    """What a keyboard-wedge scanner does: type the code into the focused field, then Enter; the answer must be
    green."""
    page.evaluate("window.__settled = false; document.addEventListener('htmx:afterSettle', "
                  "() => { window.__settled = true; }, {once: true})")
    assert page.evaluate("document.activeElement.id") == "scan-input", "the scan field has the focus"
    if page.locator("html").get_attribute("lang") == "zh-CN":
        prompt = page.inner_text("label[for=scan-input]")
        assert re.search("[\u4e00-\u9fff]", prompt), f"the prompt is not translated: {prompt}"
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_function("window.__settled === true")
    assert not page.locator("#feedback .feedback-error").count(), page.locator("#feedback").inner_text()
    assert page.evaluate("document.body.dataset.lastSound") == "ok"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the step overflows a phone screen"


def _new_sku(console: Console) -> tuple[str, str]:
    """A SKU nobody else has stock of, with an EAN-13 on its each: (code, barcode)."""
    body = "69" + "".join(random.choices("0123456789", k=10))
    barcode = body + str(gs1_check_digit(body))
    code = f"UI-J-{uuid.uuid4().hex[:6].upper()}"
    owner = md.id_by_code(console.db, md.OWNER, OWNER, principal=SYSTEM, field="owner")
    data = schemas.SkuCreate.model_validate({"owner_id": owner, "code": code, "name": f"Journey mug {code}",
                                             "decimals": 0, "barcodes": [{"barcode": barcode}]})
    md.create(console.db, md.SKU, data.model_dump(exclude_none=True), principal=SYSTEM)
    return code, barcode


def _ids(console: Console, sku: str) -> tuple[int, int, int]:
    warehouse = md.id_by_code(console.db, md.WAREHOUSE, WAREHOUSE, principal=SYSTEM, field="warehouse")
    owner = md.id_by_code(console.db, md.OWNER, OWNER, principal=SYSTEM, field="owner")
    return warehouse, owner, md.id_by_code(console.db, md.SKU, sku, principal=SYSTEM, field="sku")


def _suggested(console: Console, ref: str, sku_id: int) -> str:
    k, loc, r = t.task, t.location, t.receipt
    return str(console.db.read(lambda conn: conn.execute(
        select(loc.c.code).join(k, k.c.to_location_id == loc.c.id).join(r, r.c.id == k.c.receipt_id)
        .where(r.c.external_ref == ref, k.c.sku_id == sku_id, k.c.status == "open")).scalar_one()))


def _shipped_units(console: Console, sku_id: int) -> Decimal:
    """What the ledger booked out to customers for the SKU."""
    m = t.movement
    to_customer = select(t.location.c.id).where(t.location.c.virtual_kind == VirtualKind.CUSTOMER.value)
    total = console.db.read(lambda conn: conn.execute(
        select(type_coerce(func.coalesce(func.sum(m.c.quantity), 0), Exact()))
        .where(m.c.sku_id == sku_id, m.c.to_location_id.in_(to_customer))).scalar_one())
    return Decimal(total)


def _on_hand(console: Console, sku_id: int) -> Decimal:
    b = t.balance
    return Decimal(console.db.read(lambda conn: conn.execute(
        select(type_coerce(func.coalesce(func.sum(b.c.on_hand), 0), Exact()))
        .where(b.c.sku_id == sku_id, ~b.c.is_virtual)).scalar_one()))


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_an_order_from_dock_to_truck(browser: object, console: Console, language: str) -> None:
    skus = [_new_sku(console) for _ in ORDERED]
    barcode_of = dict(skus)
    warehouse, owner, _ = _ids(console, skus[0][0])
    ids = {code: _ids(console, code)[2] for code, _ in skus}
    tag = uuid.uuid4().hex[:6].upper()
    asn, so = f"PO-J-{tag}", f"SO-J-{tag}"
    receipts.create_receipt(console.db, SYSTEM, receipts.NewReceipt(  # the ERP's advance shipping notice
        owner_id=owner, warehouse_id=warehouse, external_ref=asn, type=ReceiptType.PURCHASE,
        lines=[receipts.NewReceiptLine(quantity=Decimal(RECEIVED), sku_id=ids[code]) for code, _ in skus]))

    phone: Any = open_context(browser, phone=True, language=language)
    hh = phone.new_page()
    sign_in(hh, console, "operator", language)
    for code, barcode in skus:
        hh.goto(f"{console.url}/m/receive")
        for text in (asn, DOCK, barcode, str(RECEIVED)):
            _wedge(hh, text)
        assert code in hh.locator("#feedback .feedback-ok").inner_text()
        hh.click(".hh-putaway-now")
        hh.wait_for_load_state()
        _wedge(hh, _suggested(console, asn, ids[code]))
        assert _on_hand(console, ids[code]) == RECEIVED
    snap(hh, f"journey-putaway-{language}")

    order = orders.create_order(console.db, SYSTEM, orders.NewOrder(  # the OMS's order
        owner_id=owner, warehouse_id=warehouse, external_ref=so, type=OrderType.SALES_B2C,
        ship_to={"name": "Ann", "city": "Shanghai"},
        lines=[orders.NewOrderLine(Decimal(n), sku_id=ids[code]) for (code, _), n in zip(skus, ORDERED, strict=True)]
    )).order
    orders.allocate(console.db, SYSTEM, order["id"])

    desk: Any = open_context(browser, language=language)
    coordinator = desk.new_page()
    sign_in(coordinator, console, "coordinator", language)
    coordinator.goto(f"{console.url}/outbound/waves/new")
    coordinator.select_option("select[name=warehouse_id]", str(warehouse))
    coordinator.select_option("select[name=pick_mode]", "batch")  # a batch tote mixes orders: to the put wall
    coordinator.check(f"input[name=order_ids][value='{order['id']}']")
    coordinator.click("form button.primary")
    coordinator.wait_for_url(re.compile(r".*/outbound/waves/\d+$"))
    wave = int(coordinator.url.rsplit("/", 1)[1])
    coordinator.click("form[action$='/release'] button")
    coordinator.wait_for_selector("table.trips a[href^='/outbound/trips/']")
    trip = int(coordinator.locator("table.trips a[href^='/outbound/trips/']").first.get_attribute("href")
               .rsplit("/", 1)[1])
    desk.close()

    hh.goto(f"{console.url}/m/pick")
    _wedge(hh, str(trip))
    for location in [k["location_code"] for k in picking.get_trip(console.db, SYSTEM, trip)["tasks"]]:
        assert hh.inner_text("#stop-location") == location, "the next stop follows the route order"
        task = picking.next_stop(console.db, SYSTEM, trip)["task"]
        _wedge(hh, location)
        _wedge(hh, barcode_of[task["sku_code"]])
        _wedge(hh, str(task["quantity"]))
        assert task["sku_code"] in hh.inner_text("#feedback"), "the green line names the SKU picked"
    assert "STAGE-" in hh.inner_text("#drop")
    snap(hh, f"journey-picked-{language}")

    hh.goto(f"{console.url}/m/sort")
    _wedge(hh, str(wave))
    for (_, barcode), n in zip(skus, ORDERED, strict=True):
        for _ in range(n):
            _wedge(hh, barcode)
            _wedge(hh, hh.inner_text("#slot"))
    snap(hh, f"journey-sorted-{language}")

    hh.goto(f"{console.url}/m/pack")
    _wedge(hh, so)
    for (_, barcode), n in zip(skus, ORDERED, strict=True):
        for _ in range(n):
            _wedge(hh, barcode)
    _wedge(hh, f"TRK-{tag}")
    assert hh.locator("#label").count() == 1
    snap(hh, f"journey-packed-{language}")

    hh.goto(f"{console.url}/m/ship")
    _wedge(hh, so)
    hh.click("button[value=confirm]")
    hh.wait_for_selector("#feedback .feedback-ok")
    phone.close()

    assert orders.get_order(console.db, SYSTEM, order["id"])["status"] == "shipped"
    for (code, _), n in zip(skus, ORDERED, strict=True):
        assert _on_hand(console, ids[code]) == RECEIVED - n
        assert _shipped_units(console, ids[code]) == n
    report = verify.verify(console.db)
    assert report.ok, report
