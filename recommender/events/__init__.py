"""Matchmaking events from the database: planning, stored plans, re-plans."""
