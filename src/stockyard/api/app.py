"""The FastAPI application: ``/api/v1``, OpenAPI at ``/openapi.json``, ``/healthz``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text

from stockyard import __version__
from stockyard.api import admin, errors, masterdata, stock
from stockyard.api.idempotency import IdempotencyMiddleware
from stockyard.config import get_settings
from stockyard.db.engine import Database


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
    errors.install(app)
    app.add_middleware(IdempotencyMiddleware)
    for router in (masterdata.router, stock.router, admin.router):
        app.include_router(router, prefix="/api/v1")

    @app.get("/healthz", tags=["admin"], operation_id="health")
    def healthz() -> dict[str, Any]:
        app.state.db.read(lambda conn: conn.execute(text("SELECT 1")))
        return {"status": "ok", "version": __version__, "database": app.state.db.dialect}

    return app
