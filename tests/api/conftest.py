"""Fixtures of the API tests: a temporary SQLite database per test module, seeded with two
cities' records and a key per role, and a TestClient on ``create_app`` bound to it.

Tests run with ``--import-mode=importlib``, so they reach this module only through fixtures
(``api``, ``make_uscc``); ``Api`` is imported for annotations under TYPE_CHECKING.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from features.reference import Reference, load_reference
from features.schema import SCHEMAS, conform
from features.uscc import uscc_check_digit

BENGBU, HUAINAN, NINGBO = "340300", "340400", "330200"


def uscc(city: str, serial: int) -> str:
    """A valid 统一社会信用代码 for a firm registered in ``city``."""
    body = f"91{city}MA{serial:07d}"
    return body + uscc_check_digit(body)


@dataclass
class Api:
    """What a test needs: the client, the keys by role, the seeded ids, the database."""

    client: TestClient
    keys: dict[str, str]
    factory: sessionmaker[Session]
    reference: Reference
    ids: dict[str, str] = field(default_factory=dict)
    spare_key_id: int = 0

    def headers(self, who: str) -> dict[str, str]:
        """Headers for a caller: a role key, ``none``, an unknown or a revoked key."""
        if who == "none":
            return {}
        return {"X-API-Key": self.keys[who]}

    def count(self, kind: str) -> int:
        from recommender.db import repo

        with self.factory() as s:
            return len(repo.load_frame(s, kind=kind))


def _seed(session: Session, reference: Reference) -> dict[str, str]:
    from recommender.db import repo

    repo.seed_reference(session, reference=reference)
    ids = {
        "firm_bb": uscc(BENGBU, 1),
        "firm_nb": uscc(NINGBO, 2),
        "firm_hn": uscc(HUAINAN, 3),
        "park_bb": "T-BB-1",
        "park_hn": "T-HN-1",
        "need_bb": "N-BB-1",
        "need_nb": "N-NB-1",
        "event_bb": "E-BB-1",
        "event_hn": "E-HN-1",
    }
    firms = pd.DataFrame(
        {
            "uscc": [ids["firm_bb"], ids["firm_nb"], ids["firm_hn"]],
            "name": ["蚌埠测试传感有限公司", "宁波测试汽车零部件有限公司", "淮南测试材料有限公司"],
            "city_code": [BENGBU, NINGBO, HUAINAN],
            "industry_code": ["3973", "3670", "3091"],
            "products": ["MEMS 传感器", "汽车电子", "硅基材料"],
            "is_leading": [False, True, False],
        }
    )
    parks = pd.DataFrame(
        {
            "park_id": [ids["park_bb"], ids["park_hn"]],
            "name": ["蚌埠测试园区", "淮南测试园区"],
            "city_code": [BENGBU, HUAINAN],
            "leading_industries": ["智能传感器", "新材料"],
        }
    )
    needs = pd.DataFrame(
        {
            "need_id": [ids["need_bb"], ids["need_nb"]],
            "owner_kind": ["park", "enterprise"],
            "owner_id": [ids["park_bb"], ids["firm_nb"]],
            "description": ["寻找传感器封测企业", "寻找汽车电子配套"],
        }
    )
    events = pd.DataFrame(
        {
            "event_id": [ids["event_bb"], ids["event_hn"]],
            "name": ["蚌埠对接会", "淮南对接会"],
            "date": [pd.Timestamp("2025-05-20"), pd.Timestamp("2025-06-20")],
            "city_code": [BENGBU, HUAINAN],
        }
    )
    for kind, frame in (
        ("enterprises", firms),
        ("parks", parks),
        ("needs", needs),
        ("events", events),
    ):
        repo.upsert_frame(session, kind=kind, frame=conform(frame, SCHEMAS[kind]))
    session.commit()
    return ids


def build_api(tmp: Path, reference: Reference) -> Iterator[Api]:
    """Migrate a SQLite file under ``tmp``, seed it, issue keys, yield a client."""
    from api.app import create_app
    from recommender import security
    from recommender.db import migrate
    from recommender.settings import get_settings

    url = f"sqlite:///{tmp / 'api.db'}"
    migrate.upgrade(url)
    app = create_app(get_settings(home=tmp, database_url=url))
    app.state.runtime.reference = reference  # loaded once per session, not per module
    factory: sessionmaker[Session] = app.state.session_factory
    keys: dict[str, str] = {"bad": "cm_not-a-key-that-exists-anywhere"}
    with factory() as s:
        ids = _seed(s, reference)
        for name, role, city in (
            ("po_bb", "promotion_office", BENGBU),
            ("po_hn", "promotion_office", HUAINAN),
            ("organiser", "organiser", None),
            ("analyst", "analyst", None),
            ("admin", "admin", None),
            ("revoked", "analyst", None),
            ("spare", "organiser", None),
        ):
            row, plaintext = security.create_key(s, role=role, city_code=city, label=name)
            keys[name] = plaintext
            if name == "revoked":
                security.revoke_key(s, key_id=row.id)
            if name == "spare":
                spare = row.id
    with TestClient(app) as client:
        yield Api(
            client=client,
            keys=keys,
            factory=factory,
            reference=reference,
            ids=ids,
            spare_key_id=spare,
        )
    app.state.engine.dispose()


@pytest.fixture(scope="session")
def reference() -> Reference:
    """The real reference data, loaded once."""
    return load_reference()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, reference: Reference) -> Iterator[Api]:
    """A seeded app on its own database, shared by the tests of one module."""
    yield from build_api(tmp_path_factory.mktemp("api"), reference)


@pytest.fixture(scope="session")
def make_uscc() -> Callable[[str, int], str]:
    """``make_uscc(city, serial)``: a valid 统一社会信用代码."""
    return uscc
