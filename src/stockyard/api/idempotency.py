"""``Idempotency-Key`` on every creating POST: a replay returns the first response, the same key with another
body is 422, and a replay while the first request is still running is 409.

It is ASGI middleware so that every POST route, present and future, is covered without opting in. Keys are
scoped to the caller (the hash of its Authorization header) so two clients can never collide.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from anyio import to_thread
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockyard.api.errors import error_body
from stockyard.config import get_settings
from stockyard.db import tables as t
from stockyard.db.engine import Database

HEADER = b"idempotency-key"


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key = headers.get(HEADER, b"").decode("latin-1").strip()
        if not key:
            await self.app(scope, receive, send)
            return
        if len(key) > 200:
            await _send_json(send, 422, error_body("invalid", "Idempotency-Key is longer than 200 characters",
                                                   "Idempotency-Key"))
            return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        db: Database = scope["app"].state.db
        # Keys belong to the caller's credential (a token, or the web session's cookie header).
        credential = headers.get(b"authorization") or headers.get(b"cookie", b"")
        caller = hashlib.sha256(credential).hexdigest()[:32]
        fingerprint = hashlib.sha256(scope["path"].encode() + b"\n" + _canonical(body)).hexdigest()
        claim = await to_thread.run_sync(_claim, db, key, caller, fingerprint)
        if claim is not None:
            status, payload, replayed = claim
            await _send_raw(send, status, payload, replayed=replayed)
            return
        await self._run(scope, body, send, db, key, caller)

    async def _run(self, scope: Scope, body: bytes, send: Send, db: Database, key: str, caller: str) -> None:
        sent = False

        async def replay_body() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        finally:
            await to_thread.run_sync(_finish, db, key, caller, status, b"".join(chunks))


def _canonical(body: bytes) -> bytes:
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        return body


def _claim(db: Database, key: str, caller: str, fingerprint: str) -> tuple[int, bytes, bool] | None:
    """None when this request now owns the key; otherwise the answer to give instead of running it."""
    ttl = timedelta(hours=get_settings().idempotency_ttl_hours)
    k = t.idempotency_key

    def work(conn: Any) -> tuple[int, bytes, bool] | None:
        row = conn.execute(select(k).where(k.c.key == key, k.c.principal == caller)).first()
        if row is not None and row.created_at.replace(tzinfo=row.created_at.tzinfo or UTC) < datetime.now(UTC) - ttl:
            conn.execute(delete(k).where(k.c.key == key, k.c.principal == caller))
            row = None
        if row is None:
            conn.execute(insert(k).values(key=key, principal=caller, request_hash=fingerprint,
                                          state="in_progress", created_at=datetime.now(UTC)))
            return None
        if row.request_hash != fingerprint:
            return 422, json.dumps(error_body(
                "idempotency_key_reused", "this Idempotency-Key was used with a different request",
                "Idempotency-Key")).encode(), False
        if row.state != "done":
            return 409, json.dumps(error_body(
                "request_in_progress", "a request with this Idempotency-Key is still being processed",
                "Idempotency-Key")).encode(), False
        return int(row.response_status), str(row.response_body).encode(), True

    try:
        return db.write(work)
    except IntegrityError:
        # Another request claimed the same key between our read and our insert: it is in progress.
        return 409, json.dumps(error_body("request_in_progress",
                                          "a request with this Idempotency-Key is still being processed",
                                          "Idempotency-Key")).encode(), False


def _finish(db: Database, key: str, caller: str, status: int, body: bytes) -> None:
    k = t.idempotency_key
    where = (k.c.key == key, k.c.principal == caller)
    if status >= 500:
        # Nothing was committed by a failed request; free the key so the client can retry.
        db.write(lambda conn: conn.execute(delete(k).where(*where)))
        return
    db.write(lambda conn: conn.execute(update(k).where(*where).values(
        state="done", response_status=status, response_body=body.decode())))


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    await _send_raw(send, status, json.dumps(payload).encode(), replayed=False)


async def _send_raw(send: Send, status: int, body: bytes, *, replayed: bool) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if replayed:
        headers.append((b"idempotency-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
