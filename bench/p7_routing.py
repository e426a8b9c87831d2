"""P7 benchmark: pick-route length of ``routing.best_route`` against the S-shape and largest-gap policies.

Run from the repository root::

    .venv/bin/python bench/p7_routing.py [--trips 300] [--seed 1] [--markdown docs/benchmarks.md]
    stockyard bench p7_routing [same options]

Pure Python, no database. Two blocks of parallel aisles are built from location coordinates with
``Layout.from_spots``: 10 aisles × 30 m (3 m apart) and 24 aisles × 50 m (3.2 m apart), locations every metre on
both sides of each aisle. On each, ``--trips`` seeded trips of 5–40 distinct stops (some locations picked twice,
as several order lines at one location are) start and end at a depot at the front-left corner or in the middle
of the front cross-aisle. For each layout the script prints:

* the saving of ``best_route`` against each baseline (mean and worst, percent of the baseline's length);
* how many routes were longer than a baseline (P7: must be 0) and how many are marked exact;
* how many routes equal the optimum computed independently by Held–Karp (``held_karp``), on every trip of at
  most ``--check-max`` stops (``best_route`` itself uses the Ratliff–Rosenthal sweep, ``optimal``);
* CPU time per trip by trip size of ``best_route`` (route + both baselines) and of ``optimal`` alone (process
  time, so other load on the machine matters less; wall time beside it).

Target (``docs/benchmarks.md``, P7): never longer than the better of S-shape and largest-gap; equal to the optimum
where it can be computed exactly; report the mean saving against S-shape. Not a test: pytest does not collect it.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from stockyard.domain.routing import HELD_KARP_LIMIT, Layout, RoutePlan, Spot, Stop, best_route, held_karp, optimal

SIZE_BUCKETS = ((5, 10), (11, 20), (21, 30), (31, 40))
TOLERANCE = 1e-9  # metres: two lengths closer than this are the same route length


@dataclass(frozen=True)
class Block:
    name: str
    layout: Layout
    locations: tuple[tuple[int, str, float], ...]  # (location id, aisle, y)
    depots: tuple[tuple[str, tuple[float, float]], ...]


def block(name: str, aisles: int, depth: int, spacing: float) -> Block:
    spots: list[Spot] = []
    locations: list[tuple[int, str, float]] = []
    for a in range(aisles):
        code = f"{a + 1:02d}"
        x = a * spacing
        for metre in range(depth):
            y = metre + 0.5
            for side in (-0.6, 0.6):  # rack faces either side of the walking line: the median x is its centre
                spots.append(Spot(code, x + side, y))
                locations.append((len(locations) + 1, code, y))
    layout = Layout.from_spots(spots)
    xs = sorted(layout.aisles.values())
    depots = (("corner", (xs[0] - 2.0, layout.front_y)), ("middle", ((xs[0] + xs[-1]) / 2, layout.front_y)))
    return Block(name, layout, tuple(locations), depots)


def trip(rng: random.Random, where: Block, size: int) -> list[Stop]:
    """``size`` distinct locations; a fifth of them picked twice (two order lines, one stop)."""
    chosen = rng.sample(where.locations, size)
    stops = [Stop(key, aisle, y, 0.0) for key, aisle, y in chosen]
    stops.extend(rng.sample(stops, size // 5))
    rng.shuffle(stops)
    return stops


@dataclass
class Figures:
    trips: int = 0
    saving_s: list[float] = field(default_factory=list)
    saving_gap: list[float] = field(default_factory=list)
    saving_better: list[float] = field(default_factory=list)
    longer: int = 0
    shorter: int = 0  # strictly shorter than both baselines
    exact: int = 0
    methods: dict[str, int] = field(default_factory=dict)
    checked: int = 0  # trips whose optimum Held–Karp computed
    at_optimum: int = 0
    cpu_ms: dict[tuple[int, int], list[float]] = field(default_factory=dict)
    wall_ms: dict[tuple[int, int], list[float]] = field(default_factory=dict)
    optimal_cpu_ms: dict[tuple[int, int], list[float]] = field(default_factory=dict)


def bucket(size: int) -> tuple[int, int]:
    return next(b for b in SIZE_BUCKETS if b[0] <= size <= b[1])


def timed(layout: Layout, depot: tuple[float, float], stops: Sequence[Stop]) -> tuple[RoutePlan, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    plan = best_route(layout, depot, stops)
    return plan, (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


def optimal_cpu_ms(layout: Layout, depot: tuple[float, float], stops: Sequence[Stop]) -> float:
    cpu = time.process_time()
    optimal(layout, depot, stops)
    return (time.process_time() - cpu) * 1000


def measure(where: Block, count: int, seed: int, check_max: int) -> Figures:
    rng = random.Random(seed)
    out = Figures()
    for n in range(count):
        size = rng.randint(5, 40)
        _, depot = where.depots[n % len(where.depots)]
        stops = trip(rng, where, size)
        plan, cpu, wall = timed(where.layout, depot, stops)
        length = plan.route.length
        out.trips += 1
        out.saving_s.append(1 - length / plan.s_shape)
        out.saving_gap.append(1 - length / plan.largest_gap)
        out.saving_better.append(1 - length / min(plan.s_shape, plan.largest_gap))
        out.longer += length > plan.s_shape or length > plan.largest_gap
        out.shorter += length < min(plan.s_shape, plan.largest_gap) - TOLERANCE
        out.exact += plan.exact
        out.methods[plan.route.method] = out.methods.get(plan.route.method, 0) + 1
        out.cpu_ms.setdefault(bucket(size), []).append(cpu)
        out.wall_ms.setdefault(bucket(size), []).append(wall)
        out.optimal_cpu_ms.setdefault(bucket(size), []).append(optimal_cpu_ms(where.layout, depot, stops))
        if size <= check_max:
            best = held_karp(where.layout, depot, stops).length
            out.checked += 1
            out.at_optimum += abs(length - best) <= TOLERANCE
    return out


def pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def report(blocks: Sequence[Block], figures: Sequence[Figures], args: argparse.Namespace) -> list[str]:
    lines = [
        "| layout | trips | mean saving vs S-shape | worst | mean saving vs largest gap | worst | "
        "mean saving vs the better baseline | shorter than both | longer than a baseline | marked exact | "
        f"equal to Held–Karp's optimum (trips ≤ {args.check_max} stops) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for b, f in zip(blocks, figures, strict=True):
        lines.append(
            f"| {b.name} | {f.trips} | {pct(statistics.mean(f.saving_s))} | {pct(min(f.saving_s))} | "
            f"{pct(statistics.mean(f.saving_gap))} | {pct(min(f.saving_gap))} | "
            f"{pct(statistics.mean(f.saving_better))} | {f.shorter} / {f.trips} | **{f.longer}** | "
            f"{f.exact} / {f.trips} | "
            f"{f.at_optimum} / {f.checked} |")
    lines += ["", "Time per trip by distinct stops: `best_route` (exact route + both baselines), mean CPU ms (mean "
              "wall ms); then `optimal` alone, mean CPU ms:", "",
              "| layout | " + " | ".join(f"{lo}–{hi} stops" for lo, hi in SIZE_BUCKETS) + " | all |",
              "|---|" + "---|" * (len(SIZE_BUCKETS) + 1)]
    for b, f in zip(blocks, figures, strict=True):
        cells = []
        for key in SIZE_BUCKETS:
            cpu, wall = f.cpu_ms.get(key, []), f.wall_ms.get(key, [])
            cells.append(f"{statistics.mean(cpu):.2f} ({statistics.mean(wall):.2f})" if cpu else "-")
        every = [v for values in f.cpu_ms.values() for v in values]
        every_wall = [v for values in f.wall_ms.values() for v in values]
        cells.append(f"{statistics.mean(every):.2f} ({statistics.mean(every_wall):.2f})")
        lines.append(f"| {b.name}, `best_route` | " + " | ".join(cells) + " |")
        cells = [f"{statistics.mean(f.optimal_cpu_ms[key]):.2f}" if key in f.optimal_cpu_ms else "-"
                 for key in SIZE_BUCKETS]
        cells.append(f"{statistics.mean(v for values in f.optimal_cpu_ms.values() for v in values):.2f}")
        lines.append(f"| {b.name}, `optimal` alone | " + " | ".join(cells) + " |")
    return lines


def environment() -> str:
    cpu = "unknown"
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    revision = "no git revision"
    with suppress(OSError, subprocess.SubprocessError):
        here = Path(__file__).resolve().parent
        revision = "git " + subprocess.run(["git", "-C", str(here), "rev-parse", "--short", "HEAD"],
                                           capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    load = ""
    with suppress(OSError):
        load = f"; load average at the end {os.getloadavg()[0]:.1f}"
    return (f"{os.cpu_count()} cores ({cpu}), {platform.platform()}; Python {platform.python_version()}; "
            f"{revision}{load}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--trips", type=int, default=300, help="trips per layout (default 300)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--check-max", type=int, default=HELD_KARP_LIMIT, help="check against Held–Karp's "
                        f"optimum the trips of up to this many distinct stops (default and most {HELD_KARP_LIMIT})")
    parser.add_argument("--markdown", metavar="PATH", help="also append the results to this markdown file")
    args = parser.parse_args(argv)
    if not 0 <= args.check_max <= HELD_KARP_LIMIT:
        parser.error(f"--check-max between 0 and {HELD_KARP_LIMIT}")
    blocks = [block("10 aisles × 30 m", 10, 30, 3.0), block("24 aisles × 50 m", 24, 50, 3.2)]
    figures = []
    for n, b in enumerate(blocks):
        print(f"[bench] {b.name}: {args.trips} trips", file=sys.stderr, flush=True)
        figures.append(measure(b, args.trips, args.seed * 1000 + n, args.check_max))
    lines = report(blocks, figures, args)
    print()
    print("\n".join(lines))
    longer = sum(f.longer for f in figures)
    checked = sum(f.checked for f in figures)
    optimum = sum(f.at_optimum for f in figures)
    exact = sum(f.exact for f in figures)
    trips = sum(f.trips for f in figures)
    verdict = [
        f"- never longer than either baseline: {longer} longer route(s) — **{'met' if longer == 0 else 'NOT met'}**",
        f"- equal to the optimum: every route is the Ratliff–Rosenthal optimum ({exact} / {trips} marked exact); "
        f"checked against Held–Karp on the trips of ≤ {args.check_max} stops: {optimum} / {checked} equal — "
        f"**{'met' if optimum == checked and exact == trips else 'NOT met'}**",
        "- mean saving vs S-shape: " + ", ".join(f"{b.name} {pct(statistics.mean(f.saving_s))}"
                                                 for b, f in zip(blocks, figures, strict=True)),
    ]
    print()
    print("\n".join(verdict))
    env = environment()
    print(f"\nmachine: {env}")
    if args.markdown:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        with Path(args.markdown).open("a", encoding="utf-8") as out:
            command = (f".venv/bin/python bench/p7_routing.py --trips {args.trips} --seed {args.seed} "
                       f"--check-max {args.check_max}")
            body = "\n".join([*lines, "", *verdict])
            out.write(f"\n### P7 run, {stamp}\n\nMachine: {env}.\nCommand: `{command}`.\n\n{body}\n")
        print(f"[bench] results appended to {args.markdown}", file=sys.stderr)
    return 0 if longer == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
