"""Alembic migrations for every table (`audiogpt db upgrade`, also applied on start)."""
