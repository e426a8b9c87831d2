"""Who is acting. Every API call and CLI command passes one; access control plugs in where it is made."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    name: str
    roles: frozenset[str] = frozenset({"system_administrator"})
    # None means every warehouse / owner; access control narrows these.
    warehouse_ids: frozenset[int] | None = None
    owner_ids: frozenset[int] | None = None


SYSTEM = Principal("system")
