"""The handheld's inbound and inventory screens over HTTP, as a scanner-holding operator's browser sends them:
receive, put away, move, replenish, count and "what is this?" against the demo warehouse.

Each scan is an htmx POST of the step's form (its hidden state and the scan); each flow is followed through to the
ledger, and wrong scans must answer 4xx naming the field while changing nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from stockyard.api.app import create_app
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.demo import load_demo
from stockyard.domain.access import SYSTEM
from stockyard.services import access, counts, replenishment

PASSWORD = "correct horse battery"
WAREHOUSE = "SH-DC1"


@pytest.fixture
def demo(db: Database) -> Database:
    load_demo(db)
    warehouse = _id(db, t.warehouse, WAREHOUSE)
    for name, role in (("ops", "operator"), ("ana", "data_analyst"), ("fin", "finance")):
        access.create_user(db, SYSTEM, access.NewUser(name, name.title(), PASSWORD, [role],
                                                      warehouse_ids=[warehouse]))
    return db


@pytest.fixture
def ops(demo: Database) -> Iterator[Handheld]:
    with TestClient(create_app(demo)) as client:
        yield Handheld(client, "ops")


class Handheld:
    """One signed-in handheld: GETs a flow's page, then answers each step as the scan field would."""

    def __init__(self, client: TestClient, username: str) -> None:
        answer = client.post("/login", data={"username": username, "password": PASSWORD}, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        self.client = client
        self.state: dict[str, str] = {}
        self.path = ""

    def open(self, path: str) -> Response:
        page = self.client.get(path)
        assert page.status_code == 200, page.text
        found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
        assert found
        self.token = found.group(1)
        self.path = urlsplit(path).path
        self.state = dict(parse_qsl(urlsplit(path).query))
        return page

    def scan(self, text: str) -> Response:
        """Type ``text`` into the scan field and press Enter; on success the step's new state is kept."""
        answer = self.client.post(self.path, data={**self.state, "scan": text},
                                  headers={"HX-Request": "true", "X-CSRF-Token": self.token})
        if answer.status_code == 200:
            self.state = dict(parse_qsl(urlsplit(answer.headers["HX-Push-Url"]).query))
        return answer


def _id(db: Database, table: t.Table, code: str) -> int:
    return int(db.read(lambda conn: conn.execute(select(table.c.id).where(table.c.code == code)).scalar_one()))


def _location(db: Database, code: str) -> int:
    loc = t.location
    return int(db.read(lambda conn: conn.execute(select(loc.c.id).where(
        loc.c.code == code, loc.c.warehouse_id == _id(db, t.warehouse, WAREHOUSE))).scalar_one()))


def _on_hand(db: Database, location: str, sku: str) -> Decimal:
    b = t.balance
    query = select(func.coalesce(func.sum(b.c.on_hand), 0)).where(b.c.location_id == _location(db, location),
                                                                   b.c.sku_id == _id(db, t.sku, sku))
    return Decimal(db.read(lambda conn: conn.execute(query).scalar_one()))


def _postings(db: Database) -> int:
    return int(db.read(lambda conn: conn.execute(select(func.count()).select_from(t.posting)).scalar_one()))


def _expected_lot(db: Database, sku: str) -> str:
    """The lot the demo's receipt expects for ``sku``: the demo names it after the month it was loaded in."""
    line = t.receipt_line
    return str(db.read(lambda conn: conn.execute(select(line.c.expected_lot).where(
        line.c.sku_id == _id(db, t.sku, sku))).scalar_one()))


def _lots_at(db: Database, location: str, sku: str) -> list[str]:
    """The lots of ``sku`` on hand at ``location``, oldest first; the demo dates them back from the day it loads."""
    lot, b = t.lot, t.balance
    return list(db.read(lambda conn: conn.execute(
        select(lot.c.number).join(b, b.c.lot_id == lot.c.id)
        .where(b.c.location_id == _location(db, location), b.c.sku_id == _id(db, t.sku, sku), b.c.on_hand > 0)
        .order_by(lot.c.production_date, lot.c.number)).scalars()))


# An expiry date a year or two ahead, so what is received is never already expired on the day the suite runs.
EXPIRY = date(date.today().year + 2, 6, 30)


def _refused(answer: Response, status: int, field: str) -> None:
    """A red feedback naming the field, swapped into #feedback (the step stays as it was)."""
    assert answer.status_code == status, f"{answer.status_code}: {answer.text}"
    assert "feedback-error" in answer.text
    assert f"<code>{field}</code>" in answer.text, answer.text
    assert answer.headers["HX-Retarget"] == "#feedback"


def _ok(answer: Response) -> str:
    assert answer.status_code == 200, answer.text
    found = re.search(r'class="feedback feedback-ok"[^>]*>([^<]+)<', answer.text)
    assert found, answer.text
    return found.group(1)


def _step_ok(answer: Response) -> None:
    assert answer.status_code == 200, answer.text
    assert 'id="scan-input"' in answer.text


# ---------------------------------------------------------------- receive and put away


def test_receiving_a_scanned_item_books_it_on_the_dock_and_creates_its_putaway(demo: Database,
                                                                              ops: Handheld) -> None:
    page = ops.open("/m/receive")
    assert "PO-SH-DC1-001" in page.text and 'autofocus' in page.text
    _step_ok(ops.scan("PO-SH-DC1-001"))
    _refused(ops.scan("NO-SUCH-DOCK"), 422, "dock")
    _step_ok(ops.scan("DOCK-I01"))
    item_step = ops.client.get("/m/receive?" + "&".join(f"{k}={v}" for k, v in ops.state.items()))
    assert "BH-SHP-01" in item_step.text and "24" in item_step.text, "expected quantities are shown"
    before = _postings(demo)
    _refused(ops.scan("06900000000009"), 422, "scan")  # a valid GTIN no SKU of the owner has
    _refused(ops.scan("BH-TIS-01"), 422, "scan")  # the owner's SKU, not on this receipt
    assert _postings(demo) == before
    lot_step = ops.scan("06921734100023")  # BH-SHP-01: lot- and expiry-controlled, the barcode has neither
    _step_ok(lot_step)
    expected = _expected_lot(demo, "BH-SHP-01")
    assert expected in lot_step.text, "the expected lot is offered as a hint"
    _step_ok(ops.scan(expected))
    _refused(ops.scan("31 June"), 422, "expiry_date")
    _step_ok(ops.scan(EXPIRY.isoformat()))
    _refused(ops.scan("lots"), 422, "quantity")
    _refused(ops.scan("500"), 422, "quantity")  # more than the receipt expects
    assert _postings(demo) == before
    done = ops.scan("5")
    assert "BH-SHP-01" in _ok(done)
    assert _on_hand(demo, "DOCK-I01", "BH-SHP-01") == Decimal(5)
    assert set(ops.state) == {"receipt_id", "dock_id"}, "the next item starts on the same receipt and dock"
    line = demo.read(lambda conn: conn.execute(select(t.receipt_line.c.received_quantity).where(
        t.receipt_line.c.sku_id == _id(demo, t.sku, "BH-SHP-01"))).scalar_one())
    assert line == Decimal(5)
    tasks = demo.read(lambda conn: conn.execute(select(t.task.c.id).where(
        t.task.c.kind == "putaway", t.task.c.sku_id == _id(demo, t.sku, "BH-SHP-01"))).all())
    assert len(tasks) == 1


def test_a_reload_shows_the_step_the_url_is_at(demo: Database, ops: Handheld) -> None:
    ops.open("/m/receive")
    ops.scan("PO-SH-DC1-001")
    ops.scan("DOCK-I01")
    ops.scan("06921734100023")
    reloaded = ops.client.get("/m/receive?" + "&".join(f"{k}={v}" for k, v in ops.state.items()))
    assert reloaded.status_code == 200
    assert 'name="item" value="06921734100023"' in reloaded.text
    assert "<html" in reloaded.text.lower() and 'id="step"' in reloaded.text


def _receive_five(db: Database, ops: Handheld) -> None:
    ops.open("/m/receive")
    lot = _expected_lot(db, "BH-SHP-01")
    for text in ("PO-SH-DC1-001", "DOCK-I01", "06921734100023", lot, EXPIRY.isoformat(), "5"):
        assert ops.scan(text).status_code == 200


def test_putting_away_moves_the_stock_from_the_dock_to_the_suggested_place(demo: Database, ops: Handheld) -> None:
    _receive_five(demo, ops)
    page = ops.open("/m/putaway")
    target = demo.read(lambda conn: conn.execute(
        select(t.location.c.code).join(t.task, t.task.c.to_location_id == t.location.c.id)
        .where(t.task.c.kind == "putaway", t.task.c.status == "open")).scalar_one())
    assert target in page.text and "BH-SHP-01" in page.text
    before = _postings(demo)
    _refused(ops.scan("DOCK-I02"), 422, "location_code")  # a real place, not the suggested one
    _refused(ops.scan("Z99-NOWHERE"), 422, "location_code")
    assert _postings(demo) == before and _on_hand(demo, "DOCK-I01", "BH-SHP-01") == Decimal(5)
    done = ops.scan(target)
    assert target in _ok(done)
    assert _on_hand(demo, "DOCK-I01", "BH-SHP-01") == 0
    assert _on_hand(demo, target, "BH-SHP-01") >= Decimal(5)
    assert "No putaway task is open for you." in done.text


# ---------------------------------------------------------------- move


def test_a_move_takes_the_scanned_item_from_one_place_to_another(demo: Database, ops: Handheld) -> None:
    ops.open("/m/move")
    _refused(ops.scan("Z99-NOWHERE"), 422, "from_location")
    _step_ok(ops.scan("A04-08-3-2"))
    _refused(ops.scan("06921734101198"), 422, "scan")  # BH-TIS-01 is not in A04-08-3-2
    item = ops.scan("06921734101297")  # BH-PTW-01
    _step_ok(item)
    assert "168" in item.text, "what may move is shown"
    before = _postings(demo)
    _refused(ops.scan("169"), 422, "quantity")
    _step_ok(ops.scan("12"))
    _refused(ops.scan("Z99-NOWHERE"), 422, "to_location_code")
    assert _postings(demo) == before
    assert "A01-01-1-1" in _ok(ops.scan("A01-01-1-1"))
    assert _on_hand(demo, "A04-08-3-2", "BH-PTW-01") == Decimal(156)
    assert _on_hand(demo, "A01-01-1-1", "BH-PTW-01") == Decimal(12)
    assert ops.state == {}, "the next move starts from the top"


def test_a_move_of_an_item_held_in_two_lots_asks_which_one_unless_the_barcode_says(demo: Database,
                                                                                  ops: Handheld) -> None:
    ops.open("/m/move")
    ops.scan("P01-07-3-2")
    older, newer = _lots_at(demo, "P01-07-3-2", "BH-LDT-02")  # 5 of the older, 10 of the newer
    asked = ops.scan("06921734101082")  # BH-LDT-02
    _step_ok(asked)
    choices = re.findall(r'name="scan" value="(@bucket:[^"]+)"', asked.text)
    assert len(choices) == 2 and older in asked.text and newer in asked.text
    chosen = ops.scan(choices[1])
    assert newer in chosen.text and 'inputmode=decimal' in chosen.text
    ops.open("/m/move")
    ops.scan("P01-07-3-2")
    straight = ops.scan(f"(01)06921734101082(10){newer}")  # a GS1 label with its lot: no question
    assert newer in straight.text and "@bucket:" not in straight.text
    _refused(ops.scan("11"), 422, "quantity")
    ops.scan("10")
    _ok(ops.scan("A01-01-1-2"))
    lot = t.lot
    moved = demo.read(lambda conn: conn.execute(
        select(t.balance.c.on_hand).join(lot, lot.c.id == t.balance.c.lot_id)
        .where(lot.c.number == newer, t.balance.c.location_id == _location(demo, "A01-01-1-2"))).scalar_one())
    assert moved == Decimal(10)
    assert _on_hand(demo, "P01-07-3-2", "BH-LDT-02") == Decimal(5)


def test_a_gs1_label_with_lot_and_expiry_goes_straight_to_the_quantity(demo: Database, ops: Handheld) -> None:
    ops.open("/m/receive")
    ops.scan("PO-SH-DC1-001")
    ops.scan("DOCK-I02")
    expected = _expected_lot(demo, "BH-SHP-02")
    asked = ops.scan(f"(01)06921734100030(17){EXPIRY:%y%m%d}(10){expected}")  # BH-SHP-02
    _step_ok(asked)
    assert expected in asked.text and 'inputmode=decimal' in asked.text
    assert "BH-SHP-02" in _ok(ops.scan("48"))
    lot, expiry = demo.read(lambda conn: conn.execute(
        select(t.lot.c.number, t.lot.c.expiry_date).join(t.balance, t.balance.c.lot_id == t.lot.c.id)
        .where(t.balance.c.location_id == _location(demo, "DOCK-I02"))).one())
    assert lot == expected and expiry == EXPIRY


# ---------------------------------------------------------------- replenish


def test_a_replenishment_is_confirmed_by_scanning_source_and_pick_face(demo: Database, ops: Handheld) -> None:
    warehouse = _id(demo, t.warehouse, WAREHOUSE)
    sku = _id(demo, t.sku, "BH-TIS-01")
    owner = demo.read(lambda conn: conn.execute(select(t.sku.c.owner_id).where(t.sku.c.id == sku)).scalar_one())
    replenishment.create_rule(demo, SYSTEM, warehouse, {"location_id": _location(demo, "P02-12-1-1"),
                                                        "owner_id": owner, "sku_id": sku,
                                                        "min_quantity": Decimal(10), "max_quantity": Decimal(60)})
    made = replenishment.run(demo, SYSTEM, warehouse)
    assert made
    source = demo.read(lambda conn: conn.execute(select(t.location.c.code).where(
        t.location.c.id == made[0]["from_location_id"])).scalar_one())
    quantity = Decimal(made[0]["quantity"])
    page = ops.open("/m/replenish")
    assert source in page.text and "P02-12-1-1" in page.text
    _refused(ops.scan("P02-12-1-1"), 422, "location_code")  # the pick face first is the wrong order
    _step_ok(ops.scan(source))
    before = _postings(demo)
    _refused(ops.scan("P02-12-2-1"), 422, "location_code")  # another pick face
    assert _postings(demo) == before
    assert "P02-12-1-1" in _ok(ops.scan("P02-12-1-1"))
    assert _on_hand(demo, "P02-12-1-1", "BH-TIS-01") == Decimal(9) + quantity


# ---------------------------------------------------------------- count


def test_a_blind_count_records_what_was_counted_without_showing_the_books(demo: Database, ops: Handheld) -> None:
    warehouse = _id(demo, t.warehouse, WAREHOUSE)
    started = counts.start(demo, SYSTEM, counts.Criteria(warehouse, location_ids=[_location(demo, "A06-01-4-1")]),
                           blind=True)
    page = ops.open("/m/count")
    assert "A06-01-4-1" in page.text and "BH-TIS-02" in page.text
    assert "648" not in page.text, "a blind count does not show the books"
    _refused(ops.scan("A08-09-2-1"), 422, "location_code")
    _step_ok(ops.scan("A06-01-4-1"))
    _refused(ops.scan("06921734101198"), 422, "scan")  # BH-TIS-01, not the line's BH-TIS-02
    _step_ok(ops.scan("06921734101235"))
    _refused(ops.scan("-3"), 422, "quantity")
    assert "A06-01-4-1" in _ok(ops.scan("640"))
    line = demo.read(lambda conn: conn.execute(select(t.count_line.c.counted_quantity, t.count_line.c.counted_by)
                                               .where(t.count_line.c.count_id == started["id"])).one())
    assert line.counted_quantity == Decimal(640) and line.counted_by == "ops"


# ---------------------------------------------------------------- what is this?


def test_what_is_this_names_locations_skus_and_lots_with_their_stock(demo: Database, ops: Handheld) -> None:
    ops.open("/m/lookup")
    location = ops.scan("A04-08-3-2")
    _step_ok(location)
    assert "BH-PTW-01" in location.text and "168" in location.text
    sku = ops.scan("06921734101297")
    assert "A04-08-3-2" in sku.text and "A05-03-2-1" in sku.text, "every place holding the SKU"
    lot_number, lot_place = demo.read(lambda conn: conn.execute(
        select(t.lot.c.number, t.location.c.code).join(t.balance, t.balance.c.lot_id == t.lot.c.id)
        .join(t.location, t.location.c.id == t.balance.c.location_id)
        .where(t.balance.c.warehouse_id == _id(demo, t.warehouse, WAREHOUSE), t.balance.c.on_hand > 0)
        .order_by(t.lot.c.id)).first())
    lot = ops.scan(lot_number)
    assert lot_number in lot.text and lot_place in lot.text
    _refused(ops.scan("NOTHING-LIKE-THIS"), 404, "scan")


def test_what_is_this_keeps_to_the_persons_warehouses(demo: Database, ops: Handheld) -> None:
    ops.open("/m/lookup")
    elsewhere = demo.read(lambda conn: conn.execute(select(func.count()).select_from(t.balance).where(
        t.balance.c.sku_id == _id(demo, t.sku, "HX-CRC-01"), t.balance.c.on_hand > 0, ~t.balance.c.is_virtual))
        .scalar_one())
    assert elsewhere > 0, "the demo has stock of HX-CRC-01 in SZ-PW1"
    answer = ops.scan("HX-CRC-01")  # a SKU of the other site's owner: known, but none of its stock is ours
    _step_ok(answer)
    assert "No stock here." in answer.text and "hh-stock-where" not in answer.text


# ---------------------------------------------------------------- permissions


@pytest.mark.parametrize(("user", "path"), [("ana", "/m/receive"), ("ana", "/m/putaway"), ("ana", "/m/move"),
                                            ("ana", "/m/replenish"), ("ana", "/m/count"), ("fin", "/m/lookup")])
def test_a_person_without_the_permission_gets_403(demo: Database, user: str, path: str) -> None:
    with TestClient(create_app(demo)) as client:
        handheld = Handheld(client, user)
        handheld.open("/m")
        assert client.get(path).status_code == 403
        refused = client.post(path, data={"scan": "PO-SH-DC1-001"},
                              headers={"HX-Request": "true", "X-CSRF-Token": handheld.token})
        assert refused.status_code == 403
    assert demo.read(lambda conn: conn.execute(select(func.count()).select_from(t.receipt_event)).scalar_one()) == 0


def test_an_item_found_where_the_count_has_no_line_is_counted_like_any_other_difference(demo: Database,
                                                                                       ops: Handheld) -> None:
    warehouse = _id(demo, t.warehouse, WAREHOUSE)
    started = counts.start(demo, SYSTEM, counts.Criteria(warehouse, location_ids=[_location(demo, "A06-01-4-1")]),
                           blind=True)
    ops.open("/m/count")
    _step_ok(ops.scan("A06-01-4-1"))
    found = ops.scan("@found")
    _step_ok(found)
    assert "Scan the item you found" in found.text
    _refused(ops.scan("NO-SUCH-THING"), 422, "scan")
    asked = ops.scan("06921734101198")  # BH-TIS-01: the count's line is BH-TIS-02
    _step_ok(asked)
    assert 'id="found-sku">BH-TIS-01<' in asked.text and ops.state["at"] == "found_qty"
    _refused(ops.scan("-1"), 422, "quantity")
    back = _ok(ops.scan("12"))
    assert "BH-TIS-01" in back and ops.state["at"] == "item", "back at the line's own item"
    _step_ok(ops.scan("06921734101235"))
    _ok(ops.scan("648"))
    lines = demo.read(lambda conn: conn.execute(
        select(t.sku.c.code, t.count_line.c.snapshot_quantity, t.count_line.c.counted_quantity)
        .join(t.sku, t.sku.c.id == t.count_line.c.sku_id)
        .where(t.count_line.c.count_id == started["id"]).order_by(t.sku.c.code)).all())
    assert [(r.code, r.snapshot_quantity, r.counted_quantity) for r in lines] == [
        ("BH-TIS-01", Decimal(0), Decimal(12)), ("BH-TIS-02", Decimal(648), Decimal(648))]
    # Finishing treats it as any difference: 12 where the books have none goes to a recount by someone else.
    finished = counts.finish(demo, SYSTEM, started["id"])
    assert finished["status"] == "recount"
    assert [x["needs_recount"] for x in finished["lines"] if x["snapshot_quantity"] == 0] == [True]
