"""Importing files into the database (all-or-nothing) and exporting stored entities to files."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Literal, Protocol

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from features.infer_nodes import NodeInference
from features.schema import SCHEMAS
from recommender.db import repo
from recommender.errors import ImportValidationError, RowError, ValidationError
from recommender.ingest.aliases import (
    FILE_COLUMNS,
    KIND_ORDER,
    KIND_SHEET_NAMES,
    header_key,
)
from recommender.ingest.cities import CityResolver
from recommender.ingest.merge import MatchReport, merge_enterprises
from recommender.ingest.reading import DEFAULT_MAX_BYTES, FILE, read_table
from recommender.ingest.registry import LAYOUTS, IndustryNames
from recommender.ingest.validate import REFERENCES, Validated, validate_table

__all__ = ["ImportReport", "ReferenceTables", "export_frame", "import_dir", "import_file"]

log = logging.getLogger(__name__)
_SUFFIXES = (".csv", ".xlsx")
_FILE_NAMES = {"city_code": "city", "partner_city_code": "partner_city"}


class ReferenceTables(Protocol):
    """What validation needs of ``features.reference.Reference``."""

    @property
    def cities(self) -> pd.DataFrame: ...  # city_code, name, short_name (, province)

    @property
    def industries(self) -> pd.DataFrame: ...  # code


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, with ``dry_run``, would do) with one file."""

    kind: str
    source: str
    rows: int
    inserted: int  # dry run: rows whose key is new
    updated: int  # dry run: 0
    unchanged: int  # dry run: 0
    existing: int  # rows whose key was already stored
    dry_run: bool
    encoding: str
    sheet: str | None
    ignored_columns: tuple[str, ...]
    layout: str = "contract"  # a key of recommender.ingest.registry.LAYOUTS
    banner_lines: int = 0  # lines above the header that were skipped
    footer_lines: int = 0  # trailing note lines that were skipped
    columns: tuple[str, ...] = ()  # the frame columns the file carries
    match: MatchReport | None = None  # lists: how rows found their firms
    inferred_nodes: int = 0  # enterprises whose chain nodes were inferred

    def summary(self) -> str:
        """One line for the CLI."""
        ignored = f"; ignored columns {list(self.ignored_columns)}" if self.ignored_columns else ""
        if self.dry_run:
            text = (
                f"{self.kind}: {self.rows} valid rows in {self.source} ({self.encoding}); "
                f"would insert {self.inserted}, {self.existing} already stored{ignored}"
            )
        else:
            text = (
                f"{self.kind}: {self.rows} rows from {self.source}: inserted {self.inserted}, "
                f"updated {self.updated}, unchanged {self.unchanged}{ignored}"
            )
        return text + self._extra()

    def _extra(self) -> str:
        if self.kind != "enterprises":
            return ""
        parts = [f"layout {LAYOUTS.get(self.layout, self.layout)}"]
        skipped = self.banner_lines + self.footer_lines
        if skipped:
            parts.append(f"skipped {skipped} banner/note line(s)")
        if self.match is not None:
            updating = [c for c in self.columns if c not in ("uscc", "name", "city_code")]
            parts.append(f"updates columns {updating}: {self.match.summary()}")
        if self.inferred_nodes:
            parts.append(f"chain nodes inferred for {self.inferred_nodes} firms")
        return "; " + "; ".join(parts)


def _ledger(kind: str) -> ModuleType | None:
    """The ledger module for the kinds it stores (projects, park members), else None."""
    if kind not in ("projects", "park_members"):
        return None
    from recommender.projects import ledger  # imported late: it builds on this package

    return ledger


def _validate(
    session: Session,
    *,
    kind: str,
    path: Path,
    reference: ReferenceTables,
    in_import: Mapping[str, Collection[str]],
    max_bytes: int,
    constants: Mapping[str, str] | None = None,
) -> tuple[Validated, ImportReport]:
    table = read_table(path, kind=kind, max_bytes=max_bytes, constants=constants)
    ledger = _ledger(kind)
    extra: list[RowError] = []
    if ledger is not None:  # parks named by name, a project's city or park
        table, extra = ledger.prepare_table(session, table)
    known: dict[str, set[str]] = {}
    for _, target, _ in REFERENCES.get(kind, ()):
        if target not in known:
            known[target] = repo.existing_keys(session, kind=target) | set(
                in_import.get(target, ())
            )
    roles: dict[str, str] = {}
    if kind == "participants" and "event_id" in table.frame.columns:
        # must_meet/no_meet name counterparts that may be registered already
        roles = repo.participant_roles(session, event_ids=set(table.frame["event_id"]))
    codes = reference.industries["code"].astype("str")
    validated = validate_table(
        table,
        cities=CityResolver(reference.cities),
        industry_codes=set(codes),
        known=known,
        roles=roles,
        industry_names=IndustryNames.from_frame(reference.industries),
    )
    if ledger is not None:
        validated = ledger.with_errors(validated, extra)
    report = ImportReport(
        kind=kind,
        source=str(path),
        rows=len(validated.frame),
        inserted=0,
        updated=0,
        unchanged=0,
        existing=0,
        dry_run=False,
        encoding=table.encoding,
        sheet=table.sheet,
        ignored_columns=table.ignored,
        layout=table.layout,
        banner_lines=len(table.banner),
        footer_lines=len(table.footer),
        columns=validated.columns,
    )
    if kind == "enterprises" and not validated.errors:
        validated, report = _merge(session, validated, report, reference)
    return validated, report


def _merge(
    session: Session, validated: Validated, report: ImportReport, reference: ReferenceTables
) -> tuple[Validated, ImportReport]:
    """Full rows for an enterprises file: stored values kept where the file is silent, lists
    matched to stored firms, chain nodes inferred (recommender.ingest.merge)."""
    chain_nodes = getattr(reference, "chain_nodes", None)
    merged = merge_enterprises(
        session,
        frame=validated.frame,
        columns=validated.columns,
        partial=validated.partial,
        lines=validated.lines,
        nodes=NodeInference(chain_nodes) if chain_nodes is not None else None,
    )
    keys = frozenset(merged.frame["uscc"].astype(str))
    validated = replace(validated, frame=merged.frame, errors=merged.errors, keys=keys)
    report = replace(
        report, rows=len(merged.frame), match=merged.match, inferred_nodes=merged.inferred
    )
    return validated, report


def _rejected(validated: Validated, source: str) -> ImportValidationError:
    n = len(validated.errors)
    rows = f"{validated.total_rows} {validated.kind} rows"
    message = f"{source}: {n} problem(s) in {rows}; nothing imported"
    return ImportValidationError(validated.kind, source, list(validated.errors), message)


def _store(session: Session, validated: Validated, report: ImportReport) -> ImportReport:
    ledger = _ledger(validated.kind)
    if ledger is not None:  # projects also write their stage history and outcomes
        counts = ledger.store(session, validated)
    else:
        counts = repo.upsert_frame(session, kind=validated.kind, frame=validated.frame)
    return replace(
        report,
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        existing=counts.updated + counts.unchanged,
    )


def import_file(
    session: Session,
    *,
    kind: str,
    path: Path,
    reference: ReferenceTables,
    dry_run: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    constants: Mapping[str, str] | None = None,
) -> ImportReport:
    """Validate one file and upsert its rows by key, committing once; all or nothing.

    Enterprises files update only the columns they carry; a file without the required
    columns is a list that updates firms already stored (by USCC, else exact name) and
    reports the rows that found none or several (recommender.ingest.merge). Registry
    exports (企查查 / 天眼查 layouts) are recognised by their header.

    Parameters
    ----------
    session : an open session; committed on success, rolled back on failure.
    kind : 'enterprises', 'parks', 'needs', 'events', 'participants' or 'outcomes'.
    path : a CSV (UTF-8 with or without BOM, GBK/GB18030) or XLSX file.
    reference : gives the cities and industries frames the rows are checked against.
    dry_run : validate and count new keys, write nothing.
    max_bytes : larger files are rejected unread.
    constants : file column (or its Chinese header) -> a value for every row, e.g.
        ``{"is_leading": "是"}`` for an office's 龙头企业 list.

    Raises
    ------
    ImportValidationError
        With every bad row (line, column, expected, got); nothing is written.
    """
    if kind not in SCHEMAS:
        raise ValidationError(f"kind must be one of {list(KIND_ORDER)}, got {kind!r}")
    validated, report = _validate(
        session, kind=kind, path=path, reference=reference, in_import={}, max_bytes=max_bytes,
        constants=constants,
    )  # fmt: skip
    if validated.errors:
        raise _rejected(validated, str(path))
    if dry_run:
        stored = repo.existing_keys(session, kind=kind)
        existing = len(validated.keys & stored)
        return replace(report, dry_run=True, inserted=report.rows - existing, existing=existing)
    try:
        result = _store(session, validated, report)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    log.info("imported %s", result.summary())
    return result


def find_import_files(directory: Path) -> dict[str, Path]:
    """The import file of each kind in ``directory`` (named like the kind, .csv or .xlsx)."""
    found: dict[str, Path] = {}
    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in _SUFFIXES)
    for kind in KIND_ORDER:
        names = {header_key(n) for n in KIND_SHEET_NAMES[kind]}
        matches = [p for p in files if header_key(p.stem) in names]
        if len(matches) > 1:
            error = RowError(0, FILE, f"one {kind} file", ", ".join(p.name for p in matches))
            raise ImportValidationError(kind, str(directory), [error], f"{directory}: {error}")
        if matches:
            found[kind] = matches[0]
    return found


def import_dir(
    session: Session,
    *,
    directory: Path,
    reference: ReferenceTables,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[ImportReport]:
    """Import every kind present in ``directory`` in dependency order, in one transaction.

    Files are named like their kind (``enterprises.csv``, ``parks.xlsx``, ``企业.csv``...).
    Every file is validated first; a file may refer to keys of earlier kinds in the same
    directory. If any file has a problem, nothing is written and the
    :class:`ImportValidationError` of the first bad file is raised, with a note per other
    bad file listing its problems.
    """
    files = find_import_files(directory)
    if not files:
        expected = ", ".join(f"{k}.csv" for k in KIND_ORDER)
        error = RowError(0, FILE, f"files named like {expected} (or .xlsx)", "none")
        raise ImportValidationError("directory", str(directory), [error], f"{directory}: {error}")
    in_import: dict[str, frozenset[str]] = {}
    done: list[tuple[Validated, ImportReport]] = []
    failures: list[ImportValidationError] = []
    for kind, path in files.items():
        try:
            validated, report = _validate(
                session, kind=kind, path=path, reference=reference, in_import=in_import,
                max_bytes=max_bytes,
            )  # fmt: skip
        except ImportValidationError as err:
            failures.append(err)
            continue
        in_import[kind] = validated.keys
        if validated.errors:
            failures.append(_rejected(validated, str(path)))
        done.append((validated, report))
    if failures:
        first = failures[0]
        listing = ", ".join(f"{Path(f.source).name} ({len(f.errors)})" for f in failures)
        first.message = f"{directory}: problems in {listing}; nothing imported"
        for other in failures[1:]:
            first.add_note(str(other))
        raise first
    reports: list[ImportReport] = []
    try:
        for validated, report in done:
            reports.append(_store(session, validated, report))
        session.commit()
    except BaseException:
        session.rollback()
        raise
    for r in reports:
        log.info("imported %s", r.summary())
    return reports


def _file_header(kind: str, column: str, headers: str) -> str:
    name = _FILE_NAMES.get(column, column)
    if headers == "zh":
        return FILE_COLUMNS[kind][name][0]
    return column


def export_frame(
    session: Session,
    *,
    kind: str,
    fmt: Literal["csv", "xlsx"],
    out: Path,
    encoding: Literal["utf-8-sig", "utf-8", "gbk"] = "utf-8-sig",
    headers: Literal["en", "zh"] = "en",
) -> int:
    """Write every stored row of ``kind`` to ``out`` in the import format; return the row count.

    Dates are written YYYY-MM-DD, booleans true/false, missing numbers as empty cells, so
    that the file imports again unchanged. ``headers='zh'`` writes the first Chinese alias
    of each column instead of its English name. ``encoding`` applies to CSV only.

    Raises
    ------
    ValidationError
        An unknown kind or format, or a character the chosen encoding cannot represent.
    """
    if kind not in SCHEMAS:
        raise ValidationError(f"kind must be one of {list(KIND_ORDER)}, got {kind!r}")
    frame = repo.load_frame(session, kind=kind)
    frame.columns = pd.Index([_file_header(kind, c, headers) for c in frame.columns])
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        _write_csv(frame, out, encoding)
    elif fmt == "xlsx":
        _write_xlsx(frame, out, kind)
    else:
        raise ValidationError(f"fmt must be 'csv' or 'xlsx', got {fmt!r}")
    return len(frame)


def _write_csv(frame: pd.DataFrame, out: Path, encoding: str) -> None:
    try:
        frame.to_csv(out, index=False, encoding=encoding, date_format="%Y-%m-%d")
    except UnicodeEncodeError as err:
        out.unlink(missing_ok=True)
        for column in frame.columns:
            if not pd.api.types.is_object_dtype(frame[column].dtype):
                continue
            for i, value in enumerate(frame[column].tolist()):
                try:
                    str(value).encode(encoding)
                except UnicodeEncodeError:
                    raise ValidationError(
                        f"cannot write {encoding}: row {i + 2}, column {column} holds "
                        f"{value!r}, which {encoding} cannot represent; expected text "
                        f"{encoding} can encode (use utf-8-sig)"
                    ) from err
        raise ValidationError(f"cannot write {encoding}: {err}") from err


def _xlsx_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _write_xlsx(frame: pd.DataFrame, out: Path, kind: str) -> None:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(kind)
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        cells: list[object] = []
        for value in map(_xlsx_value, row):
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # text, never a formula
                cells.append(cell)
            elif isinstance(value, dt.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    workbook.save(out)
