"""The console's menus: what each page is called, where it lives and who may open it.

A person sees only the entries their permissions allow; the route itself checks the same permission, so hiding
an entry is a courtesy, never the protection."""

from __future__ import annotations

from dataclasses import dataclass

from stockyard.domain.access import Principal
from stockyard.web.i18n import N_


@dataclass(frozen=True)
class Entry:
    label: str
    url: str
    permission: str


@dataclass(frozen=True)
class Section:
    label: str
    entries: tuple[Entry, ...]


DESKTOP: tuple[Section, ...] = (
    Section(N_("Overview"), (
        Entry(N_("Dashboard"), "/", "stock.read"),
    )),
    Section(N_("Master data"), (
        Entry(N_("Warehouses"), "/masterdata/warehouses", "masterdata.read"),
        Entry(N_("Zones"), "/masterdata/zones", "masterdata.read"),
        Entry(N_("Locations"), "/masterdata/locations", "masterdata.read"),
        Entry(N_("Aisle map"), "/masterdata/map", "masterdata.read"),
        Entry(N_("Owners"), "/masterdata/owners", "masterdata.read"),
        Entry(N_("SKUs"), "/masterdata/skus", "masterdata.read"),
        Entry(N_("Lots"), "/masterdata/lots", "masterdata.read"),
        Entry(N_("Suppliers"), "/masterdata/suppliers", "masterdata.read"),
        Entry(N_("Customers"), "/masterdata/customers", "masterdata.read"),
        Entry(N_("Carriers"), "/masterdata/carriers", "masterdata.read"),
        Entry(N_("Containers"), "/masterdata/containers", "masterdata.read"),
    )),
    Section(N_("Inbound"), (
        Entry(N_("Receipt orders"), "/inbound/receipts", "inbound.read"),
        Entry(N_("QC queue"), "/inbound/qc", "inbound.read"),
        Entry(N_("Putaway tasks"), "/inbound/putaway", "inbound.read"),
    )),
    Section(N_("Outbound"), (
        Entry(N_("Shipment orders"), "/outbound/orders", "stock.read"),
        Entry(N_("Waves"), "/outbound/waves", "outbound.wave"),
        Entry(N_("Pick trips"), "/outbound/trips", "outbound.wave"),
        Entry(N_("Packing and shipping"), "/outbound/packing", "outbound.pack"),
    )),
    Section(N_("Inventory"), (
        Entry(N_("Balances"), "/inventory/balances", "stock.read"),
        Entry(N_("Movements"), "/inventory/movements", "stock.read"),
        Entry(N_("Counts"), "/inventory/counts", "inventory.count"),
        Entry(N_("Adjustments"), "/inventory/adjustments", "stock.adjust"),
        Entry(N_("Approvals"), "/inventory/approvals", "approvals.read"),
        Entry(N_("Freezes"), "/inventory/freezes", "inventory.freeze"),
        Entry(N_("Transfers"), "/inventory/transfers", "inventory.transfer"),
    )),
    Section(N_("Administration"), (
        Entry(N_("Users"), "/admin/users", "users.read"),
        Entry(N_("Roles"), "/admin/roles", "users.read"),
        Entry(N_("Audit log"), "/admin/audit", "audit.read"),
    )),
)

HANDHELD: tuple[Entry, ...] = (
    Entry(N_("Receive"), "/m/receive", "inbound.receive"),
    Entry(N_("Put away"), "/m/putaway", "inbound.receive"),
    Entry(N_("Pick"), "/m/pick", "outbound.pick"),
    Entry(N_("Sort to wall"), "/m/sort", "outbound.pick"),
    Entry(N_("Check and pack"), "/m/pack", "outbound.pack"),
    Entry(N_("Ship"), "/m/ship", "outbound.ship"),
    Entry(N_("Move"), "/m/move", "inventory.move"),
    Entry(N_("Replenish"), "/m/replenish", "inventory.move"),
    Entry(N_("Count"), "/m/count", "inventory.count"),
    Entry(N_("What is this?"), "/m/lookup", "stock.read"),
)

# Roles whose work is done on a handheld: after signing in they land on its menu, not the desktop console.
_HANDHELD_ROLES = frozenset({"operator"})


def desktop_sections(principal: Principal) -> list[Section]:
    shown = [Section(s.label, tuple(e for e in s.entries if principal.can(e.permission))) for s in DESKTOP]
    return [s for s in shown if s.entries]


def handheld_flows(principal: Principal) -> list[Entry]:
    return [e for e in HANDHELD if principal.can(e.permission)]


def landing_page(principal: Principal) -> str:
    """Where a person starts after signing in: operators on the handheld menu, everyone else on the console."""
    if principal.roles and set(principal.roles) <= _HANDHELD_ROLES:
        return "/m"
    return "/" if principal.can("stock.read") else next(
        (e.url for s in desktop_sections(principal) for e in s.entries), "/m")
