"""``chainmatch world``: generate a synthetic world and write it as import files + truth/."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def world(
        firms: int = typer.Option(5000, "--firms", help="number of enterprises (>= 100)"),
        seed: int = typer.Option(7, "--seed", help="random seed; same seed, same files"),
        out: Path = typer.Option(..., "--out", help="folder to write the world into"),
        start: datetime = typer.Option(
            "2023-01-01", "--start", formats=["%Y-%m-%d"], help="first day of the data"
        ),
        end: datetime = typer.Option(
            "2025-12-31", "--end", formats=["%Y-%m-%d"], help="last day of the data"
        ),
        variant: str = typer.Option(
            "standard", "--variant", help="world variant (standard, capability, preference, ...)"
        ),
    ) -> None:
        """Generate a synthetic world (firms, parks, needs, events, outcomes) into OUT."""
        from tqdm import tqdm

        from features.reference import load_reference
        from recommender.settings import get_settings
        from training.world import STEPS, VARIANTS, generate_world, write_world

        if variant not in VARIANTS:
            typer.echo(
                f"错误：未知的世界变体 {variant!r}（unknown world variant）；"
                f"可选 known: {', '.join(VARIANTS)}",
                err=True,
            )
            raise typer.Exit(2)
        reference = load_reference(get_settings().reference_dir)
        with tqdm(total=len(STEPS) + 1, desc="world", unit="step") as bar:

            def step(name: str) -> None:
                bar.set_postfix_str(f"{name} done")
                bar.update(1)

            w = generate_world(
                reference,
                n_firms=firms,
                seed=seed,
                start=_day(start),
                end=_day(end),
                on_step=step,
                variant=variant,
            )
            bar.set_postfix_str("writing")
            write_world(w, out)
            bar.update(1)
        typer.echo(
            f"wrote {len(w.enterprises)} firms, {len(w.events)} events, "
            f"{len(w.truth.pairs)} recommended pairs, {len(w.outcomes)} outcome rows "
            f"to {out} (variant {variant})"
        )


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value
