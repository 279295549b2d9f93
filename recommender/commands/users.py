"""``chainmatch users create|list|disable|enable|passwd``: accounts for people (pages)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PASSWORD_HELP = "the password (8-256 characters); asked for, hidden, when omitted"


def _password(given: str | None) -> str:
    if given is not None:
        return given
    value: str = typer.prompt("密码 password", hide_input=True, confirmation_prompt=True)
    return value


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


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
        from recommender.commands.keys import _city_code
        from recommender.errors import ChainmatchError
        from recommender.security import accounts, expiry

        secret = _password(password)
        with _session() as session:
            try:
                city_code = _city_code(session, city) if city else None
                row = accounts.create_user(
                    session,
                    username=username,
                    password=secret,
                    role=role,
                    city_code=city_code,
                    label=label,
                    expires_at=expiry(expires_days),
                )
            except ChainmatchError as exc:
                raise _fail(exc) from exc
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
        from recommender.errors import ChainmatchError
        from recommender.security import accounts

        when = None if days is None else utcnow() + dt.timedelta(days=max(days, 0))
        with _session() as session:
            try:
                row = accounts.set_expiry(session, username=username, expires_at=when)
            except ChainmatchError as exc:
                raise _fail(exc) from exc
            stamp = when.isoformat(timespec="seconds") + " UTC" if when else "never"
            typer.echo(f"user {row.username} expires: {stamp}")

    @users.command("list")
    def list_() -> None:
        """List accounts (user name, role, city, label, created, disabled); never a hash."""
        from recommender.security import accounts

        with _session() as session:
            rows = accounts.list_users(session)
            typer.echo("username\trole\tcity\tlabel\tcreated_at\tdisabled_at\texpires_at")
            for r in rows:
                off = r.disabled_at.isoformat(timespec="seconds") if r.disabled_at else "-"
                ends = r.expires_at.isoformat(timespec="seconds") if r.expires_at else "-"
                typer.echo(
                    f"{r.username}\t{r.role}\t{r.city_code or '-'}\t{r.label or '-'}\t"
                    f"{r.created_at.isoformat(timespec='seconds')}\t{off}\t{ends}"
                )

    @users.command("disable")
    def disable(username: str = typer.Argument(..., help="the user name")) -> None:
        """Disable an account: it cannot sign in, and its open sessions end."""
        from recommender.errors import ChainmatchError
        from recommender.security import accounts

        with _session() as session:
            try:
                row = accounts.disable_user(session, username=username)
            except ChainmatchError as exc:
                raise _fail(exc) from exc
            typer.echo(f"disabled user {row.username}")

    @users.command("enable")
    def enable(username: str = typer.Argument(..., help="the user name")) -> None:
        """Enable a disabled account again."""
        from recommender.errors import ChainmatchError
        from recommender.security import accounts

        with _session() as session:
            try:
                row = accounts.enable_user(session, username=username)
            except ChainmatchError as exc:
                raise _fail(exc) from exc
            typer.echo(f"enabled user {row.username}")

    @users.command("passwd")
    def passwd(
        username: str = typer.Argument(..., help="the user name"),
        password: str | None = typer.Option(None, help=PASSWORD_HELP),
    ) -> None:
        """Set a new password; sessions signed in with the old one end."""
        from recommender.errors import ChainmatchError
        from recommender.security import accounts

        secret = _password(password)
        with _session() as session:
            try:
                row = accounts.set_password(session, username=username, password=secret)
            except ChainmatchError as exc:
                raise _fail(exc) from exc
            typer.echo(f"new password set for user {row.username}")


def _session() -> Session:
    from recommender.commands.keys import _session as keys_session

    return keys_session()
