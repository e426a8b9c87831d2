"""Counts (盘点): planned, ad-hoc and count-on-touch (动碰), blind by default, with recounts and approved
variances.

Operations go on while a count runs. A line's variance is the counted quantity against the books *at the moment
it is entered* (the snapshot plus every movement since), so a pick during counting never shows up as a variance.
A variance beyond the threshold is recounted by someone else; posting variances waits for a supervisor who did
not count."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from stockyard.config import get_settings
from stockyard.db import ledger as repo
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import Principal
from stockyard.domain.counting import CountStatus, accuracy, check_recounter, needs_recount, variance
from stockyard.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from stockyard.domain.stock import Bucket, Movement, PostingRequest, StockItem, StockStatus, VirtualKind
from stockyard.services import approvals, audit, ledger
from stockyard.services import masterdata as md
from stockyard.services.browse import View

Row = dict[str, Any]
APPROVAL_KIND = "count_variance"


@dataclass(frozen=True)
class Criteria:
    """Which stock a count covers, in one warehouse: any mix of zone, locations, SKU and ABC class."""

    warehouse_id: int
    zone_id: int | None = None
    location_ids: Sequence[int] | None = None
    sku_id: int | None = None
    abc_class: str | None = None


def start(db: Database, principal: Principal, c: Criteria, *, blind: bool = True) -> Row:
    """Start an ad-hoc count: the books of the matching stock are snapshotted as its lines."""
    return db.write(lambda conn: start_in(conn, principal, c, kind="ad_hoc", blind=blind))


def start_in(conn: Connection, principal: Principal, c: Criteria, *, kind: str, blind: bool,
             plan_id: int | None = None, touched: Sequence[Bucketed] = ()) -> Row:
    md.require(conn, principal, "warehouse_id", md.WAREHOUSE, c.warehouse_id)
    if c.zone_id is not None:
        md.require(conn, principal, "zone_id", md.ZONE, c.zone_id)
    if c.sku_id is not None:
        md.require(conn, principal, "sku_id", md.SKU, c.sku_id)
    for index, location_id in enumerate(c.location_ids or ()):
        md.require(conn, principal, f"location_ids[{index}]", md.LOCATION, location_id)
    snapshot = conn.execute(select(func.coalesce(func.max(t.movement.c.id), 0))).scalar_one()
    now = datetime.now(UTC)
    count_id = conn.execute(insert(t.stock_count).values(
        warehouse_id=c.warehouse_id, plan_id=plan_id, kind=kind, status=CountStatus.COUNTING.value, blind=blind,
        snapshot_movement_id=snapshot, created_by=principal.name, created_at=now)
        .returning(t.stock_count.c.id)).scalar_one()
    rows = _balances(conn, principal, c)
    # What a movement just emptied has no stock left to snapshot, yet it is what the count-on-touch is for.
    present = {(r.location_id, r.owner_id, r.sku_id, r.lot_id, r.serial, r.container_id, r.status) for r in rows}
    rows += [_Empty(*key) for key in touched if key not in present]
    if rows:
        conn.execute(insert(t.count_line), [{
            "count_id": count_id, "location_id": r.location_id, "owner_id": r.owner_id, "sku_id": r.sku_id,
            "lot_id": r.lot_id, "serial": r.serial, "container_id": r.container_id, "status": r.status,
            "snapshot_quantity": r.on_hand} for r in rows])
    result = _read(conn, count_id, hide_books=False)
    audit.record(conn, principal, "count.start", "stock_count", count_id,
                 after={"kind": kind, "lines": len(rows), "criteria": vars(c)})
    return result


def _balances(conn: Connection, principal: Principal, c: Criteria) -> list[Any]:
    b, loc, s = t.balance, t.location, t.sku
    query = (select(b.c.location_id, b.c.owner_id, b.c.sku_id, b.c.lot_id, b.c.serial, b.c.container_id,
                    b.c.status, b.c.on_hand).join(loc, loc.c.id == b.c.location_id).join(s, s.c.id == b.c.sku_id)
             .where(b.c.warehouse_id == c.warehouse_id, ~b.c.is_virtual, b.c.on_hand > 0)
             .order_by(b.c.location_id, b.c.key))
    if c.zone_id is not None:
        query = query.where(loc.c.zone_id == c.zone_id)
    if c.location_ids:
        query = query.where(b.c.location_id.in_(sorted(c.location_ids)))
    if c.sku_id is not None:
        query = query.where(b.c.sku_id == c.sku_id)
    if c.abc_class is not None:
        query = query.where(s.c.abc_class == c.abc_class)
    scope = md.all_of(md.within(b.c.owner_id, principal.owner_ids), md.within(loc.c.zone_id, principal.zone_ids))
    if scope is not None:
        query = query.where(scope)
    return list(conn.execute(query).all())


# A stock bucket with its item: (location, owner, SKU, lot, serial, container, status).
Bucketed = tuple[int, int, int, int | None, str | None, int | None, str]


@dataclass(frozen=True)
class _Empty:
    location_id: int
    owner_id: int
    sku_id: int
    lot_id: int | None
    serial: str | None
    container_id: int | None
    status: str
    on_hand: Decimal = Decimal(0)


# ---------------------------------------------------------------- counting


@dataclass(frozen=True)
class Entry:
    """What a counter found: by line, or an item found where the books have none (a new line)."""

    quantity: Decimal
    line_id: int | None = None
    location_id: int | None = None
    owner_id: int | None = None
    sku_id: int | None = None
    lot_id: int | None = None
    serial: str | None = None
    container_id: int | None = None


def enter(db: Database, principal: Principal, count_id: int, entries: Sequence[Entry]) -> Row:
    """Record counted quantities (first count, or the recount of the lines that need one)."""
    def work(conn: Connection) -> Row:
        count = visible(conn, principal, count_id, lock=True)
        if count["status"] not in (CountStatus.COUNTING, CountStatus.RECOUNT):
            raise Conflict(f"the count is {count['status']}", field="count_id", code="count_closed")
        recounting = count["status"] == CountStatus.RECOUNT
        for index, e in enumerate(entries):
            _enter_one(conn, principal, count, e, index, recounting)
        result = _read(conn, count_id, hide_books=_hide(count, principal))
        audit.record(conn, principal, "count.recount" if recounting else "count.enter", "stock_count", count_id,
                     after={"entries": [vars(e) for e in entries]})
        return result
    return db.write(work)


def _enter_one(conn: Connection, principal: Principal, count: Row, e: Entry, index: int, recounting: bool) -> None:
    if e.quantity < 0:
        raise InvalidInput("cannot be negative", field=f"entries[{index}].quantity")
    line = _line(conn, principal, count, e, index, recounting)
    book = _book_now(conn, line)
    now = datetime.now(UTC)
    cl = t.count_line
    if recounting:
        if line["recount_quantity"] is not None or line["counted_quantity"] is None:
            raise Conflict("this line needs no recount", field=f"entries[{index}].line_id", code="no_recount")
        check_recounter(line["counted_by"], principal.name)
        values: Row = {"recount_quantity": e.quantity, "recounted_by": principal.name, "recounted_at": now,
                       "book_at_count": book}
    else:
        values = {"counted_quantity": e.quantity, "counted_by": principal.name, "counted_at": now,
                  "book_at_count": book}
    conn.execute(update(cl).where(cl.c.id == line["id"]).values(**values))


def _line(conn: Connection, principal: Principal, count: Row, e: Entry, index: int, recounting: bool) -> Row:
    cl = t.count_line
    if e.line_id is not None:
        row = conn.execute(select(cl).where(cl.c.id == e.line_id, cl.c.count_id == count["id"])).first()
        if row is None:
            raise InvalidInput(f"line {e.line_id} is not on this count", field=f"entries[{index}].line_id",
                               code="unknown_line")
        return dict(row._mapping)
    if recounting or e.location_id is None or e.owner_id is None or e.sku_id is None:
        raise InvalidInput("give line_id, or the location, owner and SKU of an item found",
                           field=f"entries[{index}].line_id")
    location = md.require(conn, principal, f"entries[{index}].location_id", md.LOCATION, e.location_id)
    sku = md.require(conn, principal, f"entries[{index}].sku_id", md.SKU, e.sku_id)
    if location["warehouse_id"] != count["warehouse_id"] or location["virtual_kind"] or sku["owner_id"] != e.owner_id:
        raise InvalidInput("a location of the count's warehouse and a SKU of that owner",
                           field=f"entries[{index}].location_id", code="unknown_location")
    values = {"count_id": count["id"], "location_id": e.location_id, "owner_id": e.owner_id, "sku_id": e.sku_id,
              "lot_id": e.lot_id, "serial": e.serial, "container_id": e.container_id,
              "status": StockStatus.AVAILABLE.value, "snapshot_quantity": Decimal(0)}
    line_id = conn.execute(insert(cl).values(**values).returning(cl.c.id)).scalar_one()
    return {**values, "id": line_id, "counted_quantity": None, "counted_by": None, "recount_quantity": None}


def _book_now(conn: Connection, line: Row) -> Decimal:
    """The books of the line's bucket now: the snapshot plus every movement since, read from the projection."""
    b = t.balance
    found = conn.execute(select(b.c.on_hand).where(
        b.c.location_id == line["location_id"], b.c.owner_id == line["owner_id"], b.c.sku_id == line["sku_id"],
        b.c.lot_id.is_(None) if line["lot_id"] is None else b.c.lot_id == line["lot_id"],
        b.c.serial.is_(None) if line["serial"] is None else b.c.serial == line["serial"],
        b.c.container_id.is_(None) if line["container_id"] is None else b.c.container_id == line["container_id"],
        b.c.status == line["status"])).scalar()
    return Decimal(found or 0)


def finish(db: Database, principal: Principal, count_id: int) -> Row:
    """Close counting: lines beyond the threshold go to recount (by someone else); then variances wait for a
    supervisor's approval, or the count is done when there are none."""
    threshold = get_settings().count_recount_threshold

    def work(conn: Connection) -> Row:
        count = visible(conn, principal, count_id, lock=True)
        if count["status"] not in (CountStatus.COUNTING, CountStatus.RECOUNT):
            raise Conflict(f"the count is {count['status']}", field="count_id", code="count_closed")
        lines = _lines(conn, count_id)
        uncounted = [line["id"] for line in lines if line["counted_quantity"] is None]
        if uncounted:
            raise Conflict(f"{len(uncounted)} line(s) not counted yet", field="count_id", code="not_counted",
                           details={"line_ids": uncounted[:50]})
        if count["status"] == CountStatus.COUNTING and any(needs_recount(line, threshold) for line in lines):
            return _set(conn, principal, count, CountStatus.RECOUNT, "count.finish")
        pending = [line for line in lines if needs_recount(line, threshold) and line["recount_quantity"] is None]
        if pending:
            raise Conflict(f"{len(pending)} line(s) wait for a recount", field="count_id", code="not_recounted")
        variances = [_variance(line) for line in lines if variance(line) != 0]
        if not variances:
            return _set(conn, principal, count, CountStatus.POSTED, "count.finish")
        request = approvals.request_in(
            conn, principal, APPROVAL_KIND, {"count_id": count_id, "variances": variances},
            summary=f"count {count_id}: {len(variances)} variance(s)", warehouse_id=count["warehouse_id"],
            owner_id=_only_owner(lines))
        conn.execute(update(t.stock_count).where(t.stock_count.c.id == count_id).values(
            approval_request_id=request["id"]))
        return _set(conn, principal, count, CountStatus.AWAITING_APPROVAL, "count.finish")
    return db.write(work)


def _variance(line: Row) -> Row:
    return {"line_id": line["id"], "location_id": line["location_id"], "owner_id": line["owner_id"],
            "sku_id": line["sku_id"], "lot_id": line["lot_id"], "serial": line["serial"],
            "container_id": line["container_id"], "status": line["status"],
            "difference": str(variance(line))}


def _only_owner(lines: list[Row]) -> int | None:
    owners = {line["owner_id"] for line in lines}
    return owners.pop() if len(owners) == 1 else None


def _post_variances(conn: Connection, requester: Principal, payload: Mapping[str, Any]) -> Mapping[str, Any]:
    count = conn.execute(select(t.stock_count).where(t.stock_count.c.id == payload["count_id"])).one()
    adjustment = repo.virtual_location_id(conn, count.warehouse_id, VirtualKind.ADJUSTMENT)
    movements = []
    for v in payload["variances"]:
        item = StockItem(v["owner_id"], v["sku_id"], v["lot_id"], v["serial"])
        shelf = Bucket(v["location_id"], v["container_id"], StockStatus(v["status"]))
        difference = Decimal(v["difference"])
        source, target = (Bucket(adjustment), shelf) if difference > 0 else (shelf, Bucket(adjustment))
        movements.append(Movement(item, source, target, abs(difference)))
    written = ledger.post_in(conn, PostingRequest("COUNT", movements, doc_type="count", doc_ref=str(count.id),
                                                  user=requester.name))
    conn.execute(update(t.stock_count).where(t.stock_count.c.id == count.id).values(
        status=CountStatus.POSTED.value, posting_id=written.posting_id, posted_at=datetime.now(UTC)))
    return {"posting_id": written.posting_id, "movements": written.movements}


def _vet(conn: Connection, approver: Principal, payload: Mapping[str, Any]) -> None:
    cl = t.count_line
    counters = set(conn.execute(select(cl.c.counted_by).where(cl.c.count_id == payload["count_id"])).scalars())
    counters |= set(conn.execute(select(cl.c.recounted_by).where(cl.c.count_id == payload["count_id"])).scalars())
    if approver.name in counters:
        raise Forbidden("someone who counted cannot approve the count's variances", field="request_id",
                        code="self_approval")


approvals.register(APPROVAL_KIND, approvals.ApprovalKind("inventory.count", _post_variances, _vet))


def cancel(db: Database, principal: Principal, count_id: int) -> Row:
    def work(conn: Connection) -> Row:
        count = visible(conn, principal, count_id, lock=True)
        if count["status"] in (CountStatus.POSTED, CountStatus.CANCELLED, CountStatus.AWAITING_APPROVAL):
            raise Conflict(f"the count is {count['status']}", field="count_id", code="count_closed")
        return _set(conn, principal, count, CountStatus.CANCELLED, "count.cancel")
    return db.write(work)


def _set(conn: Connection, principal: Principal, count: Row, status: CountStatus, action: str) -> Row:
    conn.execute(update(t.stock_count).where(t.stock_count.c.id == count["id"]).values(status=status.value))
    result = _read(conn, count["id"], hide_books=_hide(count, principal))
    audit.record(conn, principal, action, "stock_count", count["id"], before={"status": count["status"]},
                 after={"status": status.value})
    return result


# ---------------------------------------------------------------- reading


def get(db: Database, principal: Principal, count_id: int) -> Row:
    def work(conn: Connection) -> Row:
        count = visible(conn, principal, count_id)
        return _read(conn, count_id, hide_books=_hide(count, principal))
    return db.read(work)


def list_counts(db: Database, principal: Principal, *, warehouse_id: int | None = None,
                status: str | None = None, limit: int = 100) -> list[Row]:
    c = t.stock_count
    query = select(c).order_by(c.c.id.desc()).limit(limit)
    if warehouse_id is not None:
        query = query.where(c.c.warehouse_id == warehouse_id)
    if status is not None:
        query = query.where(c.c.status == status)
    clause = md.within(c.c.warehouse_id, principal.warehouse_ids)
    if clause is not None:
        query = query.where(clause)
    return db.read(lambda conn: [dict(r._mapping) for r in conn.execute(query)])


def visible(conn: Connection, principal: Principal, count_id: int, *, lock: bool = False) -> Row:
    query = select(t.stock_count).where(t.stock_count.c.id == count_id)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None or not principal.scope.allows_warehouse(row.warehouse_id) or not _covers(conn, principal, count_id):
        raise NotFound(f"count {count_id} not found", field="count_id")
    return dict(row._mapping)


def _covers(conn: Connection, principal: Principal, count_id: int) -> bool:
    """An owner- or zone-scoped principal acts on a count only if all of its lines are theirs."""
    if principal.owner_ids is None and principal.zone_ids is None:
        return True
    cl = t.count_line
    loc = t.location
    rows = conn.execute(select(cl.c.owner_id, loc.c.zone_id).join(loc, loc.c.id == cl.c.location_id)
                        .where(cl.c.count_id == count_id).distinct()).all()
    return all(principal.scope.allows_owner(r.owner_id) and principal.scope.allows_zone(r.zone_id) for r in rows)


def _hide(count: Row, principal: Principal) -> bool:
    # A blind count shows counters no book quantities; supervisors (who approve variances) see them.
    return bool(count["blind"]) and not principal.can("approvals.decide")


def _lines(conn: Connection, count_id: int, principal: Principal | None = None) -> list[Row]:
    cl = t.count_line
    query = select(cl).where(cl.c.count_id == count_id).order_by(cl.c.location_id, cl.c.id)
    if principal is not None:
        clause = md.within(cl.c.owner_id, principal.owner_ids)
        if clause is not None:
            query = query.where(clause)
    return [dict(r._mapping) for r in conn.execute(query)]


def _read(conn: Connection, count_id: int, *, hide_books: bool, principal: Principal | None = None) -> Row:
    count = dict(conn.execute(select(t.stock_count).where(t.stock_count.c.id == count_id)).one()._mapping)
    lines = _lines(conn, count_id, principal)
    threshold = get_settings().count_recount_threshold
    for line in lines:
        line["needs_recount"] = count["status"] == CountStatus.RECOUNT and needs_recount(line, threshold) and \
            line["recount_quantity"] is None
        if hide_books:
            line["snapshot_quantity"] = line["book_at_count"] = None
        elif line["counted_quantity"] is not None:
            line["variance"] = _variance(line)["difference"]
    count["lines"] = lines
    return count


def accuracy_report(db: Database, principal: Principal, *, warehouse_id: int, since: date, until: date,
                    by: str = "zone") -> list[Row]:
    """Inventory accuracy of the counts posted in a period, per zone or per owner: the share of lines counted
    exactly, and the quantity accuracy (1 − |variance| / book)."""
    def work(conn: Connection) -> list[Row]:
        md.require(conn, principal, "warehouse_id", md.WAREHOUSE, warehouse_id)
        c, cl, loc = t.stock_count, t.count_line, t.location
        key = loc.c.zone_id if by == "zone" else cl.c.owner_id
        query = (select(key.label("key"), cl.c.counted_quantity, cl.c.recount_quantity, cl.c.book_at_count)
                 .join(c, c.c.id == cl.c.count_id).join(loc, loc.c.id == cl.c.location_id)
                 .where(c.c.warehouse_id == warehouse_id, c.c.status == CountStatus.POSTED.value,
                        c.c.created_at >= datetime.combine(since, datetime.min.time(), UTC),
                        c.c.created_at < datetime.combine(until + timedelta(days=1), datetime.min.time(), UTC),
                        cl.c.counted_quantity.is_not(None)))
        scope = md.within(cl.c.owner_id, principal.owner_ids)
        if scope is not None:
            query = query.where(scope)
        groups: dict[Any, list[tuple[Decimal, Decimal]]] = {}
        for r in conn.execute(query):
            final = r.recount_quantity if r.recount_quantity is not None else r.counted_quantity
            groups.setdefault(r.key, []).append((final, r.book_at_count))
        return [{by + "_id": key, **accuracy(pairs)} for key, pairs in sorted(groups.items(), key=lambda kv: (
            kv[0] is None, kv[0] or 0))]
    return db.read(work)


# ---------------------------------------------------------------- plans and count-on-touch


PLAN_FIELDS = ("name", "zone_id", "sku_id", "abc_class", "location_ids", "every_days", "next_due", "blind")


def create_plan(db: Database, principal: Principal, warehouse_id: int, values: Mapping[str, Any]) -> Row:
    """A count plan: what to count (zone, locations, SKU or ABC class) and how often; counts start by
    themselves when due (`run_due_plans`)."""
    def work(conn: Connection) -> Row:
        md.get_in(conn, md.WAREHOUSE, warehouse_id, principal)
        if values.get("zone_id") is not None:
            md.require(conn, principal, "zone_id", md.ZONE, values["zone_id"])
        now = datetime.now(UTC)
        plan_id = conn.execute(insert(t.count_plan).values(warehouse_id=warehouse_id, **values, created_at=now,
                                                           updated_at=now).returning(t.count_plan.c.id)).scalar_one()
        row = dict(conn.execute(select(t.count_plan).where(t.count_plan.c.id == plan_id)).one()._mapping)
        audit.record(conn, principal, "count_plan.create", "count_plan", plan_id, after=row)
        return row
    return db.write(work)


def list_plans(db: Database, principal: Principal, warehouse_id: int) -> list[Row]:
    def work(conn: Connection) -> list[Row]:
        md.get_in(conn, md.WAREHOUSE, warehouse_id, principal)
        p = t.count_plan
        return [dict(r._mapping) for r in conn.execute(select(p).where(p.c.warehouse_id == warehouse_id)
                                                       .order_by(p.c.id))]
    return db.read(work)


def run_due_plans(db: Database, principal: Principal, today: date | None = None) -> list[Row]:
    """Start a count for every active plan due by ``today`` (in the principal's scope) and move its next date
    on by its frequency. Run daily (``stockyard counts run-due`` from cron, or the API)."""
    today = today or date.today()

    def work(conn: Connection) -> list[Row]:
        p = t.count_plan
        query = select(p).where(p.c.active, p.c.next_due <= today).order_by(p.c.id).with_for_update()
        clause = md.within(p.c.warehouse_id, principal.warehouse_ids)
        if clause is not None:
            query = query.where(clause)
        started = []
        for plan in conn.execute(query).all():
            criteria = Criteria(plan.warehouse_id, plan.zone_id, plan.location_ids, plan.sku_id, plan.abc_class)
            started.append(start_in(conn, principal, criteria, kind="planned", blind=plan.blind, plan_id=plan.id))
            following = plan.next_due + timedelta(days=plan.every_days)
            while following <= today:  # a plan left alone for a while counts once, not once per missed date
                following += timedelta(days=plan.every_days)
            conn.execute(update(p).where(p.c.id == plan.id).values(next_due=following, updated_at=datetime.now(UTC)))
        audit.record(conn, principal, "count_plan.run_due", "count_plan", None,
                     after={"date": today, "counts_started": [c["id"] for c in started]})
        return started
    return db.write(work)


def count_on_touch(conn: Connection, principal: Principal, warehouse_id: int, touched: Sequence[Bucketed]) -> None:
    """动碰盘点: a location a movement emptied or left below the threshold is counted, unless a count of it is
    already open. Called by the commands that take stock out (moves and picks)."""
    below = get_settings().count_on_touch_below
    b = t.balance
    for location_id in sorted({bucket[0] for bucket in touched}):
        left = conn.execute(select(func.coalesce(func.sum(b.c.on_hand), 0)).where(
            b.c.location_id == location_id, ~b.c.is_virtual)).scalar_one()
        if left > below:
            continue
        flag_location(conn, principal, warehouse_id, location_id, "on_touch",
                      touched=[bucket for bucket in touched if bucket[0] == location_id])


def flag_location(conn: Connection, principal: Principal, warehouse_id: int, location_id: int, kind: str, *,
                  touched: Sequence[Bucketed] = ()) -> int:
    """Start a blind count of one location (a short pick found it wrong, a pick emptied it), unless a count of
    it is already open; returns the count's id either way."""
    c, cl = t.stock_count, t.count_line
    open_count = conn.execute(select(c.c.id).join(cl, cl.c.count_id == c.c.id).where(
        cl.c.location_id == location_id, c.c.status.in_([CountStatus.COUNTING.value, CountStatus.RECOUNT.value]))
        .limit(1)).scalar()
    if open_count is not None:
        return int(open_count)
    started = start_in(conn, principal, Criteria(warehouse_id, location_ids=[location_id]), kind=kind, blind=True,
                       touched=touched)
    return int(started["id"])


def count_view(principal: Principal) -> View:
    """Counts for the console's list (newest first), in the principal's warehouses like :func:`list_counts`."""
    c, w = t.stock_count, t.warehouse
    lines = (select(t.count_line.c.count_id, func.count().label("lines"),
                    func.count(t.count_line.c.counted_quantity).label("counted"))
             .group_by(t.count_line.c.count_id).subquery())
    query = (select(c.c.id, w.c.code.label("warehouse"), c.c.warehouse_id, c.c.kind, c.c.status, c.c.blind,
                    func.coalesce(lines.c.lines, 0).label("lines"), func.coalesce(lines.c.counted, 0).label("counted"),
                    c.c.created_by, c.c.created_at, c.c.posted_at)
             .join(w, w.c.id == c.c.warehouse_id).outerjoin(lines, lines.c.count_id == c.c.id))
    clause = md.within(c.c.warehouse_id, principal.warehouse_ids)
    if clause is not None:
        query = query.where(clause)
    return View(query, filters=("warehouse_id", "kind", "status"), search=("created_by", "warehouse"),
                sortable=("id", "warehouse", "kind", "status", "created_at", "posted_at"), default_sort="id",
                default_desc=True)


def get_labelled(db: Database, principal: Principal, count_id: int) -> Row:
    """A count as :func:`get` reads it (book quantities hidden where it hides them), its lines labelled for a
    person: location, owner, SKU, lot and container by code, and the warehouse's code."""
    def work(conn: Connection) -> Row:
        found = visible(conn, principal, count_id)
        count = _read(conn, count_id, hide_books=_hide(found, principal))
        cl, loc, own, s, lot, box = t.count_line, t.location, t.owner, t.sku, t.lot, t.container
        labels = {r.id: dict(r._mapping) for r in conn.execute(
            select(cl.c.id, loc.c.code.label("location_code"), own.c.code.label("owner_code"),
                   s.c.code.label("sku_code"), s.c.name.label("sku_name"), lot.c.number.label("lot_number"),
                   box.c.lpn.label("container_lpn"))
            .join(loc, loc.c.id == cl.c.location_id).join(own, own.c.id == cl.c.owner_id)
            .join(s, s.c.id == cl.c.sku_id).outerjoin(lot, lot.c.id == cl.c.lot_id)
            .outerjoin(box, box.c.id == cl.c.container_id).where(cl.c.count_id == count_id))}
        for line in count["lines"]:
            line.update(labels.get(line["id"], {}))
        count["warehouse_code"] = conn.execute(select(t.warehouse.c.code).where(
            t.warehouse.c.id == count["warehouse_id"])).scalar_one()
        count["books_hidden"] = _hide(found, principal)
        return count
    return db.read(work)
