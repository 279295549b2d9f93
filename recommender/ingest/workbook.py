"""Reading XLSX workbooks fast and safely: values through calamine, checks on the raw XML.

Registry exports of 100,000 firms come as XLSX; openpyxl needs minutes for one, calamine
(python-calamine, a Rust reader) a second. Before any value is read, every XML part of the
package is scanned for a DOCTYPE or entity declaration (an XML "billion laughs" bomb or an
external entity) and such a workbook is refused unexpanded; the decompressed size is capped
(a zip bomb). Formulas are found in the sheet's XML (calamine reads cached values only) and
merged ranges come from calamine.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import python_calamine
from defusedxml import ElementTree

__all__ = ["MAX_UNZIPPED_BYTES", "Sheet", "WorkbookError", "cell_text", "read_sheet"]

MAX_UNZIPPED_BYTES = 2 * 1024**3
_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")
_FORMULA_CELL = re.compile(
    rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]+)(\d+)"[^>]*>\s*<(?:\w+:)?f\b[^>]*?(?:/>|>([^<]*)<)'
)
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


class WorkbookError(ValueError):
    """The workbook cannot be read; ``expected`` and ``got`` say why, for a RowError."""

    def __init__(self, expected: str, got: str) -> None:
        super().__init__(f"expected {expected}, got {got}")
        self.expected = expected
        self.got = got


@dataclass(frozen=True)
class Sheet:
    """One sheet's non-blank rows as text, with the checks' findings."""

    title: str
    titles: tuple[str, ...]  # every sheet of the workbook
    rows: list[tuple[int, list[str]]]  # (1-based sheet row, cell texts)
    formulas: list[tuple[int, int, str]]  # (row, 0-based column, formula text)
    merged: list[tuple[int, int, str]]  # (0-based first column, first row, "B2:C2")


def cell_text(value: object) -> str:
    """A cell value as import text: dates YYYY-MM-DD, whole floats without ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _column_letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _check_package(archive: zipfile.ZipFile) -> None:
    total = sum(i.file_size for i in archive.infolist())
    if total > MAX_UNZIPPED_BYTES:
        raise WorkbookError(
            f"a workbook of at most {MAX_UNZIPPED_BYTES} bytes unpacked",
            f"{total} bytes unpacked (a zip bomb?)",
        )
    for info in archive.infolist():
        if not info.filename.endswith((".xml", ".rels", ".vml")):
            continue
        if _DECLARATION.search(archive.read(info)):
            raise WorkbookError(
                "a plain XLSX workbook (no DOCTYPE or entity declarations in its XML)",
                f"XML entity declarations in {info.filename}, refused unexpanded",
            )


def _sheet_part(archive: zipfile.ZipFile, title: str) -> str | None:
    """The package path of the sheet called ``title`` (None when it cannot be told)."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    target = {r.get("Id"): r.get("Target", "") for r in rels}
    for sheet in book.iter():
        if sheet.tag.endswith("}sheet") and sheet.get("name") == title:
            path = str(target.get(sheet.get(_NS_REL), ""))
            if path.startswith("/"):
                return path.lstrip("/")
            return str(PurePosixPath("xl") / path) if path else None
    return None


def _formulas(archive: zipfile.ZipFile, part: str | None) -> list[tuple[int, int, str]]:
    if part is None or part not in archive.namelist():
        return []
    xml = archive.read(part)
    if not _FORMULA_TAG.search(xml):
        return []
    out = []
    for m in _FORMULA_CELL.finditer(xml):
        text = (m.group(3) or b"").decode("utf-8", errors="replace")
        out.append((int(m.group(2)), _column_index(m.group(1).decode()), "=" + text))
    return out


def read_sheet(path: Path, *, wanted: frozenset[str] = frozenset()) -> Sheet:
    """Read the sheet whose normalised title is in ``wanted`` (else the first one).

    Raises
    ------
    WorkbookError
        Not a workbook, entity declarations, too large unpacked, unreadable XML.
    """
    from recommender.ingest.aliases import header_key

    try:
        with zipfile.ZipFile(path) as archive:
            _check_package(archive)
            workbook = python_calamine.CalamineWorkbook.from_path(str(path))
            titles = tuple(workbook.sheet_names)
            if not titles:
                raise WorkbookError("a workbook with at least one sheet", "no sheets")
            title = next((t for t in titles if header_key(t) in wanted), titles[0])
            sheet = workbook.get_sheet_by_name(title)
            values = sheet.to_python(skip_empty_area=False)
            merged_ranges = sheet.merged_cell_ranges or []
            formulas = _formulas(archive, _sheet_part(archive, title))
    except zipfile.BadZipFile as err:
        raise WorkbookError("a readable XLSX workbook", f"BadZipFile: {err}") from err
    except (python_calamine.CalamineError, OSError, KeyError, ValueError) as err:
        if isinstance(err, WorkbookError):
            raise
        first = str(err).splitlines()[0] if str(err) else ""
        raise WorkbookError("a readable XLSX workbook", f"{type(err).__name__}: {first}") from err
    rows: list[tuple[int, list[str]]] = []
    for i, row in enumerate(values, start=1):
        texts = [cell_text(v) for v in row]
        if any(t.strip() for t in texts):
            rows.append((i, texts))
    merged = [
        (c0, r0 + 1, f"{_column_letters(c0)}{r0 + 1}:{_column_letters(c1)}{r1 + 1}")
        for (r0, c0), (r1, c1) in merged_ranges
    ]
    return Sheet(title=title, titles=titles, rows=rows, formulas=formulas, merged=merged)
