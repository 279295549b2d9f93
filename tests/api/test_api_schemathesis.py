"""Property-based run of every operation in the OpenAPI schema (bounded): no server error,
and every answer matches the status codes, content types and bodies the schema documents."""

from __future__ import annotations

from typing import TYPE_CHECKING

import hypothesis
import pytest
import schemathesis
from schemathesis import checks

from api.app import create_app
from recommender.settings import get_settings

if TYPE_CHECKING:
    from conftest import Api

MAX_EXAMPLES = 20


# The schema comes from an app on an unused in-memory database (building it touches no
# database); the requests go to the seeded app of the ``api`` fixture.
_SPEC_APP = create_app(get_settings(database_url="sqlite://"))
# revoking is left out: a generated key id could revoke the admin key the run uses (the
# authorisation matrix and the key lifecycle test cover it)
schema = schemathesis.openapi.from_asgi("/openapi.json", _SPEC_APP).exclude(path_regex=r"/revoke$")


@pytest.fixture(scope="module", autouse=True)
def production_model(api: Api) -> str:
    """A small real LightGBM ranker over the catalogue's features, promoted, so that the
    ranking endpoints answer with lists (not 503) while the run explores them."""
    import lightgbm as lgb
    import numpy as np
    import pandas as pd

    from features.catalogue import FEATURE_NAMES, FEATURE_SET_VERSION
    from training.metadata import ModelMetadata, TrainingWindow
    from training.registry import ModelRegistry

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, len(FEATURE_NAMES))), columns=FEATURE_NAMES)
    y = (X["distance_km"] < 0).astype(int) + (X["official_pair"] > 0.5).astype(int)
    booster = lgb.train(
        {"objective": "lambdarank", "verbosity": -1, "num_leaves": 4, "min_data_in_leaf": 5},
        lgb.Dataset(X, label=y, group=[20] * 20),
        num_boost_round=5,
    )
    settings = api.client.app.state.settings  # type: ignore[attr-defined]
    registry = ModelRegistry(settings.models_dir)
    version = registry.register(
        booster.model_to_string(),
        ModelMetadata(
            feature_names=list(FEATURE_NAMES),
            feature_set_version=FEATURE_SET_VERSION,
            kinds=["supplier", "investor", "customer"],
            params={},
            window=TrainingWindow("2024-01-01", "2024-12-31", "2025-01-01"),
            data_hash="schemathesis",
        ),
    )
    registry.promote(version)
    return version


@pytest.mark.slow
@schema.parametrize()
@hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    derandomize=True,
    database=None,
)
def test_schema_operations(case: schemathesis.Case, api: Api) -> None:
    case.call_and_validate(
        app=api.client.app,
        headers=api.headers("admin"),
        checks=[
            checks.not_a_server_error,
            checks.status_code_conformance,
            checks.content_type_conformance,
            checks.response_schema_conformance,
        ],
    )
