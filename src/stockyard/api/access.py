"""Sign-in, users, roles and integration clients."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from stockyard.api.deps import (
    SESSION_COOKIE,
    ClientsManage,
    DbDep,
    Public,
    SignedInDep,
    UsersManage,
    UsersRead,
    client_address,
    presented_token,
)
from stockyard.api.schemas import MAX_ID
from stockyard.config import get_settings
from stockyard.domain.access import PERMISSIONS
from stockyard.services import access as svc
from stockyard.services import auth

router = APIRouter()

Ids = Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Field(max_length=1000)]
Code = Annotated[str, Field(min_length=2, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(Strict):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class UserCreate(Strict):
    username: Annotated[str, Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]*$")]
    display_name: Annotated[str, Field(min_length=1, max_length=200)]
    password: Annotated[str, Field(max_length=256)]
    roles: Annotated[list[Code], Field(min_length=1, max_length=20)]
    warehouse_ids: Ids | None = None
    zone_ids: Ids | None = None
    owner_ids: Ids | None = None
    language: Literal["en", "zh-CN"] = "en"


class UserUpdate(Strict):
    display_name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    roles: Annotated[list[Code], Field(min_length=1, max_length=20)] | None = None
    warehouse_ids: Ids | None = None
    zone_ids: Ids | None = None
    owner_ids: Ids | None = None
    language: Literal["en", "zh-CN"] | None = None
    active: bool | None = None


class PasswordIn(Strict):
    password: Annotated[str, Field(max_length=256)]


class RoleCreate(Strict):
    code: Code
    name: Annotated[str, Field(min_length=1, max_length=200)]
    permissions: Annotated[list[str], Field(max_length=len(PERMISSIONS))]


class RoleUpdate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    permissions: Annotated[list[str], Field(max_length=len(PERMISSIONS))] | None = None
    active: bool | None = None


class ClientCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Literal["erp", "oms", "tms", "mes", "other"]
    permissions: Annotated[list[str], Field(min_length=1, max_length=len(PERMISSIONS))]
    warehouse_ids: Ids | None = None
    zone_ids: Ids | None = None
    owner_ids: Ids | None = None
    expires_at: datetime | None = None


# ---------------------------------------------------------------- sessions


@router.post("/auth/login", tags=["auth"], operation_id="login", dependencies=[Depends(Public())])
def login(body: LoginIn, request: Request, response: Response, db: DbDep) -> dict[str, Any]:
    """Sign in: a new session token (also set as an HttpOnly cookie for the web console)."""
    started = auth.login(db, body.username, body.password, address=client_address(request),
                         user_agent=request.headers.get("user-agent"), previous_token=presented_token(request))
    settings = get_settings()
    response.set_cookie(SESSION_COOKIE, started.token, httponly=True, samesite="strict",
                        secure=settings.cookie_secure, max_age=settings.session_absolute_hours * 3600)
    return {"token": started.token, "expires_at": started.expires_at, "user": started.principal.name,
            "roles": list(started.principal.roles), "idle_timeout_minutes": settings.session_idle_minutes}


@router.post("/auth/logout", tags=["auth"], operation_id="logout")
def logout(principal: SignedInDep, response: Response, db: DbDep) -> dict[str, Any]:
    """Sign out everywhere: every session of this user ends."""
    ended = auth.logout(db, principal)
    response.delete_cookie(SESSION_COOKIE)
    return {"sessions_ended": ended}


@router.get("/auth/me", tags=["auth"], operation_id="me")
def whoami(principal: SignedInDep, db: DbDep) -> dict[str, Any]:
    """Who is signed in, with roles, permissions and data scope."""
    return svc.me(db, principal)


@router.get("/permissions", tags=["access"], operation_id="list_permissions")
def permissions(principal: UsersRead) -> list[dict[str, str]]:
    return [{"code": code, "description": text} for code, text in PERMISSIONS.items()]


# ---------------------------------------------------------------- users


@router.get("/users", tags=["access"], operation_id="list_users")
def list_users(principal: UsersRead, db: DbDep) -> list[dict[str, Any]]:
    return svc.list_users(db, principal)


@router.post("/users", tags=["access"], operation_id="create_user", status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, principal: UsersManage, db: DbDep) -> dict[str, Any]:
    return svc.create_user(db, principal, svc.NewUser(**body.model_dump()))


@router.get("/users/{user_id}", tags=["access"], operation_id="get_user")
def get_user(user_id: int, principal: UsersRead, db: DbDep) -> dict[str, Any]:
    return svc.get_user(db, principal, user_id)


@router.patch("/users/{user_id}", tags=["access"], operation_id="update_user")
def update_user(user_id: int, body: UserUpdate, principal: UsersManage, db: DbDep) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    for name in ("display_name", "roles", "language", "active"):
        if name in changes and changes[name] is None:
            changes.pop(name)
    return svc.update_user(db, principal, user_id, changes)


@router.post("/users/{user_id}/password", tags=["access"], operation_id="set_user_password",
             status_code=status.HTTP_204_NO_CONTENT)
def set_password(user_id: int, body: PasswordIn, principal: UsersManage, db: DbDep) -> None:
    """Set a user's password; all their sessions end."""
    svc.set_password(db, principal, user_id, body.password)


@router.post("/users/{user_id}/end-sessions", tags=["access"], operation_id="end_user_sessions")
def end_sessions(user_id: int, principal: UsersManage, db: DbDep) -> dict[str, int]:
    return {"sessions_ended": svc.end_sessions(db, principal, user_id)}


# ---------------------------------------------------------------- roles


@router.get("/roles", tags=["access"], operation_id="list_roles")
def list_roles(principal: UsersRead, db: DbDep) -> list[dict[str, Any]]:
    return svc.list_roles(db)


@router.post("/roles", tags=["access"], operation_id="create_role", status_code=status.HTTP_201_CREATED)
def create_role(body: RoleCreate, principal: UsersManage, db: DbDep) -> dict[str, Any]:
    return svc.create_role(db, principal, body.code, body.name, body.permissions)


@router.patch("/roles/{role_id}", tags=["access"], operation_id="update_role")
def update_role(role_id: int, body: RoleUpdate, principal: UsersManage, db: DbDep) -> dict[str, Any]:
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    return svc.update_role(db, principal, role_id, changes)


# ---------------------------------------------------------------- integration clients


@router.get("/clients", tags=["access"], operation_id="list_clients")
def list_clients(principal: UsersRead, db: DbDep) -> list[dict[str, Any]]:
    return svc.list_clients(db, principal)


@router.post("/clients", tags=["access"], operation_id="create_client", status_code=status.HTTP_201_CREATED)
def create_client(body: ClientCreate, principal: ClientsManage, db: DbDep) -> dict[str, Any]:
    """Register a client; the answer carries its token, shown this once and never again."""
    scope = {f: getattr(body, f) for f in svc.SCOPE_FIELDS}
    client, token = svc.create_client(db, principal, name=body.name, kind=body.kind, permissions=body.permissions,
                                      scope=scope, expires_at=body.expires_at)
    return {**client, "token": token}


@router.get("/clients/{client_id}", tags=["access"], operation_id="get_client")
def get_client(client_id: int, principal: UsersRead, db: DbDep) -> dict[str, Any]:
    return svc.get_client(db, principal, client_id)


@router.post("/clients/{client_id}/revoke", tags=["access"], operation_id="revoke_client")
def revoke_client(client_id: int, principal: ClientsManage, db: DbDep) -> dict[str, Any]:
    return svc.revoke_client(db, principal, client_id)
