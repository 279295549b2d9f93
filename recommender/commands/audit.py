"""``chainmatch audit``: who viewed or exported which list, who promoted which model."""

from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    """Add ``audit`` to ``app``."""

    @app.command("audit")
    def audit_log(
        action: str | None = typer.Option(
            None, "--action", help="e.g. list.export, model.promote, or a prefix such as list."
        ),
        actor: str | None = typer.Option(None, "--actor", help="user:NAME, key:ID or cli:USER"),
        days: float = typer.Option(30.0, "--days", help="entries of the last N days"),
        limit: int = typer.Option(100, "--limit", help="at most this many entries (1-10000)"),
        as_json: bool = typer.Option(False, "--json", help="JSON lines instead of a table"),
    ) -> None:
        """Print the audit log, newest first (the shell's user reads it as admin)."""
        import datetime as dt

        from recommender.db.models import utcnow
        from recommender.errors import ChainmatchError
        from recommender.runtime import Runtime
        from recommender.security import audit
        from recommender.settings import get_settings

        runtime = Runtime(get_settings())
        try:
            with runtime.session_factory() as session:
                rows = audit.entries(
                    session,
                    action=action,
                    actor=actor,
                    since=utcnow() - dt.timedelta(days=days),
                    limit=limit,
                )
                lines = [
                    {
                        "at": r.at.isoformat(timespec="seconds") + "Z",
                        "actor": r.actor,
                        "role": r.role,
                        "action": r.action,
                        "target": r.target,
                        "client": r.client,
                        "detail": r.detail,
                    }
                    for r in rows
                ]
            audit.record(
                runtime.session_factory,
                principal=None,
                action="audit.view",
                target=f"chainmatch audit --action {action or '*'} --days {days:g}",
                detail={"rows": len(lines)},
            )
        except ChainmatchError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        finally:
            runtime.engine.dispose()
        if as_json:
            for line in lines:
                typer.echo(json.dumps(line, ensure_ascii=False))
            return
        typer.echo("at\tactor\trole\taction\ttarget\tclient")
        for e in lines:
            typer.echo(
                f"{e['at']}\t{e['actor']}\t{e['role'] or '-'}\t{e['action']}\t"
                f"{e['target'] or '-'}\t{e['client'] or '-'}"
            )
        if not lines:
            typer.echo(f"(no entries in the last {days:g} days)", err=True)


def record_shell(action: str, target: str, detail: dict[str, object] | None = None) -> None:
    """Audit something done at the shell (a list exported, a model promoted) as ``cli:USER``.

    A database that cannot be reached only costs a warning: the command's work is done.
    """
    import logging

    from sqlalchemy.exc import SQLAlchemyError

    from recommender.runtime import Runtime
    from recommender.security import audit
    from recommender.settings import get_settings

    runtime = Runtime(get_settings())
    try:
        audit.record(runtime.session_factory, principal=None, action=action, target=target,
                     detail=detail)  # fmt: skip
    except SQLAlchemyError as exc:
        logging.getLogger(__name__).warning("could not write the audit entry %s: %s", action, exc)
    finally:
        runtime.engine.dispose()
