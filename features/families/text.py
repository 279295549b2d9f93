"""Text family: TF-IDF cosine of needs vs products, and products vs products."""

from __future__ import annotations

from typing import TYPE_CHECKING

from features.families.base import Columns, Pairs
from features.text import pair_cosine

if TYPE_CHECKING:
    from features.context import FeatureContext


def text_features(ctx: FeatureContext, p: Pairs) -> Columns:
    """Cosine of the demander's need text with the provider's products; products with products."""
    return {
        "text_need_products": pair_cosine(
            ctx.need_matrix,
            ctx.product_matrix,
            ctx.need_row[p.demander],
            ctx.product_row[p.provider],
        ),
        "text_products": pair_cosine(
            ctx.product_matrix,
            ctx.product_matrix,
            ctx.product_row[p.query],
            ctx.product_row[p.cand],
        ),
    }
