"""Storage, ingest, the ranking service, explanations, business rules, the event planner, CLI."""
