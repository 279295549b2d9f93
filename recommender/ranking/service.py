"""The ranking service: one request = candidates → features → model → rules → reasons → top-k.

The service receives everything in its constructor (feature context, model provider, rules);
it never finds files itself. It is safe to call from several threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from features.candidates import CandidateGenerator
from features.pairs import pair_details, pair_features

from features.context import FeatureContext
from features.schema import QUERY_KINDS, STAGE_GRADE
from recommender.errors import NotFoundError, ValidationError
from recommender.ranking.explain import Reason, reasons_for
from recommender.ranking.models import ModelProvider
from recommender.ranking.rules import ExposureCounter, Rules, apply_boosts, diversify

SIZE_BANDS = {"micro": (0, 20), "small": (20, 100), "medium": (100, 1000), "large": (1000, 10**9)}
SRDI_RANK = {"none": 0, "province": 1, "national": 2}


@dataclass(frozen=True)
class RankFilters:
    """Optional filters on candidates (all must hold)."""

    provinces: tuple[str, ...] = ()
    city_codes: tuple[str, ...] = ()
    industry_prefix: str = ""
    chain_node: str = ""
    size_band: str = ""
    min_srdi: str = ""
    exclude_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.size_band and self.size_band not in SIZE_BANDS:
            raise ValidationError(
                f"size_band must be one of {sorted(SIZE_BANDS)}, got {self.size_band!r}"
            )
        if self.min_srdi and self.min_srdi not in SRDI_RANK:
            raise ValidationError(
                f"min_srdi must be one of {sorted(SRDI_RANK)}, got {self.min_srdi!r}"
            )


@dataclass(frozen=True)
class RankedCandidate:
    """One line of a ranked list."""

    rank: int
    candidate_id: str
    name: str
    city_code: str
    city_name: str
    industry_code: str
    products: str
    score: float
    final_score: float
    p_success: float | None
    reasons: list[Reason]


@dataclass(frozen=True)
class RankedList:
    """A ranked, explained list for one query."""

    kind: str
    query_id: str
    query_name: str
    model_version: str
    as_of: pd.Timestamp
    candidates: list[RankedCandidate] = field(default_factory=list)
    n_generated: int = 0
    n_after_filters: int = 0


class RankingService:
    """Ranks candidates for the three query kinds with the production model."""

    def __init__(
        self,
        ctx: FeatureContext,
        models: ModelProvider,
        rules: Rules,
        *,
        outcomes: pd.DataFrame | None = None,
        candidate_cap: int = 1000,
    ) -> None:
        self.ctx = ctx
        self.models = models
        self.rules = rules
        self.generator = CandidateGenerator(ctx, cap=candidate_cap)
        ent = ctx.firms
        self._ent = ent
        self._uscc_index = pd.Index(ent["uscc"].to_numpy())
        self._province = _province_of(ctx, ent["city_code"].to_numpy(dtype=object))
        self._city_names = dict(
            zip(ctx.reference.cities["city_code"], ctx.reference.cities["name"], strict=False)
        )
        self._park_names = dict(zip(ctx.parks["park_id"], ctx.parks["name"], strict=False))
        self._pair_state = _pair_state(outcomes if outcomes is not None else pd.DataFrame())

    # -- public -------------------------------------------------------------------------
    def rank(
        self,
        kind: str,
        query_id: str,
        *,
        k: int = 20,
        filters: RankFilters | None = None,
        as_of: pd.Timestamp | None = None,
        exposure: ExposureCounter | None = None,
    ) -> RankedList:
        """Rank candidates for one query; see the module docstring for the path."""
        if kind not in QUERY_KINDS:
            raise ValidationError(f"kind must be one of {list(QUERY_KINDS)}, got {kind!r}")
        if not isinstance(k, int) or k < 1 or k > 500:
            raise ValidationError(f"k must be an integer from 1 to 500, got {k!r}")
        query_name = self._query_name(kind, query_id)
        as_of = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.now().normalize()
        model = self.models.current()
        cands = np.asarray(self.generator.generate(kind, query_id, as_of=as_of), dtype=object)
        n_generated = len(cands)
        cands = cands[self._filter_mask(cands, filters or RankFilters())]
        cands = cands[self._exclusion_mask(kind, query_id, cands, as_of)]
        if exposure is not None:
            cands = cands[exposure.allowed(cands)]
        n_after = len(cands)
        if n_after == 0:
            return RankedList(kind, query_id, query_name, model.version, as_of, [], n_generated, 0)
        X = pair_features(
            self.ctx,
            kind=kind,
            query_ids=np.full(n_after, query_id, dtype=object),
            candidate_ids=cands,
            as_of=as_of,
        )
        Xm = X[list(model.feature_names)]
        raw = np.asarray(model.booster.predict(Xm, num_threads=1))
        frame = pd.DataFrame(
            {
                "candidate_id": cands,
                "score": raw,
                "official_pair": X["official_pair"].to_numpy(),
                "co_built": X["cobuilt_partner"].to_numpy(),
                "city_code": self._ent["city_code"].to_numpy()[self._rows(cands)],
                "node": _first_node(self._ent["chain_nodes"].to_numpy()[self._rows(cands)]),
                "pos": np.arange(n_after),
            }
        )
        frame["final_score"] = apply_boosts(frame, self.rules)
        top = diversify(frame, self.rules, k=k).head(k)
        pos = top["pos"].to_numpy()
        contrib = np.asarray(model.booster.predict(Xm.iloc[pos], pred_contrib=True, num_threads=1))
        details = pair_details(
            self.ctx,
            kind=kind,
            query_ids=np.full(len(pos), query_id, dtype=object),
            candidate_ids=cands[pos],
        )
        reasons = reasons_for(
            contrib, list(model.feature_names), X.iloc[pos].reset_index(drop=True), details
        )
        p = (
            model.calibrator.transform(top["score"].to_numpy())
            if model.calibrator is not None
            else np.full(len(top), np.nan)
        )
        rows = self._rows(cands[pos])
        out = [
            RankedCandidate(
                rank=i + 1,
                candidate_id=str(c),
                name=str(self._ent["name"].iat[r]),
                city_code=str(self._ent["city_code"].iat[r]),
                city_name=self._city_names.get(str(self._ent["city_code"].iat[r]), ""),
                industry_code=str(self._ent["industry_code"].iat[r]),
                products=str(self._ent["products"].iat[r]),
                score=float(s),
                final_score=float(fs),
                p_success=None if np.isnan(pp) else float(pp),
                reasons=reasons[i],
            )
            for i, (c, r, s, fs, pp) in enumerate(
                zip(cands[pos], rows, top["score"], top["final_score"], p, strict=True)
            )
        ]
        if exposure is not None:
            exposure.record(cands[pos])
        return RankedList(
            kind, query_id, query_name, model.version, as_of, out, n_generated, n_after
        )

    def rank_batch(
        self, kind: str, query_ids: list[str], *, k: int = 50, filters: RankFilters | None = None
    ) -> list[RankedList]:
        """Ranked lists for many queries with the batch exposure cap applied across them."""
        counter = ExposureCounter(self.rules.exposure.max_per_candidate_per_batch)
        return [self.rank(kind, q, k=k, filters=filters, exposure=counter) for q in query_ids]

    # -- helpers ------------------------------------------------------------------------
    def _rows(self, ids: np.ndarray) -> np.ndarray:
        return np.asarray(self._uscc_index.get_indexer(ids))

    def _query_name(self, kind: str, query_id: str) -> str:
        if kind == "investor":
            if query_id not in self._park_names:
                raise NotFoundError(f"park {query_id!r} does not exist")
            return str(self._park_names[query_id])
        row = self._uscc_index.get_indexer([query_id])[0]
        if row < 0:
            raise NotFoundError(f"enterprise {query_id!r} does not exist")
        return str(self._ent["name"].iat[row])

    def _filter_mask(self, cands: np.ndarray, f: RankFilters) -> np.ndarray:
        rows = self._rows(cands)
        mask = rows >= 0
        ent = self._ent
        if f.provinces:
            mask &= np.isin(self._province[rows], list(f.provinces))
        if f.city_codes:
            mask &= np.isin(ent["city_code"].to_numpy(dtype=object)[rows], list(f.city_codes))
        if f.industry_prefix:
            codes = ent["industry_code"].to_numpy(dtype=str)[rows]
            mask &= np.char.startswith(codes, f.industry_prefix)
        if f.chain_node:
            nodes = ent["chain_nodes"].to_numpy(dtype=str)[rows]
            mask &= np.char.find(nodes, f.chain_node) >= 0
        if f.size_band:
            lo, hi = SIZE_BANDS[f.size_band]
            emp = ent["employees"].to_numpy(dtype=float, na_value=np.nan)[rows]
            mask &= (emp >= lo) & (emp < hi)
        if f.min_srdi:
            lvl = ent["srdi_level"].map(SRDI_RANK).fillna(0).to_numpy()[rows]
            mask &= lvl >= SRDI_RANK[f.min_srdi]
        if f.exclude_ids:
            mask &= ~np.isin(cands, list(f.exclude_ids))
        return mask

    def _exclusion_mask(
        self, kind: str, query_id: str, cands: np.ndarray, as_of: pd.Timestamp
    ) -> np.ndarray:
        """Existing partners, recent declines and "no thanks" (either direction)."""
        ex = self.rules.exclusions
        state = self._pair_state
        if state.empty or not len(cands):
            return np.ones(len(cands), dtype=bool)
        sub = state[state["a"] == query_id]
        if sub.empty:
            return np.ones(len(cands), dtype=bool)
        sub = sub[sub["b"].isin(cands)]
        drop: set[str] = set()
        if ex.existing_partners:
            drop |= set(sub.loc[sub["best_grade"] >= STAGE_GRADE["signed"], "b"])
        if ex.no_thanks or ex.declined_within_months > 0:
            cutoff = as_of - pd.DateOffset(months=ex.declined_within_months)
            recent = (
                sub["last_declined"] >= cutoff if not ex.no_thanks else sub["last_declined"].notna()
            )
            drop |= set(sub.loc[recent, "b"])
        return ~np.isin(cands, list(drop))


def _pair_state(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per unordered pair (a, b) in both orientations: best grade and last decline date."""
    if outcomes.empty:
        return pd.DataFrame(columns=["a", "b", "best_grade", "last_declined"])
    o = outcomes[["query_id", "candidate_id", "stage", "date"]]
    both = pd.concat(
        [
            o.rename(columns={"query_id": "a", "candidate_id": "b"}),
            o.rename(columns={"query_id": "b", "candidate_id": "a"}),
        ],
        ignore_index=True,
    )
    both["grade"] = both["stage"].map(STAGE_GRADE).fillna(0)
    both["declined_at"] = both["date"].where(both["stage"] == "declined")
    return (
        both.groupby(["a", "b"], sort=False)
        .agg(best_grade=("grade", "max"), last_declined=("declined_at", "max"))
        .reset_index()
    )


def _province_of(ctx: FeatureContext, city_codes: np.ndarray) -> np.ndarray:
    cities = ctx.reference.cities
    lookup = dict(zip(cities["city_code"], cities["province"], strict=False))
    uniq, inv = np.unique(city_codes.astype(str), return_inverse=True)
    return np.array([lookup.get(c, "") for c in uniq], dtype=object)[inv]


def _first_node(nodes: np.ndarray) -> np.ndarray:
    s = pd.Series(nodes, dtype=object).fillna("").astype(str)
    return s.str.split(";").str[0].fillna("").to_numpy(dtype=object)
