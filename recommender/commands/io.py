"""``chainmatch import``, ``import-dir`` and ``export``: the data contract on the command line."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
import typer

from recommender.commands.common import db_session

log = logging.getLogger(__name__)

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
_MAX_DETAILS = 50  # a national 小巨人 list names thousands of firms no office stores


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


@contextmanager
def user_errors(what: str) -> Iterator[None]:
    """Every failure as one clear message on stderr and a non-zero exit, never a traceback:
    a rejected file lists all its problems (exit 1); anything else is one line (exit 2)."""
    from sqlalchemy.exc import SQLAlchemyError

    from recommender.errors import ChainmatchError, ImportValidationError

    try:
        yield
    except ImportValidationError as err:
        _print_errors(err)
        raise typer.Exit(1) from err
    except ChainmatchError as err:
        typer.echo(f"{what}: {err}", err=True)
        raise typer.Exit(2) from err
    except SQLAlchemyError as err:
        first = str(err).splitlines()[0]
        typer.echo(
            f"{what}: database error ({type(err).__name__}: {first}); expected a database "
            "migrated to the current schema (run `chainmatch db upgrade`)",
            err=True,
        )
        raise typer.Exit(2) from err
    except OSError as err:
        typer.echo(f"{what}: {err.strerror or err} ({err.filename or ''})", err=True)
        raise typer.Exit(2) from err
    except (typer.Exit, typer.Abort, click.ClickException):
        raise
    except Exception as err:  # the last net: a user sees one line, the log keeps the trace
        log.exception("%s failed", what)
        first = str(err).splitlines()[0] if str(err) else ""
        typer.echo(
            f"{what}: internal error ({type(err).__name__}: {first}); nothing was changed "
            "by this step; please report it with the command you ran",
            err=True,
        )
        raise typer.Exit(3) from err


def _constants(values: list[str]) -> dict[str, str]:
    """``--set COLUMN=VALUE`` options as a mapping; a malformed one exits with a message."""
    out: dict[str, str] = {}
    for item in values:
        column, sep, value = item.partition("=")
        if not sep or not column.strip():
            typer.echo(f"--set: expected COLUMN=VALUE (e.g. 龙头企业=是), got {item!r}", err=True)
            raise typer.Exit(2)
        out[column.strip()] = value.strip()
    return out


def _max_bytes() -> int:
    from recommender.ingest.reading import DEFAULT_MAX_BYTES
    from recommender.settings import get_settings

    value = getattr(get_settings(), "import_max_bytes", DEFAULT_MAX_BYTES)
    return int(value)


def _import_lock(session: Session, dry_run: bool, what: str) -> AbstractContextManager[None]:
    """One import at a time per database (a dry run writes nothing and needs no lock)."""
    from recommender.db import locks

    return contextlib.nullcontext() if dry_run else locks.exclusive(session, what=what)


def _echo_details(file: Path, details: list[str]) -> None:
    """How a list's rows matched stored firms, at most :data:`_MAX_DETAILS` lines (stderr)."""
    for line in details[:_MAX_DETAILS]:
        typer.echo(f"  {file}: {line}", err=True)
    if len(details) > _MAX_DETAILS:
        typer.echo(f"  {file}: ... and {len(details) - _MAX_DETAILS} more", err=True)


def _check_export_options(fmt: str, encoding: str, headers: str) -> None:
    """Exit 2 with what was expected unless the export's options are known ones."""
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


def register(app: typer.Typer) -> None:
    """Add the import and export commands to ``app``."""

    @app.command("import")
    def import_(
        kind: str = typer.Argument(..., help=f"one of {', '.join(KINDS)}"),
        file: Path = _FILE_ARG,
        dry_run: bool = typer.Option(False, "--dry-run", help="validate only, write nothing"),
        set_: list[str] = typer.Option(
            [],
            "--set",
            help="COLUMN=VALUE for every row, e.g. 龙头企业=是 or 专精特新=国家级 (a list)",
        ),
    ) -> None:
        """Validate FILE and upsert its rows; on any bad row print every problem and exit 1.

        Registry exports (企查查/天眼查) are recognised by their header. A file without the
        required columns (a 龙头企业 or 专精特新 list) updates only the columns it carries of
        firms already stored, found by 统一社会信用代码 or exact name.
        """
        from features.reference import load_reference
        from recommender.ingest import import_file
        from recommender.settings import get_settings

        _check_kind(kind)
        constants = _constants(set_)
        with user_errors(f"import {kind} {file}"):
            reference = load_reference(get_settings().reference_dir)
            with db_session() as session, _import_lock(session, dry_run, f"import {kind} {file}"):
                report = import_file(
                    session, kind=kind, path=file, reference=reference, dry_run=dry_run,
                    max_bytes=_max_bytes(), constants=constants,
                )  # fmt: skip
            if not dry_run:
                from recommender.db import datastamp

                datastamp.touch(get_settings().home)  # running servers rebuild their data
        typer.echo(report.summary())
        if report.match is not None:
            _echo_details(file, report.match.details())

    @app.command("import-dir")
    def import_dir_(
        directory: Path = _DIR_ARG,
    ) -> None:
        """Import every kind found in DIRECTORY in one transaction (all or nothing)."""
        from features.reference import load_reference
        from recommender.ingest import import_dir
        from recommender.settings import get_settings

        with user_errors(f"import-dir {directory}"):
            reference = load_reference(get_settings().reference_dir)
            with db_session() as session, _import_lock(session, False, f"import-dir {directory}"):
                reports = import_dir(
                    session, directory=directory, reference=reference, max_bytes=_max_bytes()
                )
            from recommender.db import datastamp

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
        _check_export_options(fmt, encoding, headers)
        with db_session() as session:
            try:
                n = export_frame(
                    session, kind=kind, fmt=fmt, out=out, encoding=encoding, headers=headers,  # type: ignore[arg-type]
                )  # fmt: skip
                if fmt == "xlsx":  # stored texts never become formulas (recommender.records.excel)
                    from recommender.records import excel

                    excel.protect_file(out)
            except ValidationError as err:
                typer.echo(str(err), err=True)
                raise typer.Exit(1) from err
            except OSError as err:
                typer.echo(f"export {kind}: cannot write {out}: {err.strerror or err}", err=True)
                raise typer.Exit(2) from err
        typer.echo(f"{kind}: wrote {n} rows to {out}")
