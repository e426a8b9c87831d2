"""Kits (组合品) and processing work orders (加工), without a database.

A kit is a SKU made of other SKUs of the same owner: each component with the quantity of its base units that one
base unit of the kit holds. A kit may contain another kit, as long as no SKU ends up containing itself. A work
order assembles kits (components consumed, kits produced) or disassembles them (the reverse); what it takes from
a location is chosen first-expiry-first-out across lots and balances.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum

from stockyard.domain.errors import InsufficientStock, InvalidInput
from stockyard.domain.quantity import check_quantity, decimals_of
from stockyard.domain.stock import SkuFacts


class WorkOrderKind(StrEnum):
    ASSEMBLE = "assemble"
    DISASSEMBLE = "disassemble"


@dataclass(frozen=True)
class Component:
    """``quantity`` base units of ``sku_id`` in one base unit of the kit."""

    sku_id: int
    quantity: Decimal


def check_components(kit: SkuFacts, components: Sequence[Component], skus: Mapping[int, SkuFacts],
                     field: str = "components") -> list[Component]:
    """A kit's component list: SKUs that exist (``skus`` holds those the caller may see), belong to the kit's
    owner, are not the kit itself and appear once, each with a positive quantity its base unit can count.
    An empty list is allowed: the SKU is then no longer a kit."""
    checked: list[Component] = []
    seen: set[int] = set()
    for index, component in enumerate(components):
        at = f"{field}[{index}]"
        sku = skus.get(component.sku_id)
        if sku is None:
            raise InvalidInput(f"SKU {component.sku_id} does not exist", field=f"{at}.component_sku_id",
                               code="unknown_sku")
        if sku.id == kit.id:
            raise InvalidInput("a kit cannot contain itself", field=f"{at}.component_sku_id", code="kit_cycle",
                               details={"path": [kit.id, kit.id]})
        if sku.owner_id != kit.owner_id:
            raise InvalidInput(f"SKU {sku.id} belongs to another owner than the kit",
                               field=f"{at}.component_sku_id", code="sku_of_other_owner")
        if not sku.active:
            raise InvalidInput(f"SKU {sku.id} is inactive", field=f"{at}.component_sku_id", code="inactive_sku")
        if sku.id in seen:
            raise InvalidInput(f"SKU {sku.id} appears twice", field=f"{at}.component_sku_id",
                               code="duplicate_component")
        seen.add(sku.id)
        quantity = check_quantity(component.quantity, decimals=sku.decimals, field=f"{at}.quantity")
        checked.append(Component(sku.id, quantity))
    return checked


def find_cycle(kit_id: int, component_ids: Iterable[int],
               contents: Mapping[int, Iterable[int]]) -> list[int] | None:
    """The path ``kit → ... → kit`` that giving ``kit_id`` these components would close, or None.

    ``contents`` maps each kit to its current components; the kit's own entry is ignored, as the new list
    replaces it. The search is breadth-first, so the path returned is a shortest one."""
    parent: dict[int, int] = {}
    queue: deque[int] = deque()
    for component in component_ids:
        if component not in parent:
            parent[component] = kit_id
            queue.append(component)
    while queue:
        node = queue.popleft()
        if node == kit_id:
            path = [kit_id]
            step = parent[kit_id]
            while step != kit_id:
                path.append(step)
                step = parent[step]
            path.append(kit_id)
            return path[::-1]
        for child in contents.get(node, ()):
            if child not in parent:
                parent[child] = node
                queue.append(child)
    return None


@dataclass(frozen=True)
class Need:
    """What one component line of a work order moves: ``quantity`` base units of ``sku_id``."""

    sku_id: int
    quantity: Decimal


def component_needs(components: Sequence[Component], skus: Mapping[int, SkuFacts], kit_quantity: Decimal,
                    field: str = "quantity") -> list[Need]:
    """Each component's quantity for ``kit_quantity`` kits, exactly: the product must be countable in the
    component's base unit (0.5 per kit of a component counted in whole units needs an even number of kits)."""
    needs: list[Need] = []
    for component in components:
        sku = skus[component.sku_id]
        # Enough digits for any product of two stored quantities (13 + 6 digits each): never rounded.
        with localcontext() as context:
            context.prec = 60
            product = component.quantity * kit_quantity
        if decimals_of(product) > sku.decimals:
            raise InvalidInput(f"{kit_quantity} kits need {product} of SKU {sku.id}, more decimals than its unit "
                               f"allows ({sku.decimals})", field=field, code="component_fraction",
                               details={"sku_id": sku.id, "quantity": str(product)})
        needs.append(Need(sku.id, check_quantity(product, decimals=sku.decimals, field=field)))
    return needs


@dataclass(frozen=True)
class StockSource:
    """Available stock of one item in one bucket of the location a work order takes from."""

    key: str  # the balance key: unique, and a stable last tie-breaker
    lot_id: int | None
    expiry: date | None
    container_id: int | None
    available: Decimal


def fefo_order(sources: Iterable[StockSource]) -> list[StockSource]:
    """First expiry first out: lots by expiry date (earliest first), then lots without one, then stock without a
    lot; among equals the older lot, loose stock before containers, then the balance key."""
    def rank(s: StockSource) -> tuple[int, date, int, int, int, str]:
        group = 2 if s.lot_id is None else (0 if s.expiry is not None else 1)
        return (group, s.expiry or date.min, s.lot_id or 0, 0 if s.container_id is None else 1,
                s.container_id or 0, s.key)
    return sorted(sources, key=rank)


def fefo_split(needed: Decimal, sources: Iterable[StockSource], *, sku_id: int, label: str,
               field: str = "quantity") -> list[tuple[StockSource, Decimal]]:
    """Take ``needed`` from the sources in FEFO order, each at most what it has available; refused when all of
    them together do not have enough (nothing is taken then)."""
    picks: list[tuple[StockSource, Decimal]] = []
    remaining = needed
    for source in fefo_order(sources):
        if remaining <= 0:
            break
        if source.available <= 0:
            continue
        take = min(source.available, remaining)
        picks.append((source, take))
        remaining -= take
    if remaining > 0:
        available = needed - remaining
        raise InsufficientStock(f"not enough available {label} at the location: {needed} needed, {available} "
                                "available", field=field,
                                details={"sku_id": sku_id, "needed": str(needed), "available": str(available)})
    return picks
