"""REST endpoints for master data: the same five operations for every kind of record."""

# No "from __future__ import annotations" here: the routes are built per entity with their types as values.


from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field, create_model

from stockyard.api import schemas as s
from stockyard.api.deps import DbDep, MasterdataRead, MasterdataWrite
from stockyard.services import masterdata as md

router = APIRouter()

_FILTER_TYPES: dict[str, Any] = {"active": bool, "lot_control": bool, "expiry_control": bool,
                                 "serial_control": bool, "expiry_date": date}


def _filter_model(entity: md.Entity) -> type[BaseModel]:
    fields: dict[str, Any] = {
        name: (_FILTER_TYPES.get(name, int if name.endswith("_id") else str) | None, None)
        for name in entity.filters}
    fields["q"] = (str | None, Field(None, description="text contained in the code or name"))
    fields["cursor"] = (int | None, Field(None, description="next_cursor of the previous page"))
    fields["limit"] = (int, Field(50, ge=1, le=500))
    return create_model(f"{entity.table.name.title()}Filter", __config__=ConfigDict(extra="forbid"), **fields)


def register(path: str, entity: md.Entity, create_schema: type[BaseModel], update_schema: type[BaseModel],
             out: type[BaseModel], tag: str) -> None:
    filters = _filter_model(entity)
    page = s.Page[out]  # type: ignore[valid-type]

    @router.post(f"/{path}", status_code=status.HTTP_201_CREATED, response_model=out, tags=[tag],
                 operation_id=f"create_{entity.table.name}", summary=f"Create a {entity.name}")
    def create(body: create_schema, db: DbDep, principal: MasterdataWrite) -> dict[str, Any]:  # type: ignore[valid-type]
        return md.create(db, entity, body.model_dump(exclude_none=True), principal=principal)  # type: ignore[attr-defined]

    @router.get(f"/{path}", response_model=page, tags=[tag], operation_id=f"list_{entity.table.name}",
                summary=f"List {entity.name} records")
    def list_(params: Annotated[filters, Query()], db: DbDep, principal: MasterdataRead) -> Any:  # type: ignore[valid-type]
        values = params.model_dump()  # type: ignore[attr-defined]
        q, cursor, limit = values.pop("q"), values.pop("cursor"), values.pop("limit")
        result = md.list_records(db, entity, values, q=q, cursor=cursor, limit=limit, principal=principal)
        return {"items": result.items, "next_cursor": result.next_cursor}

    @router.get(f"/{path}/{{record_id}}", response_model=out, tags=[tag],
                operation_id=f"get_{entity.table.name}", summary=f"Read a {entity.name}")
    def read(record_id: int, db: DbDep, principal: MasterdataRead) -> dict[str, Any]:
        return md.get(db, entity, record_id, principal=principal)

    @router.patch(f"/{path}/{{record_id}}", response_model=out, tags=[tag],
                  operation_id=f"update_{entity.table.name}", summary=f"Change a {entity.name}")
    def change(record_id: int, body: update_schema, db: DbDep, principal: MasterdataWrite) -> dict[str, Any]:  # type: ignore[valid-type]
        return md.update_record(db, entity, record_id, body.model_dump(exclude_unset=True),  # type: ignore[attr-defined]
                                principal=principal)

    @router.delete(f"/{path}/{{record_id}}", response_model=out, tags=[tag],
                   operation_id=f"deactivate_{entity.table.name}",
                   summary=f"Deactivate a {entity.name} (records are never deleted)")
    def deactivate(record_id: int, db: DbDep, principal: MasterdataWrite) -> dict[str, Any]:
        return md.deactivate(db, entity, record_id, principal=principal)


register("warehouses", md.WAREHOUSE, s.WarehouseCreate, s.WarehouseUpdate, s.WarehouseOut, "warehouses")
register("zones", md.ZONE, s.ZoneCreate, s.ZoneUpdate, s.ZoneOut, "warehouses")
register("locations", md.LOCATION, s.LocationCreate, s.LocationUpdate, s.LocationOut, "warehouses")
register("owners", md.OWNER, s.OwnerCreate, s.OwnerUpdate, s.OwnerOut, "owners")
register("skus", md.SKU, s.SkuCreate, s.SkuUpdate, s.SkuOut, "skus")
register("lots", md.LOT, s.LotCreate, s.LotUpdate, s.LotOut, "skus")
register("suppliers", md.SUPPLIER, s.PartyCreate, s.PartyUpdate, s.PartyOut, "partners")
register("customers", md.CUSTOMER, s.PartyCreate, s.PartyUpdate, s.PartyOut, "partners")
register("carriers", md.CARRIER, s.CarrierCreate, s.CarrierUpdate, s.CarrierOut, "partners")
register("containers", md.CONTAINER, s.ContainerCreate, s.ContainerUpdate, s.ContainerOut, "containers")
