"""Master data screens of the console over HTTP on the demo warehouse."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from stockyard.api.app import create_app
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.demo import load_demo
from stockyard.demo_users import create_demo_users
from stockyard.web.routes.masterdata import SCREENS


def _browser(db: Database, username: str) -> TestClient:
    made = create_demo_users(db)
    assert made is not None
    browser = TestClient(create_app(db), base_url="http://testserver")
    assert browser.post("/login", data={"username": username, "password": made[0]},
                        follow_redirects=False).status_code == 303
    return browser


def test_every_master_data_list_opens_and_exports_its_rows(db: Database) -> None:
    load_demo(db)
    with _browser(db, "admin") as admin:
        for kind, screen in SCREENS.items():
            assert admin.get(f"/masterdata/{kind}").status_code == 200, kind
            table = screen.entity.table
            count = db.read(lambda c, table=table: c.execute(select(func.count()).select_from(table)).scalar_one())
            rows = list(csv.reader(io.StringIO(admin.get(f"/masterdata/{kind}", params={"format": "csv"})
                                               .text.lstrip("\ufeff"))))
            assert len(rows) - 1 == count, kind


def test_a_scoped_manager_sees_the_locations_of_its_warehouse_only(db: Database) -> None:
    load_demo(db)
    first, other = db.read(lambda c: c.execute(select(t.warehouse.c.code).order_by(t.warehouse.c.id)).scalars()
                           .all()[:2])
    with _browser(db, "manager") as manager:
        rows = list(csv.reader(io.StringIO(manager.get("/masterdata/locations", params={"format": "csv"})
                                           .text.lstrip("\ufeff"))))
        warehouse = rows[0].index("Warehouse")
        assert {r[warehouse] for r in rows[1:]} == {first}
        hidden = db.read(lambda c: c.execute(select(t.location.c.id).join(
            t.warehouse, t.warehouse.c.id == t.location.c.warehouse_id).where(t.warehouse.c.code == other)
            .limit(1)).scalar_one())
        assert manager.get(f"/masterdata/locations/{hidden}").status_code == 404


def test_the_sku_list_searches_sorts_and_opens_a_sku(db: Database) -> None:
    load_demo(db)
    sku_id, code = db.read(lambda c: c.execute(select(t.sku.c.id, t.sku.c.code).order_by(t.sku.c.id)
                                               .limit(1)).one())
    with _browser(db, "admin") as admin:
        found = admin.get("/masterdata/skus", params={"q": code.lower()})
        assert f"/masterdata/skus/{sku_id}" in found.text
        ordered = admin.get("/masterdata/skus", params={"sort": "code", "dir": "desc", "format": "csv"}).text
        codes = [r[0] for r in list(csv.reader(io.StringIO(ordered.lstrip("\ufeff"))))[1:]]
        assert codes == sorted(codes, reverse=True)
        page = admin.get(f"/masterdata/skus/{sku_id}")
        assert page.status_code == 200 and re.search(rf">\s*{re.escape(code)}\s*<", page.text)
        assert admin.get("/masterdata/skus", params={"sort": "nope"}).status_code == 422
