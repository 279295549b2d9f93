"""``generate_world``: firms, needs, events, recommendations and their outcomes, from a seed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from features.reference import Reference
from features.schema import PARK
from training.errors import InvalidInputError
from training.world.events import add_preferences, plan_events
from training.world.firms import generate_firms
from training.world.funnel import draw_funnel
from training.world.model import build_model
from training.world.needs import generate_needs
from training.world.schedule import shown_pairs
from training.world.utility import Truth, UtilityParams

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

    Returns
    -------
    World
    """
    if n_firms < 100:
        raise InvalidInputError(f"n_firms must be an integer >= 100, got {n_firms}")
    if end <= start:
        raise InvalidInputError(f"end must be after start, got start={start} end={end}")
    step = on_step or (lambda _name: None)
    p = params or UtilityParams()
    rng = np.random.default_rng(seed)

    enterprises, hidden = generate_firms(reference, n_firms, rng, end_year=end.year)
    step("firms")
    needs = generate_needs(reference, enterprises, reference.parks, rng, start=start, end=end)
    step("needs")
    model = build_model(reference, enterprises, reference.parks, needs, hidden)
    step("model")
    plan = plan_events(reference, model, enterprises, rng, start=start, end=end)
    step("events")
    shown = shown_pairs(reference, model, enterprises, plan, rng, start=start, end=end)
    step("recommendations")
    outcomes, pairs, ties = draw_funnel(model, shown, p, rng, end=end)
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
    }
    truth = Truth(
        firms=pd.DataFrame({"uscc": enterprises["uscc"].to_numpy(), "hidden": hidden}),
        params=truth_params,
        pairs=pairs,
        model=model,
        ties=ties,
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
