"""``chainmatch keys create|list|revoke|rotate``: API keys (the secret is printed once)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from recommender.commands.common import admin_session, db_session, echo_table, resolve_city

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

        with admin_session() as session:
            city_code = resolve_city(city) if city else None
            row, plaintext = security.create_key(
                session,
                role=role,
                city_code=city_code,
                label=label,
                expires_at=security.expiry(expires_days),
            )
            _audit(session, "key.create", f"key:{row.id}", {"role": role})
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

        with db_session() as session:
            rows = security.list_keys(session)
        echo_table(
            ("id", "prefix", "role", "city", "label", "created_at", "revoked_at", "expires_at",
             "replaced_by"),
            ((r.id, r.prefix, r.role, r.city_code, r.label, r.created_at, r.revoked_at,
              r.expires_at, r.replaced_by) for r in rows),
        )  # fmt: skip

    @keys.command("revoke")
    def revoke(key_id: int = typer.Argument(..., help="the id shown by `keys list`")) -> None:
        """Revoke a key: requests with it get 401 from now on."""
        from recommender import security

        with admin_session() as session:
            row = security.revoke_key(session, key_id=key_id)
            _audit(session, "key.revoke", f"key:{row.id}", {"role": row.role})
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

        with admin_session() as session:
            if grace_hours < 0:
                raise typer.BadParameter(f"--grace-hours must be >= 0, got {grace_hours}")
            row, plaintext = security.rotate_key(
                session,
                key_id=key_id,
                grace=dt.timedelta(hours=grace_hours),
                expires_at=security.expiry(expires_days),
            )
            _audit(session, "key.rotate", f"key:{key_id}", {"new_key": row.id})
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
