"""A small warehouse built through the services, for tests to post stock into."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, insert

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import SYSTEM
from stockyard.domain.stock import Bucket, Movement, PostingRequest, StockItem, StockStatus, VirtualKind
from stockyard.services import ledger
from stockyard.services import masterdata as md
from stockyard.services.auth import hash_password, open_session


@dataclass
class World:
    db: Database
    ids: dict[str, int] = field(default_factory=dict)

    def warehouse(self, code: str = "WH1") -> int:
        if code not in self.ids:
            self.ids[code] = md.create(self.db, md.WAREHOUSE, {"code": code, "name": f"Warehouse {code}"},
                    principal=SYSTEM)["id"]
        return self.ids[code]

    def virtual(self, kind: VirtualKind, warehouse: str = "WH1") -> int:
        page = md.list_records(self.db, md.LOCATION, {"warehouse_id": self.warehouse(warehouse),
                                                       "virtual_kind": kind.value}, principal=SYSTEM)
        return int(page.items[0]["id"])

    def location(self, code: str, warehouse: str = "WH1", **extra: Any) -> int:
        key = f"{warehouse}/{code}"
        if key not in self.ids:
            self.ids[key] = md.create(self.db, md.LOCATION, {"warehouse_id": self.warehouse(warehouse),
                                                              "code": code, **extra}, principal=SYSTEM)["id"]
        return self.ids[key]

    def owner(self, code: str = "ACME") -> int:
        if code not in self.ids:
            self.ids[code] = md.create(self.db, md.OWNER, {"code": code, "name": f"Owner {code}"},
                    principal=SYSTEM)["id"]
        return self.ids[code]

    def sku(self, code: str = "SKU1", owner: str = "ACME", **extra: Any) -> int:
        key = f"{owner}/{code}"
        if key not in self.ids:
            self.ids[key] = md.create(self.db, md.SKU, {"owner_id": self.owner(owner), "code": code,
                                                         "name": f"Item {code}", **extra}, principal=SYSTEM)["id"]
        return self.ids[key]

    def lot(self, number: str, sku: str = "SKU1", owner: str = "ACME", **extra: Any) -> int:
        key = f"{owner}/{sku}/{number}"
        if key not in self.ids:
            self.ids[key] = md.create(self.db, md.LOT, {"sku_id": self.sku(sku, owner), "number": number,
                                                         **extra}, principal=SYSTEM)["id"]
        return self.ids[key]

    def item(self, sku: str = "SKU1", owner: str = "ACME", lot: int | None = None,
             serial: str | None = None) -> StockItem:
        return StockItem(self.owner(owner), self.sku(sku, owner), lot, serial)

    def receive(self, location: int, quantity: str | int, item: StockItem | None = None,
                status: StockStatus = StockStatus.AVAILABLE, container: int | None = None) -> int:
        """Post stock from the supplier location into ``location``; returns the posting id."""
        item = item or self.item()
        supplier = self.virtual(VirtualKind.SUPPLIER)
        written = ledger.post(self.db, PostingRequest("RECEIPT", [Movement(
            item, Bucket(supplier), Bucket(location, container, status), Decimal(quantity))], user="test"))
        return written.posting_id


def make_user(db: Database, username: str, *, roles: Sequence[str] = ("system_administrator",),
              warehouse_ids: Sequence[int] | None = None, zone_ids: Sequence[int] | None = None,
              owner_ids: Sequence[int] | None = None, password: str | None = None) -> int:
    """A user written straight to the table (hashing a password only when the test will sign in with it)."""
    password_hash = hash_password(password) if password else "!unusable"

    def work(conn: Connection) -> int:
        return int(conn.execute(insert(t.app_user).values(
            username=username, display_name=username.title(), password_hash=password_hash, roles=list(roles),
            warehouse_ids=None if warehouse_ids is None else list(warehouse_ids),
            zone_ids=None if zone_ids is None else list(zone_ids),
            owner_ids=None if owner_ids is None else list(owner_ids)).returning(t.app_user.c.id)).scalar_one())
    return db.write(work)


def bearer(db: Database, username: str, **user: Any) -> dict[str, str]:
    """Headers of a signed-in user, made without the cost of Argon2 (tests of sign-in itself use the API)."""
    user_id = make_user(db, username, **user)
    token, _ = db.write(lambda conn: open_session(conn, user_id))
    return {"Authorization": f"Bearer {token}"}
