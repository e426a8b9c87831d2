"""The aisle map and pick trips over HTTP on the demo warehouse."""

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


def _browsers(db: Database, *usernames: str) -> list[TestClient]:
    made = create_demo_users(db)
    assert made is not None
    clients = []
    for username in usernames:
        browser = TestClient(create_app(db), base_url="http://testserver")
        assert browser.post("/login", data={"username": username, "password": made[0]},
                            follow_redirects=False).status_code == 303
        clients.append(browser)
    return clients


def test_the_map_draws_one_square_per_spot_of_the_warehouse(db: Database) -> None:
    load_demo(db)
    loc = t.location
    warehouse_id = db.read(lambda c: c.execute(select(func.min(t.warehouse.c.id))).scalar_one())
    spots = db.read(lambda c: c.execute(select(func.count()).select_from(
        select(loc.c.x, loc.c.y).where(loc.c.warehouse_id == warehouse_id, loc.c.x.is_not(None), loc.c.active,
                                       loc.c.virtual_kind.is_(None)).distinct().subquery())).scalar_one())
    (admin,) = _browsers(db, "admin")
    page = admin.get("/masterdata/map", params={"warehouse_id": warehouse_id}).text
    assert spots > 10 and len(re.findall(r'<rect class="cell ', page)) == spots
    assert 'class="cell stocked"' in page


def test_a_trip_shows_its_stops_in_route_order_and_the_route_over_the_map(db: Database) -> None:
    load_demo(db)
    trip_id, route = db.read(lambda c: c.execute(select(t.pick_trip.c.id, t.pick_trip.c.route)
                                                 .order_by(t.pick_trip.c.id).limit(1)).one())
    assert route, "the demo should hold a released wave with a routed trip"
    codes = dict(db.read(lambda c: c.execute(select(t.location.c.id, t.location.c.code)
                                             .where(t.location.c.id.in_(route))).all()))
    coordinator, operator = _browsers(db, "coordinator", "operator")
    page = coordinator.get(f"/outbound/trips/{trip_id}").text
    polyline = re.search(r'<polyline class="route" points="([^"]+)"', page)
    assert polyline and len(polyline.group(1).split()) == len(route)
    shown = re.findall(r'<tr class="stop-row"><td>\d+</td><td><code>([^<]+)</code>', page)
    walked = [codes[i] for i in route]
    assert shown and list(dict.fromkeys(shown)) == [c for c in dict.fromkeys(walked) if c in set(shown)]
    listed = list(csv.reader(io.StringIO(coordinator.get("/outbound/trips", params={"format": "csv"})
                                         .text.lstrip("\ufeff"))))
    assert str(trip_id) in [r[0] for r in listed[1:]]
    assert operator.get(f"/outbound/trips/{trip_id}").status_code == 403
    assert coordinator.get("/outbound/trips/999999").status_code == 404
