"""Pick routes without a database: walking distances in the aisle block, the two textbook policies on an example
worked by hand, the optimum against brute force and against an independent exact solver, and the route pickers get
never longer than either policy.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Sequence

import pytest

from stockyard.domain.routing import (
    HELD_KARP_LIMIT,
    Layout,
    Route,
    Spot,
    Stop,
    best_route,
    held_karp,
    largest_gap,
    optimal,
    s_shape,
)

# Five aisles 3 m apart, 10 m deep: front cross-aisle at y = 0, back at y = 10.
BLOCK = Layout({"A": 0.0, "B": 3.0, "C": 6.0, "D": 9.0, "E": 12.0}, front_y=0.0, back_y=10.0)
CORNER = (0.0, 0.0)  # depot at the front of aisle A


def at(key: int, aisle: str | None, y: float, x: float = 0.0) -> Stop:
    return Stop(key=key, aisle=aisle, y=y, x=x)


def walk(layout: Layout, depot: tuple[float, float], stops: Sequence[Stop], order: Sequence[int]) -> float:
    """depot → stops in ``order`` (keys) → depot, by Layout.distance, added up in walking order."""
    by_key = {s.key: s for s in reversed(stops)}  # the first stop with a key places it
    home = Stop(key=-1, aisle=None, y=depot[1], x=depot[0])
    points = [home, *(by_key[k] for k in order), home]
    total = 0.0
    for a, b in itertools.pairwise(points):
        total += layout.distance(a, b)
    return total


def brute_force(layout: Layout, depot: tuple[float, float], stops: Sequence[Stop]) -> float:
    keys = list(dict.fromkeys(s.key for s in stops))
    return min(walk(layout, depot, stops, order) for order in itertools.permutations(keys))


def assert_is_route_over(route: Route, stops: Sequence[Stop]) -> None:
    assert sorted(route.stops) == sorted({s.key for s in stops})


# ---------------------------------------------------------------- distances


def test_distance_within_an_aisle_is_straight_along_it() -> None:
    assert BLOCK.distance(at(1, "C", 2), at(2, "C", 7)) == 5


def test_distance_across_aisles_goes_round_the_nearer_cross_aisle() -> None:
    # A at 2 to C at 3: via the front 2 + 6 + 3 = 11, via the back 8 + 6 + 7 = 21
    assert BLOCK.distance(at(1, "A", 2), at(2, "C", 3)) == 11
    # A at 9 to C at 8: via the front 9 + 6 + 8 = 23, via the back 1 + 6 + 2 = 9
    assert BLOCK.distance(at(1, "A", 9), at(2, "C", 8)) == 9
    # symmetric
    assert BLOCK.distance(at(2, "C", 8), at(1, "A", 9)) == 9


def test_positions_beyond_the_aisle_ends_are_clamped_to_the_cross_aisles() -> None:
    assert BLOCK.distance(at(1, "A", -4), at(2, "A", 25)) == 10
    assert BLOCK.distance(at(1, "A", 25), at(2, "B", 10)) == 3


def test_a_stop_outside_the_aisles_lies_on_the_front_cross_aisle() -> None:
    dock = at(1, None, y=7, x=4.5)  # its y does not matter: it is on the front cross-aisle
    assert BLOCK.distance(dock, at(2, "B", 5)) == 1.5 + 5
    assert BLOCK.distance(dock, at(3, "E", 9)) == 7.5 + 9  # always via the front, even to the back of an aisle
    assert BLOCK.distance(dock, at(4, None, y=0, x=20)) == 15.5


def test_an_aisle_the_layout_does_not_know_is_refused() -> None:
    with pytest.raises(ValueError, match="not in the layout"):
        BLOCK.distance(at(1, "Z", 2), at(2, "A", 2))


def test_a_layout_with_the_back_in_front_of_the_front_is_refused() -> None:
    with pytest.raises(ValueError, match="back_y"):
        Layout({"A": 0.0}, front_y=10.0, back_y=0.0)


# ---------------------------------------------------------------- routes worked by hand


def test_a_trip_in_one_aisle_goes_in_to_the_farthest_stop_and_back() -> None:
    stops = [at(1, "A", 5), at(2, "A", 2), at(3, "A", 8)]
    plan = best_route(BLOCK, CORNER, stops)
    assert plan.route.length == 16
    assert plan.exact
    assert plan.route.length == walk(BLOCK, CORNER, stops, plan.route.stops)
    assert s_shape(BLOCK, CORNER, stops).length == 16
    assert largest_gap(BLOCK, CORNER, stops).length == 16


def test_the_best_route_can_go_up_one_aisle_and_come_back_down_another() -> None:
    # Two stops near the back of A and E, one near the front of C. Best: up A (9), along the back to E
    # (1 + 12 + 1), down E and along the front to C (9 + 6 + 1), home (1 + 6) = 46.
    stops = [at(1, "A", 9), at(2, "C", 1), at(3, "E", 9)]
    plan = best_route(BLOCK, CORNER, stops)
    assert plan.route.length == 46
    assert plan.route.stops in {(1, 3, 2), (2, 3, 1)}
    assert plan.exact and plan.route.method == "exact"
    # S-shape walks A, C and E end to end and returns from E: 62 either way round.
    assert plan.s_shape == 62
    assert plan.largest_gap == 46  # C's largest gap is behind its stop: it is picked from the front on the way home


TEXTBOOK = [at(1, "A", 2), at(2, "A", 8), at(3, "B", 1), at(4, "C", 3), at(5, "C", 9), at(6, "E", 5)]


def test_s_shape_on_the_textbook_example() -> None:
    route = s_shape(BLOCK, CORNER, TEXTBOOK)
    # A up, B down, C up, E down (an even number of aisles: no return trip):
    # 2 + 6 + (8+3+1) + (1+3+3) + 6 + (1+6+5, via the back) + (5+12) = 62.
    # The literal walk is 64 (four aisles end to end, 40, and 24 along the cross-aisles): from A at 8 to B at 1
    # the shortest walk goes back down A and along the front (12), not over the back and down B (14).
    assert route.stops == (1, 2, 3, 4, 5, 6)
    assert route.length == 62
    assert route.method == "s_shape"


def test_largest_gap_on_the_textbook_example() -> None:
    route = largest_gap(BLOCK, CORNER, TEXTBOOK)
    # A end to end (2, 6); along the back, C's stop behind its largest gap (3..9 is the largest gap: 2 + 6 + 1);
    # E end to end (1 + 6 + 5); home along the front, C's front stop (5 + 6 + 3) and B's (1 + 3 + 1), home (1 + 3):
    # 2 + 6 + 9 + 12 + 14 + 7 + 4 = 54. From the right it would be 66.
    assert route.stops == (1, 2, 5, 6, 4, 3)
    assert route.length == 54
    assert route.method == "largest_gap"


def test_best_route_on_the_textbook_example_is_the_brute_force_optimum() -> None:
    plan = best_route(BLOCK, CORNER, TEXTBOOK)
    assert plan.exact
    assert plan.route.length == brute_force(BLOCK, CORNER, TEXTBOOK) == 54  # largest gap was optimal here
    assert (plan.s_shape, plan.largest_gap) == (62, 54)


def test_the_optimum_can_beat_both_policies() -> None:
    # A at 5, D at 5, E at 9. Both policies come to 54: S-shape walks A up, D down, E up and back (shortest walks
    # between those stops: 5 + 19 + 9 + 21); largest gap walks A, fetches D's stop from the back, walks E down and
    # goes home (10 + 9 + 10 + 3 + 10 + 12). The optimum goes up A to the back (10), along it to E (12), down to
    # 9 and back up (2), along to D (3), down D (10) and home (9): 46.
    stops = [at(1, "A", 5), at(2, "E", 9), at(3, "D", 5)]
    plan = best_route(BLOCK, CORNER, stops)
    assert (plan.s_shape, plan.largest_gap) == (54, 54)
    assert plan.route.length == 46
    assert plan.route.stops in {(1, 2, 3), (3, 2, 1)}


def test_an_empty_trip_has_length_zero() -> None:
    for route in (s_shape(BLOCK, CORNER, []), largest_gap(BLOCK, CORNER, []), optimal(BLOCK, CORNER, [])):
        assert route.stops == ()
        assert route.length == 0
    plan = best_route(BLOCK, CORNER, [])
    assert plan.route.stops == () and plan.route.length == 0 and plan.exact
    assert plan.s_shape == plan.largest_gap == 0


def test_stops_sharing_a_key_are_one_stop() -> None:
    stops = [at(7, "B", 4), at(3, "D", 6), at(7, "B", 4), at(3, "D", 6), at(9, "A", 1)]
    distinct = [at(7, "B", 4), at(3, "D", 6), at(9, "A", 1)]
    for fn in (s_shape, largest_gap, optimal):
        route = fn(BLOCK, CORNER, stops)
        assert sorted(route.stops) == [3, 7, 9]
        assert route.length == fn(BLOCK, CORNER, distinct).length
    assert best_route(BLOCK, CORNER, stops).route.length == best_route(BLOCK, CORNER, distinct).route.length


def test_stops_outside_the_aisles_are_visited_along_the_front() -> None:
    # A staging lane 8 m right of aisle E and a pick near the front of B; depot at the front of A.
    stops = [at(1, None, y=3, x=20), at(2, "B", 2)]
    plan = best_route(BLOCK, CORNER, stops)
    # 3 + 2 to B at 2, back out and along the front to x = 20 (2 + 17), home along the front (20) = 44.
    assert plan.route.length == 44
    for route in (s_shape(BLOCK, CORNER, stops), largest_gap(BLOCK, CORNER, stops)):
        assert_is_route_over(route, stops)
        assert route.length == 44  # the floor stop is inserted where it adds least
    # A trip of floor stops only is a walk along the front cross-aisle.
    floor_only = [at(1, None, 0, x=-5), at(2, None, 0, x=30)]
    assert best_route(BLOCK, (10.0, 0.0), floor_only).route.length == 70


def test_the_depot_is_on_the_front_cross_aisle_whatever_its_y() -> None:
    stops = [at(1, "C", 4)]
    assert best_route(BLOCK, (6.0, 55.0), stops).route.length == 8
    assert best_route(BLOCK, (6.0, -3.0), stops).route.length == 8


def test_held_karp_refuses_more_stops_than_it_can_solve_quickly_and_optimal_does_not() -> None:
    stops = [at(k, "ABCDE"[k % 5], k % 10) for k in range(HELD_KARP_LIMIT + 1)]
    with pytest.raises(ValueError, match="Held–Karp is limited"):
        held_karp(BLOCK, CORNER, stops)
    assert held_karp(BLOCK, CORNER, stops[:HELD_KARP_LIMIT]).method == "exact"
    many = [at(k, "ABCDE"[k % 5], (k * 7) % 11) for k in range(200)]
    route = optimal(BLOCK, CORNER, many)
    assert route.method == "exact"
    assert_is_route_over(route, many)


def test_two_aisle_codes_on_one_centre_line_are_one_walking_line() -> None:
    # Rack faces "A" and "A2" served from the same aisle: going from one to the other is a straight walk.
    layout = Layout({"A": 0.0, "A2": 0.0, "B": 3.0}, front_y=0.0, back_y=10.0)
    assert layout.distance(at(1, "A", 8), at(2, "A2", 9)) == 1
    plan = best_route(layout, CORNER, [at(1, "A", 8), at(2, "A2", 9), at(3, "A", 2)])
    assert plan.route.length == 18


# ---------------------------------------------------------------- randomised (seeded) checks


def random_trip(rng: random.Random, layout: Layout, size: int, floor_share: float = 0.0) -> list[Stop]:
    codes = sorted(layout.aisles)
    front, back = layout.front_y, layout.back_y
    stops = []
    for key in range(size):
        if rng.random() < floor_share:
            stops.append(at(key, None, 0.0, x=rng.uniform(-5, 80)))
            continue
        # Half the stops on whole metres (ties between stops and between routes happen), some beyond the ends.
        y = rng.uniform(front - 1, back + 1) if rng.random() < 0.5 else float(rng.randint(int(front), int(back)))
        stops.append(at(key, rng.choice(codes), y))
    return stops


def test_the_exact_route_equals_brute_force_on_small_trips() -> None:
    rng = random.Random(7)
    for _ in range(150):
        stops = random_trip(rng, BLOCK, rng.randint(1, 6), floor_share=0.15)
        depot = (rng.choice([0.0, 6.0, 14.0]), 0.0)
        shortest = brute_force(BLOCK, depot, stops)
        for route in (optimal(BLOCK, depot, stops), held_karp(BLOCK, depot, stops)):
            assert_is_route_over(route, stops)
            assert route.length == pytest.approx(shortest, abs=1e-9)
            assert route.length == walk(BLOCK, depot, stops, route.stops)


WIDE = Layout({f"{n:02d}": 2.8 * n for n in range(24)}, front_y=0.0, back_y=50.0)
NARROW = Layout({f"{n:02d}": 3.0 * n for n in range(10)}, front_y=-1.5, back_y=31.5)


@pytest.mark.parametrize(("layout", "depots"), [(NARROW, [(0.0, 0.0), (13.5, 0.0)]),
                                                (WIDE, [(0.0, 0.0), (32.2, 0.0), (70.0, 0.0)])])
def test_the_best_route_is_never_longer_than_either_baseline(
        layout: Layout, depots: list[tuple[float, float]]) -> None:
    rng = random.Random(2024)
    shorter = 0
    for _ in range(150):
        stops = random_trip(rng, layout, rng.randint(5, 60), floor_share=0.05)
        depot = rng.choice(depots)
        plan = best_route(layout, depot, stops)
        assert_is_route_over(plan.route, stops)
        assert plan.route.length <= plan.s_shape
        assert plan.route.length <= plan.largest_gap
        # every length is the same measure: depot → stops in order → depot by Layout.distance
        assert plan.route.length == walk(layout, depot, stops, plan.route.stops)
        assert plan.s_shape == s_shape(layout, depot, stops).length
        assert plan.largest_gap == largest_gap(layout, depot, stops).length
        assert plan.exact and plan.route.method == "exact"
        shorter += plan.route.length < min(plan.s_shape, plan.largest_gap) - 1e-9
    assert shorter > 100  # most trips have a route shorter than both policies, not merely as short


@pytest.mark.parametrize("layout", [NARROW, WIDE])
def test_the_optimum_agrees_with_held_karp_on_trips_of_up_to_eleven_stops(layout: Layout) -> None:
    rng = random.Random(99)
    for _ in range(25):
        stops = random_trip(rng, layout, rng.randint(8, 11), floor_share=0.05)
        depot = (rng.uniform(-3, 40), 0.0)
        plan = best_route(layout, depot, stops)
        assert plan.route.length == pytest.approx(held_karp(layout, depot, stops).length, abs=1e-9)


def test_no_reversal_or_relocation_shortens_the_optimum_of_a_large_trip() -> None:
    # Beyond what Held–Karp can check: the optimum of 40–80 stops survives every 2-opt move (reverse a stretch)
    # and every relocation of one stop, which any search for a shorter route would try first.
    rng = random.Random(11)
    for _ in range(10):
        layout = rng.choice([NARROW, WIDE])
        stops = random_trip(rng, layout, rng.randint(40, 80), floor_share=0.03)
        depot = (rng.uniform(0, 30), 0.0)
        route = optimal(layout, depot, stops)
        by_key = {s.key: s for s in reversed(stops)}
        home = Stop(key=-1, aisle=None, y=0.0, x=depot[0])
        points = [home, *(by_key[k] for k in route.stops), home]
        d = [[layout.distance(a, b) for b in points] for a in points]
        last = len(points) - 1
        for i, j in itertools.combinations(range(last), 2):  # reverse points[i + 1 .. j]
            assert d[i][j] + d[i + 1][j + 1] - d[i][i + 1] - d[j][j + 1] >= -1e-9
        for i in range(1, last):  # take points[i] out and put it between points[j] and points[j + 1]
            saved = d[i - 1][i] + d[i][i + 1] - d[i - 1][i + 1]
            for j in range(last):
                if j not in (i - 1, i):
                    assert d[j][i] + d[i][j + 1] - d[j][j + 1] >= saved - 1e-9


# ---------------------------------------------------------------- layout from location coordinates


def test_layout_from_spots_takes_median_aisle_lines_and_cross_aisles_beyond_the_ends() -> None:
    spots = [Spot("A", 1.0, 2.0), Spot("A", 1.2, 20.0), Spot("A", 9.0, 11.0),  # one mis-keyed x
             Spot("B", 4.0, 3.5), Spot("B", 4.0, 18.0),
             Spot(None, 50.0, -30.0), Spot(None, -8.0, 99.0)]  # docks and staging do not shape the block
    layout = Layout.from_spots(spots)
    assert dict(layout.aisles) == {"A": 1.2, "B": 4.0}
    assert (layout.front_y, layout.back_y) == (0.5, 21.5)
    assert Layout.from_spots(spots, margin=0).front_y == 2.0
    # A stop in aisle A is on its centre line whatever x the stop carries.
    assert layout.distance(at(1, "A", 5, x=100.0), at(2, "B", 5)) == 2.8 + 4.5 + 4.5


def test_layout_from_spots_without_aisles_puts_everything_on_one_line() -> None:
    layout = Layout.from_spots([Spot(None, 3.0, 4.0), Spot(None, 8.0, -1.0)])
    assert dict(layout.aisles) == {}
    assert layout.distance(at(1, None, 4, x=3.0), at(2, None, -1, x=8.0)) == 5


def test_a_layout_keeps_its_own_copy_of_the_aisles() -> None:
    aisles = {"A": 0.0}
    layout = Layout(aisles, 0.0, 10.0)
    aisles["A"] = 50.0
    assert layout.aisles["A"] == 0.0
