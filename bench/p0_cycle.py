"""P0 benchmark: full warehouse cycles over HTTP against the real server, 8 concurrent clients, PostgreSQL.

Run from the repository root::

    .venv/bin/python bench/p0_cycle.py [--workers 2,4] [--clients 8] [--seconds 30] [--warmup 5] ...
    stockyard bench p0_cycle [same options]

A scratch PostgreSQL database (created here, dropped at the end even on failure) is migrated with
``stockyard db upgrade`` and a user is made with ``stockyard user create --password-stdin`` (both run as
subprocesses, as an operator would). Master data comes through the services, outside the timed part: one
warehouse with a receiving dock, a staging location and ``--aisles`` x ``--bays`` shelves with aisle / x / y
(aisles 3 m apart, bays 2 m apart), one owner, ``--skus`` SKUs each with a fixed home shelf, putaway rules
(fixed home, then nearest empty) and opening stock of 1,000 units at each home.

For each worker count the real server is started as a subprocess (``stockyard serve --workers N``) on a free
port, each client signs in over HTTP (``POST /auth/login``, its own session token) and then, in the same run:

* reference: the ``--clients`` clients call ``GET /healthz`` (one ``SELECT 1``, no sign-in) back to back for the
  same warm-up and measured time, then ``GET /auth/me`` (a session lookup, the cheapest signed-in call);
* cycles: each client runs full cycles back to back, on a SKU drawn at random; one cycle is
  ``--receive receipt`` (default): ``POST /receipts`` (1 line of 1 unit), ``POST /receipts/{id}/receive`` onto
  the dock (a putaway task suggested to the SKU's home), ``POST /tasks/{id}/confirm`` at the home's code,
  ``POST /receipts/{id}/close``; or ``--receive opening``: one ``POST /stock/opening`` of 1 unit at the home;
  then ``POST /orders`` (1 line of 1 unit, unique external_ref), ``POST /waves`` (that order),
  ``POST /waves/{id}/release`` (allocation, pick task, trip, route), ``GET /trips/{id}``,
  ``POST /pick-tasks/{id}/confirm`` by scan, ``POST /orders/{id}/packages``, ``POST /packages/{id}/items`` by
  scan, ``POST /packages/{id}/close`` and ``POST /orders/{id}/ship``.

Each client keeps one keep-alive connection, which stays with the uvicorn worker that accepted it (8 connections
over N workers are rarely spread evenly: the report shows each server process's share of the CPU);
``--reconnect`` opens a new connection for every cycle instead (the references: every as many requests), so
the clients spread over the workers as they would behind a proxy. Cycles and requests are counted when they end
inside the measured window. Any non-2xx answer (or transport
error) is an error: the cycle is abandoned and the first few are printed. CPU is read from /proc for the server
processes (uvicorn and its workers), this database's PostgreSQL backends (with the WAL writer) and the client
process itself, which shares the 2 cores.

Oversell (separate phase, on the server of the last worker count): 10 units of one SKU, 16 one-unit orders, one
wave per order, the 16 releases sent at once: exactly 10 orders must be served and 6 left out, the balance's
allocated never above on hand; then ``POST /admin/verify`` must be clean (it replays the whole ledger of the run).

While the cycles run, ``pg_stat_activity`` of the scratch database is sampled every 20 ms (running, waiting on
a lock and for which statement, idle in a transaction the app holds open). The code under test is whatever is
on disk when each server starts; the script warns when ``src/stockyard`` changed during the run.

Profile (``--profile-cycles N``, default 150, 0 to skip; ``--profile-only`` skips the HTTP runs): the app in
this process (``httpx.ASGITransport``, no network, no uvicorn), one client, the thread-pool hop of FastAPI's
sync endpoints and dependencies replaced by a direct call so that everything runs in one thread: N cycles timed
plain, with SQL statements, transactions, time inside ``cursor.execute`` and thread-pool hops counted per request
type, then N cycles under cProfile with a CPU clock (``--print-profile`` prints its tables).

Target (``targets.md``, P0): >= 380 cycles/s, p99 < 100 ms, zero errors, zero oversell. Not a test: it never
fails on a missed target, and pytest does not collect it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import io
import math
import os
import pstats
import random
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
import psycopg
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from ledger import (
    DEFAULT_PG_URL,
    ServerProbe,
    _machine_busy,
    _pg_version,
    environment,
    say,
    scratch_postgresql,
)
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import SYSTEM
from stockyard.services import masterdata as md
from stockyard.services import putaway
from stockyard.services.stock import StockLine, post_opening_stock

API = "/api/v1"
USER = "p0bench"
PASSWORD = "p0-bench-password-not-secret"
OPENING = Decimal(1000)
P0_RATE, P0_P99_MS = 380.0, 100.0
RECEIPT_KINDS = ["receipt.create", "receipt.receive", "putaway.confirm", "receipt.close"]
OPENING_KINDS = ["stock.opening"]
OUT_KINDS = ["order.create", "wave.create", "wave.release", "trip.get", "pick.confirm", "package.open",
             "package.pack", "package.close", "order.ship"]
BIN = Path(sys.executable).parent


# ---------------------------------------------------------------- the warehouse


@dataclass(frozen=True)
class Sku:
    id: int
    code: str
    home_id: int
    home_code: str


@dataclass
class Site:
    warehouse_id: int
    owner_id: int
    dock_id: int
    staging_id: int
    skus: list[Sku]
    location_codes: dict[int, str]
    hot: Sku  # the oversell phase's SKU: 10 units, never touched by the cycles


def build(db: Database, aisles: int, bays: int, skus: int) -> Site:
    def create(entity: md.Entity, data: dict[str, Any]) -> int:
        return int(md.create(db, entity, data, principal=SYSTEM)["id"])

    wh = create(md.WAREHOUSE, {"code": "P0", "name": "P0 bench"})
    rcv = create(md.ZONE, {"warehouse_id": wh, "code": "RCV", "name": "Dock", "kind": "receiving"})
    sto = create(md.ZONE, {"warehouse_id": wh, "code": "STO", "name": "Storage", "kind": "storage"})
    stg = create(md.ZONE, {"warehouse_id": wh, "code": "STG", "name": "Staging", "kind": "staging"})
    dock = create(md.LOCATION, {"warehouse_id": wh, "zone_id": rcv, "code": "DOCK-1", "kind": "dock",
                                "x": Decimal(0), "y": Decimal(0)})
    staging = create(md.LOCATION, {"warehouse_id": wh, "zone_id": stg, "code": "STAGE-1", "kind": "staging",
                                   "x": Decimal(0), "y": Decimal(0)})
    shelves: list[tuple[int, str]] = []
    for a in range(aisles):
        aisle = chr(ord("A") + a) if a < 26 else f"A{a:02d}"
        for bay in range(1, bays + 1):
            code = f"{aisle}-{bay:02d}"
            shelves.append((create(md.LOCATION, {"warehouse_id": wh, "zone_id": sto, "code": code,
                                                 "kind": "storage", "aisle": aisle, "x": Decimal(3 * (a + 1)),
                                                 "y": Decimal(2 * bay)}), code))
    owner = create(md.OWNER, {"code": "P0", "name": "P0 owner"})
    made: list[Sku] = []
    for n in range(skus + 1):
        code = "HOT" if n == skus else f"SKU{n:05d}"
        sku_id = create(md.SKU, {"owner_id": owner, "code": code, "name": f"Item {code}", "weight": "0.1"})
        home_id, home_code = shelves[n % len(shelves)]
        putaway.set_home(db, SYSTEM, sku_id, home_id)
        made.append(Sku(sku_id, code, home_id, home_code))
    putaway.create_rule(db, SYSTEM, wh, {"name": "Home", "priority": 1, "policy": "fixed_home",
                                         "target_zone_id": sto})
    putaway.create_rule(db, SYSTEM, wh, {"name": "Empty", "priority": 2, "policy": "nearest_empty",
                                         "target_zone_id": sto})
    hot = made.pop()
    post_opening_stock(db, [StockLine(owner, s.id, s.home_id, OPENING) for s in made]
                       + [StockLine(owner, hot.id, hot.home_id, Decimal(10))], principal=SYSTEM, doc_ref="P0-OPEN")
    codes = dict(shelves) | {dock: "DOCK-1", staging: "STAGE-1"}
    return Site(wh, owner, dock, staging, made, codes, hot)


# ---------------------------------------------------------------- one client's calls


class CycleFailed(Exception):
    pass


@dataclass
class Stats:
    """What the clients saw: (kind, end, seconds, status) per request, (start, end) per cycle, errors."""

    requests: list[tuple[str, float, float, int]] = field(default_factory=list)
    cycles: list[tuple[float, float]] = field(default_factory=list)
    errors: list[tuple[float, str]] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # kind -> process CPU seconds


class Api:
    def __init__(self, http: httpx.AsyncClient, stats: Stats, on_call: Callable[[str], None] | None = None) -> None:
        self.http = http
        self.stats = stats
        self.on_call = on_call

    async def call(self, kind: str, method: str, path: str, body: Any = None) -> Any:
        if self.on_call is not None:
            self.on_call(kind)
        start, cpu = time.perf_counter(), time.process_time()
        try:
            response = await self.http.request(method, path, json=body)
        except httpx.HTTPError as error:
            end = time.perf_counter()
            self.stats.requests.append((kind, end, end - start, 0))
            raise CycleFailed(f"{kind} {method} {path}: {type(error).__name__} {error}") from None
        end = time.perf_counter()
        self.stats.cpu[kind] += time.process_time() - cpu
        self.stats.requests.append((kind, end, end - start, response.status_code))
        if not 200 <= response.status_code < 300:
            raise CycleFailed(f"{kind} {method} {path}: {response.status_code} {response.text[:400]}")
        return response.json() if response.content else None


async def cycle(api: Api, site: Site, sku: Sku, tag: str, receive: str) -> None:
    """Receive one unit, then order, wave, release, pick, pack and ship one unit of the same SKU."""
    if receive == "receipt":
        receipt = await api.call("receipt.create", "POST", f"{API}/receipts", {
            "owner_id": site.owner_id, "warehouse_id": site.warehouse_id, "external_ref": f"PO-{tag}",
            "type": "purchase", "lines": [{"sku_id": sku.id, "quantity": "1"}]})
        got = await api.call("receipt.receive", "POST", f"{API}/receipts/{receipt['id']}/receive", {
            "location_id": site.dock_id, "line_id": receipt["lines"][0]["id"], "quantity": "1"})
        for task in got["putaway_tasks"]:
            target = site.location_codes.get(task["to_location_id"], sku.home_code)
            await api.call("putaway.confirm", "POST", f"{API}/tasks/{task['id']}/confirm",
                           {"location_code": target})
        await api.call("receipt.close", "POST", f"{API}/receipts/{receipt['id']}/close")
    else:
        await api.call("stock.opening", "POST", f"{API}/stock/opening", {"doc_ref": f"IN-{tag}", "lines": [{
            "owner_id": site.owner_id, "sku_id": sku.id, "location_id": sku.home_id, "quantity": "1"}]})
    order = await api.call("order.create", "POST", f"{API}/orders", {
        "owner_id": site.owner_id, "warehouse_id": site.warehouse_id, "external_ref": f"SO-{tag}",
        "type": "sales_b2c", "lines": [{"sku_code": sku.code, "quantity": "1"}]})
    wave = await api.call("wave.create", "POST", f"{API}/waves",
                          {"warehouse_id": site.warehouse_id, "order_ids": [order["id"]]})
    released = await api.call("wave.release", "POST", f"{API}/waves/{wave['id']}/release")
    if order["id"] in released["stats"]["left_out"] or not released["trips"]:
        raise CycleFailed(f"order {order['id']} was left out of its wave: {released['stats']}")
    for trip_ref in released["trips"]:
        trip = await api.call("trip.get", "GET", f"{API}/trips/{trip_ref['id']}")
        for task in trip["tasks"]:
            if task["status"] == "open":
                await api.call("pick.confirm", "POST", f"{API}/pick-tasks/{task['id']}/confirm", {
                    "location": task["location_code"], "scan": task["sku_code"], "quantity": task["quantity"]})
    package = await api.call("package.open", "POST", f"{API}/orders/{order['id']}/packages", {})
    await api.call("package.pack", "POST", f"{API}/packages/{package['id']}/items",
                   {"scan": sku.code, "quantity": "1"})
    await api.call("package.close", "POST", f"{API}/packages/{package['id']}/close", {})
    shipped = await api.call("order.ship", "POST", f"{API}/orders/{order['id']}/ship")
    if shipped["status"] != "shipped":
        raise CycleFailed(f"order {order['id']} is {shipped['status']} after shipping")


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"STOCKYARD_DATABASE_URL": url, "STOCKYARD_LOG_LEVEL": "warning"})
    return env


def run_cli(args: Sequence[str], url: str, stdin: str | None = None) -> str:
    done = subprocess.run([str(BIN / "stockyard"), *args], env=server_env(url), input=stdin, capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"stockyard {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return done.stdout + done.stderr


class Server:
    """``stockyard serve --workers N`` as a subprocess of its own session, stopped by its pid."""

    def __init__(self, url: str, workers: int) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.log = open(os.devnull, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(BIN / "stockyard"), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers",
             str(workers)], env=server_env(url), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                out = self.process.stdout.read().decode() if self.process.stdout else ""
                raise RuntimeError(f"the server exited with {self.process.returncode}: {out}")
            with suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    # every worker should be up: a few more calls land on the others
                    time.sleep(1.0)
                    return
            time.sleep(0.2)
        raise RuntimeError("the server did not answer /healthz in time")

    def pids(self) -> list[int]:
        """The server's process and its descendants (uvicorn's supervisor and workers)."""
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            with suppress(OSError):
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
        return found

    def cpu(self) -> dict[int, float]:
        """CPU seconds (user + system) of each server process so far."""
        tick = os.sysconf("SC_CLK_TCK")
        found = {}
        for pid in self.pids():
            with suppress(OSError, ValueError, IndexError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                found[pid] = (int(fields[11]) + int(fields[12])) / tick
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)  # the group of the session started above
                self.process.wait(timeout=10)
        if self.process.stdout:
            self.process.stdout.close()
        self.log.close()


# ---------------------------------------------------------------- measuring


@dataclass
class Cpu:
    """CPU seconds used inside the measured window."""

    server: float
    postgres: float
    client: float
    machine: float | None  # all cores, everything
    processes: list[float] = field(default_factory=list)  # each server process, busiest first


class CpuMeter:
    def __init__(self, server: Server, probe: ServerProbe) -> None:
        self.server, self.probe = server, probe

    def start(self) -> None:
        self._s, self._p, self._c, self._m = (self.server.cpu(), self.probe.snapshot(), time.process_time(),
                                              _machine_busy())

    def stop(self) -> Cpu:
        s, p, c, m = self.server.cpu(), self.probe.snapshot(), time.process_time(), _machine_busy()
        each = sorted((cpu - self._s.get(pid, 0.0) for pid, cpu in s.items()), reverse=True)
        return Cpu(sum(each), ServerProbe.used(self._p, p), c - self._c,
                   None if m is None or self._m is None else m - self._m, each)


class WaitSampler:
    """Samples ``pg_stat_activity`` of the scratch database from a thread: what the backends serving the app do
    (running, waiting on a lock and for which statement, idle in a transaction the app holds open)."""

    def __init__(self, url: str, every: float = 0.02) -> None:
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.every = every
        self.counts: Counter[str] = Counter()
        self.samples = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.counts.clear()
        self.samples = 0
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, float]:
        """Mean number of backends in each state over the samples."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return {k: v / max(1, self.samples) for k, v in self.counts.most_common()}

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            rows = self.conn.execute(
                "SELECT state, wait_event_type, wait_event, left(query, 80) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'").fetchall()
            self.samples += 1
            for state, kind, name, query in rows:
                if state == "idle":
                    continue
                if state != "active":
                    key = state  # "idle in transaction": the app holds the transaction, busy in Python
                elif kind is None:
                    key = "running"
                else:
                    key = f"{kind}:{name}" + (" (audit_head)" if "audit_head" in (query or "") else "")
                self.counts[key] += 1

    def close(self) -> None:
        self.conn.close()


@dataclass
class Phase:
    name: str
    seconds: float
    stats: Stats
    cpu: Cpu
    window: tuple[float, float]
    waits: dict[str, float] = field(default_factory=dict)

    def in_window(self) -> list[tuple[str, float, float, int]]:
        lo, hi = self.window
        return [r for r in self.stats.requests if lo <= r[1] <= hi]

    def cycles(self) -> list[float]:
        lo, hi = self.window
        return [end - start for start, end in self.stats.cycles if lo <= end <= hi]

    def errors(self) -> list[str]:
        lo, hi = self.window
        return [e for at, e in self.stats.errors if lo <= at <= hi]


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]  # nearest rank


async def sign_in(base: str, clients: int) -> list[str]:
    """One session per client, as each handheld signs in; a fresh HTTP client each time, so no session cookie
    is sent along (a sign-in that presents one rotates it: the earlier session would end)."""
    tokens = []
    for _ in range(clients):
        async with httpx.AsyncClient(base_url=base, timeout=60) as http:
            r = await http.post(f"{API}/auth/login", json={"username": USER, "password": PASSWORD})
            r.raise_for_status()
            tokens.append(r.json()["token"])
    return tokens


_TLS = ssl.create_default_context()  # made once: httpx would build one per client (milliseconds), unused on http


def _http(base: str, token: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=base, headers=headers, timeout=60, verify=_TLS,
                             limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))


async def run_phase(name: str, base: str, tokens: Sequence[str | None], warmup: float, seconds: float,
                    meter: CpuMeter, body: Callable[[Api, int, int], Awaitable[None]],
                    sampler: WaitSampler | None = None, reconnect_every: int = 0) -> Phase:
    """Every client runs ``body(api, client, n)`` back to back; the window opens after the warm-up. With
    ``reconnect_every`` k, a client opens a new connection before every k-th body (else it keeps one)."""
    stats = Stats()
    clients = [_http(base, token) for token in tokens]
    start = time.perf_counter()
    lo, hi = start + warmup, start + warmup + seconds
    stop_at = hi

    async def client(index: int) -> None:
        api, n = Api(clients[index], stats), 0
        while time.perf_counter() < stop_at:
            if reconnect_every and n and n % reconnect_every == 0:
                await clients[index].aclose()
                clients[index] = _http(base, tokens[index])
                api = Api(clients[index], stats)
            began = time.perf_counter()
            try:
                await body(api, index, n)
                stats.cycles.append((began, time.perf_counter()))
            except CycleFailed as error:
                stats.errors.append((time.perf_counter(), str(error)))
            n += 1

    waits: dict[str, float] = {}

    async def window() -> Cpu:
        await asyncio.sleep(max(0.0, lo - time.perf_counter()))
        meter.start()
        if sampler is not None:
            sampler.start()
        await asyncio.sleep(max(0.0, hi - time.perf_counter()))
        if sampler is not None:
            waits.update(sampler.stop())
        return meter.stop()

    try:
        cpu = (await asyncio.gather(window(), *(client(i) for i in range(len(tokens)))))[0]
        assert isinstance(cpu, Cpu)
    finally:
        for c in clients:
            await c.aclose()
    return Phase(name, seconds, stats, cpu, (lo, hi), waits)


@dataclass
class WorkerRun:
    workers: int
    healthz: Phase
    me: Phase
    cycles: Phase
    kinds: list[str]


async def run_workers(url: str, site: Site, workers: int, args: argparse.Namespace, probe: ServerProbe,
                      oversell: bool) -> tuple[WorkerRun, Oversell | None]:
    server = Server(url, workers)
    try:
        server.wait_ready()
        say(f"server up with {workers} worker(s) on port {server.port}")
        meter = CpuMeter(server, probe)
        tokens: list[str | None] = list(await sign_in(server.base, args.clients))
        rng = random.Random(args.seed + workers)

        async def healthz(api: Api, index: int, n: int) -> None:
            await api.call("healthz", "GET", "/healthz")

        async def me(api: Api, index: int, n: int) -> None:
            await api.call("auth.me", "GET", f"{API}/auth/me")

        async def one_cycle(api: Api, index: int, n: int) -> None:
            await cycle(api, site, rng.choice(site.skus), f"W{workers}-C{index}-{n}", args.receive)

        ref_warm = min(args.warmup, 3.0)
        per = len((RECEIPT_KINDS if args.receive == "receipt" else OPENING_KINDS) + OUT_KINDS)
        ref_every = per if args.reconnect else 0  # the references reconnect as often as a cycle does
        health = await run_phase("healthz", server.base, [None] * args.clients, ref_warm, args.ref_seconds, meter,
                                 healthz, reconnect_every=ref_every)
        say(f"reference GET /healthz: {len(health.in_window()) / health.seconds:,.0f} req/s")
        signed = await run_phase("auth.me", server.base, tokens, ref_warm, args.ref_seconds, meter, me,
                                 reconnect_every=ref_every)
        say(f"reference GET /auth/me: {len(signed.in_window()) / signed.seconds:,.0f} req/s")
        sampler = WaitSampler(url)
        try:
            cycles = await run_phase("cycles", server.base, tokens, args.warmup, args.seconds, meter, one_cycle,
                                     sampler, reconnect_every=1 if args.reconnect else 0)
        finally:
            sampler.close()
        say(f"cycles: {len(cycles.cycles()) / cycles.seconds:,.1f} cycles/s, "
            f"{len(cycles.errors())} errors in the window")
        found = await run_oversell(server.base, tokens[0] or "", site, url) if oversell else None
        kinds = (RECEIPT_KINDS if args.receive == "receipt" else OPENING_KINDS) + OUT_KINDS
        return WorkerRun(workers, health, signed, cycles, kinds), found
    finally:
        server.stop()


# ---------------------------------------------------------------- oversell


@dataclass
class Oversell:
    served: int
    left_out: int
    errors: list[str]
    on_hand: Decimal
    allocated: Decimal
    max_allocated_seen: Decimal
    allocation_rows: Decimal
    verify_ok: bool
    verify_movements: int
    oversold: int


async def run_oversell(base: str, token: str, site: Site, url: str, orders: int = 16) -> Oversell:
    db = Database.from_url(url, pool_size=2)
    b = t.balance
    hot = select(func.coalesce(func.sum(b.c.on_hand), 0), func.coalesce(func.sum(b.c.allocated), 0),
                 func.coalesce(func.max(b.c.allocated - b.c.on_hand), 0)).where(
        b.c.sku_id == site.hot.id, ~b.c.is_virtual)
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120,
                                 limits=httpx.Limits(max_connections=orders)) as http:
        waves = []
        for n in range(orders):
            r = await http.post(f"{API}/orders", json={
                "owner_id": site.owner_id, "warehouse_id": site.warehouse_id, "external_ref": f"RACE-{n}",
                "type": "sales_b2c", "lines": [{"sku_code": site.hot.code, "quantity": "1"}]})
            r.raise_for_status()
            order_id = r.json()["id"]
            w = await http.post(f"{API}/waves", json={"warehouse_id": site.warehouse_id, "order_ids": [order_id]})
            w.raise_for_status()
            waves.append((order_id, w.json()["id"]))
        worst = Decimal(0)
        done = False

        async def watch() -> None:  # sample the balance while the releases race
            nonlocal worst
            while not done:
                row = await asyncio.to_thread(lambda: db.read(lambda conn: conn.execute(hot).one()))
                worst = max(worst, Decimal(row[1]))
                await asyncio.sleep(0.005)

        watcher = asyncio.create_task(watch())
        answers = await asyncio.gather(*(http.post(f"{API}/waves/{wave_id}/release") for _, wave_id in waves))
        done = True
        await watcher
        served = left = 0
        errors = []
        for (order_id, _), answer in zip(waves, answers, strict=True):
            if answer.status_code != 200:
                errors.append(f"{answer.status_code} {answer.text[:300]}")
                continue
            stats = answer.json()["stats"]
            if order_id in stats["left_out"]:
                left += 1
            elif stats["orders"] == 1:
                served += 1
        verified = (await http.post(f"{API}/admin/verify")).json()
    on_hand, allocated, _ = db.read(lambda conn: conn.execute(hot).one())
    sa = t.shipment_allocation
    rows = db.read(lambda conn: conn.execute(
        select(func.coalesce(func.sum(sa.c.quantity), 0)).where(sa.c.sku_id == site.hot.id)).scalar_one())
    db.dispose()
    worst = max(worst, Decimal(allocated))
    oversold = max(0, int(Decimal(allocated) - Decimal(on_hand)), served - 10, int(Decimal(rows)) - 10)
    return Oversell(served, left, errors, Decimal(on_hand), Decimal(allocated), worst, Decimal(rows),
                    bool(verified.get("ok")), int(verified.get("movements", 0)), oversold)


# ---------------------------------------------------------------- the profile, in-process


@dataclass
class KindCost:
    calls: int = 0
    seconds: float = 0.0
    cpu: float = 0.0  # CPU of this process (app + the in-process client)
    statements: int = 0
    transactions: int = 0
    db_seconds: float = 0.0
    hops: int = 0


@dataclass
class Profile:
    cycles: int
    plain_seconds: float
    plain_cpu: float
    kinds: dict[str, KindCost]
    profiled_seconds: float
    stats_text: str
    highlights: list[tuple[str, int, float]]  # label, calls, cumulative seconds (profiled run)


# Synchronous functions only: cProfile's cumulative time of a coroutine covers one resumption, not the request.
HIGHLIGHTS: list[tuple[str, Callable[[str, str], bool]]] = [
    ("sign-in check per request: auth.resolve_token", lambda f, n: f.endswith("services/auth.py")
     and n == "resolve_token"),
    ("audit.record (hash chain append, head row lock)", lambda f, n: f.endswith("services/audit.py")
     and n == "record"),
    ("putaway.load_warehouse (suggestion candidates)", lambda f, n: f.endswith("services/putaway.py")
     and n == "load_warehouse"),
    ("ledger posting: ledger.post_in", lambda f, n: f.endswith("services/ledger.py") and n == "post_in"),
    ("orders.allocate_in", lambda f, n: f.endswith("services/orders.py") and n == "allocate_in"),
    ("waves: TripRouter.for_warehouse (reads every located shelf)", lambda f, n: f.endswith("services/waves.py")
     and n == "for_warehouse"),
    ("waves: routing best_route", lambda f, n: n == "best_route"),
    ("waves: replenishment.run_in after release", lambda f, n: f.endswith("services/replenishment.py")
     and n == "run_in"),
    ("SQLAlchemy: Connection.execute (all statements, driver and DB wait included)", lambda f, n: f.endswith(
        "sqlalchemy/engine/base.py") and n == "execute"),
    ("SQLAlchemy: building statements (coercions.expect)", lambda f, n: f.endswith("sqlalchemy/sql/coercions.py")
     and n == "expect"),
    ("SQLAlchemy: compile with cache (key generation, misses)", lambda f, n: f.endswith(
        "sqlalchemy/sql/elements.py") and n == "_compile_w_cache"),
    ("psycopg: cursor.execute (driver + DB wait)", lambda f, n: "psycopg/cursor.py" in f and n == "execute"),
    ("psycopg: SQL conversion cache misses (_query2pg_nocache)", lambda f, n: "psycopg/_queries.py" in f
     and n == "_query2pg_nocache"),
    ("psycopg: connection commit", lambda f, n: "psycopg/connection.py" in f and n == "commit"),
    ("pydantic: validate_python (request bodies, responses)", lambda f, n: "validate_python" in n),
    ("FastAPI: route matching (_match)", lambda f, n: f.endswith("fastapi/routing.py") and n == "_match"),
    ("FastAPI: jsonable_encoder", lambda f, n: f.endswith("fastapi/encoders.py") and n == "jsonable_encoder"),
    ("api.schemas.plain_json", lambda f, n: f.endswith("api/schemas.py") and n == "plain_json"),
    ("JSONResponse.render (json.dumps)", lambda f, n: f.endswith("starlette/responses.py") and n == "render"),
]


def run_profile(url: str, site: Site, cycles: int, receive: str, seed: int) -> Profile:
    import anyio.to_thread

    from stockyard.api.app import create_app
    from stockyard.services.auth import open_session

    db = Database.from_url(url)
    label = ["-"]
    kinds: dict[str, KindCost] = defaultdict(KindCost)
    started: dict[int, float] = {}

    @event.listens_for(db.engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        kinds[label[0]].statements += 1
        started[id(cursor)] = time.perf_counter()

    @event.listens_for(db.engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        kinds[label[0]].db_seconds += time.perf_counter() - started.pop(id(cursor), time.perf_counter())

    @event.listens_for(db.engine, "begin")
    def _begin(conn: Any) -> None:
        kinds[label[0]].transactions += 1

    original = anyio.to_thread.run_sync

    async def inline(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
        kinds[label[0]].hops += 1
        return func(*args)

    app = create_app(db)
    user_id = db.read(lambda conn: conn.execute(select(t.app_user.c.id).where(t.app_user.c.username == USER))
                      .scalar_one())
    token, _ = db.write(lambda conn: open_session(conn, user_id))
    rng = random.Random(seed)

    async def run(count: int, prefix: str) -> tuple[float, float]:
        stats = Stats()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://p0",
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            api = Api(http, stats, on_call=lambda kind: label.__setitem__(0, kind))
            start, cpu = time.perf_counter(), time.process_time()
            for n in range(count):
                await cycle(api, site, rng.choice(site.skus), f"{prefix}-{n}", receive)
            elapsed, used = time.perf_counter() - start, time.process_time() - cpu
        label[0] = "-"
        for kind, _end, seconds, _status in stats.requests:
            kinds[kind].calls += 1
            kinds[kind].seconds += seconds
        for kind, spent in stats.cpu.items():
            kinds[kind].cpu += spent
        return elapsed, used

    anyio.to_thread.run_sync = inline  # type: ignore[assignment]
    try:
        asyncio.run(run(max(10, cycles // 10), "PW"))  # warm caches (statement cache, routes)
        kinds.clear()
        plain, plain_cpu = asyncio.run(run(cycles, "PP"))
        measured = dict(kinds)
        kinds.clear()  # the profiled run counts into new objects
        # A CPU-time clock: the machine is shared, so wall time would count other processes' turns and the
        # database's work; this counts what this process (app and client) spends.
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        _, profiled = asyncio.run(run(cycles, "PC"))
        profiler.disable()
    finally:
        anyio.to_thread.run_sync = original
        db.dispose()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(45)
    highlights = []
    raw = stats.stats  # type: ignore[attr-defined]
    for name, match in HIGHLIGHTS:
        calls, cum = 0, 0.0
        for (filename, _line, function), (_cc, nc, _tt, ct, _callers) in raw.items():
            if match(filename, function):
                calls += nc
                cum += ct
        highlights.append((name, calls, cum))
    return Profile(cycles, plain, plain_cpu, measured, profiled, out.getvalue(), highlights)


# ---------------------------------------------------------------- report


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


@dataclass(frozen=True)
class Figures:
    workers: int
    rate: float  # cycles/s
    p50: float
    p99: float
    requests: int
    req_rate: float
    non_2xx: int
    failed: int
    healthz: float  # req/s
    healthz_p99: float
    me: float  # req/s
    cpu_server: float  # seconds per cycle
    cpu_pg: float
    cpu_client: float
    busy: float  # cores busy, whole machine
    other: float  # cores busy with anything but server, PG backends and the client


def figures(run: WorkerRun) -> Figures:
    c = run.cycles
    done, reqs = c.cycles(), c.in_window()
    h = [r[2] for r in run.healthz.in_window()]
    n = max(1, len(done))
    busy = (c.cpu.machine or float("nan")) / c.seconds
    ours = (c.cpu.server + c.cpu.postgres + c.cpu.client) / c.seconds
    return Figures(run.workers, len(done) / c.seconds, pct(done, .5), pct(done, .99), len(reqs), len(reqs) / c.seconds,
                   sum(1 for r in reqs if not 200 <= r[3] < 300), len(c.errors()), len(h) / run.healthz.seconds,
                   pct(h, .99), len(run.me.in_window()) / run.me.seconds, c.cpu.server / n, c.cpu.postgres / n,
                   c.cpu.client / n, busy, busy - ours)


def kind_table(run: WorkerRun) -> list[tuple[str, int, float, float, float]]:
    by: dict[str, list[float]] = defaultdict(list)
    for kind, _end, seconds, _status in run.cycles.in_window():
        by[kind].append(seconds)
    return [(k, len(by[k]), pct(by[k], .5), pct(by[k], .99), statistics.fmean(by[k]) if by[k] else float("nan"))
            for k in run.kinds if k in by]


def profile_rows(profile: Profile) -> list[tuple[str, KindCost]]:
    order = RECEIPT_KINDS + OPENING_KINDS + OUT_KINDS
    return [(k, profile.kinds[k]) for k in order if k in profile.kinds and profile.kinds[k].calls]


def markdown(runs: Sequence[WorkerRun], race: Oversell | None, profile: Profile | None, args: argparse.Namespace,
             env: dict[str, str], pg: str | None, load: str) -> str:
    out = [f"### P0 run, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", ""]
    out.append(f"Machine: {env['cores']} cores ({env['cpu']}), {env['memory']}, {env['os']}; Python {env['python']}, "
               f"SQLAlchemy {env['sqlalchemy']}, psycopg {env['psycopg']}, {pg}. Code: {env['code']}; "
               f"src/stockyard last changed in {_src_revision()}. "
               f"Load average at the start: {load}.")
    out.append(f"Command: `.venv/bin/python bench/p0_cycle.py --workers {','.join(map(str, args.workers))} "
               f"--clients {args.clients} --seconds {args.seconds:g} --warmup {args.warmup:g} --receive "
               f"{args.receive} --skus {args.skus} --aisles {args.aisles} --bays {args.bays}"
               f"{' --reconnect' if args.reconnect else ''}`. Server: `stockyard "
               f"serve --workers N` (uvicorn, default settings: pool 10 + 10 per worker). Clients: {args.clients} "
               f"asyncio tasks, each with its own session and "
               f"{'a new connection per cycle' if args.reconnect else 'one keep-alive connection'}, in one process "
               f"on the same 2 cores as the server and PostgreSQL.")
    out.append("")
    out.append("| workers | cycles/s | cycle p50 / p99 ms | requests (req/s) | non-2xx | failed cycles | GET /healthz "
               "req/s (p99 ms) | GET /auth/me req/s | cycle req/s vs /healthz | CPU ms per cycle: server / PG / "
               "client | cores busy (other) |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for run in runs:
        f = figures(run)
        out.append(f"| {f.workers} | **{f.rate:,.2f}** | {_ms(f.p50)} / {_ms(f.p99)} | {f.requests:,} "
                   f"({f.req_rate:,.0f}) | {f.non_2xx} | {f.failed} | {f.healthz:,.0f} ({_ms(f.healthz_p99)}) | "
                   f"{f.me:,.0f} | {f.req_rate / f.healthz:.0%} | {_ms(f.cpu_server)} / {_ms(f.cpu_pg)} / "
                   f"{_ms(f.cpu_client)} | {f.busy:.2f} ({f.other:.2f}) |")
    out.append("")
    out.append("Cores busy: the whole machine during the window (/proc/stat); other: what the server, this "
               "database's backends and the client did not account for (kernel, other users of the machine).")
    out.append("")
    for run in runs:
        refs = []
        for phase in (run.healthz, run.me):
            n = max(1, len(phase.in_window()))
            refs.append(f"GET /{'healthz' if phase is run.healthz else 'api/v1/auth/me'} {_ms(phase.cpu.server / n)} / "
                        f"{_ms(phase.cpu.postgres / n)} / {_ms(phase.cpu.client / n)}")
        out.append(f"- Reference CPU ms per request, {run.workers} workers (server / PG / client): {'; '.join(refs)}.")
    out.append("")
    for run in runs:
        out.append(f"Per request type, {run.workers} workers (ms, requests ending in the window):")
        out.append("")
        out.append("| request | count | p50 | p99 | mean |")
        out.append("|---|---|---|---|---|")
        for kind, count, p50, p99, mean in kind_table(run):
            out.append(f"| {kind} | {count:,} | {_ms(p50)} | {_ms(p99)} | {_ms(mean)} |")
        out.append("")
        busy = ", ".join(f"{cpu / run.cycles.seconds:.2f}" for cpu in run.cycles.cpu.processes)
        out.append(f"Server processes (uvicorn supervisor and workers), cores busy each during the cycles: {busy}.")
        out.append("")
        if run.cycles.waits:
            waits = ", ".join(f"{k} {v:.2f}" for k, v in run.cycles.waits.items())
            out.append(f"PostgreSQL backends of the app, mean number in each state (sampled every 20 ms): {waits}.")
            out.append("")
        for e in run.cycles.errors()[:3]:
            out.append(f"- error: `{e[:300]}`")
        if run.cycles.errors():
            out.append("")
    if race:
        out.append(f"Oversell phase ({runs[-1].workers} workers): 10 units, 16 one-unit orders, 16 waves released at "
                   f"once: {race.served} served, {race.left_out} left out, {len(race.errors)} errors; on hand "
                   f"{race.on_hand}, allocated {race.allocated} (highest seen while racing {race.max_allocated_seen}),"
                   f" allocation rows {race.allocation_rows}; `POST /admin/verify` "
                   f"**{'clean' if race.verify_ok else 'VIOLATIONS'}** over {race.verify_movements:,} movements "
                   f"(the whole run). **oversell: {race.oversold}**.")
        for e in race.errors[:3]:
            out.append(f"- release error: `{e[:300]}`")
        out.append("")
    if profile:
        c = profile.cycles
        out.append(f"In-process profile ({c} cycles, one client, `httpx.ASGITransport`, no uvicorn, FastAPI's "
                   f"thread-pool hop replaced by a direct call): {_ms(profile.plain_seconds / c)} ms wall and "
                   f"{_ms(profile.plain_cpu / c)} ms CPU of this process (app + client) per cycle unprofiled "
                   f"({c / profile.plain_seconds:.1f} cycles/s); {_ms(profile.profiled_seconds / c)} ms CPU per "
                   f"cycle under cProfile (CPU clock).")
        out.append("")
        out.append("| request | wall ms | CPU ms | SQL statements | transactions | DB wall ms (in cursor.execute) | "
                   "thread-pool hops |")
        out.append("|---|---|---|---|---|---|---|")
        total = KindCost()
        for kind, cost in profile_rows(profile):
            n = max(1, cost.calls)
            out.append(f"| {kind} | {_ms(cost.seconds / n)} | {_ms(cost.cpu / n)} | {cost.statements / n:.1f} | "
                       f"{cost.transactions / n:.1f} | {_ms(cost.db_seconds / n)} | {cost.hops / n:.1f} |")
            for name in ("seconds", "cpu", "statements", "transactions", "db_seconds", "hops"):
                setattr(total, name, getattr(total, name) + getattr(cost, name))
        out.append(f"| **per cycle** | {_ms(total.seconds / c)} | {_ms(total.cpu / c)} | {total.statements / c:.1f} | "
                   f"{total.transactions / c:.1f} | {_ms(total.db_seconds / c)} | {total.hops / c:.1f} |")
        out.append("")
        out.append("| where (profiled run, CPU clock; cumulative, overlapping) | calls per cycle | CPU ms per cycle | "
                   "share |")
        out.append("|---|---|---|---|")
        for name, calls, cum in profile.highlights:
            out.append(f"| {name} | {calls / c:.1f} | {_ms(cum / c)} | {cum / profile.profiled_seconds:.0%} |")
        out.append("")
    return "\n".join(out) + "\n"


def print_report(runs: Sequence[WorkerRun], race: Oversell | None, profile: Profile | None,
                 args: argparse.Namespace, pg: str | None, load: str) -> str:
    text = markdown(runs, race, profile, args, environment(), pg, load)
    print()
    print(text)
    for run in runs:
        f = figures(run)
        print(f"workers={f.workers}: {f.rate:,.2f} cycles/s (target {P0_RATE:,.0f}), p99 {_ms(f.p99)} ms (target < "
              f"{P0_P99_MS:.0f}), {f.non_2xx} non-2xx; reference GET /healthz {f.healthz:,.0f} req/s in the same run")
        for e in run.cycles.errors()[:5]:
            print(f"  error: {e}")
    if race:
        print(f"oversell: {race.oversold}")
    if profile and args.print_profile:
        print(profile.stats_text)
    return text


# ---------------------------------------------------------------- main


def _src_revision() -> str:
    """The last commit that touched the package's source, and a digest of its uncommitted changes, if any."""
    import stockyard

    source = str(Path(stockyard.__file__).resolve().parent)
    try:
        head = subprocess.run(["git", "-C", source, "log", "-1", "--format=%h", "--", "."], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        diff = subprocess.run(["git", "-C", source, "diff", "HEAD", "--", "."], capture_output=True, timeout=30,
                              check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + (f" + uncommitted {hashlib.sha256(diff).hexdigest()[:8]}" if diff else "")


def _workers(value: str) -> list[int]:
    found = [int(v) for v in value.split(",") if v.strip()]
    if not found or min(found) < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of worker counts")
    return found


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--workers", type=_workers, default=[2, 4], help="uvicorn worker counts to run (default 2,4)")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seconds", type=float, default=30.0, help="measured seconds of cycles (default 30)")
    p.add_argument("--warmup", type=float, default=5.0, help="warm-up seconds before the window (default 5)")
    p.add_argument("--ref-seconds", type=float, default=None, help="measured seconds of each reference (default: "
                   "--seconds)")
    p.add_argument("--receive", choices=["receipt", "opening"], default="receipt")
    p.add_argument("--reconnect", action="store_true", help="each client opens a new connection for every cycle "
                   "(the references: every as many requests), so the clients spread over the workers as behind a "
                   "proxy; by default each keeps one keep-alive connection, pinned to the worker that accepted it")
    p.add_argument("--skus", type=int, default=200)
    p.add_argument("--aisles", type=int, default=10)
    p.add_argument("--bays", type=int, default=20)
    p.add_argument("--profile-cycles", type=int, default=150, help="cycles of the in-process profile (0: none)")
    p.add_argument("--print-profile", action="store_true", help="print the cProfile tables too")
    p.add_argument("--no-oversell", action="store_true")
    p.add_argument("--profile-only", action="store_true", help="skip the HTTP runs (no server): only the profile")
    p.add_argument("--pg-url", default=os.environ.get("STOCKYARD_BENCH_PG_URL", DEFAULT_PG_URL))
    p.add_argument("--markdown", metavar="PATH", help="also append the results to this markdown file")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    args.ref_seconds = args.ref_seconds or args.seconds
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"
    code = _src_revision()  # the server processes import the code on disk when they start: it must not change
    runs: list[WorkerRun] = []
    race: Oversell | None = None
    profile: Profile | None = None
    with scratch_postgresql(args.pg_url) as url:
        say(f"scratch database {url.rsplit('/', 1)[1]}; migrating with `stockyard db upgrade`")
        run_cli(["db", "upgrade"], url)
        run_cli(["user", "create", USER, "--password-stdin"], url, stdin=PASSWORD + "\n")
        pg = _pg_version(url)
        db = Database.from_url(url)
        try:
            site = build(db, args.aisles, args.bays, args.skus)
        finally:
            db.dispose()
        say(f"warehouse: {args.aisles * args.bays} shelves, {args.skus} SKUs with 1,000 units at home")
        probe = ServerProbe(url)
        try:
            for index, workers in enumerate([] if args.profile_only else args.workers):
                last = index == len(args.workers) - 1
                run, found = asyncio.run(run_workers(url, site, workers, args, probe, last and not args.no_oversell))
                runs.append(run)
                race = found or race
        finally:
            probe.close()
        if args.profile_cycles > 0:
            say(f"profile: {args.profile_cycles} cycles in-process, plain then under cProfile")
            profile = run_profile(url, site, args.profile_cycles, args.receive, args.seed)
    if _src_revision() != code:
        load += f". WARNING: the code changed during the run (from {code} to {_src_revision()})"
        say(f"the code changed during the run: was {code}, now {_src_revision()}")
    text = print_report(runs, race, profile, args, pg, load)
    if args.markdown:
        with Path(args.markdown).open("a", encoding="utf-8") as out:
            out.write("\n" + text)
        say(f"results appended to {args.markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
