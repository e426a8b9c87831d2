"""The home dashboard over HTTP on the demo warehouse: its figures, per warehouse and across them."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from stockyard.api.app import create_app
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.demo import load_demo
from stockyard.demo_users import create_demo_users
from stockyard.domain.access import SYSTEM
from stockyard.services import overview
from stockyard.web.i18n import Formats


def _browser(db: Database, password: str, username: str) -> TestClient:
    browser = TestClient(create_app(db), base_url="http://testserver")
    assert browser.post("/login", data={"username": username, "password": password},
                        follow_redirects=False).status_code == 303
    return browser


def _figure(html: str, key: str) -> str:
    found = re.search(rf'data-figure="{key}".*?<strong class="card-value">([^<]*)</strong>', html, re.S)
    assert found, key
    return found.group(1)


def test_the_dashboard_shows_the_scoped_figures_and_the_chart_data(db: Database) -> None:
    load_demo(db)
    made = create_demo_users(db)
    assert made is not None
    first, second = db.read(lambda c: c.execute(select(t.warehouse.c.id).order_by(t.warehouse.c.id)).scalars()
                            .all()[:2])
    english = Formats("en")
    with _browser(db, made[0], "admin") as admin, _browser(db, made[0], "manager") as manager:
        everywhere = overview.dashboard(db, SYSTEM).stock
        home = admin.get("/")
        assert home.status_code == 200
        assert _figure(home.text, "on_hand") == english.number(everywhere.on_hand)
        one = admin.get("/", params={"warehouse_id": second}).text
        assert _figure(one, "on_hand") == english.number(overview.dashboard(db, SYSTEM, warehouse_id=second)
                                                         .stock.on_hand)
        mine = overview.dashboard(db, SYSTEM, warehouse_id=first)
        managed = manager.get("/").text
        assert _figure(managed, "available") == english.number(mine.stock.available)
        assert _figure(manager.get("/", params={"warehouse_id": second}).text, "on_hand") == "0"
        charts = json.loads(re.search(r'id="chart-data">(.*?)</script>', managed, re.S).group(1))  # type: ignore[union-attr]
        zoned = sum((Decimal(str(v)) for s in charts["zones"]["series"] for v in s["data"]), Decimal(0))
        assert zoned == mine.stock.on_hand
        assert admin.get("/", params={"warehouse_id": "x"}).status_code == 422
