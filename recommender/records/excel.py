"""Excel workbooks that are safe to open: no cell of ours becomes a formula (formula injection).

Firm names, products and notes come from imported files and forms; a value such as
``=HYPERLINK("http://evil","点击")`` or ``@SUM(...)`` would run as a formula in Excel or WPS.
Every workbook the product writes goes through this module: a string starting with
``= + - @`` (or a tab / carriage return, which spreadsheet programs strip first) is written as
a text cell with Excel's "quote prefix" flag, so it shows exactly as typed and is never
evaluated, even after the user edits the cell. Numbers stay numbers.

- normal workbooks: build them as usual and write them with :func:`save` (or call
  :func:`protect_workbook` before saving);
- write-only workbooks (streamed): append rows with :func:`append`;
- pandas frames: :func:`write_frames`;
- a workbook another module already wrote: :func:`protect_file` (read, protect, write back).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any, BinaryIO, Final

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell

FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    """Whether a spreadsheet program could take ``value`` for a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def protect_cell(cell: Any) -> Any:
    """Mark ``cell`` (a Cell or WriteOnlyCell) as text if its value looks like a formula."""
    if is_formula_like(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def protect_workbook(book: Workbook) -> Workbook:
    """Protect every cell of a normal (not write-only) workbook, in place."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                protect_cell(cell)
    return book


def append(sheet: Any, values: Iterable[object]) -> None:
    """``sheet.append(values)`` with formula-like strings written as text (any sheet kind)."""
    row: list[object] = []
    for v in values:
        if isinstance(v, Cell):  # WriteOnlyCell(...) makes a Cell too
            row.append(protect_cell(v))
        elif is_formula_like(v):
            row.append(protect_cell(WriteOnlyCell(sheet, value=v)))
        else:
            row.append(v)
    sheet.append(row)


def save(book: Workbook, target: str | Path | IO[bytes]) -> None:
    """Protect (unless write-only, whose rows :func:`append` protected) and save ``book``."""
    if not book.write_only:
        protect_workbook(book)
    book.save(target)


def to_bytes(book: Workbook) -> bytes:
    """The bytes of ``book``, saved by :func:`save`."""
    buffer = io.BytesIO()
    save(book, buffer)
    return buffer.getvalue()


def protect_file(path: str | Path) -> Path:
    """Protect every cell of the workbook at ``path`` in place (values and styles kept)."""
    from openpyxl import load_workbook

    path = Path(path)
    book = load_workbook(path)
    protect_workbook(book)
    book.save(path)
    return path


def write_frames(target: str | Path | BinaryIO, sheets: Mapping[str, pd.DataFrame]) -> None:
    """Write each frame to its sheet (no index), protected like every other workbook."""
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
        protect_workbook(writer.book)
