"""Enterprises files meet the stored catalogue: column-wise updates, lists, inferred nodes.

A file updates only the columns it carries. For a full file (the contract, a registry
export) a firm already stored keeps the values of every column the file lacks (re-importing
a registry export does not undo an office's 龙头企业 list). A list (a file without the
required columns: an office's 龙头企业 list, a 专精特新 list, 主营产品/采购需求) updates only
firms already stored, found by 统一社会信用代码, else by exact firm name (full-width and
ASCII brackets and spaces aside; a city column, when present, tells apart firms of the same
name); its unmatched and ambiguous rows are reported, not written.

Chain nodes: where the file gives none and the stored ones were not given by a file either,
they are inferred (:mod:`features.infer_nodes`) from the industry code and products text,
and marked ``chain_nodes_source = "inferred"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from features.infer_nodes import NodeInference
from features.schema import ENTERPRISE, conform
from recommender.db import repo
from recommender.errors import RowError

__all__ = ["MatchReport", "Merged", "merge_enterprises", "name_key"]

# columns a list uses to find its firm; they are never overwritten by a list
_IDENTIFYING = ("uscc", "name", "city_code", "district")
_NODE_INPUTS = ("industry_code", "products", "chain_nodes")


@dataclass(frozen=True)
class MatchReport:
    """How the rows of a list found their firms."""

    by_uscc: int = 0
    by_name: int = 0
    unmatched: tuple[tuple[int, str], ...] = ()  # (line, what the row named)
    ambiguous: tuple[tuple[int, str, int], ...] = ()  # (line, name, firms of that name)

    def summary(self) -> str:
        parts = [f"matched {self.by_uscc + self.by_name} (by USCC {self.by_uscc}, "
                 f"by name {self.by_name})"]  # fmt: skip
        if self.unmatched:
            parts.append(f"unmatched {len(self.unmatched)}")
        if self.ambiguous:
            parts.append(f"ambiguous {len(self.ambiguous)}")
        return ", ".join(parts)

    def details(self) -> list[str]:
        """One line per unmatched or ambiguous row."""
        out = [f"line {line}: no stored firm {what!r}" for line, what in self.unmatched]
        out += [
            f"line {line}: {n} stored firms are named {name!r} (give the USCC or the city)"
            for line, name, n in self.ambiguous
        ]
        return out


@dataclass(frozen=True)
class Merged:
    """The full rows to upsert and what matching and inference did."""

    frame: pd.DataFrame  # conformed to ENTERPRISE
    match: MatchReport | None  # lists only
    errors: list[RowError] = field(default_factory=list)
    inferred: int = 0  # rows whose chain nodes were inferred


def name_key(names: pd.Series) -> pd.Series:
    """Firm names made comparable: spaces dropped, full-width brackets made ASCII."""
    return (
        names.astype(str)
        .str.replace(r"\s+", "", regex=True)
        .str.replace("（", "(", regex=False)
        .str.replace("）", ")", regex=False)
    )


def _stored(session: Session) -> pd.DataFrame:
    if not repo.existing_keys(session, kind="enterprises"):
        return conform(pd.DataFrame(columns=ENTERPRISE.required), ENTERPRISE)
    return repo.load_frame(session, kind="enterprises")


def merge_enterprises(
    session: Session,
    *,
    frame: pd.DataFrame,
    columns: tuple[str, ...],
    partial: bool,
    lines: tuple[int, ...],
    nodes: NodeInference | None,
) -> Merged:
    """Full rows for the validated rows of an enterprises file (see the module docstring).

    Parameters
    ----------
    frame : the validated rows (conformed for a full file; the carried columns for a list).
    columns : the frame columns the file carries.
    partial : the file is a list.
    lines : file line of each row, for the reports.
    nodes : chain-node inference; None leaves chain nodes as they are.
    """
    stored = _stored(session)
    if partial:
        rows, match, errors = _match_list(frame, stored, lines)
        if errors:
            return Merged(frame=stored.iloc[:0], match=match, errors=errors)
        update = [c for c in columns if c not in _IDENTIFYING]
        base = stored.iloc[rows["stored"].to_numpy()].reset_index(drop=True)
        listed = frame.iloc[rows["row"].to_numpy()].reset_index(drop=True)
        for column in update:
            base[column] = listed[column].to_numpy()
        out = conform(base, ENTERPRISE)
        carried = set(update)
    else:
        match = None
        out = conform(frame, ENTERPRISE)
        carried = set(columns)
        lacking = [c for c in ENTERPRISE.names if c not in carried]
        if len(stored) and lacking:
            old = stored.set_index("uscc")
            known = out["uscc"].isin(old.index).to_numpy()
            if known.any():
                pos = old.index.get_indexer(pd.Index(out.loc[known, "uscc"]))
                for column in lacking:
                    out.loc[known, column] = old[column].to_numpy()[pos]
        out = conform(out, ENTERPRISE)
    inferred = 0
    if nodes is not None and (not partial or carried & set(_NODE_INPUTS)):
        out, inferred = _with_nodes(out, carried, nodes)
    return Merged(frame=out, match=match, inferred=inferred)


def _with_nodes(
    frame: pd.DataFrame, carried: set[str], nodes: NodeInference
) -> tuple[pd.DataFrame, int]:
    """Mark given nodes ``file``; infer the others (see the module docstring)."""
    out = frame.copy()
    has = out["chain_nodes"].ne("").to_numpy()
    source = out["chain_nodes_source"].to_numpy(dtype=object).copy()
    given = has & (source != "inferred")
    if "chain_nodes" in carried:
        given = has  # the file's own nodes, even where earlier ones were inferred
    source[given] = "file"
    todo = ~given
    inferred = 0
    if todo.any():
        M = nodes.infer(out.loc[todo, "industry_code"], out.loc[todo, "products"])
        found = nodes.joined(M).to_numpy(dtype=object)
        chain = out["chain_nodes"].to_numpy(dtype=object).copy()
        chain[todo] = found
        source[todo] = np.where(found != "", "inferred", "")
        out["chain_nodes"] = chain
        inferred = int((found != "").sum())
    out["chain_nodes_source"] = source
    return out, inferred


def _match_list(
    frame: pd.DataFrame, stored: pd.DataFrame, lines: tuple[int, ...]
) -> tuple[pd.DataFrame, MatchReport, list[RowError]]:
    """(row, stored) positions of the list rows that found one firm, the report, errors."""
    n = len(frame)
    line = np.asarray(lines, dtype=np.int64)
    target = np.full(n, -1, dtype=np.int64)
    uscc = frame["uscc"] if "uscc" in frame.columns else pd.Series([""] * n, dtype=object)
    name = frame["name"] if "name" in frame.columns else pd.Series([""] * n, dtype=object)
    by_uscc = pd.Index(stored["uscc"]).get_indexer(uscc.to_numpy(dtype=object))
    has_uscc = uscc.ne("").to_numpy()
    target[has_uscc] = by_uscc[has_uscc]
    key = name_key(stored["name"])
    counts = key.value_counts()
    ambiguous: list[tuple[int, str, int]] = []
    n_name = 0
    want = (~has_uscc) & name.ne("").to_numpy()
    if want.any():
        first = pd.Series(np.arange(len(stored)), index=key.to_numpy()).groupby(level=0).first()
        keys = name_key(name).tolist()
        for i in np.flatnonzero(want).tolist():
            k = str(keys[i])
            c = int(counts.get(k, 0))
            if c == 1:
                target[i] = int(first[k])
                n_name += 1
            elif c > 1:
                pick = _by_city(frame, stored, key, k, i)
                if pick >= 0:
                    target[i] = pick
                    n_name += 1
                else:
                    ambiguous.append((int(line[i]), str(name.iat[i]), c))
    amb_lines = {a[0] for a in ambiguous}
    unmatched = tuple(
        (int(line[i]), str(uscc.iat[i] or name.iat[i]))
        for i in np.flatnonzero(target < 0).tolist()
        if int(line[i]) not in amb_lines
    )
    errors: list[RowError] = []
    hit = np.flatnonzero(target >= 0)
    seen: dict[int, int] = {}
    for i in hit.tolist():
        t = int(target[i])
        if t in seen:
            errors.append(
                RowError(int(line[i]), "uscc" if has_uscc[i] else "name",
                         f"a firm not already listed on line {seen[t]}",
                         str(uscc.iat[i] or name.iat[i]))
            )  # fmt: skip
        else:
            seen[t] = int(line[i])
    report = MatchReport(
        by_uscc=int((target[has_uscc] >= 0).sum()),
        by_name=n_name,
        unmatched=unmatched,
        ambiguous=tuple(ambiguous),
    )
    rows = pd.DataFrame({"row": hit, "stored": target[hit]})
    return rows, report, errors


def _by_city(frame: pd.DataFrame, stored: pd.DataFrame, key: pd.Series, k: str, i: int) -> int:
    """The one stored firm named ``k`` in the row's city, or -1."""
    if "city_code" not in frame.columns or not frame["city_code"].iat[i]:
        return -1
    city = str(frame["city_code"].iat[i])
    same = np.flatnonzero(key.eq(k).to_numpy() & stored["city_code"].eq(city).to_numpy())
    return int(same[0]) if len(same) == 1 else -1
