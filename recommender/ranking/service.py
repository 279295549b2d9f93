"""The ranking service: one request = candidates → features → model → rules → reasons → top-k.

The service receives everything in its constructor (feature context, model provider, rules,
outcomes, events); it never finds files itself. It is safe to call from several threads: the
only state a request changes is the optional :class:`ExposureCounter` it is given.

The hot path is numpy from end to end. Everything that depends only on the data (entity
arrays, the outcome index for exclusions, the meeting index for reasons) is built once in
the constructor; a request gathers rows from those arrays, computes the pair features of its
candidates as one float32 matrix (:func:`recommender.ranking.matrix.feature_matrix`), scores
them with one ``predict`` call on one thread, and explains only the top k, from the leaves
they reach (:mod:`recommender.ranking.paths`).
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_CANDIDATE_CAP",
    "SIZE_BANDS",
    "SRDI_RANK",
    "RankFilters",
    "RankedCandidate",
    "RankedList",
    "RankingService",
]

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.candidates import CandidateGenerator
from features.context import FeatureContext
from features.entities import text_col
from features.history import to_days
from features.schema import QUERY_KINDS
from recommender.errors import NotFoundError, ValidationError
from recommender.ranking.explain import Explainer, FirmTexts, Reason
from recommender.ranking.indexes import Meetings, PairLog
from recommender.ranking.matrix import feature_matrix
from recommender.ranking.models import ModelSource, ServingModel
from recommender.ranking.results import (
    SIZE_BANDS,
    SRDI_RANK,
    RankedCandidate,
    RankedList,
    RankFilters,
)
from recommender.ranking.rules import ExposureCounter, Rules, rerank

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MAX_K = 500
# Candidates generated per query, per kind, measured as full-path NDCG@10 against the true
# grades on the world variants (10k firms): investor 500 instead of 1,000 and customer 300
# instead of 500 changed it by -0.003..+0.003; supplier 300 instead of 500 cost 0.01-0.02,
# so it stays at 500. Features and the model's predict grow with this number.
DEFAULT_CANDIDATE_CAP: Mapping[str, int] = MappingProxyType(
    {"supplier": 500, "investor": 500, "customer": 300}
)
# The rules re-rank the SCORED_KEEP (or 3 k) candidates the model scores highest; a firm
# below them could reach a list only through a pairing boost larger than its score gap.
# Measured with the two-stage scoring this replaced (full-path NDCG@10 against the true
# grades, six variants, seeds 7 and 8): keeping 200 cost at most 0.002 (noisy suppliers).
SCORED_KEEP = 200


class RankingService:
    """Ranks candidates for the three query kinds with the production model.

    Parameters
    ----------
    ctx : FeatureContext
        The data snapshot (firms, parks, history) the features are computed on.
    models : ModelSource
        Gives the model (the registry's production model in serving, a fixed one in offline
        evaluation); asked once per request, so a promotion is picked up by
        the next request while a request in flight finishes with the model it started with.
    rules : Rules
        Business rules (boosts, exclusions, diversity, exposure caps).
    outcomes : DataFrame, optional
        Outcome records (features.schema.OUTCOME) for the exclusions.
    events : DataFrame, optional
        Events (features.schema.EVENT), to name the city of an earlier meeting in reasons.
    candidate_cap : int or mapping of kind to int
        Most candidates generated per query (before filters), one number or one per kind;
        the latency knob (default :data:`DEFAULT_CANDIDATE_CAP`).
    """

    def __init__(
        self,
        ctx: FeatureContext,
        models: ModelSource,
        rules: Rules,
        *,
        outcomes: pd.DataFrame | None = None,
        events: pd.DataFrame | None = None,
        candidate_cap: int | Mapping[str, int] = DEFAULT_CANDIDATE_CAP,
    ) -> None:
        caps = (
            dict.fromkeys(QUERY_KINDS, candidate_cap)
            if isinstance(candidate_cap, int)
            else {kind: candidate_cap.get(kind, 0) for kind in QUERY_KINDS}
        )
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in caps.values()):
            raise ValidationError(
                f"candidate_cap must be an integer >= 1 for every kind, got {candidate_cap}"
            )
        self.ctx = ctx
        self.models = models
        self.rules = rules
        self.caps = caps
        self.generator = CandidateGenerator(ctx, cap=max(caps.values()))
        F = ctx.n_firms
        firms = ctx.firms
        cities = ctx.reference.cities.reset_index(drop=True)
        self._city_index = pd.Index(text_col(cities["city_code"]))
        n_cities = len(cities)
        city = np.asarray(ctx.city[:F], dtype=np.int64)
        self._city = city
        self._city_code = np.append(text_col(cities["city_code"]).to_numpy(dtype=object), "")
        self._city_name = np.append(text_col(cities["name"]).to_numpy(dtype=object), "")
        provinces = text_col(cities["province"]).to_numpy(dtype=object)
        self._province_names = provinces
        self._city_province = np.append(pd.factorize(provinces)[0], -1).astype(np.int64)
        self._n_cities = n_cities
        self._uscc = ctx.ids.to_numpy(dtype=object)
        self._id_rank = np.empty(F, dtype=np.int64)
        self._id_rank[np.argsort(self._uscc[:F].astype(str), kind="stable")] = np.arange(F)
        # text columns stay in the frame's own (Arrow) storage; a request takes its k rows
        self._name = FirmTexts(firms["name"])
        self._industry = FirmTexts(firms["industry_code"])
        self._industry_u = firms["industry_code"].fillna("").to_numpy(dtype="U4")
        self._products = FirmTexts(firms["products"])
        self._employees = np.asarray(ctx.employees[:F], dtype=np.float64)
        self._srdi = np.nan_to_num(np.asarray(ctx.srdi[:F], dtype=np.float64))
        self._node = _first_node(ctx.makes[:F], len(ctx.node_index))
        self._park_names = dict(
            zip(text_col(ctx.parks["park_id"]), text_col(ctx.parks["name"]), strict=False)
        )
        self._pairs = PairLog(ctx, outcomes)
        self._meetings = Meetings(ctx, events)
        self._explainer = Explainer(ctx, products=self._products)

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
        explain: bool = True,
    ) -> RankedList:
        """Rank candidates for one query.

        Parameters
        ----------
        kind : {"supplier", "investor", "customer"}
        query_id : str
            A leading firm's uscc (supplier), a park id (investor) or a supporting firm's
            uscc (customer).
        k : int
            List length, 1 to 500.
        filters : RankFilters, optional
        as_of : Timestamp, optional
            Features, exclusions and reasons use only outcomes before this date (default:
            today).
        exposure : ExposureCounter, optional
            A batch's exposure counter: candidates at the cap are skipped and the shown
            ones are counted.
        explain : bool
            Compute reasons (offline evaluation skips them).

        Returns
        -------
        RankedList
            Ordered by the shown score (model score + boosts, less the soft diversity
            penalty: :func:`recommender.ranking.rules.rerank`), with reasons (a firm a rule
            moved says so), the calibrated success probability of the shown score (so it
            falls down the list) and the model version.

        Raises
        ------
        ValidationError
            Unknown kind, k out of range, or a query of the wrong type for the kind.
        NotFoundError
            Unknown query id.
        ModelError
            No production model.
        """
        if kind not in QUERY_KINDS:
            raise ValidationError(f"kind must be one of {list(QUERY_KINDS)}, got {kind!r}")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1 or k > MAX_K:
            raise ValidationError(f"k must be an integer from 1 to {MAX_K}, got {k!r}")
        q = self._query_row(kind, query_id)
        query_name = self._query_name(q)
        as_of = pd.Timestamp(as_of).normalize() if as_of is not None else _today()
        day = int(to_days(as_of, 1)[0])
        model = self.models.current()  # held for the whole request (hot reload safe)

        rows, n_generated = self._candidates(
            kind, query_id, q, day=day, as_of=as_of, filters=filters, exposure=exposure
        )
        n_after = len(rows)
        if n_after == 0:
            return RankedList(kind, query_id, query_name, model.version, as_of, [], n_generated, 0)

        X = feature_matrix(self.ctx, kind=kind, query=q, candidates=rows, day=day, model=model)
        best, raw = model.best_scores(X, keep=max(SCORED_KEEP, 3 * k))
        rows, X = rows[best], X[best]
        boost = self._boosts(X, model)
        final = raw + boost
        ranked = rerank(
            final,
            self._id_rank[rows],
            city=self._city[rows],
            node=self._node[rows],
            rules=self.rules,
        )
        top = ranked.order[:k]
        top_rows = rows[top]
        reasons = (
            self._reasons(
                kind, q=q, top_rows=top_rows, X=X[top], model=model, day=day, boosts=boost[top]
            )
            if explain
            else [[] for _ in top]
        )
        for i in np.flatnonzero(ranked.demoted[top]):
            reasons[i].append(_DEMOTED)
        p = _probabilities(model, ranked.shown_score[top])
        city = self._city[top_rows]
        names = self._name.take(top_rows)
        industries = self._industry.take(top_rows)
        products = self._products.take(top_rows)
        out = [
            RankedCandidate(
                rank=i + 1,
                candidate_id=str(self._uscc[r]),
                name=names[i],
                city_code=str(self._city_code[c]),
                city_name=str(self._city_name[c]),
                industry_code=industries[i],
                products=products[i],
                score=float(raw[t]),
                final_score=float(ranked.shown_score[t]),
                p_success=None if p is None else float(p[i]),
                reasons=reasons[i],
            )
            for i, (r, c, t) in enumerate(zip(top_rows, city, top, strict=True))
        ]
        if exposure is not None:
            exposure.record(self._uscc[top_rows])
        return RankedList(
            kind, query_id, query_name, model.version, as_of, out, n_generated, n_after
        )

    def rank_batch(
        self,
        kind: str,
        query_ids: list[str],
        *,
        k: int = 50,
        filters: RankFilters | None = None,
        as_of: pd.Timestamp | None = None,
    ) -> list[RankedList]:
        """Ranked lists for many queries; a firm appears in at most
        ``rules.exposure.max_per_candidate_per_batch`` of them (earlier queries first)."""
        counter = ExposureCounter(self.rules.exposure.max_per_candidate_per_batch)
        return [
            self.rank(kind, q, k=k, filters=filters, as_of=as_of, exposure=counter)
            for q in query_ids
        ]

    def pair_scores(
        self,
        kind: str,
        query_ids: npt.ArrayLike,
        candidate_ids: npt.ArrayLike,
        *,
        as_of: pd.Timestamp,
    ) -> tuple[FloatArray, FloatArray | None, str]:
        """Model scores of arbitrary (query, candidate) pairs, for the event planner.

        The same features and model as :meth:`rank` (no candidate generation, no rules).

        Returns
        -------
        scores, calibrated success probabilities (None without a calibrator), model version.
        """
        if kind not in QUERY_KINDS:
            raise ValidationError(f"kind must be one of {list(QUERY_KINDS)}, got {kind!r}")
        model = self.models.current()
        q = self.ctx.rows(np.asarray(query_ids, dtype=object), what="query_ids")
        c = self.ctx.rows(np.asarray(candidate_ids, dtype=object), what="candidate_ids")
        day = int(to_days(pd.Timestamp(as_of).normalize(), 1)[0])
        X = feature_matrix(self.ctx, kind=kind, query=q, candidates=c, day=day, model=model)
        raw = model.scores(X)
        return raw, _probabilities(model, raw), model.version

    def score_matrix(
        self,
        kind: str,
        query_id: str,
        *,
        filters: RankFilters | None = None,
        as_of: pd.Timestamp | None = None,
    ) -> npt.NDArray[np.float32]:
        """The feature matrix :meth:`rank` scores for this query (for benchmarks and checks)."""
        q = self._query_row(kind, query_id)
        as_of = pd.Timestamp(as_of).normalize() if as_of is not None else _today()
        day = int(to_days(as_of, 1)[0])
        rows, _ = self._candidates(
            kind, query_id, q, day=day, as_of=as_of, filters=filters, exposure=None
        )
        model = self.models.current()
        return feature_matrix(self.ctx, kind=kind, query=q, candidates=rows, day=day, model=model)

    # -- helpers ------------------------------------------------------------------------
    def _candidates(
        self,
        kind: str,
        query_id: str,
        q: int,
        *,
        day: int,
        as_of: pd.Timestamp,
        filters: RankFilters | None,
        exposure: ExposureCounter | None,
    ) -> tuple[IntArray, int]:
        """Generated candidates after filters, exclusions and the exposure cap."""
        rows = self.generator.rows_for(kind, q, n=self.caps[kind], as_of=as_of, query_id=query_id)
        n_generated = len(rows)
        rows = rows[self._filter_mask(rows, filters)]
        excluded = self._pairs.excluded(q, day=day, rules=self.rules)
        if len(excluded):
            rows = rows[~np.isin(rows, excluded)]
        if exposure is not None:
            rows = rows[exposure.allowed(self._uscc[rows])]
        return rows, n_generated

    def _reasons(
        self,
        kind: str,
        *,
        q: int,
        top_rows: IntArray,
        X: npt.NDArray[np.float32],
        model: ServingModel,
        day: int,
        boosts: FloatArray,
    ) -> list[list[Reason]]:
        years, met_in = self._meetings.last(
            np.full(len(top_rows), q, dtype=np.int64), top_rows, day
        )
        return self._explainer.reasons(
            kind=kind,
            query=q,
            candidates=top_rows,
            X=X,
            model=model,
            meeting_years=years,
            meeting_cities=met_in,
            boosts=boosts,
        )

    def _query_row(self, kind: str, query_id: str) -> int:
        try:
            loc = self.ctx.ids.get_loc(query_id)  # O(1); get_indexer([id]) costs ~1 ms
        except (KeyError, TypeError):
            loc = -1
        row = loc if isinstance(loc, int) else -1  # ids are unique, so an int when found
        is_park = row >= self.ctx.n_firms
        if kind == "investor":
            if row < 0 or not is_park:
                raise NotFoundError(f"park {query_id!r} does not exist")
            return row
        if row < 0 or is_park:
            raise NotFoundError(f"enterprise {query_id!r} does not exist")
        if not bool(self.ctx.live[row]):
            raise ValidationError(
                f"{query_id} is no longer a registered business (注销/吊销); "
                "lists are made for live firms only"
            )
        leading = bool(self.ctx.leading[row])
        if kind == "supplier" and not leading:
            raise ValidationError(
                f"supplier queries need a leading firm (龙头企业); {query_id} is not one"
            )
        if kind == "customer" and leading:
            raise ValidationError(
                f"customer queries need a supporting firm (配套企业); {query_id} is a leading firm"
            )
        return row

    def _query_name(self, row: int) -> str:
        if row >= self.ctx.n_firms:
            return str(self._park_names.get(str(self._uscc[row]), ""))
        return self._name.take(np.array([row]))[0]

    def _boosts(self, X: npt.NDArray[np.float32], model: ServingModel) -> FloatArray:
        b = self.rules.boosts
        col = model.column
        return np.asarray(
            b.official_pair * X[:, col["official_pair"]].astype(np.float64)
            + b.co_built_park * X[:, col["cobuilt_partner"]].astype(np.float64),
            dtype=np.float64,
        )

    def _filter_mask(self, rows: IntArray, f: RankFilters | None) -> BoolArray:
        mask = np.ones(len(rows), dtype=bool)
        if f is None or f.empty:
            return mask
        city = self._city[rows]
        if f.provinces:
            known = set(self._province_names.tolist())
            unknown = [p for p in f.provinces if p not in known]
            if unknown:
                raise ValidationError(
                    f"provinces must be among {sorted(known)}, got unknown {unknown}"
                )
            codes = self._city_province[: self._n_cities]
            wanted = np.unique(codes[np.isin(self._province_names, list(f.provinces))])
            mask &= np.isin(self._city_province[city], wanted)
        if f.city_codes:
            wanted = self._city_index.get_indexer(list(f.city_codes))
            if (wanted < 0).any():
                bad = [c for c, w in zip(f.city_codes, wanted, strict=True) if w < 0]
                raise ValidationError(f"city_codes must be known city adcodes, got {bad}")
            mask &= np.isin(city, wanted)
        if f.industry_prefix:
            mask &= np.char.startswith(self._industry_u[rows], f.industry_prefix)
        if f.chain_node:
            node = self.ctx.node_index.get_indexer(pd.Index([f.chain_node]))[0]
            if node < 0:
                raise ValidationError(
                    f"chain_node must be a chain node id such as "
                    f"{self.ctx.node_index[0]!r}, got {f.chain_node!r}"
                )
            word, bit = divmod(int(node), 64)
            mask &= (self.ctx.makes[rows, word] >> np.uint64(bit)) & np.uint64(1) == 1
        if f.size_band:
            lo, hi = SIZE_BANDS[f.size_band]
            emp = self._employees[rows]
            mask &= (emp >= lo) & (emp < hi)
        if f.min_srdi:
            mask &= self._srdi[rows] >= SRDI_RANK[f.min_srdi]
        if f.exclude_ids:
            mask &= ~np.isin(self._uscc[rows], list(f.exclude_ids))
        return mask


_DEMOTED = Reason(
    "rule",
    0.0,
    "同城或同产业链环节的企业已较多，为使名单更均衡，本企业位次略有下调",
    "Moved down a little: the list already holds several firms from this city or chain node",
)


def _today() -> pd.Timestamp:
    return pd.Timestamp.now().normalize()


def _probabilities(model: ServingModel, scores: FloatArray) -> FloatArray | None:
    if model.calibrator is None:
        return None
    p = np.asarray(model.calibrator.transform(scores), dtype=np.float64)
    return np.clip(np.nan_to_num(p, nan=0.0), 0.0, 1.0)


def _first_node(bits: npt.NDArray[np.uint64], n_nodes: int) -> IntArray:
    """The lowest chain node each firm makes (-1 none): the node used for diversity."""
    out = np.full(len(bits), -1, dtype=np.int64)
    if n_nodes == 0 or len(bits) == 0:
        return out
    as_bytes = np.unpackbits(bits.view(np.uint8), axis=1, bitorder="little")[:, :n_nodes]
    has = as_bytes.any(axis=1)
    out[has] = np.argmax(as_bytes[has], axis=1)
    return out
