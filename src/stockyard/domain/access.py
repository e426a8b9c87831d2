"""Who may do what, and where: permissions, the roles of the articles, data scopes and the acting principal."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from stockyard.domain.errors import InvalidInput

# Every action an endpoint or service can require. A new kind of action gets a new entry here, and the built-in
# roles below say who has it.
PERMISSIONS: Mapping[str, str] = {
    "masterdata.read": "read warehouses, locations, owners, SKUs, lots, partners and containers",
    "masterdata.write": "create, change and deactivate master data",
    "stock.read": "read balances and movement history",
    "stock.opening": "post opening stock (go-live)",
    "stock.adjust": "post or request stock adjustments and reversals",
    "stock.allocate": "allocate and release stock",
    "inbound.read": "see receipt orders, receiving progress, QC and putaway tasks",
    "inbound.manage": "create, cancel and close receipt orders; putaway rules and home locations",
    "inbound.receive": "receive stock and confirm putaway tasks",
    "inbound.qc": "record quality inspections",
    "inventory.move": "move stock and containers between locations",
    "inventory.freeze": "freeze and release stock",
    "inventory.ownership": "transfer stock from one owner to another (货权转移)",
    "inventory.count": "plan counts, count and recount",
    "inventory.transfer": "create, ship and receive transfers between warehouses",
    "inventory.kitting": "define kits and run processing work orders (加工)",
    "outbound.wave": "create, release and cancel waves; owner shortage policy",
    "outbound.pick": "confirm picks and report short picks, sort to the put wall",
    "outbound.pack": "check (复核) and pack orders, weigh packages, print packing lists and shipping labels",
    "outbound.ship": "confirm shipments",
    "approvals.read": "see approval requests",
    "approvals.decide": "approve or reject other people's requests",
    "reports.read": "read reports",
    "ledger.verify": "replay the ledger and prove its invariants",
    "users.read": "see users, roles and integration clients",
    "users.manage": "create and change users, roles and scopes; end sessions",
    "clients.manage": "create and revoke integration clients and their tokens",
    "audit.read": "read the audit log",
    "audit.verify": "verify the audit log's hash chain",
}


class BuiltinRole(StrEnum):
    SYSTEM_ADMINISTRATOR = "system_administrator"
    WAREHOUSE_MANAGER = "warehouse_manager"
    OPERATOR = "operator"
    DATA_ANALYST = "data_analyst"
    IT_SUPPORT = "it_support"
    COORDINATOR = "coordinator"
    FINANCE = "finance"


_READ_STOCK = frozenset({"masterdata.read", "stock.read"})
_INBOUND = frozenset({"inbound.read", "inbound.manage", "inbound.receive", "inbound.qc"})
BUILTIN_ROLES: Mapping[str, frozenset[str]] = {
    BuiltinRole.SYSTEM_ADMINISTRATOR: frozenset(PERMISSIONS),
    BuiltinRole.WAREHOUSE_MANAGER: _READ_STOCK | _INBOUND | {
        "inventory.move", "inventory.freeze", "inventory.ownership", "inventory.count", "inventory.transfer",
        "inventory.kitting", "masterdata.write", "stock.opening", "outbound.wave", "outbound.pick", "outbound.pack",
        "outbound.ship",
        "stock.adjust", "stock.allocate", "approvals.read", "approvals.decide", "reports.read", "audit.read",
        "users.read"},
    # Operators act through tasks: receiving, QC, putaway, picking, packing, shipping and counting.
    BuiltinRole.OPERATOR: _READ_STOCK | {"inbound.read", "inbound.receive", "inbound.qc", "inventory.move",
                                         "inventory.count", "inventory.kitting", "outbound.pick",
                                         "outbound.pack", "outbound.ship"},
    BuiltinRole.DATA_ANALYST: _READ_STOCK | {"reports.read", "inbound.read"},
    BuiltinRole.IT_SUPPORT: frozenset({"masterdata.read", "users.read", "users.manage", "clients.manage",
                                       "audit.read", "audit.verify", "ledger.verify"}),
    BuiltinRole.COORDINATOR: _READ_STOCK | {"stock.allocate", "approvals.read", "reports.read", "inbound.read",
                                            "inbound.manage", "inventory.transfer", "outbound.wave"},
    BuiltinRole.FINANCE: frozenset({"reports.read"}),
}

ROLE_CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


def check_permissions(permissions: Iterable[str], field_name: str = "permissions") -> list[str]:
    """Only known permissions, each once, in a stable order."""
    chosen = list(permissions)
    for index, permission in enumerate(chosen):
        if permission not in PERMISSIONS:
            raise InvalidInput(f"unknown permission {permission!r}", field=f"{field_name}[{index}]",
                               code="unknown_permission")
    return sorted(set(chosen))


def check_role_code(code: str) -> str:
    if not ROLE_CODE.match(code):
        raise InvalidInput("a role code is 2-64 lower-case letters, digits or underscores", field="code")
    if code in BUILTIN_ROLES:
        raise InvalidInput(f"{code} is a built-in role", field="code", code="builtin_role")
    return code


MIN_PASSWORD_LENGTH = 12


def check_password(password: str, username: str) -> None:
    """Long enough to resist guessing (length beats composition rules), and not the username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password has at least {MIN_PASSWORD_LENGTH} characters", field="password",
                           code="weak_password")
    if len(password) > 256:
        raise InvalidInput("a password has at most 256 characters", field="password")
    if (username and username.lower() in password.lower()) or len(set(password)) < 4:
        raise InvalidInput("the password is too easy to guess", field="password", code="weak_password")


def permissions_of(roles: Iterable[str], custom: Mapping[str, frozenset[str]]) -> frozenset[str]:
    """The union of the roles' permissions; an unknown or deactivated custom role grants nothing."""
    granted: set[str] = set()
    for role in roles:
        granted |= BUILTIN_ROLES.get(role) or custom.get(role, frozenset())
    return frozenset(granted)


@dataclass(frozen=True)
class Scope:
    """The data a principal may see and act on. ``None`` means every warehouse / zone / owner."""

    warehouse_ids: frozenset[int] | None = None
    zone_ids: frozenset[int] | None = None
    owner_ids: frozenset[int] | None = None

    def allows_warehouse(self, warehouse_id: int | None) -> bool:
        return self.warehouse_ids is None or warehouse_id in self.warehouse_ids

    def allows_zone(self, zone_id: int | None) -> bool:
        return self.zone_ids is None or zone_id in self.zone_ids

    def allows_owner(self, owner_id: int | None) -> bool:
        return self.owner_ids is None or owner_id in self.owner_ids

    def allows_location(self, warehouse_id: int, zone_id: int | None, is_virtual: bool) -> bool:
        # Virtual locations (supplier, customer, adjustment...) have no zone: they belong to whoever may
        # act in their warehouse, or every movement in or out of a zone-scoped operator's zone would fail.
        return self.allows_warehouse(warehouse_id) and (is_virtual or self.allows_zone(zone_id))

    @property
    def unrestricted(self) -> bool:
        return self.warehouse_ids is None and self.zone_ids is None and self.owner_ids is None


def scope_ids(values: Iterable[int] | None) -> frozenset[int] | None:
    return None if values is None else frozenset(int(v) for v in values)


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user (through a session) or an integration client (through a token)."""

    name: str
    permissions: frozenset[str] = frozenset()
    roles: tuple[str, ...] = ()
    scope: Scope = field(default_factory=Scope)
    user_id: int | None = None
    client_id: int | None = None
    client_name: str | None = None
    request_id: str | None = None
    session_id: int | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def warehouse_ids(self) -> frozenset[int] | None:
        return self.scope.warehouse_ids

    @property
    def owner_ids(self) -> frozenset[int] | None:
        return self.scope.owner_ids

    @property
    def zone_ids(self) -> frozenset[int] | None:
        return self.scope.zone_ids


# The principal of work the system does by itself (migrations, the demo, benchmarks, the CLI run by the
# operator of the machine): every permission, every scope.
SYSTEM = Principal("system", permissions=frozenset(PERMISSIONS), roles=(BuiltinRole.SYSTEM_ADMINISTRATOR,))
