"""The handheld's inbound journey in a real browser at phone size, in Chinese: receive an item of a receipt, put
it away by typing scans and pressing Enter as a keyboard-wedge scanner does, a wrong scan in red with the error
tone, then "what is this?" on the shelf it went to."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select

from stockyard.db import tables as t
from stockyard.domain.access import SYSTEM
from stockyard.domain.inbound import ReceiptType
from stockyard.services import receipts
from tests.ui.conftest import Console, open_context, sign_in, snap

SKU = "BH-TIS-03"
BARCODE = "06921734101259"  # BH-TIS-03's each GTIN in the demo


def _receipt(console: Console) -> str:
    """A receipt of this test's own for ten of the SKU, taken in as the outside system would."""
    db = console.db
    warehouse = db.read(lambda conn: conn.execute(select(t.warehouse.c.id).where(
        t.warehouse.c.code == "SH-DC1")).scalar_one())
    owner, sku = db.read(lambda conn: conn.execute(select(t.sku.c.owner_id, t.sku.c.id).where(
        t.sku.c.code == SKU)).one())
    ref = f"PO-UI-{uuid.uuid4().hex[:8].upper()}"
    receipts.create_receipt(db, SYSTEM, receipts.NewReceipt(
        owner_id=owner, warehouse_id=warehouse, external_ref=ref, type=ReceiptType.PURCHASE,
        lines=[receipts.NewReceiptLine(quantity=Decimal(10), sku_id=sku)]))
    return ref


def _suggested(console: Console, ref: str) -> str:
    k, loc, r = t.task, t.location, t.receipt
    return str(console.db.read(lambda conn: conn.execute(
        select(loc.c.code).join(k, k.c.to_location_id == loc.c.id).join(r, r.c.id == k.c.receipt_id)
        .where(r.c.external_ref == ref, k.c.status == "open")).scalar_one()))


def _wedge(page: object, text: str) -> None:
    """What a keyboard-wedge scanner does: type the code into the focused field, then Enter."""
    page.evaluate("window.__settled = false; document.addEventListener('htmx:afterSettle', "  # type: ignore[attr-defined]
                  "() => { window.__settled = true; }, {once: true})")
    page.fill("#scan-input", text)  # type: ignore[attr-defined]
    page.press("#scan-input", "Enter")  # type: ignore[attr-defined]
    page.wait_for_function("window.__settled === true")  # type: ignore[attr-defined]


def _fits(page: object) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the step overflows a phone screen"  # type: ignore[attr-defined]


def test_receive_put_away_and_look_up_on_a_phone_in_chinese(browser: object, console: Console) -> None:
    ref = _receipt(console)
    context = open_context(browser, phone=True, language="zh-CN")
    page = context.new_page()
    sign_in(page, console, "operator", "zh-CN")
    page.goto(f"{console.url}/m/receive")
    assert page.evaluate("document.activeElement.id") == "scan-input", "the scan field has the focus"
    _fits(page)
    for text in (ref, "DOCK-I03", BARCODE):
        _wedge(page, text)
        assert not page.locator("#feedback .feedback-error").count(), page.locator("#feedback").inner_text()
    _fits(page)
    snap(page, "handheld-receive-quantity-zh-CN")
    _wedge(page, "10")
    page.wait_for_selector("#feedback .feedback-ok")
    assert SKU in page.locator("#feedback .feedback-ok").inner_text()
    assert page.evaluate("document.body.dataset.lastSound") == "ok"
    _fits(page)
    snap(page, "handheld-received-zh-CN")

    target = _suggested(console, ref)
    page.click(".hh-putaway-now")
    page.wait_for_load_state()
    assert target in page.locator("#step").inner_text()
    _fits(page)
    wrong = "DOCK-I02" if target != "DOCK-I02" else "DOCK-I04"
    _wedge(page, wrong)
    page.wait_for_selector("#feedback .feedback-error")
    assert page.evaluate("document.body.dataset.lastSound") == "error"
    assert target in page.locator("#step").inner_text(), "a wrong scan leaves the task on screen"
    _fits(page)
    snap(page, "handheld-putaway-wrong-zh-CN")
    _wedge(page, target)
    page.wait_for_selector("#feedback .feedback-ok")
    assert target in page.locator("#feedback .feedback-ok").inner_text()
    assert page.evaluate("document.body.dataset.lastSound") == "ok"

    page.goto(f"{console.url}/m/lookup")
    _wedge(page, target)
    found = page.locator("#step").inner_text()
    assert target in found and SKU in found
    _fits(page)
    snap(page, "handheld-lookup-zh-CN")
    context.close()
