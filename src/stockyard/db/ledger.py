"""SQL of the ledger: loading the facts a posting is checked against, and writing it in one transaction.

Balances change only by atomic conditional statements (never read, add, write back) on rows touched in key
order, so concurrent postings can neither lose an update, drive a physical bucket negative, nor over-allocate.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, insert, select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import BindParameter

from stockyard.db import tables as t
from stockyard.db.bulk import insert_rows
from stockyard.db.types import to_units
from stockyard.domain.errors import Conflict, DuplicateSerial, InsufficientStock, InvalidInput
from stockyard.domain.stock import (
    BalanceDelta,
    ContainerFacts,
    LocationFacts,
    LocationStatus,
    LotFacts,
    MasterFacts,
    Movement,
    OwnerFacts,
    PostingRequest,
    SkuFacts,
    VirtualKind,
    balance_deltas,
)

# Built once: constructing a statement costs more than running it on the one-movement path.
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_SKU_FACTS = (select(t.sku.c.id, t.sku.c.owner_id, t.sku.c.active, t.sku.c.decimals, t.sku.c.lot_control,
                     t.sku.c.expiry_control, t.sku.c.serial_control, t.owner.c.active.label("owner_active"))
              .join(t.owner, t.owner.c.id == t.sku.c.owner_id).where(t.sku.c.id.in_(_IDS)))
_OWNER_FACTS = select(t.owner.c.id, t.owner.c.active).where(t.owner.c.id.in_(_IDS))
_LOT_FACTS = select(t.lot.c.id, t.lot.c.sku_id, t.lot.c.expiry_date, t.lot.c.active).where(t.lot.c.id.in_(_IDS))
_LOCATION_FACTS = select(t.location.c.id, t.location.c.warehouse_id, t.location.c.active, t.location.c.status,
                         t.location.c.virtual_kind).where(t.location.c.id.in_(_IDS))
_CONTAINER_FACTS = (select(t.container.c.id, t.container.c.warehouse_id, t.container.c.active)
                    .where(t.container.c.id.in_(_IDS)))

_INSERT_POSTING = insert(t.posting).returning(t.posting.c.id)
_INSERT_MOVEMENT = insert(t.movement)


def load_facts(conn: Connection, owner_ids: Iterable[int], sku_ids: Iterable[int], lot_ids: Iterable[int | None],
               location_ids: Iterable[int], container_ids: Iterable[int | None]) -> MasterFacts:
    """Everything the posting rules need about referenced records: one query per kind, never one per row."""
    facts = MasterFacts()
    skus = sorted(set(sku_ids))
    if skus:
        # The SKU's owner comes along in the same query; only an item naming another owner needs its own.
        for r in conn.execute(_SKU_FACTS, {"ids": skus}):
            facts.skus[r.id] = SkuFacts(r.id, r.owner_id, r.active, r.decimals, r.lot_control, r.expiry_control,
                                        r.serial_control)
            facts.owners[r.owner_id] = OwnerFacts(r.owner_id, r.owner_active)
    owners = sorted(set(owner_ids) - set(facts.owners))
    if owners:
        facts.owners.update({r.id: OwnerFacts(r.id, r.active) for r in conn.execute(_OWNER_FACTS, {"ids": owners})})
    lots = sorted({i for i in lot_ids if i is not None})
    if lots:
        facts.lots = {r.id: LotFacts(r.id, r.sku_id, r.expiry_date, r.active)
                      for r in conn.execute(_LOT_FACTS, {"ids": lots})}
    locations = sorted(set(location_ids))
    if locations:
        facts.locations = load_locations(conn, locations)
    containers = sorted({i for i in container_ids if i is not None})
    if containers:
        facts.containers = {r.id: ContainerFacts(r.id, r.warehouse_id, r.active)
                            for r in conn.execute(_CONTAINER_FACTS, {"ids": containers})}
    return facts


def load_locations(conn: Connection, ids: Sequence[int]) -> dict[int, LocationFacts]:
    return {r.id: LocationFacts(r.id, r.warehouse_id, r.active, LocationStatus(r.status),
                                VirtualKind(r.virtual_kind) if r.virtual_kind else None)
            for r in conn.execute(_LOCATION_FACTS, {"ids": list(ids)})}


def facts_for(conn: Connection, request: PostingRequest) -> MasterFacts:
    items = [m.item for m in request.movements] + [a.item for a in request.allocations]
    buckets = ([m.source for m in request.movements] + [m.target for m in request.movements]
               + [a.bucket for a in request.allocations])
    return load_facts(conn, (i.owner_id for i in items), (i.sku_id for i in items), (i.lot_id for i in items),
                      (b.location_id for b in buckets), (b.container_id for b in buckets))


def virtual_location_id(conn: Connection, warehouse_id: int, kind: VirtualKind) -> int:
    found = conn.execute(select(t.location.c.id).where(t.location.c.warehouse_id == warehouse_id,
                                                       t.location.c.virtual_kind == kind.value)).scalar()
    if found is None:
        raise LookupError(f"warehouse {warehouse_id} has no {kind.value} location")
    return int(found)


def virtual_locations(conn: Connection, warehouse_ids: Iterable[int], kind: VirtualKind) -> dict[int, int]:
    """The ``kind`` virtual location of each warehouse, by warehouse id."""
    rows = conn.execute(select(t.location.c.warehouse_id, t.location.c.id).where(
        t.location.c.warehouse_id.in_(sorted(set(warehouse_ids))), t.location.c.virtual_kind == kind.value))
    return {r.warehouse_id: r.id for r in rows}


@dataclass(frozen=True)
class WrittenPosting:
    posting_id: int
    movements: int
    allocations: int
    created_at: datetime


def write_posting(conn: Connection, request: PostingRequest, facts: MasterFacts) -> WrittenPosting:
    """Append the posting, its movements and allocation entries, and move the balances, all or nothing.

    The caller has checked the request against ``facts`` (``domain.stock.check_posting``)."""
    _check_serials_entering(conn, request, facts)
    now = datetime.now(UTC)
    posting_id = _insert_posting(conn, request, now)
    if request.movements:
        _insert_movements(conn, posting_id, request.movements, now)
    if request.allocations:
        insert_rows(conn, t.allocation_entry, [{
            "posting_id": posting_id, "owner_id": a.item.owner_id, "sku_id": a.item.sku_id,
            "lot_id": a.item.lot_id, "serial": a.item.serial, "location_id": a.bucket.location_id,
            "container_id": a.bucket.container_id, "status": a.bucket.status.value, "quantity": a.quantity,
            "created_at": now} for a in request.allocations])
    _apply(conn, request, balance_deltas(request), facts, now)
    _check_containers_in_one_place(conn, request)
    return WrittenPosting(posting_id, len(request.movements), len(request.allocations), now)


# PostgreSQL takes a batch as arrays in one statement instead of one statement per row.
_INSERT_MOVEMENTS_PG = text(
    "INSERT INTO movement (posting_id, owner_id, sku_id, lot_id, serial, quantity, from_location_id, "
    "from_container_id, from_status, to_location_id, to_container_id, to_status, created_at) "
    "SELECT :posting_id, * , :now FROM unnest(CAST(:owner AS bigint[]), CAST(:sku AS bigint[]), "
    "CAST(:lot AS bigint[]), CAST(:serial AS text[]), CAST(:quantity AS bigint[]), CAST(:from_location AS bigint[]), "
    "CAST(:from_container AS bigint[]), CAST(:from_status AS text[]), CAST(:to_location AS bigint[]), "
    "CAST(:to_container AS bigint[]), CAST(:to_status AS text[]))")


def _insert_movements(conn: Connection, posting_id: int, movements: Sequence[Movement], now: datetime) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(_INSERT_MOVEMENTS_PG, {
            "posting_id": posting_id, "now": now, "owner": [m.item.owner_id for m in movements],
            "sku": [m.item.sku_id for m in movements], "lot": [m.item.lot_id for m in movements],
            "serial": [m.item.serial for m in movements], "quantity": [to_units(m.quantity) for m in movements],
            "from_location": [m.source.location_id for m in movements],
            "from_container": [m.source.container_id for m in movements],
            "from_status": [m.source.status.value for m in movements],
            "to_location": [m.target.location_id for m in movements],
            "to_container": [m.target.container_id for m in movements],
            "to_status": [m.target.status.value for m in movements]})
        return
    conn.execute(_INSERT_MOVEMENT, [{
        "posting_id": posting_id, "owner_id": m.item.owner_id, "sku_id": m.item.sku_id,
        "lot_id": m.item.lot_id, "serial": m.item.serial, "quantity": m.quantity,
        "from_location_id": m.source.location_id, "from_container_id": m.source.container_id,
        "from_status": m.source.status.value, "to_location_id": m.target.location_id,
        "to_container_id": m.target.container_id, "to_status": m.target.status.value,
        "created_at": now} for m in movements])


def _insert_posting(conn: Connection, request: PostingRequest, now: datetime) -> int:
    try:
        with conn.begin_nested() if request.reverses_posting_id else nullcontext():
            result = conn.execute(_INSERT_POSTING, {
                "reason": request.reason, "doc_type": request.doc_type, "doc_ref": request.doc_ref,
                "user_name": request.user, "reverses_posting_id": request.reverses_posting_id, "created_at": now})
            return int(result.scalar_one())
    except IntegrityError:
        raise Conflict(f"posting {request.reverses_posting_id} has already been reversed",
                       field="posting_id", code="already_reversed") from None


_CREATE = text("INSERT INTO balance (key, owner_id, sku_id, lot_id, serial, warehouse_id, location_id, "
               "container_id, status, is_virtual, on_hand, allocated, updated_at) VALUES (:key, :owner_id, "
               ":sku_id, :lot_id, :serial, :warehouse_id, :location_id, :container_id, :status, :is_virtual, "
               "0, 0, :now) ON CONFLICT (key) DO NOTHING")

# Rows are locked in key order before any is changed, so concurrent postings queue instead of deadlocking.
_UPDATE_PG = text(
    "WITH v AS (SELECT * FROM unnest(CAST(:keys AS text[]), CAST(:ds AS bigint[]), CAST(:as_ AS bigint[])) "
    "AS v(key, d, a)), locked AS MATERIALIZED (SELECT id, key FROM balance WHERE key = ANY(CAST(:keys AS text[])) "
    "ORDER BY key FOR UPDATE) "
    "UPDATE balance AS b SET on_hand = b.on_hand + v.d, allocated = b.allocated + v.a, updated_at = :now "
    "FROM locked JOIN v ON v.key = locked.key "
    "WHERE b.id = locked.id AND (b.is_virtual OR (b.on_hand + v.d >= b.allocated + v.a "
    "AND b.allocated + v.a >= 0 AND b.on_hand + v.d >= 0)) RETURNING b.key")

# SQLite writers are serialized by BEGIN IMMEDIATE; one statement over a JSON array saves a call per row.
_UPDATE_SQLITE = text(
    "UPDATE balance SET on_hand = on_hand + json_extract(v.value, '$[1]'), "
    "allocated = allocated + json_extract(v.value, '$[2]'), updated_at = :now "
    "FROM json_each(:changes) AS v WHERE balance.key = json_extract(v.value, '$[0]') "
    "AND (is_virtual OR (on_hand + json_extract(v.value, '$[1]') >= allocated + json_extract(v.value, '$[2]') "
    "AND allocated + json_extract(v.value, '$[2]') >= 0 AND on_hand + json_extract(v.value, '$[1]') >= 0)) "
    "RETURNING balance.key")


def _apply(conn: Connection, request: PostingRequest, deltas: Sequence[BalanceDelta], facts: MasterFacts,
           now: datetime) -> None:
    keyed = [(d.key, d) for d in deltas if d.on_hand or d.allocated]
    try:
        updated = _update(conn, keyed, now)
        # A bucket seen for the first time has no row yet: create the ones stock may enter, then move them.
        # (Rows are only ever created here, so the common case costs one statement.)
        creations = [_row(key, d, facts, now) for key, d in keyed if key not in updated
                     and (facts.locations[d.bucket.location_id].is_virtual or d.on_hand > 0)]
        if creations:
            conn.execute(_CREATE, creations)
            updated |= _update(conn, [(k, d) for k, d in keyed if k in {c["key"] for c in creations}], now)
    except IntegrityError as error:
        raise _integrity_error(error, request) from None
    missing = [key for key, _ in keyed if key not in updated]
    if missing:
        raise _shortage(request, keyed, missing[0])


def _update(conn: Connection, keyed: Sequence[tuple[str, BalanceDelta]], now: datetime) -> set[str]:
    if not keyed:
        return set()
    if conn.dialect.name == "postgresql":
        result = conn.execute(_UPDATE_PG, {
            "keys": [key for key, _ in keyed], "ds": [to_units(d.on_hand) for _, d in keyed],
            "as_": [to_units(d.allocated) for _, d in keyed], "now": now})
    else:
        changes = json.dumps([[key, to_units(d.on_hand), to_units(d.allocated)] for key, d in keyed])
        result = conn.execute(_UPDATE_SQLITE, {"changes": changes, "now": now})
    return {row[0] for row in result}


def _check_serials_entering(conn: Connection, request: PostingRequest, facts: MasterFacts) -> None:
    """A serial coming into the warehouse (from a virtual location) must not be on a shelf already.

    The partial unique index on ``balance`` stops it too, even between concurrent postings; this query only
    lets the error name the movement."""
    entering = {(m.item.sku_id, m.item.serial): index for index, m in enumerate(request.movements)
                if m.item.serial is not None and facts.locations[m.source.location_id].is_virtual
                and not facts.locations[m.target.location_id].is_virtual}
    if not entering:
        return
    b = t.balance
    found = conn.execute(select(b.c.sku_id, b.c.serial, b.c.location_id).where(
        tuple_(b.c.sku_id, b.c.serial).in_(sorted(entering)), ~b.c.is_virtual, b.c.on_hand > 0)).first()
    if found is not None:
        raise DuplicateSerial(f"serial {found.serial} is already in stock in location {found.location_id}",
                              field=f"movements[{entering[(found.sku_id, found.serial)]}].serial")


def _check_containers_in_one_place(conn: Connection, request: PostingRequest) -> None:
    """A container (LPN) stands in one location: stock put into it elsewhere means the books lost track."""
    targets = {m.target.container_id for m in request.movements if m.target.container_id is not None}
    if not targets:
        return
    rows = conn.execute(select(t.balance.c.container_id, t.balance.c.location_id).distinct().where(
        t.balance.c.container_id.in_(sorted(targets)), ~t.balance.c.is_virtual, t.balance.c.on_hand > 0))
    places: dict[int, set[int]] = {}
    for container_id, location_id in rows:
        places.setdefault(container_id, set()).add(location_id)
    for index, m in enumerate(request.movements):
        where = places.get(m.target.container_id or 0, set())
        if len(where) > 1:
            others = sorted(where - {m.target.location_id})
            raise InvalidInput(f"container {m.target.container_id} is in location {others[0]}; move the whole "
                               "container or choose another", field=f"movements[{index}].to_container_id",
                               code="container_elsewhere")


def _row(key: str, d: BalanceDelta, facts: MasterFacts, now: datetime) -> dict[str, object]:
    location = facts.locations[d.bucket.location_id]
    return {"key": key, "owner_id": d.item.owner_id, "sku_id": d.item.sku_id, "lot_id": d.item.lot_id,
            "serial": d.item.serial, "warehouse_id": location.warehouse_id,
            "location_id": d.bucket.location_id, "container_id": d.bucket.container_id,
            "status": d.bucket.status.value, "is_virtual": location.is_virtual, "now": now}


def _shortage(request: PostingRequest, keyed: Sequence[tuple[str, BalanceDelta]], key: str) -> InsufficientStock:
    delta = next(d for k, d in keyed if k == key)
    field = "quantity"
    for index, m in enumerate(request.movements):
        if m.item == delta.item and m.source == delta.bucket:
            field = f"movements[{index}].quantity"
            break
    else:
        for index, a in enumerate(request.allocations):
            if a.item == delta.item and a.bucket == delta.bucket:
                field = f"allocations[{index}].quantity"
                break
    what = "allocate" if delta.on_hand >= 0 and delta.allocated > 0 else "take"
    if delta.allocated < 0 and delta.on_hand >= 0:
        what = "release"
    message = {
        "take": f"not enough available stock in location {delta.bucket.location_id} for SKU {delta.item.sku_id}",
        "allocate": f"cannot allocate more than is available in location {delta.bucket.location_id}",
        "release": "cannot release more than is allocated",
    }[what]
    return InsufficientStock(message, field=field, details={"bucket": key})


def _integrity_error(error: IntegrityError, request: PostingRequest) -> Exception:
    text_ = str(error.orig)
    constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None) or text_
    if "serial" in constraint:
        index = next((i for i, m in enumerate(request.movements) if m.item.serial is not None), 0)
        return DuplicateSerial("this serial number is already in stock", field=f"movements[{index}].serial")
    return error
