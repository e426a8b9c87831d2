"""What every endpoint receives: the database and the acting principal, each from one dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from stockyard.db.engine import Database
from stockyard.services.principal import Principal


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_principal(request: Request) -> Principal:
    """The acting principal. Access control replaces this one function; until then a development
    principal with every permission, named by the optional ``X-Stockyard-User`` header."""
    name = request.headers.get("x-stockyard-user", "developer")[:128]
    return Principal(name)


DbDep = Annotated[Database, Depends(get_db)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
