"""The one mapping from domain errors to HTTP statuses and bodies (api/errors.py)."""

from __future__ import annotations

import pytest

from api.errors import error_body, status_of
from recommender.errors import (
    AuthError,
    ChainmatchError,
    ConflictError,
    ForbiddenError,
    ImportValidationError,
    ModelError,
    NotFoundError,
    RowError,
    SchemaError,
    ValidationError,
)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFoundError("x"), 404),
        (ValidationError("x"), 422),
        (SchemaError("x"), 422),
        (ImportValidationError("outcomes", "f.csv"), 422),
        (AuthError("x"), 401),
        (ForbiddenError("x"), 403),
        (ConflictError("x"), 409),
        (ModelError("x"), 503),
        (ChainmatchError("x"), 500),
    ],
)
def test_status_of_each_domain_error(error: ChainmatchError, status: int) -> None:
    assert status_of(error) == status


def test_import_error_body_lists_every_row() -> None:
    exc = ImportValidationError(
        "outcomes",
        "f.csv",
        [
            RowError(2, "stage", "one of meeting/...", "洽谈"),
            RowError(5, "date", "YYYY-MM-DD", "x"),
        ],
        "f.csv: 2 problem(s)",
    )
    assert error_body(exc) == {
        "detail": "f.csv: 2 problem(s)",
        "errors": [
            {"line": 2, "column": "stage", "expected": "one of meeting/...", "got": "洽谈"},
            {"line": 5, "column": "date", "expected": "YYYY-MM-DD", "got": "x"},
        ],
    }
    assert error_body(NotFoundError("no park 'P'")) == {"detail": "no park 'P'"}
