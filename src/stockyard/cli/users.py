"""``stockyard user``: the first administrator and password resets from the machine's shell."""

from __future__ import annotations

import secrets
import sys
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import func, select

from stockyard.config import get_settings
from stockyard.db import tables as t
from stockyard.db.engine import Database
from stockyard.domain.access import SYSTEM, BuiltinRole
from stockyard.domain.errors import DomainError
from stockyard.services import access

user_app = typer.Typer(help="Users (the first administrator, password resets).", no_args_is_help=True)
console = Console(stderr=True)

DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL; default "
                                                 "STOCKYARD_DATABASE_URL or a SQLite file here")]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="read the password from standard input "
                                             "instead of generating one")]


def _password(from_stdin: bool) -> tuple[str, bool]:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    return secrets.token_urlsafe(18), True


@user_app.command("create")
def create(username: str, role: Annotated[list[str] | None, typer.Option("--role", help="role code; repeat "
           "for more (default system_administrator)")] = None,
           display_name: Annotated[str | None, typer.Option(help="name shown in the console")] = None,
           password_stdin: PasswordStdin = False, database_url: DatabaseUrl = None) -> None:
    """Create a user; without --password-stdin a strong password is generated and printed once."""
    db = Database.from_url(database_url or get_settings().database_url)
    password, generated = _password(password_stdin)
    try:
        user = access.create_user(db, SYSTEM, access.NewUser(
            username=username, display_name=display_name or username, password=password,
            roles=role or [BuiltinRole.SYSTEM_ADMINISTRATOR]))
    except DomainError as error:
        console.print(f"[red]{error.field or 'error'}: {error.message}[/red]")
        raise typer.Exit(2) from None
    console.print(f"user {user['username']} created with roles {', '.join(user['roles'])}")
    if generated:
        typer.echo(password)
        console.print("that is the password, shown this once; change it after signing in")


@user_app.command("set-password")
def set_password(username: str, password_stdin: PasswordStdin = False, database_url: DatabaseUrl = None) -> None:
    """Set a user's password (all their sessions end); prints a generated one without --password-stdin."""
    db = Database.from_url(database_url or get_settings().database_url)
    user_id = db.read(lambda conn: conn.execute(select(t.app_user.c.id).where(
        func.lower(t.app_user.c.username) == username.lower())).scalar())
    if user_id is None:
        console.print(f"[red]no user {username}[/red]")
        raise typer.Exit(2)
    password, generated = _password(password_stdin)
    try:
        access.set_password(db, SYSTEM, user_id, password)
    except DomainError as error:
        console.print(f"[red]{error.field or 'error'}: {error.message}[/red]")
        raise typer.Exit(2) from None
    if generated:
        typer.echo(password)
    console.print(f"password of {username} set; their sessions have ended")
