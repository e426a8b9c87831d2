"""Ledger benchmark: movements per second through ``stockyard.services.ledger.post``, beside a raw database rate.

Run from the repository root::

    .venv/bin/python bench/ledger.py [--backend sqlite|postgresql|both] [--seconds N] [--repeat N] ...
    stockyard bench ledger [same options]

Every run builds its own scratch database (a temporary SQLite file; a uniquely named PostgreSQL database that is
dropped at the end, even on failure), migrates it with the Alembic migrations, and sets up a warehouse, an owner,
SKUs, storage locations and opening stock through the services. Then, for each scenario, the same number of
client processes (each with its own engine from ``stockyard.db.engine.make_engine``, the application's own
connection settings) first run the raw reference for a fixed time and then the ledger posting:

* ``1 mov/tx``: one ``PostingRequest`` with one ``Movement`` per transaction (a unit moved between two storage
  locations), with 1 and 32 clients. Raw reference: PostgreSQL, a pgbench TPC-B-like transaction (update an
  account, read it back, update a teller, update a branch, insert a history row) on pgbench-shaped scratch
  tables; SQLite, one small row inserted per transaction (WAL, synchronous=FULL, BEGIN IMMEDIATE).
* ``batch N``: one ``PostingRequest`` of N movements per transaction. Raw reference: the least SQL N movements
  need, set-based: N history rows inserted and 2N account balances updated in one transaction.

Secondary references, printed but not used for the verdicts: ``pgbench`` itself (C client) when it is on PATH,
and a bare ``sqlite3`` loop without SQLAlchemy.

At the end the ledger of each scratch database is replayed with ``stockyard.services.verify.verify``; it must be
clean. Targets (``docs/benchmarks.md``): P1 PostgreSQL 32 clients 1 mov/tx >= 50 % of the raw TPC-B rate;
P2 PostgreSQL batched >= 20,000 movements/s; P3 SQLite 1 client 1 mov/tx >= 50 % of the raw SQLite rate.

This is a benchmark, not a test: it never fails on a missed target and pytest does not collect it.
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing as mp
import os
import platform
import pstats
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from stockyard.db.engine import Database, make_engine
from stockyard.db.migrate import upgrade
from stockyard.domain.access import SYSTEM
from stockyard.domain.stock import Bucket, Movement, PostingRequest, StockItem, VirtualKind
from stockyard.services import ledger
from stockyard.services import masterdata as md
from stockyard.services.stock import StockLine, post_opening_stock
from stockyard.services.verify import verify

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1/postgres"
P1_RATIO = 0.5
P2_RATE = 20_000.0
P3_RATIO = 0.5
ONE = Decimal(1)
OPENING_QUANTITY = Decimal(1_000_000)
ACCOUNTS_PER_BRANCH = 100_000  # pgbench's own layout: 1 branch, 10 tellers, 100,000 accounts per scale unit


# ---------------------------------------------------------------- what a client process is told


@dataclass(frozen=True)
class World:
    """The ids of the records the set-up created, and what a client needs to know about the raw tables."""

    owner_id: int
    sku_ids: tuple[int, ...]
    location_ids: tuple[int, ...]
    supplier_id: int
    raw_rows: int  # accounts in the raw reference's account table (PostgreSQL: pgbench_accounts)
    pg_scale: int = 0


@dataclass(frozen=True)
class ClientSpec:
    backend: str  # sqlite | postgresql
    url: str
    kind: str  # ledger | raw | sqlite3
    batch: int  # 1 = one movement per transaction, else movements per posting
    movement: str  # move (storage -> storage) | receive (supplier -> storage)
    world: World
    warmup: float
    seconds: float
    seed: int
    profile: str | None = None  # client 0 writes cProfile stats here


@dataclass
class ClientResult:
    index: int
    ok: int = 0  # movements (ledger) or reference units (raw) completed inside the measured window
    transactions: int = 0
    errors: int = 0
    error_kinds: Counter[str] = field(default_factory=Counter)
    cpu: float = 0.0  # CPU seconds this client used inside the window
    latencies: list[float] = field(default_factory=list)  # seconds per transaction inside the window
    failure: str | None = None  # set-up failed: the traceback


@dataclass
class Measured:
    rate: float  # units per second: movements (ledger) or transactions / set-based units (raw)
    tx_rate: float
    errors: int
    error_kinds: Counter[str]
    p50_ms: float
    p99_ms: float
    client_cpu_us: float  # CPU of the client processes per unit (for SQLite this includes the database engine)
    server_cpu_us: float  # CPU of this database's PostgreSQL backends and WAL writer per unit; NaN for SQLite
    other_cores: float  # cores busy with anything else on the machine (kernel, other users) during the window


# ---------------------------------------------------------------- operations


Op = Callable[[], int]

_TPCB = [
    text("UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid"),
    text("SELECT abalance FROM pgbench_accounts WHERE aid = :aid"),
    text("UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid"),
    text("UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid"),
    text("INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) "
         "VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP)"),
]
_PG_BATCH_HISTORY = text(
    "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) SELECT 1, 1, v.aid, v.delta, CURRENT_TIMESTAMP "
    "FROM unnest(CAST(:aids AS int[]), CAST(:deltas AS int[])) AS v(aid, delta)")
_PG_BATCH_ACCOUNTS = text(
    "UPDATE pgbench_accounts AS a SET abalance = a.abalance + v.delta "
    "FROM unnest(CAST(:aids AS int[]), CAST(:deltas AS int[])) AS v(aid, delta) WHERE a.aid = v.aid")
_SQLITE_INSERT = text("INSERT INTO bench_raw_log (client, n, created_at) VALUES (:client, :n, :at)")
_SQLITE_ACCOUNT = text("UPDATE bench_raw_account SET balance = balance + :delta WHERE id = :id")


def _movements(spec: ClientSpec, rng: random.Random, count: int) -> list[Movement]:
    w = spec.world
    result = []
    for _ in range(count):
        item = StockItem(w.owner_id, rng.choice(w.sku_ids))
        if spec.movement == "receive":
            source, target = w.supplier_id, rng.choice(w.location_ids)
        else:
            source, target = rng.sample(w.location_ids, 2)
        result.append(Movement(item, Bucket(source), Bucket(target), ONE))
    return result


def _ledger_op(spec: ClientSpec, db: Database, rng: random.Random) -> Op:
    reason = "RECEIPT" if spec.movement == "receive" else "MOVE"

    def op() -> int:
        request = PostingRequest(reason, _movements(spec, rng, spec.batch), doc_type="bench", user="bench")
        return ledger.post(db, request).movements

    return op


def _raw_pg_op(spec: ClientSpec, db: Database, rng: random.Random) -> Op:
    scale, accounts = spec.world.pg_scale, spec.world.raw_rows
    if spec.batch == 1:
        def tpcb(conn: Connection) -> int:
            p = {"aid": rng.randint(1, accounts), "bid": rng.randint(1, scale), "tid": rng.randint(1, 10 * scale),
                 "delta": rng.randint(-5000, 5000)}
            for statement in _TPCB:
                conn.execute(statement, p)
            return 1

        return lambda: db.write(tpcb)

    def batch(conn: Connection) -> int:
        aids = sorted(rng.sample(range(1, accounts + 1), 2 * spec.batch))
        deltas = [rng.choice((-1, 1)) for _ in aids]
        conn.execute(_PG_BATCH_HISTORY, {"aids": aids[:spec.batch], "deltas": deltas[:spec.batch]})
        conn.execute(_PG_BATCH_ACCOUNTS, {"aids": aids, "deltas": deltas})
        return spec.batch

    return lambda: db.write(batch)


def _raw_sqlite_op(spec: ClientSpec, db: Database, rng: random.Random, client: int) -> Op:
    if spec.batch == 1:
        def insert_one(conn: Connection) -> int:
            conn.execute(_SQLITE_INSERT, {"client": client, "n": 1, "at": datetime.now(UTC).isoformat()})
            return 1

        return lambda: db.write(insert_one)

    def batch(conn: Connection) -> int:
        at = datetime.now(UTC).isoformat()
        conn.execute(_SQLITE_INSERT, [{"client": client, "n": i, "at": at} for i in range(spec.batch)])
        ids = sorted(rng.sample(range(1, spec.world.raw_rows + 1), 2 * spec.batch))
        conn.execute(_SQLITE_ACCOUNT, [{"id": i, "delta": rng.choice((-1, 1))} for i in ids])
        return spec.batch

    return lambda: db.write(batch)


def _bare_sqlite_op(spec: ClientSpec, client: int) -> Op:
    """The secondary SQLite reference: the same pragmas and transaction, without SQLAlchemy."""
    path = make_url(spec.url).database
    assert path
    conn = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=60000"):
        conn.execute(f"PRAGMA {pragma}")

    def op() -> int:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("INSERT INTO bench_raw_log (client, n, created_at) VALUES (?, ?, ?)",
                         (client, 1, datetime.now(UTC).isoformat()))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return 1

    return op


def _noop() -> None:
    return None


def _make_op(spec: ClientSpec, index: int, rng: random.Random) -> tuple[Op, Callable[[], None]]:
    if spec.kind == "sqlite3":
        return _bare_sqlite_op(spec, index), _noop
    db = Database(make_engine(spec.url))
    if spec.kind == "ledger":
        return _ledger_op(spec, db, rng), db.dispose
    if spec.backend == "postgresql":
        return _raw_pg_op(spec, db, rng), db.dispose
    return _raw_sqlite_op(spec, db, rng, index), db.dispose


# ---------------------------------------------------------------- one client process


def _client(spec: ClientSpec, index: int, ready: Any, go: Any, begin: Any, results: Any, release: Any) -> None:
    """Run ``spec`` from ``begin`` for warm-up + measured seconds; count what completes inside the window.

    The connection stays open until the parent has read the server's CPU counters (``release``)."""
    result = ClientResult(index)
    close: Callable[[], None] = _noop
    try:
        rng = random.Random(spec.seed * 7919 + index)
        op, close = _make_op(spec, index, rng)
        ready.put((index, None))
    except BaseException:
        ready.put((index, traceback.format_exc()))
        return
    try:
        go.wait()
        window_start = begin.value + spec.warmup
        window_end = window_start + spec.seconds
        profile = cProfile.Profile() if spec.profile and index == 0 else None
        measuring = False
        cpu_start = 0.0
        while True:
            started = time.monotonic()
            if started >= window_end:
                break
            if not measuring and started >= window_start:
                measuring = True
                cpu_start = time.process_time()
                if profile:
                    profile.enable()
            try:
                units = op()
            except Exception as error:  # counted and shown, never fatal: errors are part of the result
                if measuring:
                    result.errors += 1
                    result.error_kinds[f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"] += 1
                continue
            finished = time.monotonic()
            if measuring and finished <= window_end:
                result.ok += units
                result.transactions += 1
                result.latencies.append(finished - started)
        if measuring:
            result.cpu = time.process_time() - cpu_start
        if profile and spec.profile:
            profile.disable()
            profile.dump_stats(spec.profile)
    except BaseException:
        result.failure = traceback.format_exc()
    finally:
        results.put(result)
        release.wait(timeout=spec.seconds + 600)
        with suppress(Exception):
            close()


def _machine_busy() -> float | None:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat; None where unavailable."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    # user nice system idle iowait irq softirq steal: busy is what ran here, not idle, I/O wait or stolen time
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


class ServerProbe:
    """CPU seconds used by the PostgreSQL processes serving the scratch database, read from /proc."""

    def __init__(self, url: str) -> None:
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.tick = os.sysconf("SC_CLK_TCK")

    def snapshot(self) -> dict[int, float]:
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE (datname = current_database() AND pid <> pg_backend_pid()) "
            "OR backend_type = 'walwriter'").fetchall()
        result = {}
        for (pid,) in rows:
            with suppress(OSError, ValueError, IndexError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                result[int(pid)] = (int(fields[11]) + int(fields[12])) / self.tick  # utime + stime
        return result

    @staticmethod
    def used(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())

    def close(self) -> None:
        self.conn.close()


def _run_clients(spec: ClientSpec, clients: int, ctx: BaseContext) -> Measured:
    ready, results = ctx.Queue(), ctx.Queue()
    go, release = ctx.Event(), ctx.Event()
    begin = ctx.Value("d", 0.0)
    probe = ServerProbe(spec.url) if spec.backend == "postgresql" else None
    server_start: dict[int, float] = {}
    server_end: dict[int, float] = {}
    processes = [ctx.Process(target=_client, args=(spec, i, ready, go, begin, results, release), daemon=True)  # type: ignore[attr-defined]
                 for i in range(clients)]
    try:
        for process in processes:
            process.start()
        for _ in range(clients):
            index, failure = ready.get(timeout=300)
            if failure:
                raise RuntimeError(f"client {index} could not start:\n{failure}")
        begin.value = time.monotonic() + 0.2
        go.set()
        window_start = begin.value + spec.warmup
        time.sleep(max(0.0, window_start - time.monotonic()))
        busy_start = _machine_busy()
        server_start = probe.snapshot() if probe else {}
        time.sleep(max(0.0, window_start + spec.seconds - time.monotonic()))
        busy_end = _machine_busy()
        server_end = probe.snapshot() if probe else {}
        release.set()
        gathered: list[ClientResult] = [results.get(timeout=spec.seconds + 600) for _ in range(clients)]
        for process in processes:
            process.join(timeout=60)
    finally:
        release.set()
        if probe:
            probe.close()
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(timeout=10)
    failures = [r.failure for r in gathered if r.failure]
    if failures:
        raise RuntimeError(f"a client failed:\n{failures[0]}")
    ok = sum(r.ok for r in gathered)
    transactions = sum(r.transactions for r in gathered)
    latencies = sorted(x for r in gathered for x in r.latencies)
    client_cpu = sum(r.cpu for r in gathered)
    machine = (busy_end - busy_start) if busy_start is not None and busy_end is not None else None
    server_cpu = ServerProbe.used(server_start, server_end) if probe else 0.0
    per_unit = 1e6 / ok if ok else 0.0
    kinds: Counter[str] = Counter()
    for r in gathered:
        kinds.update(r.error_kinds)
    return Measured(
        rate=ok / spec.seconds, tx_rate=transactions / spec.seconds, errors=sum(r.errors for r in gathered),
        error_kinds=kinds, p50_ms=_percentile(latencies, 0.50) * 1000, p99_ms=_percentile(latencies, 0.99) * 1000,
        client_cpu_us=client_cpu * per_unit, server_cpu_us=server_cpu * per_unit if probe else float("nan"),
        other_cores=max(0.0, machine - client_cpu - server_cpu) / spec.seconds if machine is not None
        else float("nan"))


def _percentile(ordered: Sequence[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# ---------------------------------------------------------------- scratch databases and set-up


@contextmanager
def scratch_postgresql(admin_url: str) -> Iterator[str]:
    """A new, uniquely named database on the server of ``admin_url``, dropped on the way out whatever happens."""
    admin = make_url(admin_url).set(drivername="postgresql+psycopg")
    name = f"stockyard_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            say(f"dropped scratch database {name}")
    finally:
        engine.dispose()


@contextmanager
def scratch_sqlite(directory: str | None) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="stockyard_bench_", dir=directory) as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


def build_world(db: Database, skus: int, locations: int) -> tuple[int, tuple[int, ...], tuple[int, ...], int]:
    """A warehouse, an owner, SKUs and storage locations through the services, and opening stock everywhere."""
    warehouse = md.create(db, md.WAREHOUSE, {"code": "BENCH", "name": "Benchmark warehouse"}, principal=SYSTEM)["id"]
    owner = md.create(db, md.OWNER, {"code": "BENCH", "name": "Benchmark owner"}, principal=SYSTEM)["id"]
    sku_ids = tuple(md.create(db, md.SKU, {"owner_id": owner, "code": f"SKU{n:05d}", "name": f"Item {n}"},
            principal=SYSTEM)["id"]
                    for n in range(1, skus + 1))
    location_ids = tuple(
        md.create(db, md.LOCATION, {"warehouse_id": warehouse, "code": f"A{n // 100:02d}-{n % 100:02d}",
                                    "aisle": f"A{n // 100:02d}"}, principal=SYSTEM)["id"]
        for n in range(locations))
    page = md.list_records(db, md.LOCATION, {"warehouse_id": warehouse, "virtual_kind": VirtualKind.SUPPLIER.value},
            principal=SYSTEM)
    supplier = int(page.items[0]["id"])
    lines = [StockLine(owner, sku, location, OPENING_QUANTITY) for sku in sku_ids for location in location_ids]
    post_opening_stock(db, lines, principal=SYSTEM, doc_ref="bench")
    return owner, sku_ids, location_ids, supplier


def create_pgbench_tables(url: str, scale: int) -> int:
    """pgbench-shaped tables (same names and columns as ``pgbench -i -s scale``); returns the account count."""
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT",
                           poolclass=NullPool)
    accounts = ACCOUNTS_PER_BRANCH * scale
    statements = [
        "CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))",
        "CREATE TABLE pgbench_tellers (tid int NOT NULL, bid int, tbalance int, filler char(84)) "
        "WITH (fillfactor=100)",
        "CREATE TABLE pgbench_accounts (aid int NOT NULL, bid int, abalance int, filler char(84)) "
        "WITH (fillfactor=100)",
        "CREATE TABLE pgbench_branches (bid int NOT NULL, bbalance int, filler char(88)) WITH (fillfactor=100)",
        f"INSERT INTO pgbench_branches (bid, bbalance) SELECT g, 0 FROM generate_series(1, {scale}) g",
        f"INSERT INTO pgbench_tellers (tid, bid, tbalance) SELECT g, (g - 1) / 10 + 1, 0 "
        f"FROM generate_series(1, {10 * scale}) g",
        f"INSERT INTO pgbench_accounts (aid, bid, abalance, filler) SELECT g, (g - 1) / {ACCOUNTS_PER_BRANCH} + 1, "
        f"0, '' FROM generate_series(1, {accounts}) g",
        "ALTER TABLE pgbench_branches ADD PRIMARY KEY (bid)",
        "ALTER TABLE pgbench_tellers ADD PRIMARY KEY (tid)",
        "ALTER TABLE pgbench_accounts ADD PRIMARY KEY (aid)",
        "VACUUM ANALYZE pgbench_branches, pgbench_tellers, pgbench_accounts, pgbench_history",
    ]
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()
    return accounts


def create_sqlite_raw_tables(db: Database, accounts: int) -> int:
    with db.begin() as conn:
        conn.execute(text("CREATE TABLE bench_raw_log (id INTEGER PRIMARY KEY, client INTEGER NOT NULL, "
                          "n INTEGER NOT NULL, created_at TEXT NOT NULL)"))
        conn.execute(text("CREATE TABLE bench_raw_account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)"))
        conn.execute(text("INSERT INTO bench_raw_account (id, balance) VALUES (:id, 0)"),
                     [{"id": i} for i in range(1, accounts + 1)])
    return accounts


def run_pgbench(url: str, clients: int, seconds: float) -> float | None:
    """pgbench's own TPC-B-like rate on the same tables (a C client: a secondary reference only)."""
    binary = shutil.which("pgbench")
    if binary is None:
        return None
    jobs = max(1, min(clients, os.cpu_count() or 1))
    command = [binary, "-n", "-c", str(clients), "-j", str(jobs), "-T", str(max(1, round(seconds))), url]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=False)
    except subprocess.TimeoutExpired:
        return None
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    if found is None:
        say(f"pgbench gave no rate: {done.stderr.strip()[:300]}")
        return None
    return float(found.group(1))


# ---------------------------------------------------------------- scenarios


@dataclass
class Row:
    backend: str
    scenario: str
    clients: int
    batch: int
    ledger: Measured
    raw: Measured
    raw_name: str
    extra_name: str = ""
    extra_rate: float | None = None

    @property
    def ratio(self) -> float:
        return self.ledger.rate / self.raw.rate if self.raw.rate else float("nan")


def _median_measured(runs: Sequence[Measured]) -> Measured:
    def med(values: Sequence[float]) -> float:
        return float(statistics.median(values))

    kinds: Counter[str] = Counter()
    for m in runs:
        kinds.update(m.error_kinds)
    return Measured(
        rate=med([m.rate for m in runs]), tx_rate=med([m.tx_rate for m in runs]),
        errors=sum(m.errors for m in runs), error_kinds=kinds, p50_ms=med([m.p50_ms for m in runs]),
        p99_ms=med([m.p99_ms for m in runs]), client_cpu_us=med([m.client_cpu_us for m in runs]),
        server_cpu_us=med([m.server_cpu_us for m in runs]), other_cores=med([m.other_cores for m in runs]))


def run_backend(backend: str, url: str, args: argparse.Namespace, ctx: BaseContext) -> tuple[list[Row], bool]:
    db = Database.from_url(url)
    try:
        started = time.monotonic()
        upgrade(db.engine)
        owner, sku_ids, location_ids, supplier = build_world(db, args.skus, args.locations)
        say(f"{backend}: migrated, {len(sku_ids)} SKUs x {len(location_ids)} locations with opening stock "
            f"({time.monotonic() - started:.1f} s)")
        scale = 0
        if backend == "postgresql":
            scale = args.pg_scale or max(args.clients)
            started = time.monotonic()
            raw_rows = create_pgbench_tables(url, scale)
            say(f"{backend}: pgbench-shaped tables at scale {scale} ({time.monotonic() - started:.1f} s)")
        else:
            raw_rows = create_sqlite_raw_tables(db, max(len(sku_ids) * len(location_ids), 4 * args.batch))
    finally:
        db.dispose()  # no connection of the parent survives into the client processes
    world = World(owner, sku_ids, location_ids, supplier, raw_rows, scale)
    base = ClientSpec(backend, url, "ledger", 1, args.movement, world, args.warmup, args.seconds, args.seed)
    scenarios = [(clients, 1) for clients in args.clients] + [(clients, args.batch) for clients in args.batch_clients]
    rows: list[Row] = []
    for clients, batch in scenarios:
        label = "1 mov/tx" if batch == 1 else f"batch {batch}"
        raw_runs: list[Measured] = []
        ledger_runs: list[Measured] = []
        for attempt in range(args.repeat):
            spec = replace(base, batch=batch, seed=args.seed + attempt)
            raw_runs.append(_run_clients(replace(spec, kind="raw"), clients, ctx))
            profile = None
            if args.profile:
                Path(args.profile).mkdir(parents=True, exist_ok=True)
                profile = str(Path(args.profile) / f"{backend}-{'single' if batch == 1 else 'batch'}-c{clients}.prof")
            ledger_runs.append(_run_clients(replace(spec, profile=profile), clients, ctx))
            say(f"{backend} {label} x{clients} run {attempt + 1}: ledger {ledger_runs[-1].rate:,.0f}/s, "
                f"raw {raw_runs[-1].rate:,.0f}/s")
        row = Row(backend, label, clients, batch, _median_measured(ledger_runs), _median_measured(raw_runs),
                  _raw_name(backend, batch))
        if batch == 1 and backend == "postgresql" and not args.no_extra:
            row.extra_name, row.extra_rate = "pgbench (C client)", run_pgbench(url, clients, args.seconds)
        elif batch == 1 and backend == "sqlite" and not args.no_extra:
            bare = [_run_clients(replace(base, kind="sqlite3", seed=args.seed + a), clients, ctx)
                    for a in range(args.repeat)]
            row.extra_name, row.extra_rate = "bare sqlite3", _median_measured(bare).rate
        rows.append(row)
    db = Database.from_url(url)
    try:
        report = verify(db)
    finally:
        db.dispose()
    for v in report.violations[:20]:
        say(f"  invariant {v.invariant} {v.key}: {v.message}")
    say(f"{backend}: verify {'CLEAN' if report.ok else 'FAILED'}: {report.movements:,} movements, "
        f"{report.balances:,} balance rows, {len(report.violations)} violations")
    return rows, report.ok


def _raw_name(backend: str, batch: int) -> str:
    if backend == "postgresql":
        return "TPC-B-like tx" if batch == 1 else f"set-based {batch} ins + {2 * batch} upd"
    return "1-row insert tx" if batch == 1 else f"{batch} ins + {2 * batch} upd"


# ---------------------------------------------------------------- verdicts and output


@dataclass(frozen=True)
class Verdict:
    target: str
    figure: str
    met: bool | None  # None: not measured in this run


def verdicts(rows: Sequence[Row]) -> list[Verdict]:
    def find(backend: str, clients: int, batch: bool) -> list[Row]:
        return [r for r in rows if r.backend == backend and (r.batch > 1) == batch
                and (clients == 0 or r.clients == clients)]

    result = []
    p1 = find("postgresql", 32, False)
    result.append(Verdict("P1 PostgreSQL, 32 clients, 1 mov/tx >= 50 % of raw TPC-B-like",
                          f"{p1[0].ratio:.0%} ({p1[0].ledger.rate:,.0f} vs {p1[0].raw.rate:,.0f}/s)" if p1 else "-",
                          p1[0].ratio >= P1_RATIO if p1 else None))
    p2 = sorted(find("postgresql", 0, True), key=lambda r: r.ledger.rate)
    result.append(Verdict("P2 PostgreSQL batched >= 20,000 movements/s",
                          f"{p2[-1].ledger.rate:,.0f}/s ({p2[-1].scenario}, {p2[-1].clients} client(s))" if p2
                          else "-", p2[-1].ledger.rate >= P2_RATE if p2 else None))
    p3 = find("sqlite", 1, False)
    result.append(Verdict("P3 SQLite (synchronous=FULL), 1 mov/tx >= 50 % of raw",
                          f"{p3[0].ratio:.0%} ({p3[0].ledger.rate:,.0f} vs {p3[0].raw.rate:,.0f}/s)" if p3 else "-",
                          p3[0].ratio >= P3_RATIO if p3 else None))
    return result


HEADERS = ["backend", "scenario", "clients", "ledger mov/s", "raw reference", "raw /s", "ratio", "errors L/R",
           "ledger p50/p99 ms", "raw p50/p99 ms", "client CPU µs/unit L/R", "PG server CPU µs/unit L/R",
           "other CPU cores L/R", "secondary ref /s"]
LEGEND = ("L/R: ledger / raw reference. A unit is a movement (ledger), a transaction (raw, 1 mov/tx) or one "
          "inserted row with two updated balances (raw, batch). Other CPU: cores busy with anything but the "
          "client processes and this database's server processes: kernel threads (journal, loopback network), "
          "other users of the machine.")


def _cells(r: Row) -> list[str]:
    extra = "-" if r.extra_rate is None else f"{r.extra_rate:,.0f} ({r.extra_name})"
    return [r.backend, r.scenario, str(r.clients), f"{r.ledger.rate:,.0f}", r.raw_name, f"{r.raw.rate:,.0f}",
            f"{r.ratio:.0%}", f"{r.ledger.errors} / {r.raw.errors}",
            f"{r.ledger.p50_ms:.1f} / {r.ledger.p99_ms:.1f}", f"{r.raw.p50_ms:.1f} / {r.raw.p99_ms:.1f}",
            f"{r.ledger.client_cpu_us:,.0f} / {r.raw.client_cpu_us:,.0f}",
            "-" if r.backend != "postgresql" else f"{r.ledger.server_cpu_us:,.0f} / {r.raw.server_cpu_us:,.0f}",
            f"{r.ledger.other_cores:.2f} / {r.raw.other_cores:.2f}", extra]


def _verdict_text(v: Verdict) -> str:
    return "not measured" if v.met is None else ("met" if v.met else "NOT met")


def print_table(rows: Sequence[Row], checks: Sequence[Verdict]) -> None:
    table = [HEADERS, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADERS))]
    for n, line in enumerate(table):
        print("  ".join(cell.rjust(w) if i >= 2 and cell[:1].isdigit() else cell.ljust(w)
                        for i, (cell, w) in enumerate(zip(line, widths, strict=True))).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print(LEGEND)
    print()
    for v in checks:
        print(f"{v.target}: {v.figure} -> {_verdict_text(v)}")
    for r in rows:
        for kind, count in (r.ledger.error_kinds + r.raw.error_kinds).most_common(3):
            print(f"  errors {r.backend} {r.scenario} x{r.clients}: {count} x {kind}")


def environment() -> dict[str, str]:
    cpu = "unknown"
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().splitlines()[0].split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    return {"cores": str(os.cpu_count()), "cpu": cpu, "memory": memory, "os": platform.platform(),
            "code": _code_version(),
            "python": platform.python_version(), "sqlalchemy": sqlalchemy.__version__,
            "psycopg": psycopg.__version__, "sqlite": sqlite3.sqlite_version}


def _code_version() -> str:
    """Where the measured ``stockyard`` package was imported from, and its git revision when it has one."""
    import stockyard

    source = Path(stockyard.__file__).resolve().parent
    revision = "no git revision"
    with suppress(OSError, subprocess.SubprocessError):
        head = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain", "--", "."], capture_output=True,
                               text=True, timeout=10, check=True).stdout.strip()
        revision = f"git {head}" + (" with uncommitted changes" if dirty else "")
    return f"{source} ({revision})"


def markdown(rows: Sequence[Row], checks: Sequence[Verdict], args: argparse.Namespace, env: dict[str, str],
             pg_version: str | None, clean: dict[str, bool]) -> str:
    lines = [f"### Ledger benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", ""]
    lines.append(f"Machine: {env['cores']} cores ({env['cpu']}), {env['memory']}, {env['os']}; Python "
                 f"{env['python']}, SQLAlchemy {env['sqlalchemy']}, psycopg {env['psycopg']}, SQLite "
                 f"{env['sqlite']}" + (f", {pg_version}" if pg_version else "") + ".")
    lines.append(f"Code: stockyard from {env['code']}.")
    lines.append(f"Settings: {args.seconds:g} s measured after {args.warmup:g} s warm-up, median of {args.repeat} "
                 f"run(s); {args.skus} SKUs x {args.locations} locations; movement `{args.movement}`; batch "
                 f"{args.batch}" + (f"; PostgreSQL raw tables at pgbench scale {args.pg_scale or max(args.clients)}"
                                    if pg_version else "") + ".")
    lines.append("")
    lines.append("| " + " | ".join(HEADERS) + " |")
    lines.append("|" + "|".join("---" for _ in HEADERS) + "|")
    lines.extend("| " + " | ".join(_cells(r)) + " |" for r in rows)
    lines.extend(["", LEGEND, ""])
    lines.extend(f"- {v.target}: {v.figure} — **{_verdict_text(v)}**" for v in checks)
    lines.extend(f"- ledger verified after the run on {backend}: **{'clean' if ok else 'VIOLATIONS'}**"
                 for backend, ok in clean.items())
    return "\n".join(lines) + "\n"


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _counts(value: str) -> list[int]:
    counts = [int(v) for v in value.split(",") if v.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of positive client counts")
    return counts


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per run (default 10)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds before each run (default 2)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario, raw and ledger interleaved; the "
                        "median is reported (default 1)")
    parser.add_argument("--clients", type=_counts, default=[1, 32],
                        help="client processes for the one-movement-per-transaction runs (default 1,32)")
    parser.add_argument("--batch", type=int, default=1000, help="movements per batched posting (default 1000)")
    parser.add_argument("--batch-clients", type=_counts, default=[1], help="client processes for the batched "
                        "runs (default 1)")
    parser.add_argument("--skus", type=int, default=200, help="SKUs set up (default 200)")
    parser.add_argument("--locations", type=int, default=20, help="storage locations set up (default 20); every "
                        "SKU has opening stock in every location")
    parser.add_argument("--movement", choices=["move", "receive"], default="move",
                        help="move: one unit between two storage locations; receive: from the supplier location")
    parser.add_argument("--pg-url", default=os.environ.get("STOCKYARD_BENCH_PG_URL", DEFAULT_PG_URL),
                        help=f"a PostgreSQL maintenance database to create the scratch database from "
                             f"(default {DEFAULT_PG_URL})")
    parser.add_argument("--pg-scale", type=int, default=0, help="pgbench scale of the raw tables (default: the "
                        "largest client count, as pgbench advises)")
    parser.add_argument("--sqlite-dir", default=None, help="folder for the scratch SQLite file (default: temp)")
    parser.add_argument("--no-extra", action="store_true", help="skip the secondary references (pgbench, bare "
                        "sqlite3)")
    parser.add_argument("--start-method", choices=["fork", "spawn", "forkserver"],
                        default="fork" if "fork" in mp.get_all_start_methods() else "spawn")
    parser.add_argument("--profile", metavar="DIR", help="client 0 of each ledger run writes cProfile stats to DIR "
                        "(slows that client; do not publish profiled figures)")
    parser.add_argument("--markdown", metavar="PATH", help="also append the results to this markdown file")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.batch < 2 or args.seconds <= 0 or args.warmup < 0:
        parser.error("--repeat >= 1, --batch >= 2, --seconds > 0 and --warmup >= 0")
    if args.locations < 2 or args.skus < 1:
        parser.error("at least 1 SKU and 2 locations")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    ctx = mp.get_context(args.start_method)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    rows: list[Row] = []
    clean: dict[str, bool] = {}
    pg_version = None
    for backend in backends:
        if backend == "postgresql":
            with scratch_postgresql(args.pg_url) as url:
                pg_version = _pg_version(url)
                say(f"postgresql: scratch database {make_url(url).database}")
                found, clean[backend] = run_backend(backend, url, args, ctx)
        else:
            with scratch_sqlite(args.sqlite_dir) as url:
                say(f"sqlite: scratch file {make_url(url).database}")
                found, clean[backend] = run_backend(backend, url, args, ctx)
        rows.extend(found)
    checks = verdicts(rows)
    print()
    print_table(rows, checks)
    for backend, ok in clean.items():
        print(f"ledger verified on {backend}: {'clean' if ok else 'VIOLATIONS (see above)'}")
    if args.profile:
        _print_profiles(Path(args.profile))
    if args.markdown:
        with Path(args.markdown).open("a", encoding="utf-8") as out:
            out.write("\n" + markdown(rows, checks, args, environment(), pg_version, clean))
        say(f"results appended to {args.markdown}")
    return 0 if all(clean.values()) else 1


def _pg_version(url: str) -> str | None:
    engine: Engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"), poolclass=NullPool)
    try:
        with engine.connect() as conn:
            version = str(conn.execute(text("SHOW server_version")).scalar_one())
            return f"PostgreSQL {version.split()[0]}"
    finally:
        engine.dispose()


def _print_profiles(folder: Path) -> None:
    for path in sorted(folder.glob("*.prof")):
        print(f"\n== {path} (client 0, measured window; top 25 by cumulative time)")
        pstats.Stats(str(path)).strip_dirs().sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    sys.exit(main())
