"""The utility terms of the variant worlds and their functional forms (documented in
:mod:`training.world.variants`): the query side's utility ``u`` and, for reciprocity
variants, the candidate side's own view ``v``. Every function is a numpy expression over
pair rows; nothing loops over pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from training.world.model import FloatArray, IntArray, PairModel
from training.world.texts import TextModel
from training.world.utility import base_terms

if TYPE_CHECKING:
    from training.world.variants import WorldVariant


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), float)


def size_triangle(r: FloatArray, peak_ratio: float, left: float, right: float) -> FloatArray:
    """Asymmetric triangle in ``r`` = log(supplier revenue / buyer revenue): 1 at
    ``log(peak_ratio)``, 0 at ``left`` log units below it and ``right`` above it."""
    p = np.log(peak_ratio)
    below = 1.0 - (p - r) / left
    above = 1.0 - (r - p) / right
    return np.asarray(np.clip(np.where(r < p, below, above), 0.0, 1.0), float)


@dataclass(frozen=True)
class VariantWorld:
    """A variant with the arrays its utility reads."""

    model: PairModel
    texts: TextModel
    variant: WorldVariant

    def terms(
        self, kind: str, q: IntArray, c: IntArray, as_of: npt.NDArray[np.datetime64]
    ) -> dict[str, FloatArray]:
        """Every term of the variant's forms for the pairs (also those it gives no weight)."""
        return variant_terms(self, kind, q, c, as_of, every=True)

    def utility(
        self,
        kind: str,
        q: IntArray,
        c: IntArray,
        as_of: npt.NDArray[np.datetime64],
        tie: FloatArray | None = None,
    ) -> FloatArray:
        """The noise-free query-side utility (``tie`` None: no past tie)."""
        t = variant_terms(self, kind, q, c, as_of)
        return utility_from_terms(self.variant, t, np.zeros(len(q)) if tie is None else tie)

    def utility_and_view(
        self,
        kind: str,
        q: IntArray,
        c: IntArray,
        as_of: npt.NDArray[np.datetime64],
        tie: FloatArray,
    ) -> tuple[FloatArray, FloatArray | None]:
        """Utility and (reciprocity variants, else None) the candidate's view, terms once."""
        t = variant_terms(self, kind, q, c, as_of)
        u = utility_from_terms(self.variant, t, tie)
        return u, (view_from_terms(self.variant, kind, t) if self.variant.view else None)

    def view(
        self, kind: str, q: IntArray, c: IntArray, as_of: npt.NDArray[np.datetime64]
    ) -> FloatArray:
        """The candidate's own view (reciprocity variants)."""
        return view_from_terms(self.variant, kind, variant_terms(self, kind, q, c, as_of))


def _uses(v: WorldVariant) -> frozenset[str]:
    return frozenset(v.weights) | frozenset(v.view or {})


def variant_terms(
    world: VariantWorld,
    kind: str,
    q: IntArray,
    c: IntArray,
    as_of: npt.NDArray[np.datetime64],
    *,
    every: bool = False,
) -> dict[str, FloatArray]:
    """The terms the variant's forms read, for query rows ``q`` and candidate rows ``c``.

    Terms the variant gives no weight are zeros unless ``every`` (analysis, tests).
    """
    m, tm, v = world.model, world.texts, world.variant
    uses = _uses(v)
    want_cap = every or bool(uses & {"cap_have", "cap_lack", "cap"})
    want_kw = every or "kw_wb" in uses
    want_pref = every or "pref" in uses
    n = len(q)
    zeros = np.zeros(n)
    t = base_terms(m, kind, q, c, as_of)
    day = as_of.astype("datetime64[D]")
    cc = m.f_city[c]
    if kind == "investor":
        sup_ = c
        req = tm.p_req[q] < day[:, None] if want_cap else None
        kw_owner, kw_table = q, tm.p_kw
        pref = tm.p_pref_srdi[q] & tm.f_srdi[c] if want_pref else None
        partner = m.p_partner[q]
        own = partner == cc
        t["cobuilt"] = np.where(own, np.where(tm.p_cobuilt[q], 1.0, 0.3), 0.0)
        sh_other = (partner >= 0) & tm.c_shanghai[np.maximum(partner, 0)] & ~own
        sh_other &= tm.c_shanghai[cc]
        t["size_tri"] = t["size_fit"]  # investors: able to invest (the logistic of today)
        t["buyer_size"] = zeros
        t["park_level"] = tm.p_national[q].astype(float)
    else:
        sup_, buy = (c, q) if kind == "supplier" else (q, c)
        qc = m.f_city[q]
        row = m.f_need_row[buy]
        req = tm.e_req[row] < day[:, None] if want_cap else None
        kw_owner, kw_table = row, tm.e_kw
        pref = (
            (tm.e_pref_srdi[buy] & tm.f_srdi[sup_]) | (tm.e_pref_wb[buy] & tm.f_wanbei[sup_])
            if want_pref
            else None
        )
        pq, pc = m.c_partner[qc], m.c_partner[cc]
        sh_other = (pq >= 0) & tm.c_shanghai[np.maximum(pq, 0)] & tm.c_shanghai[cc] & (pq != cc)
        sh_other |= (pc >= 0) & tm.c_shanghai[np.maximum(pc, 0)] & tm.c_shanghai[qc] & (pc != qc)
        t["cobuilt"] = zeros
        t["size_tri"] = size_triangle(
            m.f_logrev[sup_] - m.f_logrev[buy], v.size_peak_ratio, v.size_left, v.size_right
        )
        t["buyer_size"] = _sigmoid(m.f_logrev[buy] - 11.0)
        t["park_level"] = zeros
    if req is not None:
        has = tm.f_caps[sup_]
        denom = np.maximum(req.sum(axis=1), 1)
        t["cap_have"] = (req & has).sum(axis=1) / denom
        t["cap_lack"] = (req & ~has).sum(axis=1) / denom
    else:
        t["cap_have"], t["cap_lack"] = zeros, zeros
    t["pref"] = pref.astype(float) if pref is not None else zeros
    kw = np.zeros(n)
    if want_kw:
        wb = np.flatnonzero(tm.f_wanbei[sup_])  # the overlap pays only for Wanbei firms
        hit = kw_table[kw_owner[wb][:, None], tm.f_items[sup_[wb]]] < day[wb][:, None]
        kw[wb] = hit.any(axis=1)
    t["kw_wb"] = kw
    t["sh_other"] = (sh_other & (t["paired"] == 0)).astype(float)
    t["national"] = tm.f_national[sup_].astype(float)
    t["srdi"] = tm.f_srdi[sup_].astype(float)
    t["near"] = np.exp(-t["dist_km"] / v.dist_scale_km)
    t["hidden_c"] = m.f_hidden[c]
    return t


def utility_from_terms(v: WorldVariant, t: dict[str, FloatArray], tie: FloatArray) -> FloatArray:
    """The noise-free query-side utility ``u`` of the variant's functional form."""
    w = v.weights
    if v.form == "additive":
        paired = np.maximum(t["paired"], w.get("sh_other", 0.0) * t["sh_other"])
        size = t["size_tri"] if v.size_shape == "triangle" else t["size_fit"]
        u = (
            w.get("chain", 0.0) * t["chain"]
            + w.get("io", 0.0) * t["io"]
            + w.get("near", 0.0) * t["near"]
            + w.get("paired", 0.0) * paired
            + w.get("size", 0.0) * size
            + w.get("quality", 0.0) * t["quality"]
            + w.get("need", 0.0) * t["need"]
            + w.get("cap_have", 0.0) * t["cap_have"]
            + w.get("cap_lack", 0.0) * t["cap_lack"]
            + w.get("pref", 0.0) * t["pref"]
            + w.get("kw_wb", 0.0) * t["kw_wb"]
            + w.get("cobuilt", 0.0) * t["cobuilt"]
        )
    elif v.form == "interaction":
        size = t["size_tri"] if v.size_shape == "triangle" else t["size_fit"]
        core = w["chain"] * t["chain"] * (w["near_floor"] + t["near"]) + w["io"] * t["io"] * size
        u = core * (1.0 + w["national"] * t["national"]) + w["need"] * t["need"]
    elif v.form == "threshold":
        chain = np.where(t["chain"] >= 1.0, 1.0, np.where(t["chain"] > 0, w["chain_same"], 0.0))
        s = (
            w["chain"] * chain
            + w["io"] * (t["io"] >= 0.5)
            + w["near"] * (t["dist_km"] < 300.0)
            + w["paired"] * t["paired"]
            + w["size"] * t["size_tri"]
            + w["quality"] * t["srdi"]
            + w["need"] * t["need"]
            + w["kw_wb"] * t["kw_wb"]
        )
        sat = w["saturation"]
        u = sat * np.tanh(s / sat)
    else:
        raise ValueError(f"form must be additive, interaction or threshold, got {v.form!r}")
    return np.asarray(u + w.get("tie", 0.0) * tie + w.get("hidden", 0.0) * t["hidden"], float)


def view_from_terms(v: WorldVariant, kind: str, t: dict[str, FloatArray]) -> FloatArray:
    """The candidate side's own utility ``v`` of the pair (reciprocity variants).

    supplier (a supporting firm answering a leading buyer): a large buyer, near, paired;
    customer (a leading firm answering a supplier): quality, chain fit, size fit, capability;
    investor (a firm answering a park): a co-built park of its own city, a 国务院 park, near.
    """
    w = v.view or {}
    if kind == "supplier":
        paired = np.maximum(t["paired"], w.get("sh_other", 0.0) * t["sh_other"])
        out = w["size"] * t["buyer_size"] + w["near"] * t["near"] + w["paired"] * paired
    elif kind == "customer":
        out = (
            w["quality"] * t["quality"]
            + w["chain"] * t["chain"]
            + w["fit"] * t["size_tri"]
            + w["cap"] * t["cap_have"]
        )
    else:
        out = w["cobuilt"] * t["cobuilt"] + w["level"] * t["park_level"] + w["near"] * t["near"]
    return np.asarray(out + w["hidden"] * t["hidden_c"], float)
