"""The audit log: every command appends one entry, in the transaction of the change it records; the log is
listed, its hash chain verified (against anchors kept elsewhere), and on PostgreSQL the application's role is
granted everything but changing it. See docs/audit.md."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text, update

from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import Principal
from stockyard.domain.audit import GENESIS_HASH, Anchor, canonical_json, check_chain, entry_hash
from stockyard.services.browse import View


def record(conn: Connection, principal: Principal, action: str, object_type: str, object_id: object | None,
           before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None) -> int:
    """Append an entry for a command and return its sequence number.

    Takes the head row's lock, so entries are numbered and chained in commit order; call it last in the
    transaction, as the lock is held until the commit."""
    head = conn.execute(select(t.audit_head.c.seq, t.audit_head.c.hash).where(t.audit_head.c.id == 1)
                        .with_for_update()).one()
    entry: dict[str, Any] = {
        "seq": head.seq + 1,
        "at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "actor": principal.name,
        "roles": ",".join(principal.roles),
        "client": principal.client_name,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        # dict(): json.dumps only takes real dicts, and the signature promises any Mapping (a RowMapping...).
        "before": None if before is None else canonical_json(dict(before)),
        "after": None if after is None else canonical_json(dict(after)),
        "request_id": principal.request_id,
        "prev_hash": head.hash,
    }
    entry["hash"] = entry_hash(entry)
    conn.execute(insert(t.audit_entry).values(**entry))
    conn.execute(update(t.audit_head).where(t.audit_head.c.id == 1).values(seq=entry["seq"], hash=entry["hash"]))
    return int(entry["seq"])


# ---------------------------------------------------------------- reading and verifying

CHUNK = 5000


@dataclass(frozen=True)
class AuditReport:
    """The outcome of a verification.

    ``entries`` is how many entries were read up to the verdict (all of them when ``ok``); ``problem`` is the
    first problem found, as text; ``head`` is the last entry of the log (when ``ok``: the last one checked, safe
    to keep as an anchor)."""

    ok: bool
    entries: int
    problem: str | None
    head: Anchor


def head(db: Database) -> Anchor:
    """The last entry's sequence number and hash, or (0, GENESIS_HASH) for an empty log.

    Read from ``audit_entry`` itself: ``audit_head`` is only the lock appends take, and nothing proves it."""
    return db.read(_head)


def _head(conn: Connection) -> Anchor:
    e = t.audit_entry
    row = conn.execute(select(e.c.seq, e.c.hash).order_by(e.c.seq.desc()).limit(1)).first()
    return Anchor(0, GENESIS_HASH) if row is None else Anchor(int(row.seq), row.hash)


def verify(db: Database, anchors: Iterable[Anchor] = (), *, chunk_size: int = CHUNK) -> AuditReport:
    """Check the whole hash chain in ``seq`` order, and every anchor against it.

    Entries are read ``chunk_size`` at a time by keyset pagination, in one read transaction, so memory stays
    flat however long the log. Without anchors a log cut short at its end, or rewritten from an edit onwards
    with every later hash recomputed, still verifies; anchors taken earlier and kept elsewhere catch both."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    usable, problem = _usable_anchors(anchors)
    if problem is not None:
        return AuditReport(False, 0, problem, head(db))
    return db.read(lambda conn: _verify(conn, usable, chunk_size))


def _verify(conn: Connection, anchors: Sequence[Anchor], chunk_size: int) -> AuditReport:
    seen = _Seen()
    problem = check_chain(seen.track(_stream(conn, chunk_size)), anchors)
    if problem is None:
        return AuditReport(True, seen.count, None, seen.last)
    return AuditReport(False, seen.count, str(problem), _head(conn))


class _Seen:
    """Counts the entries a check consumes and remembers the last one."""

    def __init__(self) -> None:
        self.count = 0
        self.last = Anchor(0, GENESIS_HASH)

    def track(self, entries: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
        for entry in entries:
            self.count += 1
            self.last = Anchor(int(entry["seq"]), entry["hash"])
            yield entry


def _stream(conn: Connection, chunk_size: int) -> Iterator[Mapping[str, Any]]:
    """Every entry in ``seq`` order, one query per chunk (``seq > last seen``, so no OFFSET to skip)."""
    e = t.audit_entry
    after: int | None = None
    while True:
        query = select(e).order_by(e.c.seq).limit(chunk_size)
        if after is not None:
            query = query.where(e.c.seq > after)
        rows = [row._asdict() for row in conn.execute(query)]
        yield from rows
        if len(rows) < chunk_size:
            return
        after = int(rows[-1]["seq"])


def _usable_anchors(anchors: Iterable[Anchor]) -> tuple[list[Anchor], str | None]:
    """The anchors to check, or a problem with the anchors themselves.

    An anchor at 0 is the anchor of an empty log: it must be the genesis hash and proves nothing more. Two
    anchors of one entry that disagree cannot both match, so one of them (or the log) is wrong."""
    by_seq: dict[int, Anchor] = {}
    for anchor in anchors:
        if anchor.seq < 0 or (anchor.seq == 0 and anchor.hash != GENESIS_HASH):
            return [], f"anchor at {anchor.seq} is not a valid anchor"
        known = by_seq.setdefault(anchor.seq, anchor)
        if known.hash != anchor.hash:
            return [], f"entry {anchor.seq}: two anchors disagree on its hash"
    return [a for seq, a in sorted(by_seq.items()) if seq > 0], None


def list_entries(db: Database, *, object_type: str | None = None, object_id: str | None = None,
                 actor: str | None = None, action: str | None = None, after_seq: int | None = None,
                 limit: int = 100) -> list[dict[str, Any]]:
    """Entries matching every filter given, oldest first (ascending ``seq``).

    ``after_seq`` is the keyset cursor: pass the last ``seq`` of a page to get the next one. Ascending order
    makes the list an export that can be resumed and checked as it is read. ``before``/``after`` come back as
    JSON values and ``roles`` as a list; the hash covers ``canonical_json`` of those values and the roles
    joined by commas."""
    e = t.audit_entry
    query = select(e).order_by(e.c.seq).limit(limit)
    for column, value in ((e.c.object_type, object_type), (e.c.object_id, object_id), (e.c.actor, actor),
                          (e.c.action, action)):
        if value is not None:
            query = query.where(column == value)
    if after_seq is not None:
        query = query.where(e.c.seq > after_seq)
    return db.read(lambda conn: [_entry_out(row._asdict()) for row in conn.execute(query)])


def _entry_out(out: dict[str, Any]) -> dict[str, Any]:
    out["roles"] = out["roles"].split(",") if out["roles"] else []
    out["before"], out["after"] = _json(out["before"]), _json(out["after"])
    return out


def _json(text: str | None) -> Any:
    # A row edited by hand may hold anything; show it as it is rather than fail the whole list.
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


# ---------------------------------------------------------------- database roles

def grant_app_role(db: Database, role: str) -> list[str]:
    """PostgreSQL: let ``role`` run the application, but only append to the audit log.

    Grants CONNECT on the database, USAGE on the schema, SELECT/INSERT/UPDATE/DELETE on every table and
    USAGE/SELECT on every sequence, then revokes UPDATE, DELETE and TRUNCATE on ``audit_entry``. Run it again
    after every ``db upgrade`` (new tables get no grants by themselves). Returns warnings when the role could
    still change the log anyway (a superuser, the table's owner or a member of it, or a privilege the role
    inherits from another). Raises ``ValueError`` on SQLite,
    which has no roles, and for a role that does not exist."""
    if db.dialect != "postgresql":
        raise ValueError("SQLite has no database roles")
    return db.write(lambda conn: _grant(conn, role))


def _grant(conn: Connection, role: str) -> list[str]:
    found = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}).first()
    if found is None:
        raise ValueError(f"there is no role {role!r}; create it first (CREATE ROLE {role} LOGIN PASSWORD ...)")
    quote = conn.dialect.identifier_preparer.quote_identifier
    database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
    who, where = quote(role), quote(schema)
    for statement in (
        f"GRANT CONNECT ON DATABASE {quote(database)} TO {who}",
        f"GRANT USAGE ON SCHEMA {where} TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {who}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {where}.audit_entry FROM {who}",
    ):
        conn.execute(text(statement))
    return _grant_warnings(conn, role, bool(found.rolsuper))


def _grant_warnings(conn: Connection, role: str, superuser: bool) -> list[str]:
    """Ways ``role`` could still change the log despite the grants: all of them defeat the point."""
    if superuser:
        return [f"{role} is a superuser: grants do not bind it, and it can switch the triggers off"]
    row = conn.execute(text(
        "SELECT pg_get_userbyid(relowner) AS owner, pg_has_role(:role, relowner, 'MEMBER') AS owns, "
        "has_table_privilege(:role, oid, 'UPDATE') OR has_table_privilege(:role, oid, 'DELETE') "
        "OR has_table_privilege(:role, oid, 'TRUNCATE') AS can_change "
        "FROM pg_class WHERE oid = to_regclass('audit_entry')"), {"role": role}).one()
    if row.owns:
        return [f"{role} owns audit_entry (or is a member of its owner {row.owner}): an owner can grant itself "
                "anything and disable the triggers; run the migrations as another role"]
    if row.can_change:
        return [f"{role} may still UPDATE, DELETE or TRUNCATE audit_entry through a role it is a member of "
                "(or PUBLIC); revoke that grant"]
    return []


def entry_view() -> View:
    """The audit log as a console list (the log is not scoped: reading it is the ``audit.read`` permission)."""
    e = t.audit_entry
    query = select(e.c.seq, e.c.at, e.c.actor, e.c.roles, e.c.client, e.c.action, e.c.object_type, e.c.object_id,
                   e.c.request_id)
    return View(query, filters=("actor", "action", "object_type", "object_id"),
                search=("actor", "action", "object_type", "object_id"),
                sortable=("seq", "at", "actor", "action", "object_type"), default_sort="seq", default_desc=True)
