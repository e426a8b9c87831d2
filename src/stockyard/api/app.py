"""The FastAPI application: ``/api/v1``, OpenAPI at ``/openapi.json``, ``/healthz``."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy import text
from starlette.routing import BaseRoute

from stockyard import __version__
from stockyard.api import (
    access,
    admin,
    approvals,
    audit,
    counts,
    errors,
    inbound,
    inventory,
    kitting,
    masterdata,
    orders,
    packing,
    replenishment,
    stock,
    transfers,
    waves,
)
from stockyard.api.deps import Public, Require, SignedIn
from stockyard.api.idempotency import IdempotencyMiddleware
from stockyard.config import get_settings
from stockyard.db.engine import Database
from stockyard.web import app as web
from stockyard.web import core as web_core


def create_app(db: Database | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            app.state.db.dispose()

    owned = db is None
    app = FastAPI(title="Stockyard", version=__version__, lifespan=lifespan,
                  description="Open-source warehouse management system: master data, inventory ledger, flows.")
    app.state.db = db or Database.from_url(get_settings().database_url)
    errors.install(app, html=web_core.error_response, is_console=web_core.is_console_path)
    app.add_middleware(IdempotencyMiddleware)
    app.middleware("http")(_request_id)
    for router in (access.router, masterdata.router, stock.router, inbound.router, inventory.router, admin.router,
                   audit.router, approvals.router, counts.router, transfers.router, kitting.router,
                   replenishment.router, orders.router, waves.router, packing.router):
        _declare_permissions(router.routes)
        app.include_router(router, prefix="/api/v1")

    @app.get("/healthz", tags=["admin"], operation_id="health", dependencies=[Depends(Public())])
    def healthz() -> dict[str, Any]:
        app.state.db.read(lambda conn: conn.execute(text("SELECT 1")))
        return {"status": "ok", "version": __version__, "database": app.state.db.dialect}

    _declare_permissions(app.router.routes)
    web.install(app)
    return app


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


async def _request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Every request gets an id (the caller's X-Request-ID when it is sane), echoed back and audited."""
    given = request.headers.get("x-request-id", "")
    request.state.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
    response = await call_next(request)
    response.headers["X-Request-ID"] = request.state.request_id
    return response


def _declare_permissions(routes: Sequence[BaseRoute]) -> None:
    """Copy each operation's access check into OpenAPI as ``x-permission``; the matrix test reads it."""
    for route in routes:
        if isinstance(route, APIRoute):
            found = _permissions(route.dependant)
            if len(found) == 1:
                route.openapi_extra = {**(route.openapi_extra or {}), "x-permission": found.pop()}


def _permissions(dependant: Dependant) -> set[str]:
    found: set[str] = set()
    for dep in dependant.dependencies:
        if isinstance(dep.call, Require | Public | SignedIn):
            found.add(dep.call.permission)
        else:
            found |= _permissions(dep)
    return found
