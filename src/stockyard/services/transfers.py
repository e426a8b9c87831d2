"""Transfers between warehouses (调拨): create, ship, receive, close; reading them and what is in transit.

Each command is one transaction and at most one posting:

- ship: every line from its shelf to the source warehouse's in-transit location; the destination's receipt
  order (type ``transfer_in``) is written in the same transaction;
- receive: in-transit (of the source warehouse) → a dock of the destination, never more than was shipped; the
  transfer line and the transfer-in receipt line count it;
- close: what never arrived is written off from in-transit to the source warehouse's adjustment location
  (reason ``TRANSIT_LOSS``), the transfer-in receipt is closed, and ``transfer.closed`` goes to the outbox.

Rules are in ``domain/transfer.py``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from stockyard.db import ledger as repo
from stockyard.db import tables as t
from stockyard.db.engine import Database, is_unique_violation
from stockyard.domain.access import Principal
from stockyard.domain.audit import canonical_json
from stockyard.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from stockyard.domain.inbound import ReceiptStatus, ReceiptType
from stockyard.domain.quantity import check_quantity
from stockyard.domain.stock import Bucket, Movement, PostingRequest, StockItem, StockStatus, VirtualKind, check_serial
from stockyard.domain.transfer import (
    TRANSIT_LOSS,
    TransferStatus,
    check_can_close,
    check_can_receive,
    check_can_ship,
    check_line,
    check_receivable,
    check_warehouses,
    discrepancies,
    in_transit,
    status_after_receiving,
)
from stockyard.services import audit, ledger, putaway
from stockyard.services import masterdata as md
from stockyard.services.browse import View

Row = dict[str, Any]

DOC_TYPE = "transfer"

LPN_LENGTH = 32  # as the container table keeps it


# ---------------------------------------------------------------- creating


@dataclass(frozen=True)
class NewTransferLine:
    sku_id: int
    quantity: Decimal  # base units
    from_location_id: int
    lot_id: int | None = None
    serial: str | None = None


@dataclass(frozen=True)
class NewTransfer:
    owner_id: int
    from_warehouse_id: int
    to_warehouse_id: int
    external_ref: str
    lines: Sequence[NewTransferLine]


@dataclass(frozen=True)
class Intake:
    transfer: Row
    created: bool  # False: the same transfer had been sent before and this is it


def create_transfer(db: Database, principal: Principal, new: NewTransfer) -> Intake:
    """Take in a transfer order; the same (owner, external reference) with the same content is the same order,
    with different content a 409 ``transfer_conflict``. Owner and both warehouses must lie in the caller's
    scope."""
    def work(conn: Connection) -> Intake:
        md.require(conn, principal, "owner_id", md.OWNER, new.owner_id)
        md.require(conn, principal, "from_warehouse_id", md.WAREHOUSE, new.from_warehouse_id)
        md.require(conn, principal, "to_warehouse_id", md.WAREHOUSE, new.to_warehouse_id)
        check_warehouses(new.from_warehouse_id, new.to_warehouse_id)
        existing = _by_ref(conn, new.owner_id, new.external_ref)
        if existing is not None:
            return _same_or_conflict(conn, principal, existing, new)
        lines = _checked_lines(conn, principal, new)
        now = datetime.now(UTC)
        try:
            with conn.begin_nested():
                transfer_id = int(conn.execute(insert(t.transfer_order).values(
                    owner_id=new.owner_id, from_warehouse_id=new.from_warehouse_id,
                    to_warehouse_id=new.to_warehouse_id, external_ref=new.external_ref,
                    status=TransferStatus.CREATED.value, created_by=principal.name, created_at=now,
                    updated_at=now).returning(t.transfer_order.c.id)).scalar_one())
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise
            # The same order arrived twice at the same moment: the first one stands.
            return _same_or_conflict(conn, principal, _by_ref(conn, new.owner_id, new.external_ref), new)
        conn.execute(insert(t.transfer_line), [{**line, "transfer_id": transfer_id} for line in lines])
        transfer = read(conn, transfer_id)
        audit.record(conn, principal, "transfer.create", "transfer", transfer_id, after=transfer)
        return Intake(transfer, True)
    return db.write(work)


def _checked_lines(conn: Connection, principal: Principal, new: NewTransfer) -> list[Row]:
    if not new.lines:
        raise InvalidInput("a transfer has at least one line", field="lines")
    skus = _in_scope(conn, principal, md.SKU, (line.sku_id for line in new.lines))
    locations = _in_scope(conn, principal, md.LOCATION, (line.from_location_id for line in new.lines))
    lots = _in_scope(conn, principal, md.LOT, (line.lot_id for line in new.lines if line.lot_id is not None))
    rows, serials = [], set()
    for index, line in enumerate(new.lines):
        where = f"lines[{index}]"
        sku = skus.get(line.sku_id)
        if sku is None or not sku["active"] or sku["owner_id"] != new.owner_id:
            raise InvalidInput(f"SKU {line.sku_id} of this owner does not exist or is inactive",
                               field=f"{where}.sku_id", code="unknown_sku")
        location = locations.get(line.from_location_id)
        if (location is None or not location["active"] or location["virtual_kind"]
                or location["warehouse_id"] != new.from_warehouse_id):
            raise InvalidInput(f"location {line.from_location_id} is not a location of the source warehouse",
                               field=f"{where}.from_location_id", code="unknown_location")
        if line.lot_id is not None:
            lot = lots.get(line.lot_id)
            if lot is None or not lot["active"] or lot["sku_id"] != line.sku_id:
                raise InvalidInput(f"lot {line.lot_id} is not a lot of the SKU", field=f"{where}.lot_id",
                                   code="unknown_lot")
        quantity = check_quantity(line.quantity, decimals=sku["decimals"], field=f"{where}.quantity")
        if line.serial is not None:
            check_serial(line.serial, field=f"{where}.serial")
            if (line.sku_id, line.serial) in serials:
                raise InvalidInput(f"serial {line.serial} is on two lines", field=f"{where}.serial",
                                   code="duplicate_serial")
            serials.add((line.sku_id, line.serial))
        check_line(sku, line.lot_id, line.serial, quantity, where)
        rows.append({"line_no": index + 1, "sku_id": line.sku_id, "lot_id": line.lot_id, "serial": line.serial,
                     "from_location_id": line.from_location_id, "quantity": quantity,
                     "shipped_quantity": Decimal(0), "received_quantity": Decimal(0)})
    return rows


def _in_scope(conn: Connection, principal: Principal, entity: md.Entity, ids: Iterable[int]) -> dict[int, Row]:
    """The records of ``ids`` that exist and lie in the principal's scope, by id: one query for any number."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = select(entity.table).where(entity.table.c.id.in_(wanted))
    clause = md.scope_filter(entity, principal)
    if clause is not None:
        query = query.where(clause)
    return {int(r.id): dict(r._mapping) for r in conn.execute(query)}


def _by_ref(conn: Connection, owner_id: int, ref: str) -> Any:
    return conn.execute(select(t.transfer_order).where(t.transfer_order.c.owner_id == owner_id,
                                                       t.transfer_order.c.external_ref == ref)).first()


def _content(from_warehouse_id: int, to_warehouse_id: int, lines: Iterable[Any]) -> tuple[Any, ...]:
    return (from_warehouse_id, to_warehouse_id,
            tuple((line.sku_id, line.lot_id, line.serial, line.from_location_id, Decimal(line.quantity))
                  for line in lines))


def _same_or_conflict(conn: Connection, principal: Principal, existing: Any, new: NewTransfer) -> Intake:
    stored = conn.execute(select(t.transfer_line).where(t.transfer_line.c.transfer_id == existing.id)
                          .order_by(t.transfer_line.c.line_no)).all()
    if _content(existing.from_warehouse_id, existing.to_warehouse_id, stored) != _content(
            new.from_warehouse_id, new.to_warehouse_id, new.lines):
        seen = _sees(principal, existing.owner_id, existing.from_warehouse_id, existing.to_warehouse_id)
        raise Conflict("a transfer with this external reference exists with other content", field="external_ref",
                       code="transfer_conflict", details={"transfer_id": existing.id} if seen else {})
    return Intake(read(conn, existing.id), False)


# ---------------------------------------------------------------- shipping


def ship(db: Database, principal: Principal, transfer_id: int) -> Row:
    """Ship every line whole, in one posting from its shelf to the source warehouse's in-transit location, and
    write the destination's transfer-in receipt order; a shortage refuses it all, naming the line."""
    def work(conn: Connection) -> Row:
        head = visible(conn, principal, transfer_id, lock=True)
        check_can_ship(head["status"])
        md.require(conn, principal, "from_warehouse_id", md.WAREHOUSE, head["from_warehouse_id"])
        before = read(conn, transfer_id)
        lines = before["lines"]
        shelves = _in_scope(conn, principal, md.LOCATION, (line["from_location_id"] for line in lines))
        for index, line in enumerate(lines):
            if line["from_location_id"] not in shelves:
                raise InvalidInput(f"location {line['from_location_id']} does not exist",
                                   field=f"lines[{index}].from_location_id", code="unknown_location")
        transit = repo.virtual_location_id(conn, head["from_warehouse_id"], VirtualKind.IN_TRANSIT)
        movements = [Movement(_item(head, line), Bucket(line["from_location_id"]), Bucket(transit), line["quantity"])
                     for line in lines]
        try:
            written = ledger.post_in(conn, PostingRequest("TRANSFER_OUT", movements, doc_type=DOC_TYPE,
                                                          doc_ref=head["external_ref"], user=principal.name))
        except DomainError as error:
            raise _as_line_field(error) from None
        tl = t.transfer_line
        conn.execute(update(tl).where(tl.c.transfer_id == transfer_id).values(shipped_quantity=tl.c.quantity))
        shipped = [{**line, "shipped_quantity": line["quantity"]} for line in lines]
        receipt_id = _write_receipt(conn, principal, head, shipped)
        conn.execute(update(t.transfer_order).where(t.transfer_order.c.id == transfer_id).values(
            status=TransferStatus.SHIPPED.value, ship_posting_id=written.posting_id, receipt_id=receipt_id,
            updated_at=datetime.now(UTC)))
        after = read(conn, transfer_id)
        audit.record(conn, principal, "transfer.ship", "transfer", transfer_id, before=before, after=after)
        return after
    return db.write(work)


def _item(head: Row, line: Row) -> StockItem:
    return StockItem(head["owner_id"], line["sku_id"], line["lot_id"], line["serial"])


def _as_line_field(error: DomainError) -> DomainError:
    """The ship posting has one movement per line, in line order: ``movements[2].x`` is ``lines[2].x``."""
    if error.field and error.field.startswith("movements["):
        error.field = "lines[" + error.field.removeprefix("movements[")
    return error


def receipt_ref(transfer_id: int) -> str:
    return f"TR-{transfer_id}"


def _write_receipt(conn: Connection, principal: Principal, head: Row, lines: Sequence[Row]) -> int:
    """The destination's receipt order of type transfer_in, written as ``receipts.create_receipt`` writes one
    (same columns, status created), inside the shipping transaction: the shipped quantities, with the lots as
    expected lots and the serials as expected serials."""
    lot_ids = sorted({line["lot_id"] for line in lines if line["lot_id"] is not None})
    lots = {r.id: r for r in conn.execute(select(t.lot.c.id, t.lot.c.number, t.lot.c.expiry_date)
                                          .where(t.lot.c.id.in_(lot_ids)))} if lot_ids else {}
    rows = []
    for line in lines:
        lot = lots.get(line["lot_id"])
        rows.append({"line_no": line["line_no"], "sku_id": line["sku_id"],
                     "expected_quantity": line["shipped_quantity"], "ordered_quantity": line["shipped_quantity"],
                     "ordered_uom": line["base_uom"], "expected_lot": lot.number if lot else None,
                     "expected_expiry": lot.expiry_date if lot else None,
                     "expected_serials": [line["serial"]] if line["serial"] else None})
    ref = receipt_ref(head["id"])
    digest = hashlib.sha256(canonical_json({"transfer_id": head["id"], "lines": rows}).encode()).hexdigest()
    now = datetime.now(UTC)
    try:
        with conn.begin_nested():
            receipt_id = int(conn.execute(insert(t.receipt).values(
                owner_id=head["owner_id"], warehouse_id=head["to_warehouse_id"], external_ref=ref,
                type=ReceiptType.TRANSFER_IN.value, supplier_id=None, expected_date=None,
                status=ReceiptStatus.CREATED.value, content_hash=digest,
                note=f"transfer {head['external_ref']} from warehouse {head['from_warehouse_id']}"[:500],
                created_by=principal.name, created_at=now, updated_at=now).returning(t.receipt.c.id)).scalar_one())
    except IntegrityError as error:
        if not is_unique_violation(error):
            raise
        raise Conflict(f"the owner already has a receipt {ref}; the transfer-in receipt cannot be written",
                       field="transfer_id", code="receipt_ref_taken") from None
    conn.execute(insert(t.receipt_line), [{**row, "receipt_id": receipt_id} for row in rows])
    return receipt_id


# ---------------------------------------------------------------- receiving


@dataclass(frozen=True)
class Receive:
    """One receiving entry at the destination: a line (by number, or by SKU and lot / serial), how much, where."""

    location_id: int  # a dock of the destination warehouse
    quantity: Decimal | None = None  # base units; one for a serial when not given
    line_no: int | None = None
    sku_id: int | None = None
    lot_id: int | None = None
    serial: str | None = None
    container_id: int | None = None
    lpn: str | None = None  # a new or existing licence plate of the destination warehouse


def receive(db: Database, principal: Principal, transfer_id: int, entry: Receive) -> Row:
    """Receive shipped stock at the destination: one posting out of the source warehouse's in-transit location
    into the dock (as available stock, with its putaway task); never more than was shipped."""
    def work(conn: Connection) -> Row:
        head = visible(conn, principal, transfer_id, lock=True)
        check_can_receive(head["status"])
        dock = _dock(conn, principal, head, entry.location_id)
        lines = _lines(conn, transfer_id, lock=True)
        line = _line_for(lines, entry)
        quantity = entry.quantity
        if quantity is None:
            if line["serial"] is None:
                raise InvalidInput("how many arrived?", field="quantity")
            quantity = Decimal(1)
        check_receivable(line["shipped_quantity"], line["received_quantity"], quantity)
        container_id = _container(conn, principal, head, entry)
        transit = repo.virtual_location_id(conn, head["from_warehouse_id"], VirtualKind.IN_TRANSIT)
        target = Bucket(dock["id"], container_id, StockStatus.AVAILABLE)
        try:
            written = ledger.post_in(conn, PostingRequest(
                "TRANSFER_IN", [Movement(_item(head, line), Bucket(transit), target, quantity)], doc_type=DOC_TYPE,
                doc_ref=head["external_ref"], user=principal.name))
        except DomainError as error:
            raise _as_entry_field(error) from None
        _count(conn, principal, head, line, quantity, dock["id"], container_id, written.posting_id)
        lines = _lines(conn, transfer_id)
        status = status_after_receiving(lines)
        if status != head["status"]:
            conn.execute(update(t.transfer_order).where(t.transfer_order.c.id == transfer_id).values(
                status=status.value, updated_at=datetime.now(UTC)))
        tasks = _putaway(conn, head, line, quantity, dock["id"], container_id)
        after = next(x for x in lines if x["id"] == line["id"])
        result = {"transfer_id": transfer_id, "status": status.value, "line_no": line["line_no"],
                  "sku_id": line["sku_id"], "lot_id": line["lot_id"], "serial": line["serial"],
                  "quantity": quantity, "location_id": dock["id"], "container_id": container_id,
                  "posting_id": written.posting_id, "receipt_id": head["receipt_id"],
                  "shipped_quantity": after["shipped_quantity"], "received_quantity": after["received_quantity"],
                  "in_transit_quantity": in_transit(after), "putaway_tasks": tasks}
        audit.record(conn, principal, "transfer.receive", "transfer", transfer_id,
                     before={"line_no": line["line_no"], "received_quantity": line["received_quantity"],
                             "status": head["status"]}, after=result)
        return result
    return db.write(work)


def _dock(conn: Connection, principal: Principal, head: Row, location_id: int) -> Row:
    return md.require_shelf(conn, principal, "location_id", location_id, head["to_warehouse_id"])


def _line_for(lines: Sequence[Row], entry: Receive) -> Row:
    """The line received against: by number (checked against the SKU, lot and serial given), else the line of the
    serial scanned, else the first line of the SKU (and lot / serial) with something still in transit, else its
    last one."""
    if entry.line_no is not None:
        line = next((x for x in lines if x["line_no"] == entry.line_no), None)
        if line is None:
            raise InvalidInput(f"line {entry.line_no} is not on this transfer", field="line_no", code="unknown_line")
        for name in ("sku_id", "lot_id", "serial"):
            given = getattr(entry, name)
            if given is not None and given != line[name]:
                raise InvalidInput(f"line {entry.line_no} has another {name.removesuffix('_id')}", field=name,
                                   code=f"wrong_{name.removesuffix('_id')}")
        return line
    if entry.sku_id is None and entry.serial is not None:  # a serial scanned names its line on its own
        by_serial = [x for x in lines if x["serial"] == entry.serial]
        if not by_serial:
            raise InvalidInput(f"serial {entry.serial} is not on this transfer", field="serial",
                               code="wrong_serial")
        return by_serial[0]
    if entry.sku_id is None:
        raise InvalidInput("give line_no, sku_id or serial", field="line_no")
    of_sku = [x for x in lines if x["sku_id"] == entry.sku_id]
    if not of_sku:
        raise InvalidInput("this SKU is not on the transfer", field="sku_id", code="sku_not_on_transfer")
    for name in ("lot_id", "serial"):
        given = getattr(entry, name)
        if given is not None:
            of_sku = [x for x in of_sku if x[name] == given]
            if not of_sku:
                raise InvalidInput(f"no line of this SKU has that {name.removesuffix('_id')}", field=name,
                                   code=f"wrong_{name.removesuffix('_id')}")
    return next((x for x in of_sku if in_transit(x) > 0), of_sku[-1])


def _container(conn: Connection, principal: Principal, head: Row, entry: Receive) -> int | None:
    """The container (LPN) received into, by id or by licence plate (created in the destination when new)."""
    if entry.container_id is not None:
        container = md.require(conn, principal, "container_id", md.CONTAINER, entry.container_id)
        if container["warehouse_id"] != head["to_warehouse_id"]:
            raise InvalidInput("the container is in another warehouse", field="container_id",
                               code="unknown_container")
        return entry.container_id
    if entry.lpn is None:
        return None
    if not 0 < len(entry.lpn) <= LPN_LENGTH:
        raise InvalidInput(f"an LPN has 1 to {LPN_LENGTH} characters", field="lpn")
    c = t.container
    row = conn.execute(select(c.c.id, c.c.warehouse_id, c.c.active).where(
        (c.c.lpn == entry.lpn) | (c.c.sscc == entry.lpn))).first()
    if row is not None:
        if row.warehouse_id != head["to_warehouse_id"] or not row.active:
            raise InvalidInput(f"container {entry.lpn} belongs to another warehouse or is inactive", field="lpn",
                               code="unknown_container")
        return int(row.id)
    now = datetime.now(UTC)
    return int(conn.execute(insert(c).values(warehouse_id=head["to_warehouse_id"], lpn=entry.lpn, kind="pallet",
                                             created_at=now, updated_at=now).returning(c.c.id)).scalar_one())


def _as_entry_field(error: DomainError) -> DomainError:
    """Name the entry's fields, not the posting's (``movements[0].to_location_id`` is ``location_id``)."""
    if error.field and error.field.startswith("movements["):
        rest = error.field.split("].", 1)[-1]
        error.field = {"to_location_id": "location_id", "to_container_id": "container_id"}.get(rest, rest)
    return error


def _count(conn: Connection, principal: Principal, head: Row, line: Row, quantity: Decimal, location_id: int,
           container_id: int | None, posting_id: int) -> None:
    """Count the arrival on the transfer line and on the transfer-in receipt (line, status and receiving event)."""
    tl, rl = t.transfer_line, t.receipt_line
    conn.execute(update(tl).where(tl.c.id == line["id"]).values(received_quantity=tl.c.received_quantity + quantity))
    receipt_id = head["receipt_id"]
    receipt_line_id = conn.execute(select(rl.c.id).where(rl.c.receipt_id == receipt_id,
                                                         rl.c.line_no == line["line_no"])).scalar_one()
    conn.execute(update(rl).where(rl.c.id == receipt_line_id).values(
        received_quantity=rl.c.received_quantity + quantity))
    now = datetime.now(UTC)
    conn.execute(update(t.receipt).where(t.receipt.c.id == receipt_id,
                                         t.receipt.c.status == ReceiptStatus.CREATED.value).values(
        status=ReceiptStatus.RECEIVING.value, updated_at=now))
    conn.execute(insert(t.receipt_event).values(
        receipt_id=receipt_id, receipt_line_id=receipt_line_id, posting_id=posting_id, lot_id=line["lot_id"],
        serial=line["serial"], quantity=quantity, damaged_quantity=Decimal(0), status=StockStatus.AVAILABLE.value,
        location_id=location_id, container_id=container_id, user_name=principal.name, created_at=now))


def _putaway(conn: Connection, head: Row, line: Row, quantity: Decimal, location_id: int,
             container_id: int | None) -> list[Row]:
    """The putaway task of what arrived, as receiving makes one for available stock."""
    warehouse = putaway.load_warehouse(conn, head["to_warehouse_id"], sku_id=line["sku_id"],
                                       origin=putaway.origin_of(conn, location_id))
    item = putaway.item_for(conn, owner_id=head["owner_id"], sku_id=line["sku_id"], lot_id=line["lot_id"],
                            status=StockStatus.AVAILABLE, quantity=quantity,
                            receipt_type=ReceiptType.TRANSFER_IN.value, whole_container=container_id is not None)
    return [putaway.create_task(conn, warehouse, item, from_location_id=location_id, from_container_id=container_id,
                                serial=line["serial"], receipt_id=head["receipt_id"])]


# ---------------------------------------------------------------- closing


def close(db: Database, principal: Principal, transfer_id: int) -> Row:
    """Close the transfer: shipped − received per line is its discrepancy; what was lost in transit is written
    off from in-transit to the source warehouse's adjustment location (reason TRANSIT_LOSS), the transfer-in
    receipt is closed, and ``transfer.closed`` goes to the outbox, all in one transaction."""
    def work(conn: Connection) -> Row:
        head = visible(conn, principal, transfer_id, lock=True)
        check_can_close(head["status"])
        md.require(conn, principal, "from_warehouse_id", md.WAREHOUSE, head["from_warehouse_id"])
        md.require(conn, principal, "to_warehouse_id", md.WAREHOUSE, head["to_warehouse_id"])
        before = read(conn, transfer_id)
        lost = discrepancies(before["lines"])
        loss_postings = _write_off(conn, principal, head, before["lines"]) if lost else []
        now = datetime.now(UTC)
        conn.execute(update(t.transfer_order).where(t.transfer_order.c.id == transfer_id).values(
            status=TransferStatus.CLOSED.value, updated_at=now))
        r = t.receipt
        conn.execute(update(r).where(r.c.id == head["receipt_id"], r.c.status.in_(
            [ReceiptStatus.CREATED.value, ReceiptStatus.RECEIVING.value])).values(
            status=ReceiptStatus.CLOSED.value, closed_at=now, updated_at=now))
        after = read(conn, transfer_id)
        payload = _closed_event(after, loss_postings)
        event_id = int(conn.execute(insert(t.outbox_event).values(
            topic="transfer.closed", owner_id=head["owner_id"], aggregate_type="transfer",
            aggregate_id=str(transfer_id), payload=payload, created_at=now).returning(t.outbox_event.c.id))
            .scalar_one())
        result = {**after, "loss_posting_ids": loss_postings, "event_id": event_id}
        audit.record(conn, principal, "transfer.close", "transfer", transfer_id, before=before,
                     after={"status": after["status"], "discrepancies": after["discrepancies"],
                            "loss_posting_ids": loss_postings})
        return result
    return db.write(work)


def _write_off(conn: Connection, principal: Principal, head: Row, lines: Sequence[Row]) -> list[int]:
    """Write what was lost off from in-transit to the source warehouse's adjustment location (TRANSIT_LOSS).

    The ledger wants a physical location on one side of every movement and lets a serial appear once per
    posting, so the loss takes two postings in this transaction: in-transit → the line's source shelf, then that
    shelf → adjustment. Nobody sees the shelf in between; its balance ends as it was."""
    transit = repo.virtual_location_id(conn, head["from_warehouse_id"], VirtualKind.IN_TRANSIT)
    adjustment = repo.virtual_location_id(conn, head["from_warehouse_id"], VirtualKind.ADJUSTMENT)
    lost = [(index, line, in_transit(line)) for index, line in enumerate(lines) if in_transit(line) > 0]
    back = [Movement(_item(head, line), Bucket(transit), Bucket(line["from_location_id"]), quantity)
            for _, line, quantity in lost]
    off = [Movement(_item(head, line), Bucket(line["from_location_id"]), Bucket(adjustment), quantity)
           for _, line, quantity in lost]
    written = []
    for movements in (back, off):
        try:
            written.append(ledger.post_in(conn, PostingRequest(TRANSIT_LOSS, movements, doc_type=DOC_TYPE,
                                                               doc_ref=head["external_ref"], user=principal.name)))
        except DomainError as error:
            if error.field and error.field.startswith("movements["):
                position = int(error.field.removeprefix("movements[").split("]", 1)[0])
                error.field = f"lines[{lost[position][0]}]" + error.field.split("]", 1)[1]
            raise
    return [w.posting_id for w in written]


def _closed_event(transfer: Row, loss_postings: list[int]) -> Row:
    plain = {"transfer_id": transfer["id"], "external_ref": transfer["external_ref"],
             "owner_id": transfer["owner_id"], "from_warehouse_id": transfer["from_warehouse_id"],
             "to_warehouse_id": transfer["to_warehouse_id"], "receipt_id": transfer["receipt_id"],
             "closed_at": transfer["updated_at"], "loss_posting_ids": loss_postings,
             "lines": [{"line_no": x["line_no"], "sku_code": x["sku_code"], "lot": x["lot_number"],
                        "serial": x["serial"], "shipped": x["shipped_quantity"], "received": x["received_quantity"]}
                       for x in transfer["lines"]],
             "discrepancies": transfer["discrepancies"]}
    # A JSON column: exact decimals and dates as text, as canonical JSON writes them.
    result: Row = json.loads(canonical_json(plain))
    return result


# ---------------------------------------------------------------- reading


def _sees(principal: Principal, owner_id: int, from_warehouse_id: int, to_warehouse_id: int) -> bool:
    return principal.scope.allows_owner(owner_id) and (principal.scope.allows_warehouse(from_warehouse_id)
                                                        or principal.scope.allows_warehouse(to_warehouse_id))


def visible(conn: Connection, principal: Principal, transfer_id: int, *, lock: bool = False) -> Row:
    """The transfer's head row, or 404 when it does not exist or lies outside the principal's scope (visible:
    its owner and either of its warehouses in scope)."""
    query = select(t.transfer_order).where(t.transfer_order.c.id == transfer_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None or not _sees(principal, row.owner_id, row.from_warehouse_id, row.to_warehouse_id):
        raise NotFound(f"transfer {transfer_id} not found", field="transfer_id")
    return dict(row._mapping)


def _scope_clause(principal: Principal) -> md.Clause | None:
    o = t.transfer_order
    either = None
    if principal.warehouse_ids is not None:
        ids = sorted(principal.warehouse_ids)
        either = or_(o.c.from_warehouse_id.in_(ids), o.c.to_warehouse_id.in_(ids))
    return md.all_of(md.within(o.c.owner_id, principal.owner_ids), either)


def _lines(conn: Connection, transfer_id: int, *, lock: bool = False) -> list[Row]:
    tl, lot, loc = t.transfer_line, t.lot, t.location
    query = (select(tl, t.sku.c.code.label("sku_code"), t.sku.c.name.label("sku_name"), t.sku.c.base_uom,
                    lot.c.number.label("lot_number"), loc.c.code.label("from_location_code"))
             .join(t.sku, t.sku.c.id == tl.c.sku_id).outerjoin(lot, lot.c.id == tl.c.lot_id)
             .join(loc, loc.c.id == tl.c.from_location_id)
             .where(tl.c.transfer_id == transfer_id).order_by(tl.c.line_no))
    if lock:
        query = query.with_for_update(of=tl)
    return [dict(r._mapping) for r in conn.execute(query)]


def read(conn: Connection, transfer_id: int) -> Row:
    """A transfer with its lines: shipped, received, still in transit and the discrepancy per line (no scope
    check: see ``visible``)."""
    transfer = dict(conn.execute(select(t.transfer_order).where(t.transfer_order.c.id == transfer_id)).one()
                    ._mapping)
    lines = _lines(conn, transfer_id)
    moving = transfer["status"] in (TransferStatus.SHIPPED, TransferStatus.RECEIVED)
    for line in lines:
        line["in_transit_quantity"] = in_transit(line) if moving else Decimal(0)
        line["discrepancy"] = line["shipped_quantity"] - line["received_quantity"]
    transfer["lines"] = lines
    transfer["discrepancies"] = discrepancies(lines)
    return transfer


def get_transfer(db: Database, principal: Principal, transfer_id: int) -> Row:
    def work(conn: Connection) -> Row:
        visible(conn, principal, transfer_id)
        return read(conn, transfer_id)
    return db.read(work)


def list_transfers(db: Database, principal: Principal, *, warehouse_id: int | None = None,
                   owner_id: int | None = None, status: str | None = None, cursor: int | None = None,
                   limit: int = 50) -> tuple[list[Row], int | None]:
    """Transfers, newest first; ``warehouse_id`` matches either end."""
    o = t.transfer_order
    query = select(o).order_by(o.c.id.desc()).limit(limit + 1)
    if warehouse_id is not None:
        query = query.where(or_(o.c.from_warehouse_id == warehouse_id, o.c.to_warehouse_id == warehouse_id))
    for column, value in ((o.c.owner_id, owner_id), (o.c.status, status)):
        if value is not None:
            query = query.where(column == value)
    if cursor is not None:
        query = query.where(o.c.id < cursor)
    clause = _scope_clause(principal)
    if clause is not None:
        query = query.where(clause)
    rows = db.read(lambda conn: [dict(x._mapping) for x in conn.execute(query)])
    page = rows[:limit]
    return page, (page[-1]["id"] if len(rows) > limit else None)


def list_in_transit(db: Database, principal: Principal, *, warehouse_id: int | None = None) -> list[Row]:
    """Per transfer line, what is shipped and not yet received, of open transfers from or to the warehouse:
    ``direction`` says which (``outbound`` from it, ``inbound`` to it)."""
    o, tl, lot = t.transfer_order, t.transfer_line, t.lot
    query = (select(o.c.id.label("transfer_id"), o.c.external_ref, o.c.owner_id, o.c.from_warehouse_id,
                    o.c.to_warehouse_id, o.c.status, o.c.receipt_id, tl.c.line_no, tl.c.sku_id,
                    t.sku.c.code.label("sku_code"), tl.c.lot_id, lot.c.number.label("lot_number"), tl.c.serial,
                    tl.c.shipped_quantity, tl.c.received_quantity)
             .join(tl, tl.c.transfer_id == o.c.id).join(t.sku, t.sku.c.id == tl.c.sku_id)
             .outerjoin(lot, lot.c.id == tl.c.lot_id)
             .where(o.c.status.in_([TransferStatus.SHIPPED.value, TransferStatus.RECEIVED.value]),
                    tl.c.shipped_quantity > tl.c.received_quantity)
             .order_by(o.c.id, tl.c.line_no))
    if warehouse_id is not None:
        query = query.where(or_(o.c.from_warehouse_id == warehouse_id, o.c.to_warehouse_id == warehouse_id))
    clause = _scope_clause(principal)
    if clause is not None:
        query = query.where(clause)
    rows = db.read(lambda conn: [dict(r._mapping) for r in conn.execute(query)])
    for row in rows:
        row["in_transit_quantity"] = in_transit(row)
        row["direction"] = None if warehouse_id is None else (
            "outbound" if row["from_warehouse_id"] == warehouse_id else "inbound")
    return rows


def transfer_view(principal: Principal) -> View:
    """Transfers between warehouses for the console's list, newest first, scoped like :func:`list_transfers`."""
    o = t.transfer_order
    src, dst = t.warehouse.alias("src"), t.warehouse.alias("dst")
    query = (select(o.c.id, o.c.external_ref, t.owner.c.code.label("owner"), src.c.code.label("from_warehouse"),
                    dst.c.code.label("to_warehouse"), o.c.status, o.c.created_by, o.c.created_at, o.c.updated_at,
                    o.c.owner_id)
             .join(t.owner, t.owner.c.id == o.c.owner_id).join(src, src.c.id == o.c.from_warehouse_id)
             .join(dst, dst.c.id == o.c.to_warehouse_id))
    clause = _scope_clause(principal)
    if clause is not None:
        query = query.where(clause)
    return View(query, filters=("status", "owner_id", "from_warehouse", "to_warehouse"),
                search=("external_ref", "owner", "from_warehouse", "to_warehouse"),
                sortable=("id", "external_ref", "owner", "status", "created_at", "updated_at"), default_sort="id",
                default_desc=True)
