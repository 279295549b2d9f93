"""CLI command groups. Each module defines ``register(app)``; add new ones to REGISTRARS."""

from __future__ import annotations

from collections.abc import Callable

import typer

from recommender.commands import serve

REGISTRARS: list[Callable[[typer.Typer], None]] = [serve.register]
