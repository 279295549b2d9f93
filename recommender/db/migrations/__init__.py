"""Alembic environment of chainmatch (configured by ``recommender.db.migrate``, no alembic.ini)."""
