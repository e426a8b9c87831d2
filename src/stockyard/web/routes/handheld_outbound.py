"""Handheld screens of outbound work: pick, sort to the wall, check and pack, ship.

Each flow is a pair of functions over the shared frame (``web.handheld_frame``): ``show`` draws the step a state
is at, ``answer`` takes a scan (or a button's command) at that step, calls the service the API calls and returns
the next step."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from stockyard.api.deps import get_db
from stockyard.db.engine import Database
from stockyard.domain.access import Principal
from stockyard.domain.errors import InvalidInput
from stockyard.services import orders, packing, picking, waves
from stockyard.web import core
from stockyard.web.deps import Csrf, page
from stockyard.web.handheld_frame import Step, read_scan, read_state, render_step
from stockyard.web.handheld_frame import state_id as _id
from stockyard.web.i18n import N_

router = APIRouter(include_in_schema=False)

Gettext = Callable[[str], str]
Show = Callable[[Database, Principal, dict[str, str]], Step]
Answer = Callable[[Database, Principal, dict[str, str], str | None, str | None, Gettext], Step]


@dataclass(frozen=True)
class Flow:
    name: str
    title: str
    permission: str
    keys: tuple[str, ...]  # the state's fields
    show: Show
    answer: Answer  # (db, principal, state, scan, command, _) -> the next step


def _render(request: Request, principal: Principal, flow: Flow, step: Step) -> Response:
    # The step's name travels in the state too: the outbound flows keep it there rather than derive it.
    state = {**step.state, "at": step.at} if step.at else step.state
    return render_step(request, principal, flow=flow.name, title=flow.title, step=step, state=state,
                       template=f"handheld/out_{flow.name}.html", stylesheet="handheld_outbound.css")


def _register(flow: Flow) -> Flow:
    """The flow's two routes: GET draws the step its URL is at, POST answers a scan or a command."""
    allowed: Any = page(flow.permission)  # a default, not an Annotated type: annotations are strings here

    def show(request: Request, principal: Principal = allowed) -> Response:
        state = read_state(request.query_params, flow.keys)
        return _render(request, principal, flow, flow.show(get_db(request), principal, state))

    async def answer(request: Request, principal: Principal = allowed) -> Response:
        form = await request.form()
        state = read_state(form, flow.keys)
        command = form.get("command")
        command = command if isinstance(command, str) and command else None
        scan = read_scan(form, required=command is None)
        step = flow.answer(get_db(request), principal, state, scan, command, core.gettext_for(request))
        return _render(request, principal, flow, step)
    router.add_api_route(f"/m/{flow.name}", show, methods=["GET"], name=f"handheld_{flow.name}")
    router.add_api_route(f"/m/{flow.name}", answer, methods=["POST"], dependencies=[Csrf],
                         name=f"handheld_{flow.name}_scan")
    return flow


def _number(text: str | None, name: str) -> int:
    """A scanned or typed document number (a trip, a wave): digits, optionally after a letter prefix."""
    value = (text or "").strip().upper().lstrip("TWR#")
    if not value.isdigit() or len(value) > 18:
        raise InvalidInput("scan or type the number", field=name)
    return int(value)


def _quantity(text: str | None) -> Decimal:
    try:
        value = Decimal((text or "").replace(",", "."))
    except InvalidOperation:
        raise InvalidInput("type the quantity as a number", field="quantity") from None
    exponent = value.as_tuple().exponent
    if not value.is_finite() or value <= 0 or not isinstance(exponent, int) or exponent < -6 \
            or value >= Decimal(10) ** 13:
        raise InvalidInput("must be a positive number", field="quantity")
    return value


def _need(scan: str | None) -> str:
    if scan is None:
        raise InvalidInput("scan or type something first", field="scan")
    return scan


# ---------------------------------------------------------------- pick (拣货)


PICK_KEYS = ("trip", "task", "at", "location", "item", "lot", "serial", "qty")
_KEPT = ("location", "item", "lot", "serial", "qty")  # what a stop's steps carry to the next


def _pick_show(db: Database, principal: Principal, state: dict[str, str]) -> Step:
    trip_id = _id(state, "trip")
    if trip_id is None:
        return _trips(db, principal)
    stop = picking.next_stop(db, principal, trip_id)
    task = stop["task"]
    if task is None:
        return Step("done", {"trip": str(trip_id)}, {"stop": stop})
    at = state.get("at", "location")
    if str(task["id"]) != state.get("task") or at not in ("location", "item", "lot", "serial", "qty", "tote",
                                                           "short"):
        at, state = "location", {}  # the stop of the state is done (a reload later): the trip's next one
    kept: dict[str, str] = {k: state[k] for k in _KEPT if k in state}
    return Step(at, {"trip": str(trip_id), "task": str(task["id"]), **kept}, {"stop": stop, "task": task})


def _trips(db: Database, principal: Principal) -> Step:
    """The open trips the person may take: their own first, then those nobody has taken."""
    trips = [r for r in picking.list_trips(db, principal, status="open", limit=500)
             if r["assigned_to"] in (None, principal.name)]
    trips.sort(key=lambda r: (r["assigned_to"] is None, r["id"]))
    return Step("", {}, {"trips": trips[:20]})


def _pick_answer(db: Database, principal: Principal, state: dict[str, str], scan: str | None,
                 command: str | None, _: Gettext) -> Step:
    trip_id, task_id, at = _id(state, "trip"), _id(state, "task"), state.get("at")
    if trip_id is None or task_id is None or at in (None, "done"):
        trip = _number(command or scan, "trip")
        picking.start_trip(db, principal, trip)
        taken = _pick_show(db, principal, {"trip": str(trip)})
        taken.ok = _("Trip %(n)s is yours") % {"n": trip}
        return taken
    base = {"trip": str(trip_id), "task": str(task_id)}
    kept: dict[str, str] = {k: state[k] for k in _KEPT if k in state}
    if command == "empty" and at == "item":  # nothing of it at the location: report the whole stop short
        return _short(db, principal, trip_id, task_id, kept, Decimal(0), _)
    if command == "short" and at == "qty":
        return Step("short", {**base, **kept}, _stop_context(db, principal, trip_id))
    scanned = _need(scan)
    if at == "short":
        return _short(db, principal, trip_id, task_id, kept, _found(scanned), _)
    if at == "location":
        picking.check_pick_step(db, principal, task_id, scanned)
        return Step("item", {**base, "location": scanned}, _stop_context(db, principal, trip_id),
                    ok=_("Location %(code)s") % {"code": scanned})
    location = state.get("location", "")
    if at == "item":
        checked = picking.check_pick_step(db, principal, task_id, location, scanned)
        return _after_item(db, principal, trip_id, {**base, "location": location, "item": scanned}, checked,
                           _("Item %(code)s") % {"code": scanned})
    item, lot = state.get("item", ""), state.get("lot")
    if at == "lot":
        checked = picking.check_pick_step(db, principal, task_id, location, item, scanned)
        return _after_item(db, principal, trip_id, {**base, "location": location, "item": item}, checked,
                           _("Lot %(code)s") % {"code": scanned})
    if at == "tote":  # the last scan of a cluster stop: the order's tote on the cart
        return _confirm(db, principal, trip_id, task_id, picking.PickScan(
            location, item, _quantity(state.get("qty")), lot_number=lot, serial=state.get("serial"), tote=scanned), _)
    # One serial is one unit: the scan of its label is the quantity.
    serial, quantity = (scanned, Decimal(1)) if at == "serial" else (state.get("serial"), _quantity(scanned))
    checked = picking.check_pick_step(db, principal, task_id, location, item, lot, serial=serial, quantity=quantity)
    if checked["tote"]:
        return Step("tote", {**base, **kept, **({"serial": serial} if serial else {}), "qty": str(quantity)},
                    _stop_context(db, principal, trip_id),
                    ok=_("%(qty)s checked: put it into tote %(tote)s") % {"qty": quantity.normalize(),
                                                                          "tote": checked["tote"]})
    return _confirm(db, principal, trip_id, task_id, picking.PickScan(
        location, item, quantity, lot_number=lot, serial=serial), _)


def _after_item(db: Database, principal: Principal, trip_id: int, state: dict[str, str], checked: dict[str, Any],
                ok: str) -> Step:
    """After the item (or its lot): the lot or the serial when the stop still needs one, else the quantity."""
    for key, value in (("lot", checked["lot_number"]), ("serial", checked["serial"])):
        if value:
            state[key] = value
    at = "lot" if checked["needs_lot"] else "serial" if checked["needs_serial"] else "qty"
    return Step(at, state, _stop_context(db, principal, trip_id), ok=ok)


def _confirm(db: Database, principal: Principal, trip_id: int, task_id: int, scan: picking.PickScan,
             _: Gettext) -> Step:
    sku = _stop_context(db, principal, trip_id)["task"]["sku_code"]  # the scan may be a barcode: say the SKU
    picking.confirm_pick(db, principal, task_id, scan)
    step = _pick_show(db, principal, {"trip": str(trip_id)})
    step.ok = _("Picked %(qty)s of %(sku)s") % {"qty": scan.quantity.normalize(), "sku": sku}
    return step


def _found(text: str) -> Decimal:
    """What a short stop still holds: zero when it is empty."""
    return Decimal(0) if text.strip() in ("0", "0.0", "0,0") else _quantity(text)


def _short(db: Database, principal: Principal, trip_id: int, task_id: int, kept: dict[str, str], found: Decimal,
           _: Gettext) -> Step:
    """The location holds less than the stop asks: the service picks what is there, flags the location for a
    count and looks for the rest elsewhere; the picker goes on to the next stop."""
    sku = _stop_context(db, principal, trip_id)["task"]["sku_code"]
    done = picking.short_pick(db, principal, task_id, picking.ShortPick(
        kept.get("location", ""), found, scan=kept.get("item") if found > 0 else None, lot_number=kept.get("lot"),
        serial=kept.get("serial")))
    step = _pick_show(db, principal, {"trip": str(trip_id)})
    text = _("%(n)s of %(sku)s missing: the location will be counted") % {"n": done["missing"].normalize(),
                                                                          "sku": sku}
    rest = _("the rest is added to this trip from another location") if done["replacement_task_ids"] \
        else _("the order line stays short")
    step.ok = f"{text} · {rest}"
    return step


def _stop_context(db: Database, principal: Principal, trip_id: int) -> dict[str, Any]:
    stop = picking.next_stop(db, principal, trip_id)
    return {"stop": stop, "task": stop["task"]}


PICK = _register(Flow("pick", N_("Pick"), "outbound.pick", PICK_KEYS, _pick_show, _pick_answer))



# ---------------------------------------------------------------- sort to the wall (播种)


SORT_KEYS = ("wave", "at", "slot", "order", "sku")


def _sort_show(db: Database, principal: Principal, state: dict[str, str]) -> Step:
    wave_id = _id(state, "wave")
    if wave_id is None:
        return Step("", {})
    wave = waves.get_wave(db, principal, wave_id)
    if state.get("at") == "slot" and "slot" in state:
        return Step("slot", {k: state[k] for k in SORT_KEYS if k in state and k != "at"}, {"wave": wave})
    return Step("item", {"wave": str(wave_id)}, {"wave": wave})


def _sort_answer(db: Database, principal: Principal, state: dict[str, str], scan: str | None,
                 command: str | None, _: Gettext) -> Step:
    wave_id, at, scanned = _id(state, "wave"), state.get("at"), _need(scan)
    if wave_id is None or at not in ("item", "slot"):
        wave = waves.get_wave(db, principal, _number(scanned, "wave"))
        return Step("item", {"wave": str(wave["id"])}, {"wave": wave},
                    ok=_("Wave %(n)s") % {"n": wave["id"]})
    wave = waves.get_wave(db, principal, wave_id)
    if at == "item":
        sorted_ = packing.sort_item(db, principal, wave_id, packing.ItemScan(scanned))
        state = {"wave": str(wave_id), "slot": str(sorted_["slot"]), "order": str(sorted_["external_ref"]),
                 "sku": str(sorted_["sku_code"])}
        ok = _("Order %(ref)s is complete: to check") % {"ref": sorted_["external_ref"]} \
            if sorted_["slot_full"] else None
        return Step("slot", state, {"wave": wave}, ok=ok)
    slot = state.get("slot", "")
    # The item is already counted into its slot; scanning the slot's label proves it went into the right one.
    if scanned.upper().lstrip("S#") != slot:
        raise InvalidInput(f"this is not slot {slot}: put the item into slot {slot}", field="slot",
                           code="wrong_slot")
    return Step("item", {"wave": str(wave_id)}, {"wave": wave},
                ok=_("Sorted into slot %(slot)s") % {"slot": slot})


SORT = _register(Flow("sort", N_("Sort to wall"), "outbound.pick", SORT_KEYS, _sort_show, _sort_answer))



# ---------------------------------------------------------------- check and pack (复核 / 打包)


PACK_KEYS = ("order", "package", "at")


def _order_context(db: Database, principal: Principal, order_id: int) -> dict[str, Any]:
    """The order and its packages, with what is left to check of each line."""
    order = orders.get_order(db, principal, order_id)
    slotted = order["sort_slot"] is not None
    left = [{"sku_code": line["sku_code"], "sku_name": line["sku_name"],
             "left": (line["sorted_quantity"] if slotted else line["picked_quantity"]) - line["packed_quantity"]}
            for line in order["lines"]]
    return {"order": order, "left": [x for x in left if x["left"] > 0],
            "packages": packing.list_packages(db, principal, order_id)}


def _pack_show(db: Database, principal: Principal, state: dict[str, str]) -> Step:
    order_id, package_id = _id(state, "order"), _id(state, "package")
    if order_id is None or package_id is None:
        return Step("", {})
    context = _order_context(db, principal, order_id)
    package = next((p for p in context["packages"] if p["id"] == package_id), None)
    if package is None:
        raise InvalidInput("not a package of this order; start again from the menu", field="package")
    at = "closed" if package["status"] != "open" else state.get("at", "item")
    if at not in ("item", "close", "closed"):
        at = "item"
    return Step(at, {"order": str(order_id), "package": str(package_id)}, {**context, "package": package})


def _pack_answer(db: Database, principal: Principal, state: dict[str, str], scan: str | None,
                 command: str | None, _: Gettext) -> Step:
    order_id, package_id, at = _id(state, "order"), _id(state, "package"), state.get("at")
    if order_id is None or package_id is None or at not in ("item", "close", "closed") or (
            at == "closed" and command != "next"):
        found = packing.find_order(db, principal, _need(scan))
        open_ = next((p for p in found["packages"] if p["status"] == "open"), None)
        package = open_ or packing.open_package(db, principal, found["id"], packing.NewPackage())
        return _pack_step(db, principal, found["id"], package["id"], "item",
                          _("Package %(n)s of order %(ref)s opened") % {"n": package["package_no"],
                                                                       "ref": found["external_ref"]})
    if at == "closed":  # command "next": the order's next package
        package = packing.open_package(db, principal, order_id, packing.NewPackage())
        return _pack_step(db, principal, order_id, package["id"], "item",
                          _("Package %(n)s opened") % {"n": package["package_no"]})
    if at == "item" and command is None:
        packed = packing.pack_item(db, principal, package_id, packing.ItemScan(_need(scan)))
        ok = _("Checked %(sku)s: %(n)s left on the order") % {"sku": packed["sku_code"],
                                                              "n": packed["order_left"].normalize()}
        return _pack_step(db, principal, order_id, package_id, "close" if packed["order_left"] <= 0 else "item",
                          ok)
    if at == "item":  # command "close": close this package now, though items are left
        return _pack_step(db, principal, order_id, package_id, "close", None)
    closed = packing.close_package(db, principal, package_id, packing.ClosePackage(tracking_number=scan))
    ok = _("Order packed: it goes to shipping") if closed["order_status"] == "packed" else _("Package closed")
    return _pack_step(db, principal, order_id, package_id, "closed", ok)


def _pack_step(db: Database, principal: Principal, order_id: int, package_id: int, at: str,
               ok: str | None) -> Step:
    step = _pack_show(db, principal, {"order": str(order_id), "package": str(package_id), "at": at})
    step.ok = ok
    return step


PACK = _register(Flow("pack", N_("Check and pack"), "outbound.pack", PACK_KEYS, _pack_show, _pack_answer))



# ---------------------------------------------------------------- ship (发货)


SHIP_KEYS = ("order", "at")


def _ship_show(db: Database, principal: Principal, state: dict[str, str]) -> Step:
    order_id = _id(state, "order")
    if order_id is None:
        return Step("", {})
    order = orders.get_order(db, principal, order_id)
    return Step("confirm", {"order": str(order_id)},
                {"order": order, "packages": packing.list_packages(db, principal, order_id)})


def _ship_answer(db: Database, principal: Principal, state: dict[str, str], scan: str | None,
                 command: str | None, _: Gettext) -> Step:
    order_id = _id(state, "order")
    if order_id is None or state.get("at") != "confirm":
        found = packing.find_order(db, principal, _need(scan))
        return _ship_show(db, principal, {"order": str(found["id"])})
    # Scanning the order (or a package of it) again confirms as the button does.
    if command != "confirm" and packing.find_order(db, principal, _need(scan))["id"] != order_id:
        raise InvalidInput("this is another order: scan the order on screen", field="scan", code="other_order")
    shipped = packing.ship(db, principal, order_id)
    return Step("", {}, ok=_("Order %(ref)s shipped") % {"ref": shipped["external_ref"]})


SHIP = _register(Flow("ship", N_("Ship"), "outbound.ship", SHIP_KEYS, _ship_show, _ship_answer))

