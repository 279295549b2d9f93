"""Storage: engine factory, typed ORM tables, Alembic migrations and repository functions.

Everything here takes its collaborators (URL, engine, session) as arguments; nothing
connects or reads settings at import time.
"""
