"""``stockyard audit``: anchor and verify the audit log's hash chain; ``stockyard db grant`` for PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from stockyard.config import get_settings
from stockyard.db.engine import Database
from stockyard.domain.audit import Anchor
from stockyard.services import audit

audit_app = typer.Typer(help="The audit log: anchors and verification.", no_args_is_help=True)
# soft_wrap: a problem, a path or a hash stays on one line for whoever greps the output.
console = Console(stderr=True, soft_wrap=True)

# The same option as the other commands (cli/main.py); repeated here since main imports this module.
DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL; default "
                                                 "STOCKYARD_DATABASE_URL or a SQLite file here")]


@contextmanager
def _database(url: str | None) -> Iterator[Database]:
    db = Database.from_url(url or get_settings().database_url)
    try:
        yield db
    finally:
        db.dispose()


@audit_app.command("anchor")
def anchor(output: Annotated[Path | None, typer.Option("--output", "-o", help="append the anchor to this file "
                                                       "as one JSON line instead of printing it")] = None,
           database_url: DatabaseUrl = None) -> None:
    """Print the head of the audit log as JSON {"seq", "hash", "at"}: keep it away from this machine."""
    with _database(database_url) as db:
        head = audit.head(db)
    line = json.dumps({"seq": head.seq, "hash": head.hash, "at": datetime.now(UTC).isoformat()})
    if output is None:
        typer.echo(line)
        return
    with output.open("a", encoding="utf-8") as file:
        file.write(line + "\n")
    console.print(escape(f"anchor at entry {head.seq} appended to {output}"))


@audit_app.command("verify")
def verify(anchors: Annotated[Path | None, typer.Option("--anchors", help="JSON lines written by "
                                                        "'stockyard audit anchor'")] = None,
           database_url: DatabaseUrl = None) -> None:
    """Check the hash chain (and the anchors); exits 1 and names the first bad entry if it does not hold."""
    kept = _read_anchors(anchors) if anchors else []
    with _database(database_url) as db, console.status("verifying the audit log"):
        report = audit.verify(db, kept)
    if not report.ok:
        console.print(f"[red]{escape(report.problem or '')}[/red]")
        console.print(f"audit log NOT verified ({report.entries} entries read, {len(kept)} anchors)")
        raise typer.Exit(1)
    console.print(f"[green]audit log verified[/green]: {report.entries} entries, {len(kept)} anchors; "
                  f"head {report.head.seq} {report.head.hash}")


def _read_anchors(path: Path) -> list[Anchor]:
    found = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        console.print(escape(f"cannot read {path}: {error.strerror}"))
        raise typer.Exit(2) from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
            found.append(Anchor(int(value["seq"]), str(value["hash"])))
        except (ValueError, KeyError, TypeError):
            console.print(escape(f"{path}:{number}: not an anchor (a JSON object with seq and hash)"))
            raise typer.Exit(2) from None
    return found


def db_grant(role: Annotated[str, typer.Argument(help="the application's PostgreSQL role")],
             database_url: DatabaseUrl = None) -> None:
    """PostgreSQL: grant ROLE what the application needs, except changing or removing audit entries."""
    with _database(database_url) as db:
        if db.dialect != "postgresql":
            console.print(f"{db.dialect} has no database roles; nothing to grant")
            return
        try:
            warnings = audit.grant_app_role(db, role)
        except ValueError as error:
            console.print(f"[red]{escape(str(error))}[/red]")
            raise typer.Exit(1) from None
    for warning in warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    console.print(f"granted {role} the application's rights; audit_entry is insert-only for it")
