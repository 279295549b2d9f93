"""Size and quality family: scale ratio and the candidate's flags and age."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from features.families.base import Columns, Pairs
from features.history import EPOCH

if TYPE_CHECKING:
    from features.context import FeatureContext


def quality_features(ctx: FeatureContext, p: Pairs) -> Columns:
    """log employee ratio, candidate size/revenue (log), 专精特新, high-tech, listed, age."""
    c = p.cand
    year = (EPOCH + p.day.astype("timedelta64[D]")).astype("datetime64[Y]").astype(np.int64) + 1970
    age = year - ctx.founded[c]
    return {
        "size_log_ratio": np.log1p(ctx.employees[c]) - np.log1p(ctx.employees[p.query]),
        "buyer_supplier_log_revenue": np.log1p(np.maximum(ctx.revenue[p.demander], 0.0))
        - np.log1p(np.maximum(ctx.revenue[p.provider], 0.0)),
        "cand_log_employees": np.log1p(ctx.employees[c]),
        "cand_log_revenue": np.log1p(np.maximum(ctx.revenue[c], 0.0)),
        "cand_srdi_level": ctx.srdi[c],
        "cand_high_tech": ctx.high_tech[c],
        "cand_listed": ctx.listed[c],
        "cand_is_leading": ctx.leading[c].astype(np.float64),
        "cand_age_years": np.where(age >= 0, age, np.nan),
    }
