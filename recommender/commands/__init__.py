"""CLI command groups. Each module defines ``register(app)``; add new ones to REGISTRARS."""

from __future__ import annotations

from collections.abc import Callable

import typer

from recommender.commands import (
    audit,
    backup,
    db,
    demo,
    events,
    features,
    io,
    keys,
    projects,
    rank,
    reference,
    serve,
    train,
    users,
    world,
)

REGISTRARS: list[Callable[[typer.Typer], None]] = [
    audit.register,
    backup.register,
    db.register,
    demo.register,
    events.register,
    features.register,
    io.register,
    keys.register,
    projects.register,
    rank.register,
    reference.register,
    serve.register,
    train.register,
    users.register,
    world.register,
]
