"""``chainmatch db upgrade`` and ``chainmatch db current``: the schema, through Alembic."""

from __future__ import annotations

import typer


def _url(url: str | None) -> str:
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from recommender.settings import get_settings

    resolved = url or get_settings().effective_database_url
    parsed = make_url(resolved)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        # a fresh install has no var/ yet; SQLite creates the file but not its directory
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    return resolved


def register(app: typer.Typer) -> None:
    """Add the ``db`` command group to ``app``."""
    db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
    url_option = typer.Option(None, "--url", help="database URL (default: CHAINMATCH_DATABASE_URL)")

    @db_app.command("upgrade")
    def upgrade(
        revision: str = typer.Argument("head", help="target revision"),
        url: str | None = url_option,
    ) -> None:
        """Create or migrate the database schema up to REVISION (default: head)."""
        from recommender.db import migrate

        target = _url(url)
        migrate.upgrade(target, revision)
        typer.echo(f"database at revision {migrate.current(target)}")

    @db_app.command("current")
    def current(url: str | None = url_option) -> None:
        """Print the database's revision and the newest one available."""
        from recommender.db import migrate

        rev = migrate.current(_url(url))
        head = migrate.head()
        state = "up to date" if rev == head else "needs `chainmatch db upgrade`"
        typer.echo(f"current: {rev or '(empty database)'}  head: {head}  ({state})")

    app.add_typer(db_app, name="db")
