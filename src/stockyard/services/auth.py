"""Authentication: users with Argon2id passwords, web sessions, throttled sign-in, integration client tokens.

Tokens (session and client) are random, at least 256 bits, and stored only as their SHA-256: a copy of the
database does not let anyone act as a user or a client."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, func, insert, select, text, update

from stockyard.config import get_settings
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import BUILTIN_ROLES, Principal, Scope, permissions_of, scope_ids
from stockyard.domain.errors import Throttled, Unauthenticated
from stockyard.services import audit

_hasher = PasswordHasher()  # argon2-cffi defaults: Argon2id, t=3, m=64 MiB, p=4
# Verified against unknown usernames so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
CLIENT_TOKEN_PREFIX = "sy_"
_TOUCH_EVERY = timedelta(seconds=60)  # last-seen times are refreshed at most this often


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StartedSession:
    token: str
    expires_at: datetime
    principal: Principal


# ---------------------------------------------------------------- principals


def custom_permissions(conn: Connection, roles: list[str]) -> dict[str, frozenset[str]]:
    wanted = [r for r in roles if r not in BUILTIN_ROLES]
    if not wanted:
        return {}
    rows = conn.execute(select(t.custom_role.c.code, t.custom_role.c.permissions)
                        .where(t.custom_role.c.code.in_(wanted), t.custom_role.c.active))
    return {r.code: frozenset(r.permissions) for r in rows}


def user_principal(conn: Connection, user: Any, session_id: int | None = None) -> Principal:
    roles = list(user.roles)
    return Principal(
        name=user.username, permissions=permissions_of(roles, custom_permissions(conn, roles)),
        roles=tuple(roles), user_id=user.id, session_id=session_id,
        scope=Scope(scope_ids(user.warehouse_ids), scope_ids(user.zone_ids), scope_ids(user.owner_ids)))


def resolve_token(db: Database, token: str, *, address: str | None = None) -> Principal | None:
    """The principal a session or client token stands for, or None if it is unknown, expired or revoked."""
    if token.startswith(CLIENT_TOKEN_PREFIX):
        return _resolve_client(db, token)
    return _resolve_session(db, token)


def _resolve_session(db: Database, token: str) -> Principal | None:
    settings = get_settings()
    now = datetime.now(UTC)
    s, u = t.user_session, t.app_user
    query = (select(s.c.id.label("session_id"), s.c.last_seen_at, u.c.id, u.c.username, u.c.roles,
                    u.c.warehouse_ids, u.c.zone_ids, u.c.owner_ids)
             .join(u, u.c.id == s.c.user_id)
             .where(s.c.token_hash == token_digest(token), s.c.ended_at.is_(None), s.c.expires_at > now,
                    s.c.last_seen_at > now - timedelta(minutes=settings.session_idle_minutes), u.c.active))

    def work(conn: Connection) -> tuple[Principal, datetime] | None:
        row = conn.execute(query).first()
        return None if row is None else (user_principal(conn, row, row.session_id), row.last_seen_at)
    found = db.read(work)
    if found is None:
        return None
    principal, last_seen = found
    _touch(db, t.user_session, principal.session_id, "last_seen_at", now, last_seen)
    return principal


def _resolve_client(db: Database, token: str) -> Principal | None:
    now = datetime.now(UTC)
    c = t.api_client
    row = db.read(lambda conn: conn.execute(select(c).where(
        c.c.token_hash == token_digest(token), c.c.revoked_at.is_(None), c.c.expires_at > now, c.c.active)).first())
    if row is None:
        return None
    _touch(db, c, row.id, "last_used_at", now, row.last_used_at)
    return Principal(
        name=f"client:{row.name}", permissions=frozenset(row.permissions), roles=("integration_client",),
        client_id=row.id, client_name=row.name,
        scope=Scope(scope_ids(row.warehouse_ids), scope_ids(row.zone_ids), scope_ids(row.owner_ids)))


def _touch(db: Database, table: Any, row_id: int | None, column: str, now: datetime,
           last: datetime | None = None) -> None:
    """Refresh a last-seen time, at most once a minute, so a busy handheld is not a write per scan."""
    if row_id is None or (last is not None and now - last < _TOUCH_EVERY):
        return
    stale = table.c[column].is_(None) | (table.c[column] < now - _TOUCH_EVERY)
    db.write(lambda conn: conn.execute(update(table).where(table.c.id == row_id, stale).values({column: now})))


# ---------------------------------------------------------------- sign-in and sessions


def login(db: Database, username: str, password: str, *, address: str, user_agent: str | None = None,
          previous_token: str | None = None) -> StartedSession:
    """Check the password and start a new session (a new token every time: the old one, if any, ends).

    Too many recent failures for the account or the address answer 429 before the password is looked at."""
    username = username.strip().lower()
    now = datetime.now(UTC)
    # Each attempt counts as a failure from before its password is checked until it succeeds, so a burst of
    # parallel guesses cannot slip past the limit while the first ones are still being checked.
    attempt = db.write(lambda conn: _reserve_attempt(conn, username, address, now))
    user = db.read(lambda conn: conn.execute(select(t.app_user).where(
        func.lower(t.app_user.c.username) == username)).first())
    # The hash is checked first and always, so an unknown or disabled name costs as long as a wrong password.
    matches = _password_matches(user.password_hash if user else None, password)
    if user is None or not user.active or not matches:
        db.write(lambda conn: _record_failure(conn, username, address))
        raise Unauthenticated("wrong username or password", field="password", code="bad_credentials")

    def work(conn: Connection) -> StartedSession:
        conn.execute(delete(t.login_failure).where(
            (t.login_failure.c.username == username) | (t.login_failure.c.id == attempt)))
        if previous_token:
            _end(conn, t.user_session.c.token_hash == token_digest(previous_token), now, "rotated")
        token, expires = open_session(conn, user.id, address=address, user_agent=user_agent, now=now)
        principal = user_principal(conn, user)
        audit.record(conn, principal, "session.login", "user", user.id, after={"address": address})
        return StartedSession(token, expires, principal)
    return db.write(work)


def _password_matches(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def _check_throttle(conn: Connection, username: str, address: str, now: datetime) -> None:
    settings = get_settings()
    window = timedelta(minutes=settings.login_failure_window_minutes)
    f = t.login_failure
    for column, value, limit in ((f.c.username, username, settings.login_failures_per_account),
                                 (f.c.address, address, settings.login_failures_per_address)):
        recent = conn.execute(select(f.c.at).where(column == value, f.c.at > now - window)
                              .order_by(f.c.at.desc()).limit(limit)).scalars().all()
        if len(recent) >= limit:
            wait = math.ceil((recent[-1] + window - now).total_seconds())
            raise Throttled(f"too many failed sign-ins; try again in {wait} seconds", field="username",
                            details={"retry_after": max(wait, 1)})


def _reserve_attempt(conn: Connection, username: str, address: str, now: datetime) -> int:
    """Check the throttle and count this attempt, under a lock per account and per address (PostgreSQL; SQLite
    writers take turns anyway), so that the count and the new row cannot interleave with another attempt's."""
    if conn.dialect.name == "postgresql":
        for key in (f"login-user:{username}", f"login-address:{address}"):  # always this order: no deadlock
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
    _check_throttle(conn, username, address, now)
    return int(conn.execute(insert(t.login_failure).values(username=username[:64], address=address[:64], at=now)
                            .returning(t.login_failure.c.id)).scalar_one())


def _record_failure(conn: Connection, username: str, address: str) -> None:
    anonymous = Principal("anonymous")
    audit.record(conn, anonymous, "session.login_failed", "user", None,
                 after={"username": username[:64], "address": address})


def open_session(conn: Connection, user_id: int, *, address: str | None = None, user_agent: str | None = None,
                 now: datetime | None = None) -> tuple[str, datetime]:
    """Start a session for a user already authenticated; returns the token (shown once) and its end."""
    settings = get_settings()
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(hours=settings.session_absolute_hours)
    conn.execute(insert(t.user_session).values(
        token_hash=token_digest(token), user_id=user_id, address=(address or "")[:64],
        user_agent=(user_agent or "")[:200], created_at=now, last_seen_at=now, expires_at=expires))
    return token, expires


def logout(db: Database, principal: Principal) -> int:
    """End every session of the signed-in user (all devices); returns how many ended."""
    if principal.user_id is None:
        raise Unauthenticated("integration clients have no session to end", code="not_a_session")
    user_id = principal.user_id

    def work(conn: Connection) -> int:
        ended = end_user_sessions(conn, user_id, "logout")
        audit.record(conn, principal, "session.logout", "user", user_id, after={"sessions_ended": ended})
        return ended
    return db.write(work)


def end_user_sessions(conn: Connection, user_id: int, reason: str) -> int:
    return _end(conn, t.user_session.c.user_id == user_id, datetime.now(UTC), reason)


def _end(conn: Connection, where: Any, now: datetime, reason: str) -> int:
    s = t.user_session
    result = conn.execute(update(s).where(where, s.c.ended_at.is_(None)).values(ended_at=now, end_reason=reason))
    return int(result.rowcount or 0)


def new_client_token() -> tuple[str, str]:
    """A client token and its public prefix: ``sy_<prefix>_<secret>``."""
    prefix = secrets.token_hex(4)
    return f"{CLIENT_TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix
