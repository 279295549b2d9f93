"""Asks and preferences family: what the demander's need texts ask for, what its history
shows it prefers, and how the provider answered before (see :mod:`features.asks`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from features import nodes
from features.families.base import Columns, Pairs

if TYPE_CHECKING:
    from features.context import FeatureContext

# Beta(1, 3) prior on a provider's decline rate: no history reads as 25 %
_DECLINE_PRIOR = (1.0, 3.0)


def _signed_match(wants: np.ndarray, has: np.ndarray) -> np.ndarray:
    """+1 the demander asks for it and the provider has it, -1 asks but lacks it, 0 no ask."""
    return np.where(wants, np.where(has, 1.0, -1.0), 0.0)


def _fit(share: np.ndarray, has: np.ndarray) -> np.ndarray:
    """How typical the provider is of the demander's past partners: the share of them that
    had the trait when the provider has it, else the share that did not (NaN: no partners)."""
    return np.where(has, share, 1.0 - share)


def asks_features(ctx: FeatureContext, p: Pairs) -> Columns:
    """Capability requirements, stated and revealed preferences, the provider's answers."""
    a, pr = ctx.asks, ctx.prefs
    req = a.required[p.demander]
    n_req = nodes.count(req).astype(np.float64)
    met = nodes.intersect_count(req, a.offered[p.provider]).astype(np.float64)
    wanbei_city = np.append(ctx.city_wanbei, False)
    prov_wanbei = wanbei_city[ctx.city[p.provider]]
    prov_srdi = ctx.srdi[p.provider] > 0  # NaN (unknown, parks) is not 专精特新
    n, s, _ = pr.partners.lookup(p.demander, p.day)
    with np.errstate(invalid="ignore", divide="ignore"):
        srdi_share = np.where(n > 0, s[:, 1] / np.maximum(s[:, 0], 1), np.nan)
        wanbei_share = np.where(n > 0, s[:, 2] / np.maximum(s[:, 0], 1), np.nan)
        mean_lr = np.where(s[:, 4] > 0, s[:, 3] / np.maximum(s[:, 4], 1), np.nan)
        rev = ctx.revenue[p.provider]
        prov_lr = np.log(np.where(rev > 0, rev, np.nan))
    _, ans, _ = pr.answers.lookup(p.provider, p.day)
    a0, b0 = _DECLINE_PRIOR
    # a decline is an answer to a contact, whether or not the contact itself was recorded
    decline = (ans[:, 1] + a0) / (np.maximum(ans[:, 0], ans[:, 1]) + a0 + b0)
    dem_rev = ctx.revenue[p.demander]
    return {
        "ask_capability_share": np.where(n_req > 0, met / np.maximum(n_req, 1), np.nan),
        "ask_capability_missing": n_req - met,
        "ask_srdi": _signed_match(a.wants_srdi[p.demander], prov_srdi),
        "ask_wanbei": _signed_match(a.wants_wanbei[p.demander], prov_wanbei),
        "pref_partners": n.astype(np.float64),
        "pref_srdi_fit": _fit(srdi_share, prov_srdi),
        "pref_wanbei_fit": _fit(wanbei_share, prov_wanbei),
        "pref_size_gap": prov_lr - mean_lr,
        "recip_provider_decline_rate": decline,
        "provider_wanbei": prov_wanbei.astype(np.float64),
        "demander_log_revenue": np.log(np.where(dem_rev > 0, dem_rev, np.nan)),
    }
