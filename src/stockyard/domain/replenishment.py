"""Replenishment (补货): topping a pick face up from reserve stock, without a database.

A rule watches one pick face for one owner's SKU. When what the face holds plus what open replenishments are
already bringing falls to the rule's minimum, the face is topped up to its maximum from reserve, first expiry
first out (FEFO): lots with the earliest expiry, then lots without expiry, then stock without a lot; ties by
location code. Each source bucket becomes one task; when reserve holds less than the need, what there is is
taken and the shortfall is reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from stockyard.domain.errors import InvalidInput

ZERO = Decimal(0)

# (location, owner, SKU): what a pick face holds or is about to receive.
FaceKey = tuple[int, int, int]


@dataclass(frozen=True)
class Rule:
    id: int
    location_id: int  # the pick face
    location_code: str
    owner_id: int
    sku_id: int
    min_quantity: Decimal
    max_quantity: Decimal


@dataclass(frozen=True)
class Source:
    """Reserve stock in one bucket: ``available`` is on hand less allocated less what open replenishments
    already take from it."""

    location_id: int
    location_code: str
    owner_id: int
    sku_id: int
    container_id: int | None
    lot_id: int | None
    lot_number: str | None
    expiry: date | None
    serial: str | None
    available: Decimal

    @property
    def bucket(self) -> tuple[int, int, int, int | None, int | None, str | None]:
        return (self.location_id, self.owner_id, self.sku_id, self.container_id, self.lot_id, self.serial)


@dataclass(frozen=True)
class Pick:
    source: Source
    quantity: Decimal


@dataclass(frozen=True)
class Plan:
    """What one rule asks for: ``need`` split over ``picks``; ``short`` is what reserve could not give."""

    rule: Rule
    level: Decimal  # available on hand in the pick face
    incoming: Decimal  # open replenishments heading there
    need: Decimal
    picks: list[Pick] = field(default_factory=list)

    @property
    def short(self) -> Decimal:
        return self.need - sum((p.quantity for p in self.picks), ZERO)


def check_limits(min_quantity: Decimal, max_quantity: Decimal) -> None:
    """A rule's limits: a minimum of zero or more and a maximum above it."""
    if min_quantity < 0:
        raise InvalidInput("must not be negative", field="min_quantity")
    if max_quantity <= min_quantity:
        raise InvalidInput("must be greater than min_quantity", field="max_quantity", code="max_not_above_min")


def top_up(rule: Rule, level: Decimal, incoming: Decimal) -> Decimal:
    """How much to bring: up to the maximum once the face (with what is on its way) is at or below the minimum."""
    expected = level + incoming
    if expected > rule.min_quantity:
        return ZERO
    return max(rule.max_quantity - expected, ZERO)


def fefo_key(source: Source) -> tuple[int, date, str, int, int, str]:
    """Earliest expiry first, then lots without expiry, then stock without a lot; ties by location code."""
    if source.lot_id is None:
        group = 2
    elif source.expiry is None:
        group = 1
    else:
        group = 0
    return (group, source.expiry or date.max, source.location_code, source.container_id or 0,
            source.lot_id or 0, source.serial or "")


def split(need: Decimal, sources: Iterable[Source]) -> list[Pick]:
    """Take ``need`` from the sources in FEFO order, each at most what it has; fewer when reserve runs out."""
    picks: list[Pick] = []
    left = need
    for source in sorted(sources, key=fefo_key):
        if left <= 0:
            break
        take = min(left, source.available)
        if take > 0:
            picks.append(Pick(source, take))
            left -= take
    return picks


def plan(rules: Sequence[Rule], levels: Mapping[FaceKey, Decimal], incoming: Mapping[FaceKey, Decimal],
         sources: Sequence[Source]) -> list[Plan]:
    """The plans of the rules that need a top-up, in rule order (pick face code, then id). A source is never
    another pick face of the same SKU, and what one rule takes is gone for the next."""
    faces: dict[tuple[int, int], set[int]] = {}
    for rule in rules:
        faces.setdefault((rule.owner_id, rule.sku_id), set()).add(rule.location_id)
    left = {s.bucket: s for s in sources}
    plans: list[Plan] = []
    for rule in sorted(rules, key=lambda r: (r.location_code, r.id)):
        key = (rule.location_id, rule.owner_id, rule.sku_id)
        level, coming = levels.get(key, ZERO), incoming.get(key, ZERO)
        need = top_up(rule, level, coming)
        if need <= 0:
            continue
        reserve = [s for s in left.values() if s.owner_id == rule.owner_id and s.sku_id == rule.sku_id
                   and s.location_id not in faces[(rule.owner_id, rule.sku_id)]]
        picks = split(need, reserve)
        for pick in picks:
            source = left[pick.source.bucket]
            left[source.bucket] = replace(source, available=source.available - pick.quantity)
        plans.append(Plan(rule, level, coming, need, picks))
    return plans


def confirm_quantity(left: Decimal, given: Decimal | None) -> Decimal:
    """What a confirmation moves: all that is left by default, else part of it."""
    quantity = left if given is None else given
    if quantity <= 0:
        raise InvalidInput("must be greater than zero", field="quantity")
    if quantity > left:
        raise InvalidInput(f"the task has {left} left", field="quantity", code="over_task")
    return quantity


def picked_via_face(quantity: Decimal, case_factor: Decimal | None) -> bool:
    """Eaches are picked from the pick face: an allocation of less than a full case on a reserve location is
    brought to the SKU's pick face by a replenishment first, and picked there. Full cases are picked where they
    stand (a SKU without a case pack counts every quantity as eaches)."""
    return case_factor is None or quantity < case_factor
