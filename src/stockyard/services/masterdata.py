"""Master data: create, read, update, list and deactivate warehouses, zones, locations, owners, SKUs, lots,
suppliers, customers, carriers and containers. Referenced records are deactivated, never deleted."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from stockyard.db import tables as t
from stockyard.db.engine import Database, is_unique_violation
from stockyard.domain.errors import Conflict, InvalidInput, NotFound
from stockyard.domain.master import (
    BarcodeKind,
    LocationKind,
    Pack,
    PackLevel,
    check_barcode_levels,
    check_gtin,
    check_lot_dates,
    check_packs,
    check_sscc,
    check_timezone,
    check_unit,
)
from stockyard.domain.stock import VIRTUAL_LOCATION_CODES

Row = dict[str, Any]
Hook = Callable[[Connection, Row, Row | None], None]


@dataclass(frozen=True)
class Ref:
    """A column that points at another record, which must exist and be active."""

    table: Table
    label: str
    same_owner: bool = False  # the referenced record belongs to the same owner as this one
    same_warehouse: bool = False


@dataclass(frozen=True)
class Entity:
    name: str
    table: Table
    unique: Sequence[tuple[str, ...]]
    refs: Mapping[str, Ref] = field(default_factory=dict)
    filters: Sequence[str] = ()
    search: Sequence[str] = ("code", "name")
    immutable: Sequence[str] = ()
    prepare: Hook | None = None
    after_write: Hook | None = None
    read_extra: Callable[[Connection, list[Row]], None] | None = None


@dataclass(frozen=True)
class Page:
    items: list[Row]
    next_cursor: int | None


# ---------------------------------------------------------------- generic operations


def create(db: Database, entity: Entity, data: Row) -> Row:
    """Create a record; a duplicate code answers 409 naming the field, a bad reference 422."""
    def work(conn: Connection) -> Row:
        values = dict(data)
        _check_refs(conn, entity, values)
        if entity.prepare:
            entity.prepare(conn, values, None)
        children: Row = {k: values.pop(k) for k in ("packs", "barcodes") if k in values}
        _check_unique(conn, entity, values, None)
        now = datetime.now(UTC)
        try:
            new_id = conn.execute(insert(entity.table).values(**values, created_at=now, updated_at=now)
                                  .returning(entity.table.c.id)).scalar_one()
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise
            raise _duplicate(entity) from None
        if entity.after_write:
            entity.after_write(conn, {"id": new_id, **values, **children}, None)
        return _get(conn, entity, new_id)
    return db.write(work)


def update_record(db: Database, entity: Entity, record_id: int, data: Row) -> Row:
    """Change the given fields of a record; unknown ids answer 404, identity fields cannot change."""
    def work(conn: Connection) -> Row:
        existing = _get(conn, entity, record_id)
        values = dict(data)
        for name in entity.immutable:
            if name in values and values[name] != existing[name]:
                raise InvalidInput("cannot be changed once created", field=name, code="immutable")
        _check_not_null(entity, values)
        merged = {**existing, **values}
        _check_refs(conn, entity, merged, only=values.keys())
        if entity.prepare:
            entity.prepare(conn, values, existing)
        children: Row = {k: values.pop(k) for k in ("packs", "barcodes") if k in values}
        _check_unique(conn, entity, {**existing, **values}, record_id)
        try:
            if values:
                conn.execute(update(entity.table).where(entity.table.c.id == record_id)
                             .values(**values, updated_at=datetime.now(UTC)))
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise
            raise _duplicate(entity) from None
        if entity.after_write:
            entity.after_write(conn, {"id": record_id, **values, **children}, existing)
        return _get(conn, entity, record_id)
    return db.write(work)


def deactivate(db: Database, entity: Entity, record_id: int) -> Row:
    """Deactivate instead of deleting: history that points at the record stays whole. It is a change like any
    other, so the entity's rules apply (a virtual location, managed by Stockyard, cannot be deactivated)."""
    return update_record(db, entity, record_id, {"active": False})


def get(db: Database, entity: Entity, record_id: int) -> Row:
    return db.read(lambda conn: _get(conn, entity, record_id))


def list_records(db: Database, entity: Entity, filters: Mapping[str, Any], *, q: str | None = None,
                 cursor: int | None = None, limit: int = 50) -> Page:
    """Records in id order, filtered by the entity's filter fields and a text search on code and name."""
    table = entity.table
    query = select(table).order_by(table.c.id).limit(limit + 1)
    for name, value in filters.items():
        if value is None:
            continue
        if name not in entity.filters:
            raise InvalidInput(f"cannot filter {entity.name} by {name}", field=name)
        query = query.where(table.c[name] == value)
    if q:
        # The text is matched literally: '_' and '%' are common in codes and are not wildcards here.
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(or_(*(func.lower(table.c[c]).like(f"%{escaped}%", escape="\\")
                                  for c in entity.search)))
    if cursor is not None:
        query = query.where(table.c.id > cursor)

    def work(conn: Connection) -> Page:
        rows = [dict(r._mapping) for r in conn.execute(query)]
        more = len(rows) > limit
        rows = rows[:limit]
        if entity.read_extra:
            entity.read_extra(conn, rows)
        return Page(rows, rows[-1]["id"] if more else None)
    return db.read(work)


def _get(conn: Connection, entity: Entity, record_id: int) -> Row:
    row = conn.execute(select(entity.table).where(entity.table.c.id == record_id)).first()
    if row is None:
        raise NotFound(f"{entity.name} {record_id} does not exist", field="id")
    record = dict(row._mapping)
    if entity.read_extra:
        entity.read_extra(conn, [record])
    return record


def _check_refs(conn: Connection, entity: Entity, values: Row, only: Any = None) -> None:
    for column, ref in entity.refs.items():
        value = values.get(column)
        if value is None or (only is not None and column not in only):
            continue
        target = conn.execute(select(ref.table).where(ref.table.c.id == value)).first()
        if target is None:
            raise InvalidInput(f"{ref.label} {value} does not exist", field=column, code=f"unknown_{ref.label}")
        if not target.active:
            raise InvalidInput(f"{ref.label} {value} is inactive", field=column, code=f"inactive_{ref.label}")
        if ref.same_owner and target.owner_id != values.get("owner_id"):
            raise InvalidInput(f"{ref.label} {value} belongs to another owner", field=column,
                               code=f"{ref.label}_of_other_owner")
        if ref.same_warehouse and target.warehouse_id != values.get("warehouse_id"):
            raise InvalidInput(f"{ref.label} {value} belongs to another warehouse", field=column)


def _check_not_null(entity: Entity, values: Row) -> None:
    """An explicit null clears an optional field; a required one (or the list of packs or barcodes) cannot be
    cleared, and is the client's mistake, not a conflict with the stored data."""
    for name, value in values.items():
        if value is not None:
            continue
        if name in ("packs", "barcodes"):
            raise InvalidInput("cannot be null; send [] to remove them all", field=name, code="null_not_allowed")
        column = entity.table.c.get(name)
        if column is not None and not column.nullable:
            raise InvalidInput("cannot be null", field=name, code="null_not_allowed")


def _check_unique(conn: Connection, entity: Entity, values: Row, record_id: int | None) -> None:
    table = entity.table
    for columns in entity.unique:
        if any(values.get(c) is None for c in columns):
            continue
        query = select(table.c.id).where(and_(*(table.c[c] == values[c] for c in columns)))
        if record_id is not None:
            query = query.where(table.c.id != record_id)
        if conn.execute(query).first() is not None:
            raise Conflict(f"a {entity.name} with this {columns[-1]} already exists", field=columns[-1],
                           code="duplicate")


def _duplicate(entity: Entity) -> Conflict:
    # Reached only when a concurrent request created the same code between our check and our insert.
    return Conflict(f"a {entity.name} with this code already exists", field="code", code="duplicate")


# ---------------------------------------------------------------- entity rules


def _warehouse_created(conn: Connection, row: Row, existing: Row | None) -> None:
    """A new warehouse gets its virtual locations, so every movement in it can balance."""
    if existing is not None:
        return
    now = datetime.now(UTC)
    conn.execute(insert(t.location), [
        {"warehouse_id": row["id"], "code": code, "kind": LocationKind.VIRTUAL.value,
         "virtual_kind": kind.value, "created_at": now, "updated_at": now}
        for kind, code in VIRTUAL_LOCATION_CODES.items()])


def _prepare_warehouse(conn: Connection, values: Row, existing: Row | None) -> None:
    if "timezone" in values:
        check_timezone(values["timezone"])


def _prepare_location(conn: Connection, values: Row, existing: Row | None) -> None:
    if existing is not None and existing["virtual_kind"] is not None:
        raise InvalidInput("virtual locations are managed by Stockyard", field="id", code="virtual_location")
    if values.get("kind") == LocationKind.VIRTUAL.value:
        raise InvalidInput("virtual locations are created with their warehouse", field="kind")
    if str(values.get("code", "")).startswith("@"):
        raise InvalidInput("codes starting with '@' are reserved for virtual locations", field="code")


def _prepare_sku(conn: Connection, values: Row, existing: Row | None) -> None:
    if "base_uom" in values:
        check_unit(values["base_uom"], "base_uom")
    decimals = int(values["decimals"] if "decimals" in values else (existing["decimals"] if existing else 0))
    if existing is not None and decimals < existing["decimals"] and _sku_has_stock(conn, existing["id"]):
        raise InvalidInput("cannot reduce the decimals of a SKU that has stock", field="decimals")
    serial = values.get("serial_control", existing["serial_control"] if existing else False)
    if serial and decimals != 0:
        raise InvalidInput("a serial-controlled SKU is counted in whole units", field="decimals")
    if existing is not None:
        for flag in ("lot_control", "expiry_control", "serial_control"):
            if flag in values and values[flag] != existing[flag] and _sku_has_stock(conn, existing["id"]):
                raise InvalidInput("cannot change while the SKU has stock", field=flag)
    if "packs" in values:
        values["packs"] = check_packs([Pack(PackLevel(p["level"]), p["uom"], Decimal(p["factor"]),
                                            p.get("decimals", 0)) for p in values["packs"]], decimals)
    elif existing is not None and decimals != existing["decimals"]:
        try:
            check_packs(_packs_of(existing), decimals)
        except InvalidInput:
            raise InvalidInput(f"the SKU's packs hold fractions of a base unit that {decimals} decimals cannot "
                               "count; change the packs too", field="decimals") from None
    if "barcodes" in values:
        values["barcodes"] = _check_barcodes(values["barcodes"])
    if "packs" in values or "barcodes" in values:
        packs = values["packs"] if "packs" in values else (_packs_of(existing) if existing else [])
        barcodes = values["barcodes"] if "barcodes" in values else (existing or {}).get("barcodes", [])
        try:
            check_barcode_levels([PackLevel(b["pack_level"]) for b in barcodes], packs)
        except InvalidInput as error:
            if "barcodes" in values:
                raise
            raise InvalidInput(f"the SKU has barcodes for a pack level these packs leave out ({error.message})",
                               field="packs", code=error.code) from None


def _packs_of(sku: Row) -> list[Pack]:
    return [Pack(PackLevel(p["level"]), p["uom"], Decimal(p["factor"]), int(p["decimals"])) for p in sku["packs"]]


def _check_barcodes(barcodes: Sequence[Row]) -> list[Row]:
    checked: list[Row] = []
    seen: set[str] = set()
    for index, b in enumerate(barcodes):
        code = str(b["barcode"])
        kind = BarcodeKind(b.get("kind", BarcodeKind.GTIN))
        if kind is BarcodeKind.GTIN:
            code = check_gtin(code, f"barcodes[{index}].barcode")
        if code in seen:
            raise InvalidInput("appears twice", field=f"barcodes[{index}].barcode")
        seen.add(code)
        checked.append({"barcode": code, "kind": kind.value, "pack_level": b.get("pack_level", "each")})
    return checked


def _sku_has_stock(conn: Connection, sku_id: int) -> bool:
    return conn.execute(select(t.balance.c.id).where(t.balance.c.sku_id == sku_id, ~t.balance.c.is_virtual,
                                                     t.balance.c.on_hand != 0).limit(1)).first() is not None


def _sku_written(conn: Connection, row: Row, existing: Row | None) -> None:
    sku_id = row["id"]
    if "packs" in row:
        conn.execute(t.sku_pack.delete().where(t.sku_pack.c.sku_id == sku_id))
        if row["packs"]:
            conn.execute(insert(t.sku_pack), [{"sku_id": sku_id, "level": p.level.value, "uom": p.uom,
                                               "factor": p.factor, "decimals": p.decimals} for p in row["packs"]])
    if "barcodes" in row:
        owner_id = row.get("owner_id") or (existing or {}).get("owner_id")
        conn.execute(t.sku_barcode.delete().where(t.sku_barcode.c.sku_id == sku_id))
        for index, b in enumerate(row["barcodes"]):
            taken = conn.execute(select(t.sku_barcode.c.sku_id).where(
                t.sku_barcode.c.owner_id == owner_id, t.sku_barcode.c.barcode == b["barcode"])).first()
            if taken is not None:
                raise Conflict(f"barcode {b['barcode']} already belongs to SKU {taken.sku_id}",
                               field=f"barcodes[{index}].barcode", code="duplicate")
        if row["barcodes"]:
            conn.execute(insert(t.sku_barcode), [{"sku_id": sku_id, "owner_id": owner_id, **b}
                                                 for b in row["barcodes"]])


def _sku_children(conn: Connection, rows: list[Row]) -> None:
    ids = [r["id"] for r in rows]
    if not ids:
        return
    packs: dict[int, list[Row]] = {i: [] for i in ids}
    barcodes: dict[int, list[Row]] = {i: [] for i in ids}
    for p in conn.execute(select(t.sku_pack).where(t.sku_pack.c.sku_id.in_(ids)).order_by(t.sku_pack.c.id)):
        packs[p.sku_id].append({"level": p.level, "uom": p.uom, "factor": p.factor, "decimals": p.decimals})
    for b in conn.execute(select(t.sku_barcode).where(t.sku_barcode.c.sku_id.in_(ids))
                          .order_by(t.sku_barcode.c.id)):
        barcodes[b.sku_id].append({"barcode": b.barcode, "kind": b.kind, "pack_level": b.pack_level})
    for r in rows:
        r["packs"] = packs[r["id"]]
        r["barcodes"] = barcodes[r["id"]]


def _prepare_lot(conn: Connection, values: Row, existing: Row | None) -> None:
    merged = {**(existing or {}), **values}
    check_lot_dates(merged.get("production_date"), merged.get("expiry_date"))
    if existing is None:
        owner = conn.execute(select(t.sku.c.owner_id).where(t.sku.c.id == values["sku_id"])).scalar_one()
        values["owner_id"] = owner


def _prepare_container(conn: Connection, values: Row, existing: Row | None) -> None:
    if values.get("sscc"):
        values["sscc"] = check_sscc(values["sscc"])


def _prepare_zone_location(conn: Connection, values: Row, existing: Row | None) -> None:
    _prepare_location(conn, values, existing)


_warehouse_ref = Ref(t.warehouse, "warehouse")
_owner_ref = Ref(t.owner, "owner")

WAREHOUSE = Entity("warehouse", t.warehouse, [("code",)], filters=["active", "code"],
                   prepare=_prepare_warehouse, after_write=_warehouse_created)
ZONE = Entity("zone", t.zone, [("warehouse_id", "code")], {"warehouse_id": _warehouse_ref},
              filters=["warehouse_id", "kind", "active", "code"], immutable=["warehouse_id"])
LOCATION = Entity(
    "location", t.location, [("warehouse_id", "code")],
    {"warehouse_id": _warehouse_ref, "zone_id": Ref(t.zone, "zone", same_warehouse=True)},
    filters=["warehouse_id", "zone_id", "kind", "status", "aisle", "active", "code", "virtual_kind"],
    search=("code",), immutable=["warehouse_id"], prepare=_prepare_zone_location)
OWNER = Entity("owner", t.owner, [("code",)], filters=["active", "code"])
SKU = Entity("SKU", t.sku, [("owner_id", "code")], {"owner_id": _owner_ref},
             filters=["owner_id", "category", "abc_class", "active", "code", "lot_control", "expiry_control",
                      "serial_control", "storage_condition"],
             immutable=["owner_id"], prepare=_prepare_sku, after_write=_sku_written, read_extra=_sku_children)
LOT = Entity("lot", t.lot, [("sku_id", "number")], {"sku_id": Ref(t.sku, "sku")},
             filters=["sku_id", "owner_id", "number", "active", "expiry_date"], search=("number",),
             immutable=["sku_id", "owner_id", "number"], prepare=_prepare_lot)
SUPPLIER = Entity("supplier", t.supplier, [("owner_id", "code")], {"owner_id": _owner_ref},
                  filters=["owner_id", "active", "code"], immutable=["owner_id"])
CUSTOMER = Entity("customer", t.customer, [("owner_id", "code")], {"owner_id": _owner_ref},
                  filters=["owner_id", "active", "code"], immutable=["owner_id"])
CARRIER = Entity("carrier", t.carrier, [("code",)], filters=["active", "code"])
CONTAINER = Entity("container", t.container, [("lpn",), ("sscc",)], {"warehouse_id": _warehouse_ref},
                   filters=["warehouse_id", "kind", "active", "lpn", "sscc"], search=("lpn", "sscc"),
                   immutable=["warehouse_id"],
                   prepare=_prepare_container)
