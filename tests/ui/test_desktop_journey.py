"""The desktop journey of the issue, in a real browser, in English and in Chinese: the administrator creates a SKU
in the master data form, files a found-stock adjustment of it for approval, a warehouse manager approves it, the
dashboard's on-hand grows by exactly that quantity, and the balances list of the SKU is exported as CSV and XLSX
with the new stock in it."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from stockyard.db import tables as t
from stockyard.domain.master import gs1_check_digit
from tests.ui.conftest import Console, open_context, sign_in, snap

QUANTITY = 40
# What the pages say, per language: the journey reads the screen as a person does.
SAYS = {
    "en": {"skus": "SKUs", "waits": "waits for approval", "approved": "Approved", "on_hand": "On hand"},
    "zh-CN": {"skus": "商品 SKU", "waits": "等待审批", "approved": "已批准", "on_hand": "在库"},
}


def _empty_shelf(console: Console) -> Any:
    """A storage location of SH-DC1 holding nothing, so the found stock mixes with no other SKU."""
    loc, b, w = t.location, t.balance, t.warehouse
    held = select(b.c.location_id).where(b.c.on_hand != 0)
    return console.db.read(lambda c: c.execute(
        select(loc.c.code, w.c.id.label("warehouse_id")).join(w, w.c.id == loc.c.warehouse_id)
        .where(w.c.code == "SH-DC1", loc.c.kind == "storage", loc.c.active, loc.c.status == "active",
               loc.c.virtual_kind.is_(None), loc.c.id.not_in(held))
        .order_by(loc.c.id).limit(1)).one())


def _figure(page: Any, key: str) -> Decimal:
    return Decimal(page.locator(f"[data-figure={key}] .card-value").inner_text().replace(",", ""))


def _dashboard_on_hand(page: Any, console: Console, warehouse_id: int) -> Decimal:
    page.goto(f"{console.url}/?warehouse_id={warehouse_id}")
    return _figure(page, "on_hand")


def _create_sku(page: Any, console: Console, code: str, language: str) -> None:
    page.goto(f"{console.url}/masterdata/skus")
    assert page.locator("h1").inner_text() == SAYS[language]["skus"]
    page.click("a.button[href='/masterdata/skus/new']")
    page.wait_for_url("**/masterdata/skus/new")
    owner = page.locator("select[name=owner_id] option:not([value=''])").first.get_attribute("value")
    page.select_option("select[name=owner_id]", owner)
    page.fill("input[name=code]", code)
    page.fill("input[name=name]", f"Journey tea 250 g ({language})")
    page.fill("input[name=base_uom]", "C62")
    page.fill("input[name=decimals]", "0")
    page.fill("input[name='packs[0].uom']", "C62")
    page.fill("input[name='packs[0].factor']", "1")
    body = "69000000010" + str(len(language))  # a GTIN-13 of its own per language
    page.fill("input[name='barcodes[0].barcode']", body + str(gs1_check_digit(body)))
    snap(page, f"journey-sku-form-{language}")
    page.click("#record-form button.primary")
    page.wait_for_url(re.compile(r".*/masterdata/skus/\d+$"))
    assert code in page.locator("h1").inner_text()


def _file_adjustment(page: Any, console: Console, code: str, shelf: Any, language: str) -> str:
    page.goto(f"{console.url}/inventory/adjustments/new")
    page.select_option("select[name=warehouse_id]", str(shelf.warehouse_id))
    page.fill("input[name=location]", shelf.code)
    page.fill("input[name=sku]", code)
    page.select_option("select[name=reason_code]", "FOUND")
    page.fill("input[name=quantity]", str(QUANTITY))
    page.check("input[name=ask_approval]")
    page.click("form button.primary")
    page.wait_for_selector(".notice-pending")
    assert SAYS[language]["waits"] in page.locator(".notice-pending").inner_text()
    link = page.locator(".notice-pending a").get_attribute("href")
    assert link and link.startswith("/inventory/approvals/")
    return str(link)


def _approve(browser: object, console: Console, link: str, language: str) -> None:
    context: Any = open_context(browser, language=language)
    page = context.new_page()
    sign_in(page, console, "manager", language)
    page.goto(f"{console.url}/inventory/approvals?status=pending")
    page.click(f"#listing a[href='{link}']")
    page.wait_for_url(f"**{link}")
    page.click("button[value=approve]")
    page.wait_for_selector(f".page-head .badge:has-text('{SAYS[language]['approved']}')")
    snap(page, f"journey-approved-{language}")
    context.close()


def _exports(page: Any, console: Console, code: str) -> tuple[list[list[str]], list[list[Any]]]:
    page.goto(f"{console.url}/inventory/balances?sku={code}")
    with page.expect_download() as csv_download:
        page.click("a[href*='format=csv']")
    rows = list(csv.reader(io.StringIO(Path(csv_download.value.path()).read_text(encoding="utf-8-sig"))))
    with page.expect_download() as xlsx_download:
        page.click("a[href*='format=xlsx']")
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(Path(xlsx_download.value.path()).read_bytes()), read_only=True)
    sheet = workbook.worksheets[0]
    return rows, [list(r) for r in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_create_a_sku_approve_its_adjustment_see_it_on_the_dashboard_and_export_it(
        browser: object, console: Console, language: str) -> None:
    code = f"JOURNEY-{language.upper()}"
    shelf = _empty_shelf(console)
    context: Any = open_context(browser, language=language)
    page = context.new_page()
    sign_in(page, console, "admin", language)
    _create_sku(page, console, code, language)
    before = _dashboard_on_hand(page, console, shelf.warehouse_id)
    link = _file_adjustment(page, console, code, shelf, language)
    assert _dashboard_on_hand(page, console, shelf.warehouse_id) == before, "nothing moves before approval"

    _approve(browser, console, link, language)

    assert _dashboard_on_hand(page, console, shelf.warehouse_id) == before + QUANTITY
    snap(page, f"journey-dashboard-{language}")
    rows, sheet = _exports(page, console, code)
    for table in (rows, sheet):
        head, lines = [str(h) for h in table[0]], table[1:]
        assert len(lines) == 1, lines
        line = dict(zip(head, lines[0], strict=True))
        assert line[SAYS[language]["on_hand"]] not in (None, "")
        assert Decimal(str(line[SAYS[language]["on_hand"]]).replace(",", "")) == QUANTITY
        assert code in [str(v) for v in lines[0]] and shelf.code in [str(v) for v in lines[0]]
    context.close()
