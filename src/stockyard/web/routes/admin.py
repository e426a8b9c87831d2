"""Console pages: users (new, edit, password, sign out everywhere), roles (built-in read-only, custom ones made
and edited here) and the audit log with its verification.

The forms are checked by the same schemas the API uses and go to the same services, which refuse granting more
than one holds and disabling the last administrator; the refusal is shown in place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from stockyard.api import access as api
from stockyard.api.deps import get_db
from stockyard.db.engine import Database
from stockyard.domain.access import PERMISSIONS, BuiltinRole, Principal
from stockyard.domain.errors import InvalidInput, NotFound
from stockyard.services import access, audit
from stockyard.services import masterdata as md
from stockyard.web import core, lists
from stockyard.web.deps import Csrf, page
from stockyard.web.i18n import N_

router = APIRouter(include_in_schema=False)

USERS = lists.Listing(
    columns=(lists.Column("username", N_("User name")), lists.Column("display_name", N_("Name")),
             lists.Column("language", N_("Language")), lists.Column("active", N_("Active"), "bool"),
             lists.Column("created_at", N_("Created"), "datetime")),
    filters=(lists.Filter("active", N_("Active"), (("true", N_("Yes")), ("false", N_("No")))),),
    actions=lambda row: [(N_("Open"), f"/admin/users/{row['id']}")],
)

AUDIT = lists.Listing(
    columns=(lists.Column("seq", N_("No."), "number"), lists.Column("at", N_("Time")),
             lists.Column("actor", N_("Actor")), lists.Column("action", N_("Action")),
             lists.Column("object_type", N_("Object")), lists.Column("object_id", N_("Object ID"), sortable=False),
             lists.Column("request_id", N_("Request"), sortable=False)),
    filters=(lists.Filter("actor", N_("Actor")), lists.Filter("action", N_("Action")),
             lists.Filter("object_type", N_("Object"))),
)

ROLE_NAMES = {
    BuiltinRole.SYSTEM_ADMINISTRATOR: N_("System administrator"),
    BuiltinRole.WAREHOUSE_MANAGER: N_("Warehouse manager"),
    BuiltinRole.OPERATOR: N_("Operator"),
    BuiltinRole.DATA_ANALYST: N_("Data analyst"),
    BuiltinRole.IT_SUPPORT: N_("IT support"),
    BuiltinRole.COORDINATOR: N_("Coordinator"),
    BuiltinRole.FINANCE: N_("Finance"),
}

# The areas of the permission catalogue (the part of a code before the dot), in the catalogue's order.
AREAS = {
    "masterdata": N_("Master data"), "stock": N_("Stock"), "inbound": N_("Inbound"), "inventory": N_("Inventory"),
    "outbound": N_("Outbound"), "approvals": N_("Approvals"), "reports": N_("Reports"), "ledger": N_("Ledger"),
    "users": N_("Users"), "clients": N_("Integration clients"), "audit": N_("Audit log"),
}

# What each permission allows, as a person reads it (the catalogue's descriptions, for translation).
PERMISSION_TEXTS = {
    "masterdata.read": N_("Read warehouses, locations, owners, SKUs, lots, partners and containers"),
    "masterdata.write": N_("Create, change and deactivate master data"),
    "stock.read": N_("Read balances and movement history"),
    "stock.opening": N_("Post opening stock (go-live)"),
    "stock.adjust": N_("Post or request stock adjustments and reversals"),
    "stock.allocate": N_("Allocate and release stock"),
    "inbound.read": N_("See receipt orders, receiving progress, QC and putaway tasks"),
    "inbound.manage": N_("Create, cancel and close receipt orders; putaway rules and home locations"),
    "inbound.receive": N_("Receive stock and confirm putaway tasks"),
    "inbound.qc": N_("Record quality inspections"),
    "inventory.move": N_("Move stock and containers between locations"),
    "inventory.freeze": N_("Freeze and release stock"),
    "inventory.ownership": N_("Transfer stock from one owner to another"),
    "inventory.count": N_("Plan counts, count and recount"),
    "inventory.transfer": N_("Create, ship and receive transfers between warehouses"),
    "inventory.kitting": N_("Define kits and run processing work orders"),
    "outbound.wave": N_("Create, release and cancel waves; owner shortage policy"),
    "outbound.pick": N_("Confirm picks and report short picks, sort to the put wall"),
    "outbound.pack": N_("Check and pack orders, weigh packages, print packing lists and shipping labels"),
    "outbound.ship": N_("Confirm shipments"),
    "approvals.read": N_("See approval requests"),
    "approvals.decide": N_("Approve or reject other people's requests"),
    "reports.read": N_("Read reports"),
    "ledger.verify": N_("Replay the ledger and prove its invariants"),
    "users.read": N_("See users, roles and integration clients"),
    "users.manage": N_("Create and change users, roles and scopes; end sessions"),
    "clients.manage": N_("Create and revoke integration clients and their tokens"),
    "audit.read": N_("Read the audit log"),
    "audit.verify": N_("Verify the audit log's hash chain"),
}

DONE = {"created": N_("The user was created."), "saved": N_("Saved."),
        "password": N_("The password was set; the user's sessions have ended."),
        "sessions": N_("The user was signed out everywhere."), "role_created": N_("The role was created.")}


def _permission_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The catalogue grouped by area: (area label, [(code, description)])."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, text in PERMISSIONS.items():
        groups.setdefault(code.split(".", 1)[0], []).append((code, PERMISSION_TEXTS.get(code, text)))
    return [(AREAS.get(area, area), items) for area, items in groups.items()]


def _validated(model: type[BaseModel], data: Mapping[str, Any]) -> dict[str, Any]:
    """The form checked by the API's schema; the first problem is a 422 naming its field (``roles``,
    ``warehouse_ids[0]``), before anything is written."""
    try:
        return model.model_validate(data).model_dump(exclude_unset=True)
    except ValidationError as error:
        first = error.errors()[0]
        field = ""
        for part in first["loc"]:
            field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
        raise InvalidInput(first["msg"], field=field or None) from None


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _many(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def _user_fields(form: FormData) -> dict[str, Any]:
    """The fields the new-user and the user forms share; an empty scope list means every one (no limit)."""
    fields: dict[str, Any] = {"display_name": _text(form, "display_name"), "roles": _many(form, "roles"),
                              **{f: (_many(form, f) or None) for f in access.SCOPE_FIELDS}}
    if _text(form, "language"):
        fields["language"] = _text(form, "language")
    return fields


def _choices(db: Database, principal: Principal, user: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the forms offer: the roles (built-in and active custom ones) and the active warehouses, owners and
    zones the person may see; what the user already holds stays listed even when it is no longer active."""
    held = set(user["roles"]) if user else set()
    roles = [r for r in access.list_roles(db) if r["active"] or r["code"] in held]
    selected = {f: set((user or {}).get(f) or ()) for f in access.SCOPE_FIELDS}

    def records(entity: md.Entity, field: str) -> list[dict[str, Any]]:
        rows = md.list_records(db, entity, {}, limit=1000, principal=principal).items
        return [r for r in rows if r["active"] or r["id"] in selected[field]]
    warehouses = records(md.WAREHOUSE, "warehouse_ids")
    codes = {w["id"]: w["code"] for w in md.list_records(db, md.WAREHOUSE, {}, limit=1000,
                                                          principal=principal).items}
    zones = [{**z, "label": f"{codes.get(z['warehouse_id'], z['warehouse_id'])} / {z['code']}"}
             for z in records(md.ZONE, "zone_ids")]
    return {"role_choices": roles, "role_names": ROLE_NAMES,
            "scope_choices": {"warehouse_ids": warehouses, "owner_ids": records(md.OWNER, "owner_ids"),
                              "zone_ids": zones},
            "selected": selected}


def _done(request: Request) -> str | None:
    done = request.query_params.get("done")
    return core.gettext_for(request)(DONE[done]) if done in DONE else None


# ---------------------------------------------------------------- users


@router.get("/admin/users")
def users(request: Request, principal: Annotated[Principal, page("users.read")]) -> Response:
    db = get_db(request)
    actions = [(N_("New user"), "/admin/users/new")] if principal.can("users.manage") else []
    return lists.show(request, db, principal, access.user_view(db, principal), USERS, title=N_("Users"),
                      export_name="users", context={"page_actions": actions})


@router.get("/admin/users/new")
def user_form(request: Request, principal: Annotated[Principal, page("users.manage")]) -> Response:
    db = get_db(request)
    return core.render(request, "desktop/admin_user_new.html",
                       {"title": N_("New user"), **_choices(db, principal, None)}, principal=principal)


@router.post("/admin/users", dependencies=[Csrf])
async def user_create(request: Request, principal: Annotated[Principal, page("users.manage")]) -> Response:
    """Create the user from the form; the service refuses a role or scope beyond the person's own."""
    form = await request.form()
    raw = form.get("password")
    values = _validated(api.UserCreate, {"username": _text(form, "username"), **_user_fields(form),
                                         "password": raw if isinstance(raw, str) else ""})
    made = access.create_user(get_db(request), principal, access.NewUser(**values))
    return core.redirect(request, f"/admin/users/{made['id']}?done=created")


@router.get("/admin/users/{user_id}")
def user_page(request: Request, user_id: int, principal: Annotated[Principal, page("users.read")]) -> Response:
    """A user with their roles and scope; editable by those who may manage users."""
    db = get_db(request)
    user = access.get_user(db, principal, user_id)
    return core.render(request, "desktop/admin_user.html",
                       {"title": N_("User"), "user": user, "editable": principal.can("users.manage"),
                        "flash": _done(request), **_choices(db, principal, user)}, principal=principal)


@router.post("/admin/users/{user_id}", dependencies=[Csrf])
async def user_update(request: Request, user_id: int,
                      principal: Annotated[Principal, page("users.manage")]) -> Response:
    """Save the form's fields: name, language, roles, scope and active (switching off ends the sessions)."""
    form = await request.form()
    data = _user_fields(form)
    active = form.getlist("active")
    if active:
        data["active"] = active[-1]  # a hidden "false" first, the checkbox's "true" after it when ticked
    access.update_user(get_db(request), principal, user_id, _validated(api.UserUpdate, data))
    return core.redirect(request, f"/admin/users/{user_id}?done=saved")


@router.post("/admin/users/{user_id}/password", dependencies=[Csrf])
async def user_password(request: Request, user_id: int,
                        principal: Annotated[Principal, page("users.manage")]) -> Response:
    form = await request.form()
    raw = form.get("password")
    body = _validated(api.PasswordIn, {"password": raw if isinstance(raw, str) else ""})
    access.set_password(get_db(request), principal, user_id, body["password"])
    return core.redirect(request, f"/admin/users/{user_id}?done=password")


@router.post("/admin/users/{user_id}/end-sessions", dependencies=[Csrf])
def user_end_sessions(request: Request, user_id: int,
                      principal: Annotated[Principal, page("users.manage")]) -> Response:
    """Sign the user out everywhere (a lost handheld, a leaver)."""
    access.end_sessions(get_db(request), principal, user_id)
    return core.redirect(request, f"/admin/users/{user_id}?done=sessions")


# ---------------------------------------------------------------- roles


@router.get("/admin/roles")
def roles(request: Request, principal: Annotated[Principal, page("users.read")]) -> Response:
    return core.render(request, "desktop/roles.html", {"title": N_("Roles"), "role_names": ROLE_NAMES,
                                                        "roles": access.list_roles(get_db(request)),
                                                        "flash": _done(request)},
                       principal=principal)


@router.get("/admin/roles/new")
def role_form(request: Request, principal: Annotated[Principal, page("users.manage")]) -> Response:
    return core.render(request, "desktop/admin_role.html",
                       {"title": N_("New role"), "role": None, "editable": True, "groups": _permission_groups()},
                       principal=principal)


def _role_fields(form: FormData) -> dict[str, Any]:
    return {"name": _text(form, "name"), "permissions": _many(form, "permissions")}


@router.post("/admin/roles", dependencies=[Csrf])
async def role_create(request: Request, principal: Annotated[Principal, page("users.manage")]) -> Response:
    """A custom role of the permissions ticked; none may be beyond the person's own."""
    form = await request.form()
    values = _validated(api.RoleCreate, {"code": _text(form, "code"), **_role_fields(form)})
    made = access.create_role(get_db(request), principal, values["code"], values["name"], values["permissions"])
    return core.redirect(request, f"/admin/roles/{made['id']}?done=role_created")


def _custom_role(db: Database, role_id: int) -> dict[str, Any]:
    for role in access.list_roles(db):
        if role["id"] == role_id:
            return role
    raise NotFound(f"role {role_id} not found", field="role_id")


@router.get("/admin/roles/{role_id}")
def role_page(request: Request, role_id: int, principal: Annotated[Principal, page("users.read")]) -> Response:
    """A custom role: its permissions, editable by those who may manage users (built-in roles have no page)."""
    role = _custom_role(get_db(request), role_id)
    return core.render(request, "desktop/admin_role.html",
                       {"title": N_("Role"), "role": role, "editable": principal.can("users.manage"),
                        "groups": _permission_groups(), "flash": _done(request)}, principal=principal)


@router.post("/admin/roles/{role_id}", dependencies=[Csrf])
async def role_update(request: Request, role_id: int,
                      principal: Annotated[Principal, page("users.manage")]) -> Response:
    """Rename the role, change its permissions or switch it off (it then grants nothing)."""
    form = await request.form()
    data: dict[str, Any] = _role_fields(form)
    active = form.getlist("active")
    if active:
        data["active"] = active[-1]
    access.update_role(get_db(request), principal, role_id, _validated(api.RoleUpdate, data))
    return core.redirect(request, f"/admin/roles/{role_id}?done=saved")


# ---------------------------------------------------------------- audit


@router.get("/admin/audit")
def audit_log(request: Request, principal: Annotated[Principal, page("audit.read")]) -> Response:
    return lists.show(request, get_db(request), principal, audit.entry_view(), AUDIT, title=N_("Audit log"),
                      template="desktop/audit.html", export_name="audit")


@router.post("/admin/audit/verify", dependencies=[Csrf])
def verify_audit(request: Request, principal: Annotated[Principal, page("audit.verify")]) -> Response:
    """Walk the whole hash chain now and say whether it holds (and where it breaks when it does not)."""
    report = audit.verify(get_db(request))
    return core.render(request, "components/audit_verdict.html", {"report": report}, principal=principal)
