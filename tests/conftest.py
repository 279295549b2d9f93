"""Shared fixtures: temporary SQLite and PostgreSQL databases, and a migrated session.

``pg_url`` points at the server in ``CHAINMATCH_TEST_PG_URL`` (default
postgresql+psycopg://postgres@127.0.0.1:5432/test) and gives every test a fresh schema
(dropped afterwards), so parallel runs and other test modules never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of an empty SQLite file database in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'chainmatch.db'}"


@pytest.fixture(scope="session")
def _pg_server_url() -> str:
    url = os.environ.get("CHAINMATCH_TEST_PG_URL", DEFAULT_PG_URL)
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "skip"
        pytest.skip(
            f"PostgreSQL not reachable at {url} ({type(exc).__name__}: {exc}); "
            "start it or set CHAINMATCH_TEST_PG_URL"
        )
    finally:
        engine.dispose()
    return url


@pytest.fixture
def pg_url(_pg_server_url: str) -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL schema (via search_path), dropped after the test."""
    schema = f"cm_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(_pg_server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database URL, once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    """A session on a database migrated to head (closed, engine disposed afterwards)."""
    from recommender.db import migrate
    from recommender.db.engine import make_engine, make_session_factory

    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    s = factory()
    try:
        yield s
    finally:
        s.close()
        engine.dispose()


# ----------------------------------------------------------------------------- small world
@dataclass(frozen=True)
class SmallWorld:
    """A generated world (1,500 firms, seed 3) imported into a SQLite file, and a registry
    holding a LambdaRank model trained on it by the training pipeline and promoted.

    Tests never write to these: ``install(home)`` copies the database to
    ``home/chainmatch.db`` and the registry to ``home/models`` and returns the database URL.
    """

    db_file: Path
    models_dir: Path
    upcoming_event: str
    model_version: str

    def install(self, home: Path) -> str:
        home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.db_file, home / "chainmatch.db")
        shutil.copytree(self.models_dir, home / "models", dirs_exist_ok=True)
        return f"sqlite:///{home / 'chainmatch.db'}"


@pytest.fixture(scope="session")
def small_world(tmp_path_factory: pytest.TempPathFactory) -> SmallWorld:
    """World files → ``import_dir`` → pipeline-trained supplier model, built once per run."""
    from features.catalogue import FEATURE_NAMES, FEATURE_SET_VERSION
    from features.reference import load_reference
    from recommender.db import migrate, repo
    from recommender.db.engine import make_engine, make_session_factory
    from recommender.ingest import import_dir
    from recommender.ranking.factory import load_context
    from training.metadata import ModelMetadata, TrainingWindow
    from training.pipeline import TrainConfig, prepare, train_and_evaluate
    from training.rankers import RankerParams
    from training.registry import ModelRegistry
    from training.world import generate_world, write_world

    root = tmp_path_factory.mktemp("small_world")
    reference = load_reference()
    world = generate_world(reference, n_firms=1500, seed=3)
    write_world(world, root / "files")
    db_file = root / "chainmatch.db"
    url = f"sqlite:///{db_file}"
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as session:
        repo.seed_reference(session, reference=reference)
        session.commit()
        import_dir(session, directory=root / "files", reference=reference)
        ctx, outcomes = load_context(session, reference)
    engine.dispose()

    config = TrainConfig(
        kinds=("supplier",), sampled_negatives=1, params=RankerParams(num_boost_round=60)
    )
    result = train_and_evaluate(prepare(ctx, outcomes, config), config)
    registry = ModelRegistry(root / "models")
    w = result.windows
    version = registry.register(
        result.booster.model_to_string(),
        ModelMetadata(
            feature_names=list(FEATURE_NAMES),
            feature_set_version=FEATURE_SET_VERSION,
            kinds=["supplier"],
            params=config.params.lgb_params(),
            window=TrainingWindow(start=w["train_start"], end=w["test_end"], as_of=w["test_end"]),
            data_hash=result.data_hash,
            metrics=result.metrics,
            calibration=result.calibrator.to_dict(),
            notes="tests/conftest.py small_world",
        ),
    )
    registry.promote(version)
    return SmallWorld(db_file, root / "models", str(world.upcoming_event), version)
