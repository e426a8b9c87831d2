"""Users, roles, scopes and integration clients: who may sign in, what they may do and where.

Nobody grants more than they hold: the roles or permissions given must be within the granter's own, and the
scope given within the granter's scope. Every change is audited."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from stockyard.config import get_settings
from stockyard.db import tables as t
from stockyard.db.engine import Database, is_unique_violation
from stockyard.domain.access import (
    BUILTIN_ROLES,
    BuiltinRole,
    Principal,
    Scope,
    check_password,
    check_permissions,
    check_role_code,
    permissions_of,
    scope_ids,
)
from stockyard.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from stockyard.services import audit
from stockyard.services.auth import custom_permissions, end_user_sessions, hash_password, new_client_token, token_digest
from stockyard.services.browse import View

Row = dict[str, Any]
SCOPE_FIELDS = ("warehouse_ids", "zone_ids", "owner_ids")
_SCOPE_TABLES = {"warehouse_ids": t.warehouse, "zone_ids": t.zone, "owner_ids": t.owner}
USER_FIELDS = ("id", "username", "display_name", "roles", *SCOPE_FIELDS, "language", "active", "created_at",
               "updated_at")


@dataclass(frozen=True)
class NewUser:
    username: str
    display_name: str
    password: str
    roles: Sequence[str]
    warehouse_ids: Sequence[int] | None = None
    zone_ids: Sequence[int] | None = None
    owner_ids: Sequence[int] | None = None
    language: str = "en"


# ---------------------------------------------------------------- users


def create_user(db: Database, principal: Principal, new: NewUser) -> Row:
    """Create a user with roles and data scopes; the password is kept only as an Argon2id hash."""
    username = new.username.strip().lower()
    check_password(new.password, username)
    password_hash = hash_password(new.password)

    def work(conn: Connection) -> Row:
        values: Row = {"username": username, "display_name": new.display_name, "roles": list(new.roles),
                       "language": new.language, **{f: _ids(getattr(new, f)) for f in SCOPE_FIELDS}}
        _check_grant(conn, principal, values)
        try:
            user_id = conn.execute(insert(t.app_user).values(**values, password_hash=password_hash)
                                   .returning(t.app_user.c.id)).scalar_one()
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise
            raise Conflict(f"the username {username} is taken", field="username", code="duplicate") from None
        created = _user(conn, user_id)
        audit.record(conn, principal, "user.create", "user", user_id, after=created)
        return created
    return db.write(work)


def update_user(db: Database, principal: Principal, user_id: int, changes: Mapping[str, Any]) -> Row:
    """Change roles, scopes, name, language or active; disabling a user ends all their sessions at once."""
    def work(conn: Connection) -> Row:
        before = _visible_user(conn, principal, user_id)
        _check_target(conn, principal, before)
        values = {k: (_ids(v) if k in SCOPE_FIELDS else v) for k, v in changes.items()}
        if "roles" in values or any(f in values for f in SCOPE_FIELDS):
            _check_grant(conn, principal, {**before, **values})
        if values.get("active") is False or ("roles" in values and not _is_admin(list(changes["roles"]))):
            _keep_an_administrator(conn, user_id)
        if values:
            conn.execute(update(t.app_user).where(t.app_user.c.id == user_id)
                         .values(**values, updated_at=datetime.now(UTC)))
        if values.get("active") is False:
            end_user_sessions(conn, user_id, "disabled")
        after = _user(conn, user_id)
        audit.record(conn, principal, "user.update", "user", user_id, before=before, after=after)
        return after
    return db.write(work)


LANGUAGES = ("en", "zh-CN")


def set_own_language(db: Database, principal: Principal, language: str) -> str:
    """A person's choice of language for the console, kept with their user (any signed-in user, for themself)."""
    if language not in LANGUAGES:
        raise InvalidInput(f"must be one of {', '.join(LANGUAGES)}", field="language")
    if principal.user_id is None:
        return language  # an integration client has no profile; the console keeps the choice in a cookie only

    def work(conn: Connection) -> str:
        before = _user(conn, principal.user_id or 0)
        if before["language"] != language:
            conn.execute(update(t.app_user).where(t.app_user.c.id == principal.user_id)
                         .values(language=language, updated_at=datetime.now(UTC)))
            audit.record(conn, principal, "user.language", "user", principal.user_id,
                         before={"language": before["language"]}, after={"language": language})
        return language
    return db.write(work)


def set_password(db: Database, principal: Principal, user_id: int, password: str) -> None:
    """Set a new password; every session of that user ends, so a stolen session dies with the old one."""
    def check(conn: Connection) -> str:
        user = _visible_user(conn, principal, user_id)
        _check_target(conn, principal, user)
        return str(user["username"])
    username = db.read(check)
    check_password(password, username)
    password_hash = hash_password(password)

    def work(conn: Connection) -> None:
        _visible_user(conn, principal, user_id)
        now = datetime.now(UTC)
        conn.execute(update(t.app_user).where(t.app_user.c.id == user_id)
                     .values(password_hash=password_hash, password_changed_at=now, updated_at=now))
        ended = end_user_sessions(conn, user_id, "password_changed")
        audit.record(conn, principal, "user.set_password", "user", user_id, after={"sessions_ended": ended})
    db.write(work)


def end_sessions(db: Database, principal: Principal, user_id: int) -> int:
    """Sign a user out everywhere (a lost handheld, a leaver)."""
    def work(conn: Connection) -> int:
        _check_target(conn, principal, _visible_user(conn, principal, user_id))
        ended = end_user_sessions(conn, user_id, "ended_by_admin")
        audit.record(conn, principal, "user.end_sessions", "user", user_id, after={"sessions_ended": ended})
        return ended
    return db.write(work)


def get_user(db: Database, principal: Principal, user_id: int) -> Row:
    return db.read(lambda conn: _visible_user(conn, principal, user_id))


def list_users(db: Database, principal: Principal) -> list[Row]:
    """The users whose scope lies within the caller's (a warehouse's manager does not see head office)."""
    def work(conn: Connection) -> list[Row]:
        rows = conn.execute(select(t.app_user).order_by(t.app_user.c.username)).all()
        return [_user_row(r) for r in rows if _within(principal.scope, _scope_of(r))]
    return db.read(work)


def me(db: Database, principal: Principal) -> Row:
    """The signed-in principal: who, roles, permissions and scope."""
    row: Row = {"name": principal.name, "roles": list(principal.roles),
                "permissions": sorted(principal.permissions), "client": principal.client_name,
                **{f: _sorted(getattr(principal.scope, f)) for f in SCOPE_FIELDS}}
    if principal.user_id is not None:
        user = db.read(lambda conn: _user(conn, principal.user_id or 0))
        row.update(user_id=user["id"], display_name=user["display_name"], language=user["language"])
    return row


def _user(conn: Connection, user_id: int) -> Row:
    return _one(conn, t.app_user, USER_FIELDS, user_id, "user")


def _user_row(row: Any) -> Row:
    return {f: getattr(row, f) for f in USER_FIELDS}


def _visible_user(conn: Connection, principal: Principal, user_id: int) -> Row:
    return _visible(conn, principal, _user(conn, user_id), "user")


def _one(conn: Connection, table: Table, fields: Sequence[str], record_id: int, label: str) -> Row:
    row = conn.execute(select(table).where(table.c.id == record_id)).first()
    if row is None:
        raise NotFound(f"{label} {record_id} not found", field=f"{label}_id")
    return {f: getattr(row, f) for f in fields}


def _visible(conn: Connection, principal: Principal, record: Row, label: str) -> Row:
    """A user or client outside the caller's scope is not found, like one that does not exist."""
    if not _within(principal.scope, _scope_of(record)):
        raise NotFound(f"{label} {record['id']} not found", field=f"{label}_id")
    return record


def _check_target(conn: Connection, principal: Principal, user: Row) -> None:
    """Nobody changes, re-enables, resets or signs out a user who holds more than they do: that would be a way
    to act with those permissions."""
    roles = list(user["roles"])
    beyond = sorted(permissions_of(roles, custom_permissions(conn, roles)) - principal.permissions)
    if beyond:
        raise Forbidden(f"this user holds permissions you do not: {', '.join(beyond)}", field="user_id",
                        code="target_beyond_own")


def _is_admin(roles: Sequence[str]) -> bool:
    return BuiltinRole.SYSTEM_ADMINISTRATOR in roles


def _keep_an_administrator(conn: Connection, user_id: int) -> None:
    rows = conn.execute(select(t.app_user.c.id, t.app_user.c.roles).where(t.app_user.c.active)).all()
    others = [r.id for r in rows if _is_admin(r.roles) and r.id != user_id]
    if not others and any(r.id == user_id and _is_admin(r.roles) for r in rows):
        raise Conflict("this is the last active system administrator", field="user_id", code="last_administrator")


# ---------------------------------------------------------------- roles


def list_roles(db: Database) -> list[Row]:
    """Built-in roles (fixed) and custom roles, each with its permissions."""
    builtin = [{"id": None, "code": str(code), "name": str(code).replace("_", " ").capitalize(),
                "permissions": sorted(perms), "builtin": True, "active": True}
               for code, perms in BUILTIN_ROLES.items()]
    custom = db.read(lambda conn: conn.execute(select(t.custom_role).order_by(t.custom_role.c.code)).all())
    return builtin + [{"id": r.id, "code": r.code, "name": r.name, "permissions": r.permissions, "builtin": False,
                       "active": r.active} for r in custom]


def create_role(db: Database, principal: Principal, code: str, name: str, permissions: Sequence[str]) -> Row:
    """A custom role: a name for a set of permissions, granted to users like the built-in ones."""
    chosen = check_permissions(permissions)
    _within_own(principal, chosen, "permissions")
    check_role_code(code)

    def work(conn: Connection) -> Row:
        try:
            role_id = conn.execute(insert(t.custom_role).values(code=code, name=name, permissions=chosen)
                                   .returning(t.custom_role.c.id)).scalar_one()
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise
            raise Conflict(f"the role {code} exists", field="code", code="duplicate") from None
        row = {"id": role_id, "code": code, "name": name, "permissions": chosen, "builtin": False, "active": True}
        audit.record(conn, principal, "role.create", "role", role_id, after=row)
        return row
    return db.write(work)


def update_role(db: Database, principal: Principal, role_id: int, changes: Mapping[str, Any]) -> Row:
    """Rename a custom role, change its permissions or deactivate it (it then grants nothing)."""
    values = dict(changes)
    if "permissions" in values:
        values["permissions"] = check_permissions(values["permissions"])
        _within_own(principal, values["permissions"], "permissions")
    if not principal.scope.unrestricted:
        # A role is shared by users everywhere: changing it changes rights outside any narrower scope.
        raise Forbidden("changing a role needs an unrestricted scope", field="role_id", code="outside_scope")

    def work(conn: Connection) -> Row:
        row = conn.execute(select(t.custom_role).where(t.custom_role.c.id == role_id)).first()
        if row is None:
            raise NotFound(f"role {role_id} not found", field="role_id")
        _within_own(principal, row.permissions, "role_id")
        before = {"id": row.id, "code": row.code, "name": row.name, "permissions": row.permissions,
                  "builtin": False, "active": row.active}
        if values:
            conn.execute(update(t.custom_role).where(t.custom_role.c.id == role_id)
                         .values(**values, updated_at=datetime.now(UTC)))
        after = {**before, **values}
        audit.record(conn, principal, "role.update", "role", role_id, before=before, after=after)
        return after
    return db.write(work)


# ---------------------------------------------------------------- integration clients

CLIENT_FIELDS = ("id", "name", "kind", "token_prefix", "permissions", *SCOPE_FIELDS, "expires_at", "revoked_at",
                 "last_used_at", "created_by", "active", "created_at")


def create_client(db: Database, principal: Principal, *, name: str, kind: str, permissions: Sequence[str],
                  scope: Mapping[str, Sequence[int] | None], expires_at: datetime | None = None) -> tuple[Row, str]:
    """Register an ERP / OMS / TMS / MES client; returns it and its token, which is shown this once only."""
    chosen = check_permissions(permissions)
    _within_own(principal, chosen, "permissions")
    now = datetime.now(UTC)
    expires = expires_at or now + timedelta(days=get_settings().client_token_days)
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)  # times without a zone are UTC, as everywhere in the API
    if not now < expires <= now + timedelta(days=3660):
        raise InvalidInput("the expiry must be in the future and within ten years", field="expires_at")
    token, prefix = new_client_token()

    def work(conn: Connection) -> Row:
        values: Row = {"name": name, "kind": kind, "permissions": chosen,
                       **{f: _ids(scope.get(f)) for f in SCOPE_FIELDS}}
        _check_scope(conn, principal, values)
        try:
            client_id = conn.execute(insert(t.api_client).values(
                **values, token_prefix=prefix, token_hash=token_digest(token), expires_at=expires,
                created_by=principal.name).returning(t.api_client.c.id)).scalar_one()
        except IntegrityError as error:
            if not is_unique_violation(error):
                raise
            raise Conflict(f"a client named {name} exists", field="name", code="duplicate") from None
        created = _client(conn, client_id)
        audit.record(conn, principal, "client.create", "client", client_id, after=created)
        return created
    return db.write(work), token


def revoke_client(db: Database, principal: Principal, client_id: int) -> Row:
    """Revoke a client's token at once; the client must be given a new one to come back."""
    def work(conn: Connection) -> Row:
        before = _visible_client(conn, principal, client_id)
        if before["revoked_at"] is None:
            conn.execute(update(t.api_client).where(t.api_client.c.id == client_id)
                         .values(revoked_at=datetime.now(UTC), updated_at=datetime.now(UTC)))
        after = _client(conn, client_id)
        audit.record(conn, principal, "client.revoke", "client", client_id, before=before, after=after)
        return after
    return db.write(work)


def list_clients(db: Database, principal: Principal) -> list[Row]:
    def work(conn: Connection) -> list[Row]:
        rows = conn.execute(select(t.api_client).order_by(t.api_client.c.name)).all()
        return [_client_row(r) for r in rows if _within(principal.scope, _scope_of(r))]
    return db.read(work)


def get_client(db: Database, principal: Principal, client_id: int) -> Row:
    return db.read(lambda conn: _visible_client(conn, principal, client_id))


def _client(conn: Connection, client_id: int) -> Row:
    return _one(conn, t.api_client, CLIENT_FIELDS, client_id, "client")


def _client_row(row: Any) -> Row:
    return {f: getattr(row, f) for f in CLIENT_FIELDS}


def _visible_client(conn: Connection, principal: Principal, client_id: int) -> Row:
    return _visible(conn, principal, _client(conn, client_id), "client")


# ---------------------------------------------------------------- granting


def _check_grant(conn: Connection, principal: Principal, values: Mapping[str, Any]) -> None:
    roles = list(values.get("roles") or [])
    custom = custom_permissions(conn, roles)
    for index, role in enumerate(roles):
        if role not in BUILTIN_ROLES and role not in custom:
            raise InvalidInput(f"unknown or inactive role {role!r}", field=f"roles[{index}]", code="unknown_role")
    _within_own(principal, permissions_of(roles, custom), "roles")
    _check_scope(conn, principal, values)


def _within_own(principal: Principal, permissions: Sequence[str] | frozenset[str], field: str) -> None:
    beyond = sorted(set(permissions) - principal.permissions)
    if beyond:
        raise Forbidden(f"cannot grant permissions you do not hold: {', '.join(beyond)}", field=field,
                        code="grant_beyond_own")


def _check_scope(conn: Connection, principal: Principal, values: Mapping[str, Any]) -> None:
    """Scope ids must exist, and the scope given must lie within the granter's."""
    for name in SCOPE_FIELDS:
        ids = values.get(name)
        if ids is None:
            continue
        table = _SCOPE_TABLES[name]
        known = set(conn.execute(select(table.c.id).where(table.c.id.in_(ids))).scalars())
        for index, value in enumerate(ids):
            if value not in known:
                raise InvalidInput(f"{name[:-4]} {value} not found", field=f"{name}[{index}]", code="unknown")
    if not _within(principal.scope, _scope_of(values)):
        raise Forbidden("cannot give a scope wider than your own", field="scope", code="scope_beyond_own")


def _scope_of(row: Any) -> Scope:
    get = row.get if isinstance(row, Mapping) else lambda f: getattr(row, f)
    return Scope(*(scope_ids(get(f)) for f in SCOPE_FIELDS))


def _within(outer: Scope, inner: Scope) -> bool:
    for name in SCOPE_FIELDS:
        limit, given = getattr(outer, name), getattr(inner, name)
        if limit is not None and (given is None or not given <= limit):
            return False
    return True


def _ids(values: Sequence[int] | None) -> list[int] | None:
    return None if values is None else sorted({int(v) for v in values})


def _sorted(values: frozenset[int] | None) -> list[int] | None:
    return None if values is None else sorted(values)


def count_users(db: Database) -> int:
    return int(db.read(lambda conn: conn.execute(select(func.count()).select_from(t.app_user)).scalar_one()))



def user_view(db: Database, principal: Principal) -> View:
    """The users list for the console: those :func:`list_users` shows, filtered, sorted and paged in SQL."""
    visible = [int(u["id"]) for u in list_users(db, principal)]
    u = t.app_user
    query = select(u.c.id, u.c.username, u.c.display_name, u.c.language, u.c.active, u.c.created_at,
                   u.c.updated_at).where(u.c.id.in_(visible))
    return View(query, filters=("active", "language"), search=("username", "display_name"),
                sortable=("username", "display_name", "language", "active", "created_at", "updated_at"),
                default_sort="username")
