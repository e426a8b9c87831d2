"""Inventory control: moves (移库), freezes (冻结 / 解冻) and ownership transfer (货权转移).

Each is a posting: a move takes stock between locations, a freeze changes the status of stock where it stands,
an ownership transfer hands stock from one owner's book to another's in place. Nothing edits a balance."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from stockyard.db import ledger as repo
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import Principal
from stockyard.domain.errors import Conflict, InvalidInput, NotFound
from stockyard.domain.putaway import PutawayItem, fits
from stockyard.domain.stock import Bucket, Movement, PostingRequest, StockItem, StockStatus, VirtualKind
from stockyard.services import audit, counts, ledger, putaway
from stockyard.services import masterdata as md
from stockyard.services.browse import View
from stockyard.services.stock import StockLine, resolve_lots

Row = dict[str, Any]


# ---------------------------------------------------------------- moves


@dataclass(frozen=True)
class Move:
    """Stock from one location to another: one item (partially or wholly), or a whole container (LPN)."""

    from_location_id: int
    to_location_id: int | None = None
    to_location_code: str | None = None  # the scanned target label
    container_id: int | None = None  # the container to move whole, or the one the item is taken out of
    whole_container: bool = False
    owner_id: int | None = None
    sku_id: int | None = None
    lot_id: int | None = None
    serial: str | None = None
    status: StockStatus = StockStatus.AVAILABLE
    quantity: Decimal | None = None
    to_container_id: int | None = None


def move(db: Database, principal: Principal, m: Move) -> Row:
    """Move stock by scanning: from a location (and container) to another of the same warehouse that is active,
    not blocked and has room by its capacity and mixing rules. Frozen stock does not move; allocated stock stays
    (the ledger refuses to take more than is available)."""
    def work(conn: Connection) -> Row:
        source = md.require(conn, principal, "from_location_id", md.LOCATION, m.from_location_id)
        target = _target(conn, principal, m, source)
        movements = _container_movements(conn, principal, m, target) if m.whole_container else [
            _item_movement(conn, principal, m, target)]
        if target["id"] != source["id"]:
            _check_room(conn, target, movements, whole=m.whole_container)
        written = ledger.post_in(conn, PostingRequest("MOVE", movements, doc_type="move", user=principal.name))
        counts.count_on_touch(conn, principal, source["warehouse_id"], [
            (mv.source.location_id, mv.item.owner_id, mv.item.sku_id, mv.item.lot_id, mv.item.serial,
             mv.source.container_id, mv.source.status.value) for mv in movements])
        result = {"posting_id": written.posting_id, "from_location_id": source["id"], "to_location_id": target["id"],
                  "movements": len(movements),
                  "quantity": sum((mv.quantity for mv in movements), Decimal(0))}
        audit.record(conn, principal, "stock.move", "posting", written.posting_id, after=result)
        return result
    return db.write(work)


def _target(conn: Connection, principal: Principal, m: Move, source: Row) -> Row:
    if m.to_location_id is None and m.to_location_code is None:
        raise InvalidInput("scan the target location", field="to_location_code")
    field = "to_location_id" if m.to_location_id is not None else "to_location_code"
    location_id = m.to_location_id
    if location_id is None:
        location_id = conn.execute(select(t.location.c.id).where(
            t.location.c.warehouse_id == source["warehouse_id"], t.location.c.code == m.to_location_code)).scalar()
        if location_id is None:
            raise InvalidInput(f"no location {m.to_location_code} here", field=field, code="unknown_location")
    target = md.require(conn, principal, field, md.LOCATION, location_id)
    if target["warehouse_id"] != source["warehouse_id"] or target["virtual_kind"] or source["virtual_kind"]:
        raise InvalidInput("moves are between shelves of one warehouse (transfers go through in-transit)",
                           field=field, code="unknown_location")
    if target["status"] != "active":
        raise Conflict("the target location is blocked", field=field, code="location_blocked")
    if target["id"] == source["id"] and m.to_container_id == m.container_id:
        raise InvalidInput("the stock is already there", field=field)
    return target


def _item_movement(conn: Connection, principal: Principal, m: Move, target: Row) -> Movement:
    if m.owner_id is None or m.sku_id is None or m.quantity is None:
        raise InvalidInput("say which item and how much, or move the whole container", field="sku_id")
    if m.status is StockStatus.FROZEN:
        raise Conflict("frozen stock cannot be moved; release the freeze first", field="status", code="frozen")
    md.require(conn, principal, "sku_id", md.SKU, m.sku_id)
    if m.container_id is not None:
        md.require(conn, principal, "container_id", md.CONTAINER, m.container_id)
    item = StockItem(m.owner_id, m.sku_id, m.lot_id, m.serial)
    return Movement(item, Bucket(m.from_location_id, m.container_id, m.status),
                    Bucket(target["id"], m.to_container_id, m.status), m.quantity)


def _container_movements(conn: Connection, principal: Principal, m: Move, target: Row) -> list[Movement]:
    if m.container_id is None:
        raise InvalidInput("scan the container to move", field="container_id")
    md.require(conn, principal, "container_id", md.CONTAINER, m.container_id)
    b = t.balance
    rows = conn.execute(select(b).where(b.c.container_id == m.container_id, b.c.location_id == m.from_location_id,
                                        b.c.on_hand > 0)).all()
    if not rows:
        raise InvalidInput("the container holds nothing in that location", field="container_id",
                           code="container_empty")
    if any(r.status == StockStatus.FROZEN for r in rows):
        raise Conflict("the container holds frozen stock", field="container_id", code="frozen")
    if any(not principal.scope.allows_owner(r.owner_id) for r in rows):
        raise NotFound(f"container {m.container_id} not found", field="container_id")
    return [Movement(StockItem(r.owner_id, r.sku_id, r.lot_id, r.serial),
                     Bucket(m.from_location_id, m.container_id, StockStatus(r.status)),
                     Bucket(target["id"], m.container_id, StockStatus(r.status)), r.on_hand) for r in rows]


def _check_room(conn: Connection, target: Row, movements: list[Movement], *, whole: bool) -> None:
    """The target must take it: capacity (stock there plus putaways planned into it) and mixing rules."""
    candidate = putaway.candidate(conn, target["warehouse_id"], target["id"])
    skus = {r.id: r for r in conn.execute(select(t.sku.c.id, t.sku.c.volume, t.sku.c.weight).where(
        t.sku.c.id.in_({mv.item.sku_id for mv in movements})))}
    for index, mv in enumerate(movements):
        sku = skus[mv.item.sku_id]
        item = PutawayItem(owner_id=mv.item.owner_id, sku_id=mv.item.sku_id, lot_id=mv.item.lot_id, expiry=None,
                           status=mv.source.status.value, category=None, abc_class=None, storage_condition=None,
                           receipt_type=None, quantity=mv.quantity, unit_volume=sku.volume, unit_weight=sku.weight,
                           pallets=1 if whole and index == 0 else 0)
        problem = fits(item, candidate)
        if problem is not None:
            raise Conflict(f"location {target['code']}: {problem}", field="to_location_id", code="location_unfit")
        # The next line of a container move lands beside this one.
        candidate = replace(candidate, used_units=candidate.used_units + mv.quantity,
                            used_pallets=candidate.used_pallets + item.pallets,
                            contents=candidate.contents | {(mv.item.owner_id, mv.item.sku_id, mv.item.lot_id)})


# ---------------------------------------------------------------- freezes


@dataclass(frozen=True)
class Freeze:
    """What to freeze in one warehouse: any mix of owner, SKU, lot and location (at least one)."""

    warehouse_id: int
    reason: str
    owner_id: int | None = None
    sku_id: int | None = None
    lot_id: int | None = None
    location_id: int | None = None


def freeze(db: Database, principal: Principal, f: Freeze) -> Row:
    """Freeze the available, unallocated stock matching the criteria where it stands: it can then be neither
    allocated, picked nor moved until the freeze is released. Allocated quantities are left (and reported)."""
    if not (f.owner_id or f.sku_id or f.lot_id or f.location_id):
        raise InvalidInput("freeze by owner, SKU, lot or location", field="sku_id")

    def work(conn: Connection) -> Row:
        md.require(conn, principal, "warehouse_id", md.WAREHOUSE, f.warehouse_id)
        for name, entity, value in (("owner_id", md.OWNER, f.owner_id), ("sku_id", md.SKU, f.sku_id),
                                    ("lot_id", md.LOT, f.lot_id), ("location_id", md.LOCATION, f.location_id)):
            if value is not None:
                md.require(conn, principal, name, entity, value)
        rows = _freezable(conn, principal, f)
        if not rows:
            raise Conflict("no available stock matches", field="sku_id", code="nothing_to_freeze")
        movements = [Movement(StockItem(r.owner_id, r.sku_id, r.lot_id, r.serial),
                              Bucket(r.location_id, r.container_id, StockStatus.AVAILABLE),
                              Bucket(r.location_id, r.container_id, StockStatus.FROZEN), r.on_hand - r.allocated)
                     for r in rows if r.on_hand > r.allocated]
        written = ledger.post_in(conn, PostingRequest("FREEZE", movements, doc_type="freeze", doc_ref=f.reason[:128],
                                                      user=principal.name))
        now = datetime.now(UTC)
        freeze_id = conn.execute(insert(t.stock_freeze).values(
            warehouse_id=f.warehouse_id, owner_id=f.owner_id, sku_id=f.sku_id, lot_id=f.lot_id,
            location_id=f.location_id, reason=f.reason, status="active", posting_id=written.posting_id,
            created_by=principal.name, created_at=now).returning(t.stock_freeze.c.id)).scalar_one()
        result = {**_freeze_row(conn, freeze_id), "frozen": sum((mv.quantity for mv in movements), Decimal(0)),
                  "left_allocated": sum((r.allocated for r in rows), Decimal(0))}
        audit.record(conn, principal, "stock.freeze", "stock_freeze", freeze_id, after=result)
        return result
    return db.write(work)


def _freezable(conn: Connection, principal: Principal, f: Freeze) -> list[Any]:
    b = t.balance
    query = select(b).where(b.c.warehouse_id == f.warehouse_id, ~b.c.is_virtual, b.c.on_hand > 0,
                            b.c.status == StockStatus.AVAILABLE.value, b.c.on_hand > b.c.allocated)
    for column, value in ((b.c.owner_id, f.owner_id), (b.c.sku_id, f.sku_id), (b.c.lot_id, f.lot_id),
                          (b.c.location_id, f.location_id)):
        if value is not None:
            query = query.where(column == value)
    if principal.owner_ids is not None:
        query = query.where(b.c.owner_id.in_(sorted(principal.owner_ids)))
    if principal.zone_ids is not None:
        query = query.where(b.c.location_id.in_(select(t.location.c.id).where(
            t.location.c.zone_id.in_(sorted(principal.zone_ids)))))
    return list(conn.execute(query.order_by(b.c.key)).all())


def release(db: Database, principal: Principal, freeze_id: int, reason: str) -> Row:
    """Release a freeze: exactly the stock it froze becomes available again, where it stands."""
    def work(conn: Connection) -> Row:
        before = visible_freeze(conn, principal, freeze_id, lock=True)
        if before["status"] != "active":
            raise Conflict("the freeze is already released", field="freeze_id", code="released")
        frozen = conn.execute(select(t.movement).where(t.movement.c.posting_id == before["posting_id"])).all()
        movements = [Movement(StockItem(r.owner_id, r.sku_id, r.lot_id, r.serial),
                              Bucket(r.to_location_id, r.to_container_id, StockStatus.FROZEN),
                              Bucket(r.from_location_id, r.from_container_id, StockStatus.AVAILABLE), r.quantity)
                     for r in frozen]
        written = ledger.post_in(conn, PostingRequest("UNFREEZE", movements, doc_type="freeze",
                                                      doc_ref=str(freeze_id), user=principal.name))
        conn.execute(update(t.stock_freeze).where(t.stock_freeze.c.id == freeze_id).values(
            status="released", release_posting_id=written.posting_id, released_by=principal.name,
            released_at=datetime.now(UTC), release_reason=reason))
        after = _freeze_row(conn, freeze_id)
        audit.record(conn, principal, "stock.unfreeze", "stock_freeze", freeze_id, before=before, after=after)
        return after
    return db.write(work)


def list_freezes(db: Database, principal: Principal, *, warehouse_id: int | None = None,
                 status: str | None = "active") -> list[Row]:
    z = t.stock_freeze
    query = select(z).order_by(z.c.id.desc())
    if warehouse_id is not None:
        query = query.where(z.c.warehouse_id == warehouse_id)
    if status is not None:
        query = query.where(z.c.status == status)
    clause = md.all_of(md.within(z.c.warehouse_id, principal.warehouse_ids),
                       md.within(z.c.owner_id, principal.owner_ids))
    if principal.owner_ids is not None:
        clause = md.all_of(clause, z.c.owner_id.is_not(None))
    if clause is not None:
        query = query.where(clause)
    return db.read(lambda conn: [dict(r._mapping) for r in conn.execute(query)])


def visible_freeze(conn: Connection, principal: Principal, freeze_id: int, *, lock: bool = False) -> Row:
    query = select(t.stock_freeze).where(t.stock_freeze.c.id == freeze_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    # A freeze across all owners is a warehouse matter: owner-scoped principals do not see it; nor do
    # zone-scoped ones see a freeze that is not of one location of their zones.
    if row is None or not principal.scope.allows_warehouse(row.warehouse_id) or (
            principal.owner_ids is not None and row.owner_id not in principal.owner_ids) or (
            principal.zone_ids is not None and not _in_zones(conn, principal, row.location_id)):
        raise NotFound(f"freeze {freeze_id} not found", field="freeze_id")
    return dict(row._mapping)


def _in_zones(conn: Connection, principal: Principal, location_id: int | None) -> bool:
    if location_id is None:
        return False
    zone = conn.execute(select(t.location.c.zone_id).where(t.location.c.id == location_id)).scalar()
    return principal.scope.allows_zone(zone)


def _freeze_row(conn: Connection, freeze_id: int) -> Row:
    return dict(conn.execute(select(t.stock_freeze).where(t.stock_freeze.c.id == freeze_id)).one()._mapping)


# ---------------------------------------------------------------- ownership transfer


@dataclass(frozen=True)
class OwnershipTransfer:
    """Stock of one owner's SKU handed to another owner, in place (货权转移): the new owner's SKU is the one
    with the same code unless given; lots keep their numbers and dates."""

    from_owner_id: int
    to_owner_id: int
    sku_id: int
    location_id: int
    quantity: Decimal
    to_sku_id: int | None = None
    lot_id: int | None = None
    serial: str | None = None
    container_id: int | None = None
    reason: str = ""


def transfer_ownership(db: Database, principal: Principal, o: OwnershipTransfer) -> Row:
    """One posting with two movements through the warehouse's adjustment location: out of the old owner's book
    and into the new owner's, so each owner's books balance and the shelf holds the same goods."""
    def work(conn: Connection) -> Row:
        md.require(conn, principal, "from_owner_id", md.OWNER, o.from_owner_id)
        md.require(conn, principal, "to_owner_id", md.OWNER, o.to_owner_id)
        if o.from_owner_id == o.to_owner_id:
            raise InvalidInput("the stock already belongs to that owner", field="to_owner_id")
        sku = md.require(conn, principal, "sku_id", md.SKU, o.sku_id)
        if sku["owner_id"] != o.from_owner_id:
            raise InvalidInput("the SKU is not the old owner's", field="sku_id", code="unknown_sku")
        target_sku = _target_sku(conn, principal, o, sku)
        location = md.require(conn, principal, "location_id", md.LOCATION, o.location_id)
        to_lot = _target_lot(conn, o, target_sku)
        adjustment = repo.virtual_location_id(conn, location["warehouse_id"], VirtualKind.ADJUSTMENT)
        shelf = Bucket(o.location_id, o.container_id, StockStatus.AVAILABLE)
        movements = [
            Movement(StockItem(o.from_owner_id, o.sku_id, o.lot_id, o.serial), shelf, Bucket(adjustment), o.quantity),
            Movement(StockItem(o.to_owner_id, target_sku["id"], to_lot, o.serial), Bucket(adjustment), shelf,
                     o.quantity)]
        written = ledger.post_in(conn, PostingRequest("OWNERSHIP", movements, doc_type="ownership_transfer",
                                                      doc_ref=o.reason[:128] or None, user=principal.name))
        result = {"posting_id": written.posting_id, "from_owner_id": o.from_owner_id, "to_owner_id": o.to_owner_id,
                  "from_sku_id": o.sku_id, "to_sku_id": target_sku["id"], "lot_id": to_lot, "quantity": o.quantity,
                  "location_id": o.location_id, "reason": o.reason}
        audit.record(conn, principal, "stock.transfer_ownership", "posting", written.posting_id, after=result)
        return result
    return db.write(work)


def _target_sku(conn: Connection, principal: Principal, o: OwnershipTransfer, sku: Row) -> Row:
    if o.to_sku_id is not None:
        target = md.require(conn, principal, "to_sku_id", md.SKU, o.to_sku_id)
    else:
        found = conn.execute(select(t.sku.c.id).where(t.sku.c.owner_id == o.to_owner_id,
                                                      t.sku.c.code == sku["code"])).scalar()
        if found is None:
            raise InvalidInput(f"the new owner has no SKU {sku['code']}; give to_sku_id", field="to_sku_id",
                               code="unknown_sku")
        target = md.require(conn, principal, "to_sku_id", md.SKU, found)
    if target["owner_id"] != o.to_owner_id:
        raise InvalidInput("the SKU is not the new owner's", field="to_sku_id", code="unknown_sku")
    for control in ("lot_control", "expiry_control", "serial_control", "decimals"):
        if target[control] != sku[control]:
            raise InvalidInput(f"the two SKUs differ in {control}", field="to_sku_id", code="sku_mismatch")
    return target


def _target_lot(conn: Connection, o: OwnershipTransfer, target_sku: Row) -> int | None:
    if o.lot_id is None:
        return None
    lot = conn.execute(select(t.lot).where(t.lot.c.id == o.lot_id, t.lot.c.sku_id == o.sku_id)).first()
    if lot is None:
        raise InvalidInput(f"lot {o.lot_id} is not a lot of the SKU", field="lot_id", code="unknown_lot")
    line = StockLine(owner_id=o.to_owner_id, sku_id=target_sku["id"], location_id=o.location_id,
                     quantity=o.quantity, lot_number=lot.number, production_date=lot.production_date,
                     expiry_date=lot.expiry_date)
    return resolve_lots(conn, [line])[0]


def freeze_view(principal: Principal) -> View:
    """Freezes for the console's list, scoped like :func:`list_freezes` (all statuses; filter by status)."""
    z, w = t.stock_freeze, t.warehouse
    query = (select(z.c.id, w.c.code.label("warehouse"), z.c.warehouse_id, t.owner.c.code.label("owner"),
                    t.sku.c.code.label("sku"), t.lot.c.number.label("lot"), t.location.c.code.label("location"),
                    z.c.reason, z.c.status, z.c.created_by, z.c.created_at, z.c.released_by, z.c.released_at)
             .join(w, w.c.id == z.c.warehouse_id).outerjoin(t.owner, t.owner.c.id == z.c.owner_id)
             .outerjoin(t.sku, t.sku.c.id == z.c.sku_id).outerjoin(t.lot, t.lot.c.id == z.c.lot_id)
             .outerjoin(t.location, t.location.c.id == z.c.location_id))
    clause = md.all_of(md.within(z.c.warehouse_id, principal.warehouse_ids),
                       md.within(z.c.owner_id, principal.owner_ids))
    if principal.owner_ids is not None:
        clause = md.all_of(clause, z.c.owner_id.is_not(None))
    if clause is not None:
        query = query.where(clause)
    return View(query, filters=("warehouse_id", "status", "sku", "location"),
                search=("reason", "sku", "location", "lot", "created_by"),
                sortable=("id", "warehouse", "sku", "status", "created_at", "released_at"), default_sort="id",
                default_desc=True)
