"""The latent utility of a (query, candidate) pair in the synthetic world, and its funnel.

Utility model
-------------
For a pair shown on date ``t`` the noise-free utility is a weighted sum of terms that a
ranking model can compute from the import files (enterprises, parks, needs, outcomes) and the
reference data, plus the hidden per-firm factor, which no import file shows::

    u = 1.6 chain + 0.6 io + 0.8 exp(-d / 250 km) + 0.6 paired + 0.5 size_fit
        + 0.4 quality + 0.7 need + 0.8 tie + 0.5 (h_query + h_candidate)

The supplying side is the candidate for ``supplier`` queries (query = leading firm,
candidates = supporting firms) and for ``investor`` queries (query = Wanbei park, candidates
= 沪苏浙 firms); it is the query for ``customer`` queries (query = supporting firm, candidates
= leading firms).

* ``chain`` — chain complementarity of the supplying firm's chain node *s* and the buying
  node *b*: 1 if *s → b* is a chain edge (direct upstream supplier), 0.3 if both nodes are in
  the same chain (or the same node), else 0. For investor pairs the buying nodes are the
  chain nodes the park states a need for: 1 if the firm makes one of them, 0.6 if it makes a
  direct upstream node of one, 0.3 same chain; the maximum over the park's nodes.
* ``io`` — input-output complementarity ``min(a_sb, 0.2) / 0.2`` with ``a_sb`` the direct
  coefficient of the supplying firm's sector into the buyer's sector (national 42-sector
  table). Investor pairs: 1 if the firm's sector is one of the park's 主导产业 sectors, else the
  largest term into those sectors.
* ``d`` — haversine distance between the two cities' coordinates (parks: their city).
* ``paired`` — 1 if the two cities are an official pair (either direction; a park's partner
  city counts), else 0.
* ``size_fit`` — firm pairs: ``exp(-(x - 2)^2 / (2 * 1.5^2))`` with ``x`` = log revenue of the
  buyer minus log revenue of the supplier (a supplier about e^2 ≈ 7 times smaller fits best);
  investor pairs: ``1 / (1 + exp(-(log revenue - 9)))`` (able to invest from ~1 亿元).
* ``quality`` — of the candidate: 专精特新 national 1.0, provincial 0.6, plus 0.4 if 高新技术企业,
  capped at 1.
* ``need`` — the buying side's stated interest: 1 if the buyer (leading firm or park) stated
  a need (needs.csv) naming the supplying firm's chain node, created before ``t``.
* ``tie`` — 1 if the two (firm–firm in either role, or park–firm) reached intention or
  further on an earlier occasion, dated before ``t``.
* ``h`` — the hidden per-firm factor, standard normal (parks: 0); truth/firms.parquet only.

Funnel
------
The realised utility is ``u + e`` with ``e ~ N(0, 0.6²)``. Along the funnel every step is a
Bernoulli draw with probability ``sigmoid(b_k + (u + e - 1.3))`` (1.3 is about the
median utility of a shown pair):

===============  =====  ===============================================================
step             b_k    else
===============  =====  ===============================================================
contacted        -0.6   stop at recommended
accept meeting   -0.5   declined
meeting held     (0.75) constant rate of accepted meetings held; else stop at contacted
intention        -2.2   stop at meeting
signed           -1.8   stop at intention
landed           -2.9   stop at signed
===============  =====  ===============================================================

Dates: event pairs are recommended, contacted and met on the event day; monthly lists
(investor, customer) are contacted 1–20 days after the recommendation and meet 3–30 days after
contact. Intention follows the meeting by 3–40 days, signing the intention by 10–45, landing
the signing by 10–40: every stage lies 0–180 days after the recommendation and dates never
decrease along a pair's funnel. Stages after the data end date are not written (they are
kept, with the full-horizon grade, in truth/pairs.parquet).

Resulting rates (share of recommended pairs; 5,000-firm worlds, seeds 1–3): contacted ≈ 0.40,
meeting ≈ 0.165, intention ≈ 0.055, signed ≈ 0.03, landed ≈ 0.012; about 3/4 of accepted
meetings are held. Documented bands, checked by the tests: contacted 0.30–0.50, meeting
0.10–0.25, held / accepted 0.68–0.82, intention 0.03–0.09, signed 0.015–0.05, landed
0.005–0.025 and below signed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from features.schema import QUERY_KINDS
from training.errors import InvalidInputError
from training.world.model import FloatArray, IntArray, PairModel, haversine_km
from training.world.texts import TextModel


@dataclass(frozen=True)
class UtilityParams:
    """Weights of the latent utility and funnel constants (see the module docstring)."""

    w_chain: float = 1.6
    w_io: float = 0.6
    w_dist: float = 0.8
    dist_scale_km: float = 250.0
    w_paired: float = 0.6
    w_size: float = 0.5
    w_quality: float = 0.4
    w_need: float = 0.7
    w_tie: float = 0.8
    w_hidden: float = 0.5
    noise_sd: float = 0.6
    slope: float = 1.0
    centre: float = 1.3
    b_contacted: float = -0.6
    b_accept: float = -0.5
    held_rate: float = 0.75
    b_intention: float = -2.2
    b_signed: float = -1.8
    b_landed: float = -2.9
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for params.json."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> UtilityParams:
        """Parameters from :meth:`to_dict` output (unknown keys are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})


@dataclass(frozen=True)
class Ties:
    """Earliest date each pair key reached intention (sorted by key)."""

    keys: npt.NDArray[np.int64]
    first: npt.NDArray[np.datetime64]

    @staticmethod
    def build(keys: npt.NDArray[np.int64], dates: npt.NDArray[np.datetime64]) -> Ties:
        """Keep the earliest date per key."""
        order = np.lexsort((dates, keys))
        k, d = keys[order], dates[order]
        first = np.ones(len(k), np.bool_)
        first[1:] = k[1:] != k[:-1]
        return Ties(k[first], d[first].astype("datetime64[D]"))

    @staticmethod
    def empty() -> Ties:
        return Ties(np.zeros(0, np.int64), np.zeros(0, "datetime64[D]"))

    def flag(self, keys: npt.NDArray[np.int64], as_of: npt.NDArray[np.datetime64]) -> FloatArray:
        """1.0 where the key had a tie dated strictly before ``as_of``."""
        if len(self.keys) == 0:
            return np.zeros(len(keys))
        i = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        hit = (self.keys[i] == keys) & (self.first[i] < as_of.astype("datetime64[D]"))
        return np.asarray(hit, dtype=float)


@dataclass(frozen=True)
class Truth:
    """What the world knows and the import files hide.

    Attributes
    ----------
    firms : uscc, hidden.
    params : utility weights, funnel rates, seed, n_firms, start, end, variant and the
        variant's calibration (centre of the candidate view).
    pairs : every pair outcomes were drawn for: query_kind, query_id, candidate_id, date,
        event_id, utility, realised, view (the candidate's own utility in reciprocity
        variants, else NaN), position (rank in the shown list; the standard world shows no
        order and stores the list's storage order), tie, grade, grade_observed,
        intention_date.
    model : the arrays :func:`true_utility` reads.
    ties : the earliest intention date per pair key.
    texts : the text-derived arrays of a non-standard variant (None for ``standard``).
    """

    firms: pd.DataFrame
    params: dict[str, Any]
    pairs: pd.DataFrame
    model: PairModel
    ties: Ties
    texts: TextModel | None = None

    @property
    def variant(self) -> str:
        """Name of the world variant (worlds written before variants existed: standard)."""
        return str(self.params.get("variant", "standard"))


def pair_keys(model: PairModel, kind: str, q: IntArray, c: IntArray) -> npt.NDArray[np.int64]:
    """Key of the unordered entity pair (firm–firm, or park–firm for investor queries)."""
    nf = np.int64(max(len(model.firm_ids), 1))
    if kind == "investor":
        return nf * nf + q.astype(np.int64) * nf + c.astype(np.int64)
    lo, hi = np.minimum(q, c).astype(np.int64), np.maximum(q, c).astype(np.int64)
    return lo * nf + hi


def base_terms(
    model: PairModel,
    kind: str,
    q: IntArray,
    c: IntArray,
    as_of: npt.NDArray[np.datetime64],
) -> dict[str, FloatArray]:
    """Every utility term except ``tie``, for query rows ``q`` and candidate firm rows ``c``;
    ``need`` counts needs stated before ``as_of`` (one date per pair)."""
    m = model
    cc = m.f_city[c]
    if kind == "investor":
        qc = m.p_city[q]
        chain = m.p_chain[q, m.f_node[c]]
        io = m.p_io[q, m.f_sector[c]]
        paired = (m.p_partner[q] == cc) | (m.c_partner[qc] == cc) | (m.c_partner[cc] == qc)
        size = 1.0 / (1.0 + np.exp(-(m.f_logrev[c] - 9.0)))
        need_date = m.p_need[q, m.f_node[c]]
        hidden = m.f_hidden[c]
    else:
        sup_, buy = (c, q) if kind == "supplier" else (q, c)
        qc = m.f_city[q]
        chain = m.sup[m.f_node[sup_], m.f_node[buy]]
        io = m.io[m.f_sector[sup_], m.f_sector[buy]]
        paired = (m.c_partner[qc] == cc) | (m.c_partner[cc] == qc)
        x = m.f_logrev[buy] - m.f_logrev[sup_]
        size = np.exp(-((x - 2.0) ** 2) / (2 * 1.5**2))
        need_date = m.e_need[m.f_need_row[buy], m.f_node[sup_]]
        hidden = m.f_hidden[q] + m.f_hidden[c]
    dist = haversine_km(m.c_lon[qc], m.c_lat[qc], m.c_lon[cc], m.c_lat[cc])
    return {
        "chain": np.asarray(chain, float),
        "io": np.asarray(io, float),
        "dist_km": dist,
        "paired": paired.astype(float),
        "size_fit": np.asarray(size, float),
        "quality": m.f_quality[c],
        "need": (need_date < as_of.astype("datetime64[D]")).astype(float),
        "hidden": np.asarray(hidden, float),
    }


def combine(terms: dict[str, FloatArray], tie: FloatArray, p: UtilityParams) -> FloatArray:
    """The weighted sum of the terms (the noise-free utility)."""
    return np.asarray(
        p.w_chain * terms["chain"]
        + p.w_io * terms["io"]
        + p.w_dist * np.exp(-terms["dist_km"] / p.dist_scale_km)
        + p.w_paired * terms["paired"]
        + p.w_size * terms["size_fit"]
        + p.w_quality * terms["quality"]
        + p.w_need * terms["need"]
        + p.w_tie * tie
        + p.w_hidden * terms["hidden"],
        float,
    )


def rows_of(
    model: PairModel, kind: str, query_ids: Any, candidate_ids: Any
) -> tuple[IntArray, IntArray]:
    """Entity rows of ids; raises naming the first unknown id."""
    if kind not in QUERY_KINDS:
        raise InvalidInputError(f"kind must be one of {QUERY_KINDS}, got {kind!r}")
    qi = pd.Index(np.asarray(query_ids, dtype=str))
    ci = pd.Index(np.asarray(candidate_ids, dtype=str))
    if len(qi) != len(ci):
        raise InvalidInputError(
            f"query_ids and candidate_ids must have equal length, got {len(qi)} and {len(ci)}"
        )
    q = (model.park_ids if kind == "investor" else model.firm_ids).get_indexer(qi)
    c = model.firm_ids.get_indexer(ci)
    for ids, rows, what in ((qi, q, "query"), (ci, c, "candidate")):
        if (rows < 0).any():
            raise InvalidInputError(
                f"unknown {what} id {ids[np.flatnonzero(rows < 0)[0]]!r} for kind {kind!r}"
            )
    return q.astype(np.int64), c.astype(np.int64)


def true_utility(
    truth: Truth,
    kind: str,
    query_ids: Any,
    candidate_ids: Any,
    *,
    as_of: date | npt.ArrayLike | None = None,
) -> FloatArray:
    """The noise-free latent utility of any (query, candidate) pairs.

    Parameters
    ----------
    truth : from :func:`training.world.generate_world` or :func:`training.world.load_truth`.
    kind : 'supplier', 'investor' or 'customer'.
    query_ids : uscc of leading firms (supplier), park_id (investor) or uscc of supporting
        firms (customer).
    candidate_ids : uscc of the candidates, same length.
    as_of : date (or one date per pair) of the pair: past ties and needs count if dated
        strictly before it; ``None`` counts every tie and need the world holds.

    The utility is that of the world's variant (``truth.params['variant']``, see
    :mod:`training.world.variants`); without one, the standard utility documented here.

    Returns
    -------
    ndarray of float
        One utility per pair, equal to ``truth.pairs.utility`` for the pairs drawn.
    """
    q, c = rows_of(truth.model, kind, query_ids, candidate_ids)
    when = (
        np.full(len(q), np.datetime64("9999-12-31"), "datetime64[D]")
        if as_of is None
        else np.broadcast_to(np.asarray(as_of, dtype="datetime64[D]"), (len(q),))
    )
    return utility_rows(truth, kind, q, c, when)


def utility_rows(
    truth: Truth,
    kind: str,
    q: IntArray,
    c: IntArray,
    when: npt.NDArray[np.datetime64],
) -> FloatArray:
    """:func:`true_utility` on entity rows (no id lookup), one date per pair."""
    tie = truth.ties.flag(pair_keys(truth.model, kind, q, c), when)
    if truth.variant != "standard":
        from training.world.forms import VariantWorld
        from training.world.variants import get_variant

        if truth.texts is None:
            raise InvalidInputError(f"truth of variant {truth.variant!r} has no text model")
        vw = VariantWorld(truth.model, truth.texts, get_variant(truth.variant))
        return vw.utility(kind, q, c, when, tie)
    terms = base_terms(truth.model, kind, q, c, when)
    params = UtilityParams.from_dict(truth.params["utility"])
    return combine(terms, tie, params)
