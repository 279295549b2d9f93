"""Labelled ranking datasets from outcomes: graded relevance, censoring, time splits.

A *query instance* is one occasion on which candidates were put in front of a query:
``(query_kind, query_id, exposure date)``, where the exposure date is the first date the pair
was recommended, contacted or met. Its label is the furthest funnel stage reached within the
label horizon after exposure (0 none/declined, 1 meeting, 2 intention, 3 signed, 4 landed).
Pairs whose horizon has not ended by the data end date are censored: dropped, never negatives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.errors import SchemaError
from features.schema import OUTCOME, STAGE_GRADE, check_frame

EXPOSURE_STAGES = ("recommended", "contacted", "meeting")
PAIR_KEY = ["query_kind", "query_id", "candidate_id"]


@dataclass(frozen=True)
class LabelConfig:
    """How labels are read from outcomes.

    Parameters
    ----------
    horizon_days : label horizon after exposure (default 180).
    data_end : the last date outcomes are known for; pairs whose horizon ends after it are
        censored. Defaults to the latest outcome date.
    """

    horizon_days: int = 180
    data_end: pd.Timestamp | None = None


def label_pairs(outcomes: pd.DataFrame, config: LabelConfig | None = None) -> pd.DataFrame:
    """One row per exposed (query_kind, query_id, candidate_id) pair with its graded label.

    Parameters
    ----------
    outcomes : OUTCOME frame.
    config : label horizon and data end.

    Returns
    -------
    DataFrame with ``query_kind, query_id, candidate_id, exposed, event_id, grade, censored``,
    sorted by exposure date then key. ``grade`` is the maximum stage grade among outcomes dated
    in ``[exposed, exposed + horizon]``; ``censored`` is True where that window ends after
    ``data_end``.
    """
    config = config or LabelConfig()
    check_frame(outcomes, OUTCOME, where="label_pairs")
    if config.horizon_days < 1:
        raise ValueError(f"horizon_days must be an integer >= 1, got {config.horizon_days}")
    cols = ["query_kind", "query_id", "candidate_id", "exposed", "event_id", "grade", "censored"]
    if outcomes.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    data_end = config.data_end if config.data_end is not None else outcomes["date"].max()
    o = outcomes[[*PAIR_KEY, "stage", "date", "event_id"]].copy()
    exposed_rows = o[o["stage"].isin(EXPOSURE_STAGES)]
    first = (
        exposed_rows.sort_values("date", kind="stable")
        .groupby(PAIR_KEY, sort=False, as_index=False)
        .first()[[*PAIR_KEY, "date", "event_id"]]
        .rename(columns={"date": "exposed"})
    )
    o["grade"] = o["stage"].map(STAGE_GRADE).astype("int64")
    joined = o[[*PAIR_KEY, "date", "grade"]].merge(first[[*PAIR_KEY, "exposed"]], on=PAIR_KEY)
    horizon = pd.Timedelta(days=config.horizon_days)
    inside = (joined["date"] >= joined["exposed"]) & (joined["date"] <= joined["exposed"] + horizon)
    grades = joined[inside].groupby(PAIR_KEY, sort=False)["grade"].max()
    out = first.merge(grades.rename("grade").reset_index(), on=PAIR_KEY, how="left")
    out["grade"] = out["grade"].fillna(0).astype("int64")
    out["censored"] = (out["exposed"] + horizon) > pd.Timestamp(data_end)
    out = out.sort_values(["exposed", *PAIR_KEY], kind="stable").reset_index(drop=True)
    return out[cols]


def assign_query_groups(pairs: pd.DataFrame) -> pd.DataFrame:
    """Add ``qid``: one id per query instance (kind, query id, exposure date), in time order."""
    key = (
        pairs["query_kind"]
        + "|"
        + pairs["query_id"]
        + "|"
        + pairs["exposed"].dt.strftime("%Y-%m-%d")
    )
    order = pairs.assign(_k=key).sort_values(["exposed", "_k"], kind="stable")
    codes, _ = pd.factorize(order["_k"])
    out = order.drop(columns="_k").assign(qid=codes.astype(np.int64))
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class TimeSplit:
    """Chronological split boundaries: train < valid_start <= valid < test_start <= test."""

    valid_start: pd.Timestamp
    test_start: pd.Timestamp

    def part(self, exposed: pd.Series) -> np.ndarray:
        """'train' / 'valid' / 'test' for each exposure date."""
        return np.where(
            exposed < self.valid_start,
            "train",
            np.where(exposed < self.test_start, "valid", "test"),
        )


def time_split(
    pairs: pd.DataFrame, *, valid_frac: float = 0.15, test_frac: float = 0.15
) -> TimeSplit:
    """Split boundaries at quantiles of the query instances' exposure dates.

    Boundaries fall on whole query instances, so one query's candidates never straddle two
    parts, and later data is never used to train a model evaluated on earlier data.
    """
    if not 0 < valid_frac < 1 or not 0 < test_frac < 1 or valid_frac + test_frac >= 1:
        raise ValueError(
            f"valid_frac and test_frac must be in (0, 1) with a sum < 1, "
            f"got {valid_frac} and {test_frac}"
        )
    if "censored" in pairs.columns:
        pairs = pairs[~pairs["censored"]]
    if pairs.empty:
        raise SchemaError("time_split needs at least one uncensored labelled pair, got none")
    dates = np.sort(
        pairs.drop_duplicates(["query_kind", "query_id", "exposed"])["exposed"].to_numpy()
    )
    n = len(dates)
    v = dates[min(n - 1, int(np.floor(n * (1 - valid_frac - test_frac))))]
    t = dates[min(n - 1, int(np.floor(n * (1 - test_frac))))]
    return TimeSplit(pd.Timestamp(v), pd.Timestamp(t))


def group_sizes(qid: np.ndarray) -> np.ndarray:
    """LightGBM ``group`` sizes from query ids that must already be sorted (contiguous)."""
    qid = np.asarray(qid)
    if qid.size and np.any(np.diff(qid) < 0):
        raise ValueError("query ids must be sorted so each query's rows are contiguous")
    _, sizes = np.unique(qid, return_counts=True)
    if int(sizes.sum()) != qid.size:  # pragma: no cover - guarded by the check above
        raise AssertionError("group sizes do not sum to the number of rows")
    return sizes.astype(np.int64)
