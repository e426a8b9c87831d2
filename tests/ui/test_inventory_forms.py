"""The inventory forms in a real browser: a supervisor enters an adjustment in English and is told it waits for
approval; a manager approves it on the approvals page in Chinese; the balance then shows the new quantity."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from stockyard.db import tables as t
from stockyard.domain.access import SYSTEM, BuiltinRole
from stockyard.services import access
from tests.ui.conftest import Console, open_context, sign_in, snap


def _shelf(console: Console) -> Any:
    """A plain SKU alone at a storage location of SH-DC1, nothing allocated, that no other test touches."""
    b, loc, s = t.balance, t.location, t.sku
    alone = (select(b.c.location_id).where(~b.c.is_virtual, b.c.on_hand > 0).group_by(b.c.location_id)
             .having(func.count() == 1).subquery())
    return console.db.read(lambda c: c.execute(
        select(b.c.id, b.c.warehouse_id, b.c.on_hand, loc.c.code.label("location"), s.c.code.label("sku"))
        .join(alone, alone.c.location_id == b.c.location_id).join(loc, loc.c.id == b.c.location_id)
        .join(s, s.c.id == b.c.sku_id).join(t.warehouse, t.warehouse.c.id == b.c.warehouse_id)
        .where(t.warehouse.c.code == "SH-DC1", b.c.status == "available", b.c.allocated == 0, loc.c.kind == "storage",
               b.c.lot_id.is_(None), b.c.serial.is_(None), b.c.container_id.is_(None), s.c.decimals == 0)
        .order_by(b.c.id.desc()).limit(1)).one())


def test_a_supervisor_adjusts_a_manager_approves_in_chinese_and_the_balance_follows(browser: object,
                                                                                   console: Console) -> None:
    shelf = _shelf(console)
    access.create_user(console.db, SYSTEM, access.NewUser(
        username="supervisor", display_name="Shift supervisor", password=console.password,
        roles=[BuiltinRole.WAREHOUSE_MANAGER], warehouse_ids=[shelf.warehouse_id]))

    context = open_context(browser)
    page = context.new_page()  # type: ignore[attr-defined]
    sign_in(page, console, "supervisor")
    page.goto(f"{console.url}/inventory/adjustments")
    page.click("a[href='/inventory/adjustments/new']")
    page.wait_for_url("**/inventory/adjustments/new")
    page.select_option("select[name=warehouse_id]", str(shelf.warehouse_id))
    page.fill("input[name=location]", shelf.location)
    page.fill("input[name=sku]", "NO-SUCH-SKU")
    page.select_option("select[name=reason_code]", "FOUND")
    page.fill("input[name=quantity]", "3")
    page.check("input[name=ask_approval]")
    page.click("form button.primary")
    page.wait_for_selector("#feedback .feedback-error")
    assert "sku" in page.locator("#feedback").inner_text()
    assert page.url.endswith("/inventory/adjustments/new"), "a refusal keeps the form as typed"
    page.fill("input[name=sku]", shelf.sku)
    page.click("form button.primary")
    page.wait_for_selector(".notice-pending")
    assert "waits for approval" in page.locator(".notice-pending").inner_text()
    request_link = page.locator(".notice-pending a").get_attribute("href")
    assert request_link and request_link.startswith("/inventory/approvals/")
    snap(page, "adjustment-requested-en")
    context.close()  # type: ignore[attr-defined]
    assert console.db.read(lambda c: c.execute(select(t.balance.c.on_hand).where(
        t.balance.c.id == shelf.id)).scalar_one()) == shelf.on_hand

    context = open_context(browser, language="zh-CN")
    page = context.new_page()  # type: ignore[attr-defined]
    sign_in(page, console, "manager", "zh-CN")
    page.goto(f"{console.url}/inventory/approvals?status=pending")
    assert page.locator("h1").inner_text() == "审批"
    page.click(f"#listing a[href='{request_link}']")
    page.wait_for_url(f"**{request_link}")
    assert page.locator(".page-head .badge").inner_text() == "待审批"
    snap(page, "approval-pending-zh")
    page.click("button[value=approve]")
    page.wait_for_selector(".page-head .badge:has-text('已批准')")
    page.goto(f"{console.url}/inventory/balances?sku={shelf.sku}&location={shelf.location}")
    row = page.locator("#listing tbody tr").first
    head = page.locator("#listing thead th").all_inner_texts()
    cells = row.locator("td").all_inner_texts()
    on_hand = cells[[h.strip() for h in head].index("在库")]
    assert Decimal(on_hand.replace(",", "")) == shelf.on_hand + 3
    snap(page, "balance-after-zh")
    context.close()  # type: ignore[attr-defined]
