"""Master data: create, read, update, list and deactivate warehouses, zones, locations, owners, SKUs, lots,
suppliers, customers, carriers and containers. Referenced records are deactivated, never deleted.

Every operation acts for a principal and sees only its data scope: each entity says once, as a WHERE clause
(``Entity.scope``), which of its rows a scope holds. A record outside it answers exactly like a missing one (404
by id, "does not exist" as a reference), so nobody learns that it exists. Every command is audited in the
transaction of its change.

Every operation takes the acting ``principal``; the demo, the benchmark and test builders act as ``SYSTEM``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ColumnElement, Connection, Table, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from stockyard.db import tables as t
from stockyard.db.engine import Database, is_unique_violation
from stockyard.domain.access import Principal, Scope
from stockyard.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
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
from stockyard.services import audit
from stockyard.services.browse import View

Row = dict[str, Any]
Hook = Callable[[Connection, Row, Row | None], None]
Clause = ColumnElement[bool]
# The rows of an entity a scope holds, as a WHERE clause; None when the scope hides none of them.
ScopeRule = Callable[[Scope], Clause | None]


def shared(scope: Scope) -> Clause | None:
    """The scope rule of records every principal with the permission may see (carriers)."""
    return None


def anyone(scope: Scope) -> bool:
    """The creation rule of records any principal with the permission may create (inside its scope)."""
    return True


@dataclass(frozen=True)
class Entity:
    """How one kind of master data is stored, checked and scoped."""

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
    scope: ScopeRule = shared
    # Whether a principal of this scope may create one at all. Checked before anything is looked up, so a
    # principal who may not create a warehouse learns nothing (not even that a code is taken) by trying.
    creatable: Callable[[Scope], bool] = anyone

    @property
    def kind(self) -> str:
        """The name in audit actions and error codes: the table's name ("sku", not "SKU")."""
        return self.table.name


@dataclass(frozen=True)
class Ref:
    """A column that points at another record, which must exist, be active and lie in the principal's scope."""

    entity: Entity
    label: str
    same_owner: bool = False  # the referenced record belongs to the same owner as this one
    same_warehouse: bool = False


@dataclass(frozen=True)
class Page:
    items: list[Row]
    next_cursor: int | None


# ---------------------------------------------------------------- scopes


def scope_filter(entity: Entity, principal: Principal) -> Clause | None:
    """The WHERE clause that keeps ``entity``'s rows to the principal's scope; None when it hides nothing."""
    if principal.scope.unrestricted:  # SYSTEM and administrators: no clause, no cost
        return None
    return entity.scope(principal.scope)


def within(column: Any, ids: frozenset[int] | None) -> Clause | None:
    """``column`` is one of ``ids``; None (no condition) when ``ids`` is None, meaning all."""
    return None if ids is None else column.in_(sorted(ids))


def visible_ids(conn: Connection, entity: Entity, principal: Principal, ids: Iterable[int]) -> set[int]:
    """Which of ``ids`` exist and lie in the principal's scope: one query for any number of ids."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    clause = scope_filter(entity, principal)
    query = select(entity.table.c.id).where(entity.table.c.id.in_(wanted))
    if clause is not None:
        query = query.where(clause)
    return {int(i) for i in conn.execute(query).scalars()}


def require(conn: Connection, principal: Principal, field_name: str, entity: Entity, record_id: int) -> Row:
    """A record a command refers to: it must exist, be active and lie in the principal's scope, else the 422 of
    a missing record naming the field (a record outside the scope is not told apart from a missing one)."""
    query = select(entity.table).where(entity.table.c.id == record_id)
    clause = scope_filter(entity, principal)
    if clause is not None:
        query = query.where(clause)
    row = conn.execute(query).first()
    if row is None:
        raise InvalidInput(f"{entity.name} {record_id} does not exist", field=field_name,
                           code=f"unknown_{entity.kind}")
    if not row.active:
        raise InvalidInput(f"{entity.name} {record_id} is inactive", field=field_name, code=f"inactive_{entity.kind}")
    return dict(row._mapping)


def require_shelf(conn: Connection, principal: Principal, field_name: str, location_id: int,
                  warehouse_id: int) -> Row:
    """A physical, active, unblocked location of the given warehouse that the principal may act in."""
    location = require(conn, principal, field_name, LOCATION, location_id)
    if location["warehouse_id"] != warehouse_id or location["virtual_kind"]:
        raise InvalidInput(f"location {location_id} is not a shelf of warehouse {warehouse_id}", field=field_name,
                           code="unknown_location")
    if location["status"] != "active":
        raise InvalidInput("the location is blocked", field=field_name, code="location_blocked")
    return location


def all_of(*clauses: Clause | None) -> Clause | None:
    """The conjunction of the clauses given (None ones skipped); None when there are none."""
    present = [c for c in clauses if c is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else and_(*present)


def _warehouse_scope(scope: Scope) -> Clause | None:
    return within(t.warehouse.c.id, scope.warehouse_ids)


def _zone_scope(scope: Scope) -> Clause | None:
    return all_of(within(t.zone.c.warehouse_id, scope.warehouse_ids), within(t.zone.c.id, scope.zone_ids))


def _location_scope(scope: Scope) -> Clause | None:
    # Virtual locations have no zone: they belong to whoever may act in their warehouse (Scope.allows_location).
    zone = None if scope.zone_ids is None else or_(t.location.c.zone_id.in_(sorted(scope.zone_ids)),
                                                    t.location.c.virtual_kind.is_not(None))
    return all_of(within(t.location.c.warehouse_id, scope.warehouse_ids), zone)


def _owner_scope(scope: Scope) -> Clause | None:
    return within(t.owner.c.id, scope.owner_ids)


def _owned_by(table: Table) -> ScopeRule:
    """Records of an owner (SKUs, suppliers, customers; lots, whose owner_id is always their SKU's owner)."""
    return lambda scope: within(table.c.owner_id, scope.owner_ids)


def _container_scope(scope: Scope) -> Clause | None:
    return within(t.container.c.warehouse_id, scope.warehouse_ids)


# ---------------------------------------------------------------- generic operations


def create(db: Database, entity: Entity, data: Row, *, principal: Principal) -> Row:
    """Create a record inside the principal's scope; a duplicate code answers 409 naming the field, a bad or
    out-of-scope reference 422, and a principal who may not create this kind of record at all 403."""
    if not entity.creatable(principal.scope):
        raise Forbidden(f"creating a {entity.name} needs access to every {entity.name}", code="outside_scope")

    def work(conn: Connection) -> Row:
        values = dict(data)
        _check_refs(conn, entity, principal, values)
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
        created = _landed(conn, entity, principal, new_id)
        audit.record(conn, principal, f"{entity.kind}.create", entity.kind, new_id, after=created)
        return created
    return db.write(work)


def update_record(db: Database, entity: Entity, record_id: int, data: Row, *,
                  principal: Principal) -> Row:
    """Change the given fields of a record; unknown or out-of-scope ids answer 404, identity fields cannot
    change, and the record cannot be moved out of the principal's scope."""
    return db.write(lambda conn: _change(conn, entity, record_id, data, principal, "update"))


def deactivate(db: Database, entity: Entity, record_id: int, *, principal: Principal) -> Row:
    """Deactivate instead of deleting: history that points at the record stays whole. It is a change like any
    other, so the entity's rules apply (a virtual location, managed by Stockyard, cannot be deactivated)."""
    return db.write(lambda conn: _change(conn, entity, record_id, {"active": False}, principal, "deactivate"))


def get_in(conn: Connection, entity: Entity, record_id: int, principal: Principal) -> Row:
    """A record in the principal's scope, inside the caller's transaction; 404 otherwise."""
    return _get(conn, entity, record_id, scope_filter(entity, principal))


def get(db: Database, entity: Entity, record_id: int, *, principal: Principal) -> Row:
    """One record by id; 404 when it does not exist or lies outside the principal's scope."""
    return db.read(lambda conn: _get(conn, entity, record_id, scope_filter(entity, principal)))


def list_records(db: Database, entity: Entity, filters: Mapping[str, Any], *, q: str | None = None,
                 cursor: int | None = None, limit: int = 50, principal: Principal) -> Page:
    """Records in the principal's scope in id order, filtered by the entity's filter fields and a text search
    on code and name."""
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
    clause = scope_filter(entity, principal)
    if clause is not None:
        query = query.where(clause)
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


def _change(conn: Connection, entity: Entity, record_id: int, data: Row, principal: Principal,
            command: str) -> Row:
    existing = _get(conn, entity, record_id, scope_filter(entity, principal))
    values = dict(data)
    for name in entity.immutable:
        if name in values and values[name] != existing[name]:
            raise InvalidInput("cannot be changed once created", field=name, code="immutable")
    _check_not_null(entity, values)
    merged = {**existing, **values}
    _check_refs(conn, entity, principal, merged, only=values.keys())
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
    changed = _landed(conn, entity, principal, record_id)
    audit.record(conn, principal, f"{entity.kind}.{command}", entity.kind, record_id, before=existing,
                 after=changed)
    return changed


def _get(conn: Connection, entity: Entity, record_id: int, clause: Clause | None) -> Row:
    query = select(entity.table).where(entity.table.c.id == record_id)
    if clause is not None:
        query = query.where(clause)
    row = conn.execute(query).first()
    if row is None:
        # The same answer for a record outside the scope as for a missing one: its existence is not told.
        raise NotFound(f"{entity.name} {record_id} does not exist", field="id")
    record = dict(row._mapping)
    if entity.read_extra:
        entity.read_extra(conn, [record])
    return record


def _landed(conn: Connection, entity: Entity, principal: Principal, record_id: int) -> Row:
    """The record as written, which must lie in the principal's scope: nobody creates or moves a record to
    where they could no longer see it (a location without a zone, by a principal limited to some zones)."""
    record = _get(conn, entity, record_id, None)
    clause = scope_filter(entity, principal)
    if clause is not None and conn.execute(
            select(entity.table.c.id).where(entity.table.c.id == record_id, clause)).first() is None:
        raise Forbidden(f"the {entity.name} would lie outside your data scope", code="outside_scope")
    return record


def _check_refs(conn: Connection, entity: Entity, principal: Principal, values: Row, only: Any = None) -> None:
    for column, ref in entity.refs.items():
        value = values.get(column)
        if value is None or (only is not None and column not in only):
            continue
        table = ref.entity.table
        query = select(table).where(table.c.id == value)
        clause = scope_filter(ref.entity, principal)
        if clause is not None:
            query = query.where(clause)
        target = conn.execute(query).first()
        if target is None:
            # Out of scope reads exactly as missing.
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


def _unrestricted(dimension: str) -> Callable[[Scope], bool]:
    """Only a principal with every warehouse (owner, zone) may create one: a new one lies outside any list."""
    return lambda scope: getattr(scope, dimension) is None


WAREHOUSE = Entity("warehouse", t.warehouse, [("code",)], filters=["active", "code"],
                   prepare=_prepare_warehouse, after_write=_warehouse_created, scope=_warehouse_scope,
                   creatable=_unrestricted("warehouse_ids"))
_warehouse_ref = Ref(WAREHOUSE, "warehouse")
ZONE = Entity("zone", t.zone, [("warehouse_id", "code")], {"warehouse_id": _warehouse_ref},
              filters=["warehouse_id", "kind", "active", "code"], immutable=["warehouse_id"], scope=_zone_scope,
              creatable=_unrestricted("zone_ids"))
LOCATION = Entity(
    "location", t.location, [("warehouse_id", "code")],
    {"warehouse_id": _warehouse_ref, "zone_id": Ref(ZONE, "zone", same_warehouse=True)},
    filters=["warehouse_id", "zone_id", "kind", "status", "aisle", "active", "code", "virtual_kind"],
    search=("code",), immutable=["warehouse_id"], prepare=_prepare_zone_location, scope=_location_scope)
OWNER = Entity("owner", t.owner, [("code",)], filters=["active", "code"], scope=_owner_scope,
               creatable=_unrestricted("owner_ids"))
_owner_ref = Ref(OWNER, "owner")
SKU = Entity("SKU", t.sku, [("owner_id", "code")], {"owner_id": _owner_ref},
             filters=["owner_id", "category", "abc_class", "active", "code", "lot_control", "expiry_control",
                      "serial_control", "storage_condition"],
             immutable=["owner_id"], prepare=_prepare_sku, after_write=_sku_written, read_extra=_sku_children,
             scope=_owned_by(t.sku))
LOT = Entity("lot", t.lot, [("sku_id", "number")], {"sku_id": Ref(SKU, "sku")},
             filters=["sku_id", "owner_id", "number", "active", "expiry_date"], search=("number",),
             immutable=["sku_id", "owner_id", "number"], prepare=_prepare_lot, scope=_owned_by(t.lot))
SUPPLIER = Entity("supplier", t.supplier, [("owner_id", "code")], {"owner_id": _owner_ref},
                  filters=["owner_id", "active", "code"], immutable=["owner_id"], scope=_owned_by(t.supplier))
CUSTOMER = Entity("customer", t.customer, [("owner_id", "code")], {"owner_id": _owner_ref},
                  filters=["owner_id", "active", "code"], immutable=["owner_id"], scope=_owned_by(t.customer))
CARRIER = Entity("carrier", t.carrier, [("code",)], filters=["active", "code"], scope=shared)
CONTAINER = Entity("container", t.container, [("lpn",), ("sscc",)], {"warehouse_id": _warehouse_ref},
                   filters=["warehouse_id", "kind", "active", "lpn", "sscc"], search=("lpn", "sscc"),
                   immutable=["warehouse_id"], prepare=_prepare_container, scope=_container_scope)


def record_view(entity: Entity, principal: Principal) -> View:
    """An entity's records for the console's lists, in the principal's scope, each reference shown by its code
    (``warehouse_id`` also as ``warehouse``): one query with an outer join per reference, however many rows."""
    table = entity.table
    shown = [c for c in table.c if not isinstance(c.type, JSON)]
    query = select(*shown)
    for column, ref in entity.refs.items():
        other = ref.entity.table.alias(f"ref_{column}")
        label = "number" if "code" not in other.c else "code"
        query = query.add_columns(other.c[label].label(column.removesuffix("_id"))).outerjoin(
            other, other.c.id == table.c[column])
    clause = scope_filter(entity, principal)
    if clause is not None:
        query = query.where(clause)
    names = [c.name for c in shown] + [c.removesuffix("_id") for c in entity.refs]
    return View(query, filters=tuple(entity.filters), search=tuple(entity.search), sortable=tuple(names),
                default_sort="id")


def id_by_code(db: Database, entity: Entity, code: str, *, principal: Principal, field: str,
               **same: int) -> int:
    """The id of the active record a person typed or scanned the code of (a lot by its number), among those of
    the principal's scope with the ``same`` column values (a location of a warehouse); else the 422 of a missing
    record naming ``field``."""
    table = entity.table
    key = "number" if "code" not in table.c else "code"
    query = select(table.c.id).where(table.c[key] == code.strip(), table.c.active)
    for column, value in same.items():
        query = query.where(table.c[column] == value)
    clause = scope_filter(entity, principal)
    if clause is not None:
        query = query.where(clause)
    found = db.read(lambda conn: conn.execute(query.order_by(table.c.id).limit(2)).scalars().all())
    if len(found) != 1:
        detail = "does not exist" if not found else "is ambiguous: give the SKU too"
        raise InvalidInput(f"{entity.name} {code!r} {detail}", field=field, code=f"unknown_{entity.kind}")
    return int(found[0])
