"""The handheld's outbound journey in a real browser at phone size, in English: the operator picks an order of
the test's own stop by stop in route order, typing scans and pressing Enter as a keyboard-wedge scanner does, one
wrong scan in red with the error tone, then checks and packs it and ships it."""

from __future__ import annotations

import uuid
from typing import Any

from stockyard.domain.access import SYSTEM
from stockyard.services import orders, picking
from tests.e2e.test_handheld_outbound import LINES, released_order
from tests.ui.conftest import Console, open_context, sign_in


def _wedge(page: Any, text: str) -> None:
    """What a keyboard-wedge scanner does: type the code into the focused field, then Enter."""
    page.evaluate("window.__settled = false; document.addEventListener('htmx:afterSettle', "
                  "() => { window.__settled = true; }, {once: true})")
    page.fill("#scan-input", text)
    page.press("#scan-input", "Enter")
    page.wait_for_function("window.__settled === true")


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the step overflows a phone screen"


def test_pick_pack_and_ship_on_a_phone(browser: object, console: Console) -> None:
    ref = f"SO-UI-{uuid.uuid4().hex[:8].upper()}"
    order, _, trip = released_order(console.db, ref)
    route = [k["location_code"] for k in picking.get_trip(console.db, SYSTEM, trip)["tasks"]]
    context: Any = open_context(browser, phone=True, language="en")
    page = context.new_page()
    sign_in(page, console, "operator", "en")
    page.goto(f"{console.url}/m/pick")
    _fits(page)
    _wedge(page, str(trip))
    for n, location in enumerate(route):
        assert page.inner_text("#stop-location") == location, "the next stop follows the route order"
        task = picking.next_stop(console.db, SYSTEM, trip)["task"]
        if n == 0:
            _wedge(page, "NOT-A-LOCATION")
            assert page.locator("#feedback .feedback-error").count() == 1
            assert page.evaluate("document.body.dataset.lastSound") == "error"
            assert page.inner_text("#stop-location") == location, "a wrong scan leaves the step"
        _wedge(page, location)
        assert page.evaluate("document.body.dataset.lastSound") == "ok"
        _wedge(page, task["sku_code"])
        if page.locator("label[for=scan-input]").inner_text() == "Scan or type the lot":
            _wedge(page, task["lot_number"])
        _fits(page)
        _wedge(page, str(task["quantity"]))
        if task["tote"]:  # a cluster trip: the last scan of the stop is the order's tote on the cart
            assert page.inner_text("#stop-tote") == task["tote"]
            _fits(page)
            _wedge(page, task["tote"])
    assert "STAGE-" in page.inner_text("#drop")

    page.goto(f"{console.url}/m/pack")
    _wedge(page, ref)
    for sku, quantity in LINES:
        for _ in range(quantity):
            _wedge(page, sku)
    _fits(page)
    _wedge(page, f"TRK-{ref}")
    assert page.locator("#label").count() == 1

    page.goto(f"{console.url}/m/ship")
    _wedge(page, ref)
    _fits(page)
    page.click("button[value=confirm]")
    page.wait_for_selector("#feedback .feedback-ok")
    assert orders.get_order(console.db, SYSTEM, order)["status"] == "shipped"
    context.close()
