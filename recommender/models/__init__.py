"""Ranking model versions: training from the database, promotion and rollback."""
