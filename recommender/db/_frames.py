"""Conversions between pandas frames and DB-ready Python values, driven by table metadata."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Boolean, Column, Date, DateTime, Float, Integer, Table

from recommender.errors import ValidationError

Normaliser = Callable[[pd.Series], list[Any]]


def _values(s: pd.Series) -> list[tuple[Any, bool]]:
    """(value, is_missing) pairs, with missingness computed once, vectorised."""
    return list(zip(s.astype(object).tolist(), s.isna().tolist(), strict=True))


def _as_int(s: pd.Series) -> list[Any]:
    return [None if na else int(v) for v, na in _values(s)]


def _as_float(s: pd.Series) -> list[Any]:
    return [None if na else float(v) for v, na in _values(s)]


def _as_bool(s: pd.Series) -> list[Any]:
    return [None if na else bool(v) for v, na in _values(s)]


def _as_date(s: pd.Series) -> list[Any]:
    conv = pd.to_datetime(s)
    return [None if pd.isna(v) else v.date() for v in conv]


def _as_datetime(s: pd.Series) -> list[Any]:
    conv = pd.to_datetime(s)
    return [None if pd.isna(v) else v.to_pydatetime() for v in conv]


def _as_text(nullable: bool) -> Normaliser:
    missing = None if nullable else ""

    def norm(s: pd.Series) -> list[Any]:
        return [missing if na else str(v) for v, na in _values(s)]

    return norm


def normaliser(column: Column[Any]) -> Normaliser:
    """How to turn a frame column into the Python values the DB column takes."""
    t = column.type
    if isinstance(t, Boolean):
        return _as_bool
    if isinstance(t, Integer):  # BigInteger, SmallInteger are subclasses
        return _as_int
    if isinstance(t, Float):
        return _as_float
    if isinstance(t, DateTime):
        return _as_datetime
    if isinstance(t, Date):
        return _as_date
    return _as_text(bool(column.nullable))


def frame_to_columns(
    frame: pd.DataFrame, table: Table, names: Sequence[str], *, what: str
) -> dict[str, list[Any]]:
    """Column name -> list of DB-ready values, for ``names`` (all must be in frame and table)."""
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ValidationError(
            f"{what}: frame lacks columns {missing}; expected {list(names)}, "
            f"got {list(frame.columns)}"
        )
    out: dict[str, list[Any]] = {}
    for n in names:
        try:
            out[n] = normaliser(table.c[n])(frame[n])
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f"{what}: column {n!r} cannot be stored as {table.c[n].type}: {exc}"
            ) from exc
    return out


def rows_to_frame(rows: Sequence[Sequence[Any]], names: Sequence[str]) -> pd.DataFrame:
    """Rows from a Core select into a frame with object columns (typing is the caller's)."""
    if not rows:
        return pd.DataFrame({n: pd.Series(dtype=object) for n in names})
    cols = list(zip(*rows, strict=True))
    return pd.DataFrame(
        {n: pd.Series(list(c), dtype=object) for n, c in zip(names, cols, strict=True)}
    )
