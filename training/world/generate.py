"""``generate_world``: firms, needs, events, recommendations and their outcomes, from a seed."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from features.reference import Reference
from features.schema import PARK
from training.errors import InvalidInputError
from training.world.events import add_preferences, plan_events
from training.world.exposure import drifting_pairs
from training.world.firms import generate_firms
from training.world.forms import VariantWorld
from training.world.funnel import VariantHooks, draw_funnel
from training.world.model import PairModel, build_model
from training.world.needs import generate_needs
from training.world.schedule import shown_pairs
from training.world.texts import TextModel, build_text_model, decorate
from training.world.utility import Truth, UtilityParams
from training.world.variants import WorldVariant, get_variant

# progress steps reported through ``on_step`` (the funnel adds one per recommendation date)
STEPS = ("firms", "needs", "model", "events", "recommendations", "funnel")


@dataclass(frozen=True)
class World:
    """A synthetic world: the import files as frames, plus the truth behind them.

    Attributes
    ----------
    enterprises, parks, needs, events, participants, outcomes : the import files
        (docs/data-format.md), ``city`` given as the Chinese name.
    truth : hidden factors, parameters, every drawn pair and the utility model.
    upcoming_event : event_id of the event after the data end (participants, no outcomes).
    """

    enterprises: pd.DataFrame
    parks: pd.DataFrame
    needs: pd.DataFrame
    events: pd.DataFrame
    participants: pd.DataFrame
    outcomes: pd.DataFrame
    truth: Truth
    upcoming_event: str


def parks_file(reference: Reference) -> pd.DataFrame:
    """The reference parks in the import layout (``city`` = Chinese city name)."""
    parks = reference.parks.copy()
    names = dict(zip(reference.cities["city_code"], reference.cities["name"], strict=True))
    parks["city"] = parks["city_code"].map(names)
    cols = ["city" if c == "city_code" else c for c in PARK.names]
    return parks[cols].reset_index(drop=True)


def generate_world(
    reference: Reference,
    *,
    n_firms: int,
    seed: int,
    start: date = date(2023, 1, 1),
    end: date = date(2025, 12, 31),
    params: UtilityParams | None = None,
    on_step: Callable[[str], None] | None = None,
    variant: str = "standard",
) -> World:
    """Generate a synthetic world, deterministic for ``seed``.

    Parameters
    ----------
    reference : reference data (cities, industries, IO table, chains, parks).
    n_firms : number of enterprises, >= 100.
    seed : seed of the one ``np.random.default_rng`` every draw comes from.
    start, end : data window; events are monthly inside it, one more follows ``end``.
    params : utility weights and funnel constants (default: the documented ones).
    on_step : called with a step name after each step (progress bars).
    variant : name of a world variant (:data:`training.world.variants.VARIANTS`); the
        standard world is exactly the one documented in :mod:`training.world.utility`.

    Returns
    -------
    World
    """
    if n_firms < 100:
        raise InvalidInputError(f"n_firms must be an integer >= 100, got {n_firms}")
    if end <= start:
        raise InvalidInputError(f"end must be after start, got start={start} end={end}")
    v = get_variant(variant)
    step = on_step or (lambda _name: None)
    p = params or UtilityParams()
    rng = np.random.default_rng(seed)
    # the variant's own draws come from a second stream, so events stay those of the seed
    vrng = np.random.default_rng([seed, zlib.crc32(v.name.encode())])

    enterprises, hidden = generate_firms(reference, n_firms, rng, end_year=end.year)
    step("firms")
    needs = generate_needs(reference, enterprises, reference.parks, rng, start=start, end=end)
    if v.texts is not None:
        enterprises, needs = decorate(reference, enterprises, needs, vrng, v.texts)
    step("needs")
    model = build_model(reference, enterprises, reference.parks, needs, hidden)
    texts = (
        None
        if v.is_standard
        else build_text_model(reference, model, enterprises, reference.parks, needs)
    )
    step("model")
    plan = plan_events(reference, model, enterprises, rng, start=start, end=end)
    step("events")
    if v.rule_early is None:
        shown = shown_pairs(reference, model, enterprises, plan, rng, start=start, end=end)
        # no order was shown: the position is the order the list was stored in
        shown["position"] = shown.groupby(["kind", "q", "date"]).cumcount().to_numpy() + 1
    else:
        assert texts is not None
        shown = drifting_pairs(
            reference,
            model,
            texts,
            enterprises,
            plan,
            rng=vrng,
            start=start,
            end=end,
            early=v.rule_early,
            late=v.rule_late,
            tau=v.rule_tau,
        )
    step("recommendations")
    calibration: dict[str, float] = {}
    hooks = None
    if not v.is_standard:
        assert texts is not None
        hooks, calibration = _hooks(model, texts, v, shown, vrng)
        p = replace(p, centre=calibration["centre"], noise_sd=v.noise_sd)
    outcomes, pairs, ties = draw_funnel(model, shown, p, rng, end=end, hooks=hooks)
    step("funnel")
    # drawn last so that every earlier draw, hence the rest of the world, is unchanged
    participants = add_preferences(plan.participants, rng)

    p = replace(p, extra={**p.extra})
    truth_params = {
        "utility": p.to_dict(),
        "seed": seed,
        "n_firms": n_firms,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "upcoming_event": plan.upcoming,
        "variant": v.name,
        "calibration": calibration,
    }
    truth = Truth(
        firms=pd.DataFrame({"uscc": enterprises["uscc"].to_numpy(), "hidden": hidden}),
        params=truth_params,
        pairs=pairs,
        model=model,
        ties=ties,
        texts=texts,
    )
    return World(
        enterprises=enterprises,
        parks=parks_file(reference),
        needs=needs,
        events=plan.events,
        participants=participants,
        outcomes=outcomes,
        truth=truth,
        upcoming_event=plan.upcoming,
    )


def _hooks(
    model: PairModel,
    texts: TextModel,
    v: WorldVariant,
    shown: pd.DataFrame,
    rng: np.random.Generator,
) -> tuple[VariantHooks, dict[str, float]]:
    """The variant's funnel hooks, with centres at the median of the shown pairs."""

    vw = VariantWorld(model, texts, v)
    kind = shown["kind"].to_numpy(dtype=str)
    q, c = shown["q"].to_numpy(np.int64), shown["c"].to_numpy(np.int64)
    day = shown["date"].to_numpy().astype("datetime64[D]")
    u, w = np.zeros(len(shown)), np.zeros(len(shown))
    for k in np.unique(kind):
        i = np.flatnonzero(kind == k)
        u[i] = vw.utility(str(k), q[i], c[i], day[i])
        if v.view is not None:
            w[i] = vw.view(str(k), q[i], c[i], day[i])
    calibration = {"centre": float(np.median(u)) if len(u) else 0.0}
    if v.view is not None:
        calibration["view_centre"] = float(np.median(w)) if len(w) else 0.0
    hooks = VariantHooks(
        base=vw.utility,
        w_tie=float(v.weights.get("tie", 0.0)),
        view=vw.view if v.view is not None else None,
        view_centre=calibration.get("view_centre", 0.0),
        view_sd=v.view_sd,
        position_bias=v.position_bias,
        lag_mean_days=v.recording_lag_days,
        rng=rng,
    )
    return hooks, calibration
