"""The central database's schema as Alembic revisions (env.py, versions/); run by
`ohjaus db upgrade` through central/schema.py, never by an alembic.ini."""
