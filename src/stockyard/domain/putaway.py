"""Where received stock goes: ordered putaway rules, each naming a zone and a policy for choosing a location there.

Rules are tried by priority; the first whose criteria match the item and whose policy finds a location that can
take it decides. Every answer says why, including why each earlier rule did not decide, so that an operator who
disagrees with a suggestion can see which rule to change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

# Without a target zone a rule looks only where stock is kept, never on docks, staging lanes or QC.
STOCK_ZONE_KINDS = frozenset({"storage", "picking"})
_NOTES_SHOWN = 3


class Policy(StrEnum):
    FIXED_HOME = "fixed_home"
    CONSOLIDATE = "consolidate"
    NEAREST_EMPTY = "nearest_empty"
    NEAREST_CAPACITY = "nearest_capacity"


@dataclass(frozen=True)
class PutawayItem:
    """What is to be put away; ``quantity`` is in base units."""

    owner_id: int
    sku_id: int
    lot_id: int | None
    expiry: date | None
    status: str
    category: str | None
    abc_class: str | None
    storage_condition: str | None
    receipt_type: str | None
    quantity: Decimal
    unit_volume: Decimal | None  # per base unit, may be unknown
    unit_weight: Decimal | None
    pallets: int = 0  # 1 when a whole pallet / container goes, else 0


@dataclass(frozen=True)
class PutawayRule:
    """Criteria left as None match anything; ``priority`` lower first, ties by ``id``."""

    id: int
    name: str
    priority: int
    policy: Policy
    target_zone_id: int | None = None  # None: any zone whose kind is in STOCK_ZONE_KINDS
    owner_id: int | None = None
    sku_id: int | None = None
    category: str | None = None
    abc_class: str | None = None
    storage_condition: str | None = None
    receipt_type: str | None = None
    status: str | None = None
    lot_controlled: bool | None = None  # match only items with (True) / without (False) a lot
    expires_within_days: int | None = None  # match only items expiring within N days of today


@dataclass(frozen=True)
class Candidate:
    """One location with what is in it; ``used_*`` and ``contents`` count stock there and planned putaways."""

    location_id: int
    code: str
    zone_id: int | None
    zone_kind: str | None
    x: Decimal | None
    y: Decimal | None
    blocked: bool  # status blocked or inactive: never chosen
    max_volume: Decimal | None
    max_weight: Decimal | None
    max_units: Decimal | None
    max_pallets: int | None
    mix_skus: bool
    mix_lots: bool
    used_volume: Decimal
    used_weight: Decimal
    used_units: Decimal
    used_pallets: int
    contents: frozenset[tuple[int, int, int | None]]  # (owner_id, sku_id, lot_id)
    home_of: frozenset[int] = frozenset()  # SKU ids for which this is the fixed home location


@dataclass(frozen=True)
class Skip:
    """A rule that did not decide; ``why`` is a whole sentence naming the rule."""

    rule_id: int | None
    rule: str
    why: str


@dataclass(frozen=True)
class Suggestion:
    """The chosen location (None when no rule found one) and the reasoning behind it."""

    location_id: int | None
    location_code: str | None
    rule_id: int | None
    rule: str | None
    reason: str
    skipped: tuple[Skip, ...]


@dataclass(frozen=True)
class _Pick:
    """What a policy found: a location and why it, or no location and why none."""

    candidate: Candidate | None
    text: str


def suggest(item: PutawayItem, rules: Sequence[PutawayRule], candidates: Sequence[Candidate], *,
            origin: tuple[Decimal, Decimal] | None, today: date) -> Suggestion:
    """The location the first deciding rule picks for ``item``, nearest to ``origin`` (the receiving location)."""
    ordered = _by_distance(candidates, origin)
    skipped: list[Skip] = []
    for rule in sorted(rules, key=lambda rule: (rule.priority, rule.id)):
        heading = f"rule {rule.name!r} ({rule.policy.value})"
        mismatch = _mismatch(rule, item, today)
        pick = _Pick(None, mismatch) if mismatch else _apply(rule, item, ordered, origin)
        if pick.candidate is None:
            skipped.append(Skip(rule.id, rule.name, f"{heading}: {pick.text}"))
            continue
        return Suggestion(pick.candidate.location_id, pick.candidate.code, rule.id, rule.name,
                          f"{heading}: {pick.text}", tuple(skipped))
    return Suggestion(None, None, None, None, _nothing_found(item, rules), tuple(skipped))


def fits(item: PutawayItem, candidate: Candidate) -> str | None:
    """None when ``candidate`` can take all of ``item``, else why not (blocked, which capacity, which mix)."""
    if candidate.blocked:
        return "is blocked"
    return _capacity_problem(item, candidate) or _mixing_problem(item, candidate)


def _nothing_found(item: PutawayItem, rules: Sequence[PutawayRule]) -> str:
    if not rules:
        return "no putaway rules are set up for this warehouse"
    return (f"no putaway rule found a location for {_num(item.quantity)} units of SKU {item.sku_id}; "
            "each rule's reason is listed under skipped")


def _mismatch(rule: PutawayRule, item: PutawayItem, today: date) -> str | None:
    """The first criterion of ``rule`` that ``item`` does not meet, in words; None when all are met."""
    criteria: tuple[tuple[str, object, object], ...] = (
        ("owner", rule.owner_id, item.owner_id), ("SKU", rule.sku_id, item.sku_id),
        ("category", rule.category, item.category), ("ABC class", rule.abc_class, item.abc_class),
        ("storage condition", rule.storage_condition, item.storage_condition),
        ("receipt type", rule.receipt_type, item.receipt_type), ("status", rule.status, item.status),
    )
    for label, wanted, actual in criteria:
        if wanted is not None and wanted != actual:
            return f"{label} {'none' if actual is None else actual} is not {wanted}"
    return _lot_mismatch(rule, item) or _expiry_mismatch(rule, item, today)


def _lot_mismatch(rule: PutawayRule, item: PutawayItem) -> str | None:
    if rule.lot_controlled is True and item.lot_id is None:
        return "the item has no lot and the rule is for lot-controlled stock"
    if rule.lot_controlled is False and item.lot_id is not None:
        return f"the item has lot {item.lot_id} and the rule is for stock without lots"
    return None


def _expiry_mismatch(rule: PutawayRule, item: PutawayItem, today: date) -> str | None:
    days = rule.expires_within_days
    if days is None:
        return None
    if item.expiry is None:
        return f"the item has no expiry date and the rule is for stock expiring within {days} days"
    left = (item.expiry - today).days
    if left > days:
        return f"expiry {item.expiry.isoformat()} is {left} days away, more than {days}"
    return None


def _apply(rule: PutawayRule, item: PutawayItem, ordered: Sequence[Candidate],
           origin: tuple[Decimal, Decimal] | None) -> _Pick:
    scope = f"in zone {rule.target_zone_id}" if rule.target_zone_id is not None else "in storage or picking zones"
    pool = [candidate for candidate in ordered if _in_scope(rule, candidate)]
    if not pool:
        return _Pick(None, f"there are no locations {scope}")
    pick = _POLICIES[rule.policy](item, pool, scope)
    if pick.candidate is None:
        return pick
    return _Pick(pick.candidate, pick.text + _distance_note(pick.candidate, origin))


def _in_scope(rule: PutawayRule, candidate: Candidate) -> bool:
    if rule.target_zone_id is not None:
        return candidate.zone_id == rule.target_zone_id
    return candidate.zone_kind in STOCK_ZONE_KINDS


def _fixed_home(item: PutawayItem, pool: Sequence[Candidate], scope: str) -> _Pick:
    homes = [candidate for candidate in pool if item.sku_id in candidate.home_of]
    if not homes:
        return _Pick(None, f"SKU {item.sku_id} has no home location {scope}")
    chosen, notes = _first_fit(item, homes)
    if chosen is None:
        return _Pick(None, f"the home location of SKU {item.sku_id} {scope} cannot take "
                           f"{_num(item.quantity)} units: {notes}")
    return _Pick(chosen, f"{chosen.code} is the home location of SKU {item.sku_id}")


def _consolidate(item: PutawayItem, pool: Sequence[Candidate], scope: str) -> _Pick:
    holders = [candidate for candidate in pool if _holds(candidate, item, same_lot=False)]
    if not holders:
        return _Pick(None, f"no location {scope} holds SKU {item.sku_id}")
    # The same lot first, then next to other lots of the SKU where the location mixes lots (fits() decides);
    # the sort is stable, so each group stays nearest first.
    ordered = sorted(holders, key=lambda candidate: not _holds(candidate, item, same_lot=True))
    chosen, notes = _first_fit(item, ordered)
    if chosen is None:
        return _Pick(None, f"no location {scope} holds SKU {item.sku_id} with room for {_num(item.quantity)} "
                           f"units: {notes}")
    held = _what(item) if _holds(chosen, item, same_lot=True) else f"other lots of SKU {item.sku_id}"
    return _Pick(chosen, f"{chosen.code} already holds {held}, nearest with room")


def _nearest_empty(item: PutawayItem, pool: Sequence[Candidate], scope: str) -> _Pick:
    empty = [candidate for candidate in pool if _is_empty(candidate)]
    if not empty:
        return _Pick(None, f"no location {scope} is empty")
    chosen, notes = _first_fit(item, empty)
    if chosen is None:
        return _Pick(None, f"no empty location {scope} has room for {_num(item.quantity)} units: {notes}")
    return _Pick(chosen, f"{chosen.code} is the nearest empty location {scope} with room")


def _nearest_capacity(item: PutawayItem, pool: Sequence[Candidate], scope: str) -> _Pick:
    chosen, notes = _first_fit(item, pool)
    if chosen is None:
        return _Pick(None, f"no location {scope} has room for {_num(item.quantity)} units: {notes}")
    return _Pick(chosen, f"{chosen.code} is the nearest location {scope} with room for {_num(item.quantity)} units")


_POLICIES: dict[Policy, Callable[[PutawayItem, Sequence[Candidate], str], _Pick]] = {
    Policy.FIXED_HOME: _fixed_home,
    Policy.CONSOLIDATE: _consolidate,
    Policy.NEAREST_EMPTY: _nearest_empty,
    Policy.NEAREST_CAPACITY: _nearest_capacity,
}


def _first_fit(item: PutawayItem, options: Sequence[Candidate]) -> tuple[Candidate | None, str]:
    """The first option that fits, or None and why the first few did not."""
    refusals: list[str] = []
    for candidate in options:
        problem = fits(item, candidate)
        if problem is None:
            return candidate, ""
        refusals.append(f"{candidate.code} {problem}")
    more = len(refusals) - _NOTES_SHOWN
    return None, "; ".join(refusals[:_NOTES_SHOWN]) + (f"; and {more} more" if more > 0 else "")


def _holds(candidate: Candidate, item: PutawayItem, *, same_lot: bool) -> bool:
    return any(owner == item.owner_id and sku == item.sku_id and (not same_lot or lot == item.lot_id)
               for owner, sku, lot in candidate.contents)


def _what(item: PutawayItem) -> str:
    return f"lot {item.lot_id} of SKU {item.sku_id}" if item.lot_id is not None else f"SKU {item.sku_id}"


def _is_empty(candidate: Candidate) -> bool:
    return not candidate.contents and not (candidate.used_units or candidate.used_volume
                                           or candidate.used_weight or candidate.used_pallets)


def _capacity_problem(item: PutawayItem, candidate: Candidate) -> str | None:
    volume = item.quantity * item.unit_volume if item.unit_volume is not None else None
    weight = item.quantity * item.unit_weight if item.unit_weight is not None else None
    limits: tuple[tuple[str, Decimal | int | None, Decimal | int, Decimal | int | None], ...] = (
        ("units", candidate.max_units, candidate.used_units, item.quantity),
        ("volume", candidate.max_volume, candidate.used_volume, volume),
        ("weight", candidate.max_weight, candidate.used_weight, weight),
        ("pallets", candidate.max_pallets, candidate.used_pallets, item.pallets),
    )
    for kind, limit, used, needed in limits:
        if limit is not None and needed is not None and used + needed > limit:
            return f"has room for {_num(max(limit - used, 0))} more {kind}, {_num(needed)} needed"
    return None


def _mixing_problem(item: PutawayItem, candidate: Candidate) -> str | None:
    for owner, sku, lot in sorted(candidate.contents, key=_content_order):
        same_sku = (owner, sku) == (item.owner_id, item.sku_id)
        if not same_sku and not candidate.mix_skus:
            return f"holds SKU {sku} and does not mix SKUs"
        if same_sku and lot != item.lot_id and not candidate.mix_lots:
            return f"holds {'no lot' if lot is None else f'lot {lot}'} of SKU {sku} and does not mix lots"
    return None


def _content_order(content: tuple[int, int, int | None]) -> tuple[int, int, int]:
    # Lots may be None; sorting keeps the explanation the same from one run to the next.
    owner, sku, lot = content
    return owner, sku, -1 if lot is None else lot


def _by_distance(candidates: Sequence[Candidate], origin: tuple[Decimal, Decimal] | None) -> list[Candidate]:
    """Nearest first by Manhattan distance; locations without coordinates last; then by code and id."""
    def key(candidate: Candidate) -> tuple[bool, Decimal, str, int]:
        distance = _distance(candidate, origin)
        return distance is None, distance or Decimal(0), candidate.code, candidate.location_id

    return sorted(candidates, key=key)


def _distance(candidate: Candidate, origin: tuple[Decimal, Decimal] | None) -> Decimal | None:
    if origin is None or candidate.x is None or candidate.y is None:
        return None
    return abs(candidate.x - origin[0]) + abs(candidate.y - origin[1])


def _distance_note(candidate: Candidate, origin: tuple[Decimal, Decimal] | None) -> str:
    distance = _distance(candidate, origin)
    return "" if distance is None else f" (distance {_num(distance)} from receiving)"


def _num(value: Decimal | int) -> str:
    """A number as people write it: no exponent, no trailing zeros."""
    if isinstance(value, int):
        return str(value)
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
