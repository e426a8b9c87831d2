"""The desktop outbound pages in a real browser, in Chinese: a coordinator makes a wave of its own order,
releases it and finds its trips; a list filtered by status updates in place."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from stockyard.db import tables as t
from stockyard.domain.access import SYSTEM
from stockyard.domain.allocation import OrderType
from stockyard.services import orders
from tests.ui.conftest import Console, open_context, sign_in, snap


def _own_order(console: Console, ref: str) -> tuple[int, int]:
    """An order of the test's own in SH-DC1 for one unit of a SKU with free stock there; (order, warehouse)."""
    def stock(conn: object) -> object:
        b = t.balance
        return conn.execute(  # type: ignore[attr-defined]
            select(b.c.owner_id, b.c.sku_id, b.c.warehouse_id).join(t.warehouse, t.warehouse.c.id == b.c.warehouse_id)
            .where(t.warehouse.c.code == "SH-DC1", b.c.status == "available", ~b.c.is_virtual,
                   b.c.on_hand - b.c.allocated >= 5, b.c.serial.is_(None))
            .order_by(b.c.id).limit(1)).one()
    row = console.db.read(stock)
    made = orders.create_order(console.db, SYSTEM, orders.NewOrder(
        owner_id=row.owner_id, warehouse_id=row.warehouse_id, external_ref=ref,  # type: ignore[attr-defined]
        type=OrderType.SALES_B2C, lines=[orders.NewOrderLine(Decimal(1), sku_id=row.sku_id)]))  # type: ignore[attr-defined]
    return int(made.order["id"]), int(row.warehouse_id)  # type: ignore[attr-defined]


def test_a_coordinator_waves_its_order_releases_it_and_sees_the_trips(browser: object, console: Console) -> None:
    order_id, warehouse_id = _own_order(console, "UI-WAVE-0001")
    context = open_context(browser, language="zh-CN")
    page = context.new_page()  # type: ignore[attr-defined]
    sign_in(page, console, "coordinator", "zh-CN")
    page.goto(f"{console.url}/outbound/waves/new")
    page.select_option("select[name=warehouse_id]", str(warehouse_id))
    page.check(f"input[name=order_ids][value='{order_id}']")
    page.click("form button.primary")
    page.wait_for_url("**/outbound/waves/*")
    assert page.locator(".page-head .badge").first.inner_text() == "未下发"
    wave_url = page.url
    page.click("form[action$='/release'] button")
    page.wait_for_selector("table.trips a[href^='/outbound/trips/']")
    assert page.url == wave_url
    assert page.locator(".page-head .badge").first.inner_text() == "已下发"
    assert page.locator("table.trips tbody tr").count() >= 1
    assert page.locator(f"a[href='/outbound/orders/{order_id}']").count() == 1
    snap(page, "wave-released-zh")
    context.close()  # type: ignore[attr-defined]


def test_the_wave_list_filters_by_status_in_place(browser: object, console: Console) -> None:
    context = open_context(browser, language="zh-CN")
    page = context.new_page()  # type: ignore[attr-defined]
    sign_in(page, console, "coordinator", "zh-CN")
    page.goto(f"{console.url}/outbound/waves")
    assert page.locator("h1").inner_text() == "波次"
    page.select_option("select[name=status]", "released")
    page.wait_for_url("**status=released**")
    badges = page.locator("#listing tbody td:nth-child(2) .badge").all_inner_texts()
    assert badges and set(badges) == {"已下发"}
    page.select_option("select[name=status]", "cancelled")
    page.wait_for_url("**status=cancelled**")
    assert page.locator("#listing tbody .empty").count() == 1
    context.close()  # type: ignore[attr-defined]
