"""Pick routes (拣货路径): the order in which a picker visits the stops of one trip, and how far that walk is.

The warehouse is one block of parallel aisles. A picker walks along an aisle's centre line (constant x, y varies)
and changes aisles only along the front cross-aisle (``front_y``) or the back cross-aisle (``back_y``). The depot,
where every trip starts and ends (outbound staging), is a point on the front cross-aisle; so is every stop that is
not in an aisle (floor, staging lane, dock).

* ``optimal``: the shortest route, for any number of stops, by the dynamic programme of Ratliff and Rosenthal
  ("Order-picking in a rectangular warehouse: a solvable case of the traveling salesman problem", Operations
  Research 31(3), 1983). It sweeps the aisles left to right keeping, for each of a few dozen ways the partial
  tour can meet the current aisle, only the cheapest; time grows with the number of aisles (and barely with the
  number of stops), not exponentially with the stops. Measured in pure Python: a few tenths of a millisecond per
  trip in a block of 24 aisles (bench/p7_routing.py). Being exact at every size, it leaves nothing for a
  heuristic search (2-opt, Or-opt) or a solver library (OR-Tools) to improve on this layout.
* ``held_karp``: an independent exact solver (bitmask dynamic programming over the distance matrix) for trips of
  at most ``HELD_KARP_LIMIT`` stops; exponential, kept to check ``optimal`` in tests and benchmarks.
* ``s_shape`` and ``largest_gap``: the two textbook policies, kept as the baselines routes are judged by.
* ``best_route``: the optimal route with both baselines' lengths; never longer than either by construction.

Every ``Route.length`` is measured the same way, whatever produced the order: the sum of ``Layout.distance`` over
depot → stops in order → depot, added up in that order. Two routes are therefore compared on equal terms.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from math import inf
from operator import add
from types import MappingProxyType

# Held–Karp is O(2ⁿ·n²): 12 stops take about 20 ms in pure Python and every further stop doubles time and memory.
HELD_KARP_LIMIT = 12


@dataclass(frozen=True)
class Spot:
    """A location the layout is built from; ``aisle`` None: not in an aisle, on the front cross-aisle."""

    aisle: str | None
    x: float
    y: float


@dataclass(frozen=True)
class Stop:
    """A place to pick at. Several tasks at one location share one stop (same ``key``).

    ``y`` is clamped to the aisle's extent. ``x`` matters only when ``aisle`` is None (the stop then lies on the
    front cross-aisle, whatever its ``y``); an aisle stop is on its aisle's centre line, at the layout's x.
    """

    key: int
    aisle: str | None
    y: float
    x: float = 0.0


@dataclass(frozen=True)
class Layout:
    """A block of parallel aisles between a front and a back cross-aisle.

    Aisles sharing the same x are one walking line (e.g. two rack faces served from one aisle). Cross-aisles run
    the full width of the block and beyond, so a depot or floor stop beside the block is reached along the front.
    """

    aisles: Mapping[str, float] = field(hash=False)
    front_y: float
    back_y: float
    # The distinct centre lines, left to right (derived; the router sweeps them).
    lines: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.back_y >= self.front_y:  # also refuses NaN
            raise ValueError(f"back_y ({self.back_y}) is in front of front_y ({self.front_y})")
        # A private, read-only copy in floats: a caller mutating its dict must not change a layout in use, and
        # coordinates read as Decimal from the database must not mix with float arithmetic later.
        aisles = {str(k): float(v) for k, v in self.aisles.items()}
        object.__setattr__(self, "aisles", MappingProxyType(aisles))
        object.__setattr__(self, "front_y", float(self.front_y))
        object.__setattr__(self, "back_y", float(self.back_y))
        object.__setattr__(self, "lines", tuple(sorted(set(aisles.values()))))

    @classmethod
    def from_spots(cls, spots: Iterable[Spot], *, margin: float = 1.5) -> Layout:
        """Derive a layout from location coordinates.

        An aisle's centre line is the median x of its spots (robust to a mis-keyed location); the cross-aisles lie
        ``margin`` metres in front of the lowest and behind the highest aisle spot. Spots outside aisles do not
        shape the block. Without any aisle spot both cross-aisles are at y = 0: every stop is then on one line.
        """
        xs: dict[str, list[float]] = {}
        ys: list[float] = []
        for spot in spots:
            if spot.aisle is None:
                continue
            xs.setdefault(spot.aisle, []).append(float(spot.x))
            ys.append(float(spot.y))
        if not ys:
            return cls({}, 0.0, 0.0)
        aisles = {code: float(statistics.median(values)) for code, values in xs.items()}
        return cls(aisles, min(ys) - margin, max(ys) + margin)

    def _point(self, stop: Stop) -> tuple[float, float, float]:
        """(x, distance from the front cross-aisle, distance from the back cross-aisle) of a stop."""
        if stop.aisle is None:
            return float(stop.x), 0.0, self.back_y - self.front_y
        try:
            x = self.aisles[stop.aisle]
        except KeyError:
            raise ValueError(f"aisle {stop.aisle!r} of stop {stop.key} is not in the layout") from None
        y = min(max(float(stop.y), self.front_y), self.back_y)
        return x, y - self.front_y, self.back_y - y

    def distance(self, a: Stop, b: Stop) -> float:
        """The shortest walk between two stops (metres).

        On one line (same x): straight along it. Otherwise out of the first aisle to one cross-aisle, along it and
        into the second aisle; via the front or via the back, whichever is shorter. A detour through a third aisle
        is never shorter, and a stop on the front cross-aisle always goes via the front.
        """
        xa, ua, va = self._point(a)
        xb, ub, vb = self._point(b)
        return _leg(xa, ua, va, xb, ub, vb)


def _leg(xa: float, ua: float, va: float, xb: float, ub: float, vb: float) -> float:
    # The one formula for a walk between two points (u: metres from the front, v: from the back); every length in
    # this module goes through it, so a route measured twice gives the same float.
    return abs(ua - ub) if xa == xb else abs(xa - xb) + min(ua + ub, va + vb)


@dataclass(frozen=True)
class Route:
    """A visiting order (stop keys; the depot is implied at both ends) and the length of that walk in metres."""

    stops: tuple[int, ...]
    length: float
    method: str  # exact | s_shape | largest_gap


@dataclass(frozen=True)
class RoutePlan:
    """The route pickers walk, with the baselines computed on the same stops."""

    route: Route
    s_shape: float
    largest_gap: float
    exact: bool  # the route is the proven optimum


class _Trip:
    """One trip prepared once: the distinct stops and their coordinates as plain lists of floats.

    Index 0 is the depot, 1..n the stops in first-seen order. ``lines`` groups the aisle stops by centre line
    (x → stop indices); ``floor`` lists the stops on the front cross-aisle.
    """

    __slots__ = ("depth", "floor", "keys", "layout", "lines", "n", "u", "v", "x")

    def __init__(self, layout: Layout, depot: tuple[float, float], stops: Sequence[Stop]) -> None:
        depth = layout.back_y - layout.front_y
        keys: list[int] = []
        xs: list[float] = [float(depot[0])]
        us: list[float] = [0.0]  # the depot is clamped onto the front cross-aisle
        vs: list[float] = [depth]
        lines: dict[float, list[int]] = {}
        floor: list[int] = []
        seen: set[int] = set()
        for stop in stops:
            if stop.key in seen:  # a second task at the same stop: the first occurrence places it
                continue
            seen.add(stop.key)
            x, u, v = layout._point(stop)
            keys.append(stop.key)
            xs.append(x)
            us.append(u)
            vs.append(v)
            index = len(keys)
            if stop.aisle is None:
                floor.append(index)
            else:
                lines.setdefault(x, []).append(index)
        self.layout = layout
        self.keys = keys
        self.n = len(keys)
        self.x = xs
        self.u = us
        self.v = vs
        self.depth = depth
        self.lines = lines
        self.floor = floor

    def dist(self, i: int, j: int) -> float:
        x, u, v = self.x, self.u, self.v
        return _leg(x[i], u[i], v[i], x[j], u[j], v[j])

    def matrix(self) -> list[list[float]]:
        points = list(zip(self.x, self.u, self.v, strict=True))
        return [[_leg(xa, ua, va, xb, ub, vb) for xb, ub, vb in points] for xa, ua, va in points]

    def tour_length(self, order: Sequence[int]) -> float:
        """depot → order → depot, summed in walking order (the one way every route is measured)."""
        x, u, v = self.x, self.u, self.v
        total = 0.0
        p = 0
        for i in order:
            total += _leg(x[p], u[p], v[p], x[i], u[i], v[i])
            p = i
        return total + _leg(x[p], u[p], v[p], x[0], u[0], v[0])

    def route(self, order: Sequence[int], method: str) -> Route:
        keys = self.keys
        return Route(tuple(keys[i - 1] for i in order), self.tour_length(order), method)

    def aisles_in_x_order(self) -> list[list[int]]:
        """The stops of each centre line, lines left to right, stops front to back (ties by first-seen order)."""
        u = self.u
        return [sorted(self.lines[x], key=lambda i: (u[i], i)) for x in sorted(self.lines)]

    def with_floor_stops(self, order: list[int]) -> list[int]:
        # The textbook policies know only aisles; a floor stop goes where it lengthens the policy's order least.
        dist = self.dist
        for index in self.floor:
            best_at, best_cost = 0, inf
            previous = 0
            for at in range(len(order) + 1):
                following = order[at] if at < len(order) else 0
                cost = dist(previous, index) + dist(index, following) - dist(previous, following)
                if cost < best_cost:
                    best_at, best_cost = at, cost
                previous = following
            order.insert(best_at, index)
        return order

    def shorter(self, *orders: list[int]) -> list[int]:
        return min(orders, key=self.tour_length)


# ---------------------------------------------------------------- the textbook policies


def _s_shape_order(trip: _Trip) -> list[int]:
    aisles = trip.aisles_in_x_order()

    def sweep(lines: list[list[int]]) -> list[int]:
        # Every aisle with a pick is walked end to end, alternately front→back and back→front; with an odd count
        # the last one is entered from the front and left the same way, which is the same visiting order.
        order: list[int] = []
        for n, line in enumerate(lines):
            order.extend(line if n % 2 == 0 else reversed(line))
        return trip.with_floor_stops(order)

    # Starting from the left or from the right end is a choice the policy leaves open; take the shorter so the
    # baseline is as strong as it can honestly be.
    return trip.shorter(sweep(aisles), sweep(aisles[::-1]))


def _split_at_largest_gap(trip: _Trip, line: list[int]) -> tuple[list[int], list[int]]:
    """(stops reached from the front, stops reached from the back) of one aisle, split at its largest gap.

    The gaps are front cross-aisle → first stop, between neighbours, last stop → back cross-aisle; the largest is
    the stretch the picker never walks. Ties go to the earlier gap (more stops from the back)."""
    u = trip.u
    gaps = [u[line[0]]]
    gaps.extend(u[b] - u[a] for a, b in pairwise(line))
    gaps.append(trip.depth - u[line[-1]])
    cut = gaps.index(max(gaps))
    return line[:cut], line[cut:]


def _largest_gap_order(trip: _Trip) -> list[int]:
    aisles = trip.aisles_in_x_order()

    def sweep(lines: list[list[int]]) -> list[int]:
        if len(lines) <= 1:  # one aisle: in to the farthest stop and back out
            return trip.with_floor_stops([i for line in lines for i in line])
        first, *middle, last = lines
        splits = [_split_at_largest_gap(trip, line) for line in middle]
        order = list(first)  # the first aisle end to end, front → back
        for _front, back in splits:  # along the back: into each middle aisle down to its gap and out again
            order.extend(reversed(back))
        order.extend(reversed(last))  # the last aisle end to end, back → front
        for front, _back in reversed(splits):  # along the front on the way home: up to each gap and out again
            order.extend(front)
        return trip.with_floor_stops(order)

    return trip.shorter(sweep(aisles), sweep(aisles[::-1]))


# ---------------------------------------------------------------- the exact route (Ratliff–Rosenthal)
#
# The aisle graph: for each column (an aisle's centre line, or the x of the depot or of a floor stop) a front
# node on the front cross-aisle and a back node on the back cross-aisle; the stops of an aisle lie on the
# vertical between them; neighbouring columns are joined along each cross-aisle. A route is a closed walk, i.e.
# a connected multigraph on these edges with every degree even that touches every stop and the depot. Such a
# "tour subgraph" never needs an edge more than twice, so the sweep decides, column after column:
#
# * how the aisle is used (_VERTICAL): not at all, walked through once or twice, entered from the front up to its
#   farthest stop and back, from the back down to its nearest stop and back, or from both ends up to its largest
#   gap between stops (every stop of the aisle is reached by each option but the first);
# * how many times (0, 1, 2) the front and the back cross-aisle are walked between this column and the next.
#
# What the rest of the sweep needs to know about the part already decided fits in a small state: the degree of
# the current front and back nodes (zero, odd, even) and how the partial subgraph's components meet them (none
# yet; one component; front and back in two different ones; or one component already closed, which is only
# allowed when nothing is left to visit). For each state only the cheapest partial subgraph matters.

_ZERO, _ODD, _EVEN = 0, 1, 2  # degree classes of a node
_NONE, _CLOSED, _SAME, _SPLIT = 0, 1, 2, 3  # how components meet the current front (a) and back (b) nodes
_STATES = 36
_START = 0  # (_ZERO, _ZERO, _NONE)

# (added to the front node's degree, added to the back node's degree, joins front and back) of each aisle use
_NOT_USED, _THROUGH, _THROUGH_TWICE, _FROM_FRONT, _FROM_BACK, _BOTH_ENDS = range(6)
_VERTICAL = ((0, 0, False), (1, 1, True), (2, 2, True), (2, 0, False), (0, 2, False), (2, 2, False))


def _state(da: int, db: int, conn: int) -> int:
    return (da * 3 + db) * 4 + conn


def _unpack(state: int) -> tuple[int, int, int]:
    return state // 12, state // 4 % 3, state % 4


def _components(da: int, db: int, conn: int) -> tuple[int | None, int | None]:
    """Component labels of the front and back node (None: the node has no edge yet)."""
    if conn == _SPLIT:
        return 0, 1
    if conn == _SAME:
        return (0 if da else None), (0 if db else None)
    return None, None


def _pack(da: int, db: int, la: int | None, lb: int | None) -> int:
    labels = {label for label in (la, lb) if label is not None}
    return _state(da, db, (_NONE, _SAME, _SPLIT)[len(labels)])


def _add_degree(degree: int, added: int) -> int:
    if not added:
        return degree
    if not degree:
        return added
    return _ODD if (degree == _ODD) != (added == _ODD) else _EVEN


def _after_vertical(state: int, use: int) -> int:
    """The state after using the current aisle as ``use``; -1 when that cannot lead to a tour."""
    da, db, conn = _unpack(state)
    ea, eb, joins = _VERTICAL[use]
    if conn == _CLOSED:  # the tour is finished: nothing more may be added
        return state if not (ea or eb) else -1
    la, lb = _components(da, db, conn)
    if ea and la is None:
        la = 2  # a new component starts at the front node
    if eb and lb is None:
        lb = 3
    if joins:
        lb = la
    return _pack(_add_degree(da, ea), _add_degree(db, eb), la, lb)


def _after_horizontal(state: int, front: int, back: int, required: bool) -> int:
    """The state at the next column after walking the cross-aisles ``front`` and ``back`` times to it; -1 if that
    leaves an odd or (when ``required``: a depot or floor stop is there) an unvisited front node behind, or a
    component cut off from the rest."""
    da, db, conn = _unpack(state)
    if (da == _ODD) != (front == 1) or (db == _ODD) != (back == 1):
        return -1  # the node left behind would keep an odd degree
    if required and not da and not front:
        return -1
    if conn == _CLOSED:
        return state if not (front or back) else -1
    la, lb = _components(da, db, conn)
    na = (2 if la is None else la) if front else None  # a fresh edge from an untouched node is a new component
    nb = (3 if lb is None else lb) if back else None
    before = {label for label in (la, lb) if label is not None}
    after = {label for label in (na, nb) if label is not None}
    if before - after:  # a component no longer reaches the frontier: the tour closes here, or it is broken
        return _state(_ZERO, _ZERO, _CLOSED) if len(before) == 1 and not after else -1
    return _pack(front, back, na, nb)


_VERTICAL_NEXT = [[_after_vertical(s, use) for use in range(6)] for s in range(_STATES)]
# For each (front node required?, state): the feasible (copies along the front, copies along the back, next state)
_HORIZONTAL_NEXT = [
    [[(f, b, nxt) for f in range(3) for b in range(3) if (nxt := _after_horizontal(s, f, b, required)) >= 0]
     for s in range(_STATES)]
    for required in (False, True)
]
_FINISHED = _state(_ZERO, _ZERO, _CLOSED)
# For each (last column's front node required?, state): can the tour end here (no edge further right)?
_CAN_FINISH = [[_after_horizontal(s, 0, 0, required) == _FINISHED for s in range(_STATES)]
               for required in (False, True)]


@dataclass
class _Column:
    x: float
    aisle: bool  # an aisle's centre line (else only a point on the front cross-aisle)
    stops: list[int] = field(default_factory=list)  # aisle stops, front to back
    front: list[int] = field(default_factory=list)  # floor stops at this x (on the front cross-aisle)
    required: bool = False  # the depot or a floor stop is here


def _columns(trip: _Trip) -> list[_Column]:
    """The columns the sweep needs: every centre line between the leftmost and the rightmost place to visit
    (an empty aisle can be the shortest way between the cross-aisles), plus the depot's and floor stops' x."""
    x = trip.x
    places = [x[0], *(x[i] for i in trip.floor), *trip.lines]
    low, high = min(places), max(places)
    by_x = {line: _Column(line, True) for line in trip.layout.lines if low <= line <= high}
    for line, stops in trip.lines.items():
        by_x[line].stops = sorted(stops, key=lambda i: (trip.u[i], i))
    for i in (0, *trip.floor):
        column = by_x.setdefault(x[i], _Column(x[i], False))
        column.required = True
        if i:
            column.front.append(i)
    return [by_x[key] for key in sorted(by_x)]


def _aisle_uses(trip: _Trip, column: _Column) -> list[tuple[int, float, int]]:
    """(use, metres walked in the aisle, for _BOTH_ENDS how many stops are fetched from the front) of each use
    that reaches every stop of the aisle."""
    if not column.aisle:
        return [(_NOT_USED, 0.0, 0)]
    depth = trip.depth
    stops = column.stops
    if not stops:
        return [(_NOT_USED, 0.0, 0), (_THROUGH, depth, 0), (_THROUGH_TWICE, 2 * depth, 0)]
    u = trip.u
    uses = [(_THROUGH, depth, 0), (_THROUGH_TWICE, 2 * depth, 0),
            (_FROM_FRONT, 2 * u[stops[-1]], 0), (_FROM_BACK, 2 * (depth - u[stops[0]]), 0)]
    if len(stops) > 1:
        gaps = [u[b] - u[a] for a, b in pairwise(stops)]
        widest = max(gaps)
        uses.append((_BOTH_ENDS, 2 * (depth - widest), gaps.index(widest) + 1))
    return uses


def _ratliff_rosenthal(trip: _Trip) -> list[int] | None:
    """The optimal visiting order; None if the sweep found no tour (cannot happen for a valid trip)."""
    if trip.n == 0:
        return []
    columns = _columns(trip)
    if len(columns) == 1 and not columns[0].stops:
        return list(columns[0].front)  # everything is at the depot
    cost: dict[int, float] = {_START: 0.0}
    # Per column: state after the aisle → (state before, use); state at the next column → (state before, f, b)
    took_aisle: list[dict[int, tuple[int, int]]] = []
    took_cross: list[dict[int, tuple[int, int, int]]] = []
    last = len(columns) - 1
    for n, column in enumerate(columns):
        after: dict[int, float] = {}
        how: dict[int, tuple[int, int]] = {}
        for use, metres, _gap in _aisle_uses(trip, column):
            for state, so_far in cost.items():
                nxt = _VERTICAL_NEXT[state][use]
                if nxt >= 0 and so_far + metres < after.get(nxt, inf):
                    after[nxt] = so_far + metres
                    how[nxt] = (state, use)
        took_aisle.append(how)
        if n == last:
            cost = after
            break
        width = columns[n + 1].x - column.x
        cross: dict[int, float] = {}
        way: dict[int, tuple[int, int, int]] = {}
        table = _HORIZONTAL_NEXT[column.required]
        for state, so_far in after.items():
            for f, b, nxt in table[state]:
                total = so_far + (f + b) * width
                if total < cross.get(nxt, inf):
                    cross[nxt] = total
                    way[nxt] = (state, f, b)
        took_cross.append(way)
        cost = cross
    can_finish = _CAN_FINISH[columns[last].required]
    finals = [(so_far, state) for state, so_far in cost.items() if can_finish[state]]
    if not finals:
        return None
    state = min(finals)[1]
    # Walk the decisions back and lay out the edges of the tour subgraph. Nodes: 2c front, 2c + 1 back of column
    # c; stop i is node 2·len(columns) + i.
    base = 2 * len(columns)
    edges: list[tuple[int, int]] = []
    for n in range(last, -1, -1):
        before, use = took_aisle[n][state]
        column = columns[n]
        chain = [2 * n, *(base + i for i in column.stops), 2 * n + 1]
        if use in (_THROUGH, _THROUGH_TWICE):
            edges.extend(pairwise(chain))
            if use == _THROUGH_TWICE:
                edges.extend(pairwise(chain))
        elif use == _FROM_FRONT:
            edges.extend(2 * list(pairwise(chain[:-1])))
        elif use == _FROM_BACK:
            edges.extend(2 * list(pairwise(chain[1:])))
        elif use == _BOTH_ENDS:
            gap = next(g for kind, _metres, g in _aisle_uses(trip, column) if kind == _BOTH_ENDS)
            edges.extend(2 * list(pairwise(chain[:gap + 1])))
            edges.extend(2 * list(pairwise(chain[gap + 1:])))
        state = before
        if n:
            state, f, b = took_cross[n - 1][state]
            edges.extend([(2 * n - 2, 2 * n)] * f + [(2 * n - 1, 2 * n + 1)] * b)
    depot_node = 2 * next(n for n, column in enumerate(columns) if column.x == trip.x[0])
    front_stops = {2 * n: column.front for n, column in enumerate(columns) if column.front}
    order: list[int] = []
    seen: set[int] = set()
    for node in _euler_circuit(edges, depot_node, base + trip.n + 1):
        for i in [node - base] if node >= base else front_stops.get(node, ()):
            if i not in seen:
                seen.add(i)
                order.append(i)
    return order if len(order) == trip.n else None


def _euler_circuit(edges: list[tuple[int, int]], start: int, nodes: int) -> list[int]:
    """The nodes of a closed walk using every edge once (Hierholzer); edges form a connected even multigraph."""
    incident: list[list[int]] = [[] for _ in range(nodes)]
    for e, (a, b) in enumerate(edges):
        incident[a].append(e)
        incident[b].append(e)
    used = [False] * len(edges)
    stack = [start]
    circuit: list[int] = []
    while stack:
        node = stack[-1]
        pending = incident[node]
        while pending and used[pending[-1]]:
            pending.pop()
        if pending:
            e = pending.pop()
            used[e] = True
            a, b = edges[e]
            stack.append(b if a == node else a)
        else:
            circuit.append(stack.pop())
    return circuit[::-1]


# ---------------------------------------------------------------- Held–Karp (an independent check)


def _held_karp(trip: _Trip) -> list[int]:
    """The optimal visiting order by Held–Karp over the trip's matrix: O(2ⁿ·n²) time, O(2ⁿ·n) memory."""
    n = trip.n
    if n == 0:
        return []
    d = trip.matrix()
    bits = [1 << j for j in range(n)]
    # col[j][k]: from stop k to stop j (0-based stops), so best[mask][j] is one C-level min over map(add, ...)
    col = [[d[k + 1][j + 1] for k in range(n)] for j in range(n)]
    size = 1 << n
    # best[mask][j]: shortest walk from the depot through exactly the stops in mask, ending at stop j (inf when j
    # is not in mask). inf entries keep the inner min branch-free.
    best: list[list[float]] = [[]] * size
    for j in range(n):
        row = [inf] * n
        row[j] = d[0][j + 1]
        best[bits[j]] = row
    js = range(n)
    for mask in range(3, size):
        if mask & (mask - 1) == 0:
            continue
        best[mask] = [min(map(add, best[mask ^ bits[j]], col[j])) if mask & bits[j] else inf for j in js]
    # Walk back from the best last stop: the predecessor is the k whose sum reproduces the stored value exactly
    # (same operands, same float), so no parent table is needed.
    mask = size - 1
    totals = list(map(add, best[mask], (d[j + 1][0] for j in js)))
    j = totals.index(min(totals))
    reverse_order = [j]
    while mask != bits[j]:
        target = best[mask][j]
        mask ^= bits[j]
        row = best[mask]
        cj = col[j]
        j = next(k for k in js if mask & bits[k] and row[k] + cj[k] == target)
        reverse_order.append(j)
    return [k + 1 for k in reversed(reverse_order)]


# ---------------------------------------------------------------- public entry points


def s_shape(layout: Layout, depot: tuple[float, float], stops: Sequence[Stop]) -> Route:
    """The S-shape (traversal) policy's visiting order and its length.

    Every aisle holding a stop is walked end to end, alternating direction, left to right or right to left
    (whichever is shorter); with an odd number of such aisles the picker returns from the last one. Floor stops
    (``aisle`` None) are inserted where they add least. The length is that order measured by shortest walks
    between consecutive stops: on this two-cross-aisle block never more than the policy's literal walk, so the
    baseline is not made to look worse than it is.
    """
    trip = _Trip(layout, depot, stops)
    return trip.route(_s_shape_order(trip), "s_shape")


def largest_gap(layout: Layout, depot: tuple[float, float], stops: Sequence[Stop]) -> Route:
    """The largest-gap policy's visiting order and its length.

    The first and last aisles holding stops are walked end to end; every aisle in between is entered from the
    back (on the way out, along the back cross-aisle) and from the front (on the way home) up to its largest gap
    between stops, cross-aisles included. Left to right or right to left, whichever is shorter; floor stops are
    inserted where they add least. The length is that order measured by shortest walks between consecutive
    stops, never more than the policy's literal walk.
    """
    trip = _Trip(layout, depot, stops)
    return trip.route(_largest_gap_order(trip), "largest_gap")


def optimal(layout: Layout, depot: tuple[float, float], stops: Sequence[Stop]) -> Route:
    """The shortest route over the stops, for any number of them (Ratliff–Rosenthal).

    The visiting order is read off the optimal tour subgraph (first visit of each stop along an Euler circuit);
    its length, measured like every route's, is the optimum (it cannot be shorter, and shortest walks between
    consecutive stops are never longer than the subgraph's own walk).
    """
    trip = _Trip(layout, depot, stops)
    order = _ratliff_rosenthal(trip)
    if order is None:  # a defect, not an input problem: say so rather than return something else as "optimal"
        raise RuntimeError("the route sweep found no tour")
    return trip.route(order, "exact")


def held_karp(layout: Layout, depot: tuple[float, float], stops: Sequence[Stop]) -> Route:
    """The shortest route by Held–Karp over the distance matrix: an independent exact answer, for checking.

    Raises ValueError above ``HELD_KARP_LIMIT`` distinct stops (time and memory double with every stop).
    """
    trip = _Trip(layout, depot, stops)
    if trip.n > HELD_KARP_LIMIT:
        raise ValueError(f"{trip.n} distinct stops: Held–Karp is limited to {HELD_KARP_LIMIT}")
    return trip.route(_held_karp(trip), "exact")


def best_route(layout: Layout, depot: tuple[float, float], stops: Sequence[Stop]) -> RoutePlan:
    """The route to walk, with the lengths of both baselines on the same stops.

    The route is the optimum (method "exact"), so never longer than either baseline; should float rounding make
    it measure a hair longer than one, that baseline's order is returned instead: it is then optimal too. Were the
    sweep ever to fail (a defect), the better baseline is returned with ``exact`` False rather than holding up a
    wave.
    """
    trip = _Trip(layout, depot, stops)
    s_route = trip.route(_s_shape_order(trip), "s_shape")
    gap_route = trip.route(_largest_gap_order(trip), "largest_gap")
    baseline = s_route if s_route.length <= gap_route.length else gap_route
    order = _ratliff_rosenthal(trip)
    if order is None:
        return RoutePlan(baseline, s_route.length, gap_route.length, exact=False)
    route = trip.route(order, "exact")
    if route.length > baseline.length:
        # Only float rounding (~1e-13 m): the baseline's order is optimal too and sums a hair shorter. Walk that
        # one; it is still the proven optimum, so it keeps the "exact" label.
        route = Route(baseline.stops, baseline.length, "exact")
    return RoutePlan(route, s_route.length, gap_route.length, exact=True)
