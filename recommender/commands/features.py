"""``chainmatch features list``: the feature catalogue as a table."""

from __future__ import annotations

from typing import Annotated

import typer

FamilyOpt = Annotated[str | None, typer.Option(help="show only this family (e.g. chain, history)")]
LangOpt = Annotated[str, typer.Option(help="meaning language: zh or en")]


def register(app: typer.Typer) -> None:
    """Add the ``features`` command group to ``app``."""
    group = typer.Typer(help="Pair features: the catalogue the ranker and its explanations use.")

    @group.command("list")
    def list_features(family: FamilyOpt = None, lang: LangOpt = "zh") -> None:
        """Print every feature: name, family, meaning, as-of rule."""
        from features.catalogue import FAMILIES, FEATURE_SET_VERSION, FEATURES

        if family is not None and family not in FAMILIES:
            raise typer.BadParameter(f"family must be one of {FAMILIES}, got {family!r}")
        if lang not in ("zh", "en"):
            raise typer.BadParameter(f"lang must be zh or en, got {lang!r}")
        rows = [f for f in FEATURES if family is None or f.family == family]
        width = max(len(f.name) for f in rows)
        typer.echo(f"feature set {FEATURE_SET_VERSION}: {len(rows)} features")
        typer.echo(f"{'name':{width}s}  {'family':11s}  meaning  [as of]")
        for f in rows:
            meaning = f.meaning_zh if lang == "zh" else f.meaning_en
            typer.echo(f"{f.name:{width}s}  {f.family:11s}  {meaning}  [{f.as_of_rule}]")

    app.add_typer(group, name="features")
