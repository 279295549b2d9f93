"""``chainmatch demo-setup``: a production model and demo API keys, once (``make run``)."""

from __future__ import annotations

from pathlib import Path

import typer

# role, city adcode, label: one key per role; the promotion office is 蚌埠's
DEMO_KEYS: tuple[tuple[str, str | None, str], ...] = (
    ("admin", None, "演示 admin"),
    ("promotion_office", "340300", "演示 蚌埠市投资促进局"),
    ("organiser", None, "演示 活动组织方 organiser"),
    ("analyst", None, "演示 分析师 analyst"),
)


def write_keys(path: Path, keys: list[tuple[str, str | None, str, str]]) -> None:
    """Write ``role city label secret`` lines (tab-separated) to ``path``, owner-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# chainmatch demo API keys: role\tcity\tlabel\tkey (send as X-API-Key)"]
    lines += [f"{role}\t{city or '-'}\t{label}\t{secret}" for role, city, label, secret in keys]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)


def register(app: typer.Typer) -> None:
    """Add ``demo-setup`` to ``app``."""

    @app.command("demo-setup")
    def demo_setup(
        retrain: bool = typer.Option(False, help="train even if a model is in production"),
    ) -> None:
        """Train and promote a model if none is in production; create demo keys if none."""
        from recommender import security
        from recommender.commands.train import print_summary
        from recommender.db.engine import make_engine, make_session_factory, session_scope
        from recommender.settings import get_settings
        from recommender.training_jobs import train_from_database
        from training.registry import ModelRegistry

        settings = get_settings()
        production = ModelRegistry(settings.models_dir).production()
        if production is None or retrain:
            summary = train_from_database(settings, promote_if_better=True, notes="demo-setup")
            print_summary(summary)
        else:
            typer.echo(f"production model: {production} (use --retrain to train anyway)")

        keys_file = settings.home / "demo_keys.txt"
        engine = make_engine(settings.effective_database_url)
        try:
            with session_scope(make_session_factory(engine)) as session:
                existing = security.list_keys(session)
                if existing:
                    typer.echo(f"{len(existing)} API keys exist; none created")
                    if keys_file.is_file():
                        typer.echo(f"demo keys: {keys_file}")
                        typer.echo(keys_file.read_text(encoding="utf-8"))
                    return
                made: list[tuple[str, str | None, str, str]] = []
                for role, city, label in DEMO_KEYS:
                    _row, secret = security.create_key(
                        session, role=role, city_code=city, label=label
                    )
                    made.append((role, city, label, secret))
        finally:
            engine.dispose()
        write_keys(keys_file, made)
        typer.echo(f"demo keys written to {keys_file}:")
        for role, city, label, secret in made:
            typer.echo(f"  {role:<17} {city or '-':<7} {label}: {secret}")
