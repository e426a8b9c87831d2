"""The web console and handheld screens, served by the same app as the API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from stockyard.config import get_settings
from stockyard.web.routes import (
    admin,
    dashboard,
    handheld,
    handheld_outbound,
    inbound,
    inventory,
    maps,
    masterdata,
    outbound,
    printing,
    session,
)

STATIC = Path(__file__).parent / "static"
# The front-end libraries the console uses, as npm installed them (package.json and its lock at the root).
VENDOR = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "alpine.min.js": "alpinejs/dist/cdn.min.js",
    "echarts.min.js": "echarts/dist/echarts.min.js",
}


def assets_dir() -> Path:
    configured = get_settings().web_assets_dir
    return Path(configured) if configured else Path(__file__).resolve().parents[3] / "node_modules"


def install(app: FastAPI) -> None:
    """Mount the console's pages and files on the app."""
    @app.get("/static/vendor/{name}", include_in_schema=False)
    def vendor(name: str) -> FileResponse:
        relative = VENDOR.get(name)
        path = assets_dir() / relative if relative else None
        if path is None or not path.is_file():
            raise HTTPException(404, f"no front-end file {name}; run scripts/bootstrap to install them")
        return FileResponse(path, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (session, dashboard, masterdata, maps, inbound, outbound, inventory, admin, handheld,
                   handheld_outbound, printing):
        router = module.router
        app.include_router(router)
