"""``chainmatch keys create|list|revoke|rotate``: API keys (the secret is printed once)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def register(app: typer.Typer) -> None:
    keys = typer.Typer(help="API keys: create (prints the secret once), list, revoke, rotate.")
    app.add_typer(keys, name="keys")

    @keys.command("create")
    def create(
        role: str = typer.Option(..., help="promotion_office, organiser, analyst or admin"),
        city: str | None = typer.Option(
            None, help="city: 蚌埠, 蚌埠市, 340300 or 闵行区; promotion_office only"
        ),
        label: str = typer.Option("", help="who holds the key, e.g. 蚌埠市投资促进局"),
        expires_days: float | None = typer.Option(
            None, "--expires-days", help="valid for N days (default: until revoked)"
        ),
    ) -> None:
        """Issue a key and print its secret (only its hash is stored)."""
        from recommender import security
        from recommender.errors import ChainmatchError

        with _session() as session:
            try:
                city_code = _city_code(session, city) if city else None
                row, plaintext = security.create_key(
                    session,
                    role=role,
                    city_code=city_code,
                    label=label,
                    expires_at=security.expiry(expires_days),
                )
                _audit(session, "key.create", f"key:{row.id}", {"role": role})
            except ChainmatchError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(2) from exc
        typer.echo(plaintext)
        typer.echo(
            f"key {row.id} ({row.prefix}…): role {row.role}, city {row.city_code or '-'}; "
            "store the secret above now, it is not shown again",
            err=True,
        )

    @keys.command("list")
    def list_() -> None:
        """List keys (id, prefix, role, city, label, created, revoked, expires, replaced by)."""
        from recommender import security

        with _session() as session:
            rows = security.list_keys(session)
        typer.echo("id\tprefix\trole\tcity\tlabel\tcreated_at\trevoked_at\texpires_at\treplaced_by")
        for r in rows:
            revoked = r.revoked_at.isoformat(timespec="seconds") if r.revoked_at else "-"
            expires = r.expires_at.isoformat(timespec="seconds") if r.expires_at else "-"
            typer.echo(
                f"{r.id}\t{r.prefix}\t{r.role}\t{r.city_code or '-'}\t{r.label or '-'}\t"
                f"{r.created_at.isoformat(timespec='seconds')}\t{revoked}\t{expires}\t"
                f"{r.replaced_by or '-'}"
            )

    @keys.command("revoke")
    def revoke(key_id: int = typer.Argument(..., help="the id shown by `keys list`")) -> None:
        """Revoke a key: requests with it get 401 from now on."""
        from recommender import security
        from recommender.errors import ChainmatchError

        with _session() as session:
            try:
                row = security.revoke_key(session, key_id=key_id)
                _audit(session, "key.revoke", f"key:{row.id}", {"role": row.role})
            except ChainmatchError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(2) from exc
        typer.echo(f"revoked key {row.id} ({row.prefix}…, role {row.role})")

    @keys.command("rotate")
    def rotate(
        key_id: int = typer.Argument(..., help="the id shown by `keys list`"),
        grace_hours: float = typer.Option(
            0.0, "--grace-hours", help="the old key keeps working this long (default: revoked now)"
        ),
        expires_days: float | None = typer.Option(
            None, "--expires-days", help="the new key is valid for N days (default: no expiry)"
        ),
    ) -> None:
        """Issue a successor (same role, city, label), print its secret, retire the old key."""
        import datetime as dt

        from recommender import security
        from recommender.errors import ChainmatchError

        with _session() as session:
            try:
                if grace_hours < 0:
                    raise typer.BadParameter(f"--grace-hours must be >= 0, got {grace_hours}")
                row, plaintext = security.rotate_key(
                    session,
                    key_id=key_id,
                    grace=dt.timedelta(hours=grace_hours),
                    expires_at=security.expiry(expires_days),
                )
                _audit(session, "key.rotate", f"key:{key_id}", {"new_key": row.id})
            except ChainmatchError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(2) from exc
        typer.echo(plaintext)
        old = "revoked now" if grace_hours == 0 else f"valid for {grace_hours:g} more hour(s)"
        typer.echo(
            f"key {row.id} ({row.prefix}…) replaces key {key_id} ({old}); "
            "store the secret above now, it is not shown again",
            err=True,
        )


def _audit(session: Session, action: str, target: str, detail: dict[str, object]) -> None:
    """Record a key change made at the shell (by the operating-system user)."""
    from recommender.security import audit

    audit.add(
        session,
        actor=audit.cli_actor(),
        role="admin",
        action=action,
        target=target,
        detail=detail,
    )
    session.commit()


def _session() -> Session:
    """A session on the configured database (closed by the caller's ``with``)."""
    from recommender.db.engine import make_engine, make_session_factory
    from recommender.settings import get_settings

    factory = make_session_factory(make_engine(get_settings().effective_database_url))
    return factory()


def _city_code(session: Session | None, city: str) -> str:
    """The adcode of a city spelling (蚌埠, 蚌埠市, 340300, 闵行区...), by the one resolver
    (recommender.ingest.cities); ``session`` is not needed (kept for `users create`)."""
    from features.reference import load_reference
    from recommender.ingest.cities import city_codes
    from recommender.settings import get_settings

    cities = load_reference(get_settings().reference_dir).cities
    return city_codes([city], cities, what="--city")[0]
