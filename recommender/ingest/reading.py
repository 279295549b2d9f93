"""Reading import files (CSV in UTF-8/GBK/GB18030, or XLSX) into a table of stripped strings.

Everything that is wrong with the file as a whole (size, encoding, an unreadable workbook,
formulas, merged cells, a missing header or missing required columns) is raised here as an
:class:`~recommender.errors.ImportValidationError` whose :class:`~recommender.errors.RowError`
entries name the line (1-based, the header is line 1; 0 means the file as a whole) and a
column (a file column, or one of ``(file)``, ``(encoding)``, ``(header)``, ``(row)``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd

from features.schema import SCHEMAS
from recommender.errors import ImportValidationError, RowError
from recommender.ingest.aliases import (
    EMPTY_TOKENS,
    FILE_COLUMNS,
    KIND_SHEET_NAMES,
    REGISTRY_IGNORED,
    header_key,
    map_headers,
)
from recommender.ingest.registry import DERIVABLE, detect_layout
from recommender.ingest.workbook import WorkbookError, read_sheet

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FILE",
    "HEADER",
    "ROW",
    "RawTable",
    "UnknownEncodingError",
    "detect_encoding",
    "read_sheet_rows",
    "read_table",
    "required_file_columns",
]

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
FILE, ENCODING, HEADER, ROW = "(file)", "(encoding)", "(header)", "(row)"
_UTF16_32_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32-BE"),
    (b"\xff\xfe\x00\x00", "UTF-32-LE"),
    (b"\xfe\xff", "UTF-16-BE"),
    (b"\xff\xfe", "UTF-16-LE"),
)
_UTF8_BOM = b"\xef\xbb\xbf"
# share of non-ASCII characters outside GB 2312 above which "GBK" text is taken for another
# encoding (Latin-1 bytes decode as rare GBK-extension characters; real Chinese rarely does)
_MAX_RARE_SHARE = 0.3


@dataclass(frozen=True)
class RawTable:
    """The rows of one import file: stripped strings under file column names."""

    kind: str
    source: str
    frame: pd.DataFrame  # one str column per file column present; "" for an empty cell
    lines: np.ndarray  # int64, the 1-based file line (XLSX: sheet row) of each row
    headers: dict[str, str]  # file column -> header as written
    ignored: tuple[str, ...]  # header cells that name no column of the kind
    encoding: str  # 'utf-8', 'utf-8-sig', 'gb18030' or 'xlsx'
    sheet: str | None = None
    layout: str = "contract"  # a key of recommender.ingest.registry.LAYOUTS
    banner: tuple[str, ...] = ()  # lines above the header (a registry export's 声明), skipped
    footer: tuple[int, ...] = ()  # lines of trailing notes (数据来源…) below the data, skipped
    partial: bool = False  # lacks required columns: updates firms already stored (a list)


def required_file_columns(kind: str) -> list[str]:
    """The file columns a file of ``kind`` must have (``city`` where the frame has city_code)."""
    names = {"city_code": "city", "partner_city_code": "partner_city"}
    return [names.get(c, c) for c in SCHEMAS[kind].required]


def _fail(kind: str, source: str, error: RowError) -> NoReturn:
    raise ImportValidationError(kind, source, [error], f"{source}: {error}")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


class UnknownEncodingError(UnicodeError):
    """The bytes are in no accepted encoding; ``line`` is where it shows (1-based)."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


def detect_encoding(data: bytes) -> tuple[str, str]:
    """Decode the bytes of a CSV file, returning ``(encoding, text)``.

    UTF-8 (with or without a byte-order mark) is tried first, then GB18030 (a superset of
    GBK and GB2312). Raises :class:`UnicodeDecodeError` for undecodable bytes (offset in
    ``err.start``) and :class:`UnknownEncodingError` for other encodings.
    """
    for bom, name in _UTF16_32_BOMS:
        if data.startswith(bom):
            raise UnknownEncodingError(f"a {name} byte-order mark ({bom.hex(' ').upper()})")
    nul = data.find(b"\x00", 0, 65536)
    if nul >= 0:
        raise UnknownEncodingError(
            "NUL bytes (a binary file, or UTF-16 without a byte-order mark)", _line_of(data, nul)
        )
    if data.startswith(_UTF8_BOM):
        return "utf-8-sig", data.decode("utf-8-sig")
    try:
        return "utf-8", data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("gb18030")  # raises UnicodeDecodeError with .start
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    rare = text.encode("gb2312", errors="replace").count(b"?") - text.count("?")
    if non_ascii and rare / non_ascii > _MAX_RARE_SHARE:
        first = next((i for i, line in enumerate(text.splitlines(), 1) if not _gb2312(line)), 1)
        raise UnknownEncodingError(
            f"{rare} of {non_ascii} non-ASCII characters outside GB 2312 when read as GBK "
            "(another encoding, e.g. Latin-1 or Big5?)",
            first,
        )
    return "gb18030", text


def _gb2312(text: str) -> bool:
    try:
        text.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def read_table(
    path: Path,
    *,
    kind: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    constants: Mapping[str, str] | None = None,
) -> RawTable:
    """Read a CSV or XLSX import file of ``kind`` into a :class:`RawTable`.

    Parameters
    ----------
    path : the file; ``.csv`` (also ``.txt``/``.tsv``) or ``.xlsx``.
    kind : one of the kinds of :data:`features.schema.SCHEMAS`.
    max_bytes : files larger than this are rejected before being read.
    constants : file column (or one of its headers) -> a value for every row, as if the
        file had that column (``{"is_leading": "是"}`` for an office's 龙头企业 list).

    Raises
    ------
    ImportValidationError
        For a problem with the file as a whole, or a header lacking required columns.
    """
    if kind not in FILE_COLUMNS:
        raise ValueError(f"kind must be one of {sorted(FILE_COLUMNS)}, got {kind!r}")
    source = str(path)
    if not path.is_file():
        _fail(kind, source, RowError(0, FILE, "an existing file", "no such file"))
    size = path.stat().st_size
    if size > max_bytes:
        _fail(
            kind, source, RowError(0, FILE, f"a file of at most {max_bytes} bytes", f"{size} bytes")
        )
    if size == 0:
        _fail(kind, source, RowError(1, HEADER, "a header row", "an empty file (0 bytes)"))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, kind=kind, source=source, constants=constants or {})
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path.read_bytes(), kind=kind, source=source, constants=constants or {})
    _fail(
        kind, source, RowError(0, FILE, "a .csv or .xlsx file", f"a {suffix or 'suffix-less'} file")
    )


def _read_csv(data: bytes, *, kind: str, source: str, constants: Mapping[str, str]) -> RawTable:
    try:
        encoding, text = detect_encoding(data)
    except UnicodeDecodeError as err:
        bom = data.startswith(_UTF8_BOM)
        expected = "UTF-8 after a UTF-8 byte-order mark" if bom else "UTF-8 or GBK/GB18030 text"
        bad = data[err.start : err.start + 4]
        _fail(
            kind, source, RowError(_line_of(data, err.start), ENCODING, expected, f"bytes {bad!r}")
        )
    except UnknownEncodingError as err:
        _fail(kind, source, RowError(err.line, ENCODING, "UTF-8 or GBK/GB18030 text", str(err)))
    first = text.lstrip("\ufeff\r\n").split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    lines: list[int] = []
    previous_end = 0
    try:
        for record in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not any(field.strip() for field in record):
                continue  # blank lines (anywhere) are skipped, keeping line numbers
            records.append(record)
            lines.append(start)
    except csv.Error as err:
        _fail(kind, source, RowError(reader.line_num, ROW, "well-formed CSV", str(err)))
    if not records:
        _fail(kind, source, RowError(1, HEADER, "a header row", "only blank lines"))
    at = find_header(kind, records)
    return _build(
        kind,
        source,
        records[at],
        header_line=lines[at],
        rows=records[at + 1 :],
        lines=lines[at + 1 :],
        encoding=encoding,
        banner=tuple(" ".join(c.strip() for c in r if c.strip()) for r in records[:at]),
        constants=constants,
    )


_MAX_BANNER = 20
# columns that find or place a firm; a list must carry some other column to update
_LOCATING = frozenset({"uscc", "name", "city", "district", "province"})


def _constant_columns(kind: str, source: str, constants: Mapping[str, str]) -> dict[str, str]:
    """File column -> value of every ``--set NAME=VALUE``; unknown names are an error."""
    positions, ignored, _ = map_headers(kind, list(constants))
    if ignored:
        known = ", ".join(FILE_COLUMNS[kind])
        _fail(kind, source, RowError(0, "(--set)", f"a column of {kind} ({known})",
              ", ".join(ignored)))  # fmt: skip
    values = list(constants.values())
    return {column: str(values[pos]).strip() for pos, column in positions.items()}


_FOOTER_MARKS = (
    "数据来源",
    "来源:",
    "来源：",
    "导出时间",
    "声明",
    "说明",
    "企查查",
    "天眼查",
    "注:",
    "注：",
)


def find_header(kind: str, records: list[list[str]]) -> int:
    """Index of the header among the first non-blank records: the first naming at least two
    columns of ``kind`` (a banner such as a registry export's 声明 comes before it); 0 if none.
    """
    for i, record in enumerate(records[:_MAX_BANNER]):
        if len(map_headers(kind, record)[0]) >= 2:
            return i
    return 0


def _footer_rows(rows: list[list[str]]) -> int:
    """How many trailing rows are notes (one filled cell starting with 数据来源, 声明…)."""
    n = 0
    for record in reversed(rows):
        filled = [c.strip() for c in record if c.strip()]
        if len(filled) == 1 and filled[0].startswith(_FOOTER_MARKS):
            n += 1
        else:
            break
    return n


def _build(
    kind: str,
    source: str,
    header: list[str],
    *,
    header_line: int,
    rows: list[list[str]],
    lines: list[int],
    encoding: str,
    sheet: str | None = None,
    banner: tuple[str, ...] = (),
    constants: Mapping[str, str] | None = None,
) -> RawTable:
    positions, ignored, duplicates = map_headers(kind, header)
    if duplicates:
        column, both = duplicates[0]
        _fail(kind, source, RowError(header_line, column, f"one column for {column}", both))
    fixed = _constant_columns(kind, source, constants or {})
    present = set(positions.values()) | set(fixed)
    missing = [
        c
        for c in required_file_columns(kind)
        if c not in present and not (kind == "enterprises" and present & set(DERIVABLE.get(c, ())))
    ]
    partial = (
        bool(missing)
        and kind == "enterprises"
        and bool(present & {"uscc", "name"})
        and bool(present - _LOCATING)
    )
    if missing and not partial:
        aliases = FILE_COLUMNS[kind]
        errors = [
            RowError(
                header_line,
                c,
                f"a column {c} ({' / '.join(aliases[c][:2])})",
                ", ".join(h for h in header if h.strip()),
            )
            for c in missing
        ]
        raise ImportValidationError(
            kind, source, errors, f"{source}: required columns {missing} missing in the header"
        )
    n_footer = _footer_rows(rows)
    footer = tuple(lines[len(lines) - n_footer :]) if n_footer else ()
    if n_footer:
        rows, lines = rows[:-n_footer], lines[:-n_footer]
    if not rows:
        _fail(
            kind, source, RowError(header_line + 1, ROW, "at least one data row", "only the header")
        )
    width = len(header)
    errors = []
    for record, line in zip(rows, lines, strict=True):
        if len(record) > width and any(f.strip() for f in record[width:]):
            errors.append(RowError(line, ROW, f"{width} fields", f"{len(record)} fields"))
    if errors:
        raise ImportValidationError(kind, source, errors, f"{source}: rows longer than the header")
    data: dict[str, pd.Series] = {}
    for pos, column in positions.items():
        values = [r[pos] if pos < len(r) else "" for r in rows]
        cells = pd.Series(values, dtype="str").str.strip().str.strip("\ufeff")
        data[column] = cells.mask(cells.isin(EMPTY_TOKENS), "")
    for column, value in fixed.items():
        data[column] = pd.Series([value] * len(rows), dtype="str")
    frame = pd.DataFrame(data)
    layout = (
        detect_layout(present, header, banner, partial=partial)
        if kind == "enterprises"
        else "contract"
    )
    if layout != "contract":
        ignored = [c for c in ignored if c.strip() not in REGISTRY_IGNORED]
    return RawTable(
        kind=kind,
        source=source,
        frame=frame,
        lines=np.asarray(lines, dtype=np.int64),
        headers={column: header[pos].strip() for pos, column in positions.items()}
        | {column: f"--set {column}" for column in fixed},
        ignored=tuple(ignored),
        encoding=encoding,
        sheet=sheet,
        layout=layout,
        banner=banner,
        footer=footer,
        partial=partial,
    )


def _read_xlsx(path: Path, *, kind: str, source: str, constants: Mapping[str, str]) -> RawTable:
    try:
        sheet = read_sheet(path, wanted=frozenset(header_key(n) for n in KIND_SHEET_NAMES[kind]))
    except WorkbookError as err:
        _fail(kind, source, RowError(0, FILE, err.expected, err.got))
    records = [cells for _, cells in sheet.rows]
    lines = [line for line, _ in sheet.rows]
    title = sheet.title
    if not records:
        others = [t for t in sheet.titles if t != title]
        _fail(kind, source, RowError(1, HEADER, f"a header row in sheet {title!r}",
              f"an empty sheet (other sheets: {others})"))  # fmt: skip
    at = find_header(kind, records)
    header, header_line = records[at], lines[at]
    # a banner above the header (a merged title cell, a formula in it) is skipped, not checked
    merged = [m for m in sheet.merged if m[1] > header_line]
    formulas = [f for f in sheet.formulas if f[0] > header_line]
    formulas += [
        (line, pos, text)
        for line, cells in sheet.rows[at + 1 :]
        for pos, text in enumerate(cells)
        if text.startswith("=")
    ]
    table = _build(
        kind,
        source,
        header,
        header_line=header_line,
        rows=records[at + 1 :],
        lines=lines[at + 1 :],
        encoding="xlsx",
        sheet=title,
        banner=tuple(" ".join(c.strip() for c in r if c.strip()) for r in records[:at]),
        constants=constants,
    )
    names = map_headers(kind, header)[0]

    def label(pos: int, row: int) -> str:
        return names.get(pos, f"{_letters(pos)}{row}")

    errors = [
        RowError(row, label(pos, row), "a value, not a formula",
                 f"{value} in cell {_letters(pos)}{row}")
        for row, pos, value in sorted(set(formulas))
    ]  # fmt: skip
    errors += [
        RowError(row, label(pos, row), "unmerged cells", f"merged cells {ref}")
        for pos, row, ref in merged
    ]
    if errors:
        errors.sort(key=lambda e: e.line)
        raise ImportValidationError(
            kind, source, errors, f"{source}: formulas or merged cells in sheet {title!r}"
        )
    return table


def _letters(pos: int) -> str:
    out, n = "", pos + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def read_sheet_rows(path: Path, *, kind: str) -> list[tuple[int, list[str]]]:
    """(sheet row, cell texts) of every non-blank row of a workbook's first sheet."""
    try:
        sheet = read_sheet(path)
    except WorkbookError as err:
        _fail(kind, str(path), RowError(0, FILE, err.expected, err.got))
    return [(line, [c.strip() for c in cells]) for line, cells in sheet.rows]
