"""Expected funnel grade of any pair: the true grade benchmarks score lists against.

The funnel (:mod:`training.world.utility`, :mod:`training.world.variants`) reaches grade
``g`` = meeting held (1) + intention + signed + landed. With ``z = slope (u + e - centre)``
and ``e ~ N(0, σ²)``::

    E[g] = E_e[ σ(b_c + z) σ(b_a + z) · held · (1 + σ(b_i + z) (1 + σ(b_s + z) (1 + σ(b_l + z)))) ]

For reciprocity variants the "accept meeting" step uses the candidate's own view with its
own independent noise, so the expectation factorises::

    E[g] = held · E_e'[σ(b_a + slope (v + e' - centre_v))]
                · E_e[σ(b_c + z) (1 + σ(b_i + z) (1 + σ(b_s + z) (1 + σ(b_l + z))))]

The expectations over the noise are Gauss–Hermite quadratures (64 nodes), tabulated once
per parameter set on a grid of ``u - centre`` and read by linear interpolation, so a grade
costs about as much as the utility. The expected grade is that of a pair shown at the
reference list position (the position bias of the variant is centred there: see
:mod:`training.world.variants`), over the full 180-day horizon (no censoring, no
recording lag).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

from training.errors import InvalidInputError
from training.world.model import FloatArray
from training.world.utility import (
    Truth,
    UtilityParams,
    pair_keys,
    rows_of,
    true_utility,
    utility_rows,
)

GRID = np.linspace(-25.0, 25.0, 5001)
N_NODES = 64


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), float)


@lru_cache(maxsize=64)
def _tables(key: tuple[float, ...]) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Expected grade on GRID: one-sided (accept with u), query part and accept part.

    ``key`` = (slope, σ, σ_v, b_contacted, b_accept, held rate, b_intention, b_signed,
    b_landed).
    """
    slope, sd, view_sd, b_c, b_a, held, b_i, b_s, b_l = key
    x, w = np.polynomial.hermite_e.hermegauss(N_NODES)
    w = w / w.sum()
    z = slope * (GRID[:, None] + sd * x[None, :])
    deep = 1.0 + _sigmoid(b_i + z) * (1.0 + _sigmoid(b_s + z) * (1.0 + _sigmoid(b_l + z)))
    contact = _sigmoid(b_c + z)
    one_sided = (contact * _sigmoid(b_a + z) * held * deep) @ w
    query_part = (contact * deep) @ w
    za = slope * (GRID[:, None] + view_sd * x[None, :])
    accept_part = _sigmoid(b_a + za) @ w
    return one_sided, query_part, accept_part


def _interp(t: FloatArray, table: FloatArray) -> FloatArray:
    """Linear interpolation on the uniform GRID (clamped at its ends)."""
    step = GRID[1] - GRID[0]
    x = np.clip((np.asarray(t, float) - GRID[0]) / step, 0.0, len(GRID) - 1.000001)
    i = x.astype(np.int64)
    f = x - i
    return np.asarray(table[i] * (1.0 - f) + table[i + 1] * f, float)


_IDS: dict[int, tuple[object, npt.NDArray[np.str_]]] = {}


def _firm_ids(truth: Truth) -> npt.NDArray[np.str_]:
    """The firm ids as a str array, converted once per model."""
    hit = _IDS.get(id(truth.model))
    if hit is None or hit[0] is not truth.model:
        if len(_IDS) > 16:
            _IDS.clear()
        hit = (truth.model, truth.model.firm_ids.to_numpy(dtype=str))
        _IDS[id(truth.model)] = hit
    return hit[1]


def grade_of_utility(
    params: UtilityParams,
    u: FloatArray,
    *,
    view: FloatArray | None = None,
    view_centre: float = 0.0,
    view_sd: float = 0.6,
) -> FloatArray:
    """Expected funnel grade for noise-free utilities ``u`` (and candidate views ``view``)."""
    one, query_part, accept = _tables(
        (
            float(params.slope),
            float(params.noise_sd),
            float(view_sd),
            float(params.b_contacted),
            float(params.b_accept),
            float(params.held_rate),
            float(params.b_intention),
            float(params.b_signed),
            float(params.b_landed),
        )
    )
    t = np.asarray(u, float) - params.centre
    if view is None:
        return _interp(t, one)
    tv = np.asarray(view, float) - view_centre
    return params.held_rate * _interp(tv, accept) * _interp(t, query_part)


def _when(n: int, as_of: date | npt.ArrayLike | None) -> npt.NDArray[np.datetime64]:
    if as_of is None:
        return np.full(n, np.datetime64("9999-12-31"), "datetime64[D]")
    return np.broadcast_to(np.asarray(as_of, dtype="datetime64[D]"), (n,))


def _views(
    truth: Truth, kind: str, q: npt.NDArray[np.int64], c: npt.NDArray[np.int64], when: Any
) -> tuple[FloatArray | None, float, float]:
    """The candidate's views (None unless the variant is reciprocal), centre and σ."""
    if truth.variant == "standard":
        return None, 0.0, 0.6
    from training.world.forms import VariantWorld
    from training.world.variants import get_variant

    v = get_variant(truth.variant)
    if v.view is None or truth.texts is None:
        return None, 0.0, v.view_sd
    vw = VariantWorld(truth.model, truth.texts, v)
    centre = float(truth.params.get("calibration", {}).get("view_centre", 0.0))
    return vw.view(kind, q, c, when), centre, v.view_sd


def expected_grade(
    truth: Truth,
    kind: str,
    query_ids: Any,
    candidate_ids: Any,
    *,
    as_of: date | npt.ArrayLike | None = None,
) -> FloatArray:
    """The expected funnel grade (0..4) of any (query, candidate) pairs, noise integrated.

    Parameters
    ----------
    truth : from :func:`training.world.generate_world` or :func:`training.world.load_truth`.
    kind : 'supplier', 'investor' or 'customer'.
    query_ids, candidate_ids : as for :func:`training.world.true_utility`.
    as_of : date (or one per pair) for past ties and needs; None: everything the world holds.

    Returns
    -------
    ndarray of float
        One expected grade per pair, in [0, 4].
    """
    u = true_utility(truth, kind, query_ids, candidate_ids, as_of=as_of)
    params = UtilityParams.from_dict(truth.params["utility"])
    view, centre, sd = (None, 0.0, 0.6)
    if truth.variant != "standard":
        q, c = rows_of(truth.model, kind, query_ids, candidate_ids)
        view, centre, sd = _views(truth, kind, q, c, _when(len(q), as_of))
    return grade_of_utility(params, u, view=view, view_centre=centre, view_sd=sd)


def eligible_candidates(truth: Truth, kind: str, query_row: int) -> npt.NDArray[np.int64]:
    """Firm rows the world could show a query (as :mod:`training.world.schedule`): supplier
    → non-leading firms, customer → leading firms, investor → firms of 沪苏浙; never the
    query itself."""
    m = truth.model
    if kind == "supplier":
        pool = ~m.f_leading
    elif kind == "customer":
        pool = m.f_leading.copy()
    elif kind == "investor":
        return np.flatnonzero(m.f_helping_side).astype(np.int64)
    else:
        raise InvalidInputError(f"kind must be one of supplier, investor, customer, got {kind!r}")
    pool = pool.copy()
    pool[query_row] = False
    return np.flatnonzero(pool).astype(np.int64)


def true_grades_for_query(
    truth: Truth, kind: str, query_id: str, as_of: date | Any
) -> tuple[npt.NDArray[np.str_], FloatArray]:
    """Expected grade of every eligible candidate of one query.

    Parameters
    ----------
    truth : the world's truth.
    kind : 'supplier', 'investor' or 'customer'.
    query_id : uscc (supplier, customer) or park_id (investor).
    as_of : the date of the list (ties and needs before it count).

    Returns
    -------
    candidate_ids : ndarray of str, every eligible firm (see :func:`eligible_candidates`).
    expected_grade : ndarray of float, same order.
    """
    q, _ = rows_of(truth.model, kind, [query_id], [truth.model.firm_ids[0]])
    c = eligible_candidates(truth, kind, int(q[0]))
    ids = _firm_ids(truth)[c]
    qi = np.full(len(c), q[0], np.int64)
    when = _when(len(c), as_of)
    params = UtilityParams.from_dict(truth.params["utility"])
    if truth.variant == "standard" or truth.texts is None:
        u = utility_rows(truth, kind, qi, c, when)
        return ids, grade_of_utility(params, u)
    from training.world.forms import VariantWorld
    from training.world.variants import get_variant

    v = get_variant(truth.variant)
    tie = truth.ties.flag(pair_keys(truth.model, kind, qi, c), when)
    u, view = VariantWorld(truth.model, truth.texts, v).utility_and_view(kind, qi, c, when, tie)
    centre = float(truth.params.get("calibration", {}).get("view_centre", 0.0))
    grade = grade_of_utility(params, u, view=view, view_centre=centre, view_sd=v.view_sd)
    return ids, grade


__all__ = [
    "eligible_candidates",
    "expected_grade",
    "grade_of_utility",
    "true_grades_for_query",
]
