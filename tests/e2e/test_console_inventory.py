"""The inventory pages of the console over HTTP on the demo warehouse: scoped lists that filter and export."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from stockyard.api.app import create_app
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.demo import load_demo
from stockyard.demo_users import create_demo_users


@pytest.fixture
def demo(db: Database) -> tuple[Database, str]:
    load_demo(db)
    made = create_demo_users(db)
    assert made is not None
    return db, made[0]


def _browser(db: Database, password: str, username: str) -> TestClient:
    browser = TestClient(create_app(db), base_url="http://testserver")
    assert browser.post("/login", data={"username": username, "password": password},
                        follow_redirects=False).status_code == 303
    return browser


def _csv(answer: object) -> list[list[str]]:
    return list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))))  # type: ignore[attr-defined]


def test_the_balances_export_holds_exactly_the_scoped_physical_stock(demo: tuple[Database, str]) -> None:
    db, password = demo
    b = t.balance
    first = db.read(lambda c: c.execute(select(func.min(t.warehouse.c.id))).scalar_one())
    in_first = db.read(lambda c: c.execute(select(func.count()).select_from(b).where(
        ~b.c.is_virtual, b.c.on_hand != 0, b.c.warehouse_id == first)).scalar_one())
    everywhere = db.read(lambda c: c.execute(select(func.count()).select_from(b).where(
        ~b.c.is_virtual, b.c.on_hand != 0)).scalar_one())
    assert 0 < in_first < everywhere, "the demo should hold stock in more than one warehouse"
    with _browser(db, password, "manager") as manager, _browser(db, password, "admin") as admin:
        assert len(_csv(manager.get("/inventory/balances", params={"format": "csv"}))) - 1 == in_first
        assert len(_csv(admin.get("/inventory/balances", params={"format": "csv"}))) - 1 == everywhere
        frozen = _csv(admin.get("/inventory/balances", params={"format": "csv", "status": "available"}))
        status = frozen[0].index("Status")
        assert {row[status] for row in frozen[1:]} == {"Available"}
        head = frozen[0]
        on_hand, allocated, available = (head.index(n) for n in ("On hand", "Allocated", "Available"))
        assert all(Decimal(r[available]) == Decimal(r[on_hand]) - Decimal(r[allocated]) for r in frozen[1:])
        assert any(Decimal(r[allocated]) > 0 for r in frozen[1:]), "the demo should hold allocated stock"


def test_movements_of_one_location_sorted_and_as_a_workbook(demo: tuple[Database, str]) -> None:
    db, password = demo
    m = t.movement
    location_id, code = db.read(lambda c: c.execute(
        select(t.location.c.id, t.location.c.code).join(m, m.c.to_location_id == t.location.c.id)
        .where(t.location.c.virtual_kind.is_(None)).limit(1)).one())
    expected = db.read(lambda c: c.execute(select(func.count()).select_from(m).where(
        (m.c.to_location_id == location_id) | (m.c.from_location_id == location_id))).scalar_one())
    with _browser(db, password, "admin") as admin:
        page = admin.get("/inventory/movements", params={"location_code": code, "sort": "quantity", "dir": "desc"})
        assert page.status_code == 200 and code in page.text
        book = admin.get("/inventory/movements", params={"location_code": code, "format": "xlsx", "sort": "quantity",
                                                          "dir": "desc"})
        sheet = load_workbook(io.BytesIO(book.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][0] == "Time" and len(rows) - 1 == expected
        quantities = [r[rows[0].index("Quantity")] for r in rows[1:]]
        assert quantities == sorted(quantities, reverse=True)
        refused = admin.get("/inventory/movements", params={"sort": "serial"})
        assert refused.status_code == 422 and "sort" in refused.text


def test_each_inventory_page_opens_for_whom_it_is_meant(demo: tuple[Database, str]) -> None:
    db, password = demo
    pages = ("/inventory/balances", "/inventory/movements", "/inventory/counts", "/inventory/adjustments",
             "/inventory/freezes", "/inventory/transfers", "/inventory/approvals")
    with _browser(db, password, "admin") as admin, _browser(db, password, "operator") as operator:
        for path in pages:
            assert admin.get(path).status_code == 200, path
        assert operator.get("/inventory/balances").status_code == 200
        for path in ("/inventory/adjustments", "/inventory/freezes", "/inventory/transfers"):
            assert operator.get(path).status_code == 403, path
        assert admin.get("/inventory/counts", params={"status": "nonsense"}).status_code == 200
        assert admin.get("/inventory/freezes", params={"page": "x"}).status_code == 422


def test_freezing_by_codes_from_the_console_and_releasing_it(demo: tuple[Database, str]) -> None:
    db, password = demo
    b = t.balance
    warehouse_id, sku_id, sku_code, location_code = db.read(lambda c: c.execute(
        select(b.c.warehouse_id, b.c.sku_id, t.sku.c.code, t.location.c.code)
        .join(t.sku, t.sku.c.id == b.c.sku_id).join(t.location, t.location.c.id == b.c.location_id)
        .where(~b.c.is_virtual, b.c.status == "available", b.c.on_hand > b.c.allocated).limit(1)).one())

    def frozen() -> int:
        return int(db.read(lambda c: c.execute(select(func.count()).select_from(b).where(
            b.c.status == "frozen", b.c.sku_id == sku_id, b.c.on_hand > 0)).scalar_one()))
    before = frozen()
    with _browser(db, password, "admin") as admin:
        token = re.search(r'name="csrf-token" content="([0-9a-f]+)"', admin.get("/inventory/freezes").text)
        assert token
        form = {"csrf_token": token.group(1), "warehouse_id": str(warehouse_id), "reason": "quality hold"}
        unknown = admin.post("/inventory/freezes", data={**form, "sku": "NO-SUCH-SKU"})
        assert unknown.status_code == 422 and "sku" in unknown.text and frozen() == before
        nothing = admin.post("/inventory/freezes", data=form)
        assert nothing.status_code == 422 and frozen() == before
        done = admin.post("/inventory/freezes", data={**form, "sku": sku_code, "location": location_code},
                          follow_redirects=False)
        assert done.status_code == 303 and frozen() == before + 1
        freeze_id = db.read(lambda c: c.execute(select(func.max(t.stock_freeze.c.id))).scalar_one())
        listed = admin.get("/inventory/freezes", params={"status": "active"}).text
        assert f'id="release-{freeze_id}"' in listed
        admin.post(f"/inventory/freezes/{freeze_id}/release", data={"csrf_token": token.group(1), "reason": "ok"})
        assert frozen() == before
