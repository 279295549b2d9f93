"""Query files for batch ranking (``chainmatch rank KIND --queries FILE``).

An office's list of 龙头企业 or parks, as it keeps it: CSV (UTF-8 or GBK) or XLSX, with or
without a header. With a header, the query column is the first of ``query_id`` /
统一社会信用代码 / 园区编号 present, else the name column (企业名称 / 园区名称); a row whose id
cell is empty ("-") falls back to its name; without a header, the first column. Each cell
may be an id or an exact name. Rows whose query is unknown, of the wrong kind (a park for a
supplier list, a supporting firm as a leading one), of a firm 注销/吊销, or repeated are
reported by line and skipped; the others are ranked.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.schema import live_mask
from recommender.errors import ImportValidationError, RowError
from recommender.ingest.aliases import EMPTY_TOKENS, header_key
from recommender.ingest.merge import name_key
from recommender.ingest.reading import FILE, detect_encoding

__all__ = ["QueryFile", "read_query_file", "resolve_queries"]

# header spellings of the id column and of the name column (compared by header_key)
_ID_HEADERS = (
    "query_id", "id", "uscc", "park_id", "统一社会信用代码", "社会信用代码", "信用代码",
    "园区编号", "园区代码", "查询方编号", "需求方编号",
)  # fmt: skip
_NAME_HEADERS = ("name", "企业名称", "公司名称", "名称", "园区名称", "龙头企业")
_ID_KEYS = frozenset(header_key(h) for h in _ID_HEADERS)
_NAME_KEYS = frozenset(header_key(h) for h in _NAME_HEADERS)


@dataclass(frozen=True)
class QueryFile:
    """The queries of a batch file: ids to rank (file order) and the rows skipped."""

    ids: list[str]
    lines: list[int]  # file line of each id
    skipped: list[RowError]
    column: str  # the header of the query column ("" without a header)


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """(line, cells) of every non-blank row of a CSV or XLSX file."""
    source = str(path)
    if not path.is_file():
        error = RowError(0, FILE, "an existing .csv or .xlsx file", "no such file")
        raise ImportValidationError("queries", source, [error], f"{source}: {error}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from recommender.ingest.reading import read_sheet_rows

        return read_sheet_rows(path, kind="queries")
    if suffix not in (".csv", ".txt", ".tsv"):
        error = RowError(0, FILE, "a .csv, .txt or .xlsx file", f"a {suffix or 'suffix-less'} file")
        raise ImportValidationError("queries", source, [error], f"{source}: {error}")
    import csv
    import io

    try:
        _, text = detect_encoding(path.read_bytes())
    except UnicodeError as err:
        error = RowError(1, "(encoding)", "UTF-8 or GBK/GB18030 text", str(err))
        raise ImportValidationError("queries", source, [error], f"{source}: {error}") from err
    out: list[tuple[int, list[str]]] = []
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous = 0
    for record in reader:
        start, previous = previous + 1, reader.line_num
        cells = [c.strip().strip("\ufeff") for c in record]
        if any(cells):
            out.append((start, cells))
    return out


def read_query_file(path: Path) -> tuple[list[tuple[int, str]], str, str]:
    """((line, cell) of each query row, header of the query column or "", "id"|"name"|"any").

    Raises
    ------
    ImportValidationError
        No such file, an unreadable file, or no rows.
    """
    rows = _rows(path)
    if not rows:
        error = RowError(1, "(row)", "one query id or name per row", "an empty file")
        raise ImportValidationError("queries", str(path), [error], f"{path}: {error}")
    _, head = rows[0]
    keys = [header_key(c) for c in head]
    id_pos = next((i for i, k in enumerate(keys) if k in _ID_KEYS), -1)
    name_pos = next((i for i, k in enumerate(keys) if k in _NAME_KEYS), -1)
    if id_pos < 0 and name_pos < 0:
        return [(line, cells[0]) for line, cells in rows], "", "any"
    pos = id_pos if id_pos >= 0 else name_pos
    what = "id" if id_pos >= 0 else "name"

    def cell(cells: list[str]) -> str:
        text = cells[pos] if pos < len(cells) else ""
        if (not text or text in EMPTY_TOKENS) and 0 <= name_pos < len(cells):
            text = cells[name_pos]  # no USCC on this row (名单 often lack it): its name
        return "" if text in EMPTY_TOKENS else text

    return [(line, cell(cells)) for line, cells in rows[1:]], head[pos], what


def resolve_queries(
    cells: list[tuple[int, str]],
    *,
    kind: str,
    firms: pd.DataFrame,
    parks: pd.DataFrame,
    column: str = "",
) -> QueryFile:
    """Ids to rank for ``kind`` from the cells of a query file (see the module docstring).

    Parameters
    ----------
    cells : (line, text) per row, from :func:`read_query_file`.
    kind : supplier (leading firms), customer (supporting firms) or investor (parks).
    firms : ``uscc``, ``name``, ``is_leading`` (and ``status``) of the catalogue; firms 注销/吊销
        are skipped as queries.
    parks : ``park_id``, ``name``.
    column : the header of the query column, for the messages.
    """
    label = column or "(column 1)"
    firm_ids = pd.Index(firms["uscc"].astype(str))
    park_ids = pd.Index(parks["park_id"].astype(str))
    leading = dict(zip(firm_ids, firms["is_leading"].astype(bool), strict=True))
    dead = set(firm_ids[~live_mask(firms)])
    firm_names = _unique_names(firms["name"], firm_ids)
    park_names = _unique_names(parks["name"], park_ids)
    want = {"supplier": "a leading firm (龙头企业)", "customer": "a supporting firm (配套企业)",
            "investor": "a park (园区)"}[kind]  # fmt: skip
    ids: list[str] = []
    lines: list[int] = []
    skipped: list[RowError] = []
    seen: dict[str, int] = {}
    for line, text in cells:
        value = text.strip()
        if not value:
            skipped.append(RowError(line, label, f"the id or name of {want}", ""))
            continue
        upper = value.upper()
        key = str(name_key(pd.Series([value])).iat[0])
        firm = upper if upper in leading else firm_names.get(key, "")
        park = value if value in park_ids else park_names.get(key, "")
        problem = _wrong(kind, firm=firm, park=park, leading=leading, want=want)
        if not problem and kind != "investor" and firm in dead:
            problem = f"{want}; this firm is 注销/吊销 (deregistered or revoked)"
        if problem:
            skipped.append(RowError(line, label, problem, value))
            continue
        qid = park if kind == "investor" else firm
        if qid in seen:
            skipped.append(RowError(line, label, f"a query not already on line {seen[qid]}", value))
            continue
        seen[qid] = line
        ids.append(qid)
        lines.append(line)
    return QueryFile(ids=ids, lines=lines, skipped=skipped, column=column)


def _wrong(kind: str, *, firm: str, park: str, leading: dict[str, bool], want: str) -> str:
    """What was expected when the row's query does not fit ``kind`` ("" when it fits)."""
    if kind == "investor":
        if park:
            return ""
        return f"{want}; this is a firm, not a park" if firm else f"the id or name of {want}"
    if not firm:
        return f"{want}; this is a park" if park else f"the 统一社会信用代码 or name of {want}"
    if kind == "supplier" and not leading[firm]:
        return f"{want}; this firm is not marked 龙头企业 (import the office's 龙头企业 list)"
    if kind == "customer" and leading[firm]:
        return f"{want}; this firm is a leading firm (use `rank supplier`)"
    return ""


def _unique_names(names: pd.Series, ids: pd.Index) -> dict[str, str]:
    """name key -> id for names held by exactly one entity."""
    keys = name_key(names.reset_index(drop=True))
    once = ~keys.duplicated(keep=False)
    return dict(zip(keys[once], ids[once.to_numpy()], strict=True))
