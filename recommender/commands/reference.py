"""``chainmatch reference build``: rebuild data/reference from the raw public tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

SharedOpt = Annotated[
    Path | None,
    typer.Option(help="raw tables laid out like /work/shared/data; default data/reference/raw"),
]
OutOpt = Annotated[Path | None, typer.Option(help="output folder; default data/reference")]


def register(app: typer.Typer) -> None:
    """Add the ``reference`` command group to ``app``."""
    group = typer.Typer(help="Reference data (cities, industries, IO table, chains, parks).")

    @group.command("build")
    def build(shared: SharedOpt = None, out: OutOpt = None) -> None:
        """Rebuild the reference CSVs and copy the raw tables used."""
        from features.refdata import build_reference
        from features.reference import DEFAULT_REF_DIR

        out_dir = out or DEFAULT_REF_DIR
        counts = build_reference(shared or out_dir / "raw", out_dir)
        for name, n in counts.items():
            typer.echo(f"{name:14s} {n:6d}")

    app.add_typer(group, name="reference")
