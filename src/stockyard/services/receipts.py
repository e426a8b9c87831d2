"""Receipt orders (ASN, 入库单): idempotent intake from outside systems, reading, cancelling and closing.

Closing writes the receipt-confirmation event to the outbox in the same transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from stockyard.db import tables as t
from stockyard.db.engine import Database, is_unique_violation
from stockyard.domain.access import Principal
from stockyard.domain.audit import canonical_json
from stockyard.domain.errors import Conflict, InvalidInput, NotFound
from stockyard.domain.inbound import ReceiptStatus, ReceiptType, check_can_cancel, check_can_close
from stockyard.domain.master import PackLevel
from stockyard.services import audit
from stockyard.services import masterdata as md
from stockyard.services.browse import View
from stockyard.services.document_lines import base_quantity, sku_of, skus_of, uom_of

Row = dict[str, Any]


@dataclass(frozen=True)
class NewReceiptLine:
    quantity: Decimal
    sku_id: int | None = None
    sku_code: str | None = None  # outside systems know their item codes, not our ids
    level: PackLevel = PackLevel.EACH
    lot: str | None = None
    expiry: date | None = None
    serials: Sequence[str] | None = None


@dataclass(frozen=True)
class NewReceipt:
    owner_id: int
    warehouse_id: int
    external_ref: str
    type: ReceiptType
    lines: Sequence[NewReceiptLine]
    supplier_id: int | None = None
    expected_date: date | None = None
    note: str | None = None


@dataclass(frozen=True)
class Intake:
    receipt: Row
    created: bool  # False: the same order had been sent before and this is it


def create_receipt(db: Database, principal: Principal, new: NewReceipt) -> Intake:
    """Take in a receipt order; the same (owner, external reference) with the same content is the same order,
    with different content a 409."""
    def work(conn: Connection) -> Intake:
        md.require(conn, principal, "owner_id", md.OWNER, new.owner_id)
        md.require(conn, principal, "warehouse_id", md.WAREHOUSE, new.warehouse_id)
        lines = _lines(conn, new)
        digest = _digest(new, lines)
        existing = _by_ref(conn, new.owner_id, new.external_ref)
        if existing is not None:
            return _same_or_conflict(conn, existing, digest)
        if new.supplier_id is not None:
            supplier = md.require(conn, principal, "supplier_id", md.SUPPLIER, new.supplier_id)
            if supplier["owner_id"] != new.owner_id:
                raise InvalidInput("the supplier belongs to another owner", field="supplier_id",
                                   code="unknown_supplier")
        now = datetime.now(UTC)
        try:
            with conn.begin_nested():
                receipt_id = conn.execute(insert(t.receipt).values(
                    owner_id=new.owner_id, warehouse_id=new.warehouse_id, external_ref=new.external_ref,
                    type=new.type.value, supplier_id=new.supplier_id, expected_date=new.expected_date,
                    status=ReceiptStatus.CREATED.value, content_hash=digest, note=new.note,
                    created_by=principal.name, created_at=now, updated_at=now).returning(t.receipt.c.id)).scalar_one()
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise
            # The same order arrived twice at the same moment: the first one stands.
            return _same_or_conflict(conn, _by_ref(conn, new.owner_id, new.external_ref), digest)
        conn.execute(insert(t.receipt_line), [{**line, "receipt_id": receipt_id} for line in lines])
        receipt = read(conn, receipt_id, blind=False)
        audit.record(conn, principal, "receipt.create", "receipt", receipt_id, after=receipt)
        return Intake(receipt, True)
    return db.write(work)


def _lines(conn: Connection, new: NewReceipt) -> list[Row]:
    if not new.lines:
        raise InvalidInput("a receipt has at least one line", field="lines")
    skus = skus_of(conn, new.owner_id, new.lines)
    rows = []
    for index, line in enumerate(new.lines):
        where = f"lines[{index}]"
        sku = sku_of(skus, line, where)
        base = base_quantity(sku, line.quantity, line.level, where)
        serials = list(line.serials or [])
        if serials and (not sku["serial_control"] or len(set(serials)) != len(serials) or len(serials) != base):
            raise InvalidInput("serials are listed for serial-controlled SKUs, once each, one per unit",
                               field=f"{where}.serials")
        rows.append({"line_no": index + 1, "sku_id": sku["id"], "expected_quantity": base,
                     "ordered_quantity": line.quantity, "ordered_uom": uom_of(sku, line.level),
                     "expected_lot": line.lot, "expected_expiry": line.expiry, "expected_serials": serials or None})
    return rows


def _digest(new: NewReceipt, lines: list[Row]) -> str:
    content = {"warehouse_id": new.warehouse_id, "type": new.type.value, "supplier_id": new.supplier_id,
               "expected_date": new.expected_date, "note": new.note,
               "lines": [{k: v for k, v in line.items() if k != "ordered_uom"} for line in lines]}
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def _by_ref(conn: Connection, owner_id: int, ref: str) -> Any:
    return conn.execute(select(t.receipt.c.id, t.receipt.c.content_hash).where(
        t.receipt.c.owner_id == owner_id, t.receipt.c.external_ref == ref)).first()


def _same_or_conflict(conn: Connection, existing: Any, digest: str) -> Intake:
    if existing.content_hash != digest:
        raise Conflict("a receipt with this external reference exists with other content", field="external_ref",
                       code="receipt_conflict", details={"receipt_id": existing.id})
    return Intake(read(conn, existing.id, blind=False), False)


# ---------------------------------------------------------------- reading


def get_receipt(db: Database, principal: Principal, receipt_id: int) -> Row:
    """A receipt with its lines and progress; expected quantities are hidden from receivers of a blind-receiving
    owner (they count what they see)."""
    def work(conn: Connection) -> Row:
        head = visible(conn, principal, receipt_id)
        return read(conn, receipt_id, blind=_blind_for(conn, principal, head["owner_id"]))
    return db.read(work)


def list_receipts(db: Database, principal: Principal, *, warehouse_id: int | None = None,
                  owner_id: int | None = None, status: str | None = None, receipt_type: str | None = None,
                  cursor: int | None = None, limit: int = 50) -> tuple[list[Row], int | None]:
    r = t.receipt
    query = select(r).order_by(r.c.id.desc()).limit(limit + 1)
    for column, value in ((r.c.warehouse_id, warehouse_id), (r.c.owner_id, owner_id), (r.c.status, status),
                          (r.c.type, receipt_type)):
        if value is not None:
            query = query.where(column == value)
    if cursor is not None:
        query = query.where(r.c.id < cursor)
    scope = md.all_of(md.within(r.c.warehouse_id, principal.warehouse_ids), md.within(r.c.owner_id,
                                                                                        principal.owner_ids))
    if scope is not None:
        query = query.where(scope)
    rows = [{k: v for k, v in row.items() if k != "content_hash"}
            for row in db.read(lambda conn: [dict(x._mapping) for x in conn.execute(query)])]
    page = rows[:limit]
    return page, (page[-1]["id"] if len(rows) > limit else None)


def receipt_view(principal: Principal) -> View:
    """Receipts in the caller's scope for the console's list, with expected and received totals per receipt,
    newest first by default."""
    r, line = t.receipt, t.receipt_line
    totals = (select(line.c.receipt_id, func.sum(line.c.expected_quantity).label("expected"),
                     func.sum(line.c.received_quantity).label("received"), func.count().label("lines"))
              .group_by(line.c.receipt_id).subquery())
    query = (select(r.c.id, r.c.external_ref, r.c.type, r.c.status, r.c.owner_id, t.owner.c.code.label("owner"),
                    r.c.warehouse_id, t.warehouse.c.code.label("warehouse"), r.c.expected_date, r.c.created_at,
                    func.coalesce(totals.c.lines, 0).label("lines"),
                    func.coalesce(totals.c.expected, 0).label("expected"),
                    func.coalesce(totals.c.received, 0).label("received"))
             .join(t.owner, t.owner.c.id == r.c.owner_id).join(t.warehouse, t.warehouse.c.id == r.c.warehouse_id)
             .outerjoin(totals, totals.c.receipt_id == r.c.id))
    scope = md.all_of(md.within(r.c.warehouse_id, principal.warehouse_ids), md.within(r.c.owner_id,
                                                                                        principal.owner_ids))
    if scope is not None:
        query = query.where(scope)
    return View(query, filters=("status", "type", "owner", "warehouse"), search=("external_ref",),
                sortable=("id", "external_ref", "type", "status", "owner", "warehouse", "expected_date",
                          "created_at", "expected", "received"),
                default_sort="id", default_desc=True)


def check_not_transfer(conn: Connection, receipt_id: int) -> None:
    """A transfer-in receipt of a transfer order is received and closed through the transfer (its stock comes
    out of in-transit, not from a supplier)."""
    transfer = conn.execute(select(t.transfer_order.c.id).where(t.transfer_order.c.receipt_id == receipt_id)).scalar()
    if transfer is not None:
        raise Conflict(f"this receipt belongs to transfer {transfer}; use the transfer's receive and close",
                       field="receipt_id", code="transfer_receipt", details={"transfer_id": transfer})


def visible(conn: Connection, principal: Principal, receipt_id: int, *, lock: bool = False) -> Row:
    """The receipt's head row, or 404 when it does not exist or lies outside the principal's scope."""
    query = select(t.receipt).where(t.receipt.c.id == receipt_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None or not (principal.scope.allows_warehouse(row.warehouse_id)
                           and principal.scope.allows_owner(row.owner_id)):
        raise NotFound(f"receipt {receipt_id} not found", field="receipt_id")
    return dict(row._mapping)


def _blind_for(conn: Connection, principal: Principal, owner_id: int) -> bool:
    if principal.can("inbound.manage"):
        return False
    return bool(conn.execute(select(t.owner.c.blind_receiving).where(t.owner.c.id == owner_id)).scalar())


def read(conn: Connection, receipt_id: int, *, blind: bool = False) -> Row:
    """A receipt with its lines and their progress (no scope check: see ``visible``)."""
    receipt = dict(conn.execute(select(t.receipt).where(t.receipt.c.id == receipt_id)).one()._mapping)
    receipt.pop("content_hash", None)
    lines = [dict(r._mapping) for r in conn.execute(
        select(t.receipt_line, t.sku.c.code.label("sku_code"), t.sku.c.name.label("sku_name"),
               t.sku.c.base_uom)
        .join(t.sku, t.sku.c.id == t.receipt_line.c.sku_id)
        .where(t.receipt_line.c.receipt_id == receipt_id).order_by(t.receipt_line.c.line_no))]
    for line in lines:
        line["open_quantity"] = max(line["expected_quantity"] - line["received_quantity"], Decimal(0))
        if blind:
            for name in ("expected_quantity", "ordered_quantity", "open_quantity", "expected_serials"):
                line[name] = None
    receipt["lines"] = lines
    receipt["blind"] = blind
    return receipt


# ---------------------------------------------------------------- cancelling and closing


def cancel_receipt(db: Database, principal: Principal, receipt_id: int) -> Row:
    """Cancel an order nothing was received on."""
    def work(conn: Connection) -> Row:
        before = visible(conn, principal, receipt_id, lock=True)
        check_not_transfer(conn, receipt_id)
        received = conn.execute(select(func.count()).select_from(t.receipt_event)
                                .where(t.receipt_event.c.receipt_id == receipt_id)).scalar_one()
        check_can_cancel(before["status"], received > 0)
        _set_status(conn, receipt_id, ReceiptStatus.CANCELLED)
        after = read(conn, receipt_id, blind=False)
        audit.record(conn, principal, "receipt.cancel", "receipt", receipt_id, before=before, after=after)
        return after
    return db.write(work)


@dataclass(frozen=True)
class Closed:
    receipt: Row
    discrepancies: list[Row] = field(default_factory=list)
    event_id: int = 0


def close_receipt(db: Database, principal: Principal, receipt_id: int) -> Closed:
    """Close the receipt: what was not received is a recorded discrepancy, and the receipt confirmation goes
    to the outbox for the outside system, in this same transaction."""
    def work(conn: Connection) -> Closed:
        before = visible(conn, principal, receipt_id, lock=True)
        check_not_transfer(conn, receipt_id)
        check_can_close(before["status"])
        _set_status(conn, receipt_id, ReceiptStatus.CLOSED, closed=True)
        after = read(conn, receipt_id, blind=False)
        payload = confirmation(conn, after)
        event_id = conn.execute(insert(t.outbox_event).values(
            topic="receipt.confirmed", owner_id=after["owner_id"], aggregate_type="receipt",
            aggregate_id=str(receipt_id), payload=payload, created_at=datetime.now(UTC))
            .returning(t.outbox_event.c.id)).scalar_one()
        audit.record(conn, principal, "receipt.close", "receipt", receipt_id, before=before,
                     after={"status": after["status"], "discrepancies": payload["discrepancies"]})
        return Closed(after, payload["discrepancies"], event_id)
    return db.write(work)


def _set_status(conn: Connection, receipt_id: int, status: ReceiptStatus, *, closed: bool = False) -> None:
    now = datetime.now(UTC)
    values: Row = {"status": status.value, "updated_at": now}
    if closed:
        values["closed_at"] = now
    conn.execute(update(t.receipt).where(t.receipt.c.id == receipt_id).values(**values))


def confirmation(conn: Connection, receipt: Row) -> Row:
    """The receipt-confirmation event: quantities per line, per lot and serial, discrepancies and QC results."""
    e, lot = t.receipt_event, t.lot
    received = conn.execute(
        select(e.c.receipt_line_id, lot.c.number, lot.c.expiry_date, e.c.serial,
               func.sum(e.c.quantity).label("quantity"), func.sum(e.c.damaged_quantity).label("damaged"))
        .outerjoin(lot, lot.c.id == e.c.lot_id).where(e.c.receipt_id == receipt["id"])
        .group_by(e.c.receipt_line_id, lot.c.number, lot.c.expiry_date, e.c.serial)
        .order_by(e.c.receipt_line_id, lot.c.number, e.c.serial)).all()
    by_line: dict[int, list[Row]] = {}
    for r in received:
        by_line.setdefault(r.receipt_line_id, []).append(
            {"lot": r.number, "expiry": r.expiry_date, "serial": r.serial, "quantity": r.quantity,
             "damaged": r.damaged})
    lines, discrepancies = [], []
    for line in receipt["lines"]:
        difference = line["received_quantity"] - line["expected_quantity"]
        entry = {"line_no": line["line_no"], "sku_code": line["sku_code"], "expected": line["expected_quantity"],
                 "received": line["received_quantity"], "damaged": line["damaged_quantity"],
                 "detail": by_line.get(line["id"], [])}
        lines.append(entry)
        if difference:
            discrepancies.append({"line_no": line["line_no"], "sku_code": line["sku_code"],
                                  "difference": difference, "kind": "over" if difference > 0 else "short"})
    q = t.qc_inspection
    qc = [dict(r._mapping) for r in conn.execute(
        select(q.c.sku_id, q.c.lot_id, lot.c.number.label("lot"), q.c.quantity, q.c.sampled_quantity, q.c.result,
               q.c.passed_quantity, q.c.damaged_quantity, q.c.returned_quantity, q.c.scrapped_quantity,
               q.c.inspector)
        .outerjoin(lot, lot.c.id == q.c.lot_id).where(q.c.receipt_id == receipt["id"]).order_by(q.c.id))]
    plain = {"receipt_id": receipt["id"], "external_ref": receipt["external_ref"], "owner_id": receipt["owner_id"],
             "warehouse_id": receipt["warehouse_id"], "type": receipt["type"], "closed_at": receipt["closed_at"],
             "lines": lines, "discrepancies": discrepancies, "qc": qc}
    # A JSON column: exact decimals and dates as text, as canonical JSON writes them.
    result: Row = json.loads(canonical_json(plain))
    return result
