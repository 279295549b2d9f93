"""The retrain job and the CLI's training path, on a small world imported into SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from features.reference import load_reference
from recommender.db import migrate, repo
from recommender.db.engine import make_engine, make_session_factory, session_scope
from recommender.errors import ConflictError
from recommender.models.training import model_kind, run_retrain_job, start_retrain
from recommender.runtime import Runtime
from recommender.settings import get_settings
from training.frames import events_from_world, frames_from_world
from training.registry import ModelRegistry
from training.world import generate_world, write_world


def test_model_kind_is_all_or_the_kinds_trained() -> None:
    assert model_kind(["supplier", "investor", "customer"]) == "all"
    assert model_kind(["supplier"]) == "supplier"
    assert model_kind(["investor", "customer"]) == "customer,investor"


@pytest.mark.slow
def test_retrain_job_trains_promotes_and_records_its_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cm.db'}"
    migrate.upgrade(url)
    ref = load_reference()
    world = generate_world(ref, n_firms=1000, seed=5)
    write_world(world, tmp_path / "world")  # truth/ gives the oracle
    frames = frames_from_world(world, ref)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        repo.seed_reference(s, reference=ref)
        repo.upsert_frame(s, kind="enterprises", frame=frames.enterprises)
        repo.upsert_frame(s, kind="parks", frame=frames.parks)
        repo.upsert_frame(s, kind="needs", frame=frames.needs)
        repo.upsert_frame(s, kind="events", frame=events_from_world(world, ref))
        assert frames.participants is not None
        repo.upsert_frame(s, kind="participants", frame=frames.participants)
        repo.upsert_frame(s, kind="outcomes", frame=frames.outcomes)
        job_id = repo.create_retrain_job(s).id
    settings = get_settings(home=tmp_path, database_url=url)

    runtime = Runtime(settings)
    summary = run_retrain_job(runtime, job_id)
    runtime.close()

    assert summary is not None
    assert summary.promoted
    assert "oracle" in summary.metrics
    assert ModelRegistry(settings.models_dir).production() == summary.version
    with session_scope(factory) as s:
        job = repo.get_retrain_job(s, job_id=job_id)
        assert job.status == "succeeded"
        assert job.version == summary.version
        assert job.message.startswith("promote")
        rows = repo.list_model_versions(s)
        assert [(r.version, r.kind, r.status) for r in rows] == [
            (summary.version, "all", "production")
        ]
    engine.dispose()


def test_a_failed_retrain_job_says_why(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cm.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with session_scope(factory) as s:
        job_id = repo.create_retrain_job(s).id
    runtime = Runtime(get_settings(home=tmp_path, database_url=url))
    assert run_retrain_job(runtime, job_id) is None
    runtime.close()
    with session_scope(factory) as s:
        job = repo.get_retrain_job(s, job_id=job_id)
        assert job.status == "failed"
        assert "no outcomes" in job.message
    engine.dispose()


def test_a_retrain_is_refused_while_another_job_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cm.db'}"
    migrate.upgrade(url)
    runtime = Runtime(get_settings(home=tmp_path, database_url=url))
    with session_scope(runtime.session_factory) as s:
        running = repo.create_retrain_job(s).id
        repo.update_retrain_job(s, job_id=running, status="running")

    with pytest.raises(ConflictError, match=f"retrain job {running} is still running"):
        start_retrain(runtime, requested_by="test")

    with session_scope(runtime.session_factory) as s:
        assert [j.id for j in repo.list_retrain_jobs(s, limit=10)] == [running]
    runtime.close()
