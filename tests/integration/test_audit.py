"""The audit log on both databases: appends chain, the database refuses changes, and verify catches every kind
of tampering (the ones the triggers were stepped around for), with anchors where only anchors can.

Tampering needs the protection switched off, as an attacker with the database's owner or the SQLite file
would: on PostgreSQL ``session_replication_role = replica`` (the tests connect as a superuser), on SQLite the
triggers are dropped and recreated in the same transaction."""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, select, text, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from stockyard.cli.main import app
from stockyard.config import get_settings
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import SYSTEM, Principal
from stockyard.domain.audit import GENESIS_HASH, Anchor, entry_hash
from stockyard.services import audit
from stockyard.services import masterdata as md
from tests.helpers import bearer

runner = CliRunner()
E = t.audit_entry


def _append(db: Database, count: int, *, object_type: str = "sku", principal: Principal = SYSTEM) -> list[int]:
    """``count`` entries, each in its own transaction as a command would write them."""
    return [db.write(lambda conn, i=i: audit.record(conn, principal, f"{object_type}.update", object_type, i,
                                                    before={"n": i}, after={"n": i + 1}))
            for i in range(count)]


@contextmanager
def _unprotected(db: Database) -> Iterator[Connection]:
    """A transaction in which the audit log's triggers do not fire."""
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            yield conn
            return
        triggers = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                     "AND tbl_name = 'audit_entry'")).all()
        assert triggers, "the migration protects audit_entry with triggers"
        for name, _ in triggers:
            conn.execute(text(f'DROP TRIGGER "{name}"'))
        yield conn
        for _, sql in triggers:
            conn.execute(text(sql))


def _rows(conn: Connection, first: int = 1) -> list[dict[str, Any]]:
    return [r._asdict() for r in conn.execute(select(E).where(E.c.seq >= first).order_by(E.c.seq))]


def _problem(db: Database, anchors: list[Anchor] | None = None) -> str | None:
    report = audit.verify(db, anchors or [], chunk_size=3)  # small chunks: tampering across chunk borders
    assert report.ok == (report.problem is None)
    return report.problem


# ---------------------------------------------------------------- appending and reading


def test_appends_chain_and_verify_holds(db: Database) -> None:
    assert audit.head(db) == Anchor(0, GENESIS_HASH)
    assert audit.verify(db) == audit.AuditReport(True, 0, None, Anchor(0, GENESIS_HASH))
    assert _append(db, 7) == list(range(1, 8))
    with db.begin() as conn:
        rows = _rows(conn)
        stored_head = conn.execute(select(t.audit_head.c.seq, t.audit_head.c.hash)).one()
    assert [r["prev_hash"] for r in rows] == [GENESIS_HASH] + [r["hash"] for r in rows[:-1]]
    assert all(entry_hash(r) == r["hash"] for r in rows)
    head = audit.head(db)
    assert head == Anchor(7, rows[-1]["hash"]) == Anchor(stored_head.seq, stored_head.hash)
    for chunk_size in (1, 3, 7, 5000):
        assert audit.verify(db, [head], chunk_size=chunk_size) == audit.AuditReport(True, 7, None, head)


def test_record_keeps_who_what_and_the_canonical_before_and_after(db: Database) -> None:
    principal = Principal("alice", roles=("warehouse_manager", "finance"), client_name="erp", request_id="req-1")
    db.write(lambda conn: audit.record(conn, principal, "sku.update", "sku", 42, before={"b": 1, "a": "x"},
                                       after={"name": "Åsa"}))
    [entry] = audit.list_entries(db)
    assert entry["actor"] == "alice" and entry["roles"] == ["warehouse_manager", "finance"]
    assert (entry["client"], entry["request_id"], entry["object_id"]) == ("erp", "req-1", "42")
    assert entry["before"] == {"a": "x", "b": 1} and entry["after"] == {"name": "Åsa"}
    with db.begin() as conn:
        assert conn.execute(select(E.c.before)).scalar_one() == '{"a":"x","b":1}'


def test_verify_reads_in_chunks_never_a_query_per_row(db: Database) -> None:
    _append(db, 10)
    selects: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM audit_entry" in statement:
            selects.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert audit.verify(db, chunk_size=4).ok
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(selects) == 3  # 4 + 4 + 2 rows


def test_list_filters_and_pages_by_seq(db: Database) -> None:
    _append(db, 3, object_type="sku")
    _append(db, 2, object_type="owner", principal=Principal("bob", roles=("coordinator",)))
    assert [e["seq"] for e in audit.list_entries(db, object_type="owner")] == [4, 5]
    assert [e["seq"] for e in audit.list_entries(db, object_type="sku", object_id="1")] == [2]
    assert [e["seq"] for e in audit.list_entries(db, actor="bob", action="owner.update")] == [4, 5]
    assert audit.list_entries(db, actor="nobody") == []
    first = audit.list_entries(db, limit=2)
    assert [e["seq"] for e in first] == [1, 2]
    assert [e["seq"] for e in audit.list_entries(db, after_seq=first[-1]["seq"], limit=2)] == [3, 4]
    assert [e["seq"] for e in audit.list_entries(db, after_seq=4, limit=2)] == [5]


# ---------------------------------------------------------------- the database refuses changes


def _refused(db: Database, statement: str) -> str:
    with pytest.raises(DBAPIError) as caught, db.engine.begin() as conn:
        conn.execute(text(statement))
    return str(caught.value.orig)


def test_the_database_refuses_update_delete_and_replace(db: Database) -> None:
    _append(db, 3)
    assert "append-only: UPDATE refused" in _refused(db, "UPDATE audit_entry SET actor = 'mallory' WHERE seq = 2")
    assert "append-only: DELETE refused" in _refused(db, "DELETE FROM audit_entry WHERE seq = 3")
    assert "append-only: DELETE refused" in _refused(db, "DELETE FROM audit_entry")
    upsert = ("INSERT INTO audit_entry SELECT * FROM audit_entry WHERE seq = 2 "
              "ON CONFLICT (seq) DO UPDATE SET actor = 'mallory'")
    assert "append-only" in _refused(db, upsert)
    if db.dialect == "postgresql":
        assert "append-only: TRUNCATE refused" in _refused(db, "TRUNCATE audit_entry")
    else:
        # REPLACE deletes the old row without firing DELETE triggers; its own trigger refuses it.
        assert "append-only" in _refused(db, "INSERT OR REPLACE INTO audit_entry SELECT * FROM audit_entry "
                                             "WHERE seq = 2")
    assert _problem(db) is None
    assert [r["actor"] for r in audit.list_entries(db)] == ["system"] * 3


# ---------------------------------------------------------------- tampering, and what catches it


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("actor", "mallory", "entry 3: content does not match its hash (edited)"),
    ("at", "2020-01-01T00:00:00.000000+00:00", "entry 3: content does not match its hash (edited)"),
    ("after", '{"n":1000}', "entry 3: content does not match its hash (edited)"),
    ("object_id", "999", "entry 3: content does not match its hash (edited)"),
    ("client", "erp", "entry 3: content does not match its hash (edited)"),
    ("hash", "f" * 64, "entry 3: content does not match its hash (edited)"),
    ("prev_hash", "f" * 64, "entry 3: does not link to the entry before it"),
])
def test_an_edited_field_is_caught(db: Database, field: str, value: str, problem: str) -> None:
    _append(db, 6)
    with _unprotected(db) as conn:
        conn.execute(update(E).where(E.c.seq == 3).values({field: value}))
    assert _problem(db) == problem
    assert audit.verify(db).entries == 3  # read up to the bad one, not past it


def test_an_entry_edited_and_rehashed_alone_breaks_the_next_link(db: Database) -> None:
    _append(db, 6)
    with _unprotected(db) as conn:
        [row] = _rows(conn, 4)[:1]
        row["actor"] = "mallory"
        conn.execute(update(E).where(E.c.seq == 4).values(actor="mallory", hash=entry_hash(row)))
    assert _problem(db) == "entry 5: does not link to the entry before it"


@pytest.mark.parametrize("seq", [1, 3, 4])
def test_a_deleted_entry_is_caught(db: Database, seq: int) -> None:
    _append(db, 6)
    with _unprotected(db) as conn:
        conn.execute(E.delete().where(E.c.seq == seq))
    assert _problem(db) == f"entry {seq}: missing: the next entry found is {seq + 1}"


def test_reordered_entries_are_caught(db: Database) -> None:
    _append(db, 6)
    with _unprotected(db) as conn:
        third, fourth = _rows(conn, 3)[:2]
        for seq, content in ((3, fourth), (4, third)):
            conn.execute(update(E).where(E.c.seq == seq).values({k: v for k, v in content.items() if k != "seq"}))
    assert _problem(db) == "entry 3: does not link to the entry before it"


def test_a_truncated_tail_needs_an_anchor(db: Database) -> None:
    _append(db, 8)
    anchor = audit.head(db)
    with _unprotected(db) as conn:
        conn.execute(E.delete().where(E.c.seq > 5))
        # A careful attacker also winds the head row back, so new entries continue from entry 5.
        conn.execute(update(t.audit_head).values(seq=5, hash=_rows(conn, 5)[0]["hash"]))
    _append(db, 1)  # the next append reuses seq 6 and links to 5: the chain itself is fine
    assert _problem(db) is None
    assert _problem(db, [anchor]) == "entry 8: the log ends at entry 6, before the anchor at 8 (truncated)"


def test_a_rewritten_chain_needs_an_anchor_after_the_edit(db: Database) -> None:
    _append(db, 8)
    earlier = audit.head(db)
    with db.begin() as conn:
        rows = _rows(conn)
        before_edit, later = Anchor(2, rows[1]["hash"]), Anchor(6, rows[5]["hash"])
    with _unprotected(db) as conn:
        rows = _rows(conn)
        rows[2]["after"] = '{"n":1000}'
        for previous, row in itertools.pairwise(rows[1:]):  # every hash from entry 3 on
            row["prev_hash"] = previous["hash"]
            row["hash"] = entry_hash(row)
            conn.execute(update(E).where(E.c.seq == row["seq"]).values(after=row["after"],
                                                                       prev_hash=row["prev_hash"],
                                                                       hash=row["hash"]))
        conn.execute(update(t.audit_head).values(hash=rows[-1]["hash"]))
    assert _problem(db) is None
    assert _problem(db, [before_edit]) is None  # the edit came after this anchor
    assert _problem(db, [before_edit, later]) == "entry 6: differs from the anchor taken at entry 6 (rewritten)"
    assert _problem(db, [earlier]) == "entry 8: differs from the anchor taken at entry 8 (rewritten)"


def test_anchors_of_the_empty_log_and_bad_anchors(db: Database) -> None:
    empty = audit.head(db)
    assert _problem(db, [empty]) is None
    _append(db, 3)
    head = audit.head(db)
    assert _problem(db, [empty, head]) is None
    assert _problem(db, [Anchor(0, "1" * 64)]) == "anchor at 0 is not a valid anchor"
    assert _problem(db, [head, Anchor(3, "1" * 64)]) == "entry 3: two anchors disagree on its hash"


# ---------------------------------------------------------------- concurrency


def test_concurrent_appends_number_and_chain_without_gaps(db: Database) -> None:
    threads, each = 8, 25
    start = threading.Barrier(threads)

    def client(n: int) -> None:
        start.wait()
        _append(db, each, object_type=f"thread{n}")

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(client, range(threads)))
    with db.begin() as conn:
        seqs = list(conn.execute(select(E.c.seq).order_by(E.c.seq)).scalars())
    assert seqs == list(range(1, threads * each + 1))
    report = audit.verify(db)
    assert report.ok and report.entries == threads * each and report.head == audit.head(db)


# ---------------------------------------------------------------- the PostgreSQL application role


def test_a_granted_app_role_appends_but_never_changes(pg_db: Database) -> None:
    role = f"stockyard_app_{uuid.uuid4().hex[:8]}"
    admin_url = pg_db.engine.url
    with pg_db.engine.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    app_db = Database.from_url(admin_url.set(username=role, password=None).render_as_string(hide_password=False))
    try:
        result = runner.invoke(app, ["db", "grant", role, "--database-url",
                                     admin_url.render_as_string(hide_password=False)])
        assert result.exit_code == 0, result.output
        assert "warning" not in result.output
        md.create(app_db, md.WAREHOUSE, {"code": "WH1", "name": "One"}, principal=SYSTEM)  # tables and sequences
        _append(app_db, 3)
        assert audit.verify(app_db).entries >= 3
        for statement in ("UPDATE audit_entry SET actor = 'mallory'", "DELETE FROM audit_entry",
                          "TRUNCATE audit_entry"):
            assert "permission denied for table audit_entry" in _refused(app_db, statement)
    finally:
        app_db.dispose()
        with pg_db.engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))  # its grants, here and on the database
            conn.execute(text(f'DROP ROLE "{role}"'))
    assert audit.verify(pg_db).ok


def test_grant_warns_when_the_role_could_still_change_the_log(pg_db: Database) -> None:
    url = pg_db.engine.url.render_as_string(hide_password=False)
    unknown = runner.invoke(app, ["db", "grant", "no_such_role_x", "--database-url", url])
    assert unknown.exit_code == 1 and "there is no role" in unknown.output
    superuser = runner.invoke(app, ["db", "grant", pg_db.engine.url.username or "postgres", "--database-url", url])
    assert superuser.exit_code == 0 and "is a superuser" in superuser.output
    suffix = uuid.uuid4().hex[:8]
    member, editors, owner = f"stockyard_m_{suffix}", f"stockyard_e_{suffix}", f"stockyard_o_{suffix}"
    with pg_db.engine.begin() as conn:
        for role in (member, editors, owner):
            conn.execute(text(f'CREATE ROLE "{role}"'))
        conn.execute(text(f'GRANT UPDATE ON audit_entry TO "{editors}"'))
        conn.execute(text(f'GRANT "{editors}" TO "{member}"'))
    try:
        inherits = runner.invoke(app, ["db", "grant", member, "--database-url", url])
        assert inherits.exit_code == 0 and "may still UPDATE, DELETE or TRUNCATE" in inherits.output
        with pg_db.engine.begin() as conn:
            conn.execute(text(f'GRANT "{pg_db.engine.url.username or "postgres"}" TO "{owner}"'))
        owns = runner.invoke(app, ["db", "grant", owner, "--database-url", url])
        assert owns.exit_code == 0 and "owns audit_entry" in owns.output
    finally:
        with pg_db.engine.begin() as conn:
            for role in (member, editors, owner):
                conn.execute(text(f'DROP OWNED BY "{role}"'))
                conn.execute(text(f'DROP ROLE "{role}"'))


# ---------------------------------------------------------------- the command line


@pytest.fixture
def env_db(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Database]:
    """``db``, named by STOCKYARD_DATABASE_URL as the commands read it."""
    monkeypatch.setenv("STOCKYARD_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


def test_cli_anchor_prints_or_appends_the_head(env_db: Database, tmp_path: Path) -> None:
    printed = runner.invoke(app, ["audit", "anchor"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) | {"at": None} == {"seq": 0, "hash": GENESIS_HASH, "at": None}
    _append(env_db, 2)
    anchors = tmp_path / "anchors.jsonl"
    for _ in range(2):
        assert runner.invoke(app, ["audit", "anchor", "--output", str(anchors)]).exit_code == 0
        _append(env_db, 1)
    lines = [json.loads(line) for line in anchors.read_text().splitlines()]
    assert [(a["seq"], a["hash"]) for a in lines] == [(2, audit.list_entries(env_db)[1]["hash"]),
                                                       (3, audit.list_entries(env_db)[2]["hash"])]
    assert all(a["at"].endswith("+00:00") for a in lines)


def test_cli_verify_exits_1_naming_the_first_bad_entry(env_db: Database, tmp_path: Path) -> None:
    _append(env_db, 5)
    anchors = tmp_path / "anchors.jsonl"
    assert runner.invoke(app, ["audit", "anchor", "-o", str(anchors)]).exit_code == 0
    clean = runner.invoke(app, ["audit", "verify", "--anchors", str(anchors)])
    assert clean.exit_code == 0 and "audit log verified" in clean.output and "5 entries" in clean.output
    with _unprotected(env_db) as conn:
        conn.execute(E.delete().where(E.c.seq == 5))
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0  # a cut tail alone still chains
    truncated = runner.invoke(app, ["audit", "verify", "--anchors", str(anchors)])
    assert truncated.exit_code == 1 and "(truncated)" in truncated.output
    with _unprotected(env_db) as conn:
        conn.execute(update(E).where(E.c.seq == 2).values(actor="mallory"))
    edited = runner.invoke(app, ["audit", "verify"])
    assert edited.exit_code == 1
    assert "entry 2: content does not match its hash (edited)" in edited.output


def test_cli_verify_refuses_a_bad_anchor_file(env_db: Database, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"seq": 0, "hash": GENESIS_HASH}) + "\n\nnot json\n")
    result = runner.invoke(app, ["audit", "verify", "--anchors", str(bad)])
    assert result.exit_code == 2 and "bad.jsonl:3: not an anchor" in result.output
    missing = runner.invoke(app, ["audit", "verify", "--anchors", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "cannot read" in missing.output


def test_cli_grant_on_sqlite_has_nothing_to_do(env_db: Database) -> None:
    if env_db.dialect != "sqlite":
        pytest.skip("SQLite only")
    result = runner.invoke(app, ["db", "grant", "stockyard_app"])
    assert result.exit_code == 0 and "no database roles" in result.output


# ---------------------------------------------------------------- the API


def test_api_head_verify_and_list(client: TestClient, db: Database) -> None:
    _append(db, 3, object_type="thing")
    head = audit.head(db)  # signing the client in may have written entries too
    assert client.get("/api/v1/audit/head").json() == {"seq": head.seq, "hash": head.hash}
    verified = client.post("/api/v1/audit/verify")
    assert verified.status_code == 200, verified.text
    assert verified.json() == {"ok": True, "entries": head.seq, "problem": None,
                               "head": {"seq": head.seq, "hash": head.hash}}
    anchored = client.post("/api/v1/audit/verify", json={"anchors": [{"seq": head.seq, "hash": head.hash}]})
    assert anchored.json()["ok"] is True
    forged = client.post("/api/v1/audit/verify", json={"anchors": [{"seq": head.seq, "hash": "1" * 64}]})
    assert forged.status_code == 200
    assert forged.json()["ok"] is False and "(rewritten)" in forged.json()["problem"]
    assert client.post("/api/v1/audit/verify", json={"anchors": [{"seq": 1, "hash": "xyz"}]}).status_code == 422
    page = client.get("/api/v1/audit", params={"object_type": "thing", "limit": 2}).json()
    assert [e["object_id"] for e in page["items"]] == ["0", "1"] and page["items"][0]["after"] == {"n": 1}
    rest = client.get("/api/v1/audit", params={"object_type": "thing", "limit": 2,
                                               "cursor": page["next_cursor"]}).json()
    assert [e["object_id"] for e in rest["items"]] == ["2"] and rest["next_cursor"] is None


def test_api_list_needs_an_unrestricted_scope(client: TestClient, db: Database) -> None:
    _append(db, 1)
    scoped = bearer(db, "scoped_manager", roles=["warehouse_manager"], owner_ids=[1])
    refused = client.get("/api/v1/audit", headers=scoped)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "outside_scope"
    assert client.get("/api/v1/audit/head", headers=scoped).status_code == 200  # numbers and hashes only
