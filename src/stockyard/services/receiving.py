"""Receiving (收货) against a receipt order, by line or by scanning, and quality inspection (质检).

A receipt posts supplier → receiving location (into a container when given) in one posting: good stock as
available, or as QC when the owner / SKU / receipt type needs inspection, damaged stock as damaged. Available
stock gets its putaway task at once; QC stock gets one when it passes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, select, update

from stockyard.db import ledger as repo
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import Principal
from stockyard.domain.errors import DomainError, InvalidInput, NotFound
from stockyard.domain.gs1 import Scan, parse_scan
from stockyard.domain.inbound import (
    QcResult,
    ReceiptStatus,
    check_can_receive,
    check_over_receipt,
    check_shelf_life,
    effective_policy,
    inspection_outcome,
)
from stockyard.domain.master import PackLevel, to_base
from stockyard.domain.stock import Bucket, Movement, PostingRequest, StockItem, StockStatus, VirtualKind
from stockyard.services import audit, ledger, putaway, receipts
from stockyard.services import masterdata as md
from stockyard.services.browse import View
from stockyard.services.document_lines import packs_of
from stockyard.services.scanning import by_barcode
from stockyard.services.stock import StockLine, resolve_lots

Row = dict[str, Any]


@dataclass(frozen=True)
class Receive:
    """One receiving entry: a line (or a scan or SKU that finds it), how much, where, and the lot / serials."""

    location_id: int  # the receiving location (dock)
    line_id: int | None = None
    scan: str | None = None  # GS1-128 / DataMatrix string, GTIN, SSCC or a SKU barcode
    sku_id: int | None = None
    quantity: Decimal | None = None  # in `level`; a scan's count (30 / 37) or serials give it too
    level: PackLevel = PackLevel.EACH
    lot: str | None = None
    expiry: date | None = None
    production: date | None = None
    serials: Sequence[str] = ()
    damaged_quantity: Decimal = Decimal(0)  # of the quantity, in base units
    container_id: int | None = None
    lpn: str | None = None  # a new or existing licence plate of the receipt's warehouse


def receive(db: Database, principal: Principal, receipt_id: int, entry: Receive) -> Row:
    """Receive one entry against the receipt: checked against the order and the owner's policy, then booked."""
    scan = parse_scan(entry.scan) if entry.scan else None

    def work(conn: Connection) -> Row:
        receipt = receipts.visible(conn, principal, receipt_id, lock=True)
        receipts.check_not_transfer(conn, receipt_id)
        check_can_receive(receipt["status"])
        owner = dict(conn.execute(select(t.owner).where(t.owner.c.id == receipt["owner_id"])).one()._mapping)
        sku_id, level = _sku_and_level(conn, receipt, entry, scan)
        sku = dict(conn.execute(select(t.sku).where(t.sku.c.id == sku_id)).one()._mapping)
        line = _line(conn, receipt_id, entry.line_id, sku_id, (scan.lot if scan else None) or entry.lot)
        got = _what(conn, sku, entry, scan, level)
        policy = effective_policy(owner, sku, receipt["type"])
        check_shelf_life(got.expiry, date.today(), policy.min_shelf_life_days)
        check_over_receipt(line["expected_quantity"], line["received_quantity"], got.quantity,
                           policy.over_receipt_pct)
        location = _dock(conn, principal, receipt, entry.location_id)
        container_id = _container(conn, principal, receipt, entry, scan)
        status = StockStatus.QC if policy.qc_required else StockStatus.AVAILABLE
        written, lot_id = _book(conn, principal, receipt, sku, got, location["id"], container_id, status)
        _record(conn, principal, receipt, line, got, lot_id, status, location["id"], container_id, written)
        tasks = _tasks(conn, receipt, sku, got, lot_id, status, location["id"], container_id)
        result = {"receipt_id": receipt_id, "line_id": line["id"], "sku_id": sku_id, "lot_id": lot_id,
                  "quantity": got.quantity, "damaged_quantity": got.damaged, "serials": list(got.serials),
                  "status": status.value, "container_id": container_id, "posting_id": written.posting_id,
                  "putaway_tasks": tasks}
        audit.record(conn, principal, "receipt.receive", "receipt", receipt_id, after=result)
        return result
    return db.write(work)


@dataclass(frozen=True)
class _Got:
    quantity: Decimal  # base units, damaged included
    damaged: Decimal
    lot: str | None
    expiry: date | None
    production: date | None
    serials: tuple[str, ...]


def _sku_and_level(conn: Connection, receipt: Row, entry: Receive, scan: Scan | None) -> tuple[int, PackLevel]:
    gtin = scan.gtin or scan.content_gtin if scan is not None else None
    if scan is not None and (gtin or scan.kind == "plain"):
        found = by_barcode(conn, receipt["owner_id"], gtin, scan.raw)
        if found is None:
            raise InvalidInput(f"no SKU of this owner has the barcode {gtin or scan.raw}", field="scan",
                               code="unknown_barcode")
        return found
    if entry.sku_id is not None:
        return entry.sku_id, entry.level
    if entry.line_id is not None:
        sku = conn.execute(select(t.receipt_line.c.sku_id).where(t.receipt_line.c.id == entry.line_id,
                                                                 t.receipt_line.c.receipt_id == receipt["id"])).scalar()
        if sku is None:
            raise InvalidInput(f"line {entry.line_id} is not on this receipt", field="line_id", code="unknown_line")
        return int(sku), entry.level
    raise InvalidInput("scan the item, or give line_id or sku_id", field="scan")


def _line(conn: Connection, receipt_id: int, line_id: int | None, sku_id: int, lot: str | None) -> Row:
    rl = t.receipt_line
    rows = [dict(r._mapping) for r in conn.execute(select(rl).where(rl.c.receipt_id == receipt_id)
                                                    .order_by(rl.c.line_no).with_for_update())]
    if line_id is not None:
        line = next((r for r in rows if r["id"] == line_id), None)
        if line is None:
            raise InvalidInput(f"line {line_id} is not on this receipt", field="line_id", code="unknown_line")
        if line["sku_id"] != sku_id:
            raise InvalidInput("the item scanned is not this line's SKU", field="scan", code="wrong_sku")
        return line
    of_sku = [r for r in rows if r["sku_id"] == sku_id]
    if not of_sku:
        raise InvalidInput("this SKU is not on the receipt", field="sku_id", code="sku_not_on_receipt")
    # The line expecting this lot, else the first with something still open, else the last one.
    for line in of_sku:
        if lot is not None and line["expected_lot"] == lot and line["received_quantity"] < line["expected_quantity"]:
            return line
    return next((r for r in of_sku if r["received_quantity"] < r["expected_quantity"]), of_sku[-1])


def _what(conn: Connection, sku: Row, entry: Receive, scan: Scan | None, level: PackLevel) -> _Got:
    serials = tuple(entry.serials) + ((scan.serial,) if scan and scan.serial else ())
    counted = entry.quantity if entry.quantity is not None else (scan.count if scan and scan.count else None)
    if counted is None:
        counted = Decimal(len(serials) or 1) if sku["serial_control"] or scan is not None else None
    if counted is None:
        raise InvalidInput("how many were received?", field="quantity")
    base = to_base(counted, level, packs_of(conn, [sku["id"]])[sku["id"]], sku["decimals"])
    if base <= 0:
        raise InvalidInput("must be greater than zero", field="quantity")
    if sku["serial_control"]:
        _check_serials(serials, base)
    elif serials:
        raise InvalidInput("this SKU is not serial-controlled", field="serials")
    if entry.damaged_quantity < 0 or entry.damaged_quantity > base:
        raise InvalidInput(f"between 0 and the {base} received", field="damaged_quantity")
    lot = (scan.lot if scan and scan.lot else None) or entry.lot
    expiry = (scan.expiry if scan and scan.expiry else None) or entry.expiry
    production = (scan.production if scan and scan.production else None) or entry.production
    if sku["lot_control"] and not lot:
        raise InvalidInput("this SKU is lot-controlled: give the lot", field="lot", code="lot_required")
    if sku["expiry_control"] and expiry is None:
        raise InvalidInput("this SKU is expiry-controlled: give the expiry date", field="expiry_date",
                           code="expiry_required")
    return _Got(base, entry.damaged_quantity, lot, expiry, production, serials)


def _check_serials(serials: tuple[str, ...], base: Decimal) -> None:
    if not serials:
        raise InvalidInput("this SKU is serial-controlled: scan each serial", field="serials",
                           code="serial_required")
    if len(set(serials)) != len(serials):
        raise InvalidInput("a serial is listed twice", field="serials", code="duplicate_serial")
    if Decimal(len(serials)) != base:
        raise InvalidInput(f"{len(serials)} serials for {base} units; one serial per unit", field="serials")


def _dock(conn: Connection, principal: Principal, receipt: Row, location_id: int) -> Row:
    return md.require_shelf(conn, principal, "location_id", location_id, receipt["warehouse_id"])


def _container(conn: Connection, principal: Principal, receipt: Row, entry: Receive, scan: Scan | None) -> int | None:
    """The container (LPN) received into: given by id, by a licence plate (created if new) or by an SSCC scan."""
    c = t.container
    if entry.container_id is not None:
        container = md.require(conn, principal, "container_id", md.CONTAINER, entry.container_id)
        if container["warehouse_id"] != receipt["warehouse_id"]:
            raise InvalidInput("the container is in another warehouse", field="container_id",
                               code="unknown_container")
        return entry.container_id
    sscc = scan.sscc if scan and scan.sscc else None
    lpn = entry.lpn or sscc
    if lpn is None:
        return None
    row = conn.execute(select(c.c.id, c.c.warehouse_id, c.c.active).where(
        (c.c.lpn == lpn) | (c.c.sscc == lpn))).first()
    if row is not None:
        if row.warehouse_id != receipt["warehouse_id"] or not row.active:
            raise InvalidInput(f"container {lpn} belongs to another warehouse or is inactive", field="lpn",
                               code="unknown_container")
        return int(row.id)
    now = datetime.now(UTC)
    return int(conn.execute(insert(c).values(warehouse_id=receipt["warehouse_id"], lpn=lpn, sscc=sscc,
                                             kind="pallet", created_at=now, updated_at=now)
                            .returning(c.c.id)).scalar_one())


def _book(conn: Connection, principal: Principal, receipt: Row, sku: Row, got: _Got, location_id: int,
          container_id: int | None, status: StockStatus) -> tuple[Any, int | None]:
    line = StockLine(owner_id=receipt["owner_id"], sku_id=sku["id"], location_id=location_id, quantity=got.quantity,
                     lot_number=got.lot, production_date=got.production, expiry_date=got.expiry)
    try:
        lot_id = resolve_lots(conn, [line])[0]
    except DomainError as error:
        error.field = (error.field or "").removeprefix("lines[0].") or None
        raise
    supplier = repo.virtual_location_id(conn, receipt["warehouse_id"], VirtualKind.SUPPLIER)
    movements = []
    for serial in got.serials or (None,):
        each = Decimal(1) if serial else got.quantity
        damaged = Decimal(1) if serial and got.serials.index(serial) < got.damaged else (
            Decimal(0) if serial else got.damaged)
        item = StockItem(receipt["owner_id"], sku["id"], lot_id, serial)
        for quantity, bucket_status in ((each - damaged, status), (damaged, StockStatus.DAMAGED)):
            if quantity > 0:
                movements.append(Movement(item, Bucket(supplier), Bucket(location_id, container_id, bucket_status),
                                          quantity))
    try:
        written = ledger.post_in(conn, PostingRequest("RECEIPT", movements, doc_type="receipt",
                                                      doc_ref=receipt["external_ref"], user=principal.name))
    except DomainError as error:
        raise _entry_field(error) from None
    return written, lot_id


def _entry_field(error: DomainError) -> DomainError:
    """Name the receiving entry's fields, not the posting's (``movements[0].serial`` is ``serials``)."""
    if error.field and error.field.startswith("movements["):
        rest = error.field.split("].", 1)[-1]
        error.field = {"serial": "serials", "to_location_id": "location_id", "to_container_id": "container_id",
                       "lot_id": "lot"}.get(rest, rest)
    return error


def _record(conn: Connection, principal: Principal, receipt: Row, line: Row, got: _Got, lot_id: int | None,
            status: StockStatus, location_id: int, container_id: int | None, written: Any) -> None:
    now = datetime.now(UTC)
    rl = t.receipt_line
    conn.execute(update(rl).where(rl.c.id == line["id"]).values(
        received_quantity=rl.c.received_quantity + got.quantity, damaged_quantity=rl.c.damaged_quantity + got.damaged))
    if receipt["status"] == ReceiptStatus.CREATED:
        conn.execute(update(t.receipt).where(t.receipt.c.id == receipt["id"]).values(
            status=ReceiptStatus.RECEIVING.value, updated_at=now))
    conn.execute(insert(t.receipt_event), [{
        "receipt_id": receipt["id"], "receipt_line_id": line["id"], "posting_id": written.posting_id,
        "lot_id": lot_id, "serial": serial, "quantity": Decimal(1) if serial else got.quantity,
        "damaged_quantity": Decimal(1) if serial and index < got.damaged else (
            Decimal(0) if serial else got.damaged),
        "status": status.value, "location_id": location_id, "container_id": container_id,
        "user_name": principal.name, "created_at": now} for index, serial in enumerate(got.serials or (None,))])


def _tasks(conn: Connection, receipt: Row, sku: Row, got: _Got, lot_id: int | None, status: StockStatus,
           location_id: int, container_id: int | None) -> list[Row]:
    """Putaway tasks for the good available stock: one per container, or one per line entry (per serial for
    serial-controlled SKUs, each unit being a stock item of its own)."""
    good = got.quantity - got.damaged
    if status is not StockStatus.AVAILABLE or good <= 0:
        return []
    warehouse = putaway.load_warehouse(conn, receipt["warehouse_id"], sku_id=sku["id"],
                                       origin=putaway.origin_of(conn, location_id))
    serials = got.serials[int(got.damaged):] if got.serials else (None,)
    tasks = []
    for serial in serials:
        quantity = Decimal(1) if serial else good
        item = putaway.item_for(conn, owner_id=receipt["owner_id"], sku_id=sku["id"], lot_id=lot_id, status=status,
                                quantity=quantity, receipt_type=receipt["type"],
                                whole_container=container_id is not None)
        tasks.append(putaway.create_task(conn, warehouse, item, from_location_id=location_id,
                                         from_container_id=container_id, serial=serial, receipt_id=receipt["id"]))
    return tasks


# ---------------------------------------------------------------- quality control


@dataclass(frozen=True)
class Inspection:
    owner_id: int
    sku_id: int
    location_id: int
    quantity: Decimal
    sampled_quantity: Decimal
    result: QcResult
    lot_id: int | None = None
    serial: str | None = None
    container_id: int | None = None
    receipt_id: int | None = None
    passed_quantity: Decimal | None = None
    damaged_quantity: Decimal | None = None
    returned_quantity: Decimal | None = None
    scrapped_quantity: Decimal | None = None
    note: str | None = None


def inspect(db: Database, principal: Principal, i: Inspection) -> Row:
    """Record an inspection of stock in QC (a receipt's, or a customer return's): passed stock is restocked as
    available (with its putaway task), failed stock becomes damaged, what goes back to the supplier waits as
    return-to-vendor, and scrap leaves the warehouse to its scrap location."""
    outcome = inspection_outcome(i.result, i.quantity, i.sampled_quantity, i.passed_quantity, i.damaged_quantity,
                                 i.returned_quantity, i.scrapped_quantity)

    def work(conn: Connection) -> Row:
        receipt = receipts.visible(conn, principal, i.receipt_id) if i.receipt_id is not None else None
        location = md.require(conn, principal, "location_id", md.LOCATION, i.location_id)
        md.require(conn, principal, "sku_id", md.SKU, i.sku_id)
        item = StockItem(i.owner_id, i.sku_id, i.lot_id, i.serial)
        source = Bucket(i.location_id, i.container_id, StockStatus.QC)
        movements = [Movement(item, source, Bucket(i.location_id, i.container_id, status), quantity)
                     for status, quantity in ((StockStatus.AVAILABLE, outcome.passed),
                                              (StockStatus.DAMAGED, outcome.damaged),
                                              (StockStatus.RETURN_TO_VENDOR, outcome.returned)) if quantity > 0]
        if outcome.scrapped > 0:
            scrap = repo.virtual_location_id(conn, location["warehouse_id"], VirtualKind.SCRAP)
            movements.append(Movement(item, source, Bucket(scrap), outcome.scrapped))
        written = ledger.post_in(conn, PostingRequest("QC", movements, doc_type="qc",
                                                      doc_ref=receipt["external_ref"] if receipt else None,
                                                      user=principal.name))
        now = datetime.now(UTC)
        inspection_id = conn.execute(insert(t.qc_inspection).values(
            receipt_id=i.receipt_id, owner_id=i.owner_id, sku_id=i.sku_id, lot_id=i.lot_id, location_id=i.location_id,
            container_id=i.container_id, quantity=i.quantity, sampled_quantity=i.sampled_quantity,
            result=i.result.value, passed_quantity=outcome.passed, damaged_quantity=outcome.damaged,
            returned_quantity=outcome.returned, scrapped_quantity=outcome.scrapped, note=i.note,
            posting_id=written.posting_id,
            inspector=principal.name, created_at=now).returning(t.qc_inspection.c.id)).scalar_one()
        tasks = []
        if outcome.passed > 0:
            warehouse = putaway.load_warehouse(conn, location["warehouse_id"], sku_id=i.sku_id,
                                               origin=putaway.origin_of(conn, i.location_id))
            put = putaway.item_for(conn, owner_id=i.owner_id, sku_id=i.sku_id, lot_id=i.lot_id,
                                   status=StockStatus.AVAILABLE, quantity=outcome.passed,
                                   receipt_type=receipt["type"] if receipt else None,
                                   whole_container=i.container_id is not None and outcome.passed == i.quantity)
            tasks.append(putaway.create_task(conn, warehouse, put, from_location_id=i.location_id,
                                             from_container_id=i.container_id, serial=i.serial,
                                             receipt_id=i.receipt_id))
        result = {"id": inspection_id, "posting_id": written.posting_id, "result": i.result.value,
                  "passed_quantity": outcome.passed, "damaged_quantity": outcome.damaged,
                  "returned_quantity": outcome.returned, "scrapped_quantity": outcome.scrapped,
                  "putaway_tasks": tasks}
        audit.record(conn, principal, "qc.inspect", "qc_inspection", inspection_id, after=result)
        return result
    try:
        return db.write(work)
    except DomainError as error:
        raise _entry_field(error) from None


def qc_queue(db: Database, principal: Principal, warehouse_id: int | None = None) -> list[Row]:
    """Stock waiting for inspection: QC-status balances in the principal's scope."""
    b = t.balance
    query = select(b.c.id, b.c.owner_id, b.c.sku_id, b.c.lot_id, b.c.serial, b.c.warehouse_id, b.c.location_id,
                   b.c.container_id, b.c.on_hand, b.c.updated_at).where(
        b.c.status == StockStatus.QC.value, b.c.on_hand > 0, ~b.c.is_virtual).order_by(b.c.id)
    if warehouse_id is not None:
        query = query.where(b.c.warehouse_id == warehouse_id)
    zones = None
    if principal.zone_ids is not None:
        zones = b.c.location_id.in_(select(t.location.c.id).where(t.location.c.zone_id.in_(sorted(principal.zone_ids))))
    clause = md.all_of(md.within(b.c.warehouse_id, principal.warehouse_ids),
                       md.within(b.c.owner_id, principal.owner_ids), zones)
    if clause is not None:
        query = query.where(clause)
    return db.read(lambda conn: [dict(r._mapping) for r in conn.execute(query)])


def _qc_scope(principal: Principal) -> md.Clause | None:
    b = t.balance
    zones = None
    if principal.zone_ids is not None:
        zones = b.c.location_id.in_(select(t.location.c.id).where(t.location.c.zone_id.in_(sorted(principal.zone_ids))))
    return md.all_of(md.within(b.c.warehouse_id, principal.warehouse_ids),
                     md.within(b.c.owner_id, principal.owner_ids), zones)


def _qc_query(principal: Principal) -> Any:
    b, loc, lot = t.balance, t.location, t.lot
    query = (select(b.c.id, b.c.owner_id, t.owner.c.code.label("owner"), b.c.sku_id, t.sku.c.code.label("sku"),
                    t.sku.c.name.label("sku_name"), b.c.lot_id, lot.c.number.label("lot"), b.c.serial,
                    b.c.warehouse_id, t.warehouse.c.code.label("warehouse"), b.c.location_id,
                    loc.c.code.label("location"), b.c.container_id, b.c.on_hand, b.c.updated_at)
             .join(t.owner, t.owner.c.id == b.c.owner_id).join(t.sku, t.sku.c.id == b.c.sku_id)
             .join(t.warehouse, t.warehouse.c.id == b.c.warehouse_id).join(loc, loc.c.id == b.c.location_id)
             .outerjoin(lot, lot.c.id == b.c.lot_id)
             .where(b.c.status == StockStatus.QC.value, b.c.on_hand > 0, ~b.c.is_virtual))
    clause = _qc_scope(principal)
    return query if clause is None else query.where(clause)


def qc_view(principal: Principal) -> View:
    """The QC queue for the console's list: the same balances as :func:`qc_queue`, with their names, the longest
    waiting first by default."""
    return View(_qc_query(principal), filters=("owner", "warehouse", "sku", "location"),
                search=("sku", "sku_name", "lot", "location"),
                sortable=("id", "owner", "sku", "lot", "warehouse", "location", "on_hand", "updated_at"),
                default_sort="updated_at")


def qc_item(db: Database, principal: Principal, balance_id: int) -> Row:
    """One stock item waiting for inspection, or 404 when it is not in QC or outside the principal's scope."""
    query = _qc_query(principal).where(t.balance.c.id == balance_id)
    row = db.read(lambda conn: conn.execute(query).first())
    if row is None:
        raise NotFound(f"no stock {balance_id} waits for inspection", field="balance_id")
    return dict(row._mapping)
