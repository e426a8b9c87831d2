"""A small warehouse built through the services, for tests to post stock into."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from stockyard.db.engine import Database
from stockyard.domain.stock import Bucket, Movement, PostingRequest, StockItem, StockStatus, VirtualKind
from stockyard.services import ledger
from stockyard.services import masterdata as md


@dataclass
class World:
    db: Database
    ids: dict[str, int] = field(default_factory=dict)

    def warehouse(self, code: str = "WH1") -> int:
        if code not in self.ids:
            self.ids[code] = md.create(self.db, md.WAREHOUSE, {"code": code, "name": f"Warehouse {code}"})["id"]
        return self.ids[code]

    def virtual(self, kind: VirtualKind, warehouse: str = "WH1") -> int:
        page = md.list_records(self.db, md.LOCATION, {"warehouse_id": self.warehouse(warehouse),
                                                       "virtual_kind": kind.value})
        return int(page.items[0]["id"])

    def location(self, code: str, warehouse: str = "WH1", **extra: Any) -> int:
        key = f"{warehouse}/{code}"
        if key not in self.ids:
            self.ids[key] = md.create(self.db, md.LOCATION, {"warehouse_id": self.warehouse(warehouse),
                                                              "code": code, **extra})["id"]
        return self.ids[key]

    def owner(self, code: str = "ACME") -> int:
        if code not in self.ids:
            self.ids[code] = md.create(self.db, md.OWNER, {"code": code, "name": f"Owner {code}"})["id"]
        return self.ids[code]

    def sku(self, code: str = "SKU1", owner: str = "ACME", **extra: Any) -> int:
        key = f"{owner}/{code}"
        if key not in self.ids:
            self.ids[key] = md.create(self.db, md.SKU, {"owner_id": self.owner(owner), "code": code,
                                                         "name": f"Item {code}", **extra})["id"]
        return self.ids[key]

    def lot(self, number: str, sku: str = "SKU1", owner: str = "ACME", **extra: Any) -> int:
        key = f"{owner}/{sku}/{number}"
        if key not in self.ids:
            self.ids[key] = md.create(self.db, md.LOT, {"sku_id": self.sku(sku, owner), "number": number,
                                                         **extra})["id"]
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
