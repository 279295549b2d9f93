"""``chainmatch import``, ``import-dir`` and ``export``: the data contract on the command line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from recommender.errors import ImportValidationError

KINDS = (
    "enterprises", "parks", "needs", "events", "participants", "outcomes", "projects",
    "park_members",
)  # fmt: skip
_FILE_ARG = typer.Argument(..., help="a .csv (UTF-8 or GBK) or .xlsx file")
_DIR_ARG = typer.Argument(..., help="holds enterprises.csv, parks.csv, ... (or .xlsx)")
_OUT_OPT = typer.Option(..., "--out", help="the file to write")


@contextmanager
def _session() -> Iterator[Session]:
    from recommender.db.engine import make_engine, make_session_factory
    from recommender.settings import get_settings

    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    session = make_session_factory(engine)()
    try:
        yield session
    finally:
        session.close()
        engine.dispose()


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        typer.echo(f"KIND must be one of {', '.join(KINDS)}, got {kind!r}", err=True)
        raise typer.Exit(2)


def _print_errors(err: ImportValidationError) -> None:
    typer.echo(err.message or f"{err.source}: {len(err.errors)} problem(s)", err=True)
    for row in err.errors:  # every row error, not only the first 50
        typer.echo(f"  {err.source}: {row}", err=True)
    for note in getattr(err, "__notes__", ()):
        typer.echo(note, err=True)


def _max_bytes() -> int:
    from recommender.ingest.reading import DEFAULT_MAX_BYTES
    from recommender.settings import get_settings

    value = getattr(get_settings(), "import_max_bytes", DEFAULT_MAX_BYTES)
    return int(value)


def register(app: typer.Typer) -> None:
    """Add the import and export commands to ``app``."""

    @app.command("import")
    def import_(
        kind: str = typer.Argument(..., help=f"one of {', '.join(KINDS)}"),
        file: Path = _FILE_ARG,
        dry_run: bool = typer.Option(False, "--dry-run", help="validate only, write nothing"),
    ) -> None:
        """Validate FILE and upsert its rows; on any bad row print every problem and exit 1."""
        from features.reference import load_reference
        from recommender.errors import ImportValidationError
        from recommender.ingest import import_file
        from recommender.settings import get_settings

        _check_kind(kind)
        reference = load_reference(get_settings().reference_dir)
        with _session() as session:
            try:
                report = import_file(
                    session, kind=kind, path=file, reference=reference, dry_run=dry_run,
                    max_bytes=_max_bytes(),
                )  # fmt: skip
            except ImportValidationError as err:
                _print_errors(err)
                raise typer.Exit(1) from err
        if not dry_run:
            from recommender import datastamp

            datastamp.touch(get_settings().home)  # running servers rebuild their ranking data
        typer.echo(report.summary())

    @app.command("import-dir")
    def import_dir_(
        directory: Path = _DIR_ARG,
    ) -> None:
        """Import every kind found in DIRECTORY in one transaction (all or nothing)."""
        from features.reference import load_reference
        from recommender.errors import ImportValidationError
        from recommender.ingest import import_dir
        from recommender.settings import get_settings

        reference = load_reference(get_settings().reference_dir)
        with _session() as session:
            try:
                reports = import_dir(
                    session, directory=directory, reference=reference, max_bytes=_max_bytes()
                )
            except ImportValidationError as err:
                _print_errors(err)
                raise typer.Exit(1) from err
        from recommender import datastamp

        datastamp.touch(get_settings().home)  # running servers rebuild their ranking data
        for report in reports:
            typer.echo(report.summary())

    @app.command("export")
    def export_(
        kind: str = typer.Argument(..., help=f"one of {', '.join(KINDS)}"),
        fmt: str = typer.Option("csv", "--format", help="csv or xlsx"),
        out: Path = _OUT_OPT,
        encoding: str = typer.Option("utf-8-sig", help="CSV encoding: utf-8-sig or gbk"),
        headers: str = typer.Option("en", help="column headers: en (names) or zh (中文)"),
    ) -> None:
        """Write every stored row of KIND to a file that imports again unchanged."""
        from recommender.errors import ValidationError
        from recommender.ingest import export_frame

        _check_kind(kind)
        if fmt not in ("csv", "xlsx") or encoding not in ("utf-8-sig", "utf-8", "gbk"):
            typer.echo(
                f"expected --format csv|xlsx and --encoding utf-8-sig|utf-8|gbk, "
                f"got {fmt!r} and {encoding!r}",
                err=True,
            )
            raise typer.Exit(2)
        if headers not in ("en", "zh"):
            typer.echo(f"expected --headers en|zh, got {headers!r}", err=True)
            raise typer.Exit(2)
        with _session() as session:
            try:
                n = export_frame(
                    session, kind=kind, fmt=fmt, out=out, encoding=encoding, headers=headers,  # type: ignore[arg-type]
                )  # fmt: skip
            except ValidationError as err:
                typer.echo(str(err), err=True)
                raise typer.Exit(1) from err
        typer.echo(f"{kind}: wrote {n} rows to {out}")
