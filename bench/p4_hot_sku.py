"""P4 benchmark: one hot SKU in one location, 64 concurrent allocators on PostgreSQL, through the service layer.

Run from the repository root::

    .venv/bin/python bench/p4_hot_sku.py [--workers 64] [--kinds processes,threads] [--orders-per-worker 60] ...
    stockyard bench p4_hot_sku [same options]

A scratch PostgreSQL database (created here, dropped at the end even on failure) is migrated and gets one
warehouse, one owner, one location holding 1,000,000 units of a hot SKU, and a second location holding 500 units
of a second SKU. One-line orders for 1 unit are created beforehand through ``orders.create_order`` (not timed).

* Throughput (P4): for each worker kind, ``--workers`` allocators (a thread pool in one process, every thread
  with its own pooled connection of one ``Database`` whose pool is sized for them; or a process pool, each
  process with its own ``Database`` of pool size 1) each call ``orders.allocate`` on their own orders, one after
  the other, all starting together. The figure is allocations per second from the start signal to the last
  completion, with p50/p99 of the ``allocate`` call. A run with one worker gives the uncontended cost.
* Reference, same run, same database server, same worker kind and count, same ``Database`` settings: the raw
  hot-row conditional update ``UPDATE ... SET allocated = allocated + 1 WHERE key = ... AND on_hand - allocated
  >= 1`` in its own transaction, on a copy of the hot balance row in a table shaped like ``balance``.
* Oversell (variant 2): ``--race-orders`` orders (default 2,000) of 1 unit against the 500 units of the second
  SKU, allocated by ``--workers`` process workers at once: exactly min(stock, demand) must be allocated, never
  more, on the balance row, the order lines and the allocation records alike.

While each run goes on, ``pg_stat_activity`` of the scratch database is sampled to show where the backends wait
(the hot row's lock, the client, the WAL flush), and the CPU of the clients and of the database's server
processes is counted per unit. ``verify`` replays the ledger at the end; it must be clean. ``--profile DIR``
runs one extra allocator with cProfile and a statement log beside a contended process run (not published).

Target (``docs/benchmarks.md``, P4): >= 1,000 allocations/s with 64 allocators. Not a test: it never fails on a
missed target, and pytest does not collect it.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing as mp
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from multiprocessing.context import ForkContext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg
from sqlalchemy import Connection, event, func, select, text
from sqlalchemy.engine import make_url

from ledger import DEFAULT_PG_URL, ServerProbe, _machine_busy, environment, say, scratch_postgresql
from stockyard.config import Settings
from stockyard.db import tables as t
from stockyard.db.engine import Database, make_engine
from stockyard.db.migrate import upgrade
from stockyard.domain.access import SYSTEM
from stockyard.domain.allocation import OrderType
from stockyard.services import masterdata as md
from stockyard.services import orders
from stockyard.services.stock import StockLine, post_opening_stock
from stockyard.services.verify import verify

TARGET = 1000.0
HOT_STOCK = Decimal(1_000_000)
RACE_STOCK = Decimal(500)
UNIT = 1_000_000  # balance quantities are stored in millionths


# ---------------------------------------------------------------- set-up


@dataclass(frozen=True)
class World:
    warehouse: int
    owner: int
    hot_sku: int
    hot_location: int
    race_sku: int
    race_location: int


def build(db: Database) -> World:
    wh = md.create(db, md.WAREHOUSE, {"code": "P4", "name": "P4 bench"}, principal=SYSTEM)["id"]
    owner = md.create(db, md.OWNER, {"code": "P4", "name": "P4 owner"}, principal=SYSTEM)["id"]
    hot_sku = md.create(db, md.SKU, {"owner_id": owner, "code": "HOT", "name": "Hot item"}, principal=SYSTEM)["id"]
    race_sku = md.create(db, md.SKU, {"owner_id": owner, "code": "RACE", "name": "Scarce item"},
                         principal=SYSTEM)["id"]
    hot_loc = md.create(db, md.LOCATION, {"warehouse_id": wh, "code": "HOT-01"}, principal=SYSTEM)["id"]
    race_loc = md.create(db, md.LOCATION, {"warehouse_id": wh, "code": "RACE-01"}, principal=SYSTEM)["id"]
    post_opening_stock(db, [StockLine(owner, hot_sku, hot_loc, HOT_STOCK),
                            StockLine(owner, race_sku, race_loc, RACE_STOCK)], principal=SYSTEM, doc_ref="p4")
    return World(wh, owner, hot_sku, hot_loc, race_sku, race_loc)


def _create_orders(url: str, world: World, sku: int, prefix: str, numbers: Sequence[int], out: Any) -> None:
    db = Database(make_engine(url, settings=Settings(pool_size=1)))
    try:
        ids = [orders.create_order(db, SYSTEM, orders.NewOrder(
            world.owner, world.warehouse, f"{prefix}-{n:06d}", OrderType.SALES_B2C,
            [orders.NewOrderLine(Decimal(1), sku_id=sku)])).order["id"] for n in numbers]
        out.put((numbers[0], ids, None))
    except BaseException:
        out.put((numbers[0] if numbers else 0, [], traceback.format_exc()))
    finally:
        db.dispose()


def create_orders(url: str, world: World, sku: int, prefix: str, count: int, ctx: ForkContext,
                  makers: int = 4) -> list[int]:
    """``count`` one-line orders of 1 unit of ``sku`` through ``orders.create_order``, by a few processes."""
    out = ctx.Queue()
    chunks = [list(range(i, count, makers)) for i in range(makers)]
    chunks = [c for c in chunks if c]
    procs = [ctx.Process(target=_create_orders, args=(url, world, sku, prefix, c, out))
             for c in chunks]
    for p in procs:
        p.start()
    ids: list[int] = []
    for _ in procs:
        _, got, failure = out.get()
        if failure:
            raise RuntimeError(f"creating orders failed:\n{failure}")
        ids.extend(got)
    for p in procs:
        p.join()
    return sorted(ids)


_RAW_TABLE = [
    "DROP TABLE IF EXISTS bench_hot_row",
    # Same columns, defaults, checks and indexes as balance (no foreign keys): the reference's row is as wide.
    "CREATE TABLE bench_hot_row (LIKE balance INCLUDING ALL)",
    "INSERT INTO bench_hot_row SELECT * FROM balance WHERE location_id = :loc AND NOT is_virtual",
]
_RAW_UPDATE = text("UPDATE bench_hot_row SET allocated = allocated + :unit, updated_at = now() "
                   "WHERE key = :key AND on_hand - allocated >= :unit")


def create_raw_row(db: Database, world: World) -> str:
    def work(conn: Connection) -> str:
        for statement in _RAW_TABLE:
            conn.execute(text(statement), {"loc": world.hot_location})
        return str(conn.execute(text("SELECT key FROM bench_hot_row")).scalar_one())
    return db.write(work)


def pgbench_hot_row(url: str, key: str, clients: int, seconds: float) -> float | None:
    """The same hot-row UPDATE from pgbench (a C client, one statement per transaction): a secondary reference
    for what the server itself sustains on one row here, without Python."""
    binary = shutil.which("pgbench")
    if binary is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(f"UPDATE bench_hot_row SET allocated = allocated + {UNIT}, updated_at = now() "
                     f"WHERE key = '{key}' AND on_hand - allocated >= {UNIT};\n")
    jobs = max(1, min(clients, os.cpu_count() or 1))
    command = [binary, "-n", "-c", str(clients), "-j", str(jobs), "-T", str(max(1, round(seconds))), "-f",
               script.name, url]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120, check=False)
    except subprocess.TimeoutExpired:
        return None
    finally:
        os.unlink(script.name)
    found = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", done.stdout)
    if found is None:
        say(f"pgbench gave no rate: {done.stderr.strip()[:300]}")
        return None
    return float(found.group(1))


def reset_raw_row(db: Database) -> None:
    db.write(lambda conn: conn.execute(text("UPDATE bench_hot_row SET allocated = 0")))


# ---------------------------------------------------------------- workers

APP_NAME = "stockyard-p4-bench"  # the workers' connections, so the sampler watches only them


def worker_database(url: str, pool_size: int) -> Database:
    """The application's Database and engine settings, with the pool sized for the workers that share it."""
    return Database(make_engine(url, settings=Settings(pool_size=pool_size),
                                connect_args={"application_name": APP_NAME}))


class LockClock:
    """Per thread: how long the hot row's UPDATE waited (its statement time) and how long the row stayed locked
    after it (to the connection's return to the pool, just after COMMIT), from engine and pool events."""

    def __init__(self, db: Database, marker: str) -> None:
        self.local = threading.local()

        @event.listens_for(db.engine, "before_cursor_execute")
        def _before(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if marker in statement:
                conn.info["p4_sent"] = time.monotonic()

        @event.listens_for(db.engine, "after_cursor_execute")
        def _after(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if marker in statement:
                now = time.monotonic()
                self._add("wait", now - conn.info.pop("p4_sent", now))
                conn.info["p4_locked"] = now

        @event.listens_for(db.engine.pool, "checkin")
        def _checkin(_dbapi: Any, record: Any) -> None:
            locked = record.info.pop("p4_locked", None) if record is not None else None
            if locked is not None:
                self._add("hold", time.monotonic() - locked)
                self._add("n", 1)

    def _add(self, name: str, value: float) -> None:
        setattr(self.local, name, getattr(self.local, name, 0.0) + value)

    def reset(self) -> None:
        self.local.wait = self.local.hold = self.local.n = 0.0

    def totals(self) -> tuple[float, float, float]:
        return (getattr(self.local, "wait", 0.0), getattr(self.local, "hold", 0.0), getattr(self.local, "n", 0.0))


_FROM = re.compile(r"\bFROM (\w+)")


def _label(statement: str, marker: str) -> str:
    if marker in statement:
        return "hot-row UPDATE balance (lock taken)"
    words = statement.split()
    if words[0] == "SELECT":
        found = _FROM.search(statement)
        return f"SELECT ... FROM {found.group(1) if found else '?'}" + (" FOR UPDATE" if "FOR UPDATE" in statement
                                                                         else "")
    if words[0] in ("INSERT", "UPDATE"):
        return " ".join(words[:3] if words[0] == "INSERT" else words[:2])
    return " ".join(words[:2]).split("_")[0]


class StepTimer:
    """Worker 0's statements with their times, to break the hot row's locked time down step by step: per step,
    the client's time before sending it (Python) and the round trip of the statement itself."""

    def __init__(self, db: Database, marker: str) -> None:
        self.events: list[tuple[str, str, float]] = []
        self.marker = marker
        add = self.events.append

        @event.listens_for(db.engine, "before_cursor_execute")
        def _before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            add(("S", _label(statement, marker), time.monotonic()))

        @event.listens_for(db.engine, "after_cursor_execute")
        def _after(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            add(("E", "", time.monotonic()))

        @event.listens_for(db.engine, "commit")
        def _commit(_conn: Any) -> None:
            add(("S", "COMMIT", time.monotonic()))

        @event.listens_for(db.engine.pool, "checkin")
        def _checkin(_dbapi: Any, _record: Any) -> None:
            add(("E", "", time.monotonic()))
            add(("X", "", time.monotonic()))

    def reset(self) -> None:
        self.events.clear()

    def breakdown(self) -> list[tuple[str, float, float]]:
        """Mean per locking transaction: (step, client ms before it, round trip ms), from the hot-row UPDATE on."""
        sums: dict[str, list[float]] = {}
        order: list[str] = []
        transactions = 0
        locked_at: float | None = None
        previous_end = 0.0
        pending: tuple[str, float, float] | None = None  # label, gap, start
        for kind, label, at in self.events:
            if kind == "S":
                pending = (label, at - previous_end, at)
            elif kind == "E" and pending is not None:
                name, gap, started = pending
                pending = None
                previous_end = at
                if name.startswith("hot-row"):
                    locked_at = at
                    transactions += 1
                    name = "hot-row UPDATE balance (wait + run)"
                    gap = 0.0
                elif locked_at is None:
                    continue
                if name not in sums:
                    sums[name] = [0.0, 0.0]
                    order.append(name)
                sums[name][0] += gap
                sums[name][1] += at - started
            elif kind == "X":
                locked_at = None
        n = max(transactions, 1)
        return [(name, 1000 * sums[name][0] / n, 1000 * sums[name][1] / n) for name in order]


def _marker(job_work: str) -> str:
    return "UPDATE bench_hot_row" if job_work == "raw" else "locked AS MATERIALIZED"


@dataclass(frozen=True)
class Job:
    """What one run does: ``kind`` of work (allocate | raw), by ``workers`` threads or processes."""

    url: str
    work: str  # allocate | raw
    pool: str  # threads | processes
    workers: int
    items: tuple[tuple[int, ...], ...]  # per worker: order ids (allocate) or a count of updates (raw: (n,))
    warm: tuple[tuple[int, ...], ...]  # per worker: untimed warm-up orders (allocate) or (n,) updates (raw)
    raw_key: str = ""
    profile: str | None = None  # worker 0 profiles itself and logs its statements here


@dataclass
class WorkerResult:
    index: int
    done: int = 0
    finished: float = 0.0  # time.monotonic() of its last completion
    latencies: list[float] = field(default_factory=list)
    allocated: Decimal = Decimal(0)  # units the allocate calls reported allocated
    errors: Counter[str] = field(default_factory=Counter)
    failure: str | None = None
    steps: list[tuple[str, float, float]] = field(default_factory=list)  # worker 0: StepTimer.breakdown
    lock_wait: float = 0.0  # seconds the hot row's UPDATE took (mostly waiting for the row lock)
    lock_hold: float = 0.0  # seconds the hot row stayed locked after it, until the commit was done
    locked: int = 0  # transactions that locked the hot row


def _op(job: Job, db: Database) -> Callable[[int], Decimal]:
    if job.work == "raw":
        params = {"unit": UNIT, "key": job.raw_key}

        def raw(_: int) -> Decimal:
            count = db.write(lambda conn: conn.execute(_RAW_UPDATE, params).rowcount)
            return Decimal(count)
        return raw

    def allocate(order_id: int) -> Decimal:
        result = orders.allocate(db, SYSTEM, order_id)
        return sum((Decimal(line["allocated_quantity"]) for line in result.order["lines"]), Decimal(0))
    return allocate


def _work_items(job: Job, index: int, warm: bool) -> Sequence[int]:
    chosen = (job.warm if warm else job.items)[index]
    return range(chosen[0]) if job.work == "raw" else chosen


def _one_worker(job: Job, index: int, db: Database, clock: LockClock, connected: Any, warmed: Any, go: Any,
                result: WorkerResult, steps: StepTimer | None = None) -> None:
    """Open a connection (held until every worker has one), warm up, wait for the start, run its items."""
    op = _op(job, db)
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        connected.wait()
    for item in _work_items(job, index, warm=True):
        op(item)
    warmed.wait()
    profile = cProfile.Profile() if job.profile and index == 0 else None
    go.wait()
    clock.reset()
    if steps:
        steps.reset()
    if profile:
        profile.enable()
    for item in _work_items(job, index, warm=False):
        started = time.monotonic()
        try:
            result.allocated += op(item)
        except Exception as error:  # counted and shown: errors are part of the result
            result.errors[f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"] += 1
            continue
        finished = time.monotonic()
        result.latencies.append(finished - started)
        result.done += 1
        result.finished = finished
    wait, hold, n = clock.totals()
    result.lock_wait, result.lock_hold, result.locked = wait, hold, int(n)
    if steps:
        result.steps = steps.breakdown()
    if profile and job.profile:
        profile.disable()
        profile.dump_stats(job.profile)


def _thread_pool(job: Job, ready: Any, go: Any, results: Any, release: Any) -> None:
    """All workers as threads of this one process, sharing one Database whose pool holds a connection each."""
    db = worker_database(job.url, job.workers)
    clock = LockClock(db, _marker(job.work))
    connected = threading.Barrier(job.workers + 1)
    warmed = threading.Barrier(job.workers + 1)
    local_go = threading.Event()
    found = [WorkerResult(i) for i in range(job.workers)]

    def run(i: int) -> None:
        try:
            _one_worker(job, i, db, clock, connected, warmed, local_go, found[i])
        except BaseException:
            found[i].failure = traceback.format_exc()
            connected.abort()
            warmed.abort()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(job.workers)]
    for th in threads:
        th.start()
    try:
        connected.wait(timeout=300)
        warmed.wait(timeout=600)
    except threading.BrokenBarrierError:
        pass
    ready.put(None)
    go.wait()
    cpu = time.process_time()
    local_go.set()
    for th in threads:
        th.join()
    results.put((found, time.process_time() - cpu))
    release.wait(timeout=600)  # connections stay open until the parent has read the server's CPU counters
    db.dispose()


def _process_worker(job: Job, index: int, connected: Any, warmed: Any, go: Any, results: Any,
                    release: Any) -> None:
    result = WorkerResult(index)
    db = worker_database(job.url, 1)
    clock = LockClock(db, _marker(job.work))
    cpu = 0.0
    start_cpu = [0.0]

    class Go:
        @staticmethod
        def wait() -> None:
            go.wait()
            start_cpu[0] = time.process_time()

    log: list[str] = []
    steps = StepTimer(db, _marker(job.work)) if index == 0 and not job.profile else None
    try:
        if job.profile and index == 0:
            _log_statements(db, log)
        _one_worker(job, index, db, clock, connected, warmed, Go, result, steps)
        cpu = time.process_time() - start_cpu[0]
        if log and job.profile:
            Path(job.profile + ".sql").write_text("\n".join(log) + "\n", encoding="utf-8")
    except BaseException:
        result.failure = traceback.format_exc()
        connected.abort()
        warmed.abort()
    finally:
        results.put(([result], cpu))
        release.wait(timeout=600)  # as in _thread_pool
        db.dispose()


def _log_statements(db: Database, log: list[str]) -> None:
    """Collect every statement this worker sends, with its transaction's BEGIN and COMMIT, for the profile."""

    @event.listens_for(db.engine, "before_cursor_execute")
    def _log(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        log.append(" ".join(statement.split())[:160])

    @event.listens_for(db.engine, "commit")
    def _commit(_conn: Any) -> None:
        log.append("COMMIT")

    @event.listens_for(db.engine, "begin")
    def _begin(_conn: Any) -> None:
        log.append("BEGIN")


# ---------------------------------------------------------------- what the server is doing


class WaitSampler:
    """Samples pg_stat_activity of the scratch database every ``interval`` seconds, in a thread of the parent."""

    def __init__(self, url: str, interval: float = 0.02) -> None:
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.interval = interval
        self.counts: Counter[str] = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            rows = self.conn.execute(
                "SELECT state, wait_event_type, wait_event FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = %s", (APP_NAME,)
            ).fetchall()
            self.samples += 1
            for state, kind, name in rows:
                self.counts[_state_name(state, kind, name)] += 1
            self._stop.wait(self.interval)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        self.conn.close()
        return {k: v / max(self.samples, 1) for k, v in self.counts.most_common()}


def _state_name(state: str | None, kind: str | None, name: str | None) -> str:
    if state == "active":
        if kind is None or kind == "CPU":
            return "running"
        if kind == "Lock":
            return f"lock wait ({name})"
        return f"{kind}:{name}"
    if state == "idle in transaction":
        return "idle in tx (client working, locks held)"
    return "idle (client working, no tx)" if state == "idle" else str(state)


# ---------------------------------------------------------------- one run


@dataclass
class Run:
    work: str
    pool: str
    workers: int
    done: int
    seconds: float
    rate: float
    p50_ms: float
    p99_ms: float
    allocated: Decimal
    errors: Counter[str]
    client_cpu_us: float
    server_cpu_us: float
    other_cores: float  # cores busy with anything but these clients and this database's server processes
    waits: dict[str, float]
    lock_wait_ms: float  # mean per transaction that locked the hot row
    lock_hold_ms: float
    steps: list[tuple[str, float, float]]  # from worker 0 of a process pool


def _percentile(ordered: Sequence[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run_job(job: Job, ctx: ForkContext) -> Run:
    results = ctx.Queue()
    ready = ctx.Queue()
    go = ctx.Event()
    release = ctx.Event()
    if job.pool == "threads":
        procs = [ctx.Process(target=_thread_pool, args=(job, ready, go, results, release), daemon=True)]
    else:
        connected = ctx.Barrier(job.workers + 1)
        warmed = ctx.Barrier(job.workers + 1)
        procs = [ctx.Process(target=_process_worker, args=(job, i, connected, warmed, go, results, release),
                             daemon=True) for i in range(job.workers)]
    for p in procs:
        p.start()
    try:
        if job.pool == "threads":
            ready.get(timeout=900)
        else:
            connected.wait(timeout=300)  # every process holds a connection
            warmed.wait(timeout=600)  # and has made its warm-up calls
    except threading.BrokenBarrierError:
        pass  # a worker failed: its result says why
    probe = ServerProbe(job.url)
    sampler = WaitSampler(job.url)
    server_before = probe.snapshot()
    busy_before = _machine_busy()
    sampler.start()
    start = time.monotonic()
    go.set()
    found: list[WorkerResult] = []
    cpu = 0.0
    for _ in procs:
        got, used = results.get(timeout=3600)
        found.extend(got)
        cpu += used
    server_after = probe.snapshot()
    busy_after = _machine_busy()
    release.set()
    waits = sampler.stop()
    probe.close()
    for p in procs:
        p.join(timeout=60)
    failures = [r.failure for r in found if r.failure]
    if failures:
        raise RuntimeError(f"{len(failures)} worker(s) failed; the first:\n{failures[0]}")
    done = sum(r.done for r in found)
    end = max((r.finished for r in found if r.done), default=start)
    seconds = max(end - start, 1e-9)
    latencies = sorted(x for r in found for x in r.latencies)
    errors: Counter[str] = Counter()
    for r in found:
        errors.update(r.errors)
    units = max(done, 1)
    server = ServerProbe.used(server_before, server_after)
    elapsed = time.monotonic() - start
    other = (float("nan") if busy_before is None or busy_after is None
             else max(0.0, (busy_after - busy_before - cpu - server) / elapsed))
    locked = max(sum(r.locked for r in found), 1)
    return Run(job.work, job.pool, job.workers, done, seconds, done / seconds,
               1000 * _percentile(latencies, 0.5), 1000 * _percentile(latencies, 0.99),
               sum((r.allocated for r in found), Decimal(0)), errors, 1e6 * cpu / units, 1e6 * server / units,
               other, waits, 1000 * sum(r.lock_wait for r in found) / locked,
               1000 * sum(r.lock_hold for r in found) / locked, next((r.steps for r in found if r.steps), []))


def _split(ids: Sequence[int], workers: int) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(ids[i::workers]) for i in range(workers))


# ---------------------------------------------------------------- the oversell race


@dataclass
class Race:
    orders: int
    stock: Decimal
    reported: Decimal  # what the allocate calls said they allocated
    on_balance: Decimal
    on_lines: Decimal
    on_records: Decimal
    on_hand: Decimal
    fully_allocated_orders: int
    errors: Counter[str]
    seconds: float

    @property
    def expected(self) -> Decimal:
        return min(self.stock, Decimal(self.orders))

    @property
    def oversell(self) -> Decimal:
        return max(Decimal(0), max(self.on_balance, self.on_lines, self.on_records, self.reported) - self.expected,
                   self.on_balance - self.on_hand)

    @property
    def exact(self) -> bool:
        return (self.reported == self.on_balance == self.on_lines == self.on_records == self.expected
                and self.fully_allocated_orders == int(self.expected))


def run_race(url: str, db: Database, world: World, workers: int, count: int, ctx: ForkContext) -> Race:
    ids = create_orders(url, world, world.race_sku, "RACE", count, ctx)
    job = Job(url, "allocate", "processes", workers, _split(ids, workers), tuple(() for _ in range(workers)))
    run = run_job(job, ctx)

    def state(conn: Connection) -> tuple[Decimal, Decimal, Decimal, Decimal, int]:
        b, line, a, o = t.balance, t.shipment_line, t.shipment_allocation, t.shipment_order
        bal = conn.execute(select(b.c.on_hand, b.c.allocated).where(
            b.c.sku_id == world.race_sku, ~b.c.is_virtual)).one()
        lines = conn.execute(select(func.coalesce(func.sum(line.c.allocated_quantity), 0))
                             .where(line.c.sku_id == world.race_sku)).scalar_one()
        held = conn.execute(select(func.coalesce(func.sum(a.c.quantity), 0)).where(
            a.c.sku_id == world.race_sku, a.c.status == "allocated")).scalar_one()
        full = conn.execute(select(func.count()).select_from(o).where(
            o.c.id.in_(ids), o.c.status == "allocated")).scalar_one()
        return Decimal(bal.allocated), Decimal(lines), Decimal(held), Decimal(bal.on_hand), int(full)

    on_balance, on_lines, on_records, on_hand, full = db.read(state)
    return Race(count, RACE_STOCK, run.allocated, on_balance, on_lines, on_records, on_hand, full, run.errors,
                run.seconds)


# ---------------------------------------------------------------- profile


def run_profile(url: str, world: World, folder: Path, workers: int, ctx: ForkContext) -> str:
    """A contended process run whose worker 0 is profiled and logs its statements; returns the report."""
    folder.mkdir(parents=True, exist_ok=True)
    per = 40
    ids = create_orders(url, world, world.hot_sku, "PROF", workers * (per + 2), ctx)
    items = _split(ids, workers)
    job = Job(url, "allocate", "processes", workers, tuple(i[2:] for i in items), tuple(i[:2] for i in items),
              profile=str(folder / "allocate.prof"))
    run = run_job(job, ctx)
    out = io.StringIO()
    out.write(f"profiled run: {run.rate:,.0f} allocations/s with {workers} processes (worker 0 profiled)\n")
    stats = pstats.Stats(str(folder / "allocate.prof"), stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(40)
    statements = (folder / "allocate.prof.sql").read_text().splitlines()
    # One allocate, from the start of its transaction to its commit (the last complete one in the log).
    ends = [i for i, s in enumerate(statements) if s == "COMMIT"]
    if len(ends) >= 2:
        one = statements[ends[-2] + 1: ends[-1] + 1]
        out.write(f"\nstatements of one allocate ({len(one) - 1} + COMMIT; * = after the hot row is locked):\n")
        locked = False
        for s in one:
            locked = locked or "FOR UPDATE) UPDATE balance" in s or ("locked AS MATERIALIZED" in s)
            out.write(f"  {'*' if locked else ' '} {s}\n")
    return out.getvalue()


# ---------------------------------------------------------------- report


def _fmt_waits(waits: dict[str, float], workers: int) -> str:
    shown = [f"{name} {value:.1f}" for name, value in waits.items() if value >= 0.05]
    return "; ".join(shown) + f" (of {workers})" if shown else "-"


def report(runs: Sequence[Run], race: Race | None, clean: bool | None, env: dict[str, str], args: argparse.Namespace,
           profile: str | None, pgbench: dict[int, float]) -> str:
    lines = [f"### P4 hot-SKU benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", ""]
    lines.append(f"Machine: {env['cores']} cores ({env['cpu']}), {env['memory']}, {env['os']}; Python "
                 f"{env['python']}, SQLAlchemy {env['sqlalchemy']}, psycopg {env['psycopg']}, {env['pg']}.")
    lines.append(f"Code: stockyard from {env['code']}.")
    lines.append(f"Settings: {args.orders_per_worker} timed allocations per worker after {args.warm} warm-up each; "
                 f"raw reference {args.raw_per_worker} updates per worker; stock of the hot SKU {HOT_STOCK:,} units "
                 f"in one location; load average before the runs {args.load_before}.")
    lines.append("")
    lines.append("| what | workers | n | per second | p50 / p99 ms | ratio to raw | hot row: wait / held ms "
                 "| client CPU µs/unit | PG CPU µs/unit | other cores | errors | backends by state (mean) |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    raws = {(r.pool, r.workers): r for r in runs if r.work == "raw"}
    for r in runs:
        ref = raws.get((r.pool, r.workers))
        ratio = f"{r.rate / ref.rate:.0%}" if r.work == "allocate" and ref else "-"
        what = "orders.allocate" if r.work == "allocate" else "raw hot-row UPDATE"
        errors = sum(r.errors.values())
        lines.append(f"| {what} | {r.workers} {r.pool} | {r.done:,} | {r.rate:,.0f} | {r.p50_ms:.1f} / "
                     f"{r.p99_ms:.1f} | {ratio} | {r.lock_wait_ms:.1f} / {r.lock_hold_ms:.2f} | "
                     f"{r.client_cpu_us:,.0f} | {r.server_cpu_us:,.0f} | {r.other_cores:.2f} | {errors} | "
                     f"{_fmt_waits(r.waits, r.workers)} |")
    lines.append("")
    lines.append("Hot row: wait = the balance UPDATE's own time (queueing for the row lock), held = from its end to "
                 "the connection's return to the pool after COMMIT, means per transaction. Backends by state: "
                 "mean number of the workers' server connections in each state, sampled every 20 ms; 'idle in tx' "
                 "is a backend waiting for its client in the middle of a transaction, 'idle' for the next one. "
                 "Other cores: busy with anything but these clients and this database's server processes.")
    for r in runs:
        if r.steps and r.work == "allocate":
            lines.append("")
            lines.append(f"While the hot row is locked, one allocation of worker 0, {r.workers} {r.pool} "
                         "(mean ms per allocation):")
            lines.append("")
            lines.append("| step | client before it | round trip |")
            lines.append("|---|---|---|")
            lines.extend(f"| {name} | {gap:.2f} | {trip:.2f} |" for name, gap, trip in r.steps)
            held = sum(gap + trip for name, gap, trip in r.steps[1:])
            lines.append(f"| **held after the UPDATE** | {sum(g for _, g, _ in r.steps[1:]):.2f} | "
                         f"{sum(t for _, _, t in r.steps[1:]):.2f} (total {held:.2f}) |")
    if pgbench:
        lines.append("")
        lines.append("Secondary reference, pgbench (C client) running the same hot-row UPDATE: " + ", ".join(
            f"{clients} clients {rate:,.0f}/s" for clients, rate in pgbench.items()) + ".")
    lines.append("")
    for r in runs:
        for kind, n in r.errors.most_common(3):
            lines.append(f"- errors in {r.work} {r.workers} {r.pool}: {n} x {kind}")
    best = max((r for r in runs if r.work == "allocate" and r.workers == args.workers), key=lambda r: r.rate,
               default=None)
    if best:
        verdict = "met" if best.rate >= TARGET else "NOT met"
        lines.append(f"- P4 >= {TARGET:,.0f} allocations/s with {args.workers} allocators: {best.rate:,.0f}/s "
                     f"({best.pool}) — **{verdict}**")
    if race:
        lines.append(f"- oversell race: {race.orders:,} orders of 1 against {race.stock:,} on hand, "
                     f"{args.workers} processes, {race.seconds:.1f} s: allocated {race.on_balance:,} on the balance "
                     f"row, {race.on_lines:,} on the lines, {race.on_records:,} in allocation records, "
                     f"{race.reported:,} reported by the calls; {race.fully_allocated_orders:,} orders allocated; "
                     f"errors {sum(race.errors.values())} — **{'exact' if race.exact else 'WRONG'}**")
        lines.append(f"- oversell: {race.oversell:,}")
    if clean is not None:
        lines.append(f"- ledger verified after the runs: **{'clean' if clean else 'VIOLATIONS'}**")
    text_ = "\n".join(lines) + "\n"
    if profile:
        text_ += "\n" + profile
    return text_


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--workers", type=int, default=64, help="concurrent allocators (default 64)")
    parser.add_argument("--kinds", default="processes,threads",
                        help="worker pools to measure, comma-separated: processes, threads (default both)")
    parser.add_argument("--orders-per-worker", type=int, default=60, help="timed allocations per worker "
                        "(default 60)")
    parser.add_argument("--warm", type=int, default=2, help="untimed warm-up allocations per worker (default 2)")
    parser.add_argument("--raw-per-worker", type=int, default=200, help="raw updates per worker (default 200)")
    parser.add_argument("--single", type=int, default=300, help="allocations by one process worker for the "
                        "uncontended figure (default 300; 0 skips it)")
    parser.add_argument("--race-orders", type=int, default=2000, help="orders of 1 against 500 on hand in the "
                        "oversell race (default 2000; 0 skips it)")
    parser.add_argument("--pgbench-seconds", type=float, default=8.0, help="seconds of the pgbench secondary "
                        "reference, at 1 and --workers clients (default 8; 0 skips it)")
    parser.add_argument("--pg-url", default=os.environ.get("STOCKYARD_BENCH_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--profile", metavar="DIR", help="also run a profiled contended run; stats go to DIR")
    parser.add_argument("--markdown", metavar="PATH", help="also append the report to this markdown file")
    args = parser.parse_args(argv)
    args.kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if not set(args.kinds) <= {"processes", "threads"} or args.workers < 1:
        parser.error("--kinds takes processes and/or threads; --workers >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    ctx = mp.get_context("fork")
    args.load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    runs: list[Run] = []
    race = None
    profile = None
    pgbench: dict[int, float] = {}
    with scratch_postgresql(args.pg_url) as url:
        say(f"postgresql: scratch database {make_url(url).database}")
        db = Database(make_engine(url, settings=Settings(pool_size=2)))
        try:
            pg_version = "PostgreSQL " + str(db.read(lambda c: c.execute(text("SHOW server_version")).scalar_one()))
            upgrade(db.engine)
            world = build(db)
            raw_key = create_raw_row(db, world)
            plans: list[tuple[str, int, int]] = [(k, args.workers, args.orders_per_worker) for k in args.kinds]
            if args.single:
                plans.append(("processes", 1, args.single))
            for pool, workers, per in plans:
                count = workers * (per + args.warm)
                started = time.monotonic()
                ids = create_orders(url, world, world.hot_sku, f"{pool[0].upper()}{workers}", count, ctx)
                say(f"{count:,} orders created in {time.monotonic() - started:.1f} s (not timed)")
                items = _split(ids, workers)
                reset_raw_row(db)
                raw = run_job(Job(url, "raw", pool, workers, tuple((args.raw_per_worker,) for _ in range(workers)),
                                  tuple((args.warm,) for _ in range(workers)), raw_key=raw_key), ctx)
                say(f"raw hot-row update, {workers} {pool}: {raw.rate:,.0f}/s")
                alloc = run_job(Job(url, "allocate", pool, workers, tuple(i[args.warm:] for i in items),
                                    tuple(i[:args.warm] for i in items)), ctx)
                say(f"orders.allocate, {workers} {pool}: {alloc.rate:,.0f}/s, p50 {alloc.p50_ms:.1f} ms, "
                    f"p99 {alloc.p99_ms:.1f} ms ({alloc.rate / raw.rate:.0%} of raw)")
                runs.extend([alloc, raw])
            for clients in sorted({args.workers, 1}):
                reset_raw_row(db)
                rate = pgbench_hot_row(url, raw_key, clients, args.pgbench_seconds) if args.pgbench_seconds else None
                if rate:
                    pgbench[clients] = rate
                    say(f"pgbench hot-row update, {clients} clients: {rate:,.0f}/s")
            if args.race_orders:
                race = run_race(url, db, world, args.workers, args.race_orders, ctx)
                say(f"race: {race.on_balance} allocated of {race.stock} for {race.orders} orders")
            if args.profile:
                profile = run_profile(url, world, Path(args.profile), args.workers, ctx)
            say("verifying the ledger")
            clean = verify(db).ok
        finally:
            db.dispose()
    env = {**environment(), "pg": pg_version}
    text_ = report(runs, race, clean, env, args, profile, pgbench)
    print()
    print(text_)
    if race:
        print(f"oversell: {race.oversell:,}")
    if args.markdown:
        with Path(args.markdown).open("a", encoding="utf-8") as out:
            out.write("\n" + text_)
        say(f"results appended to {args.markdown}")
    ok = clean and (race is None or (race.exact and race.oversell == 0))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
