"""Demo sign-ins: one user per built-in role, sharing a password made up when the demo is loaded.

Nothing here runs in a production set-up: the first administrator there comes from ``stockyard user create``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import SYSTEM, BuiltinRole
from stockyard.services import access


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    scope: str


def create_demo_users(db: Database) -> tuple[str, list[DemoLogin]] | None:
    """Create the demo users unless they exist; returns the shared password and who was created."""
    if db.read(lambda conn: conn.execute(select(t.app_user.c.id).limit(1)).first()) is not None:
        return None
    first = db.read(lambda conn: conn.execute(select(t.warehouse.c.id, t.warehouse.c.code)
                                              .order_by(t.warehouse.c.id).limit(1)).first())
    password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
    here = [first.id] if first else None
    where = f"warehouse {first.code}" if first else "everywhere"
    plan = [("admin", BuiltinRole.SYSTEM_ADMINISTRATOR, None), ("manager", BuiltinRole.WAREHOUSE_MANAGER, here),
            ("operator", BuiltinRole.OPERATOR, here), ("analyst", BuiltinRole.DATA_ANALYST, None),
            ("itsupport", BuiltinRole.IT_SUPPORT, None), ("coordinator", BuiltinRole.COORDINATOR, None),
            ("finance", BuiltinRole.FINANCE, None)]
    created = []
    for username, role, warehouses in plan:
        access.create_user(db, SYSTEM, access.NewUser(
            username=username, display_name=f"Demo {role.replace('_', ' ')}", password=password, roles=[role],
            warehouse_ids=warehouses))
        created.append(DemoLogin(username, role, where if warehouses else "everywhere"))
    return password, created
