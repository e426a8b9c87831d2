"""The command line and the real server process, as a new user meets them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import text
from typer.testing import CliRunner

from stockyard.cli.main import app
from stockyard.db.engine import Database
from stockyard.domain.stock import Bucket, Movement, PostingRequest, VirtualKind
from stockyard.services import ledger
from tests.helpers import World

runner = CliRunner()


def test_db_upgrade_then_verify_clean_then_corrupt(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = runner.invoke(app, ["db", "upgrade", "--database-url", url])
    assert result.exit_code == 0, result.output
    db = Database.from_url(url)
    world = World(db)
    shelf = world.location("A")
    ledger.post(db, PostingRequest("RECEIPT", [Movement(world.item(), Bucket(world.virtual(VirtualKind.SUPPLIER)),
                                                        Bucket(shelf), Decimal(5))]))
    clean = runner.invoke(app, ["verify", "--database-url", url])
    assert clean.exit_code == 0 and "ledger verified" in clean.output
    with db.begin() as conn:
        conn.execute(text("UPDATE balance SET on_hand = on_hand + 1000000 WHERE location_id = :a"), {"a": shelf})
    broken = runner.invoke(app, ["verify", "--database-url", url])
    assert broken.exit_code == 1
    assert "invariant 2" in broken.output and "invariant 3" in broken.output
    db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_over_http(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    assert runner.invoke(app, ["db", "upgrade", "--database-url", url]).exit_code == 0
    created_admin = runner.invoke(app, ["user", "create", "root", "--password-stdin", "--database-url", url],
                                  input="correct horse battery staple\n")
    assert created_admin.exit_code == 0, created_admin.output
    port = _free_port()
    env = {**os.environ, "STOCKYARD_DATABASE_URL": url}
    server = subprocess.Popen([sys.executable, "-m", "stockyard.cli.main", "serve", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("server did not start")
        assert httpx.get(f"{base}/healthz").json()["database"] == "sqlite"
        assert httpx.get(f"{base}/api/v1/warehouses").status_code == 401
        signed_in = httpx.post(f"{base}/api/v1/auth/login",
                               json={"username": "root", "password": "correct horse battery staple"})
        assert signed_in.status_code == 200, signed_in.text
        auth = {"Authorization": f"Bearer {signed_in.json()['token']}"}
        created = httpx.post(f"{base}/api/v1/warehouses", json={"code": "HTTP", "name": "Over HTTP"},
                             headers={"Idempotency-Key": "wh-http-1", **auth})
        again = httpx.post(f"{base}/api/v1/warehouses", json={"code": "HTTP", "name": "Over HTTP"},
                           headers={"Idempotency-Key": "wh-http-1", **auth})
        assert created.status_code == again.status_code == 201
        assert created.json() == again.json()
        listed = httpx.get(f"{base}/api/v1/warehouses", headers=auth).json()["items"]
        assert [w["code"] for w in listed] == ["HTTP"]
        assert "/api/v1/stock/balances" in httpx.get(f"{base}/openapi.json").json()["paths"]
    finally:
        server.terminate()
        server.wait(timeout=10)
