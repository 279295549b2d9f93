"""The feature context as five parts: each builds on its own, and the context reads them."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pandas as pd

from features.context import Chains, FeatureContext, Places, Quality
from features.entities import parks_with_reference
from features.schema import ENTERPRISE, NEED, PARK, conform

PARTS = ("places", "chains", "texts", "quality", "past")


def test_every_field_of_a_part_reads_through_the_context(mini_ctx: FeatureContext) -> None:
    for part_name in PARTS:
        part = getattr(mini_ctx, part_name)
        for field in dataclasses.fields(part):
            if field.name == "n_cities":  # a part's own bookkeeping, not a context field
                continue
            assert getattr(mini_ctx, field.name) is getattr(part, field.name), field.name


def test_no_field_is_in_two_parts(mini_ctx: FeatureContext) -> None:
    names = [f.name for p in PARTS for f in dataclasses.fields(getattr(mini_ctx, p))]
    assert len(names) == len(set(names))


def test_a_part_builds_alone_as_in_the_context(mini: SimpleNamespace) -> None:
    ref = mini.reference()
    frames = mini.frames()
    ctx = mini.context()
    firms = conform(frames["enterprises"], ENTERPRISE)
    parks = parks_with_reference(conform(frames["parks"], PARK), ref)

    places = Places.build(ref, firms, parks)
    chains, _ = Chains.build(
        ref, firms, parks, conform(frames["needs"], NEED), ids=ctx.ids, city=places.city
    )
    quality = Quality.build(firms, len(parks))

    assert np.array_equal(places.city, ctx.city)
    assert places.n_cities == len(ref.cities)
    assert np.array_equal(chains.makes, ctx.makes)
    assert np.array_equal(chains.reach, ctx.reach)
    assert np.array_equal(quality.prior, ctx.prior, equal_nan=True)
    # parks have no size: NaN after the four firms, and never live candidates
    assert np.isnan(quality.employees[len(firms) :]).all()
    assert not quality.live[len(firms) :].any()
    assert quality.employees[: len(firms)].tolist() == [1000.0, 100.0, 10.0, 50.0]


def test_the_leading_firm_makes_what_its_file_says(mini_ctx: FeatureContext) -> None:
    row = mini_ctx.rows([pd.Series(mini_ctx.ids)[0]], what="firm")[0]
    node = mini_ctx.node_index.get_loc("sensor.device")
    word, bit = divmod(int(node), 64)
    assert (int(mini_ctx.makes[row, word]) >> bit) & 1 == 1
