"""Draw the funnel (recommended → … → landed, or declined) of every shown pair.

The rules and rates are documented in :mod:`training.world.utility` (standard world) and
:mod:`training.world.variants` (the variants' utilities, reciprocity, position bias and
recording lag, passed in as :class:`VariantHooks`). Pairs are processed
date by date, because a pair that reached intention becomes a *past tie* that raises the
utility of later occasions between the same two parties.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd

from training.world.model import FloatArray, IntArray, PairModel
from training.world.utility import Ties, UtilityParams, base_terms, combine, pair_keys

PairFn = Callable[[str, IntArray, IntArray, npt.NDArray[np.datetime64]], FloatArray]


@dataclass(frozen=True)
class VariantHooks:
    """How a variant world changes the funnel (None of them for the standard world).

    Attributes
    ----------
    base : noise-free utility without the tie term, for (kind, q, c, dates).
    w_tie : weight of the past-tie term.
    view : the candidate's own view for the "accept meeting" step (None: the query's ``u``).
    view_centre, view_sd : centre and noise σ of the candidate's view.
    position_bias : γ of the contact logit ``-γ ln(position)``.
    lag_mean_days : mean of the per-occasion recording lag (0: none).
    rng : the variant's own random source (extra draws, so the shared draws stay aligned).
    """

    base: PairFn
    w_tie: float
    view: PairFn | None
    view_centre: float
    view_sd: float
    position_bias: float
    lag_mean_days: float
    rng: np.random.Generator


STAGE_ORDER = ("recommended", "contacted", "declined", "meeting", "intention", "signed", "landed")


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), float)


def draw_funnel(
    model: PairModel,
    shown: pd.DataFrame,
    params: UtilityParams,
    rng: np.random.Generator,
    *,
    end: date,
    on_batch: Callable[[], None] | None = None,
    hooks: VariantHooks | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, Ties]:
    """Outcome rows and the truth of every pair.

    Parameters
    ----------
    model : the pair model.
    shown : from :func:`training.world.schedule.shown_pairs` (sorted by date).
    params : utility weights and funnel constants.
    rng : the source of randomness.
    end : data end date; later stages are left out of the outcome rows.
    on_batch : called after each date's batch (progress).
    hooks : a variant's utility, reciprocity, position bias and recording lag (None: the
        standard world, whose draws are exactly those of today).

    Returns
    -------
    outcomes : DataFrame in the import layout (ids as strings, dates as YYYY-MM-DD).
    pairs : truth per pair (query_kind, query_id, candidate_id, date, event_id, utility,
        realised, view, position, tie, grade, grade_observed, intention_date).
    ties : earliest intention date per pair key.
    """
    n = len(shown)
    kind = shown["kind"].to_numpy(dtype=str)
    q = shown["q"].to_numpy(np.int64)
    c = shown["c"].to_numpy(np.int64)
    day = shown["date"].to_numpy().astype("datetime64[D]")
    on_event = shown["event_id"].astype(str).to_numpy() != ""

    noise = rng.normal(0.0, params.noise_sd, n)
    U = rng.random((n, 6))
    G = rng.random((n, 5))
    amount_z = rng.normal(0.0, 0.8, n)
    land_share = rng.uniform(0.3, 1.0, n)
    position = shown["position"].to_numpy(np.int64) if "position" in shown else np.ones(n, np.int64)
    if hooks is not None:
        noise_v = hooks.rng.normal(0.0, hooks.view_sd, n)
        lag = (
            np.floor(hooks.rng.exponential(hooks.lag_mean_days, n)).astype(np.int64)
            if hooks.lag_mean_days > 0
            else np.zeros(n, np.int64)
        )
        # centred on the mean log position, so contact rates stay those of the standard world
        log_pos = np.log(np.maximum(position, 1))
        pos_shift = -hooks.position_bias * (log_pos - (log_pos.mean() if n else 0.0))
        w_tie = hooks.w_tie
    else:
        noise_v, lag, pos_shift, w_tie = (
            np.zeros(n),
            np.zeros(n, np.int64),
            np.zeros(n),
            params.w_tie,
        )

    base = np.zeros(n)
    view = np.full(n, np.nan)
    tie_w = np.zeros(n)
    keys = np.zeros(n, np.int64)
    size = np.zeros(n)
    for k in np.unique(kind):
        i = np.flatnonzero(kind == k)
        if hooks is None:
            terms = base_terms(model, str(k), q[i], c[i], day[i])
            base[i] = combine(terms, np.zeros(len(i)), params)
        else:
            base[i] = hooks.base(str(k), q[i], c[i], day[i])
            if hooks.view is not None:
                view[i] = hooks.view(str(k), q[i], c[i], day[i])
        keys[i] = pair_keys(model, str(k), q[i], c[i])
        sup_rows = q[i] if k == "customer" else c[i]
        size[i] = model.f_logrev[sup_rows]

    # offsets in days from the recommendation
    t_contact = np.where(on_event, 0, 1 + (G[:, 0] * 20).astype(np.int64))
    t_meet = np.where(on_event, 0, t_contact + 3 + (G[:, 1] * 28).astype(np.int64))
    t_decl = np.where(on_event, 0, t_contact + (G[:, 1] * 11).astype(np.int64))
    t_int = t_meet + 3 + (G[:, 2] * 38).astype(np.int64)
    t_sign = t_int + 10 + (G[:, 3] * 36).astype(np.int64)
    t_land = t_sign + 10 + (G[:, 4] * 31).astype(np.int64)

    utility = np.zeros(n)
    grade = np.zeros(n, np.int64)
    contacted = np.zeros(n, np.bool_)
    declined = np.zeros(n, np.bool_)
    ties = Ties.empty()
    tie_keys: list[npt.NDArray[np.int64]] = []
    tie_dates: list[npt.NDArray[np.datetime64]] = []
    bounds = np.flatnonzero(np.r_[True, day[1:] != day[:-1], True])
    for a, b in itertools.pairwise(bounds):
        sl = slice(a, b)
        tie_w[sl] = ties.flag(keys[sl], day[sl])
        utility[sl] = base[sl] + w_tie * tie_w[sl]
        z = params.slope * (utility[sl] + noise[sl] - params.centre)
        if hooks is not None and hooks.view is not None:
            za = params.slope * (view[sl] + noise_v[sl] - hooks.view_centre)
        else:
            za = z
        u = U[sl]
        con = u[:, 0] < _sigmoid(params.b_contacted + z + pos_shift[sl])
        acc = con & (u[:, 1] < _sigmoid(params.b_accept + za))
        held = acc & (u[:, 2] < params.held_rate)
        inten = held & (u[:, 3] < _sigmoid(params.b_intention + z))
        signed = inten & (u[:, 4] < _sigmoid(params.b_signed + z))
        landed = signed & (u[:, 5] < _sigmoid(params.b_landed + z))
        contacted[sl], declined[sl] = con, con & ~acc
        grade[sl] = held.astype(np.int64) + inten + signed + landed
        if inten.any():
            tie_keys.append(keys[sl][inten])
            tie_dates.append(day[sl][inten] + t_int[sl][inten].astype("timedelta64[D]"))
            ties = Ties.build(np.concatenate(tie_keys), np.concatenate(tie_dates))
        if on_batch is not None:
            on_batch()

    is_inv = kind == "investor"
    base_amount = np.where(
        is_inv, np.log(3000.0) + 0.4 * (size - 9.0), np.log(200.0) + 0.4 * (size - 7.0)
    )
    amount = np.round(np.exp(base_amount + amount_z), 1)
    stage_rows = [
        ("recommended", np.ones(n, np.bool_), np.zeros(n, np.int64), np.nan),
        ("contacted", contacted, t_contact, np.nan),
        ("declined", declined, t_decl, np.nan),
        ("meeting", grade >= 1, t_meet, np.nan),
        ("intention", grade >= 2, t_int, np.nan),
        ("signed", grade >= 3, t_sign, amount),
        ("landed", grade >= 4, t_land, np.round(amount * land_share, 1)),
    ]
    end_d = np.datetime64(end, "D")
    q_ids = np.empty(n, dtype=object)
    q_ids[is_inv] = model.park_ids.to_numpy(dtype=str)[q[is_inv]]
    q_ids[~is_inv] = model.firm_ids.to_numpy(dtype=str)[q[~is_inv]]
    q_ids = q_ids.astype(str)
    c_ids = model.firm_ids.to_numpy(dtype=str)[c]
    ev = shown["event_id"].astype(str).to_numpy()
    parts = []
    grade_obs = np.zeros(n, np.int64)
    for stage, mask, offset, amt in stage_rows:
        i = np.flatnonzero(mask)
        when = day[i] + offset[i].astype("timedelta64[D]")
        seen = (
            when <= end_d
            if stage == "recommended"
            else when + lag[i].astype("timedelta64[D]") <= end_d
        )
        i, when = i[seen], when[seen]
        if stage in ("meeting", "intention", "signed", "landed"):
            grade_obs[i] = {"meeting": 1, "intention": 2, "signed": 3, "landed": 4}[stage]
        parts.append(
            pd.DataFrame(
                {
                    "query_kind": kind[i],
                    "query_id": q_ids[i],
                    "candidate_id": c_ids[i],
                    "stage": stage,
                    "date": when,
                    "event_id": ev[i],
                    "amount_wan": amt[i] if isinstance(amt, np.ndarray) else np.nan,
                    "_pair": i,
                    "_order": STAGE_ORDER.index(stage),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["_pair", "date", "_order"], kind="stable")
    outcomes = out.drop(columns=["_pair", "_order"]).reset_index(drop=True)
    outcomes["date"] = pd.to_datetime(outcomes["date"]).dt.strftime("%Y-%m-%d")

    intention_date = np.where(
        grade >= 2, day + t_int.astype("timedelta64[D]"), np.datetime64("NaT", "D")
    )
    truth_pairs = pd.DataFrame(
        {
            "query_kind": kind,
            "query_id": q_ids,
            "candidate_id": c_ids,
            "date": day.astype("datetime64[s]"),
            "event_id": ev,
            "utility": utility,
            "realised": utility + noise,
            "view": view,
            "position": position,
            "tie": tie_w,
            "grade": grade,
            "grade_observed": grade_obs,
            "intention_date": intention_date.astype("datetime64[s]"),
        }
    )
    return outcomes, truth_pairs, ties
