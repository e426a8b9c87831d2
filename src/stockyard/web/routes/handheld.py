"""Handheld screens of inbound and inventory work: receive, put away, move, replenish, count, "what is this?".

Each flow is a pair of functions over the shared frame (``web.handheld_frame``): ``show`` draws the step a state
is at, ``answer`` takes a scan at that step, calls the service the API calls and returns the next step."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from stockyard.api.deps import get_db
from stockyard.config import get_settings
from stockyard.db.engine import Database
from stockyard.domain.access import Principal
from stockyard.domain.errors import InvalidInput
from stockyard.services import counts, handheld, inventory, lookup, putaway, receiving, replenishment
from stockyard.web import core, i18n
from stockyard.web.deps import Csrf, page
from stockyard.web.handheld_frame import Step, read_scan, read_state, render_step
from stockyard.web.handheld_frame import state_id as _int
from stockyard.web.i18n import N_

router = APIRouter(include_in_schema=False)

STATUSES = {"available": N_("available"), "qc": N_("in QC"), "frozen": N_("frozen"), "damaged": N_("damaged"),
            "return_to_vendor": N_("return to vendor")}
PACK_LEVELS = {"each": N_("each"), "inner": N_("inner packs"), "case": N_("cases"), "pallet": N_("pallets")}


@dataclass(frozen=True)
class Flow:
    name: str
    title: str
    permission: str
    keys: tuple[str, ...]  # the state's fields
    show: Callable[[Request, Database, Principal, dict[str, str]], Step]
    answer: Callable[[Request, Database, Principal, dict[str, str], str], Step]


def _render(request: Request, principal: Principal, flow: Flow, step: Step) -> Response:
    return render_step(request, principal, flow=flow.name, title=flow.title, step=step, state=step.state,
                       template=f"handheld/{flow.name}_step.html", stylesheet="handheld_inbound.css")


def _register(flow: Flow) -> Flow:
    """The flow's two routes: GET draws the step its URL is at, POST answers a scan."""
    allowed: Any = page(flow.permission)  # a default, not an Annotated type: annotations are strings here

    def show(request: Request, principal: Principal = allowed) -> Response:
        state = read_state(request.query_params, flow.keys)
        return _render(request, principal, flow, flow.show(request, get_db(request), principal, state))

    async def answer(request: Request, principal: Principal = allowed) -> Response:
        form = await request.form()
        state = read_state(form, flow.keys)
        scan = read_scan(form) or ""  # required: never empty here
        return _render(request, principal, flow, flow.answer(request, get_db(request), principal, state, scan))
    router.add_api_route(f"/m/{flow.name}", show, methods=["GET"], name=f"handheld_{flow.name}")
    router.add_api_route(f"/m/{flow.name}", answer, methods=["POST"], dependencies=[Csrf],
                         name=f"handheld_{flow.name}_scan")
    return flow


def _quantity(text: str, field: str = "quantity") -> Decimal:
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise InvalidInput(f"{text} is not a number", field=field) from None
    if not value.is_finite() or value <= 0 or value >= Decimal(10) ** 12:
        raise InvalidInput("a quantity greater than zero", field=field)
    return value


def _date(text: str, field: str = "expiry_date") -> date:
    """A date as typed (2027-03-31) or as printed on labels (270331, 20270331)."""
    cleaned = text.strip().replace("/", "-").replace(".", "-")
    for form in ("%Y-%m-%d", "%Y%m%d", "%y%m%d"):
        try:
            return datetime.strptime(cleaned, form).date()
        except ValueError:
            continue
    raise InvalidInput(f"{text} is not a date (year-month-day, e.g. 2027-03-31)", field=field)


def _fmt(request: Request) -> i18n.Formats:
    return i18n.Formats(core.language_of(request), get_settings().timezone)


def _without(state: Mapping[str, str], *keys: str) -> dict[str, str]:
    return {k: v for k, v in state.items() if k not in keys}


# ---------------------------------------------------------------- receive


def _receive_show(request: Request, db: Database, principal: Principal, state: dict[str, str]) -> Step:
    receipt_id = _int(state, "receipt_id")
    if receipt_id is None:
        return Step("receipt", {}, {"receipts": handheld.open_receipts(db, principal)})
    receipt = handheld.receipt(db, principal, receipt_id)
    context: dict[str, Any] = {"receipt": receipt}
    dock_id = _int(state, "dock_id")
    if dock_id is None:
        return Step("dock", {"receipt_id": str(receipt_id)},
                    {**context, "docks": handheld.docks(db, principal, receipt["warehouse_id"])})
    context["dock"] = handheld.place(db, principal, dock_id, field="dock_id")
    base = {"receipt_id": str(receipt_id), "dock_id": str(dock_id)}
    item_scan = state.get("item")
    if item_scan is None:
        return Step("item", base, context)
    item = handheld.receiving_item(db, principal, receipt_id, item_scan, field="item")
    context.update(item=item, unit=PACK_LEVELS.get(item.level.value, item.level.value))
    state = {**base, **{k: v for k, v in state.items() if k in ("item", "lot", "expiry")}}
    context.update(lot=state.get("lot") or item.lot,
                   expiry=_date(state["expiry"]) if "expiry" in state else item.expiry)
    if item.needs_lot and "lot" not in state:
        return Step("lot", state, context)
    if item.needs_expiry and "expiry" not in state:
        return Step("expiry", state, context)
    return Step("serial" if item.needs_serial else "quantity", state, context)


def _receive_answer(request: Request, db: Database, principal: Principal, state: dict[str, str],
                    scan: str) -> Step:
    step = _receive_show(request, db, principal, state)
    if step.at == "receipt":
        return _receive_show(request, db, principal, {"receipt_id": str(handheld.receipt_by_scan(db, principal,
                                                                                                 scan))})
    if step.at == "dock":
        receipt = step.context["receipt"]
        dock = handheld.location_by_code(db, principal, scan, field="dock", warehouse_id=receipt["warehouse_id"])
        return _receive_show(request, db, principal, {**step.state, "dock_id": str(dock.id)})
    if step.at == "item":
        handheld.receiving_item(db, principal, int(step.state["receipt_id"]), scan)
        after = _receive_show(request, db, principal, {**step.state, "item": scan})
        item = after.context["item"]
        if item.count is not None and after.at == "quantity":
            return _receive_post(request, db, principal, after.state, None)
        return after
    if step.at == "lot":
        return _ready_or_post(request, db, principal, {**step.state, "lot": scan})
    if step.at == "expiry":
        return _ready_or_post(request, db, principal, {**step.state, "expiry": _date(scan).isoformat()})
    if step.at == "serial":
        return _receive_post(request, db, principal, step.state, None, serial=scan)
    return _receive_post(request, db, principal, step.state, _quantity(scan))


def _ready_or_post(request: Request, db: Database, principal: Principal, state: dict[str, str]) -> Step:
    """After the lot or expiry: the quantity, unless the barcode carried it."""
    after = _receive_show(request, db, principal, state)
    if after.at == "quantity" and after.context["item"].count is not None:
        return _receive_post(request, db, principal, after.state, None)
    return after


def _receive_post(request: Request, db: Database, principal: Principal, state: dict[str, str],
                  quantity: Decimal | None, *, serial: str | None = None) -> Step:
    receipt_id, dock_id = int(state["receipt_id"]), int(state["dock_id"])
    expiry = _date(state["expiry"]) if "expiry" in state else None
    done = receiving.receive(db, principal, receipt_id, receiving.Receive(
        location_id=dock_id, scan=state["item"], quantity=quantity, lot=state.get("lot"), expiry=expiry,
        serials=(serial,) if serial else ()))
    _ = core.gettext_for(request)
    step = _receive_show(request, db, principal, {"receipt_id": str(receipt_id), "dock_id": str(dock_id)})
    code = next(x["sku_code"] for x in step.context["receipt"]["lines"] if x["id"] == done["line_id"])
    text = _("Received %(quantity)s × %(sku)s") % {"quantity": _fmt(request).number(done["quantity"]), "sku": code}
    if done["status"] == "qc":
        text += " · " + _("to quality inspection")
    step.ok = text
    step.context["putaway_ids"] = [int(task["id"]) for task in done["putaway_tasks"]]
    return step


RECEIVE = _register(Flow("receive", N_("Receive"), "inbound.receive",
                         ("receipt_id", "dock_id", "item", "lot", "expiry"), _receive_show, _receive_answer))



# ---------------------------------------------------------------- putaway and replenishment: task by task


def _task_step(db: Database, principal: Principal, kind: str, state: dict[str, str]) -> Step:
    task_id = _int(state, "task_id")
    view = handheld.task(db, principal, task_id, kind) if task_id is not None else handheld.next_task(
        db, principal, kind, after=_int(state, "after"))
    if view is None:
        return Step("none", {})
    at = "target" if kind == handheld.PUTAWAY or state.get("picked") == "1" else "source"
    kept = {"task_id": str(view.id), **({"picked": "1"} if at == "target" and kind != handheld.PUTAWAY else {})}
    return Step(at, kept, {"task": view})


def _putaway_show(request: Request, db: Database, principal: Principal, state: dict[str, str]) -> Step:
    return _task_step(db, principal, handheld.PUTAWAY, state)


def _putaway_answer(request: Request, db: Database, principal: Principal, state: dict[str, str],
                    scan: str) -> Step:
    step = _putaway_show(request, db, principal, state)
    if step.at == "none":
        return step
    view: handheld.TaskView = step.context["task"]
    if scan == "@skip":  # the "another task" button
        return _putaway_show(request, db, principal, {"after": str(view.id)})
    handheld.check_same_place(view.target, scan)
    done = putaway.confirm_putaway(db, principal, view.id, putaway.Confirmation(location_code=scan))
    _ = core.gettext_for(request)
    after = _putaway_show(request, db, principal, {})
    after.ok = _("Put away %(quantity)s × %(sku)s in %(location)s") % {
        "quantity": _fmt(request).number(done["done_quantity"]), "sku": view.sku_code, "location": scan}
    return after


PUTAWAY = _register(Flow("putaway", N_("Put away"), "inbound.receive",
                         ("task_id", "after"), _putaway_show, _putaway_answer))



def _replenish_show(request: Request, db: Database, principal: Principal, state: dict[str, str]) -> Step:
    return _task_step(db, principal, replenishment.KIND, state)


def _replenish_answer(request: Request, db: Database, principal: Principal, state: dict[str, str],
                      scan: str) -> Step:
    step = _replenish_show(request, db, principal, state)
    if step.at == "none":
        return step
    view: handheld.TaskView = step.context["task"]
    if scan == "@skip":
        return _replenish_show(request, db, principal, {"after": str(view.id)})
    if step.at == "source":
        handheld.check_same_place(view.source, scan)
        return _replenish_show(request, db, principal, {"task_id": str(view.id), "picked": "1"})
    replenishment.confirm(db, principal, view.id, replenishment.Confirmation(location_code=scan))
    _ = core.gettext_for(request)
    after = _replenish_show(request, db, principal, {})
    after.ok = _("Replenished %(quantity)s × %(sku)s to %(location)s") % {
        "quantity": _fmt(request).number(view.quantity), "sku": view.sku_code, "location": scan}
    return after


REPLENISH = _register(Flow("replenish", N_("Replenish"), "inventory.move",
                         ("task_id", "after", "picked"), _replenish_show, _replenish_answer))



# ---------------------------------------------------------------- move


def _move_show(request: Request, db: Database, principal: Principal, state: dict[str, str]) -> Step:
    from_id = _int(state, "from_id")
    if from_id is None:
        return Step("from", {})
    source = handheld.place(db, principal, from_id, field="from_id")
    context: dict[str, Any] = {"source": source}
    key = state.get("item")
    if key is None:
        return Step("item", {"from_id": str(from_id)}, context)
    context["stock"] = handheld.bucket_here(db, principal, from_id, key)
    base = {"from_id": str(from_id), "item": key}
    if "quantity" not in state:
        return Step("quantity", base, context)
    quantity = _quantity(state["quantity"])
    handheld.check_move_quantity(context["stock"], quantity)
    return Step("to", {**base, "quantity": state["quantity"]}, {**context, "quantity": quantity})


def _move_answer(request: Request, db: Database, principal: Principal, state: dict[str, str], scan: str) -> Step:
    step = _move_show(request, db, principal, state)
    if step.at == "from":
        source = handheld.location_by_code(db, principal, scan, field="from_location")
        return _move_show(request, db, principal, {"from_id": str(source.id)})
    if step.at == "item":
        if scan.startswith("@bucket:"):  # one of the choices offered when the item is there in several lots
            return _move_show(request, db, principal, {**step.state, "item": scan.removeprefix("@bucket:")})
        found = handheld.stock_here(db, principal, int(step.state["from_id"]), scan)
        if len(found) > 1:
            return Step("choose", step.state, {**step.context, "choices": found})
        return _move_show(request, db, principal, {**step.state, "item": found[0].key})
    if step.at == "quantity":
        handheld.check_move_quantity(step.context["stock"], _quantity(scan))
        return _move_show(request, db, principal, {**step.state, "quantity": scan})
    return _move_post(request, db, principal, step, scan)


def _move_post(request: Request, db: Database, principal: Principal, step: Step, scan: str) -> Step:
    stock: handheld.StockHere = step.context["stock"]
    source: handheld.Place = step.context["source"]
    done = inventory.move(db, principal, inventory.Move(
        from_location_id=source.id, to_location_code=scan, container_id=stock.container_id,
        owner_id=stock.owner_id, sku_id=stock.sku_id, lot_id=stock.lot_id, serial=stock.serial, status=stock.status,
        quantity=step.context["quantity"]))
    _ = core.gettext_for(request)
    after = _move_show(request, db, principal, {})
    after.ok = _("Moved %(quantity)s × %(sku)s from %(source)s to %(target)s") % {
        "quantity": _fmt(request).number(done["quantity"]), "sku": stock.sku_code, "source": source.code,
        "target": scan}
    return after


MOVE = _register(Flow("move", N_("Move"), "inventory.move",
                         ("from_id", "item", "quantity"), _move_show, _move_answer))



# ---------------------------------------------------------------- count


def _count_show(request: Request, db: Database, principal: Principal, state: dict[str, str]) -> Step:
    count_id, line_id = _int(state, "count_id"), _int(state, "line_id")
    line = handheld.count_line(db, principal, count_id, line_id) if count_id is not None and line_id is not None \
        else handheld.next_count_line(db, principal, after=_int(state, "after"))
    if line is None:
        return Step("none", {})
    base = {"count_id": str(line.count_id), "line_id": str(line.line_id)}
    at = state.get("at")
    if at in FOUND_STEPS and line_id == line.line_id and state.get("found"):
        kept = {k: state[k] for k in ("found", "lot") if state.get(k)}
        found = handheld.found_item(db, principal, line, state["found"])
        return Step(at, {**base, "at": at, **kept}, {"line": line, "found": found})
    if at in ("item", "quantity", "found") and line_id == line.line_id:
        return Step(at, {**base, "at": at}, {"line": line, "found": None})
    return Step("location", base, {"line": line})


def _count_answer(request: Request, db: Database, principal: Principal, state: dict[str, str], scan: str) -> Step:
    step = _count_show(request, db, principal, state)
    if step.at == "none":
        return step
    line: handheld.CountTask = step.context["line"]
    if scan == "@skip":
        return _count_show(request, db, principal, {"after": str(line.line_id)})
    if scan in ("@found", "@back") or step.at.startswith("found"):
        return _found_answer(request, db, principal, step, scan)
    if step.at == "location":
        handheld.check_same_place(line.location, scan)
        return _count_show(request, db, principal, {**step.state, "at": "item"})
    if step.at == "item":
        handheld.check_count_item(db, line, scan)
        return _count_show(request, db, principal, {**step.state, "at": "quantity"})
    quantity = _counted(scan)
    counts.enter(db, principal, line.count_id, [counts.Entry(quantity=quantity, line_id=line.line_id)])
    _ = core.gettext_for(request)
    after = _count_show(request, db, principal, {"after": str(line.line_id)})
    if after.at != "none" and after.context["line"].line_id == line.line_id:
        after = _count_show(request, db, principal, {})  # the line just counted was the last one left
    after.ok = _("Counted %(quantity)s × %(sku)s in %(location)s") % {
        "quantity": _fmt(request).number(quantity), "sku": line.sku_code, "location": line.location.code}
    return after


FOUND_STEPS = ("found_lot", "found_serial", "found_qty")


def _found_answer(request: Request, db: Database, principal: Principal, step: Step, scan: str) -> Step:
    """Something the line does not name is here too: its item, its lot or serial when asked, how many. It goes
    on the count as a new line; then the counter is back at the line's own item."""
    line: handheld.CountTask = step.context["line"]
    base = {"count_id": str(line.count_id), "line_id": str(line.line_id)}
    if scan == "@back":
        return _count_show(request, db, principal, {**base, "at": "item"})
    if scan == "@found":
        return _count_show(request, db, principal, {**base, "at": "found"})
    state = {**base, **{k: v for k, v in step.state.items() if k in ("found", "lot")}}
    if step.at == "found":
        state["found"] = scan
        item = handheld.found_item(db, principal, line, scan)
    else:
        item = step.context["found"]
    if step.at == "found_lot":
        state["lot"] = scan
    if step.at in ("found", "found_lot"):
        at = "found_lot" if item.needs_lot and "lot" not in state else \
            "found_serial" if item.needs_serial else "found_qty"
        return _count_show(request, db, principal, {**state, "at": at})
    serial, quantity = (scan, Decimal(1)) if step.at == "found_serial" else (None, _counted(scan))
    handheld.enter_found(db, principal, line, item, quantity, lot_number=state.get("lot"), serial=serial)
    _ = core.gettext_for(request)
    after = _count_show(request, db, principal, {**base, "at": "item"})
    after.ok = _("Found %(quantity)s × %(sku)s in %(location)s: added to the count") % {
        "quantity": _fmt(request).number(quantity), "sku": item.sku_code, "location": line.location.code}
    return after


def _counted(text: str) -> Decimal:
    """A counted quantity may be zero: the place was empty."""
    if text.strip() in ("0", "0.0", "0,0"):
        return Decimal(0)
    return _quantity(text)


COUNT = _register(Flow("count", N_("Count"), "inventory.count",
                         ("count_id", "line_id", "at", "after", "found", "lot"), _count_show, _count_answer))



# ---------------------------------------------------------------- what is this?


def _lookup_show(request: Request, db: Database, principal: Principal, state: dict[str, str]) -> Step:
    if "code" not in state:
        return Step("scan", {})
    return Step("found", {"code": state["code"]}, {"findings": lookup.what_is(db, principal, state["code"]),
                                                   "statuses": STATUSES})


def _lookup_answer(request: Request, db: Database, principal: Principal, state: dict[str, str],
                   scan: str) -> Step:
    return _lookup_show(request, db, principal, {"code": scan})


LOOKUP = _register(Flow("lookup", N_("What is this?"), "stock.read",
                         ("code",), _lookup_show, _lookup_answer))

