"""Vectorised parsers for the value types of import files.

Each parser takes a column of stripped strings and returns the parsed column and a boolean
array ``bad`` (True where a non-empty value could not be parsed). Empty strings are never
bad here: whether a value is required is decided by the caller.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from features.uscc import (
    USCC_CHARSET,
    uscc_check_digit,
    uscc_format_mask,
    valid_uscc_mask,
)
from recommender.ingest.registry import IndustryNames

__all__ = [
    "Parsed",
    "enum_spelling",
    "join_by_row",
    "parse_bool",
    "parse_date",
    "parse_enum",
    "parse_industry",
    "parse_list",
    "parse_number",
    "parse_slots",
    "parse_uscc",
    "parse_uscc_list",
    "parse_year",
    "split_long",
]

Parsed = tuple[pd.Series, np.ndarray]

_DATE_FORMATS = ("%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # serial 1 = 1900-01-01 after Excel's leap-year bug
_MIN_DATE, _MAX_DATE = pd.Timestamp("1900-01-01"), pd.Timestamp("2100-12-31")
_SEPARATORS = r"\s*[;；,，、|]\s*"


def _present(values: pd.Series) -> np.ndarray:
    return np.asarray(values.ne(""), dtype=bool)


def parse_uscc(values: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Upper-case the codes; return them with the masks (bad format, bad check character)."""
    codes = values.str.upper()
    present = _present(codes)
    well_formed = uscc_format_mask(codes)
    bad_format = present & ~well_formed
    bad_check = present & well_formed & ~valid_uscc_mask(codes)
    return codes, bad_format, bad_check


def uscc_check_message(code: str) -> str:
    """What a well-formed code with a wrong check character should have ended with."""
    return f"check character {uscc_check_digit(code[:17])} (GB 32100-2015) at the end"


USCC_FORMAT_MESSAGE = (
    f"an 18-character 统一社会信用代码 of {USCC_CHARSET[:10]} and capitals except I O S V Z"
)


def parse_number(
    values: pd.Series, *, integer: bool, lo: float | None = None, hi: float | None = None
) -> Parsed:
    """Numbers (thousands separators allowed); integers must be whole; bounds inclusive."""
    number = pd.to_numeric(values.str.replace(",", "", regex=False), errors="coerce")
    number = number.where(_present(values))
    present = _present(values)
    bad = present & np.asarray(number.isna(), dtype=bool)
    arr = number.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        if integer:
            bad |= present & ~np.isnan(arr) & (arr != np.floor(arr))
        if lo is not None:
            bad |= present & (arr < lo)
        if hi is not None:
            bad |= present & (arr > hi)
        bad |= present & np.isinf(arr)
    clean = number.where(~bad)
    return (clean.astype("Int64") if integer else clean.astype("float64")), bad


def number_message(*, integer: bool, lo: float | None, hi: float | None) -> str:
    """'a whole number >= 0' and the like."""
    what = "a whole number" if integer else "a number"
    if lo is not None and hi is not None:
        return f"{what} from {lo:g} to {hi:g}"
    if lo is not None:
        return f"{what} >= {lo:g}"
    return what


def parse_bool(values: pd.Series, table: Mapping[str, bool]) -> Parsed:
    """Booleans from the accepted spellings; empty is False."""
    mapped = values.str.lower().map(table)
    bad = _present(values) & np.asarray(mapped.isna(), dtype=bool)
    return mapped.where(mapped.notna(), False).astype(bool), bad


def parse_enum(values: pd.Series, table: Mapping[str, str], *, default: str = "") -> Parsed:
    """Canonical enum values from the accepted spellings; empty becomes ``default``."""
    mapped = values.str.lower().map(table)
    bad = _present(values) & np.asarray(mapped.isna(), dtype=bool)
    return mapped.where(mapped.notna(), default).astype("str"), bad


def parse_date(values: pd.Series) -> Parsed:
    """Dates: YYYY-MM-DD, also YYYY/M/D, YYYY年M月D日, YYYY.M.D, YYYYMMDD, Excel serials."""
    present = _present(values)
    out = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    for fmt in _DATE_FORMATS:
        missing = present & np.asarray(out.isna(), dtype=bool)
        if not missing.any():
            break
        out[missing] = pd.to_datetime(values[missing], format=fmt, errors="coerce")
    missing = present & np.asarray(out.isna(), dtype=bool)
    serial = missing & np.asarray(values.str.fullmatch(r"\d{5}(\.0+)?"), dtype=bool)
    if serial.any():
        days = pd.to_numeric(values[serial]).astype("int64")
        out[serial] = _EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
    out = out.dt.floor("D")
    bad = present & np.asarray(out.isna() | (out < _MIN_DATE) | (out > _MAX_DATE), dtype=bool)
    return out.where(~bad).astype("datetime64[ns]"), bad


DATE_MESSAGE = "a date YYYY-MM-DD (also YYYY/M/D, YYYY年M月D日 or an Excel date) from 1900 to 2100"


def parse_industry(
    values: pd.Series, codes: Collection[str], names: IndustryNames | None = None
) -> Parsed:
    """GB/T 4754-2017 codes; a section letter before the digits is dropped (C3973 -> 3973).

    With ``names``, a cell that is no code may be the standard's name of a code at any level
    (集成电路制造 -> 3973), matched exactly, then normalised.
    """
    upper = values.str.upper().str.replace(r"^[A-T](?=\d{2,4}$)", "", regex=True)
    bad = _present(values) & ~np.asarray(upper.isin(list(codes)), dtype=bool)
    if names is not None and bad.any():
        unknown = pd.unique(values[bad].to_numpy(dtype=object))
        found = {u: names.lookup(str(u), level=None) for u in unknown}
        named = values[bad].map(found)
        upper = upper.copy()
        upper[bad] = named.where(named.ne(""), upper[bad])
        bad = _present(values) & ~np.asarray(upper.isin(list(codes)), dtype=bool)
    return upper, bad


INDUSTRY_MESSAGE = (
    "a GB/T 4754-2017 industry code (e.g. 3973 or C3973) or its name (e.g. 集成电路制造)"
)


def parse_year(
    values: pd.Series, *, lo: float | None, hi: float | None
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """A year (2010) or a full date (2010-03-23, 2010/3/23, 2010年3月23日, an Excel date):
    returns the years, the dates (NaT where only a year was given) and the bad mask."""
    present = _present(values)
    is_year = present & np.asarray(values.str.fullmatch(r"\d{4}(\.0+)?"), dtype=bool)
    years, bad = parse_number(values.where(is_year, ""), integer=True, lo=lo, hi=hi)
    dates, bad_date = parse_date(values.where(present & ~is_year, ""))
    years = years.fillna(dates.dt.year.astype("Int64"))
    bad = bad | bad_date
    return years.where(~bad).astype("Int64"), dates, bad


YEAR_MESSAGE = "a founding year (e.g. 2010) or date (2010-03-23, 2010/3/23, 2010年3月23日)"
_BRACKETED = r"[(（][^)）]*[)）]"


def enum_spelling(values: pd.Series) -> pd.Series:
    """Registry spellings of enum cells made comparable: bracketed notes and spaces dropped
    (存续（在营、开业、在册） -> 存续, L(大型) -> L), a 企业 suffix dropped (大型企业 -> 大型),
    full-width commas made ASCII."""
    out = values.str.replace(_BRACKETED, "", regex=True).str.replace(r"\s+", "", regex=True)
    out = out.str.replace("，", ",", regex=False)
    out = out.where(out.ne("") | values.eq(""), values)  # a cell that was only a bracket
    return out.str.replace(r"(?<=.)企业$", "", regex=True)


def parse_list(values: pd.Series) -> Parsed:
    """;-joined lists: ，,、；| become ; and spaces around separators go."""
    clean = values.str.replace(_SEPARATORS, ";", regex=True).str.strip(";")
    return clean, np.zeros(len(values), dtype=bool)


def parse_slots(values: pd.Series) -> Parsed:
    """;-joined slot indexes (whole numbers >= 0)."""
    clean, _ = parse_list(values)
    ok = np.asarray(clean.str.fullmatch(r"\d+(;\d+)*"), dtype=bool)
    return clean, _present(values) & ~ok


def split_long(values: pd.Series) -> pd.DataFrame:
    """One row per item of ;-joined cells: ``row`` (position in ``values``) and ``item``.

    Items are de-duplicated within a cell, in their first order; empty cells give no rows.
    """
    parts = values.reset_index(drop=True).str.split(";").explode()
    long = pd.DataFrame({"row": parts.index.to_numpy(dtype=np.int64), "item": parts.to_numpy()})
    long = long[long["item"].notna() & long["item"].ne("")]
    return long.drop_duplicates().reset_index(drop=True)


def join_by_row(long: pd.DataFrame, n: int) -> pd.Series:
    """The ``item`` column of a :func:`split_long` frame joined back by ``row`` ("" if none)."""
    joined = long.groupby("row", sort=True)["item"].agg(";".join)
    return joined.reindex(pd.RangeIndex(n), fill_value="").astype(object)


def parse_uscc_list(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """;-joined 统一社会信用代码 lists: upper-cased, separators normalised, de-duplicated.

    Returns the clean lists and, per cell, its invalid codes ;-joined ("" where all are
    valid); both with ``values``' index.
    """
    clean, _ = parse_list(values.str.upper())
    long = split_long(clean)
    valid = valid_uscc_mask(long["item"]) if len(long) else np.zeros(0, dtype=bool)
    n = len(values)
    out = join_by_row(long, n).set_axis(values.index)
    bad = join_by_row(long[~valid], n).set_axis(values.index)
    return out, bad


USCC_LIST_MESSAGE = (
    "统一社会信用代码 of counterparts, ;-joined, each 18 characters with a correct "
    "GB 32100-2015 check character"
)
