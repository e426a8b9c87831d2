"""Console pages: users, roles and the audit log with its verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from stockyard.api.deps import get_db
from stockyard.domain.access import Principal
from stockyard.services import access, audit
from stockyard.web import core, lists
from stockyard.web.deps import Csrf, page
from stockyard.web.i18n import N_

router = APIRouter(include_in_schema=False)

USERS = lists.Listing(
    columns=(lists.Column("username", N_("User name")), lists.Column("display_name", N_("Name")),
             lists.Column("language", N_("Language")), lists.Column("active", N_("Active"), "bool"),
             lists.Column("created_at", N_("Created"), "datetime")),
    filters=(lists.Filter("active", N_("Active"), (("true", N_("Yes")), ("false", N_("No")))),),
)

AUDIT = lists.Listing(
    columns=(lists.Column("seq", N_("No."), "number"), lists.Column("at", N_("Time")),
             lists.Column("actor", N_("Actor")), lists.Column("action", N_("Action")),
             lists.Column("object_type", N_("Object")), lists.Column("object_id", N_("Object ID"), sortable=False),
             lists.Column("request_id", N_("Request"), sortable=False)),
    filters=(lists.Filter("actor", N_("Actor")), lists.Filter("action", N_("Action")),
             lists.Filter("object_type", N_("Object"))),
)


@router.get("/admin/users")
def users(request: Request, principal: Annotated[Principal, page("users.read")]) -> Response:
    db = get_db(request)
    return lists.show(request, db, principal, access.user_view(db, principal), USERS, title=N_("Users"),
                      export_name="users")


@router.get("/admin/roles")
def roles(request: Request, principal: Annotated[Principal, page("users.read")]) -> Response:
    return core.render(request, "desktop/roles.html", {"title": N_("Roles"),
                                                        "roles": access.list_roles(get_db(request))},
                       principal=principal)


@router.get("/admin/audit")
def audit_log(request: Request, principal: Annotated[Principal, page("audit.read")]) -> Response:
    return lists.show(request, get_db(request), principal, audit.entry_view(), AUDIT, title=N_("Audit log"),
                      template="desktop/audit.html", export_name="audit")


@router.post("/admin/audit/verify", dependencies=[Csrf])
def verify_audit(request: Request, principal: Annotated[Principal, page("audit.verify")]) -> Response:
    """Walk the whole hash chain now and say whether it holds (and where it breaks when it does not)."""
    report = audit.verify(get_db(request))
    return core.render(request, "components/audit_verdict.html", {"report": report}, principal=principal)
