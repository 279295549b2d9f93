"""Property-based run of every operation in the OpenAPI schema (bounded): no server error,
and every answer matches the status codes, content types and bodies the schema documents."""

from __future__ import annotations

from typing import TYPE_CHECKING

import hypothesis
import pytest
import schemathesis
from schemathesis import checks

if TYPE_CHECKING:
    from conftest import Api

MAX_EXAMPLES = 20


@pytest.fixture(scope="module")
def st_schema(api: Api) -> object:
    # revoking is excluded: a generated key id could revoke the admin key the run uses
    # (the matrix and the lifecycle test cover it)
    return schemathesis.openapi.from_asgi("/openapi.json", api.client.app).exclude(
        path_regex=r"/revoke$"
    )


schema = schemathesis.pytest.from_fixture("st_schema")


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
        headers=api.headers("admin"),
        checks=[
            checks.not_a_server_error,
            checks.status_code_conformance,
            checks.content_type_conformance,
            checks.response_schema_conformance,
        ],
    )
