"""Browsing a list in SQL: filters typed by column, literal search, sort with a stable tie-break, page and
total, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.errors import InvalidInput
from stockyard.services import browse
from tests.helpers import World


def _view() -> browse.View:
    sku = t.sku
    return browse.View(
        select(sku.c.id, sku.c.code, sku.c.name, sku.c.owner_id, sku.c.unit_cost, sku.c.active),
        filters=("owner_id", "active"), search=("code", "name"), sortable=("code", "unit_cost"))


@pytest.fixture
def skus(db: Database) -> World:
    world = World(db)
    for n, cost in enumerate(["5", "1.5", "5", "20", "0.25"], start=1):
        world.sku(f"A_{n}", unit_cost=Decimal(cost))
    world.sku("B-1", owner="OTHER", name="Widget 100%")
    return world


def test_a_page_and_the_total_of_what_matches(db: Database, skus: World) -> None:
    page = browse.browse(db, _view(), browse.Request(limit=2, offset=2))
    assert page.total == 6
    assert [r["code"] for r in page.rows] == ["A_3", "A_4"]


def test_filters_take_the_columns_type_and_refuse_what_is_not_one(db: Database, skus: World) -> None:
    owner = str(skus.owner("OTHER"))
    page = browse.browse(db, _view(), browse.Request(filters={"owner_id": owner}))
    assert [r["code"] for r in page.rows] == ["B-1"]
    with pytest.raises(InvalidInput) as refused:
        browse.browse(db, _view(), browse.Request(filters={"owner_id": "one"}))
    assert refused.value.field == "owner_id"
    with pytest.raises(InvalidInput) as unknown:
        browse.browse(db, _view(), browse.Request(filters={"name": "x"}))
    assert unknown.value.field == "name"


def test_search_is_literal_and_case_blind(db: Database, skus: World) -> None:
    assert [r["code"] for r in browse.browse(db, _view(), browse.Request(q="a_")).rows] == \
        ["A_1", "A_2", "A_3", "A_4", "A_5"]
    assert [r["code"] for r in browse.browse(db, _view(), browse.Request(q="100%")).rows] == ["B-1"]
    assert browse.browse(db, _view(), browse.Request(q="%")).total == 1


def test_sorting_by_a_repeated_value_keeps_a_stable_order_across_pages(db: Database, skus: World) -> None:
    asked = browse.Request(sort="unit_cost", desc=True, limit=2)
    first = browse.browse(db, _view(), asked)
    second = browse.browse(db, _view(), browse.Request(sort="unit_cost", desc=True, limit=2, offset=2))
    assert [r["code"] for r in first.rows] == ["A_4", "A_1"]
    assert next(r["code"] for r in second.rows) == "A_3"
    with pytest.raises(InvalidInput) as refused:
        browse.browse(db, _view(), browse.Request(sort="name"))
    assert refused.value.field == "sort"


def test_export_gives_every_match_in_the_asked_order(db: Database, skus: World) -> None:
    rows = browse.export(db, _view(), browse.Request(sort="code", desc=True, filters={"active": "true"}))
    assert [r["code"] for r in rows] == ["B-1", "A_5", "A_4", "A_3", "A_2", "A_1"]
    assert rows[1]["unit_cost"] == Decimal("0.25")
