"""P6 benchmark: one wave of 10,000 orders x 3 lines over 5,000 SKUs, created and released through the services.

Run from the repository root::

    .venv/bin/python bench/p6_wave.py [--backend postgresql|sqlite|both] [--modes cluster,batch] [--orders 10000]
    stockyard bench p6_wave [same options]

For each backend and pick mode a scratch database (a temporary SQLite file; a uniquely named PostgreSQL database,
dropped at the end even on failure) is migrated and gets, outside the timed part:

* a warehouse of ``--aisles`` x ``--bays`` x ``--levels`` pick-face locations (default 40 x 60 x 2 = 4,800), aisles
  3 m apart (x) with bays 1.2 m apart along them (y), both levels of a bay at one spot, and a staging location at
  the front (x = 0, y = 0); locations and SKUs are inserted set-based (plain rows, as ``masterdata.create`` writes
  them, without its audit entries);
* ``--skus`` SKUs, each stocked in 1 location (60 %), 2 (25 %) or 3 (15 %), opening stock posted through
  ``stock.post_opening_stock`` (one posting). Each SKU gets its orders' demand plus 2-12 units, split over its
  locations, so every line can be served;
* ``--orders`` shipment orders of ``--lines`` lines (distinct random SKUs, 1-3 units each). The first
  ``--service-orders`` go through ``orders.create_order``; the rest are inserted set-based with exactly the rows
  it writes (status ``created``, the same ``content_hash``, lines in base units) - the script checks that the
  hash it computes equals the one ``create_order`` stored for the service-made orders.

Timed: ONE ``waves.create_wave`` with all the order ids, then ONE ``waves.release`` (``max_orders_per_trip`` 8,
``max_lines_per_trip`` 40), wall clock around the two calls. The split of that time comes from perf_counter
wrappers put around service functions for the run (``orders.allocate_in`` and its parts, ``ledger.post_in``,
``waves._make_trips`` and its parts, ``TripRouter.route`` = ``routing.best_route``); the wrappers cost well under
1 ms in all. ``--profile`` adds one more cluster run per backend under cProfile and prints its top functions.

Reference, same run, same database, after the release: the floor of what a release must touch - one plain
``SELECT`` of every balance candidate of the wave's SKUs (balance joined to location, as the allocation reads
them) plus one bulk insert of as many task rows as the release wrote (the same rows, rolled back). Route lengths
are summed from the trips (route, S-shape, largest gap) and the mean saving per trip against S-shape reported.
``verify`` replays the ledger afterwards; it must be clean.

Target (``targets.md``, P6): <= 10 s. Not a test: it never fails on a missed target; pytest does not collect it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import JSON, Connection, Table, bindparam, create_engine, event, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ledger import DEFAULT_PG_URL, ServerProbe, _pg_version, environment, say, scratch_postgresql, scratch_sqlite
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.db.migrate import upgrade
from stockyard.db.types import Exact, to_units
from stockyard.domain.access import SYSTEM
from stockyard.domain.allocation import OrderStatus, OrderType, Rule
from stockyard.domain.master import LocationKind
from stockyard.domain.waves import PickMode
from stockyard.services import audit, ledger, orders, waves
from stockyard.services import masterdata as md
from stockyard.services.stock import StockLine, post_opening_stock
from stockyard.services.verify import verify

TARGET_SECONDS = 10.0
ROW_BATCH = 2000
Row = dict[str, Any]


# ---------------------------------------------------------------- the warehouse and the orders


@dataclass
class World:
    warehouse_id: int
    owner_id: int
    staging_id: int
    order_ids: list[int]
    locations: int
    skus: int
    balances: int
    lines: int
    units: int
    service_orders: int


def _chunks(rows: list[Row], size: int = ROW_BATCH) -> Iterator[list[Row]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def build(db: Database, args: argparse.Namespace, seed: int) -> World:
    rng = random.Random(seed)
    warehouse = md.create(db, md.WAREHOUSE, {"code": "P6", "name": "P6 bench"}, principal=SYSTEM)["id"]
    owner = md.create(db, md.OWNER, {"code": "P6", "name": "P6 bench"}, principal=SYSTEM)["id"]
    staging = md.create(db, md.LOCATION, {"warehouse_id": warehouse, "code": "STAGE-1", "kind": "staging",
                                          "x": Decimal(0), "y": Decimal(0)}, principal=SYSTEM)["id"]
    now = datetime.now(UTC)
    spots = [(a, b, lv) for a in range(1, args.aisles + 1) for b in range(1, args.bays + 1)
             for lv in range(1, args.levels + 1)]
    location_rows = [{"warehouse_id": warehouse, "code": f"A{a:02d}-{b:02d}-{lv}", "kind": LocationKind.PICK_FACE.value,
                      "aisle": f"A{a:02d}", "bay": f"{b:02d}", "level": str(lv), "x": Decimal(3 * a),
                      "y": Decimal(2) + Decimal("1.2") * b, "created_at": now, "updated_at": now}
                     for a, b, lv in spots]
    sku_rows = [{"owner_id": owner, "code": f"SKU{n:05d}", "name": f"Item {n}", "created_at": now,
                 "updated_at": now} for n in range(1, args.skus + 1)]

    def master(conn: Connection) -> tuple[list[int], dict[str, int]]:
        for chunk in _chunks(location_rows):
            conn.execute(insert(t.location), chunk)
        for chunk in _chunks(sku_rows):
            conn.execute(insert(t.sku), chunk)
        locs = [r.id for r in conn.execute(select(t.location.c.id).where(
            t.location.c.warehouse_id == warehouse, t.location.c.kind == LocationKind.PICK_FACE.value)
            .order_by(t.location.c.id))]
        skus = {r.code: r.id for r in conn.execute(select(t.sku.c.id, t.sku.c.code).where(t.sku.c.owner_id == owner))}
        return locs, skus

    location_ids, sku_by_code = db.write(master)
    sku_ids = [sku_by_code[f"SKU{n:05d}"] for n in range(1, args.skus + 1)]

    # Orders first: each SKU is stocked for what its orders need, plus a little.
    specs = []
    demand: defaultdict[int, int] = defaultdict(int)
    for _ in range(args.orders):
        lines = [(sku, rng.randint(1, 3)) for sku in rng.sample(sku_ids, args.lines)]
        for sku, quantity in lines:
            demand[sku] += quantity
        specs.append(lines)
    stock: list[StockLine] = []
    for sku in sku_ids:
        places = rng.choices((1, 2, 3), weights=(60, 25, 15))[0]
        where = rng.sample(location_ids, places)
        total = demand[sku] + rng.randint(2, 12)
        cuts = sorted(rng.sample(range(1, total), places - 1)) if places > 1 else []
        for location, quantity in zip(where, [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)],
                                      strict=True):
            stock.append(StockLine(owner, sku, location, Decimal(quantity)))
    post_opening_stock(db, stock, principal=SYSTEM, doc_ref="p6")

    service = min(args.service_orders, args.orders)
    made: list[int] = []
    for n in range(service):
        intake = orders.create_order(db, SYSTEM, _new_order(warehouse, owner, n, specs[n]))
        made.append(int(intake.order["id"]))

    def bulk(conn: Connection) -> list[int]:
        # The service-made orders carry the hash create_order computed: ours must be the same.
        stored = dict(conn.execute(select(t.shipment_order.c.external_ref, t.shipment_order.c.content_hash)
                                   .where(t.shipment_order.c.id.in_(made))).all()) if made else {}
        for n in range(service):
            new = _new_order(warehouse, owner, n, specs[n])
            if stored[new.external_ref] != _digest(new, _line_rows(specs[n])):
                raise SystemExit(f"set-up: the bulk content hash differs from create_order's for {new.external_ref}")
        created = datetime.now(UTC)
        heads = []
        for n in range(service, args.orders):
            new = _new_order(warehouse, owner, n, specs[n])
            heads.append({"owner_id": owner, "warehouse_id": warehouse, "external_ref": new.external_ref,
                          "type": new.type.value, "status": OrderStatus.CREATED.value, "rule": new.rule.value,
                          "priority": new.priority, "requested_ship_date": None, "carrier_id": None,
                          "service_level": None, "ship_to": None, "on_hold": False,
                          "content_hash": _digest(new, _line_rows(specs[n])), "created_by": SYSTEM.name,
                          "created_at": created, "updated_at": created})
        for chunk in _chunks(heads):
            conn.execute(insert(t.shipment_order), chunk)
        o = t.shipment_order
        ids = dict(conn.execute(select(o.c.external_ref, o.c.id).where(o.c.owner_id == owner)).all())
        line_rows = [{**line, "order_id": ids[_ref(n)]} for n in range(service, args.orders)
                     for line in _line_rows(specs[n])]
        for chunk in _chunks(line_rows):
            conn.execute(insert(t.shipment_line), chunk)
        return [ids[_ref(n)] for n in range(args.orders)]

    order_ids = db.write(bulk)
    return World(warehouse, owner, staging, order_ids, len(location_ids), len(sku_ids), len(stock),
                 args.orders * args.lines, sum(q for spec in specs for _, q in spec), service)


def _ref(n: int) -> str:
    return f"SO{n:06d}"


def _new_order(warehouse: int, owner: int, n: int, spec: list[tuple[int, int]]) -> orders.NewOrder:
    return orders.NewOrder(owner_id=owner, warehouse_id=warehouse, external_ref=_ref(n), type=OrderType.SALES_B2C,
                           rule=Rule.FEFO, lines=[orders.NewOrderLine(quantity=Decimal(q), sku_id=s) for s, q in spec])


def _line_rows(spec: list[tuple[int, int]]) -> list[Row]:
    """The rows ``orders._lines`` makes for an each-level line of a plain SKU (base unit C62, factor 1)."""
    return [{"line_no": i + 1, "sku_id": sku, "quantity": Decimal(q), "ordered_quantity": Decimal(q),
             "ordered_uom": "C62", "lot_number": None, "min_shelf_life_days": None, "allocated_quantity": Decimal(0)}
            for i, (sku, q) in enumerate(spec)]


def _digest(new: orders.NewOrder, lines: list[Row]) -> str:
    return orders.content_digest(new, lines)


# ---------------------------------------------------------------- timing the phases


@dataclass
class Phases:
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))


@contextmanager
def timed_phases() -> Iterator[Phases]:
    """perf_counter wrappers around the service functions a wave release goes through (restored afterwards)."""
    phases = Phases()
    targets: list[tuple[Any, str, str]] = [
        (waves, "_check_wavable", "create: order checks (_check_wavable)"),
        (orders, "allocate_in", "allocation: orders.allocate_in"),
        (orders, "_candidates", "  candidates read (orders._candidates)"),
        (orders, "plan", "  planning (allocation.plan per line)"),
        (ledger, "post_in", "  ledger.post_in (one posting)"),
        (orders, "_record_runs", "  lines + orders written (orders._record_runs)"),
        (waves, "_make_trips", "trips: waves._make_trips"),
        (waves, "group_trips", "  grouping (group_trips)"),
        (waves.TripRouter, "for_warehouse", "  aisle graph (TripRouter.for_warehouse)"),
        (waves.TripRouter, "route", "  routing (TripRouter.route = best_route)"),
        (waves, "_insert_trips", "  trip rows (_insert_trips)"),
        (waves, "orders_to_sort", "  put-wall slots (orders_to_sort)"),
        (waves, "_read", "reading the wave back (waves._read)"),
        (audit, "record", "audit entries (audit.record)"),
    ]
    saved = []
    for owner, name, label in targets:
        original = owner.__dict__[name]
        saved.append((owner, name, original))
        function = original.__func__ if isinstance(original, classmethod) else original

        def wrap(fn: Callable[..., Any], label: str = label) -> Callable[..., Any]:
            def wrapper(*a: Any, **k: Any) -> Any:
                start = time.perf_counter()
                try:
                    return fn(*a, **k)
                finally:
                    phases.seconds[label] += time.perf_counter() - start
                    phases.calls[label] += 1
            return wrapper

        wrapped = wrap(function)
        setattr(owner, name, classmethod(wrapped) if isinstance(original, classmethod) else wrapped)
    try:
        yield phases
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


@dataclass
class Statements:
    """Wall time per SQL statement (by its first words), calls, and rows sent by executemany."""

    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    rows: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))

    def top(self, n: int) -> list[tuple[str, float, int, int]]:
        ranked = sorted(self.seconds.items(), key=lambda kv: -kv[1])[:n]
        return [(k, v, self.calls[k], self.rows[k]) for k, v in ranked]


def _statement_key(statement: str) -> str:
    words = " ".join(statement.split())
    for marker in (" VALUES", " SET ", " WHERE ", " FROM unnest"):
        cut = words.find(marker)
        if cut > 0 and words.startswith(("INSERT", "UPDATE")):
            words = words[:cut + len(marker)] + " ..."
            break
    return words[:110]


@contextmanager
def timed_statements(db: Database) -> Iterator[Statements]:
    found = Statements()

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        conn.info["p6_start"] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        key = _statement_key(statement) + (" [executemany]" if executemany else "")
        found.seconds[key] += time.perf_counter() - conn.info.pop("p6_start", time.perf_counter())
        found.calls[key] += 1
        found.rows[key] += len(parameters) if executemany else 1

    event.listen(db.engine, "before_cursor_execute", before)
    event.listen(db.engine, "after_cursor_execute", after)
    try:
        yield found
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
        event.remove(db.engine, "after_cursor_execute", after)


# ---------------------------------------------------------------- one measured wave


@dataclass
class Result:
    backend: str
    mode: str
    world: World
    create_s: float
    release_s: float
    phases: Phases
    stats: Row
    trips: int
    picks: int
    route: Decimal
    s_shape: Decimal
    largest_gap: Decimal
    mean_saving: float
    exact_trips: int
    floor: Floor
    clean: bool
    movements: int
    cpu_s: float  # CPU of this (client) process during the timed calls
    server_cpu_s: float | None  # CPU of the PostgreSQL backends serving the scratch database (None: SQLite)
    statements: Statements
    load: tuple[float, float]  # 1-minute load average of the machine before and after the timed calls
    profile: str | None = None

    @property
    def total_s(self) -> float:
        return self.create_s + self.release_s


def build_template(backend: str, url: str, args: argparse.Namespace) -> World:
    """Migrate and fill the database every measured run starts from a copy of."""
    db = Database.from_url(url)
    try:
        upgrade(db.engine)
        start = time.perf_counter()
        world = build(db, args, args.seed)
        say(f"{backend}: set-up {time.perf_counter() - start:.1f} s: {world.locations:,} pick locations, "
            f"{world.skus:,} SKUs in {world.balances:,} balances, {len(world.order_ids):,} orders "
            f"({world.service_orders} through create_order) x {args.lines} lines = {world.lines:,} lines, "
            f"{world.units:,} units")
        return world
    finally:
        db.dispose()


@contextmanager
def copy_of(template_url: str, admin_url: str, n: int) -> Iterator[str]:
    """A fresh copy of the template database (PostgreSQL: CREATE DATABASE ... TEMPLATE; SQLite: the file)."""
    template = make_url(template_url)
    if template.get_backend_name() == "sqlite":
        source = Path(template.database or "")
        target = source.with_name(f"run{n}.db")
        for suffix in ("", "-wal"):  # the last connection closed has checkpointed the WAL; copy one if left
            if Path(f"{source}{suffix}").exists():
                shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
        try:
            yield f"sqlite:///{target}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT",
                          poolclass=NullPool)
    name = f"{template.database}_run{n}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"'))
        try:
            yield template.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


class BackendProbe(ServerProbe):
    """CPU of the backends serving this scratch database only (not the WAL writer other databases share)."""

    def snapshot(self) -> dict[int, float]:
        rows = self.conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                 "AND pid <> pg_backend_pid()").fetchall()
        result = {}
        for (pid,) in rows:
            with suppress(OSError, ValueError, IndexError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                result[int(pid)] = (int(fields[11]) + int(fields[12])) / self.tick
        return result


def run_one(backend: str, url: str, world: World, mode: PickMode, args: argparse.Namespace,
            profile: bool) -> Result:
    db = Database.from_url(url)
    try:
        settings = waves.PickSettings(pick_mode=mode, max_orders_per_trip=args.max_orders,
                                      max_lines_per_trip=args.max_lines)
        profiler = cProfile.Profile() if profile else None
        probe = BackendProbe(url) if backend == "postgresql" else None
        server0 = probe.snapshot() if probe else {}
        with timed_phases() as phases, timed_statements(db) as statements:
            if profiler:
                profiler.enable()
            load0 = os.getloadavg()[0]
            cpu0 = time.process_time()
            t0 = time.perf_counter()
            made = waves.create_wave(db, SYSTEM, waves.NewWave(world.warehouse_id, world.order_ids, settings))
            t1 = time.perf_counter()
            released = waves.release(db, SYSTEM, made["id"])
            t2 = time.perf_counter()
            cpu = time.process_time() - cpu0
            load1 = os.getloadavg()[0]
        server = probe.used(server0, probe.snapshot()) if probe else None
        if probe:
            probe.close()
            if profiler:
                profiler.disable()
        report_text = None
        if profiler:
            out = io.StringIO()
            pstats_ = pstats.Stats(profiler, stream=out).strip_dirs()
            pstats_.sort_stats("cumulative").print_stats(45)
            pstats_.sort_stats("tottime").print_stats(30)
            report_text = out.getvalue()
        say(f"{backend}/{mode.value}: create_wave {t1 - t0:.2f} s, release {t2 - t1:.2f} s"
            + (" (under cProfile)" if profiler else ""))
        wave_id = made["id"]
        trips = db.read(lambda conn: conn.execute(select(
            t.pick_trip.c.route_length, t.pick_trip.c.s_shape_length, t.pick_trip.c.largest_gap_length,
            t.pick_trip.c.route_method).where(t.pick_trip.c.wave_id == wave_id)).all())
        savings = [float((r.s_shape_length - r.route_length) / r.s_shape_length) for r in trips if r.s_shape_length]
        floor = reference(db, wave_id)
        checked = verify(db)
        stats = released["stats"]
        return Result(backend, mode.value, world, t1 - t0, t2 - t1, phases, stats, len(trips), int(stats["picks"]),
                      sum((r.route_length for r in trips), Decimal(0)),
                      sum((r.s_shape_length for r in trips), Decimal(0)),
                      sum((r.largest_gap_length for r in trips), Decimal(0)),
                      sum(savings) / len(savings) if savings else 0.0,
                      sum(1 for r in trips if r.route_method == "exact"), floor, checked.ok, checked.movements,
                      cpu, server, statements, (load0, load1), report_text)
    finally:
        db.dispose()


def _db_value(column: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, Exact):
        return to_units(value)
    if isinstance(column.type, JSON):
        return json.dumps(value, default=str)
    return value


def _pg_types(conn: Connection, table: Table) -> dict[str, str]:
    return dict(conn.execute(text("SELECT column_name, udt_name FROM information_schema.columns "
                                  "WHERE table_name = :t"), {"t": table.name}).all())


def set_based_insert(conn: Connection, table: Table, rows: list[Row], types: dict[str, str]) -> None:
    """PostgreSQL: one INSERT ... SELECT FROM unnest(arrays) (as the ledger writes movements); SQLite: the
    driver's executemany (in-process, no round trips)."""
    if not rows:
        return
    columns = list(rows[0])
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    arrays = ", ".join(f"CAST(:c{i} AS {types[c]}[])" for i, c in enumerate(columns))
    statement = text(f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays})")
    conn.execute(statement, {f"c{i}": [_db_value(table.c[c], r[c]) for r in rows] for i, c in enumerate(columns)})


def set_based_update(conn: Connection, table: Table, rows: list[Row], types: dict[str, str]) -> None:
    """``rows`` carry ``id`` and the columns to set. PostgreSQL: one UPDATE ... FROM unnest(arrays)."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != "id"]
    if conn.dialect.name != "postgresql":
        conn.execute(update(table).where(table.c.id == bindparam("b_id"))
                     .values({c: bindparam(f"b_{c}") for c in columns}),
                     [{f"b_{k}": v for k, v in r.items()} for r in rows])
        return
    names = ["id", *columns]
    arrays = ", ".join(f"CAST(:c{i} AS {types[c]}[])" for i, c in enumerate(names))
    sets = ", ".join(f"{c} = v.{c}" for c in columns)
    statement = text(f"UPDATE {table.name} AS t SET {sets} FROM unnest({arrays}) AS v({', '.join(names)}) "
                     "WHERE t.id = v.id")
    conn.execute(statement, {f"c{i}": [_db_value(table.c[c], r[c]) for r in rows] for i, c in enumerate(names)})


@dataclass
class Floor:
    select_s: float = 0.0
    candidates: int = 0
    task_app_s: float = 0.0  # the task rows through Core executemany, as _make_trips writes them
    writes: dict[str, float] = field(default_factory=dict)  # set-based, each write of the release

    @property
    def brief(self) -> float:
        """SELECT of the candidates + set-based insert of the task rows."""
        return self.select_s + self.writes["task rows (insert)"]

    @property
    def all_writes(self) -> float:
        return self.select_s + sum(self.writes.values())


def reference(db: Database, wave_id: int) -> Floor:
    """The floor, measured after the release on the same database: one plain SELECT of the wave's balance
    candidates, and each table the release wrote rewritten set-based with the rows it wrote (inserted again
    without their ids, or updated to the same values), every write rolled back."""
    task, line, o, b, loc = t.task, t.shipment_line, t.shipment_order, t.balance, t.location
    a, entry, trip = t.shipment_allocation, t.allocation_entry, t.pick_trip
    floor = Floor()

    def load(conn: Connection) -> tuple[list[int], dict[str, list[Row]]]:
        skus = sorted({r[0] for r in conn.execute(select(line.c.sku_id).join(o, o.c.id == line.c.order_id)
                                                  .where(o.c.wave_id == wave_id).distinct())})
        trip_ids = select(trip.c.id).where(trip.c.wave_id == wave_id)
        order_ids = select(o.c.id).where(o.c.wave_id == wave_id)
        line_ids = select(line.c.id).where(line.c.order_id.in_(order_ids))
        posting_ids = select(a.c.posting_id).where(a.c.line_id.in_(line_ids)).distinct()

        def rows(query: Any, drop_id: bool = True) -> list[Row]:
            return [{k: v for k, v in r._mapping.items() if not (drop_id and k == "id")} for r in conn.execute(query)]

        data = {
            "task rows (insert)": rows(select(task).where(task.c.trip_id.in_(trip_ids))),
            "trip rows (insert)": rows(select(trip).where(trip.c.wave_id == wave_id)),
            "shipment_allocation rows (insert)": rows(select(a).where(a.c.line_id.in_(line_ids))),
            "allocation_entry rows (insert)": rows(select(entry).where(entry.c.posting_id.in_(posting_ids))),
            "shipment_line allocated (update)": rows(select(line.c.id, line.c.allocated_quantity)
                                                     .where(line.c.order_id.in_(order_ids)), drop_id=False),
            "shipment_order status + explanation (update)": rows(
                select(o.c.id, o.c.status, o.c.explanation, o.c.updated_at).where(o.c.wave_id == wave_id),
                drop_id=False),
        }
        for r in data["trip rows (insert)"]:
            r["trip_no"] += 1_000_000  # (wave, trip_no) is unique: the copies take other numbers
        return skus, data

    skus, data = db.read(load)
    wh = data["task rows (insert)"][0]["warehouse_id"] if data["task rows (insert)"] else 0
    candidate_query = (select(b.c.owner_id, b.c.sku_id, b.c.lot_id, b.c.serial, b.c.location_id, b.c.container_id,
                              b.c.status, b.c.on_hand, b.c.allocated, loc.c.code, loc.c.kind, loc.c.active,
                              loc.c.status)
                       .join(loc, loc.c.id == b.c.location_id)
                       .where(b.c.warehouse_id == wh, b.c.sku_id.in_(skus), ~b.c.is_virtual, b.c.on_hand > 0))
    start = time.perf_counter()
    floor.candidates = db.read(lambda conn: len(conn.execute(candidate_query).all()))
    floor.select_s = time.perf_counter() - start
    tables = {"task rows (insert)": task, "trip rows (insert)": trip, "shipment_allocation rows (insert)": a,
              "allocation_entry rows (insert)": entry, "shipment_line allocated (update)": line,
              "shipment_order status + explanation (update)": o}
    with db.engine.connect() as conn:
        types = {label: _pg_types(conn, table) if conn.dialect.name == "postgresql" else {}
                 for label, table in tables.items()}
        conn.rollback()
        transaction = conn.begin()
        start = time.perf_counter()
        conn.execute(insert(task), data["task rows (insert)"])
        floor.task_app_s = time.perf_counter() - start
        transaction.rollback()
        for label, rows in data.items():
            transaction = conn.begin()
            start = time.perf_counter()
            if label.endswith("(update)"):
                set_based_update(conn, tables[label], rows, types[label])
            else:
                set_based_insert(conn, tables[label], rows, types[label])
            floor.writes[label] = time.perf_counter() - start
            transaction.rollback()
    return floor


# ---------------------------------------------------------------- report


def phase_lines(r: Result) -> list[str]:
    s = r.phases.seconds
    alloc = s["allocation: orders.allocate_in"]
    trips = s["trips: waves._make_trips"]
    routing = _routing_s(r)
    checks = s["create: order checks (_check_wavable)"]
    trip_rows = s["  trip rows (_insert_trips)"]
    out = [f"  split: allocation {alloc:.2f} s | trips + routing (Python) {routing:.2f} s | the rest "
           f"{r.total_s - alloc - routing:.2f} s, of which create_wave order checks {checks:.2f} s, trip rows "
           f"{trip_rows:.2f} s, rest of _make_trips (allocations read, task rows) {trips - routing - trip_rows:.2f} s"]
    for label, seconds in s.items():
        out.append(f"    {label:<52} {seconds:7.3f} s  {r.phases.calls[label]:>6} call(s)")
    return out


def _routing_s(r: Result) -> float:
    s = r.phases.seconds
    return (s["  routing (TripRouter.route = best_route)"] + s["  grouping (group_trips)"]
            + s["  aisle graph (TripRouter.for_warehouse)"] + s["  put-wall slots (orders_to_sort)"])


def print_result(r: Result) -> None:
    print(f"\n{r.backend}, {r.mode}: {len(r.world.order_ids):,} orders -> total {r.total_s:.2f} s "
          f"(create_wave {r.create_s:.2f} s + release {r.release_s:.2f} s); target <= {TARGET_SECONDS:g} s: "
          f"{'met' if r.total_s <= TARGET_SECONDS else 'NOT met'}" + (" [under cProfile]" if r.profile else ""))
    server = f", PostgreSQL backend CPU {r.server_cpu_s:.2f} s" if r.server_cpu_s is not None else ""
    print(f"  client process CPU {r.cpu_s:.2f} s{server} of {r.total_s:.2f} s wall; machine load average "
          f"{r.load[0]:.1f} -> {r.load[1]:.1f} on {os.cpu_count()} cores")
    print(f"  orders served {r.stats['orders']:,}, left out {len(r.stats['left_out'])}, short lines "
          f"{r.stats['short_lines']}, picks {r.picks:,}, trips {r.trips:,} ({r.exact_trips:,} routed exactly)")
    for line in phase_lines(r):
        print(line)
    print("  SQL statements by wall time (top 12):")
    for key, seconds, calls, rows in r.statements.top(12):
        print(f"    {seconds:7.3f} s  {calls:>6} call(s) {rows:>7} row(s)  {key}")
    print(f"  route {r.route:,.0f} m vs S-shape {r.s_shape:,.0f} m ({1 - r.route / r.s_shape:.1%} shorter in total), "
          f"largest gap {r.largest_gap:,.0f} m; mean saving per trip vs S-shape {r.mean_saving:.1%}")
    f = r.floor
    print(f"  reference (floor, same database, after the release): SELECT of {f.candidates:,} balance candidates "
          f"{f.select_s:.3f} s + set-based insert of {r.picks:,} task rows {f.writes['task rows (insert)']:.3f} s "
          f"= {f.brief:.3f} s (the same task rows through Core executemany, as _make_trips writes them: "
          f"{f.task_app_s:.3f} s)")
    print(f"  every write of the release done set-based + the SELECT: {f.all_writes:.3f} s; wave at "
          f"{r.total_s / f.all_writes:.0f}x that")
    for label, seconds in f.writes.items():
        print(f"    {label:<48} {seconds:7.3f} s")
    print(f"  verify: {'clean' if r.clean else 'VIOLATIONS'} ({r.movements:,} movements)")
    if r.profile:
        print(r.profile)


def _server(r: Result) -> str:
    return "-" if r.server_cpu_s is None else f"{r.server_cpu_s:.2f}"


def markdown(results: list[Result], env: dict[str, str], pg: str | None) -> str:
    lines = [f"Machine: {env['cores']} cores ({env['cpu']}), {env['memory']}, {env['os']}; Python {env['python']}, "
             f"SQLAlchemy {env['sqlalchemy']}, psycopg {env['psycopg']}, SQLite {env['sqlite']}"
             + (f", {pg}" if pg else "") + ".", f"Code: stockyard from {env['code']}.", "",
             "| backend | mode | orders | picks | trips | total s | create_wave s | release s | allocation s | "
             "trips + routing s | the rest (writing, reading, checks) s | CPU s client / server | route / S-shape m | "
             "mean saving/trip | floor s (SELECT + tasks) | floor s (all writes) | load avg | verify |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if r.profile:
            continue
        alloc = r.phases.seconds["allocation: orders.allocate_in"]
        routing = _routing_s(r)
        lines.append(f"| {r.backend} | {r.mode} | {r.stats['orders']:,} | {r.picks:,} | {r.trips:,} | "
                     f"**{r.total_s:.2f}** | {r.create_s:.2f} | {r.release_s:.2f} | {alloc:.2f} | {routing:.2f} | "
                     f"{r.total_s - alloc - routing:.2f} | {r.cpu_s:.2f} / {_server(r)} | {r.route:,.0f} / "
                     f"{r.s_shape:,.0f} (-{1 - r.route / r.s_shape:.1%}) | {r.mean_saving:.1%} | {r.floor.brief:.2f} | "
                     f"{r.floor.all_writes:.2f} | {r.load[0]:.1f}-{r.load[1]:.1f} | "
                     f"{'clean' if r.clean else 'VIOLATIONS'} |")
    lines.append("")
    groups: defaultdict[tuple[str, str], list[Result]] = defaultdict(list)
    for r in results:
        if not r.profile:
            groups[(r.backend, r.mode)].append(r)
    for (backend, mode), runs in groups.items():
        totals = sorted(r.total_s for r in runs)
        verdict = "met" if statistics.median(totals) <= TARGET_SECONDS else "NOT met"
        lines.append(f"- P6 {backend}, {mode}: median {statistics.median(totals):.2f} s of {len(totals)} run(s) "
                     f"(best {totals[0]:.2f} s), target <= {TARGET_SECONDS:g} s: **{verdict}**")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument("--modes", default="cluster,batch", help="comma-separated pick modes to measure")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=3)
    parser.add_argument("--skus", type=int, default=5_000)
    parser.add_argument("--aisles", type=int, default=40)
    parser.add_argument("--bays", type=int, default=60)
    parser.add_argument("--levels", type=int, default=2)
    parser.add_argument("--max-orders", type=int, default=8, help="max_orders_per_trip")
    parser.add_argument("--max-lines", type=int, default=40, help="max_lines_per_trip")
    parser.add_argument("--service-orders", type=int, default=50,
                        help="orders made through orders.create_order (the rest set-based, checked equal)")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3, help="measured runs per backend and mode (median shown)")
    parser.add_argument("--profile", action="store_true", help="one more cluster run per backend under cProfile")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--sqlite-dir", default=None)
    args = parser.parse_args(argv)
    backends = ["postgresql", "sqlite"] if args.backend == "both" else [args.backend]
    modes = [PickMode(m.strip()) for m in args.modes.split(",") if m.strip()]
    results: list[Result] = []
    n = 0
    for backend in backends:
        scratch = scratch_postgresql(args.pg_url) if backend == "postgresql" else scratch_sqlite(args.sqlite_dir)
        with scratch as template:
            world = build_template(backend, template, args)
            runs = [(mode, False) for mode in modes for _ in range(args.repeat)]
            runs += [(PickMode.CLUSTER, True)] if args.profile else []
            for mode, profile in runs:
                n += 1
                with copy_of(template, args.pg_url, n) as url:
                    result = run_one(backend, url, world, mode, args, profile)
                results.append(result)
                print_result(result)
                sys.stdout.flush()
    pg = _pg_version(args.pg_url) if "postgresql" in backends else None
    print("\n" + markdown(results, environment(), pg))
    return 0 if all(r.clean for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
