"""Which pairs meet: a maximum-value b-matching with caps, soft minimums and city quotas.

Model (x_e in {0, 1} for every allowed pair e = (leading i, supporting j))::

    max  sum_e w_e x_e - P * (sum_f s_f + sum_k t_k)
    s.t. sum_{e at f} x_e <= cap_f                  every firm f
         sum_e x_e <= n_slots * n_tables            session capacity
         sum_{e at f} x_e + s_f >= min_f            firms with a minimum (s_f >= 0, soft)
         sum_{e in Q_k} x_e (+ t_k) >= q_k          city quotas (hard; soft t_k if infeasible)
         x_e = 1                                    "must" pairs that fit the caps

Without quotas the constraint matrix is totally unimodular (the cap rows of one side plus
the capacity row form a laminar family, the other side's rows another; the minimum rows
repeat cap rows and slack columns are unit columns), so the LP optimum at a vertex is
integral: it is solved with ``linprog`` (HiGHS dual simplex) and integrality is checked,
falling back to ``milp`` if it ever fails. Quotas break that structure, so then ``milp``
(HiGHS branch and bound) solves it and the LP relaxation gives the upper bound.

P = (F + 1) * max(w) + 1 exceeds the value of any alternating path, so minimums (and soft
quotas) are met before value is maximised, whenever they can be.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from recommender.planner.model import BoolArray, FloatArray, Instance, IntArray

__all__ = [
    "MatchResult",
    "evaluate",
    "forced_must",
    "free_bound",
    "greedy_matching",
    "penalty",
    "plan_bound",
    "quota_masks",
    "solve_matching",
]

log = logging.getLogger(__name__)
_INT_TOL = 1e-6


@dataclass
class MatchResult:
    """The chosen pairs and the certificate.

    Attributes
    ----------
    chosen : mask over the instance's edges.
    objective : penalised objective of ``chosen`` (= value when every minimum and quota is met).
    lp_bound : optimum of the LP relaxation (an upper bound on ``objective``).
    gap : (lp_bound - objective) / max(|lp_bound|, 1e-9).
    solver : what solved it.
    quotas_hard : True if the quotas were hard constraints, False if relaxed to soft.
    forced : must pairs fixed to 1.
    seconds : wall time.
    """

    chosen: BoolArray
    objective: float
    lp_bound: float
    gap: float
    solver: str
    quotas_hard: bool
    forced: BoolArray
    seconds: float
    notes: list[str] = field(default_factory=list)


def penalty(inst: Instance) -> float:
    """Penalty per unmet minimum or quota unit (larger than any alternating path's value)."""
    wmax = float(inst.value.max()) if inst.n_edges else 1.0
    return (inst.n_firms + 1) * max(wmax, 1e-6) + 1.0


def quota_masks(inst: Instance) -> list[BoolArray]:
    """For each quota, the edges joining a firm of its Wanbei city with one of its partner."""
    a = inst.city[inst.lead]
    b = inst.city[inst.supp]
    out = []
    for q in inst.settings.quotas:
        w, p = q.wanbei_city_code, q.partner_city_code
        out.append(((a == w) & (b == p)) | ((a == p) & (b == w)))
    return out


def degrees(inst: Instance, chosen: BoolArray) -> IntArray:
    """Meetings per firm for a chosen edge mask."""
    deg = np.bincount(inst.lead[chosen], minlength=inst.n_firms)
    deg += np.bincount(inst.supp[chosen], minlength=inst.n_firms)
    return deg.astype(np.int64)


def evaluate(inst: Instance, chosen: BoolArray) -> tuple[float, int, int, float]:
    """(value, unmet minimum units, quota shortfall units, penalised objective)."""
    value = float(inst.value[chosen].sum())
    unmet = int(np.maximum(inst.min_m - degrees(inst, chosen), 0).sum())
    short = sum(
        max(q.min_meetings - int(m[chosen].sum()), 0)
        for q, m in zip(inst.settings.quotas, quota_masks(inst), strict=True)
    )
    return value, unmet, short, value - penalty(inst) * (unmet + short)


def forced_must(inst: Instance) -> BoolArray:
    """Must-must pairs that fit the caps and the session capacity, highest value first."""
    forced = np.zeros(inst.n_edges, dtype=bool)
    left = inst.cap.copy()
    room = inst.spec.capacity
    for e in np.flatnonzero(inst.must)[np.argsort(-inst.value[inst.must], kind="stable")]:
        i, j = inst.lead[e], inst.supp[e]
        if left[i] > 0 and left[j] > 0 and room > 0:
            forced[e] = True
            left[i] -= 1
            left[j] -= 1
            room -= 1
    return forced


def greedy_matching(inst: Instance) -> BoolArray:
    """Baseline: must pairs, then highest value first, while both caps and capacity allow."""
    chosen = np.zeros(inst.n_edges, dtype=bool)
    left = inst.cap.copy()
    room = inst.spec.capacity
    order = np.lexsort((-inst.value, ~inst.must))
    for e in order:
        if room == 0:
            break
        i, j = inst.lead[e], inst.supp[e]
        if left[i] > 0 and left[j] > 0:
            chosen[e] = True
            left[i] -= 1
            left[j] -= 1
            room -= 1
    return chosen


@dataclass
class _Model:
    c: FloatArray
    A: sp.csr_matrix
    b: FloatArray
    lb: FloatArray
    ub: FloatArray
    n_x: int


def _build(inst: Instance, forced: BoolArray, *, quotas: str) -> _Model:
    m, F = inst.n_edges, inst.n_firms
    cols = np.arange(m)
    inc = sp.csr_matrix(
        (np.ones(2 * m), (np.concatenate([inst.lead, inst.supp]), np.concatenate([cols, cols]))),
        shape=(F, m),
    )
    P = penalty(inst)
    with_min = np.flatnonzero(inst.min_m > 0)
    k = len(with_min)
    qm = quota_masks(inst) if quotas != "none" else []
    nq = len(qm) if quotas == "soft" else 0
    n = m + k + nq
    blocks = [
        sp.hstack([inc, sp.csr_matrix((F, k + nq))]),
        sp.hstack([sp.csr_matrix(np.ones((1, m))), sp.csr_matrix((1, k + nq))]),
        # minimum rows as <=: -sum x - s <= -min
        sp.hstack([-inc[with_min], -sp.identity(k), sp.csr_matrix((k, nq))]),
    ]
    rhs = [inst.cap.astype(float), [float(inst.spec.capacity)], -inst.min_m[with_min].astype(float)]
    for r, mask in enumerate(qm):
        row = sp.lil_matrix((1, n))
        row[0, np.flatnonzero(mask)] = -1.0
        if quotas == "soft":
            row[0, m + k + r] = -1.0
        blocks.append(row.tocsr())
        rhs.append([-float(inst.settings.quotas[r].min_meetings)])
    A = sp.vstack(blocks).tocsr()
    c = np.concatenate([-inst.value, np.full(k + nq, P)])
    lb = np.concatenate([forced.astype(float), np.zeros(k + nq)])
    ub = np.concatenate(
        [
            np.ones(m),
            inst.min_m[with_min].astype(float),
            [float(q.min_meetings) for q in inst.settings.quotas] if nq else [],
        ]
    )
    return _Model(c, A, np.concatenate([np.asarray(v, float) for v in rhs]), lb, ub, m)


def _lp(model: _Model) -> tuple[FloatArray | None, float]:
    res = linprog(
        model.c,
        A_ub=model.A,
        b_ub=model.b,
        bounds=np.column_stack([model.lb, model.ub]),
        method="highs-ds",
    )
    if res.status != 0:
        return None, float("nan")
    return np.asarray(res.x, dtype=np.float64), -float(res.fun)


def _milp(model: _Model, inst: Instance) -> FloatArray | None:
    integrality = np.zeros(len(model.c))
    integrality[: model.n_x] = 1
    res = milp(
        model.c,
        constraints=LinearConstraint(model.A, -np.inf, model.b),
        integrality=integrality,
        bounds=Bounds(model.lb, model.ub),
        options={
            "time_limit": inst.settings.time_limit,
            "mip_rel_gap": inst.settings.mip_rel_gap,
        },
    )
    if res.x is None:
        return None
    return np.asarray(res.x, dtype=np.float64)


def free_bound(inst: Instance) -> float:
    """LP bound over every plan, with no must pair fixed (and quotas soft, as penalties).

    Every plan within the caps and the session capacity is a feasible point of this LP with
    the objective :func:`evaluate` gives it (slacks = unmet minimum and quota units), so no
    plan can beat it, whatever the scheduler had to drop or fill in.
    """
    return _region_bound(inst, np.zeros(inst.n_edges, dtype=bool), quotas="soft")


def _region_bound(inst: Instance, forced: BoolArray, *, quotas: str) -> float:
    if inst.n_edges == 0:
        return evaluate(inst, np.zeros(0, dtype=bool))[3]
    if not inst.settings.quotas:
        quotas = "none"
    _, bound = _lp(_build(inst, forced, quotas=quotas))
    return float(bound)


def plan_bound(inst: Instance, chosen: BoolArray, match: MatchResult) -> float:
    """An LP bound that holds for the final plan ``chosen`` (its objective cannot exceed it).

    ``match.lp_bound`` is the LP optimum over the matching's region: the forced mutual-must
    pairs fixed to 1 and, when ``match.quotas_hard``, every city quota met. :func:`evaluate`
    charges a quota shortfall the same penalty as an unmet minimum, so a plan outside that
    region (the scheduler dropped a forced pair or a quota meeting, and the fill put
    other pairs in its place) can score above ``match.lp_bound``. Its bound is then the LP
    over the smallest such region that still contains it: the forced pairs stay fixed only
    if all are in the plan, the quotas stay hard only if the plan meets them (otherwise
    they are soft penalties, exactly as :func:`evaluate` counts them). NaN stays NaN (the
    greedy baseline has no bound of its own).
    """
    if np.isnan(match.lp_bound):
        return match.lp_bound
    keep_forced = not bool((match.forced & ~chosen).any())
    met = evaluate(inst, chosen)[2] == 0
    if keep_forced and (met or not match.quotas_hard):
        return match.lp_bound
    forced = match.forced if keep_forced else np.zeros(inst.n_edges, dtype=bool)
    bound = _region_bound(inst, forced, quotas="hard" if match.quotas_hard and met else "soft")
    if np.isnan(bound):  # cannot happen (the plan is a feasible point); be safe
        bound = free_bound(inst)
    # the region contains the matching's, so bound >= match.lp_bound up to LP tolerance
    return max(bound, match.lp_bound)


def solve_matching(inst: Instance) -> MatchResult:
    """Choose the pairs that meet (see the module docstring for the model).

    Returns
    -------
    MatchResult
        Chosen pairs, penalised objective, LP bound, gap and the solver used.
    """
    t0 = time.perf_counter()
    forced = forced_must(inst)
    notes: list[str] = []
    if inst.n_edges == 0:
        _, _, short, obj = evaluate(inst, forced)
        if short:
            notes.append("城市配额无法全部满足，已改为软约束（未满足部分见配额状态）")
        return MatchResult(forced, obj, obj, 0.0, "none (no pairs)", not short, forced, 0.0, notes)
    has_quotas = bool(inst.settings.quotas)
    quotas_hard = True
    x: FloatArray | None = None
    if not has_quotas:
        model = _build(inst, forced, quotas="none")
        x, bound = _lp(model)
        solver = "linprog/HiGHS dual simplex (totally unimodular, integral LP)"
        if x is not None and np.abs(x[: model.n_x] - np.round(x[: model.n_x])).max() > _INT_TOL:
            log.warning("LP vertex not integral; solving as MILP")
            x = _milp(model, inst)
            solver = "milp/HiGHS (LP vertex was fractional)"
    else:
        model = _build(inst, forced, quotas="hard")
        x, bound = _lp(model)
        if x is not None:
            x = _milp(model, inst)
        if x is None:
            quotas_hard = False
            notes.append("城市配额无法全部满足，已改为软约束（未满足部分见配额状态）")
            model = _build(inst, forced, quotas="soft")
            x, bound = _lp(model)
            x = _milp(model, inst) if x is not None else None
        solver = "milp/HiGHS branch and bound (city quotas), LP bound from linprog/HiGHS"
    if x is None:  # only if even the soft model fails: should not happen
        raise RuntimeError("the matching model has no solution; expected a feasible soft model")
    chosen = x[: inst.n_edges] > 0.5
    _, _, _, obj = evaluate(inst, chosen)
    gap = max(bound - obj, 0.0) / max(abs(bound), 1e-9)
    return MatchResult(
        chosen, obj, bound, gap, solver, quotas_hard, forced, time.perf_counter() - t0, notes
    )
