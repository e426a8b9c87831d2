"""Replenishment (补货): rules per pick face, a run that creates replenish tasks from reserve stock (FEFO), and
their confirmation by scanning the pick face.

A run is set-based: the rules, the pick faces' stock, the open replenishments and the reserve stock of the
warehouse are each read with one query, the plan is made in ``domain/replenishment.py`` and the tasks are
written with one insert. Open replenish tasks count as coming into their pick face and as taken from their
source, so a second run while the first tasks are open creates no duplicates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.db.types import Exact
from stockyard.domain.access import Principal
from stockyard.domain.errors import Conflict, InvalidInput, NotFound
from stockyard.domain.quantity import check_quantity
from stockyard.domain.replenishment import (
    ZERO,
    FaceKey,
    Plan,
    Rule,
    Source,
    check_limits,
    confirm_quantity,
    picked_via_face,
    plan,
)
from stockyard.domain.stock import AllocationChange, Bucket, Movement, PostingRequest, StockItem, StockStatus
from stockyard.services import audit, ledger, putaway
from stockyard.services import masterdata as md

Row = dict[str, Any]
KIND = "replenish"
OPEN = putaway.OPEN
DONE = putaway.DONE
AVAILABLE = StockStatus.AVAILABLE.value


# ---------------------------------------------------------------- rules


def list_rules(db: Database, principal: Principal, warehouse_id: int) -> list[Row]:
    def work(conn: Connection) -> list[Row]:
        md.get_in(conn, md.WAREHOUSE, warehouse_id, principal)
        r = t.replenishment_rule
        query = select(r).where(r.c.warehouse_id == warehouse_id).order_by(r.c.id)
        clause = _rule_scope(principal)
        if clause is not None:
            query = query.where(clause)
        return [dict(x._mapping) for x in conn.execute(query)]
    return db.read(work)


def create_rule(db: Database, principal: Principal, warehouse_id: int, values: Mapping[str, Any]) -> Row:
    """A pick face's rule: top the owner's SKU up to ``max_quantity`` once it falls to ``min_quantity``."""
    def work(conn: Connection) -> Row:
        md.get_in(conn, md.WAREHOUSE, warehouse_id, principal)
        location = md.require(conn, principal, "location_id", md.LOCATION, values["location_id"])
        if location["warehouse_id"] != warehouse_id or location["virtual_kind"]:
            raise InvalidInput("the pick face must be a physical location of this warehouse", field="location_id",
                               code="unknown_location")
        md.require(conn, principal, "owner_id", md.OWNER, values["owner_id"])
        sku = md.require(conn, principal, "sku_id", md.SKU, values["sku_id"])
        if sku["owner_id"] != values["owner_id"]:
            raise InvalidInput("the SKU is not the owner's", field="sku_id", code="unknown_sku")
        _check_limits(values["min_quantity"], values["max_quantity"], sku["decimals"])
        r = t.replenishment_rule
        taken = conn.execute(select(r.c.id).where(r.c.location_id == values["location_id"],
                                                  r.c.sku_id == values["sku_id"])).first()
        if taken is not None:
            raise Conflict("the location already has a rule for this SKU", field="sku_id", code="duplicate")
        now = datetime.now(UTC)
        rule_id = conn.execute(insert(r).values(
            warehouse_id=warehouse_id, location_id=values["location_id"], owner_id=values["owner_id"],
            sku_id=values["sku_id"], min_quantity=values["min_quantity"], max_quantity=values["max_quantity"],
            active=values.get("active", True), created_at=now, updated_at=now).returning(r.c.id)).scalar_one()
        row = _rule(conn, principal, rule_id)
        audit.record(conn, principal, "replenishment_rule.create", "replenishment_rule", rule_id, after=row)
        return row
    return db.write(work)


def update_rule(db: Database, principal: Principal, rule_id: int, values: Mapping[str, Any]) -> Row:
    """Change a rule's limits or switch it on or off."""
    def work(conn: Connection) -> Row:
        before = _rule(conn, principal, rule_id, lock=True)
        for name in ("min_quantity", "max_quantity", "active"):
            if name in values and values[name] is None:
                raise InvalidInput("cannot be null", field=name, code="null_not_allowed")
        merged = {**before, **values}
        if "min_quantity" in values or "max_quantity" in values:
            decimals = conn.execute(select(t.sku.c.decimals).where(t.sku.c.id == before["sku_id"])).scalar_one()
            _check_limits(merged["min_quantity"], merged["max_quantity"], decimals)
        if values:
            conn.execute(update(t.replenishment_rule).where(t.replenishment_rule.c.id == rule_id)
                         .values(**values, updated_at=datetime.now(UTC)))
        after = _rule(conn, principal, rule_id)
        audit.record(conn, principal, "replenishment_rule.update", "replenishment_rule", rule_id, before=before,
                     after=after)
        return after
    return db.write(work)


def _check_limits(min_quantity: Decimal, max_quantity: Decimal, decimals: int) -> None:
    check_quantity(min_quantity, decimals=decimals, field="min_quantity", allow_zero=True)
    check_quantity(max_quantity, decimals=decimals, field="max_quantity")
    check_limits(min_quantity, max_quantity)


def _rule(conn: Connection, principal: Principal, rule_id: int, *, lock: bool = False) -> Row:
    r = t.replenishment_rule
    query = select(r).where(r.c.id == rule_id)
    clause = _rule_scope(principal)
    if clause is not None:
        query = query.where(clause)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound(f"replenishment rule {rule_id} not found", field="rule_id")
    return dict(row._mapping)


def _rule_scope(principal: Principal) -> md.Clause | None:
    """Rules of the principal's warehouses and owners; a zone-scoped operator sees those of its zones' faces."""
    r = t.replenishment_rule
    zones = None
    if principal.zone_ids is not None:
        zones = r.c.location_id.in_(select(t.location.c.id).where(
            t.location.c.zone_id.in_(sorted(principal.zone_ids))))
    return md.all_of(md.within(r.c.warehouse_id, principal.warehouse_ids),
                     md.within(r.c.owner_id, principal.owner_ids), zones)


# ---------------------------------------------------------------- the run


def run(db: Database, principal: Principal, warehouse_id: int, *, today: date | None = None) -> list[Row]:
    """Create the replenish tasks the warehouse's active rules call for; an empty list when none is due."""
    def work(conn: Connection) -> list[Row]:
        md.get_in(conn, md.WAREHOUSE, warehouse_id, principal)
        return run_in(conn, principal, warehouse_id, today=today)
    return db.write(work)


def run_in(conn: Connection, principal: Principal, warehouse_id: int, *, today: date | None = None,
           sku_ids: set[int] | None = None, after_demand: bool = False) -> list[Row]:
    """The run inside the caller's transaction. A released wave calls it for its SKUs with ``after_demand``: a
    pick face's level is then what stays once the wave's picks are taken (on hand less allocated), so the faces
    the wave drains are topped up at once."""
    rules = [r for r in _active_rules(conn, principal, warehouse_id) if sku_ids is None or r.sku_id in sku_ids]
    plans: list[Plan] = []
    if rules:
        skus = sorted({r.sku_id for r in rules})
        incoming, taken = _open_tasks(conn, warehouse_id, skus)
        levels = _levels(conn, warehouse_id, rules, after_demand)
        sources = _sources(conn, warehouse_id, skus, taken, today or date.today())
        plans = [p for p in plan(rules, levels, incoming, sources) if p.picks]
    tasks: list[Row] = []
    if plans:
        now = datetime.now(UTC)
        values = [_task_values(warehouse_id, p, pick.source, pick.quantity, now)
                  for p in plans for pick in p.picks]
        k = t.task
        ids = [int(i) for i in conn.execute(insert(k).returning(k.c.id, sort_by_parameter_order=True),
                                            values).scalars()]
        tasks = [dict(x._mapping) for x in conn.execute(select(k).where(k.c.id.in_(ids)).order_by(k.c.id))]
    if sku_ids is None or tasks:
        # A run by hand is recorded even when empty: it says someone looked and nothing was due.
        audit.record(conn, principal, "replenishment.run", "warehouse", warehouse_id,
                     after={"task_ids": [task["id"] for task in tasks], "rule_ids": sorted({p.rule.id for p in plans}),
                            **({"trigger": "wave demand"} if after_demand else {})})
    return tasks


def _active_rules(conn: Connection, principal: Principal, warehouse_id: int) -> list[Rule]:
    """The warehouse's active rules whose pick face can take stock, locked so two runs do not plan twice."""
    r, loc = t.replenishment_rule, t.location
    query = (select(r, loc.c.code).join(loc, loc.c.id == r.c.location_id)
             .where(r.c.warehouse_id == warehouse_id, r.c.active, loc.c.active, loc.c.status == "active")
             .order_by(r.c.id))
    clause = _rule_scope(principal)
    if clause is not None:
        query = query.where(clause)
    return [Rule(id=x.id, location_id=x.location_id, location_code=x.code, owner_id=x.owner_id, sku_id=x.sku_id,
                 min_quantity=x.min_quantity, max_quantity=x.max_quantity)
            for x in conn.execute(query.with_for_update(of=r))]


def _open_tasks(conn: Connection, warehouse_id: int, skus: list[int]) -> tuple[
        dict[FaceKey, Decimal], dict[tuple[int, int, int, int | None, int | None, str | None], Decimal]]:
    """Open replenishments: what each pick face is about to receive and what each source bucket gives."""
    k = t.task
    rows = conn.execute(select(k.c.from_location_id, k.c.to_location_id, k.c.owner_id, k.c.sku_id,
                               k.c.from_container_id, k.c.lot_id, k.c.serial, k.c.quantity).where(
        k.c.warehouse_id == warehouse_id, k.c.kind == KIND, k.c.status == OPEN, k.c.sku_id.in_(skus),
        # Those feeding a wave's picks carry reserved stock: neither free at the source nor a face's level.
        k.c.allocation_id.is_(None)))
    incoming: dict[FaceKey, Decimal] = {}
    taken: dict[tuple[int, int, int, int | None, int | None, str | None], Decimal] = {}
    for x in rows:
        face = (x.to_location_id, x.owner_id, x.sku_id)
        incoming[face] = incoming.get(face, ZERO) + x.quantity
        bucket = (x.from_location_id, x.owner_id, x.sku_id, x.from_container_id, x.lot_id, x.serial)
        taken[bucket] = taken.get(bucket, ZERO) + x.quantity
    return incoming, taken


def _levels(conn: Connection, warehouse_id: int, rules: list[Rule], after_demand: bool) -> dict[FaceKey, Decimal]:
    """Available stock on hand in the pick faces (less what is allocated, ``after_demand``), per face, owner and
    SKU."""
    b = t.balance
    wanted = {(r.location_id, r.owner_id, r.sku_id) for r in rules}
    level = func.sum(b.c.on_hand - b.c.allocated, type_=Exact) if after_demand else func.sum(b.c.on_hand)
    rows = conn.execute(select(b.c.location_id, b.c.owner_id, b.c.sku_id, level).where(
        b.c.warehouse_id == warehouse_id, b.c.location_id.in_(sorted({r.location_id for r in rules})),
        b.c.sku_id.in_(sorted({r.sku_id for r in rules})), b.c.status == AVAILABLE, b.c.on_hand > 0)
        .group_by(b.c.location_id, b.c.owner_id, b.c.sku_id))
    return {(x[0], x[1], x[2]): x[3] for x in rows if (x[0], x[1], x[2]) in wanted}


def _sources(conn: Connection, warehouse_id: int, skus: list[int],
             taken: Mapping[tuple[int, int, int, int | None, int | None, str | None], Decimal],
             today: date) -> list[Source]:
    """Reserve: available, unallocated stock of the SKUs on active physical shelves, expired lots left out,
    less what open replenishments already take from each bucket."""
    b, loc, lot = t.balance, t.location, t.lot
    rows = conn.execute(
        select(b.c.location_id, loc.c.code, b.c.owner_id, b.c.sku_id, b.c.container_id, b.c.lot_id, b.c.serial,
               b.c.on_hand, b.c.allocated, lot.c.number, lot.c.expiry_date)
        .join(loc, loc.c.id == b.c.location_id).outerjoin(lot, lot.c.id == b.c.lot_id)
        .where(b.c.warehouse_id == warehouse_id, b.c.sku_id.in_(skus), ~b.c.is_virtual, b.c.status == AVAILABLE,
               b.c.on_hand > b.c.allocated, loc.c.virtual_kind.is_(None), loc.c.active, loc.c.status == "active",
               (lot.c.id.is_(None)) | (lot.c.active & ((lot.c.expiry_date.is_(None)) | (lot.c.expiry_date >= today))))
    )
    sources = []
    for x in rows:
        bucket = (x.location_id, x.owner_id, x.sku_id, x.container_id, x.lot_id, x.serial)
        available = x.on_hand - x.allocated - taken.get(bucket, ZERO)
        if available > 0:
            sources.append(Source(location_id=x.location_id, location_code=x.code, owner_id=x.owner_id,
                                  sku_id=x.sku_id, container_id=x.container_id, lot_id=x.lot_id,
                                  lot_number=x.number, expiry=x.expiry_date, serial=x.serial, available=available))
    return sources


def _task_values(warehouse_id: int, p: Plan, source: Source, quantity: Decimal, now: datetime) -> Row:
    return {"warehouse_id": warehouse_id, "kind": KIND, "status": OPEN, "receipt_id": None,
            "owner_id": p.rule.owner_id, "sku_id": p.rule.sku_id, "lot_id": source.lot_id, "serial": source.serial,
            "stock_status": AVAILABLE, "from_location_id": source.location_id,
            "from_container_id": source.container_id, "quantity": quantity, "to_location_id": p.rule.location_id,
            "rule_id": None, "explanation": explanation(p, source), "created_at": now, "updated_at": now}


def explanation(p: Plan, source: Source) -> Row:
    """Why this task: the rule, the face's level against its limits, and why this source (FEFO)."""
    if source.lot_id is None:
        why = "stock without a lot, after all lots"
    elif source.expiry is None:
        why = f"lot {source.lot_number} has no expiry: after the lots that expire"
    else:
        why = f"lot {source.lot_number} expires {source.expiry.isoformat()}: earliest first (FEFO)"
    result: Row = {
        "replenishment_rule_id": p.rule.id, "pick_face": p.rule.location_code,
        "min_quantity": str(p.rule.min_quantity), "max_quantity": str(p.rule.max_quantity),
        "on_hand": str(p.level), "incoming": str(p.incoming), "need": str(p.need),
        "source": source.location_code, "reason": why, "short": str(p.short)}
    if p.short > 0:
        result["note"] = (f"reserve holds only {p.need - p.short} of the {p.need} needed to reach "
                          f"{p.rule.max_quantity}; {p.short} short")
    return result


# ---------------------------------------------------------------- confirmation


@dataclass(frozen=True)
class Confirmation:
    quantity: Decimal | None = None  # default: all that is left
    location_code: str | None = None  # the scanned pick face label


# ---------------------------------------------------------------- replenishment before picking


@dataclass(frozen=True)
class ViaFace:
    """An allocation that is picked from the pick face once ``task_id`` brings it there."""

    face_location_id: int
    task_id: int


def bring_to_faces(conn: Connection, warehouse_id: int, wave_id: int, allocations: Sequence[Any]) -> dict[int, ViaFace]:
    """For a released wave: each allocation of eaches on a reserve location whose SKU has a pick face (an active
    replenishment rule) gets a replenishment task carrying exactly that reserved stock to the face; its pick
    then waits for that task. ``allocations``: shipment_allocation rows with ``order_id`` and location ``kind``."""
    r, loc, pack = t.replenishment_rule, t.location, t.sku_pack
    skus = sorted({a.sku_id for a in allocations})
    if not skus:
        return {}
    faces = {(x.owner_id, x.sku_id): x.location_id for x in conn.execute(
        select(r.c.owner_id, r.c.sku_id, r.c.location_id).join(loc, loc.c.id == r.c.location_id)
        .where(r.c.warehouse_id == warehouse_id, r.c.active, loc.c.active, loc.c.status == "active",
               r.c.sku_id.in_(skus)).order_by(r.c.location_id.desc()))}
    cases = {x.sku_id: x.factor for x in conn.execute(
        select(pack.c.sku_id, pack.c.factor).where(pack.c.sku_id.in_(skus), pack.c.level == "case"))}
    chosen = [(a, faces[(a.owner_id, a.sku_id)]) for a in allocations
              if (a.owner_id, a.sku_id) in faces and a.kind != "pick_face" and a.location_id != faces[
                  (a.owner_id, a.sku_id)] and picked_via_face(a.quantity, cases.get(a.sku_id))]
    if not chosen:
        return {}
    now = datetime.now(UTC)
    k = t.task
    ids = conn.execute(insert(k).returning(k.c.id, sort_by_parameter_order=True), [{
        "warehouse_id": warehouse_id, "kind": KIND, "status": OPEN, "owner_id": a.owner_id, "sku_id": a.sku_id,
        "lot_id": a.lot_id, "serial": a.serial, "stock_status": AVAILABLE, "from_location_id": a.location_id,
        "from_container_id": a.container_id, "quantity": a.quantity, "to_location_id": face, "order_id": a.order_id,
        "allocation_id": a.id, "explanation": {"reason": f"wave {wave_id}: eaches are picked from the pick face; "
                                                         "this reserved stock goes there first"},
        "created_at": now, "updated_at": now} for a, face in chosen]).scalars().all()
    return {a.id: ViaFace(face, int(task_id)) for (a, face), task_id in zip(chosen, ids, strict=True)}


def confirm(db: Database, principal: Principal, task_id: int, c: Confirmation) -> Row:
    """Confirm a replenishment: one posting from the source bucket to the pick face; part of it leaves the rest
    open. Refused for other kinds of task, closed tasks, a scan of another location, or a source that no longer
    holds the stock (the ledger's 409)."""
    def work(conn: Connection) -> Row:
        task = putaway.visible_task(conn, principal, task_id, lock=True)
        if task["kind"] != KIND:
            raise Conflict(f"task {task_id} is a {task['kind']} task, not a replenishment", field="task_id",
                           code="not_replenishment")
        if task["status"] != OPEN:
            raise Conflict(f"the task is {task['status']}", field="task_id", code="task_closed")
        if c.location_code is not None:
            face = conn.execute(select(t.location.c.code).where(t.location.c.id == task["to_location_id"])).scalar()
            if c.location_code != face:
                raise InvalidInput(f"this is not the pick face {face}", field="location_code",
                                   code="wrong_location")
        quantity = confirm_quantity(task["quantity"], c.quantity)
        item = StockItem(task["owner_id"], task["sku_id"], task["lot_id"], task["serial"])
        source = Bucket(task["from_location_id"], task["from_container_id"], StockStatus.AVAILABLE)
        face = Bucket(task["to_location_id"], None, StockStatus.AVAILABLE)
        written = ledger.post_in(conn, PostingRequest(
            "REPLENISH", [Movement(item, source, face, quantity)], _carried_reservation(conn, task, quantity),
            doc_type="task", doc_ref=str(task_id), user=principal.name))
        now = putaway.advance_task(conn, task_id, quantity)
        conn.execute(insert(t.task_confirmation).values(
            task_id=task_id, posting_id=written.posting_id, quantity=quantity, to_location_id=task["to_location_id"],
            to_container_id=None, overridden=False, override_reason=None, user_name=principal.name, created_at=now))
        after = putaway.visible_task(conn, principal, task_id)
        result = {**after, "posting_id": written.posting_id}
        audit.record(conn, principal, "task.replenish", "task", task_id, before=task, after=result)
        return result
    return db.write(work)


def _carried_reservation(conn: Connection, task: Row, quantity: Decimal) -> list[AllocationChange]:
    """A replenishment for a wave's picks carries the order's reservation with the stock: all of it at once."""
    if task["allocation_id"] is None:
        return []
    if quantity != task["quantity"]:
        raise InvalidInput(f"this replenishment feeds picks: move all {task['quantity']}", field="quantity",
                           code="partial_not_allowed")
    item = StockItem(task["owner_id"], task["sku_id"], task["lot_id"], task["serial"])
    a = t.shipment_allocation
    conn.execute(update(a).where(a.c.id == task["allocation_id"])
                 .values(location_id=task["to_location_id"], container_id=None))
    return [AllocationChange(item, Bucket(task["from_location_id"], task["from_container_id"], StockStatus.AVAILABLE),
                             -quantity),
            AllocationChange(item, Bucket(task["to_location_id"], None, StockStatus.AVAILABLE), quantity)]
