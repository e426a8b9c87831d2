"""Kits (组合品) and processing work orders (加工).

A kit's definition is its list of components (``kit_component``). A work order is carried out when it is created:
one posting takes what it consumes from the location into the warehouse's production location and brings what it
produces from there back into the location, so each SKU's book balances and the production location shows what
was turned into what. Nothing edits a balance; rules are in ``domain.kitting``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from stockyard.db import ledger as repo
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import Principal
from stockyard.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from stockyard.domain.kitting import (
    Component,
    Need,
    StockSource,
    WorkOrderKind,
    check_components,
    component_needs,
    fefo_split,
    find_cycle,
)
from stockyard.domain.quantity import check_quantity
from stockyard.domain.stock import Bucket, Movement, PostingRequest, SkuFacts, StockItem, StockStatus, VirtualKind
from stockyard.services import audit, ledger
from stockyard.services import masterdata as md
from stockyard.services.stock import StockLine, resolve_lots

Row = dict[str, Any]


# ---------------------------------------------------------------- kit definitions


def get_components(db: Database, principal: Principal, kit_sku_id: int) -> Row:
    """A SKU's components (an empty list: it is not a kit); 404 for a SKU outside the principal's scope."""
    def work(conn: Connection) -> Row:
        md.get_in(conn, md.SKU, kit_sku_id, principal)
        return {"kit_sku_id": kit_sku_id, "components": _components(conn, kit_sku_id)}
    return db.read(work)


def set_components(db: Database, principal: Principal, kit_sku_id: int, components: Sequence[Component]) -> Row:
    """Replace a kit's component list: SKUs of the kit's owner, never the kit itself nor a kit that (however
    deeply) contains it, each once with a quantity its base unit can count. An empty list unmakes the kit."""
    def work(conn: Connection) -> Row:
        kit = md.get_in(conn, md.SKU, kit_sku_id, principal)
        # Kit definitions of one owner change one at a time: two changes made side by side could each pass the
        # cycle check and close a cycle together. (Every component is the kit owner's, so every cycle is one
        # owner's.) FOR NO KEY UPDATE does not hold up rows that merely refer to the owner.
        conn.execute(select(t.owner.c.id).where(t.owner.c.id == kit["owner_id"]).with_for_update(key_share=True))
        wanted = {c.sku_id for c in components}
        visible = md.visible_ids(conn, md.SKU, principal, wanted)
        checked = check_components(_facts(kit), components, _sku_facts(conn, visible))
        cycle = find_cycle(kit_sku_id, [c.sku_id for c in checked], _contents(conn, [c.sku_id for c in checked]))
        if cycle is not None:
            index = next(i for i, c in enumerate(checked) if c.sku_id == cycle[1])
            codes = _codes(conn, cycle)
            raise InvalidInput("the kit would contain itself: " + " > ".join(codes[i] for i in cycle),
                               field=f"components[{index}].component_sku_id", code="kit_cycle",
                               details={"path": cycle})
        before = _components(conn, kit_sku_id)
        conn.execute(t.kit_component.delete().where(t.kit_component.c.kit_sku_id == kit_sku_id))
        if checked:
            conn.execute(insert(t.kit_component), [{"kit_sku_id": kit_sku_id, "component_sku_id": c.sku_id,
                                                    "quantity": c.quantity} for c in checked])
        after = {"kit_sku_id": kit_sku_id, "components": _components(conn, kit_sku_id)}
        audit.record(conn, principal, "sku.set_components", "sku", kit_sku_id,
                     before={"kit_sku_id": kit_sku_id, "components": before}, after=after)
        return after
    return db.write(work)


def _components(conn: Connection, kit_sku_id: int) -> list[Row]:
    k, s = t.kit_component, t.sku
    rows = conn.execute(select(k.c.component_sku_id, s.c.code, s.c.name, s.c.base_uom, k.c.quantity)
                        .join(s, s.c.id == k.c.component_sku_id)
                        .where(k.c.kit_sku_id == kit_sku_id).order_by(s.c.code, s.c.id))
    return [dict(r._mapping) for r in rows]


def _contents(conn: Connection, start: Iterable[int]) -> dict[int, list[int]]:
    """The components of every kit reachable from ``start``, read level by level (one query per level)."""
    contents: dict[int, list[int]] = {}
    seen: set[int] = set()
    frontier = set(start)
    while frontier:
        seen |= frontier
        rows = conn.execute(select(t.kit_component.c.kit_sku_id, t.kit_component.c.component_sku_id)
                            .where(t.kit_component.c.kit_sku_id.in_(sorted(frontier))))
        found: set[int] = set()
        for r in rows:
            contents.setdefault(r.kit_sku_id, []).append(r.component_sku_id)
            found.add(r.component_sku_id)
        frontier = found - seen
    return contents


def _codes(conn: Connection, sku_ids: Iterable[int]) -> dict[int, str]:
    return {r.id: r.code for r in conn.execute(select(t.sku.c.id, t.sku.c.code).where(
        t.sku.c.id.in_(sorted(set(sku_ids)))))}


def _facts(row: Mapping[str, Any]) -> SkuFacts:
    return SkuFacts(row["id"], row["owner_id"], row["active"], row["decimals"], row["lot_control"],
                    row["expiry_control"], row["serial_control"])


def _sku_facts(conn: Connection, ids: Iterable[int]) -> dict[int, SkuFacts]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {r.id: _facts(dict(r._mapping)) for r in conn.execute(select(t.sku).where(t.sku.c.id.in_(wanted)))}


# ---------------------------------------------------------------- work orders


@dataclass(frozen=True)
class WorkOrder:
    """Assemble or disassemble ``quantity`` kits (kit base units) at a physical location.

    ``kit_lot`` / ``kit_expiry_date``: the lot the assembled kits get (required for a lot- or expiry-controlled
    kit); when disassembling, ``kit_lot`` limits the kits taken to that lot. ``component_lots`` (SKU id → lot
    number): the lots the components of a disassembly get, required for lot- or expiry-controlled ones."""

    kind: WorkOrderKind
    kit_sku_id: int
    quantity: Decimal
    location_id: int
    kit_lot: str | None = None
    kit_expiry_date: date | None = None
    component_lots: Mapping[int, str] = field(default_factory=dict)


def run_work_order(db: Database, principal: Principal, w: WorkOrder) -> Row:
    """Create a work order and carry it out in one transaction: one posting through the production location,
    consuming FEFO from the location's available stock and producing into the location."""
    def work(conn: Connection) -> Row:
        kit = md.require(conn, principal, "kit_sku_id", md.SKU, w.kit_sku_id)
        location = md.require(conn, principal, "location_id", md.LOCATION, w.location_id)
        if location["virtual_kind"]:
            raise InvalidInput("work orders take from and put into a physical location", field="location_id",
                               code="unknown_location")
        if location["status"] != "active":
            raise Conflict("the location is blocked", field="location_id", code="location_blocked")
        quantity = check_quantity(w.quantity, decimals=kit["decimals"], field="quantity")
        components = [Component(r.component_sku_id, r.quantity) for r in conn.execute(
            select(t.kit_component).where(t.kit_component.c.kit_sku_id == kit["id"])
            .order_by(t.kit_component.c.component_sku_id))]
        if not components:
            raise InvalidInput(f"SKU {kit['code']} is not a kit: it has no components", field="kit_sku_id",
                               code="not_a_kit")
        skus = _sku_facts(conn, [c.sku_id for c in components])
        codes = _codes(conn, [kit["id"], *skus])
        _check_supported(kit, skus, codes)
        needs = component_needs(components, skus, quantity)
        now = datetime.now(UTC)
        order_id = conn.execute(insert(t.work_order).values(
            warehouse_id=location["warehouse_id"], owner_id=kit["owner_id"], kind=w.kind.value,
            kit_sku_id=kit["id"], quantity=quantity, location_id=location["id"], status="created",
            created_by=principal.name, created_at=now).returning(t.work_order.c.id)).scalar_one()
        production = repo.virtual_location_id(conn, location["warehouse_id"], VirtualKind.PRODUCTION)
        if w.kind is WorkOrderKind.ASSEMBLE:
            movements = _assembly(conn, w, kit, quantity, needs, codes, location["id"], production)
        else:
            movements = _disassembly(conn, w, kit, quantity, needs, skus, codes, location["id"], production)
        written = ledger.post_in(conn, PostingRequest(w.kind.value.upper(), movements, doc_type="work_order",
                                                      doc_ref=str(order_id), user=principal.name))
        conn.execute(update(t.work_order).where(t.work_order.c.id == order_id).values(
            status="done", posting_id=written.posting_id, done_at=datetime.now(UTC)))
        result = _work_order_out(conn, _work_order_row(conn, order_id))
        audit.record(conn, principal, f"work_order.{w.kind.value}", "work_order", order_id, after=result)
        return result
    return db.write(work)


def _check_supported(kit: Row, skus: Mapping[int, SkuFacts], codes: Mapping[int, str]) -> None:
    if kit["serial_control"]:
        raise InvalidInput("serial-controlled kits are not supported yet", field="kit_sku_id",
                           code="serial_not_supported")
    for sku in skus.values():
        if sku.serial_control:
            raise InvalidInput(f"component {codes[sku.id]} is serial-controlled: not supported yet",
                               field="kit_sku_id", code="serial_not_supported", details={"sku_id": sku.id})
        if not sku.active:
            raise InvalidInput(f"component {codes[sku.id]} is inactive", field="kit_sku_id", code="inactive_sku",
                               details={"sku_id": sku.id})


def _assembly(conn: Connection, w: WorkOrder, kit: Row, quantity: Decimal, needs: Sequence[Need],
              codes: Mapping[int, str], here: int, production: int) -> list[Movement]:
    if w.component_lots:
        raise InvalidInput("component lots are given only to disassemble; assembly takes lots FEFO",
                           field="component_lots")
    owner = kit["owner_id"]
    movements = [m for need in needs for m in _take(conn, owner, need.sku_id, need.quantity, here, production,
                                                    f"component {codes[need.sku_id]}")]
    lot_id = _kit_lot(conn, w, kit, quantity, here)
    movements.append(Movement(StockItem(owner, kit["id"], lot_id), Bucket(production),
                              Bucket(here, None, StockStatus.AVAILABLE), quantity))
    return movements


def _disassembly(conn: Connection, w: WorkOrder, kit: Row, quantity: Decimal, needs: Sequence[Need],
                 skus: Mapping[int, SkuFacts], codes: Mapping[int, str], here: int,
                 production: int) -> list[Movement]:
    if w.kit_expiry_date is not None:
        raise InvalidInput("an expiry date is given only to assemble", field="kit_expiry_date")
    only_lot = None
    if w.kit_lot is not None:
        only_lot = conn.execute(select(t.lot.c.id).where(t.lot.c.sku_id == kit["id"],
                                                         t.lot.c.number == w.kit_lot)).scalar()
        if only_lot is None:
            raise InvalidInput(f"kit {kit['code']} has no lot {w.kit_lot}", field="kit_lot", code="unknown_lot")
    owner = kit["owner_id"]
    movements = _take(conn, owner, kit["id"], quantity, here, production, f"kit {kit['code']}", only_lot)
    lots = _component_lots(conn, w, needs, skus, codes, owner, here)
    movements += [Movement(StockItem(owner, need.sku_id, lots.get(need.sku_id)), Bucket(production),
                           Bucket(here, None, StockStatus.AVAILABLE), need.quantity) for need in needs]
    return movements


def _take(conn: Connection, owner_id: int, sku_id: int, needed: Decimal, here: int, production: int, label: str,
          lot_id: int | None = None) -> list[Movement]:
    """Movements taking ``needed`` of a SKU's available stock at the location, FEFO across lots and balances
    (containers included), into production. Read without a lock: the ledger's conditional update still refuses
    to take more than a bucket has if another posting got there first."""
    b = t.balance
    query = (select(b.c.key, b.c.lot_id, b.c.container_id, b.c.on_hand, b.c.allocated, t.lot.c.expiry_date)
             .outerjoin(t.lot, t.lot.c.id == b.c.lot_id)
             .where(b.c.location_id == here, b.c.owner_id == owner_id, b.c.sku_id == sku_id, ~b.c.is_virtual,
                    b.c.status == StockStatus.AVAILABLE.value, b.c.serial.is_(None), b.c.on_hand > b.c.allocated))
    if lot_id is not None:
        query = query.where(b.c.lot_id == lot_id)
    sources = [StockSource(r.key, r.lot_id, r.expiry_date, r.container_id, r.on_hand - r.allocated)
               for r in conn.execute(query)]
    picks = fefo_split(needed, sources, sku_id=sku_id, label=label)
    return [Movement(StockItem(owner_id, sku_id, source.lot_id),
                     Bucket(here, source.container_id, StockStatus.AVAILABLE), Bucket(production), taken)
            for source, taken in picks]


def _kit_lot(conn: Connection, w: WorkOrder, kit: Row, quantity: Decimal, here: int) -> int | None:
    """The lot the assembled kits get: the one named (created when new), or none for a kit without lots."""
    if w.kit_lot is None and w.kit_expiry_date is None:
        if kit["lot_control"]:
            raise InvalidInput("is required to assemble this lot-controlled kit", field="kit_lot",
                               code="lot_required")
        if kit["expiry_control"]:
            raise InvalidInput("is required to assemble this expiry-controlled kit", field="kit_expiry_date",
                               code="expiry_required")
        return None
    line = StockLine(owner_id=kit["owner_id"], sku_id=kit["id"], location_id=here, quantity=quantity,
                     lot_number=w.kit_lot, expiry_date=w.kit_expiry_date)
    lot_id = _resolve(conn, [line], ["kit_lot"])[0]
    if kit["expiry_control"] and _expiry(conn, lot_id) is None:
        raise InvalidInput(f"lot {w.kit_lot} has no expiry date: give kit_expiry_date", field="kit_expiry_date",
                           code="expiry_required")
    return lot_id


def _component_lots(conn: Connection, w: WorkOrder, needs: Sequence[Need], skus: Mapping[int, SkuFacts],
                    codes: Mapping[int, str], owner_id: int, here: int) -> dict[int, int | None]:
    """The lots disassembled components get: those named in ``component_lots`` (created when new); a lot- or
    expiry-controlled component must be named, and an expiry-controlled one's lot must carry an expiry date."""
    quantities = {need.sku_id: need.quantity for need in needs}
    for sku_id in w.component_lots:
        if sku_id not in quantities:
            raise InvalidInput(f"SKU {sku_id} is not a component of the kit", field=f"component_lots.{sku_id}",
                               code="not_a_component")
    for need in needs:
        sku = skus[need.sku_id]
        if (sku.lot_control or sku.expiry_control) and need.sku_id not in w.component_lots:
            raise InvalidInput(f"component {codes[sku.id]} is lot-controlled: give its lot in component_lots",
                               field=f"component_lots.{sku.id}", code="lot_required", details={"sku_id": sku.id})
    named = sorted(w.component_lots.items())
    lines = [StockLine(owner_id=owner_id, sku_id=sku_id, location_id=here, quantity=quantities[sku_id],
                       lot_number=number) for sku_id, number in named]
    ids = _resolve(conn, lines, [f"component_lots.{sku_id}" for sku_id, _ in named])
    lots = {sku_id: lot_id for (sku_id, _), lot_id in zip(named, ids, strict=True)}
    for sku_id, lot_id in lots.items():
        if skus[sku_id].expiry_control and _expiry(conn, lot_id) is None:
            raise InvalidInput(f"component {codes[sku_id]} is expiry-controlled: name an existing lot of it that "
                               "has an expiry date", field=f"component_lots.{sku_id}", code="expiry_required")
    return lots


def _resolve(conn: Connection, lines: Sequence[StockLine], fields: Sequence[str]) -> list[int | None]:
    """``resolve_lots`` with its errors named after the request's fields instead of ``lines[i]``."""
    try:
        return resolve_lots(conn, lines)
    except DomainError as error:
        for index, name in enumerate(fields):
            if error.field and error.field.startswith(f"lines[{index}]"):
                error.field = "kit_expiry_date" if name == "kit_lot" and "date" in error.field else name
                break
        raise


def _expiry(conn: Connection, lot_id: int | None) -> date | None:
    if lot_id is None:
        return None
    expiry: date | None = conn.execute(select(t.lot.c.expiry_date).where(t.lot.c.id == lot_id)).scalar()
    return expiry


# ---------------------------------------------------------------- reading work orders


def get_work_order(db: Database, principal: Principal, work_order_id: int) -> Row:
    """One work order with what it consumed and produced; 404 outside the principal's warehouses and owners."""
    def work(conn: Connection) -> Row:
        row = conn.execute(select(t.work_order).where(t.work_order.c.id == work_order_id)).first()
        if row is None or not principal.scope.allows_warehouse(row.warehouse_id) or \
                not principal.scope.allows_owner(row.owner_id):
            raise NotFound(f"work order {work_order_id} not found", field="work_order_id")
        return _work_order_out(conn, dict(row._mapping))
    return db.read(work)


def list_work_orders(db: Database, principal: Principal, *, warehouse_id: int | None = None,
                     owner_id: int | None = None, kit_sku_id: int | None = None, kind: WorkOrderKind | None = None,
                     cursor: int | None = None, limit: int = 100) -> tuple[list[Row], int | None]:
    """Work orders of the principal's warehouses and owners, newest first (without their lines)."""
    w = t.work_order
    query = select(w).order_by(w.c.id.desc()).limit(limit + 1)
    for column, value in ((w.c.warehouse_id, warehouse_id), (w.c.owner_id, owner_id),
                          (w.c.kit_sku_id, kit_sku_id), (w.c.kind, None if kind is None else kind.value)):
        if value is not None:
            query = query.where(column == value)
    clause = md.all_of(md.within(w.c.warehouse_id, principal.warehouse_ids),
                       md.within(w.c.owner_id, principal.owner_ids))
    if clause is not None:
        query = query.where(clause)
    if cursor is not None:
        query = query.where(w.c.id < cursor)
    rows = db.read(lambda conn: [dict(r._mapping) for r in conn.execute(query)])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (int(rows[-1]["id"]) if more else None)


def _work_order_row(conn: Connection, work_order_id: int) -> Row:
    return dict(conn.execute(select(t.work_order).where(t.work_order.c.id == work_order_id)).one()._mapping)


def _work_order_out(conn: Connection, row: Row) -> Row:
    """The work order and its lines, read from its posting: what left the location (consumed) and what came
    into it (produced)."""
    m = t.movement
    lines: list[Row] = []
    if row["posting_id"] is not None:
        for r in conn.execute(select(m.c.sku_id, m.c.lot_id, t.lot.c.number.label("lot_number"),
                                     m.c.from_location_id, m.c.from_container_id, m.c.to_container_id,
                                     m.c.quantity)
                              .outerjoin(t.lot, t.lot.c.id == m.c.lot_id)
                              .where(m.c.posting_id == row["posting_id"]).order_by(m.c.id)):
            consumed = r.from_location_id == row["location_id"]
            lines.append({"direction": "consumed" if consumed else "produced", "sku_id": r.sku_id,
                          "lot_id": r.lot_id, "lot_number": r.lot_number,
                          "container_id": r.from_container_id if consumed else r.to_container_id,
                          "quantity": r.quantity})
    return {**row, "lines": lines}
