"""The handheld's outbound screens over HTTP, as a scanner-holding operator's browser sends them: an order of the
test's own is allocated, waved and released by the services, then picked stop by stop in route order, checked
and packed, and shipped through /m/pick, /m/pack and /m/ship; wrong scans answer 4xx naming the field and change
nothing; without outbound.pick the pick screen is refused."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Table, func, select

from stockyard.api.app import create_app
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.demo import load_demo
from stockyard.domain.access import SYSTEM
from stockyard.domain.allocation import OrderType
from stockyard.domain.waves import PickMode
from stockyard.services import access, orders, picking, waves

PASSWORD = "correct horse battery"
WAREHOUSE = "SH-DC1"
LINES = (("BH-TPS-01", 2), ("BH-LIP-01", 1))


@pytest.fixture
def demo(db: Database) -> Database:
    load_demo(db)
    warehouse = _id(db, t.warehouse, WAREHOUSE)
    for name, role in (("ops", "operator"), ("fin", "finance")):
        access.create_user(db, SYSTEM, access.NewUser(name, name.title(), PASSWORD, [role],
                                                      warehouse_ids=[warehouse]))
    return db


class Handheld:
    """One signed-in handheld: GETs a flow's page, then answers each step as the scan field would."""

    def __init__(self, client: TestClient, username: str) -> None:
        answer = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        self.client, self.path, self.token = client, "", ""
        self.state: dict[str, str] = {}

    def open(self, path: str) -> Response:
        page: Response = self.client.get(path)
        assert page.status_code == 200, page.text
        found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
        assert found
        self.token, self.path = found.group(1), urlsplit(path).path
        self.state = dict(parse_qsl(urlsplit(path).query))
        return page

    def send(self, **fields: str) -> Response:
        answer: Response = self.client.post(self.path, data={**self.state, **fields},
                                  headers={"HX-Request": "true", "X-CSRF-Token": self.token})
        if answer.status_code == 200:
            self.state = dict(parse_qsl(urlsplit(answer.headers["HX-Push-Url"]).query))
        return answer

    def scan(self, text: str) -> Response:
        return self.send(scan=text)


@pytest.fixture
def ops(demo: Database) -> Iterator[Handheld]:
    with TestClient(create_app(demo)) as client:
        yield Handheld(client, "ops")


def _id(db: Database, table: Table, code: str) -> int:
    return int(db.read(lambda conn: conn.execute(select(table.c.id).where(table.c.code == code)).scalar_one()))


def released_order(db: Database, ref: str, mode: PickMode = PickMode.CLUSTER) -> tuple[int, int, int]:
    """An order of the test's own, allocated, in a wave of its own, released: (order, wave, trip)."""
    warehouse = _id(db, t.warehouse, WAREHOUSE)
    owner = _id(db, t.owner, "BRIGHTHOME")
    order = orders.create_order(db, SYSTEM, orders.NewOrder(
        owner_id=owner, warehouse_id=warehouse, external_ref=ref, type=OrderType.SALES_B2C,
        ship_to={"name": "Ann", "city": "Shanghai"},
        lines=[orders.NewOrderLine(Decimal(q), sku_code=sku) for sku, q in LINES])).order
    orders.allocate(db, SYSTEM, order["id"])
    wave = waves.create_wave(db, SYSTEM, waves.NewWave(warehouse, [order["id"]], waves.PickSettings(mode)))
    released = waves.release(db, SYSTEM, wave["id"])
    return order["id"], wave["id"], released["trips"][0]["id"]


def _on_hand(db: Database, location: str, sku: str) -> Decimal:
    b, loc = t.balance, t.location
    query = (select(func.coalesce(func.sum(b.c.on_hand), 0)).join(loc, loc.c.id == b.c.location_id)
             .where(loc.c.code == location, loc.c.warehouse_id == _id(db, t.warehouse, WAREHOUSE),
                    b.c.sku_id == _id(db, t.sku, sku)))
    return Decimal(db.read(lambda conn: conn.execute(query).scalar_one()))


def _postings(db: Database) -> int:
    return int(db.read(lambda conn: conn.execute(select(func.count()).select_from(t.posting)).scalar_one()))


def _refused(answer: Response, status: int, field: str) -> None:
    assert answer.status_code == status, f"{answer.status_code}: {answer.text}"
    assert "feedback-error" in answer.text and f"<code>{field}</code>" in answer.text, answer.text
    assert answer.headers["HX-Retarget"] == "#feedback"


def _ok(answer: Response) -> None:
    assert answer.status_code == 200, answer.text
    assert "feedback feedback-ok" in answer.text and 'id="scan-input"' in answer.text, answer.text


def _pick_trip(demo: Database, ops: Handheld, trip: int) -> None:
    """Every stop of the trip, in the routed sequence the screen shows."""
    route = [k["location_code"] for k in picking.get_trip(demo, SYSTEM, trip)["tasks"]]
    ops.open("/m/pick")
    _ok(ops.send(command=str(trip)))
    for n, location in enumerate(route):
        page = ops.open(f"/m/pick?{'&'.join(f'{k}={v}' for k, v in ops.state.items())}")
        assert f'id="stop-location">{location}<' in page.text, "the next stop follows the route"
        assert f"{len(route) - n} stops left" in page.text
        task = picking.next_stop(demo, SYSTEM, trip)["task"]
        _ok(ops.scan(location))
        _ok(ops.scan(task["sku_code"]))
        if ops.state.get("at") == "lot":
            _ok(ops.scan(task["lot_number"]))
        counted = ops.scan(str(task["quantity"]))
        _ok(counted)
        if task["tote"]:  # a cluster trip: the pick goes into the order's own tote on the cart
            assert ops.state.get("at") == "tote" and f'id="stop-tote">{task["tote"]}<' in counted.text
            before = _postings(demo)
            _refused(ops.scan("T9-9"), 422, "tote")
            assert _postings(demo) == before, "nothing is picked into another order's tote"
            _ok(ops.scan(task["tote"].lower()))  # a label typed in lower case is the same tote
    assert ops.state.get("at") == "done"


def test_pick_pack_and_ship_on_the_handheld(demo: Database, ops: Handheld) -> None:
    order, _, trip = released_order(demo, "SO-HH-1")
    first = picking.next_stop(demo, SYSTEM, trip)["task"]
    shelf_before = _on_hand(demo, first["location_code"], first["sku_code"])

    # Wrong scans: red, naming the field, nothing posted, the step unchanged.
    ops.open("/m/pick")
    _ok(ops.send(command=str(trip)))
    before, state = _postings(demo), dict(ops.state)
    _refused(ops.scan("NOT-THE-PLACE"), 422, "location")
    assert ops.state == state
    _ok(ops.scan(first["location_code"]))
    other = next(sku for sku, _ in LINES if sku != first["sku_code"])
    _refused(ops.scan(other), 422, "scan")
    _refused(ops.scan("NO-SUCH-ITEM"), 422, "scan")
    assert _postings(demo) == before

    _pick_trip(demo, ops, trip)
    assert _on_hand(demo, first["location_code"], first["sku_code"]) == shelf_before - first["quantity"]
    assert "STAGE-" in ops.client.get(f"/m/pick?trip={trip}").text, "where to drop the tote"

    # Check and pack: an item not on the order and one too many are refused.
    ops.open("/m/pack")
    _ok(ops.scan("SO-HH-1"))
    _refused(ops.scan("BH-MSK-01"), 422, "scan")
    for sku, quantity in LINES:
        for _ in range(quantity):
            _ok(ops.scan(sku))
    assert ops.state["at"] == "close"
    closed = ops.scan("TRK-HH-1")
    _ok(closed)
    assert "/label.pdf" in closed.text
    assert ops.client.get(re.search(r'href="(/api/v1/packages/\d+/label.pdf)"', closed.text).group(1)  # type: ignore[union-attr]
                          ).status_code == 200

    # Ship by the package's tracking number, confirmed by the button.
    ops.open("/m/ship")
    _refused(ops.scan("NO-SUCH-ORDER"), 404, "scan")
    assert ops.scan("TRK-HH-1").status_code == 200
    assert ops.state["at"] == "confirm"
    _ok(ops.send(command="confirm"))
    assert orders.get_order(demo, SYSTEM, order)["status"] == "shipped"


def test_sorting_to_the_wall_on_the_handheld(demo: Database, ops: Handheld) -> None:
    order, wave, trip = released_order(demo, "SO-HH-2", PickMode.BATCH)
    _pick_trip(demo, ops, trip)
    slot = str(orders.get_order(demo, SYSTEM, order)["sort_slot"])
    ops.open("/m/sort")
    _ok(ops.scan(str(wave)))
    ops.scan(LINES[1][0])
    assert ops.state["at"] == "slot" and ops.state["slot"] == slot
    _refused(ops.scan(str(int(slot) + 5)), 422, "slot")
    _ok(ops.scan(slot))
    assert ops.state["at"] == "item"


def test_without_outbound_pick_the_pick_screen_is_refused(demo: Database) -> None:
    with TestClient(create_app(demo)) as client:
        Handheld(client, "fin")
        assert client.get("/m/pick").status_code == 403


def _short_stop(demo: Database, trip: int) -> Any:
    k = t.task
    return demo.read(lambda conn: conn.execute(select(k.c.id, k.c.short_quantity, k.c.done_quantity, k.c.status)
                                               .where(k.c.trip_id == trip, k.c.short_quantity > 0)).all())


def _counts_of(demo: Database, location: str) -> int:
    c, cl, loc = t.stock_count, t.count_line, t.location
    return int(demo.read(lambda conn: conn.execute(
        select(func.count(func.distinct(c.c.id))).join(cl, cl.c.count_id == c.c.id)
        .join(loc, loc.c.id == cl.c.location_id)
        .where(loc.c.code == location, c.c.status == "counting")).scalar_one()))


def test_a_short_stop_is_reported_from_the_handheld(demo: Database, ops: Handheld) -> None:
    _, _, trip = released_order(demo, "SO-HH-3")
    first = picking.next_stop(demo, SYSTEM, trip)["task"]
    shelf = _on_hand(demo, first["location_code"], first["sku_code"])
    ops.open("/m/pick")
    _ok(ops.send(command=str(trip)))
    _ok(ops.scan(first["location_code"]))
    answer = ops.send(command="empty")
    _ok(answer)
    assert "will be counted" in answer.text
    assert ops.state["task"] != str(first["id"]), "the picker goes on to the next stop"
    short = _short_stop(demo, trip)
    assert [(r.id, r.short_quantity, r.status) for r in short] == [(first["id"], first["quantity"], "done")]
    assert _on_hand(demo, first["location_code"], first["sku_code"]) == shelf, "nothing was picked there"
    assert _counts_of(demo, first["location_code"]) == 1, "the location is flagged for a count"


def test_fewer_found_picks_what_is_there_and_a_bad_count_is_refused(demo: Database, ops: Handheld) -> None:
    _, _, trip = released_order(demo, "SO-HH-4")
    stop = next(k for k in picking.get_trip(demo, SYSTEM, trip)["tasks"] if k["quantity"] > 1)
    while picking.next_stop(demo, SYSTEM, trip)["task"]["id"] != stop["id"]:  # pick the stops before it
        task = picking.next_stop(demo, SYSTEM, trip)["task"]
        picking.confirm_pick(demo, SYSTEM, task["id"], picking.PickScan(
            task["location_code"], task["sku_code"], task["quantity"], lot_number=task["lot_number"]))
    shelf = _on_hand(demo, stop["location_code"], stop["sku_code"])
    ops.open("/m/pick")
    _ok(ops.send(command=str(trip)))
    _ok(ops.scan(stop["location_code"]))
    _ok(ops.scan(stop["sku_code"]))
    if ops.state.get("at") == "lot":
        _ok(ops.scan(stop["lot_number"]))
    assert ops.send(command="short").status_code == 200
    assert ops.state["at"] == "short"
    _refused(ops.scan(str(stop["quantity"])), 422, "found_quantity")  # not short at all
    _refused(ops.scan("many"), 422, "quantity")
    _ok(ops.scan("1"))
    assert _on_hand(demo, stop["location_code"], stop["sku_code"]) == shelf - 1
    [row] = _short_stop(demo, trip)
    assert (row.done_quantity, row.short_quantity) == (1, stop["quantity"] - 1)


def test_a_serial_stop_asks_for_the_serial_label_and_refuses_another(demo: Database, ops: Handheld) -> None:
    warehouse, owner = _id(demo, t.warehouse, WAREHOUSE), _id(demo, t.owner, "VOLTEK")
    order = orders.create_order(demo, SYSTEM, orders.NewOrder(
        owner_id=owner, warehouse_id=warehouse, external_ref="SO-HH-SN", type=OrderType.SALES_B2C,
        lines=[orders.NewOrderLine(Decimal(1), sku_code="VT-PHN-01")])).order
    orders.allocate(demo, SYSTEM, order["id"])
    wave = waves.create_wave(demo, SYSTEM, waves.NewWave(warehouse, [order["id"]]))
    trip = waves.release(demo, SYSTEM, wave["id"])["trips"][0]["id"]
    stop = picking.next_stop(demo, SYSTEM, trip)["task"]
    assert stop["serial"], "the demo's phones are serial-controlled"
    other = demo.read(lambda conn: conn.execute(select(t.balance.c.serial).where(
        t.balance.c.sku_id == _id(demo, t.sku, "VT-PHN-01"), t.balance.c.serial != stop["serial"],
        t.balance.c.on_hand > 0).limit(1)).scalar_one())
    ops.open("/m/pick")
    _ok(ops.send(command=str(trip)))
    _ok(ops.scan(stop["location_code"]))
    _ok(ops.scan("VT-PHN-01"))
    assert ops.state["at"] == "serial"
    before = _postings(demo)
    _refused(ops.scan(other), 422, "serial")
    assert _postings(demo) == before and ops.state["at"] == "serial"
    _ok(ops.scan(stop["serial"]))
    assert ops.state["at"] == "tote" and ops.state["serial"] == stop["serial"]  # a one-order cluster trip
    _ok(ops.scan(stop["tote"]))
    k = t.task
    done = demo.read(lambda conn: conn.execute(select(k.c.status, k.c.done_quantity).where(
        k.c.id == stop["id"])).one())
    assert (done.status, done.done_quantity) == ("done", 1)


def test_a_refusal_reads_in_the_persons_language_with_the_services_words_below(demo: Database,
                                                                               ops: Handheld) -> None:
    _, _, trip = released_order(demo, "SO-HH-ZH")
    ops.client.cookies.set("stockyard_lang", "zh-CN")
    ops.open("/m/pick")
    _ok(ops.send(command=str(trip)))
    refused = ops.scan("NOT-THE-PLACE")
    _refused(refused, 422, "location")
    assert "这不是本步骤的库位。" in refused.text
    assert 'class="detail said">this is not the pick location: go to' in refused.text
    ops.client.cookies.set("stockyard_lang", "en")
    english = ops.scan("NOT-THE-PLACE")
    assert "This is not the location of this step." not in english.text, "English shows the service's words only"
    assert "this is not the pick location: go to" in english.text
