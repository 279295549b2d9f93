"""``chainmatch demo-setup``: a production model, demo API keys and demo user accounts, once
(``make run``)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

# role, city adcode, label: one key per role; the promotion office is 蚌埠's
DEMO_KEYS: tuple[tuple[str, str | None, str], ...] = (
    ("admin", None, "演示 admin"),
    ("promotion_office", "340300", "演示 蚌埠市投资促进局"),
    ("organiser", None, "演示 活动组织方 organiser"),
    ("analyst", None, "演示 分析师 analyst"),
    ("coordinator", None, "演示 省级协调员 coordinator"),
)


# user name, role, city adcode, label: the people who try the pages
DEMO_USERS: tuple[tuple[str, str, str | None, str], ...] = (
    ("admin", "admin", None, "演示 系统管理员"),
    ("bengbu", "promotion_office", "340300", "蚌埠市投资促进局（演示）"),
    ("organiser", "organiser", None, "对接会组织方（演示）"),
    ("analyst", "analyst", None, "分析员（演示）"),
    ("coordinator", "coordinator", None, "省级协调员（演示）"),
)


def write_users(path: Path, users: list[tuple[str, str, str | None, str, str]]) -> None:
    """Write ``username role city label password`` lines (tab-separated), owner-readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        "# chainmatch demo accounts (sign in at /login): username\trole\tcity\tlabel\tpassword"
    ]
    lines += [f"{u}\t{role}\t{city or '-'}\t{label}\t{pw}" for u, role, city, label, pw in users]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)


def demo_users(session: Session, path: Path) -> None:
    """Create the demo accounts if there are none; print them (and where they are kept)."""
    from recommender.security import accounts

    if accounts.list_users(session):
        typer.echo("user accounts exist; none created")
        if path.is_file():
            typer.echo(f"demo accounts: {path}")
            typer.echo(path.read_text(encoding="utf-8"))
        return
    made: list[tuple[str, str, str | None, str, str]] = []
    for username, role, city, label in DEMO_USERS:
        password = secrets.token_urlsafe(9)
        accounts.create_user(
            session, username=username, password=password, role=role, city_code=city, label=label
        )
        made.append((username, role, city, label, password))
    write_users(path, made)
    typer.echo(f"demo accounts written to {path} (sign in at http://127.0.0.1:8000/login):")
    for username, _role, city, label, password in made:
        typer.echo(f"  {username:<10} {password:<14} {city or '-':<7} {label}")


def demo_ledger(session: Session) -> None:
    """Give the demo world a project ledger (from its outcomes) if it has none."""
    from features.reference import load_reference
    from recommender.projects.demo import store_demo_ledger
    from recommender.settings import get_settings

    reference = load_reference(get_settings().reference_dir)
    n = store_demo_ledger(session, industries=reference.industries)
    typer.echo(f"demo ledger: {n} projects" if n else "projects exist; no demo ledger made")


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
        from recommender.models.training import train_from_database
        from recommender.ranking.models import why_not_servable
        from recommender.settings import get_settings
        from training.registry import ModelRegistry

        settings = get_settings()
        registry = ModelRegistry(settings.models_dir)
        production = registry.production()
        why = None if production is None else why_not_servable(registry, production)
        stale = why is not None
        if stale:
            typer.echo(f"the production model cannot be served: {why}; training a new one")
        if production is None or retrain or stale:
            summary = train_from_database(settings, promote_if_better=True, notes="demo-setup")
            print_summary(summary)
        else:
            typer.echo(f"production model: {production} (use --retrain to train anyway)")

        keys_file = settings.home / "demo_keys.txt"
        engine = make_engine(settings.effective_database_url)
        try:
            with session_scope(make_session_factory(engine)) as session:
                demo_users(session, settings.home / "demo_users.txt")
                demo_ledger(session)
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
