"""The central API (`ohjaus serve`): devices push their changes here and pull the region's.
SQLite by default, PostgreSQL for a region. It shares domain/ and sync/protocol.py with the
application, never the screens."""
