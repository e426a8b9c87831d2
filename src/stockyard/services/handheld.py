"""What the handheld screens ask before they post: the next task of a person, the receipt item a scan names,
the stock of a scanned item in a location, the count line to count next.

Every posting goes through the service the API calls (receiving, putaway, inventory, replenishment, counts);
this module only reads, always within the principal's scope, and refuses a wrong scan early with a message
naming the field, so a person learns at the scan, not three steps later, that it was the wrong shelf."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, or_, select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import Principal
from stockyard.domain.errors import Conflict, InvalidInput, NotFound
from stockyard.domain.inbound import ReceiptStatus
from stockyard.domain.master import PackLevel
from stockyard.domain.stock import StockStatus
from stockyard.services import counts, putaway, receipts
from stockyard.services import masterdata as md
from stockyard.services.scanning import barcode_forms, by_barcode, read_scan, sku_of_scan

OPEN = putaway.OPEN
PUTAWAY = putaway.KIND
_RECEIVABLE = (ReceiptStatus.CREATED.value, ReceiptStatus.RECEIVING.value)


# ---------------------------------------------------------------- locations


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    warehouse_id: int
    kind: str


def location_by_code(db: Database, principal: Principal, code: str, *, field: str = "location_code",
                     warehouse_id: int | None = None) -> Place:
    """The shelf a scanned location label names, in the principal's warehouses (or in ``warehouse_id``)."""
    return db.read(lambda conn: place_by_code(conn, principal, code, field=field, warehouse_id=warehouse_id))


def place_by_code(conn: Connection, principal: Principal, code: str, *, field: str,
                  warehouse_id: int | None = None) -> Place:
    loc = t.location
    text = code.strip()
    query = select(loc.c.id, loc.c.code, loc.c.warehouse_id, loc.c.kind).where(
        loc.c.code == text, loc.c.virtual_kind.is_(None), loc.c.active)
    if warehouse_id is not None:
        query = query.where(loc.c.warehouse_id == warehouse_id)
    clause = md.scope_filter(md.LOCATION, principal)
    if clause is not None:
        query = query.where(clause)
    rows = conn.execute(query.order_by(loc.c.warehouse_id).limit(2)).all()
    if not rows:
        raise InvalidInput(f"no location {text} here", field=field, code="unknown_location")
    if len(rows) > 1:
        raise InvalidInput(f"location {text} exists in several of your warehouses; start from a task or receipt",
                           field=field, code="ambiguous_location")
    row = rows[0]
    return Place(int(row.id), str(row.code), int(row.warehouse_id), str(row.kind))


def place(db: Database, principal: Principal, location_id: int, *, field: str = "location_id") -> Place:
    """A location by id, as a step's hidden field carries it (checked again: the page may be old)."""
    def work(conn: Connection) -> Place:
        row = md.require(conn, principal, field, md.LOCATION, location_id)
        return Place(int(row["id"]), str(row["code"]), int(row["warehouse_id"]), str(row["kind"]))
    return db.read(work)


def check_same_place(expected: Place | None, scanned: str, *, field: str = "location_code") -> None:
    """A task names its location: the scan must be that one."""
    if expected is not None and scanned.strip() != expected.code:
        raise InvalidInput(f"this is {scanned.strip()}, not {expected.code}", field=field, code="wrong_location")


# ---------------------------------------------------------------- receiving


@dataclass(frozen=True)
class ReceiptChoice:
    id: int
    external_ref: str
    warehouse_id: int
    status: str
    expected_date: date | None


def open_receipts(db: Database, principal: Principal, *, limit: int = 20) -> list[ReceiptChoice]:
    """Receipts waiting to be received in the principal's scope, the oldest expected first."""
    r = t.receipt
    query = (select(r.c.id, r.c.external_ref, r.c.warehouse_id, r.c.status, r.c.expected_date)
             .where(r.c.status.in_(_RECEIVABLE), ~r.c.id.in_(select(t.transfer_order.c.receipt_id).where(
                 t.transfer_order.c.receipt_id.is_not(None))))
             .order_by(r.c.expected_date, r.c.id).limit(limit))
    scope = md.all_of(md.within(r.c.warehouse_id, principal.warehouse_ids),
                      md.within(r.c.owner_id, principal.owner_ids))
    if scope is not None:
        query = query.where(scope)
    return [ReceiptChoice(int(x.id), str(x.external_ref), int(x.warehouse_id), str(x.status), x.expected_date)
            for x in db.read(lambda conn: conn.execute(query).all())]


def receipt_by_scan(db: Database, principal: Principal, text: str, *, field: str = "receipt") -> int:
    """The open receipt whose reference (or number) was scanned from the delivery note."""
    ref = text.strip()
    r = t.receipt
    query = select(r.c.id, r.c.warehouse_id, r.c.owner_id, r.c.status).where(
        or_(r.c.external_ref == ref, r.c.id == (int(ref) if ref.isdigit() and len(ref) < 12 else -1)))
    for row in db.read(lambda conn: conn.execute(query.order_by(r.c.id)).all()):
        if principal.scope.allows_warehouse(row.warehouse_id) and principal.scope.allows_owner(row.owner_id):
            if row.status not in _RECEIVABLE:
                raise Conflict(f"receipt {ref} is {row.status}", field=field, code="receipt_closed")
            return int(row.id)
    raise InvalidInput(f"no open receipt {ref}", field=field, code="unknown_receipt")


def receipt(db: Database, principal: Principal, receipt_id: int) -> dict[str, Any]:
    """The receipt with its lines' progress (expected hidden when the owner receives blind)."""
    return receipts.get_receipt(db, principal, receipt_id)


def docks(db: Database, principal: Principal, warehouse_id: int) -> list[Place]:
    """The warehouse's active docks, offered when the receiver says where the goods are unloaded."""
    loc = t.location
    query = select(loc.c.id, loc.c.code, loc.c.warehouse_id, loc.c.kind).where(
        loc.c.warehouse_id == warehouse_id, loc.c.kind == "dock", loc.c.active, loc.c.status == "active")
    clause = md.scope_filter(md.LOCATION, principal)
    if clause is not None:
        query = query.where(clause)
    return [Place(int(x.id), str(x.code), int(x.warehouse_id), str(x.kind))
            for x in db.read(lambda conn: conn.execute(query.order_by(loc.c.code).limit(12)).all())]


@dataclass(frozen=True)
class ReceivingItem:
    """What a scanned item barcode is on a receipt, and what the receiver must still say about it."""

    sku_id: int
    sku_code: str
    sku_name: str
    level: PackLevel
    lot: str | None  # read from the barcode
    expiry: date | None
    serial: str | None
    count: Decimal | None  # AI 30 / 37
    needs_lot: bool
    needs_expiry: bool
    needs_serial: bool
    expected_lot: str | None


def receiving_item(db: Database, principal: Principal, receipt_id: int, text: str, *,
                   field: str = "scan") -> ReceivingItem:
    """The SKU a scan names on this receipt; 422 naming ``field`` for an unknown barcode or a SKU the receipt
    does not order."""
    def work(conn: Connection) -> ReceivingItem:
        head = receipts.visible(conn, principal, receipt_id)
        scan = read_scan(text, field=field)
        sku_id, level = sku_of_scan(conn, head["owner_id"], scan, field=field)
        sku = conn.execute(select(t.sku).where(t.sku.c.id == sku_id)).one()
        rl = t.receipt_line
        lines = conn.execute(select(rl.c.expected_lot).where(rl.c.receipt_id == receipt_id,
                                                             rl.c.sku_id == sku.id).order_by(rl.c.line_no)).all()
        if not lines:
            raise InvalidInput(f"{sku.code} is not on this receipt", field=field, code="sku_not_on_receipt")
        return ReceivingItem(
            sku_id=int(sku.id), sku_code=str(sku.code), sku_name=str(sku.name), level=level, lot=scan.lot,
            expiry=scan.expiry, serial=scan.serial, count=scan.count,
            needs_lot=bool(sku.lot_control) and not scan.lot,
            needs_expiry=bool(sku.expiry_control) and scan.expiry is None,
            needs_serial=bool(sku.serial_control) and not scan.serial,
            expected_lot=next((x.expected_lot for x in lines if x.expected_lot), None))
    return db.read(work)


# ---------------------------------------------------------------- tasks (putaway, replenishment)


@dataclass(frozen=True)
class TaskView:
    id: int
    kind: str
    status: str
    warehouse_id: int
    sku_id: int
    sku_code: str
    sku_name: str
    lot_number: str | None
    serial: str | None
    quantity: Decimal
    source: Place
    target: Place | None  # the suggestion (putaway) or the pick face (replenishment)
    container_lpn: str | None


def next_task(db: Database, principal: Principal, kind: str, *, after: int | None = None) -> TaskView | None:
    """The person's next open task of ``kind``: those assigned to them first, then unassigned ones, oldest
    first; ``after`` skips to the task after that one (wrapping round)."""
    k = t.task
    query = select(k.c.id).where(k.c.kind == kind, k.c.status == OPEN,
                                 or_(k.c.assigned_to.is_(None), k.c.assigned_to == principal.name))
    clause = putaway.task_scope(principal)
    if clause is not None:
        query = query.where(clause)
    query = query.order_by(k.c.assigned_to.is_(None), k.c.id)
    ids = [int(i) for i in db.read(lambda conn: conn.execute(query.limit(500)).scalars().all())]
    if not ids:
        return None
    chosen = ids[0]
    if after is not None:
        chosen = next((i for i in ids if i > after), ids[0])
    return task(db, principal, chosen, kind)


def task(db: Database, principal: Principal, task_id: int, kind: str) -> TaskView:
    """One open task of ``kind`` in the principal's scope, with the codes a person reads on the screen."""
    def work(conn: Connection) -> TaskView:
        k, s, lot, c = t.task, t.sku, t.lot, t.container
        query = (select(k, s.c.code.label("sku_code"), s.c.name.label("sku_name"), lot.c.number.label("lot_number"),
                        c.c.lpn.label("lpn"))
                 .join(s, s.c.id == k.c.sku_id).outerjoin(lot, lot.c.id == k.c.lot_id)
                 .outerjoin(c, c.c.id == k.c.from_container_id).where(k.c.id == task_id))
        clause = putaway.task_scope(principal)
        if clause is not None:
            query = query.where(clause)
        row = conn.execute(query).first()
        if row is None or row.kind != kind:
            raise NotFound(f"task {task_id} not found", field="task_id")
        if row.status != OPEN:
            raise Conflict(f"the task is {row.status}", field="task_id", code="task_closed")
        return TaskView(
            id=int(row.id), kind=str(row.kind), status=str(row.status), warehouse_id=int(row.warehouse_id),
            sku_id=int(row.sku_id), sku_code=str(row.sku_code), sku_name=str(row.sku_name),
            lot_number=row.lot_number, serial=row.serial, quantity=Decimal(row.quantity),
            source=_place(conn, int(row.from_location_id)),
            target=_place(conn, int(row.to_location_id)) if row.to_location_id is not None else None,
            container_lpn=row.lpn)
    return db.read(work)


def _place(conn: Connection, location_id: int) -> Place:
    loc = t.location
    row = conn.execute(select(loc.c.id, loc.c.code, loc.c.warehouse_id, loc.c.kind)
                       .where(loc.c.id == location_id)).one()
    return Place(int(row.id), str(row.code), int(row.warehouse_id), str(row.kind))


def check_task_quantity(view: TaskView, quantity: Decimal, *, field: str = "quantity") -> None:
    """Part of a task may be done at a time, never more than is left."""
    if quantity <= 0:
        raise InvalidInput("must be greater than zero", field=field)
    if quantity > view.quantity:
        raise InvalidInput(f"the task has {view.quantity.normalize():f} left", field=field, code="over_task")


# ---------------------------------------------------------------- moves


@dataclass(frozen=True)
class StockHere:
    """One bucket of a scanned item in a location: what a move takes from."""

    owner_id: int
    sku_id: int
    sku_code: str
    sku_name: str
    lot_id: int | None
    lot_number: str | None
    expiry: date | None
    serial: str | None
    container_id: int | None
    container_lpn: str | None
    status: StockStatus
    on_hand: Decimal
    free: Decimal  # on hand less allocated: what may move

    @property
    def key(self) -> str:
        """The bucket as a step's hidden field carries it."""
        return "|".join(str(v) if v is not None else "" for v in (
            self.owner_id, self.sku_id, self.lot_id, self.serial, self.container_id, self.status.value))


def stock_here(db: Database, principal: Principal, location_id: int, text: str, *,
               field: str = "scan") -> list[StockHere]:
    """The movable stock in a location of the item a scan names (its lot and serial too, when the barcode
    carries them); 422 naming ``field`` when the barcode is unknown or the item is not there."""
    scan = read_scan(text, field=field)

    def work(conn: Connection) -> list[StockHere]:
        shelf = md.require(conn, principal, "location_id", md.LOCATION, location_id)
        owners = conn.execute(select(t.balance.c.owner_id).where(
            t.balance.c.location_id == location_id, t.balance.c.on_hand > 0).distinct()).scalars().all()
        gtin = scan.gtin or scan.content_gtin
        skus = {found[0] for owner in owners if principal.scope.allows_owner(owner)
                for found in [by_barcode(conn, owner, gtin, scan.raw)] if found is not None}
        if not skus:
            raise InvalidInput(f"nothing in {shelf['code']} has the barcode {gtin or scan.raw}", field=field,
                               code="not_here")
        rows = [r for r in _buckets(conn, principal, location_id, skus)
                if (scan.lot is None or r.lot_number == scan.lot) and (scan.serial is None or r.serial == scan.serial)]
        if not rows:
            raise InvalidInput(f"none of it is in {shelf['code']}", field=field, code="not_here")
        return rows
    return db.read(work)


def bucket_here(db: Database, principal: Principal, location_id: int, key: str, *,
                field: str = "item") -> StockHere:
    """The bucket a step chose (by its key), as it stands now."""
    def work(conn: Connection) -> StockHere:
        md.require(conn, principal, "location_id", md.LOCATION, location_id)
        parts = key.split("|")
        if len(parts) != 6 or not parts[0].isdigit() or not parts[1].isdigit():
            raise InvalidInput("scan the item again", field=field)
        found = next((r for r in _buckets(conn, principal, location_id, {int(parts[1])}) if r.key == key), None)
        if found is None:
            raise Conflict("the stock is no longer there; scan the item again", field=field, code="not_here")
        return found
    return db.read(work)


def check_move_quantity(stock: StockHere, quantity: Decimal, *, field: str = "quantity") -> None:
    """A move takes at most what is free (on hand and not allocated) in its bucket."""
    if quantity <= 0:
        raise InvalidInput("must be greater than zero", field=field)
    if quantity > stock.free:
        raise InvalidInput(f"only {stock.free.normalize():f} of {stock.sku_code} can move from here", field=field,
                           code="over_available")


def _buckets(conn: Connection, principal: Principal, location_id: int, skus: set[int]) -> list[StockHere]:
    b, s, lot, c = t.balance, t.sku, t.lot, t.container
    query = (select(b, s.c.code.label("sku_code"), s.c.name.label("sku_name"), lot.c.number.label("lot_number"),
                    lot.c.expiry_date, c.c.lpn.label("lpn"))
             .join(s, s.c.id == b.c.sku_id).outerjoin(lot, lot.c.id == b.c.lot_id)
             .outerjoin(c, c.c.id == b.c.container_id)
             .where(b.c.location_id == location_id, b.c.sku_id.in_(sorted(skus)), b.c.on_hand > 0,
                    b.c.status != StockStatus.FROZEN.value)
             .order_by(lot.c.expiry_date, b.c.id))
    clause = md.within(b.c.owner_id, principal.owner_ids)
    if clause is not None:
        query = query.where(clause)
    return [StockHere(owner_id=int(r.owner_id), sku_id=int(r.sku_id), sku_code=str(r.sku_code),
                      sku_name=str(r.sku_name), lot_id=r.lot_id, lot_number=r.lot_number, expiry=r.expiry_date,
                      serial=r.serial, container_id=r.container_id, container_lpn=r.lpn,
                      status=StockStatus(r.status), on_hand=Decimal(r.on_hand),
                      free=Decimal(r.on_hand) - Decimal(r.allocated)) for r in conn.execute(query)]


# ---------------------------------------------------------------- counts


@dataclass(frozen=True)
class CountTask:
    count_id: int
    line_id: int
    location: Place
    owner_id: int
    sku_id: int
    sku_code: str
    sku_name: str
    lot_number: str | None
    serial: str | None
    container_lpn: str | None
    expected: Decimal | None  # None on a blind count: the counter counts what is there
    recount: bool


def next_count_line(db: Database, principal: Principal, *, after: int | None = None) -> CountTask | None:
    """The next line the person can count: a first count of an open count, or a recount of a line another
    person counted; in location order. ``after`` skips to the line after that one."""
    todo: list[tuple[int, int]] = []
    for status in ("counting", "recount"):
        for head in counts.list_counts(db, principal, status=status, limit=50):
            todo.extend((int(head["id"]), line_id) for line_id in _lines_to_count(db, principal, int(head["id"])))
    if not todo:
        return None
    ids = [line_id for _, line_id in todo]
    index = ids.index(after) + 1 if after in ids else 0
    chosen = todo[index % len(todo)]
    return count_line(db, principal, chosen[0], chosen[1])


def _lines_to_count(db: Database, principal: Principal, count_id: int) -> list[int]:
    try:
        count = counts.get(db, principal, count_id)
    except NotFound:  # a count with lines outside a scoped principal's zones or owners is not theirs
        return []
    if count["status"] == "recount":
        return [int(x["id"]) for x in count["lines"] if x["needs_recount"] and x["counted_by"] != principal.name]
    return [int(x["id"]) for x in count["lines"] if x["counted_quantity"] is None]


def count_line(db: Database, principal: Principal, count_id: int, line_id: int) -> CountTask:
    """One line of a count, as the counter sees it: book quantities only where the count service shows them."""
    count = counts.get(db, principal, count_id)
    line = next((x for x in count["lines"] if x["id"] == line_id), None)
    if line is None:
        raise NotFound(f"line {line_id} is not on count {count_id}", field="line_id")
    if count["status"] not in ("counting", "recount"):
        raise Conflict(f"the count is {count['status']}", field="count_id", code="count_closed")

    def work(conn: Connection) -> CountTask:
        sku = conn.execute(select(t.sku.c.code, t.sku.c.name).where(t.sku.c.id == line["sku_id"])).one()
        lot = conn.execute(select(t.lot.c.number).where(t.lot.c.id == line["lot_id"])).scalar() \
            if line["lot_id"] is not None else None
        lpn = conn.execute(select(t.container.c.lpn).where(t.container.c.id == line["container_id"])).scalar() \
            if line["container_id"] is not None else None
        snapshot = line["snapshot_quantity"]
        return CountTask(count_id=count_id, line_id=line_id, location=_place(conn, int(line["location_id"])),
                         owner_id=int(line["owner_id"]), sku_id=int(line["sku_id"]), sku_code=str(sku.code),
                         sku_name=str(sku.name), lot_number=lot, serial=line["serial"], container_lpn=lpn,
                         expected=Decimal(snapshot) if snapshot is not None else None,
                         recount=count["status"] == "recount")
    return db.read(work)


def check_count_item(db: Database, task: CountTask, text: str, *, field: str = "scan") -> None:
    """The scanned item must be the line's SKU (and lot or serial, when the barcode carries them)."""
    scan = read_scan(text, field=field)
    gtin = scan.gtin or scan.content_gtin
    found = db.read(lambda conn: by_barcode(conn, task.owner_id, gtin, scan.raw))
    if found is None or found[0] != task.sku_id:
        raise InvalidInput(f"this is not {task.sku_code}", field=field, code="wrong_sku")
    if (scan.lot and task.lot_number and scan.lot != task.lot_number) or (
            scan.serial and task.serial and scan.serial != task.serial):
        raise InvalidInput(f"this is not lot {task.lot_number or task.serial} of {task.sku_code}", field=field,
                           code="wrong_lot")


@dataclass(frozen=True)
class FoundItem:
    """An item a counter found at a count's location that the count has no line for."""

    owner_id: int
    sku_id: int
    sku_code: str
    lot_number: str | None
    serial: str | None
    needs_lot: bool  # lot-controlled and the barcode carried no lot
    needs_serial: bool


def found_item(db: Database, principal: Principal, task: CountTask, text: str, *,
               field: str = "scan") -> FoundItem:
    """The SKU a barcode found at the line's location names: of the line's owner first (a shelf mostly holds one
    owner's goods), else of the one owner in the person's scope with that barcode; several owners → 422, to be
    counted from the console where the owner is chosen."""
    scan = read_scan(text, field=field)
    gtin = scan.gtin or scan.content_gtin

    def work(conn: Connection) -> FoundItem:
        owner_id, found = task.owner_id, by_barcode(conn, task.owner_id, gtin, scan.raw)
        if found is None:
            owner_id = _only_owner_with(conn, principal, barcode_forms(gtin, scan.raw), scan.raw, field)
            found = by_barcode(conn, owner_id, gtin, scan.raw)
        if found is None:
            raise InvalidInput(f"no SKU has the barcode {scan.raw}", field=field, code="unknown_barcode")
        sku = conn.execute(select(t.sku.c.code, t.sku.c.lot_control, t.sku.c.serial_control)
                           .where(t.sku.c.id == found[0])).one()
        return FoundItem(owner_id, found[0], str(sku.code), scan.lot, scan.serial,
                         needs_lot=bool(sku.lot_control) and not scan.lot,
                         needs_serial=bool(sku.serial_control) and not scan.serial)
    return db.read(work)


def _only_owner_with(conn: Connection, principal: Principal, forms: set[str], raw: str, field: str) -> int:
    s, b = t.sku, t.sku_barcode
    query = select(s.c.owner_id).where(or_(s.c.id.in_(select(b.c.sku_id).where(b.c.barcode.in_(sorted(forms)))),
                                           s.c.code == raw)).distinct()
    clause = md.scope_filter(md.SKU, principal)
    owners = [int(o) for o in conn.execute(query.where(clause) if clause is not None else query).scalars()]
    if not owners:
        raise InvalidInput(f"no SKU has the barcode {raw}", field=field, code="unknown_barcode")
    if len(owners) > 1:
        raise InvalidInput("several owners have this barcode: count it from the console, choosing the owner",
                           field=field, code="ambiguous_owner")
    return owners[0]


def enter_found(db: Database, principal: Principal, task: CountTask, item: FoundItem, quantity: Decimal, *,
                lot_number: str | None = None, serial: str | None = None) -> None:
    """Count a found item at the line's location: a new line on the count, booked at nothing there, so finishing
    the count posts what was found like any other difference."""
    lot, unit = lot_number or item.lot_number, serial or item.serial
    if item.needs_lot and not lot:
        raise InvalidInput(f"{item.sku_code} is lot-controlled: scan or type the lot", field="scan",
                           code="lot_required")
    if unit and quantity != Decimal(1):
        raise InvalidInput("a serial number is one unit", field="scan", code="serial_is_one")
    lot_id = None
    if lot:
        lot_id = db.read(lambda conn: conn.execute(select(t.lot.c.id).where(
            t.lot.c.sku_id == item.sku_id, t.lot.c.number == lot)).scalar())
        if lot_id is None:
            raise InvalidInput(f"{item.sku_code} has no lot {lot}: register the lot first", field="scan",
                               code="unknown_lot")
    counts.enter(db, principal, task.count_id, [counts.Entry(
        quantity=quantity, location_id=task.location.id, owner_id=item.owner_id, sku_id=item.sku_id,
        lot_id=lot_id, serial=unit)])
