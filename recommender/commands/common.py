"""What several commands share: a session on the configured database, a city's adcode,
admin commands' error handling and tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@contextmanager
def db_session() -> Iterator[Session]:
    """A session on the configured database, from a runtime closed after the ``with``."""
    from recommender.runtime import Runtime
    from recommender.settings import get_settings

    runtime = Runtime(get_settings())
    session = runtime.session_factory()
    try:
        yield session
    finally:
        session.close()
        runtime.close()


def resolve_city(city: str) -> str:
    """The adcode of a city spelling (蚌埠, 蚌埠市, 340300, 闵行区...), by the one resolver
    (:func:`recommender.ingest.cities.city_codes`)."""
    from features.reference import load_reference
    from recommender.ingest.cities import city_codes
    from recommender.settings import get_settings

    cities = load_reference(get_settings().reference_dir).cities
    return city_codes([city], cities, what="--city")[0]


@contextmanager
def admin_session() -> Iterator[Session]:
    """:func:`db_session` for an admin command: a domain error (unknown user, bad role...)
    is one line ``error: ...`` on stderr and exit status 2, never a traceback."""
    import typer

    from recommender.errors import ChainmatchError

    with db_session() as session:
        try:
            yield session
        except ChainmatchError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc


def cell(value: object) -> str:
    """A table cell: ``-`` for nothing, times to the second."""
    if value is None or value == "":
        return "-"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return str(value)


def echo_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Print a tab-separated table with a header line."""
    import typer

    typer.echo("\t".join(header))
    for row in rows:
        typer.echo("\t".join(cell(v) for v in row))
