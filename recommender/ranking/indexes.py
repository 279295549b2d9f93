"""Indexes the ranking service builds once from the data and consults on every request.

:class:`PairLog` answers which candidates a query must not be shown (existing partners,
recent declines); :class:`Meetings` gives the latest earlier meeting of each pair, for the
history reasons. Both are sorted arrays searched with ``np.searchsorted``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.context import FeatureContext
from features.entities import text_col
from features.history import DAY_SPAN, pair_key, to_days
from features.schema import STAGE_GRADE
from recommender.ranking.rules import Rules

IntArray = npt.NDArray[np.int64]

_SIGNED = STAGE_GRADE["signed"]


class PairLog:
    """Outcome records of every pair in both orientations, sorted by (first side, day).

    Answers "which candidates of query q already signed with it, or declined it recently"
    with one ``searchsorted`` per request instead of a scan over all outcomes.
    """

    def __init__(self, ctx: FeatureContext, outcomes: pd.DataFrame | None) -> None:
        if outcomes is None or outcomes.empty:
            empty = np.zeros(0, dtype=np.int64)
            self.a = self.b = self.day = empty
            self.grade = np.zeros(0)
            self.declined = self.forward = np.zeros(0, dtype=bool)
            return
        q = ctx.ids.get_indexer(pd.Index(outcomes["query_id"].to_numpy(dtype=object)))
        c = ctx.ids.get_indexer(pd.Index(outcomes["candidate_id"].to_numpy(dtype=object)))
        dates = pd.to_datetime(outcomes["date"])
        keep = (q >= 0) & (c >= 0) & dates.notna().to_numpy()
        q, c = q[keep].astype(np.int64), c[keep].astype(np.int64)
        day = to_days(dates[keep].to_numpy(), int(keep.sum()))
        stage = outcomes["stage"].to_numpy(dtype=object)[keep]
        grade = pd.Series(stage).map(STAGE_GRADE).fillna(0).to_numpy(dtype=np.float64)
        declined = stage == "declined"
        a = np.concatenate([q, c])
        order = np.lexsort((np.concatenate([day, day]), a))
        self.a = a[order]
        self.b = np.concatenate([c, q])[order]
        self.day = np.concatenate([day, day])[order]
        self.grade = np.concatenate([grade, grade])[order]
        self.declined = np.concatenate([declined, declined])[order]
        # True where the record was made for a query by ``a`` itself (not the other side)
        self.forward = np.concatenate([np.ones(len(q), bool), np.zeros(len(q), bool)])[order]

    def excluded(self, q: int, *, day: int, rules: Rules) -> IntArray:
        """Entity rows to drop for query row ``q`` as of day number ``day``."""
        lo, hi = np.searchsorted(self.a, [q, q + 1])
        if hi == lo:
            return np.zeros(0, dtype=np.int64)
        # up to and including the as-of day: a decline recorded today excludes today
        # (features, unlike exclusions, only see facts strictly before the as-of date)
        hi = lo + int(np.searchsorted(self.day[lo:hi], day, side="right"))
        b, d = self.b[lo:hi], self.day[lo:hi]
        ex = rules.exclusions
        drop = np.zeros(hi - lo, dtype=bool)
        if ex.existing_partners:
            drop |= self.grade[lo:hi] >= _SIGNED
        if ex.declined_within_months > 0:
            cutoff = to_days(
                pd.Timestamp(_day_to_date(day)) - pd.DateOffset(months=ex.declined_within_months),
                1,
            )[0]
            recent = self.declined[lo:hi] & (d >= cutoff)
            if not ex.no_thanks:
                recent &= self.forward[lo:hi]
            drop |= recent
        return np.asarray(np.unique(b[drop]), dtype=np.int64)


class Meetings:
    """The latest meeting-or-better record of each pair before a date (for history reasons)."""

    def __init__(self, ctx: FeatureContext, events: pd.DataFrame | None) -> None:
        h = ctx.history
        pos = h.grade >= 1
        key = pair_key(h.query[pos], h.cand[pos], ctx.n_entities)
        comp = key * DAY_SPAN + h.day[pos]
        order = np.argsort(comp, kind="stable")
        self.comp = comp[order]
        self.event = np.asarray(h.event_id[pos][order], dtype=object)
        self.n = ctx.n_entities
        self.event_city: dict[str, int] = {}
        if events is not None and len(events):
            index = pd.Index(text_col(ctx.reference.cities["city_code"]))
            rows = index.get_indexer(text_col(events["city_code"]).to_numpy(dtype=object))
            self.event_city = dict(zip(text_col(events["event_id"]), rows.tolist(), strict=True))

    def last(self, q: IntArray, c: IntArray, day: int) -> tuple[list[int | None], list[int]]:
        """Per pair: the year of the latest meeting before ``day`` (or None) and the city row
        of its event (-1 when unknown or not at an event)."""
        key = pair_key(q, c, self.n)
        at = np.searchsorted(self.comp, key * DAY_SPAN + day, side="left") - 1
        years: list[int | None] = []
        where: list[int] = []
        for k, i in zip(key.tolist(), at.tolist(), strict=True):
            if i >= 0 and self.comp[i] // DAY_SPAN == k:
                years.append(int(str(_day_to_date(int(self.comp[i] % DAY_SPAN)))[:4]))
                where.append(self.event_city.get(str(self.event[i]), -1))
            else:
                years.append(None)
                where.append(-1)
        return years, where


def _day_to_date(day: int) -> np.datetime64:
    return np.datetime64("1900-01-01", "D") + np.timedelta64(int(day), "D")
