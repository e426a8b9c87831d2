"""Console pages: the home dashboard, per warehouse or across the person's warehouses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from stockyard.api.deps import get_db
from stockyard.config import get_settings
from stockyard.domain.access import Principal
from stockyard.services import masterdata as md
from stockyard.services import overview
from stockyard.web import core
from stockyard.web.deps import page
from stockyard.web.i18n import N_

router = APIRouter(include_in_schema=False)

TASK_KINDS = {"putaway": N_("Putaway"), "pick": N_("Picking"), "replenish": N_("Replenishment"),
              "move": N_("Move"), "count": N_("Count")}
AGE_LABELS = {"under_1h": N_("Under 1 hour"), "1h_4h": N_("1 to 4 hours"), "4h_24h": N_("4 to 24 hours"),
              "over_24h": N_("Over 24 hours")}
STATUS_LABELS = {"available": N_("Available"), "qc": N_("In QC"), "frozen": N_("Frozen"), "damaged": N_("Damaged"),
                 "return_to_vendor": N_("Return to vendor")}


@router.get("/")
def home(request: Request, principal: Annotated[Principal, page("stock.read")],
         warehouse_id: int | None = None) -> Response:
    db = get_db(request)
    warehouses = md.list_records(db, md.WAREHOUSE, {"active": True}, limit=200, principal=principal).items
    today = datetime.now(ZoneInfo(get_settings().timezone)).date()
    figures = overview.dashboard(db, principal, warehouse_id=warehouse_id, today=today)
    gettext = core.gettext_for(request)
    charts = {
        "tasks": {"kinds": [gettext(TASK_KINDS.get(k, k)) for k in figures.tasks],
                  "series": [{"name": gettext(label), "data": [figures.tasks[k].get(age, 0) for k in figures.tasks]}
                             for age, label in AGE_LABELS.items()]},
        "zones": _zones(figures, gettext),
    }
    return core.render(request, "desktop/dashboard.html", {
        "title": N_("Dashboard"), "figures": figures, "warehouses": warehouses, "warehouse_id": warehouse_id,
        "today": today, "charts": charts, "task_kinds": TASK_KINDS, "ages": AGE_LABELS}, principal=principal)


def _zones(figures: overview.Dashboard, translate: Callable[[str], str]) -> dict[str, object]:
    zones = sorted({z["zone"] for z in figures.stock_by_zone})
    statuses = sorted({z["status"] for z in figures.stock_by_zone})
    cell = {(z["zone"], z["status"]): float(z["on_hand"]) for z in figures.stock_by_zone}
    return {"zones": zones, "series": [{"name": translate(STATUS_LABELS.get(s, s)),
                                        "data": [cell.get((z, s), 0) for z in zones]} for s in statuses]}
