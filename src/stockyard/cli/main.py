"""The ``stockyard`` command."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from stockyard.cli.audit import audit_app, db_grant
from stockyard.cli.users import user_app
from stockyard.config import get_settings
from stockyard.db.engine import Database

app = typer.Typer(help="Stockyard warehouse management system.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(user_app, name="user")
db_app.command("grant")(db_grant)
console = Console(stderr=True)

DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL; default "
                                                 "STOCKYARD_DATABASE_URL or a SQLite file here")]


def _db(url: str | None) -> Database:
    return Database.from_url(url or get_settings().database_url)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head", database_url: DatabaseUrl = None) -> None:
    """Apply the Alembic migrations (the same history on SQLite and PostgreSQL)."""
    from stockyard.db.migrate import current_revision, upgrade

    db = _db(database_url)
    upgrade(db.engine, revision)
    console.print(f"database at revision {current_revision(db.engine)}")


@app.command()
def serve(host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
          port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
          workers: int = 1, database_url: DatabaseUrl = None) -> None:
    """Run the HTTP server (API under /api/v1, OpenAPI at /openapi.json, docs at /docs)."""
    import os

    import uvicorn

    settings = get_settings()
    if database_url:
        os.environ["STOCKYARD_DATABASE_URL"] = database_url
    host = host or settings.host
    port = port or settings.port
    console.print(f"Stockyard at http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run("stockyard.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level=settings.log_level)


@app.command()
def demo(database_url: DatabaseUrl = None,
         force: Annotated[bool, typer.Option(help="load even if the database already has data")] = False,
         credentials: Annotated[Path, typer.Option(help="where to write the demo users' sign-ins")] = Path(
             "stockyard-demo-credentials.txt"),
         ) -> None:
    """Load the demo: 2 warehouses, 3 owners, ~200 SKUs, ~2,000 locations in aisles, opening stock."""
    from stockyard.db.migrate import upgrade
    from stockyard.demo import has_data, load_demo

    db = _db(database_url)
    upgrade(db.engine)
    if has_data(db) and not force:
        console.print("the database already has master data; demo not loaded (use --force to add it anyway)")
        _demo_sign_ins(db, credentials)
        return
    with console.status("loading the demo warehouse") as status:
        summary = load_demo(db, progress=lambda message: status.update(message))
    console.print(summary)
    _demo_sign_ins(db, credentials)


def _demo_sign_ins(db: Database, credentials: Path) -> None:
    from stockyard.demo_users import create_demo_users

    made = create_demo_users(db)
    if made is None:
        return
    password, logins = made
    lines = [f"{login.username:<12} {login.role:<22} {login.scope}" for login in logins]
    credentials.write_text("Stockyard demo sign-ins (all share one password)\n"
                           f"password: {password}\n" + "\n".join(lines) + "\n", encoding="utf-8")
    credentials.chmod(0o600)
    console.print(f"demo users created; password {password} (also in {credentials})")


@app.command()
def verify(database_url: DatabaseUrl = None) -> None:
    """Replay the ledger and prove the five invariants; exits 1 and lists each violation if any fails."""
    from stockyard.services.verify import verify as run

    with console.status("verifying the ledger") as status:
        report = run(_db(database_url), progress=lambda message: status.update(message))
    for v in report.violations:
        console.print(f"[red]invariant {v.invariant}[/red] {v.key}: {v.message}")
    verdict = "[green]ledger verified[/green]" if report.ok else f"[red]{len(report.violations)} violations[/red]"
    console.print(f"{verdict}: {report.movements} movements, {report.balances} balance rows")
    raise typer.Exit(0 if report.ok else 1)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(ctx: typer.Context, name: Annotated[str, typer.Argument(help="a script in bench/")] = "ledger",
          ) -> None:
    """Run a benchmark from the bench/ folder of a Stockyard checkout (extra options go to the script)."""
    script = Path.cwd() / "bench" / f"{name}.py"
    if not script.exists():
        console.print(f"no benchmark {script}; run this from a Stockyard checkout")
        raise typer.Exit(2)
    sys.argv = [str(script), *ctx.args]
    runpy.run_path(str(script), run_name="__main__")


counts_app = typer.Typer(help="Counts (盘点).", no_args_is_help=True)
app.add_typer(counts_app, name="counts")


@counts_app.command("run-due")
def counts_run_due(database_url: DatabaseUrl = None) -> None:
    """Start the counts of every count plan due today; run it daily (cron, systemd timer)."""
    from stockyard.domain.access import SYSTEM
    from stockyard.services.counts import run_due_plans

    started = run_due_plans(_db(database_url), SYSTEM)
    console.print(f"{len(started)} count(s) started: " + ", ".join(str(c["id"]) for c in started))


if __name__ == "__main__":
    app()
