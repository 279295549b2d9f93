"""Alembic revisions (a package so that an installed chainmatch ships them)."""
