"""After picking: sorting to the put wall (播种), checking (复核) and packing (打包) orders into packages, weighing
them, confirming the shipment (发货), and the outbound documents (pick list, packing list, shipping label).

Rules are in ``domain/packing.py``. Every command locks the order's row first (the wave's for sorting), so scans
of one order take turns, and writes its rows and its audit entry in one transaction. Only shipping touches the
ledger: one posting moves what was picked from staging to the warehouse's customer location and gives back
every reservation the order still holds."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, case, delete, func, insert, select, update

from stockyard.config import get_settings
from stockyard.db import ledger as repo
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.documents.outbound import (
    PackingList,
    PackingListItem,
    PackingListPackage,
    PickList,
    PickListLine,
    ShippingLabel,
    packing_list_pdf,
    pick_list_pdf,
    shipping_label_pdf,
    shipping_label_zpl,
    wave_pick_lists_pdf,
)
from stockyard.domain.access import Principal
from stockyard.domain.allocation import OrderStatus, OrderType, Rule
from stockyard.domain.audit import canonical_json
from stockyard.domain.errors import Conflict, InvalidInput, NotFound
from stockyard.domain.gs1 import Scan, parse_scan
from stockyard.domain.master import PackLevel, check_sscc, to_base
from stockyard.domain.packing import (
    CANCELLED,
    PACKED,
    PICKED,
    SHIPPED,
    PackageStatus,
    PackLine,
    SlotLine,
    add_weight,
    backorder_ref,
    check_can_close,
    check_can_pack,
    check_can_ship,
    check_can_sort,
    check_weight,
    choose_pack_line,
    choose_slot,
    mismatch_message,
    order_packed,
    settle,
    slot_full,
)
from stockyard.domain.quantity import check_measure
from stockyard.domain.stock import AllocationChange, Bucket, Movement, PostingRequest, StockItem, VirtualKind
from stockyard.services import audit, ledger, orders, picking, scanning, waves
from stockyard.services import masterdata as md
from stockyard.services.browse import View
from stockyard.services.document_lines import packs_of

Row = dict[str, Any]

DOC_TYPE = "shipment_order"
SHIP = "SHIP"


# ---------------------------------------------------------------- put wall (播种)


@dataclass(frozen=True)
class ItemScan:
    """An item scanned at the put wall or into a package."""

    scan: str  # SKU barcode, GTIN, GS1 string or SKU code
    quantity: Decimal = Decimal(1)  # in the pack level the barcode stands for
    lot_number: str | None = None  # when the barcode does not carry it
    serial: str | None = None


def sort_item(db: Database, principal: Principal, wave_id: int, entry: ItemScan) -> Row:
    """Put a scanned item into the put-wall slot of the wave's order that still needs it, lowest slot first;
    ``slot_full`` says the order is complete and goes to check. Nothing moves in the ledger: the stock stays in
    the wave's staging bucket, reserved for its order."""
    scan = parse_scan(entry.scan)

    def work(conn: Connection) -> Row:
        wave = waves.visible_wave(conn, principal, wave_id, lock=True)
        slotted = _slotted_orders(conn, principal, wave_id)
        check_can_sort(wave["status"], len(slotted))
        lines = _slot_lines(conn, slotted)
        line, quantity = _choose_slot(conn, slotted, lines, scan, entry)
        sl = t.shipment_line
        done = conn.execute(update(sl).where(sl.c.id == line.line_id,
                                             sl.c.picked_quantity - sl.c.sorted_quantity >= quantity)
                            .values(sorted_quantity=sl.c.sorted_quantity + quantity)).rowcount
        if done != 1:  # the wave's lock makes this unreachable; never sort beyond what was picked regardless
            raise Conflict("the slot no longer needs this item", field="scan", code="not_needed")
        order = slotted[line.order_id]
        after = [(x.picked, x.sorted + (quantity if x.line_id == line.line_id else 0))
                 for x in lines if x.order_id == line.order_id]
        result = {"wave_id": wave_id, "slot": line.slot, "order_id": line.order_id,
                  "external_ref": order["external_ref"], "line_no": line.line_no,
                  "sku_code": _sku_code(conn, line.sku_id), "quantity": quantity,
                  "sorted_quantity": line.sorted + quantity, "picked_quantity": line.picked,
                  "slot_full": slot_full(after, picking.open_picks(conn, [line.order_id]).get(line.order_id, 0))}
        audit.record(conn, principal, "wave.sort", "wave", wave_id, after=result)
        return result
    return db.write(work)


def _slotted_orders(conn: Connection, principal: Principal, wave_id: int) -> dict[int, Row]:
    """The wave's orders that have a put-wall slot and may still be sorted, of owners in the principal's scope."""
    o = t.shipment_order
    rows = conn.execute(select(o.c.id, o.c.owner_id, o.c.external_ref, o.c.sort_slot).where(
        o.c.wave_id == wave_id, o.c.sort_slot.is_not(None),
        o.c.status.not_in([CANCELLED, SHIPPED, PACKED])).order_by(o.c.sort_slot))
    return {r.id: dict(r._mapping) for r in rows if principal.scope.allows_owner(r.owner_id)}


def _slot_lines(conn: Connection, slotted: dict[int, Row]) -> list[SlotLine]:
    if not slotted:
        return []
    sl = t.shipment_line
    rows = conn.execute(select(sl.c.id, sl.c.order_id, sl.c.line_no, sl.c.sku_id, sl.c.picked_quantity,
                               sl.c.sorted_quantity).where(sl.c.order_id.in_(sorted(slotted)))).all()
    picked = _picked_rows(conn, [r.id for r in rows])
    lines = []
    for r in rows:
        mine = picked.get(r.id, [])
        lines.append(SlotLine(slotted[r.order_id]["sort_slot"], r.order_id, r.id, r.line_no, r.sku_id,
                              r.picked_quantity, r.sorted_quantity,
                              frozenset(p["lot_number"] for p in mine if p["lot_number"]),
                              frozenset(p["serial"] for p in mine if p["serial"])))
    return lines


def _choose_slot(conn: Connection, slotted: dict[int, Row], lines: list[SlotLine], scan: Scan,
                 entry: ItemScan) -> tuple[SlotLine, Decimal]:
    """The line the scanned item is sorted to, and the quantity in base units. The wave's orders may belong to
    several owners; the barcode is looked up for each of them (one GTIN may stand for a SKU of each)."""
    gtin = scan.gtin or scan.content_gtin
    found: dict[int, PackLevel] = {}
    if gtin or scan.kind == "plain":
        for owner_id in sorted({o["owner_id"] for o in slotted.values()}):
            hit = scanning.by_barcode(conn, owner_id, gtin, scan.raw)
            if hit is not None:
                found[hit[0]] = hit[1]
    if not found:
        raise InvalidInput(f"no SKU of this wave's owners has the barcode {gtin or scan.raw}", field="scan",
                           code="not_needed")
    lot, serial = scan.lot or entry.lot_number, scan.serial or entry.serial
    chosen: list[tuple[SlotLine, Decimal]] = []
    refusals: list[InvalidInput] = []
    for sku_id, level in sorted(found.items()):
        try:
            quantity = _base_quantity(conn, sku_id, entry.quantity, level)
            chosen.append((choose_slot(lines, [sku_id], quantity, lot, serial), quantity))
        except InvalidInput as error:
            refusals.append(error)
    if not chosen:
        raise refusals[0]
    return min(chosen, key=lambda c: (c[0].slot, c[0].line_no))


# ---------------------------------------------------------------- check (复核) and packing


@dataclass(frozen=True)
class NewPackage:
    carton_type: str | None = None
    length: Decimal | None = None  # cm
    width: Decimal | None = None
    height: Decimal | None = None
    tare_weight: Decimal | None = None  # kg, the empty carton; none given counts as nothing


@dataclass(frozen=True)
class ClosePackage:
    weight: Decimal | None = None  # kg; weighed at closing, checked as ``weigh`` checks it
    length: Decimal | None = None  # cm; replace what was given when the package was opened
    width: Decimal | None = None
    height: Decimal | None = None
    tracking_number: str | None = None
    sscc: str | None = None  # 18 digits with a correct check digit, unique among packages


def open_package(db: Database, principal: Principal, order_id: int, new: NewPackage) -> Row:
    """Open the next package (carton) of a picked order for checking and packing; 409 while picks are open, the
    order still has items to sort on the put wall, or nothing is left to pack."""
    measures = {name: _measure(getattr(new, name), name) for name in ("length", "width", "height", "tare_weight")}

    def work(conn: Connection) -> Row:
        order = orders.visible(conn, principal, order_id, lock=True)
        lines = _check_packable(conn, order)
        if all(line.left <= 0 for line in lines):
            raise Conflict("everything picked for the order is packed: close its packages", field="order_id",
                           code="nothing_to_pack")
        p = t.package
        number = int(conn.execute(select(func.coalesce(func.max(p.c.package_no), 0))
                                  .where(p.c.order_id == order_id)).scalar_one()) + 1
        package_id = int(conn.execute(insert(p).values(
            order_id=order_id, package_no=number, status=PackageStatus.OPEN.value, carton_type=new.carton_type,
            length=measures["length"], width=measures["width"], height=measures["height"],
            expected_weight=measures["tare_weight"] or Decimal(0), created_by=principal.name,
            created_at=datetime.now(UTC)).returning(p.c.id)).scalar_one())
        result = _read_package(conn, package_id)
        audit.record(conn, principal, "package.open", "package", package_id,
                     after={**result, "tare_weight": measures["tare_weight"]})
        return result
    return db.write(work)


def pack_item(db: Database, principal: Principal, package_id: int, entry: ItemScan) -> Row:
    """Check one scanned item into the package: a SKU of the order (else ``wrong_item``), no more than is left to
    pack of its line (else ``extra_item``), of a lot and serial picked for it. The answer says what is left."""
    def work(conn: Connection) -> Row:
        order, package = _visible_package(conn, principal, package_id)
        _check_open(package)
        lines = _check_packable(conn, order)
        item = scanning.scanned_item(conn, order["owner_id"], entry.scan)
        sku = _sku(conn, item.sku_id)
        quantity = _base_quantity(conn, item.sku_id, entry.quantity, item.level)
        lot, serial = item.lot_number or entry.lot_number, item.serial or entry.serial
        line = choose_pack_line(lines, item.sku_id, quantity, lot=lot, serial=serial,
                                serial_control=sku["serial_control"])
        _pack(conn, principal, package, line, sku, quantity, _lot_id(conn, line, lot), serial)
        left = {x.line_id: x.left for x in lines}
        left[line.line_id] -= quantity
        result = {**_read_package(conn, package_id), "line_no": line.line_no, "sku_code": sku["code"],
                  "quantity": quantity, "line_left": left[line.line_id],
                  "order_left": sum(left.values(), Decimal(0))}
        audit.record(conn, principal, "package.pack", "package", package_id,
                     after={k: result[k] for k in ("line_no", "sku_code", "quantity", "line_left", "order_left")}
                     | {"order_id": order["id"], "lot_number": lot, "serial": serial})
        return result
    return db.write(work)


def _pack(conn: Connection, principal: Principal, package: Row, line: PackLine, sku: Row, quantity: Decimal,
          lot_id: int | None, serial: str | None) -> None:
    """Write the packed item, count it on the line, and grow the package's expected weight."""
    sl, p = t.shipment_line, t.package
    done = conn.execute(update(sl).where(sl.c.id == line.line_id,
                                         sl.c.packed_quantity + quantity <= sl.c.picked_quantity)
                        .values(packed_quantity=sl.c.packed_quantity + quantity)).rowcount
    if done != 1:  # the order's lock makes this unreachable; never pack beyond what was picked regardless
        raise InvalidInput("more than is left to pack of this item", field="quantity", code="extra_item")
    now = datetime.now(UTC)
    conn.execute(insert(t.package_item).values(package_id=package["id"], line_id=line.line_id, lot_id=lot_id,
                                               serial=serial, quantity=quantity, scanned_by=principal.name,
                                               created_at=now))
    # A passed weighing no longer holds once more is packed; a failed one stands until the package is weighed again.
    stale = bool(package["weight_checked"])
    conn.execute(update(p).where(p.c.id == package["id"]).values(
        expected_weight=add_weight(package["expected_weight"], sku["weight"], quantity),
        weight=None if stale else package["weight"], weight_checked=None if stale else package["weight_checked"]))


def _lot_id(conn: Connection, line: PackLine, lot: str | None) -> int | None:
    """The lot packed: the one scanned, else the line's only picked lot (nothing else can be in the box)."""
    number = lot
    if number is None and len(line.picked_lots) == 1 and not line.unlotted:
        number = next(iter(line.picked_lots))
    if number is None:
        return None
    found = conn.execute(select(t.lot.c.id).where(t.lot.c.sku_id == line.sku_id, t.lot.c.number == number)).scalar()
    return None if found is None else int(found)


@dataclass(frozen=True)
class Weighing:
    weight: Decimal  # kg, as the scale read it


def weigh(db: Database, principal: Principal, package_id: int, weighing: Weighing) -> Row:
    """Record the scale's weight of an open package and check it against the expected weight (± the tolerance
    of ``STOCKYARD_WEIGHT_TOLERANCE_PCT``). A failed check is recorded, not refused: the answer says
    ``weight_checked: false`` with the difference, and the package cannot be closed until it is weighed again
    and passes. 409 ``no_expected_weight`` when an item has no weight on its SKU."""
    actual = check_measure(weighing.weight, "weight")

    def work(conn: Connection) -> Row:
        order, package = _visible_package(conn, principal, package_id)
        _check_open(package)
        _check_packable(conn, order)
        check = check_weight(package["expected_weight"], actual, get_settings().weight_tolerance_pct)
        conn.execute(update(t.package).where(t.package.c.id == package_id)
                     .values(weight=actual, weight_checked=check.ok))
        result = {**_read_package(conn, package_id), "weight_difference": check.difference,
                  "allowed_difference": check.allowed, "tolerance_pct": check.tolerance_pct,
                  "message": None if check.ok else mismatch_message(check)}
        audit.record(conn, principal, "package.weigh", "package", package_id,
                     before={"weight": package["weight"], "weight_checked": package["weight_checked"]},
                     after={"weight": actual, "weight_checked": check.ok, "expected_weight": check.expected})
        return result
    return db.write(work)


def close_package(db: Database, principal: Principal, package_id: int, closing: ClosePackage) -> Row:
    """Close a package: not empty, its last weighing not failed (a weight given here is checked first, and a
    mismatch refuses the closing with 409 ``weight_mismatch``), an SSCC with a correct check digit. When every
    line has packed all it picked and every package is closed, the order is ``packed``."""
    measures = {name: _measure(getattr(closing, name), name) for name in ("weight", "length", "width", "height")}
    sscc = check_sscc(closing.sscc) if closing.sscc is not None else None

    def work(conn: Connection) -> Row:
        order, package = _visible_package(conn, principal, package_id)
        _check_open(package)
        _check_packable(conn, order)
        items = int(conn.execute(select(func.count()).select_from(t.package_item)
                                 .where(t.package_item.c.package_id == package_id)).scalar_one())
        weight, checked = _weighed_at_closing(package, measures["weight"])
        check_can_close(package["status"], items, checked, package["expected_weight"], weight)
        if sscc is not None:
            _check_sscc_free(conn, sscc, package_id)
        values = {name: measures[name] if measures[name] is not None else package[name]
                  for name in ("length", "width", "height")}
        conn.execute(update(t.package).where(t.package.c.id == package_id).values(
            **values, weight=weight, weight_checked=checked, status=PackageStatus.CLOSED.value,
            tracking_number=closing.tracking_number or package["tracking_number"],
            sscc=sscc or package["sscc"], closed_at=datetime.now(UTC)))
        status = _status_after_closing(conn, order)
        result = {**_read_package(conn, package_id), "order_status": status}
        audit.record(conn, principal, "package.close", "package", package_id,
                     before={"status": package["status"]},
                     after={k: v for k, v in result.items() if k != "items"})
        return result
    return db.write(work)


def _weighed_at_closing(package: Row, weight: Decimal | None) -> tuple[Decimal | None, bool | None]:
    """The weight and check the package closes with. A weight given at closing is checked (a mismatch refuses
    the closing); without an expected weight it is only recorded, as the carrier still needs it."""
    if weight is None:
        return package["weight"], package["weight_checked"]
    if package["expected_weight"] is None:
        return weight, None
    check = check_weight(package["expected_weight"], weight, get_settings().weight_tolerance_pct)
    if not check.ok:
        raise Conflict(mismatch_message(check), field="weight", code="weight_mismatch",
                       details={"expected": str(check.expected), "actual": str(check.actual)})
    return weight, True


def _check_sscc_free(conn: Connection, sscc: str, package_id: int) -> None:
    p = t.package
    taken = conn.execute(select(p.c.id).where(p.c.sscc == sscc, p.c.id != package_id)).first()
    if taken is not None or conn.execute(select(t.container.c.id).where(t.container.c.sscc == sscc)).first():
        raise Conflict(f"SSCC {sscc} is already in use", field="sscc", code="duplicate_sscc")


def _status_after_closing(conn: Connection, order: Row) -> str:
    """``packed`` when everything picked is packed in closed packages; empty packages still open are put back
    (deleted): nothing is in them, and nothing else is left to pack into them."""
    order_id = order["id"]
    sl, p, pi = t.shipment_line, t.package, t.package_item
    lines = [(r.picked_quantity, r.packed_quantity) for r in conn.execute(
        select(sl.c.picked_quantity, sl.c.packed_quantity).where(sl.c.order_id == order_id))]
    # Correlated to the package, so the index on package_item.package_id answers it, however long the history.
    filled = select(pi.c.id).where(pi.c.package_id == p.c.id).exists()
    open_filled = int(conn.execute(select(func.count()).select_from(p).where(
        p.c.order_id == order_id, p.c.status == PackageStatus.OPEN.value, filled)).scalar_one())
    if not order_packed(lines, picking.open_picks(conn, [order_id]).get(order_id, 0), open_filled):
        return str(order["status"])
    conn.execute(delete(p).where(p.c.order_id == order_id, p.c.status == PackageStatus.OPEN.value,
                                 ~filled))
    conn.execute(update(t.shipment_order).where(t.shipment_order.c.id == order_id,
                                                t.shipment_order.c.status == PICKED)
                 .values(status=PACKED, updated_at=datetime.now(UTC)))
    return PACKED


def list_packages(db: Database, principal: Principal, order_id: int) -> list[Row]:
    """The order's packages with their items, in package number order."""
    def work(conn: Connection) -> list[Row]:
        orders.visible(conn, principal, order_id)
        ids = conn.execute(select(t.package.c.id).where(t.package.c.order_id == order_id)
                           .order_by(t.package.c.package_no)).scalars()
        return [_read_package(conn, package_id) for package_id in ids]
    return db.read(work)


def package_view(principal: Principal) -> View:
    """Packages of the orders in the caller's scope for the console's list: open, closed, or shipped with their
    order, newest first by default."""
    p, o = t.package, t.shipment_order
    items = (select(func.coalesce(func.sum(t.package_item.c.quantity), 0))
             .where(t.package_item.c.package_id == p.c.id).correlate(p).scalar_subquery())
    state = case((o.c.status == OrderStatus.SHIPPED.value, "shipped"), else_=p.c.status)
    query = (select(p.c.id, p.c.package_no, state.label("status"), p.c.order_id,
                    o.c.external_ref.label("order_ref"), t.owner.c.code.label("owner"),
                    t.warehouse.c.code.label("warehouse"), items.label("items"), p.c.weight, p.c.carton_type,
                    p.c.tracking_number, p.c.sscc, p.c.created_by, p.c.created_at, p.c.closed_at)
             .join(o, o.c.id == p.c.order_id).join(t.owner, t.owner.c.id == o.c.owner_id)
             .join(t.warehouse, t.warehouse.c.id == o.c.warehouse_id))
    scope = md.all_of(md.within(o.c.warehouse_id, principal.warehouse_ids), md.within(o.c.owner_id,
                                                                                        principal.owner_ids))
    if scope is not None:
        query = query.where(scope)
    return View(query, filters=("status", "warehouse", "owner", "order_ref"),
                search=("order_ref", "tracking_number", "sscc"),
                sortable=("id", "status", "order_ref", "owner", "warehouse", "weight", "created_at", "closed_at"),
                default_sort="id", default_desc=True)


def get_package(db: Database, principal: Principal, package_id: int) -> Row:
    """A package with its items and its order's head, or 404 outside the principal's scope."""
    def work(conn: Connection) -> Row:
        order_id = conn.execute(select(t.package.c.order_id).where(t.package.c.id == package_id)).scalar()
        try:
            order = orders.visible(conn, principal, int(order_id)) if order_id is not None else None
        except NotFound:
            order = None
        if order is None:
            raise NotFound(f"package {package_id} not found", field="package_id")
        package = _read_package(conn, package_id)
        package["order"] = {k: order[k] for k in ("id", "external_ref", "status", "owner_id", "warehouse_id")}
        return package
    return db.read(work)


def _visible_package(conn: Connection, principal: Principal, package_id: int) -> tuple[Row, Row]:
    """The package's order (locked, in scope) and the package; 404 for either outside the principal's scope."""
    order_id = conn.execute(select(t.package.c.order_id).where(t.package.c.id == package_id)).scalar()
    if order_id is None:
        raise NotFound(f"package {package_id} not found", field="package_id")
    try:
        order = orders.visible(conn, principal, int(order_id), lock=True)
    except NotFound:
        raise NotFound(f"package {package_id} not found", field="package_id") from None
    package = dict(conn.execute(select(t.package).where(t.package.c.id == package_id)).one()._mapping)
    return order, package


def _check_open(package: Row) -> None:
    if package["status"] != PackageStatus.OPEN:
        raise Conflict(f"the package is {package['status']}", field="package_id", code="package_closed")


def _check_packable(conn: Connection, order: Row) -> list[PackLine]:
    """The order's lines as packing sees them, once the order may be packed (else the 409 saying why)."""
    order_id = order["id"]
    sl = t.shipment_line
    rows = conn.execute(select(sl).where(sl.c.order_id == order_id).order_by(sl.c.line_no)).all()
    needs_sorting = order["sort_slot"] is not None and any(r.sorted_quantity < r.picked_quantity for r in rows)
    check_can_pack(order["status"], picking.open_picks(conn, [order_id]).get(order_id, 0), needs_sorting)
    picked = _picked_rows(conn, [r.id for r in rows])
    packed = _packed_items(conn, [r.id for r in rows])
    lines = []
    for r in rows:
        lots: defaultdict[str, Decimal] = defaultdict(Decimal)
        for p in picked.get(r.id, []):
            if p["lot_number"]:
                lots[p["lot_number"]] += p["quantity"]
        packed_lots: defaultdict[str, Decimal] = defaultdict(Decimal)
        for i in packed.get(r.id, []):
            if i["lot_number"]:
                packed_lots[i["lot_number"]] += i["quantity"]
        packable = r.sorted_quantity if order["sort_slot"] is not None else r.picked_quantity
        lines.append(PackLine(
            r.id, r.line_no, r.sku_id, packable, r.packed_quantity, dict(lots), dict(packed_lots),
            frozenset(p["serial"] for p in picked.get(r.id, []) if p["serial"]),
            frozenset(i["serial"] for i in packed.get(r.id, []) if i["serial"]),
            unlotted=any(p["lot_number"] is None for p in picked.get(r.id, []))))
    return lines


def _read_package(conn: Connection, package_id: int) -> Row:
    package = dict(conn.execute(select(t.package).where(t.package.c.id == package_id)).one()._mapping)
    pi, sl, lot = t.package_item, t.shipment_line, t.lot
    package["items"] = [dict(r._mapping) for r in conn.execute(
        select(pi.c.id, pi.c.line_id, sl.c.line_no, sl.c.sku_id, t.sku.c.code.label("sku_code"), pi.c.lot_id,
               lot.c.number.label("lot_number"), pi.c.serial, pi.c.quantity, pi.c.scanned_by, pi.c.created_at)
        .join(sl, sl.c.id == pi.c.line_id).join(t.sku, t.sku.c.id == sl.c.sku_id)
        .outerjoin(lot, lot.c.id == pi.c.lot_id).where(pi.c.package_id == package_id).order_by(pi.c.id))]
    return package


# ---------------------------------------------------------------- shipping (发货)


def ship(db: Database, principal: Principal, order_id: int) -> Row:
    """Confirm the shipment of a packed order, in one transaction: one posting moves everything picked from
    staging to the warehouse's customer location and releases every reservation the order still holds; the rest
    of each line is recorded short or ordered again on a backorder, as the owner's shortage policy says;
    ``shipment.confirmed`` goes to the outbox. 409 ``order_not_packed`` (nothing posted) before it is packed."""
    def work(conn: Connection) -> Row:
        order = orders.visible(conn, principal, order_id, lock=True)
        check_can_ship(order["status"])
        posting_id, released = _post_shipment(conn, principal, order)
        now = datetime.now(UTC)
        policy = str(conn.execute(select(t.owner.c.shortage_policy)
                                  .where(t.owner.c.id == order["owner_id"])).scalar_one())
        rests = _settle_lines(conn, order_id, policy, released)
        backorder = _backorder(conn, principal, order, rests, now) if any(q > 0 for _, q in rests) else None
        conn.execute(update(t.shipment_order).where(t.shipment_order.c.id == order_id).values(
            status=SHIPPED, shipped_at=now, ship_posting_id=posting_id, updated_at=now))
        after = orders.read(conn, order_id)
        payload = _confirmed_event(conn, after, backorder)
        event_id = int(conn.execute(insert(t.outbox_event).values(
            topic="shipment.confirmed", owner_id=order["owner_id"], aggregate_type=DOC_TYPE,
            aggregate_id=str(order_id), payload=payload, created_at=now).returning(t.outbox_event.c.id))
            .scalar_one())
        result = {**after, "posting_id": posting_id, "event_id": event_id, "backorder": backorder,
                  "packages": payload["packages"]}
        audit.record(conn, principal, "shipment_order.ship", "shipment_order", order_id,
                     before={"status": order["status"]},
                     after={"status": SHIPPED, "posting_id": posting_id, "event_id": event_id,
                            "shipped": [{"line_no": x["line_no"], "shipped": x["shipped_quantity"],
                                         "short": x["short_quantity"]} for x in after["lines"]],
                            "backorder": backorder})
        return result
    return db.write(work)


def _post_shipment(conn: Connection, principal: Principal, order: Row) -> tuple[int, dict[int, Decimal]]:
    """One posting: staging → customer for every picked reservation (given back as it leaves), and the release
    of what is still reserved on the shelves. Returns the posting and the shelf quantity released per line."""
    a, sl = t.shipment_allocation, t.shipment_line
    held = conn.execute(select(a).join(sl, sl.c.id == a.c.line_id)
                        .where(sl.c.order_id == order["id"], a.c.status.in_(["picked", "allocated"]))
                        .order_by(a.c.id)).all()
    customer = repo.virtual_location_id(conn, order["warehouse_id"], VirtualKind.CUSTOMER)
    leaving: defaultdict[tuple[StockItem, Bucket], Decimal] = defaultdict(Decimal)
    shelved: defaultdict[tuple[StockItem, Bucket], Decimal] = defaultdict(Decimal)
    released: defaultdict[int, Decimal] = defaultdict(Decimal)
    for r in held:
        key = (StockItem(r.owner_id, r.sku_id, r.lot_id, r.serial), Bucket(r.location_id, r.container_id))
        if r.quantity <= 0:
            continue  # a shelf reservation picked in full: nothing is left of it to give back
        if r.status == "picked":
            leaving[key] += r.quantity
        else:
            shelved[key] += r.quantity
            released[r.line_id] += r.quantity
    movements = [Movement(item, bucket, Bucket(customer), q) for (item, bucket), q in sorted(leaving.items())]
    changes = [AllocationChange(item, bucket, -q) for part in (leaving, shelved)
               for (item, bucket), q in sorted(part.items())]
    posting_id = ledger.post_in(conn, PostingRequest(SHIP, movements, changes, doc_type=DOC_TYPE,
                                                     doc_ref=str(order["id"]), user=principal.name)).posting_id
    for status, after in (("picked", "shipped"), ("allocated", "released")):
        ids = [r.id for r in held if r.status == status]
        if ids:
            conn.execute(update(a).where(a.c.id.in_(ids)).values(status=after, release_posting_id=posting_id))
    return posting_id, dict(released)


def _settle_lines(conn: Connection, order_id: int, policy: str,
                  released: dict[int, Decimal]) -> list[tuple[Row, Decimal]]:
    """Each line ships what it picked; its rest is short or backordered. Returns each line with its backorder."""
    sl = t.shipment_line
    rows = [dict(r._mapping) for r in conn.execute(
        select(sl, t.sku.c.base_uom).join(t.sku, t.sku.c.id == sl.c.sku_id)
        .where(sl.c.order_id == order_id).order_by(sl.c.line_no))]
    rests = []
    for line in rows:
        settled = settle(line["quantity"], line["picked_quantity"], policy)
        # What stays allocated to the line is what it shipped; the shelf reservations given back leave it.
        allocated = max(line["allocated_quantity"] - released.get(line["id"], Decimal(0)), Decimal(0))
        conn.execute(update(sl).where(sl.c.id == line["id"]).values(
            shipped_quantity=line["picked_quantity"], short_quantity=settled.short, allocated_quantity=allocated))
        rests.append((line, settled.backorder))
    return rests


def _backorder(conn: Connection, principal: Principal, order: Row, rests: Sequence[tuple[Row, Decimal]],
               now: datetime) -> Row:
    """A new order for what the lines did not ship: same owner, warehouse, type, rule, priority, carrier and
    address, its reference ``<ref>-BO<n>``, waiting to be allocated."""
    lines = [{"line_no": n, "sku_id": line["sku_id"], "quantity": rest, "ordered_quantity": rest,
              "ordered_uom": line["base_uom"], "lot_number": line["lot_number"],
              "min_shelf_life_days": line["min_shelf_life_days"], "allocated_quantity": Decimal(0)}
             for n, (line, rest) in enumerate(((x, q) for x, q in rests if q > 0), start=1)]
    ref = _free_ref(conn, order["owner_id"], order["external_ref"])
    new = orders.NewOrder(owner_id=order["owner_id"], warehouse_id=order["warehouse_id"], external_ref=ref,
                          type=OrderType(order["type"]), lines=(), rule=Rule(order["rule"]),
                          priority=order["priority"], requested_ship_date=order["requested_ship_date"],
                          carrier_id=order["carrier_id"], service_level=order["service_level"],
                          ship_to=order["ship_to"])
    # The digest intake would compute for this content, so the outside system re-sending it is the same order.
    digest = orders.content_digest(new, lines)
    o = t.shipment_order
    backorder_id = int(conn.execute(insert(o).values(
        owner_id=new.owner_id, warehouse_id=new.warehouse_id, external_ref=ref, type=new.type.value,
        status=OrderStatus.CREATED.value, rule=new.rule.value, priority=new.priority,
        requested_ship_date=new.requested_ship_date, carrier_id=new.carrier_id, service_level=new.service_level,
        ship_to=new.ship_to, on_hold=False, content_hash=digest, backorder_of_id=order["id"],
        created_by=principal.name, created_at=now, updated_at=now).returning(o.c.id)).scalar_one())
    conn.execute(insert(t.shipment_line), [{**line, "order_id": backorder_id} for line in lines])
    return {"id": backorder_id, "external_ref": ref,
            "lines": [{"line_no": x["line_no"], "sku_id": x["sku_id"], "quantity": x["quantity"]} for x in lines]}


def _free_ref(conn: Connection, owner_id: int, ref: str) -> str:
    """``<ref>-BO1``, or the next number when the owner already has an order of that reference."""
    o = t.shipment_order
    n = 1
    while conn.execute(select(o.c.id).where(o.c.owner_id == owner_id,
                                            o.c.external_ref == backorder_ref(ref, n))).first() is not None:
        n += 1
    return backorder_ref(ref, n)


def _confirmed_event(conn: Connection, order: Row, backorder: Row | None) -> Row:
    """The ``shipment.confirmed`` payload: what shipped, line by line with lots and serials, in which packages."""
    owner = conn.execute(select(t.owner.c.code).where(t.owner.c.id == order["owner_id"])).scalar_one()
    warehouse = conn.execute(select(t.warehouse.c.code).where(t.warehouse.c.id == order["warehouse_id"])).scalar_one()
    carrier = None
    if order["carrier_id"] is not None:
        carrier = conn.execute(select(t.carrier.c.code).where(t.carrier.c.id == order["carrier_id"])).scalar()
    packages = [_package_event(p) for p in _packages_of(conn, order["id"])]
    plain = {"order_id": order["id"], "external_ref": order["external_ref"], "owner": owner,
             "warehouse": warehouse, "carrier": carrier, "service_level": order["service_level"],
             "shipped_at": order["shipped_at"], "ship_posting_id": order["ship_posting_id"],
             "lines": [{"line_no": x["line_no"], "sku_code": x["sku_code"], "ordered": x["quantity"],
                        "shipped": x["shipped_quantity"], "short": x["short_quantity"],
                        "lots": [{"lot": a["lot_number"], "serial": a["serial"], "quantity": a["quantity"]}
                                 for a in x["allocations"] if a["status"] == SHIPPED]}
                       for x in order["lines"]],
             "packages": packages,
             "backorder": None if backorder is None else {"order_id": backorder["id"],
                                                          "external_ref": backorder["external_ref"]}}
    # A JSON column: exact decimals and dates as text, as canonical JSON writes them.
    result: Row = json.loads(canonical_json(plain))
    return result


def _package_event(package: Row) -> Row:
    return {"package_no": package["package_no"], "carton_type": package["carton_type"],
            "length": package["length"], "width": package["width"], "height": package["height"],
            "weight": package["weight"], "tracking_number": package["tracking_number"], "sscc": package["sscc"],
            "items": [{"sku_code": i["sku_code"], "lot": i["lot_number"], "serial": i["serial"],
                       "quantity": i["quantity"]} for i in package["items"]]}


def _packages_of(conn: Connection, order_id: int) -> list[Row]:
    ids = conn.execute(select(t.package.c.id).where(t.package.c.order_id == order_id)
                       .order_by(t.package.c.package_no)).scalars().all()
    return [_read_package(conn, package_id) for package_id in ids]


# ---------------------------------------------------------------- shared reads


def _picked_rows(conn: Connection, line_ids: Sequence[int]) -> dict[int, list[Row]]:
    """The ``picked`` reservations (in staging) of the lines, with their lot numbers, by line."""
    if not line_ids:
        return {}
    a, lot = t.shipment_allocation, t.lot
    found: defaultdict[int, list[Row]] = defaultdict(list)
    for r in conn.execute(select(a.c.line_id, a.c.lot_id, lot.c.number.label("lot_number"), a.c.serial,
                                 a.c.quantity).outerjoin(lot, lot.c.id == a.c.lot_id)
                          .where(a.c.line_id.in_(sorted(line_ids)), a.c.status == "picked").order_by(a.c.id)):
        found[r.line_id].append(dict(r._mapping))
    return found


def _packed_items(conn: Connection, line_ids: Sequence[int]) -> dict[int, list[Row]]:
    if not line_ids:
        return {}
    pi, lot = t.package_item, t.lot
    found: defaultdict[int, list[Row]] = defaultdict(list)
    for r in conn.execute(select(pi.c.line_id, lot.c.number.label("lot_number"), pi.c.serial, pi.c.quantity)
                          .outerjoin(lot, lot.c.id == pi.c.lot_id).where(pi.c.line_id.in_(sorted(line_ids)))):
        found[r.line_id].append(dict(r._mapping))
    return found


def _sku(conn: Connection, sku_id: int) -> Row:
    return dict(conn.execute(select(t.sku).where(t.sku.c.id == sku_id)).one()._mapping)


def _sku_code(conn: Connection, sku_id: int) -> str:
    return str(conn.execute(select(t.sku.c.code).where(t.sku.c.id == sku_id)).scalar_one())


def _base_quantity(conn: Connection, sku_id: int, quantity: Decimal, level: PackLevel) -> Decimal:
    """A scanned count in the barcode's pack level (a case GTIN counts cases), in the SKU's base unit."""
    decimals = int(conn.execute(select(t.sku.c.decimals).where(t.sku.c.id == sku_id)).scalar_one())
    return to_base(quantity, level, packs_of(conn, [sku_id])[sku_id], decimals)


def _measure(value: Decimal | None, name: str) -> Decimal | None:
    return None if value is None else check_measure(value, name)


# ---------------------------------------------------------------- documents


def packing_list(db: Database, principal: Principal, order_id: int) -> bytes:
    """The order's packing list as PDF: shipper, consignee, carrier, and each package with what it holds."""
    return packing_list_pdf(db.read(lambda conn: _packing_list(conn, principal, order_id)))


def _packing_list(conn: Connection, principal: Principal, order_id: int) -> PackingList:
    order = orders.visible(conn, principal, order_id)
    packages = [p for p in _packages_of(conn, order_id)
                if p["items"] and p["status"] != PackageStatus.CANCELLED]
    if not packages:
        raise Conflict("nothing of the order is packed yet", field="order_id", code="nothing_packed")
    warehouse = conn.execute(select(t.warehouse).where(t.warehouse.c.id == order["warehouse_id"])).one()
    owner = conn.execute(select(t.owner.c.code, t.owner.c.name).where(t.owner.c.id == order["owner_id"])).one()
    ship_to = _ship_to(order)
    skus = _item_facts(conn, [i for p in packages for i in p["items"]])
    return PackingList(
        warehouse_name=warehouse.name, warehouse_address=_address(warehouse.address),
        ship_to_name=ship_to["name"] or "", ship_to_address=ship_to, order_ref=order["external_ref"],
        order_id=order_id, owner_code=owner.code, owner_name=owner.name,
        ship_date=(order["shipped_at"] or datetime.now(UTC)).date(),
        packages=[PackingListPackage(
            package_no=p["package_no"], carton_type=p["carton_type"] or "", length_cm=p["length"] or Decimal(0),
            width_cm=p["width"] or Decimal(0), height_cm=p["height"] or Decimal(0), weight_kg=_weight(p),
            items=_list_items(p["items"], skus), tracking_number=p["tracking_number"]) for p in packages],
        printed_at=datetime.now(UTC), ship_to_phone=ship_to["phone"], carrier_name=_carrier_name(conn, order),
        service_level=order["service_level"])


def _list_items(items: Sequence[Row], skus: dict[int, Row]) -> list[PackingListItem]:
    """A package's items summed per SKU, lot and serial, in the order they were first packed."""
    summed: dict[tuple[int, str | None, str | None], Decimal] = {}
    for i in items:
        key = (i["sku_id"], i["lot_number"], i["serial"])
        summed[key] = summed.get(key, Decimal(0)) + i["quantity"]
    return [PackingListItem(sku_code=skus[sku_id]["code"], sku_name=skus[sku_id]["name"], quantity=quantity,
                            uom=skus[sku_id]["base_uom"], lot_number=lot,
                            expiry_date=skus[sku_id]["expiry"].get(lot), serial=serial)
            for (sku_id, lot, serial), quantity in summed.items()]


def _item_facts(conn: Connection, items: Sequence[Row]) -> dict[int, Row]:
    """Code, name, base unit and lot expiry dates of the SKUs of packed items."""
    sku_ids = sorted({i["sku_id"] for i in items})
    facts = {r.id: {"code": r.code, "name": r.name, "base_uom": r.base_uom, "expiry": {}} for r in conn.execute(
        select(t.sku.c.id, t.sku.c.code, t.sku.c.name, t.sku.c.base_uom).where(t.sku.c.id.in_(sku_ids)))}
    lot_ids = sorted({i["lot_id"] for i in items if i["lot_id"] is not None})
    if lot_ids:
        for r in conn.execute(select(t.lot.c.sku_id, t.lot.c.number, t.lot.c.expiry_date)
                              .where(t.lot.c.id.in_(lot_ids))):
            facts[r.sku_id]["expiry"][r.number] = r.expiry_date
    return facts


def shipping_label(db: Database, principal: Principal, package_id: int, fmt: str) -> tuple[bytes | str, str]:
    """The package's 4x6 inch shipping label, as ZPL for a Zebra printer or as PDF, and its media type."""
    label = db.read(lambda conn: _shipping_label(conn, principal, package_id))
    if fmt == "pdf":
        return shipping_label_pdf(label), "application/pdf"
    return shipping_label_zpl(label), "text/plain; charset=utf-8"


def _shipping_label(conn: Connection, principal: Principal, package_id: int) -> ShippingLabel:
    query = select(t.package.c.order_id).where(t.package.c.id == package_id)
    order_id = conn.execute(query).scalar()
    try:
        order = orders.visible(conn, principal, int(order_id)) if order_id is not None else None
    except NotFound:
        order = None
    if order is None:
        raise NotFound(f"package {package_id} not found", field="package_id")
    package = _read_package(conn, package_id)
    count = int(conn.execute(select(func.count()).select_from(t.package)
                             .where(t.package.c.order_id == order["id"])).scalar_one())
    warehouse = conn.execute(select(t.warehouse).where(t.warehouse.c.id == order["warehouse_id"])).one()
    ship_to = _ship_to(order)
    return ShippingLabel(
        ship_from_name=warehouse.name, ship_from_city=_address(warehouse.address).get("city"),
        ship_to_name=ship_to["name"] or "", ship_to_address=ship_to, order_ref=order["external_ref"],
        package_no=package["package_no"], package_count=count, weight_kg=_weight(package),
        package_ref=f"PKG-{package_id:06d}", ship_to_phone=ship_to["phone"],
        carrier_name=_carrier_name(conn, order), service_level=order["service_level"],
        tracking_number=package["tracking_number"], sscc=package["sscc"])


def pick_list(db: Database, principal: Principal, trip_id: int) -> bytes:
    """A picker's trip as a PDF pick list: the stops still to pick, in the trip's walking order."""
    return pick_list_pdf(db.read(lambda conn: _pick_list(conn, principal, trip_id)))


def wave_pick_lists(db: Database, principal: Principal, wave_id: int) -> bytes:
    """The pick lists of every trip of a released wave in one PDF, in trip order (cancelled trips left out)."""
    def work(conn: Connection) -> list[PickList]:
        waves.visible_wave(conn, principal, wave_id)
        p = t.pick_trip
        trip_ids = conn.execute(select(p.c.id).where(p.c.wave_id == wave_id, p.c.status != "cancelled")
                                .order_by(p.c.trip_no)).scalars().all()
        if not trip_ids:
            raise Conflict("the wave has no trips to print: they are made when it is released", field="wave_id",
                           code="no_trips")
        # A trip at a time: a wave has a handful of trips, each read with its stops in one query.
        return [_pick_list(conn, principal, int(trip_id)) for trip_id in trip_ids]
    return wave_pick_lists_pdf(wave_id, db.read(work), datetime.now(UTC))


def _pick_list(conn: Connection, principal: Principal, trip_id: int) -> PickList:
    picking.visible_trip(conn, principal, trip_id)
    trip = picking.read_trip(conn, trip_id, principal.owner_ids)
    warehouse = conn.execute(select(t.warehouse.c.code, t.warehouse.c.name)
                             .where(t.warehouse.c.id == trip["warehouse_id"])).one()
    zone = None
    if trip["zone_id"] is not None:
        zone = conn.execute(select(t.zone.c.code).where(t.zone.c.id == trip["zone_id"])).scalar()
    stops = [x for x in trip["tasks"] if x["status"] == "open" and x["quantity"] > 0]
    return PickList(
        warehouse_code=warehouse.code, warehouse_name=warehouse.name, wave_id=trip["wave_id"], trip_id=trip_id,
        trip_no=trip["trip_no"], mode=trip["mode"], route_length_m=trip["route_length"],
        route_method=trip["route_method"], s_shape_length_m=trip["s_shape_length"],
        lines=[PickListLine(step=x["sequence"] or n, location_code=x["location_code"], sku_code=x["sku_code"],
                            sku_name=x["sku_name"], quantity=x["quantity"], uom=x["base_uom"],
                            lot_number=x["lot_number"], expiry_date=x["expiry_date"], serial=x["serial"],
                            tote=x["tote"], order_ref=x["order_ref"])
               for n, x in enumerate(stops, start=1)],
        printed_at=datetime.now(UTC), zone_code=zone, picker=trip["assigned_to"])


def _ship_to(order: Row) -> dict[str, str | None]:
    """The order's ship-to (free JSON from the outside system) as the documents read it: text values only."""
    given = order["ship_to"] if isinstance(order["ship_to"], dict) else {}
    wanted = ("name", "phone", "country", "province", "city", "district", "street", "postal_code")
    return {key: None if given.get(key) is None else str(given[key]) for key in wanted}


def _address(value: Any) -> dict[str, str | None]:
    given = value if isinstance(value, dict) else {}
    return {str(k): None if v is None else str(v) for k, v in given.items()}


def _carrier_name(conn: Connection, order: Row) -> str | None:
    if order["carrier_id"] is None:
        return None
    name = conn.execute(select(t.carrier.c.name).where(t.carrier.c.id == order["carrier_id"])).scalar()
    return None if name is None else str(name)


def _weight(package: Row) -> Decimal:
    """The weight printed: as weighed, else as expected, else nothing known (0)."""
    weight: Decimal = package["weight"] or package["expected_weight"] or Decimal(0)
    return weight


# ---------------------------------------------------------------- the handheld's questions


def find_order(db: Database, principal: Principal, code: str) -> Row:
    """The order a scanned code names: its external reference, or the tracking number or SSCC of one of its
    packages; within the principal's scope, else 404 naming ``scan`` (409 when the reference is ambiguous)."""
    code = code.strip()

    def work(conn: Connection) -> Row:
        o, p = t.shipment_order, t.package
        ids = set(conn.execute(select(o.c.id).where(o.c.external_ref == code)).scalars())
        ids |= set(conn.execute(select(p.c.order_id).where((p.c.tracking_number == code) | (p.c.sscc == code)))
                   .scalars())
        seen = []
        for order_id in sorted(ids):
            try:
                seen.append(orders.visible(conn, principal, order_id))
            except NotFound:
                continue
        if not seen:
            raise NotFound(f"no order or package {code}", field="scan")
        if len(seen) > 1:
            raise Conflict(f"{len(seen)} orders have the reference {code}: scan a package", field="scan",
                           code="ambiguous_order")
        return {**orders.read(conn, seen[0]["id"]), "packages": [
            _read_package(conn, int(i)) for i in conn.execute(
                select(p.c.id).where(p.c.order_id == seen[0]["id"]).order_by(p.c.package_no)).scalars()]}
    return db.read(work)
