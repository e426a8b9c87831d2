"""Putaway (上架): rules, suggestions that explain themselves, tasks and their confirmation by scanning.

Suggestions count stock already in a location and putaways already planned into it (open tasks), so two pallets
received one after the other are not both sent to the last free slot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, case, func, insert, select, update

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.db.types import to_units
from stockyard.domain.access import Principal
from stockyard.domain.errors import Conflict, InvalidInput, NotFound
from stockyard.domain.putaway import (
    STOCK_ZONE_KINDS,
    Candidate,
    Policy,
    PutawayItem,
    PutawayRule,
    Suggestion,
    fits,
    suggest,
)
from stockyard.domain.stock import Bucket, Movement, PostingRequest, StockItem, StockStatus
from stockyard.services import audit, ledger
from stockyard.services import masterdata as md
from stockyard.services.browse import View

Row = dict[str, Any]
OPEN = "open"
KIND = "putaway"  # the kind of a putaway task
DONE = "done"


# ---------------------------------------------------------------- rules


RULE_FIELDS = ("name", "priority", "policy", "target_zone_id", "owner_id", "sku_id", "category", "abc_class",
               "storage_condition", "receipt_type", "status", "lot_controlled", "expires_within_days", "active")


def list_rules(db: Database, principal: Principal, warehouse_id: int) -> list[Row]:
    def work(conn: Connection) -> list[Row]:
        md.get_in(conn, md.WAREHOUSE, warehouse_id, principal)
        r = t.putaway_rule
        return [dict(x._mapping) for x in conn.execute(
            select(r).where(r.c.warehouse_id == warehouse_id).order_by(r.c.priority, r.c.id))]
    return db.read(work)


def create_rule(db: Database, principal: Principal, warehouse_id: int, values: Mapping[str, Any]) -> Row:
    """A putaway rule of a warehouse: what it matches, the zone it sends stock to and how it picks a location."""
    def work(conn: Connection) -> Row:
        md.get_in(conn, md.WAREHOUSE, warehouse_id, principal)
        _check_rule(conn, principal, warehouse_id, values)
        now = datetime.now(UTC)
        rule_id = conn.execute(insert(t.putaway_rule).values(
            warehouse_id=warehouse_id, **values, created_at=now, updated_at=now)
            .returning(t.putaway_rule.c.id)).scalar_one()
        row = _rule(conn, principal, rule_id)
        audit.record(conn, principal, "putaway_rule.create", "putaway_rule", rule_id, after=row)
        return row
    return db.write(work)


def update_rule(db: Database, principal: Principal, rule_id: int, values: Mapping[str, Any]) -> Row:
    def work(conn: Connection) -> Row:
        before = _rule(conn, principal, rule_id)
        _check_rule(conn, principal, before["warehouse_id"], values)
        if values:
            conn.execute(update(t.putaway_rule).where(t.putaway_rule.c.id == rule_id)
                         .values(**values, updated_at=datetime.now(UTC)))
        after = _rule(conn, principal, rule_id)
        audit.record(conn, principal, "putaway_rule.update", "putaway_rule", rule_id, before=before, after=after)
        return after
    return db.write(work)


def _rule(conn: Connection, principal: Principal, rule_id: int) -> Row:
    row = conn.execute(select(t.putaway_rule).where(t.putaway_rule.c.id == rule_id)).first()
    if row is None or not principal.scope.allows_warehouse(row.warehouse_id):
        raise NotFound(f"putaway rule {rule_id} not found", field="rule_id")
    return dict(row._mapping)


def _check_rule(conn: Connection, principal: Principal, warehouse_id: int, values: Mapping[str, Any]) -> None:
    if values.get("target_zone_id") is not None:
        zone = md.require(conn, principal, "target_zone_id", md.ZONE, values["target_zone_id"])
        if zone["warehouse_id"] != warehouse_id:
            raise InvalidInput("the zone is in another warehouse", field="target_zone_id", code="unknown_zone")
    if values.get("owner_id") is not None:
        md.require(conn, principal, "owner_id", md.OWNER, values["owner_id"])
    if values.get("sku_id") is not None:
        md.require(conn, principal, "sku_id", md.SKU, values["sku_id"])


def set_home(db: Database, principal: Principal, sku_id: int, location_id: int) -> Row:
    """Make a location the SKU's fixed home in that location's warehouse (for the fixed-home policy)."""
    def work(conn: Connection) -> Row:
        md.require(conn, principal, "sku_id", md.SKU, sku_id)
        location = md.require(conn, principal, "location_id", md.LOCATION, location_id)
        if location["virtual_kind"]:
            raise InvalidInput("a home location is a physical location", field="location_id")
        h = t.sku_home
        key = (h.c.sku_id == sku_id) & (h.c.warehouse_id == location["warehouse_id"])
        before = conn.execute(select(h.c.location_id).where(key)).scalar()
        if before is None:
            conn.execute(insert(h).values(sku_id=sku_id, warehouse_id=location["warehouse_id"],
                                          location_id=location_id))
        else:
            conn.execute(update(h).where(key).values(location_id=location_id))
        after = {"sku_id": sku_id, "warehouse_id": location["warehouse_id"], "location_id": location_id}
        audit.record(conn, principal, "sku.set_home", "sku", sku_id,
                     before=None if before is None else {**after, "location_id": before}, after=after)
        return after
    return db.write(work)


# ---------------------------------------------------------------- suggestions


# Suggestions look at the nearest locations first; only when none of them will do is the whole warehouse read.
NEAREST = 64


@dataclass
class Warehouse:
    """What the putaway engine needs of one warehouse, loaded once per command with a few set-based queries:
    the rules, and as candidates the SKU's home and the locations holding it plus the ``NEAREST`` locations of
    the rules' zones to the dock (``partial``), or every location."""

    id: int
    rules: list[PutawayRule]
    candidates: list[Candidate]
    partial: bool = False

    def plan(self, location_id: int, item: PutawayItem) -> None:
        """Count a new task's quantity as planned in its target, for the suggestions that follow."""
        for index, c in enumerate(self.candidates):
            if c.location_id == location_id:
                self.candidates[index] = replace(
                    c, used_units=c.used_units + item.quantity,
                    used_volume=c.used_volume + item.quantity * (item.unit_volume or 0),
                    used_weight=c.used_weight + item.quantity * (item.unit_weight or 0),
                    used_pallets=c.used_pallets + item.pallets,
                    contents=c.contents | {(item.owner_id, item.sku_id, item.lot_id)})


def load_warehouse(conn: Connection, warehouse_id: int, *, sku_id: int | None = None,
                   origin: tuple[Decimal, Decimal] | None = None) -> Warehouse:
    """The warehouse for suggestions; with a SKU and the dock's coordinates only the locations that can matter
    (the answer is the same: the engine takes the nearest that fits, and these are the nearest)."""
    r = t.putaway_rule
    rules = [PutawayRule(id=x.id, name=x.name, priority=x.priority, policy=Policy(x.policy),
                         target_zone_id=x.target_zone_id, owner_id=x.owner_id, sku_id=x.sku_id, category=x.category,
                         abc_class=x.abc_class, storage_condition=x.storage_condition, receipt_type=x.receipt_type,
                         status=x.status, lot_controlled=x.lot_controlled, expires_within_days=x.expires_within_days)
             for x in conn.execute(select(r).where(r.c.warehouse_id == warehouse_id, r.c.active)
                                   .order_by(r.c.priority, r.c.id))]
    if sku_id is None or origin is None or not rules:
        return Warehouse(warehouse_id, rules, _candidates(conn, warehouse_id, None))
    ids = _relevant(conn, warehouse_id, rules, sku_id, origin)
    return Warehouse(warehouse_id, rules, _candidates(conn, warehouse_id, ids), partial=True)


def _relevant(conn: Connection, warehouse_id: int, rules: list[PutawayRule], sku_id: int,
              origin: tuple[Decimal, Decimal]) -> set[int]:
    loc, zone, b, k = t.location, t.zone, t.balance, t.task
    stock_zones = select(zone.c.id).where(zone.c.warehouse_id == warehouse_id, zone.c.kind.in_(STOCK_ZONE_KINDS))
    # The nearest of each rule's zone: a first rule's zone far away must still be seen before a later rule's.
    groups = {rule.target_zone_id for rule in rules}
    distance = func.abs(loc.c.x - to_units(origin[0])) + func.abs(loc.c.y - to_units(origin[1]))
    occupied = loc.c.id.in_(select(b.c.location_id).where(b.c.warehouse_id == warehouse_id, ~b.c.is_virtual,
                                                          b.c.on_hand > 0)) | loc.c.id.in_(
        select(k.c.to_location_id).where(k.c.warehouse_id == warehouse_id, k.c.status == OPEN))
    queries = []
    for group in groups:
        near = select(loc.c.id).where(loc.c.warehouse_id == warehouse_id, loc.c.virtual_kind.is_(None),
                                      loc.c.zone_id.in_(stock_zones) if group is None else loc.c.zone_id == group,
                                      loc.c.x.is_not(None), loc.c.y.is_not(None)).order_by(distance, loc.c.code)
        # The nearest of all, and the nearest empty ones (what "nearest empty" looks for in a filling warehouse).
        queries += [near.limit(NEAREST), near.where(~occupied).limit(NEAREST)]
    holding = select(b.c.location_id).where(b.c.warehouse_id == warehouse_id, b.c.sku_id == sku_id,
                                            ~b.c.is_virtual, b.c.on_hand > 0)
    planned = select(k.c.to_location_id).where(k.c.warehouse_id == warehouse_id, k.c.sku_id == sku_id,
                                               k.c.status == OPEN, k.c.to_location_id.is_not(None))
    home = select(t.sku_home.c.location_id).where(t.sku_home.c.sku_id == sku_id,
                                                  t.sku_home.c.warehouse_id == warehouse_id)
    found: set[int] = set()
    for query in (*queries, holding, planned, home):
        found |= {int(i) for i in conn.execute(query).scalars()}
    return found


def candidate(conn: Connection, warehouse_id: int, location_id: int) -> Candidate:
    """One location as the engine sees it: its limits, what is in it and what is planned into it."""
    return _candidates(conn, warehouse_id, {location_id})[0]


def _candidates(conn: Connection, warehouse_id: int, ids: set[int] | None) -> list[Candidate]:
    loc, zone = t.location, t.zone
    query = (select(loc, zone.c.kind.label("zone_kind")).outerjoin(zone, zone.c.id == loc.c.zone_id)
             .where(loc.c.warehouse_id == warehouse_id, loc.c.virtual_kind.is_(None)))
    if ids is not None:
        query = query.where(loc.c.id.in_(sorted(ids)))
    rows = conn.execute(query).all()
    used = _usage(conn, warehouse_id, ids)
    homes: dict[int, set[int]] = {}
    h = t.sku_home
    home_query = select(h.c.sku_id, h.c.location_id).where(h.c.warehouse_id == warehouse_id)
    if ids is not None:
        home_query = home_query.where(h.c.location_id.in_(sorted(ids)))
    for sku_id, location_id in conn.execute(home_query):
        homes.setdefault(location_id, set()).add(sku_id)
    empty = _Usage()
    return [_candidate(row, used.get(row.id, empty), frozenset(homes.get(row.id, ()))) for row in rows]


@dataclass
class _Usage:
    units: Decimal = Decimal(0)
    volume: Decimal = Decimal(0)
    weight: Decimal = Decimal(0)
    pallets: int = 0
    contents: frozenset[tuple[int, int, int | None]] = frozenset()


def _usage(conn: Connection, warehouse_id: int, ids: set[int] | None) -> dict[int, _Usage]:
    """Stock on hand plus open putaways per location, summed in SQL per (location, item): a location holding
    a hundred pallets of one SKU is one row, not a hundred. Volume and weight come from the SKUs."""
    b, s, k = t.balance, t.sku, t.task
    held = (select(b.c.location_id, b.c.owner_id, b.c.sku_id, b.c.lot_id,
                   func.sum(b.c.on_hand).label("quantity"), func.count(b.c.container_id.distinct()).label("pallets"))
            .where(b.c.warehouse_id == warehouse_id, ~b.c.is_virtual, b.c.on_hand > 0)
            .group_by(b.c.location_id, b.c.owner_id, b.c.sku_id, b.c.lot_id))
    planned = (select(k.c.to_location_id.label("location_id"), k.c.owner_id, k.c.sku_id, k.c.lot_id,
                      func.sum(k.c.quantity).label("quantity"),
                      func.count(k.c.from_container_id.distinct()).label("pallets"))
               .where(k.c.warehouse_id == warehouse_id, k.c.status == OPEN, k.c.to_location_id.is_not(None))
               .group_by(k.c.to_location_id, k.c.owner_id, k.c.sku_id, k.c.lot_id))
    if ids is not None:
        held = held.where(b.c.location_id.in_(sorted(ids)))
        planned = planned.where(k.c.to_location_id.in_(sorted(ids)))
    rows = [*conn.execute(held), *conn.execute(planned)]
    sizes = {r.id: r for r in conn.execute(select(s.c.id, s.c.volume, s.c.weight).where(
        s.c.id.in_(sorted({r.sku_id for r in rows}))))} if rows else {}
    usage: dict[int, _Usage] = {}
    for r in rows:
        u = usage.setdefault(r.location_id, _Usage())
        quantity = Decimal(r.quantity)
        u.units += quantity
        u.volume += quantity * (sizes[r.sku_id].volume or 0)
        u.weight += quantity * (sizes[r.sku_id].weight or 0)
        # A pallet holding several items counts once per item here: it errs on the full side.
        u.pallets += int(r.pallets)
        u.contents = u.contents | {(r.owner_id, r.sku_id, r.lot_id)}
    return usage


def _candidate(row: Any, used: _Usage, homes: frozenset[int]) -> Candidate:
    return Candidate(location_id=row.id, code=row.code, zone_id=row.zone_id, zone_kind=row.zone_kind, x=row.x,
                     y=row.y, blocked=row.status != "active" or not row.active, max_volume=row.max_volume,
                     max_weight=row.max_weight, max_units=row.max_units, max_pallets=row.max_pallets,
                     mix_skus=row.mix_skus, mix_lots=row.mix_lots, used_volume=used.volume, used_weight=used.weight,
                     used_units=used.units, used_pallets=used.pallets, contents=used.contents, home_of=homes)


def item_for(conn: Connection, *, owner_id: int, sku_id: int, lot_id: int | None, status: StockStatus,
             quantity: Decimal, receipt_type: str | None, whole_container: bool) -> PutawayItem:
    sku = conn.execute(select(t.sku).where(t.sku.c.id == sku_id)).one()
    expiry = None
    if lot_id is not None:
        expiry = conn.execute(select(t.lot.c.expiry_date).where(t.lot.c.id == lot_id)).scalar()
    return PutawayItem(owner_id=owner_id, sku_id=sku_id, lot_id=lot_id, expiry=expiry, status=status.value,
                       category=sku.category, abc_class=sku.abc_class, storage_condition=sku.storage_condition,
                       receipt_type=receipt_type, quantity=quantity, unit_volume=sku.volume, unit_weight=sku.weight,
                       pallets=1 if whole_container else 0)


def origin_of(conn: Connection, location_id: int) -> tuple[Decimal, Decimal] | None:
    row = conn.execute(select(t.location.c.x, t.location.c.y).where(t.location.c.id == location_id)).one()
    return (row.x, row.y) if row.x is not None and row.y is not None else None


def create_task(conn: Connection, warehouse: Warehouse, item: PutawayItem, *, from_location_id: int,
                from_container_id: int | None, serial: str | None, receipt_id: int | None) -> Row:
    """A putaway task with its suggestion; the target counts as planned from now on. Without any location to
    suggest the task still exists (the stock is booked on the dock) and says why none was found."""
    origin = origin_of(conn, from_location_id)
    suggestion = suggest(item, warehouse.rules, warehouse.candidates, origin=origin, today=date.today())
    if suggestion.location_id is None and warehouse.partial:
        # Nothing near will do: ask again over the whole warehouse (planned tasks are in the database by now).
        warehouse.candidates, warehouse.partial = _candidates(conn, warehouse.id, None), False
        suggestion = suggest(item, warehouse.rules, warehouse.candidates, origin=origin, today=date.today())
    if suggestion.location_id is not None:
        warehouse.plan(suggestion.location_id, item)
    now = datetime.now(UTC)
    values = {"warehouse_id": warehouse.id, "kind": KIND, "status": OPEN, "receipt_id": receipt_id,
              "owner_id": item.owner_id, "sku_id": item.sku_id, "lot_id": item.lot_id, "serial": serial,
              "stock_status": item.status, "from_location_id": from_location_id,
              "from_container_id": from_container_id, "quantity": item.quantity,
              "to_location_id": suggestion.location_id, "rule_id": suggestion.rule_id,
              "explanation": explanation(suggestion), "created_at": now, "updated_at": now}
    task_id = conn.execute(insert(t.task).values(**values).returning(t.task.c.id)).scalar_one()
    return {"id": task_id, **values}


def explanation(suggestion: Suggestion) -> Row:
    return {"location": suggestion.location_code, "rule": suggestion.rule, "reason": suggestion.reason,
            "skipped": [{"rule_id": s.rule_id, "rule": s.rule, "why": s.why} for s in suggestion.skipped]}


# ---------------------------------------------------------------- tasks


def list_tasks(db: Database, principal: Principal, *, warehouse_id: int | None = None, status: str | None = OPEN,
               receipt_id: int | None = None, limit: int = 100) -> list[Row]:
    k = t.task
    query = select(k).order_by(k.c.id).limit(limit)
    for column, value in ((k.c.warehouse_id, warehouse_id), (k.c.status, status), (k.c.receipt_id, receipt_id)):
        if value is not None:
            query = query.where(column == value)
    clause = task_scope(principal)
    if clause is not None:
        query = query.where(clause)
    return db.read(lambda conn: [dict(r._mapping) for r in conn.execute(query)])


def task_view(principal: Principal) -> View:
    """Putaway tasks in the caller's scope for the console's list: what to move, from where, the suggested
    location, and since when; open ones, the oldest first, by default (the status filter shows the others)."""
    k = t.task
    source, target = t.location.alias("source"), t.location.alias("target")
    query = (select(k.c.id, k.c.status, k.c.receipt_id, k.c.warehouse_id, t.warehouse.c.code.label("warehouse"),
                    k.c.owner_id, t.owner.c.code.label("owner"), t.sku.c.code.label("sku"),
                    t.sku.c.name.label("sku_name"), k.c.quantity, k.c.done_quantity, k.c.stock_status,
                    source.c.code.label("from_location"), target.c.code.label("to_location"), k.c.assigned_to,
                    k.c.created_at)
             .join(t.warehouse, t.warehouse.c.id == k.c.warehouse_id).join(t.owner, t.owner.c.id == k.c.owner_id)
             .join(t.sku, t.sku.c.id == k.c.sku_id).join(source, source.c.id == k.c.from_location_id)
             .outerjoin(target, target.c.id == k.c.to_location_id).where(k.c.kind == KIND))
    clause = task_scope(principal)
    if clause is not None:
        query = query.where(clause)
    return View(query, filters=("status", "warehouse", "owner", "sku", "receipt_id"),
                search=("sku", "sku_name", "from_location", "to_location"),
                sortable=("id", "status", "warehouse", "owner", "sku", "quantity", "from_location", "to_location",
                          "created_at"),
                default_sort="created_at")


def get_task(db: Database, principal: Principal, task_id: int) -> Row:
    return db.read(lambda conn: visible_task(conn, principal, task_id))


def visible_task(conn: Connection, principal: Principal, task_id: int, *, lock: bool = False) -> Row:
    query = select(t.task).where(t.task.c.id == task_id)
    clause = task_scope(principal)
    if clause is not None:
        query = query.where(clause)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(f"task {task_id} not found", field="task_id")
    return dict(row._mapping)


def task_scope(principal: Principal) -> md.Clause | None:
    """Tasks of the principal's warehouses and owners; a zone-scoped operator sees those that start or end in
    one of its zones."""
    k = t.task
    zones = None
    if principal.zone_ids is not None:
        in_zones = select(t.location.c.id).where(t.location.c.zone_id.in_(sorted(principal.zone_ids)))
        zones = k.c.from_location_id.in_(in_zones) | k.c.to_location_id.in_(in_zones)
    return md.all_of(md.within(k.c.warehouse_id, principal.warehouse_ids),
                     md.within(k.c.owner_id, principal.owner_ids), zones)


@dataclass(frozen=True)
class Confirmation:
    location_id: int | None = None
    location_code: str | None = None  # a scanned location label
    quantity: Decimal | None = None  # default: all that is left
    container_id: int | None = None  # scanned to prove the right pallet is moved
    sku_id: int | None = None  # scanned to prove the right item is moved
    override_reason: str | None = None


def confirm_putaway(db: Database, principal: Principal, task_id: int, c: Confirmation) -> Row:
    """Confirm a putaway by scan: the stock moves from the dock to the location in one posting. Another valid
    location than the suggestion is an override, recorded with its reason; part of the quantity leaves the
    rest as the same task."""
    def work(conn: Connection) -> Row:
        task = visible_task(conn, principal, task_id, lock=True)
        if task["kind"] != KIND:
            raise Conflict(f"task {task_id} is a {task['kind']} task", field="task_id", code="not_putaway")
        if task["status"] != OPEN:
            raise Conflict(f"the task is {task['status']}", field="task_id", code="task_closed")
        _check_scanned(task, c)
        quantity = _quantity(task, c.quantity)
        target = _target(conn, principal, task, c)
        overridden = target["id"] != task["to_location_id"]
        if overridden:
            _check_override(conn, task, target, quantity, c.override_reason)
        whole = task["from_container_id"] is not None and quantity == task["quantity"]
        written = _move(conn, principal, task, target["id"], quantity, keep_container=whole)
        now = advance_task(conn, task_id, quantity)
        conn.execute(insert(t.task_confirmation).values(
            task_id=task_id, posting_id=written.posting_id, quantity=quantity, to_location_id=target["id"],
            to_container_id=task["from_container_id"] if whole else None, overridden=overridden,
            override_reason=c.override_reason if overridden else None, user_name=principal.name, created_at=now))
        after = visible_task(conn, principal, task_id)
        audit.record(conn, principal, "task.confirm", "task", task_id, before=task,
                     after={**after, "posting_id": written.posting_id, "overridden": overridden})
        return {**after, "posting_id": written.posting_id, "overridden": overridden}
    return db.write(work)


def advance_task(conn: Connection, task_id: int, quantity: Decimal) -> datetime:
    """Book ``quantity`` of a task as done, in one statement: what is left shrinks, and at zero the task is done.
    Returns the time written."""
    k, now = t.task, datetime.now(UTC)
    conn.execute(update(k).where(k.c.id == task_id).values(
        quantity=k.c.quantity - quantity, done_quantity=k.c.done_quantity + quantity,
        status=case((k.c.quantity - quantity == 0, DONE), else_=OPEN), updated_at=now))
    return now


def _check_scanned(task: Row, c: Confirmation) -> None:
    if c.container_id is not None and c.container_id != task["from_container_id"]:
        raise InvalidInput("this is not the task's container", field="container_id", code="wrong_container")
    if c.sku_id is not None and c.sku_id != task["sku_id"]:
        raise InvalidInput("this is not the task's SKU", field="sku_id", code="wrong_sku")


def _quantity(task: Row, given: Decimal | None) -> Decimal:
    quantity = task["quantity"] if given is None else given
    if quantity <= 0:
        raise InvalidInput("must be greater than zero", field="quantity")
    if quantity > task["quantity"]:
        raise InvalidInput(f"the task has {task['quantity']} left", field="quantity", code="over_task")
    return Decimal(quantity)


def _target(conn: Connection, principal: Principal, task: Row, c: Confirmation) -> Row:
    if c.location_id is None and c.location_code is None:
        if task["to_location_id"] is None:
            raise InvalidInput("no location was suggested; scan one", field="location_code")
        return md.require(conn, principal, "location_id", md.LOCATION, task["to_location_id"])
    if c.location_id is not None:
        location = md.require(conn, principal, "location_id", md.LOCATION, c.location_id)
        where = "location_id"
    else:
        found = conn.execute(select(t.location.c.id).where(
            t.location.c.warehouse_id == task["warehouse_id"], t.location.c.code == c.location_code)).scalar()
        if found is None:
            raise InvalidInput(f"no location {c.location_code} here", field="location_code",
                               code="unknown_location")
        location = md.require(conn, principal, "location_code", md.LOCATION, found)
        where = "location_code"
    if location["warehouse_id"] != task["warehouse_id"] or location["virtual_kind"]:
        raise InvalidInput("put stock away to a shelf of the task's warehouse", field=where,
                           code="unknown_location")
    if location["status"] != "active":
        raise Conflict("the location is blocked", field=where, code="location_blocked")
    return location


def _check_override(conn: Connection, task: Row, target: Row, quantity: Decimal, reason: str | None) -> None:
    if not reason:
        raise InvalidInput("say why you chose another location than the suggested one", field="override_reason")
    at = candidate(conn, task["warehouse_id"], target["id"])
    status = StockStatus(task["stock_status"])
    item = item_for(conn, owner_id=task["owner_id"], sku_id=task["sku_id"], lot_id=task["lot_id"], status=status,
                    quantity=quantity, receipt_type=None,
                    whole_container=task["from_container_id"] is not None and quantity == task["quantity"])
    problem = fits(item, at)
    if problem is not None:
        raise Conflict(f"location {target['code']}: {problem}", field="location_code", code="location_unfit")


def _move(conn: Connection, principal: Principal, task: Row, to_location: int, quantity: Decimal, *,
          keep_container: bool) -> Any:
    item = StockItem(task["owner_id"], task["sku_id"], task["lot_id"], task["serial"])
    status = StockStatus(task["stock_status"])
    source = Bucket(task["from_location_id"], task["from_container_id"], status)
    target = Bucket(to_location, task["from_container_id"] if keep_container else None, status)
    return ledger.post_in(conn, PostingRequest("PUTAWAY", [Movement(item, source, target, quantity)],
                                               doc_type="task", doc_ref=str(task["id"]), user=principal.name))


def open_count(conn: Connection, receipt_id: int) -> int:
    return int(conn.execute(select(func.count()).select_from(t.task).where(
        t.task.c.receipt_id == receipt_id, t.task.c.status == OPEN)).scalar_one())
