"""Alembic environment: the engine comes from ``stockyard.db.migrate``; the same history serves both databases."""

from __future__ import annotations

from alembic import context

from stockyard.db.tables import metadata

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
