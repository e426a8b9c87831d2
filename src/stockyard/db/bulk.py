"""Many rows in one statement.

psycopg 3 runs an ``executemany`` INSERT or UPDATE without RETURNING as one statement per row; a wave of 10,000
orders writes some 100,000 rows that way (bench/p6_wave.py). On PostgreSQL these helpers send each column as one
array and let the server unnest them; elsewhere (SQLite, one process, no round trips) they keep ``executemany``.
Values go through each column's own bind processing (exact quantities, JSON, UTC times), as ``insert()`` would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Table, bindparam, insert, text, update

Row = Mapping[str, Any]


def insert_rows(conn: Connection, table: Table, rows: Sequence[Row]) -> None:
    """Insert ``rows`` (all with the same keys) into ``table`` in one statement."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    q = conn.dialect.identifier_preparer.quote
    sql = (f"INSERT INTO {q(table.name)} ({', '.join(q(name) for name in columns)}) "
           f"SELECT * FROM unnest({', '.join(_array(conn, table, name, i) for i, name in enumerate(columns))})")
    conn.execute(text(sql), _arrays(conn, table, columns, rows))


def update_rows(conn: Connection, table: Table, key: str, rows: Sequence[Row]) -> None:
    """Set the given columns of each row found by ``key`` (every row has the same keys, ``key`` among them)."""
    if not rows:
        return
    columns = [name for name in rows[0] if name != key]
    if conn.dialect.name != "postgresql":
        statement = update(table).where(table.c[key] == bindparam(f"b_{key}")).values(
            {name: bindparam(f"b_{name}") for name in columns})
        conn.execute(statement, [{f"b_{name}": value for name, value in row.items()} for row in rows])
        return
    names = [key, *columns]
    q = conn.dialect.identifier_preparer.quote
    unnest = ", ".join(_array(conn, table, name, i) for i, name in enumerate(names))
    sql = (f"UPDATE {q(table.name)} AS target SET {', '.join(f'{q(name)} = v.{q(name)}' for name in columns)} "
           f"FROM unnest({unnest}) AS v({', '.join(q(name) for name in names)}) "
           f"WHERE target.{q(key)} = v.{q(key)}")
    conn.execute(text(sql), _arrays(conn, table, names, rows))


def _array(conn: Connection, table: Table, name: str, index: int) -> str:
    return f"CAST(:p{index} AS {table.c[name].type.compile(conn.dialect)}[])"


def _arrays(conn: Connection, table: Table, columns: Sequence[str], rows: Sequence[Row]) -> dict[str, list[Any]]:
    params = {}
    for index, name in enumerate(columns):
        column_type = table.c[name].type
        # psycopg adapts JSON by the parameter's type, which an array of text cast to json[] does not give it.
        process = _json_text if isinstance(column_type, JSON) else column_type.bind_processor(conn.dialect)
        values = [row[name] for row in rows]
        params[f"p{index}"] = [None if v is None else process(v) for v in values] if process else values
    return params


def _json_text(value: Any) -> str:
    return json.dumps(value)
