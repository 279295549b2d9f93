"""``chainmatch users create|list|disable|enable|passwd``: accounts for people (pages)."""

from __future__ import annotations

import typer

from recommender.commands.common import admin_session, db_session, echo_table, resolve_city

PASSWORD_HELP = "the password (8-256 characters); asked for, hidden, when omitted"


def _password(given: str | None) -> str:
    if given is not None:
        return given
    value: str = typer.prompt("密码 password", hide_input=True, confirmation_prompt=True)
    return value


def register(app: typer.Typer) -> None:
    """Add the ``users`` group to ``app``."""
    users = typer.Typer(help="User accounts for the web pages: create, list, disable, passwd.")
    app.add_typer(users, name="users")

    @users.command("create")
    def create(
        username: str = typer.Argument(..., help="sign-in name, e.g. bengbu_zhaoshang"),
        role: str = typer.Option(
            ..., help="promotion_office, organiser, analyst, coordinator or admin"
        ),
        city: str | None = typer.Option(
            None, help="city adcode (340300) or name (蚌埠); promotion_office only"
        ),
        label: str = typer.Option("", help="who it is, e.g. 蚌埠市投资促进局 张三"),
        password: str | None = typer.Option(None, help=PASSWORD_HELP),
        expires_days: float | None = typer.Option(
            None, "--expires-days", help="the account expires after N days (default: never)"
        ),
    ) -> None:
        """Create an account (only the argon2 hash of the password is stored)."""
        from recommender.security import accounts, expiry

        secret = _password(password)
        with admin_session() as session:
            city_code = resolve_city(city) if city else None
            row = accounts.create_user(
                session,
                username=username,
                password=secret,
                role=role,
                city_code=city_code,
                label=label,
                expires_at=expiry(expires_days),
            )
            typer.echo(f"user {row.username}: role {row.role}, city {row.city_code or '-'}")

    @users.command("expire")
    def expire(
        username: str = typer.Argument(..., help="the user name"),
        days: float | None = typer.Option(
            None, "--days", help="expires N days from now; 0 or less: now; omitted: never"
        ),
    ) -> None:
        """Set when an account expires (an expired account cannot sign in; sessions end)."""
        import datetime as dt

        from recommender.db.models import utcnow
        from recommender.security import accounts

        when = None if days is None else utcnow() + dt.timedelta(days=max(days, 0))
        with admin_session() as session:
            row = accounts.set_expiry(session, username=username, expires_at=when)
            stamp = when.isoformat(timespec="seconds") + " UTC" if when else "never"
            typer.echo(f"user {row.username} expires: {stamp}")

    @users.command("list")
    def list_() -> None:
        """List accounts (user name, role, city, label, created, disabled); never a hash."""
        from recommender.security import accounts

        with db_session() as session:
            rows = accounts.list_users(session)
            echo_table(
                ("username", "role", "city", "label", "created_at", "disabled_at", "expires_at"),
                ((r.username, r.role, r.city_code, r.label, r.created_at, r.disabled_at,
                  r.expires_at) for r in rows),
            )  # fmt: skip

    @users.command("disable")
    def disable(username: str = typer.Argument(..., help="the user name")) -> None:
        """Disable an account: it cannot sign in, and its open sessions end."""
        from recommender.security import accounts

        with admin_session() as session:
            row = accounts.disable_user(session, username=username)
            typer.echo(f"disabled user {row.username}")

    @users.command("enable")
    def enable(username: str = typer.Argument(..., help="the user name")) -> None:
        """Enable a disabled account again."""
        from recommender.security import accounts

        with admin_session() as session:
            row = accounts.enable_user(session, username=username)
            typer.echo(f"enabled user {row.username}")

    @users.command("passwd")
    def passwd(
        username: str = typer.Argument(..., help="the user name"),
        password: str | None = typer.Option(None, help=PASSWORD_HELP),
    ) -> None:
        """Set a new password; sessions signed in with the old one end."""
        from recommender.security import accounts

        secret = _password(password)
        with admin_session() as session:
            row = accounts.set_password(session, username=username, password=secret)
            typer.echo(f"new password set for user {row.username}")
