"""Fixtures of the API tests: a temporary SQLite database per test module, seeded with two
cities' records and a key per role, and a TestClient on ``create_app`` bound to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_support import Api, build_api

from features.reference import Reference, load_reference


@pytest.fixture(scope="session")
def reference() -> Reference:
    """The real reference data, loaded once."""
    return load_reference()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, reference: Reference) -> Iterator[Api]:
    """A seeded app on its own database, shared by the tests of one module."""
    yield from build_api(tmp_path_factory.mktemp("api"), reference)
