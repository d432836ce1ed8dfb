"""Alembic's environment for the central database: the connection is handed over by
central/schema.py (config.attributes["connection"]), inside the transaction it holds."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None)
with context.begin_transaction():
    context.run_migrations()
