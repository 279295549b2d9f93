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
