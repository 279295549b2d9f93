"""Training from the database: what ``chainmatch train``, the demo set-up and the API's
background retrain job share (one retrain job at a time, whoever starts it).

Frames are read with ``repo.load_frame``, the run itself is :func:`training.run.run_training`
(which knows no database), and the resulting version is mirrored into the ``model_versions``
table so that the API can list it. When ``$CHAINMATCH_HOME/world/truth`` holds the truth of
the synthetic world the database was imported from, its utility is reported as the oracle.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from features.schema import QUERY_KINDS
from training.frames import TrainingFrames
from training.pipeline import OracleFn, TrainConfig
from training.registry import ModelRegistry
from training.run import RunSummary, primary_keys, run_training

if TYPE_CHECKING:
    from features.reference import Reference
    from recommender.runtime import Runtime
    from recommender.settings import Settings

log = logging.getLogger(__name__)

__all__ = [
    "load_training_frames",
    "mirror_version",
    "model_kind",
    "run_retrain_job",
    "start_retrain",
    "train_from_database",
    "world_oracle",
]


def load_training_frames(session: Session) -> TrainingFrames:
    """The entity frames a training run needs, read from the database."""
    from recommender.db import repo

    return TrainingFrames(
        enterprises=repo.load_frame(session, kind="enterprises"),
        parks=repo.load_frame(session, kind="parks"),
        needs=repo.load_frame(session, kind="needs"),
        outcomes=repo.load_frame(session, kind="outcomes"),
        participants=repo.load_frame(session, kind="participants"),
    )


def world_oracle(home: Path, reference: Reference, frames: TrainingFrames) -> OracleFn | None:
    """The synthetic world's true utility, if ``home/world/truth`` covers every entity.

    Returns None when there is no truth, or when the database holds firms or parks the
    world never had (then the data is not (only) the world's and no oracle applies).
    """
    world_dir = Path(home) / "world"
    if not (world_dir / "truth" / "params.json").is_file():
        return None
    from training.world import load_truth, true_utility

    truth = load_truth(world_dir, reference=reference)
    firms = set(truth.model.firm_ids.astype(str))
    parks = set(truth.model.park_ids.astype(str))
    if not (
        set(frames.enterprises["uscc"].astype(str)) <= firms
        and set(frames.parks["park_id"].astype(str)) <= parks
    ):
        log.warning("world truth in %s does not cover the database; no oracle", world_dir)
        return None

    def oracle(
        kind: str, query_ids: np.ndarray, candidate_ids: np.ndarray, as_of: np.ndarray
    ) -> np.ndarray:
        return np.asarray(true_utility(truth, kind, query_ids, candidate_ids, as_of=as_of))

    return oracle


def model_kind(kinds: Sequence[str]) -> str:
    """The ``model_versions.kind`` of a model ranking ``kinds``: ``all`` or the one kind."""
    if set(kinds) >= set(QUERY_KINDS):
        return "all"
    return ",".join(sorted(kinds))


def mirror_version(session: Session, registry: ModelRegistry, version: str) -> None:
    """Copy a registry version (and whether it is production) into ``model_versions``."""
    from recommender.db import repo

    info = registry.show(version)
    repo.upsert_model_version(
        session,
        version=version,
        kind=model_kind(info.metadata.kinds),
        path=str(info.path),
        sha256=info.sha256,
        metrics=info.metadata.metrics.get(primary_keys(info.metadata.metrics)[0], {}),
        status="production" if registry.production() == version else "candidate",
    )


def train_from_database(
    source: Runtime | Settings,
    *,
    kinds: Sequence[str] | None = None,
    as_of: pd.Timestamp | None = None,
    promote_if_better: bool = False,
    tolerance: float = 0.005,
    config: TrainConfig | None = None,
    notes: str = "",
) -> RunSummary:
    """Load the frames, run :func:`training.run.run_training`, mirror the version.

    Parameters
    ----------
    source : the installation's runtime (database, reference data, registry, rules), or its
        settings (a runtime is then built for this run and closed after it).
    kinds : query kinds to train on (default: all).
    as_of : train on what was known that day.
    promote_if_better, tolerance : the promotion guard (see :mod:`training.run`).
    config : training configuration; ``kinds`` overrides its kinds.
    notes : stored in the model's metadata.
    """
    from recommender.runtime import Runtime

    if isinstance(source, Runtime):
        return _train(
            source, kinds, as_of=as_of, promote_if_better=promote_if_better,
            tolerance=tolerance, config=config, notes=notes,
        )  # fmt: skip
    runtime = Runtime(source)
    try:
        return _train(
            runtime, kinds, as_of=as_of, promote_if_better=promote_if_better,
            tolerance=tolerance, config=config, notes=notes,
        )  # fmt: skip
    finally:
        runtime.close()


def _train(
    runtime: Runtime,
    kinds: Sequence[str] | None,
    *,
    as_of: pd.Timestamp | None,
    promote_if_better: bool,
    tolerance: float,
    config: TrainConfig | None,
    notes: str,
) -> RunSummary:
    from dataclasses import replace

    from recommender.db.engine import session_scope
    from recommender.ranking.offline import ranker_factory

    settings = runtime.settings
    with session_scope(runtime.session_factory) as session:
        frames = load_training_frames(session)
    config = config or TrainConfig()
    if kinds:
        bad = sorted(set(kinds) - set(QUERY_KINDS))
        if bad:
            raise ValueError(f"kind must be one of {list(QUERY_KINDS)}, got {bad}")
        config = replace(config, kinds=tuple(kinds))
    list_ranker = ranker_factory(rules=runtime.rules, outcomes=frames.outcomes)
    summary = run_training(
        frames,
        reference=runtime.reference,
        registry=runtime.registry,
        report_dir=settings.reports_dir,
        config=config,
        oracle=world_oracle(settings.home, runtime.reference, frames),
        promote_if_better=promote_if_better,
        tolerance=tolerance,
        as_of=as_of,
        notes=notes,
        list_ranker=list_ranker,
    )
    with session_scope(runtime.session_factory) as session:
        mirror_version(session, runtime.registry, summary.version)
    return summary


_start_lock = threading.Lock()


def start_retrain(runtime: Runtime, *, requested_by: str) -> int:
    """Queue a retrain job (promote if better) and run it in a background thread; its id.

    One job at a time per database: raises :class:`~recommender.errors.ConflictError` while
    another job is queued or running. ``requested_by`` is kept in the job's message.
    """
    from recommender.db import repo
    from recommender.errors import ConflictError

    with _start_lock, runtime.session_factory() as session:
        busy = [
            j
            for j in repo.list_retrain_jobs(session, limit=20)
            if j.status in ("queued", "running")
        ]
        if busy:
            raise ConflictError(f"retrain job {busy[0].id} is still {busy[0].status}; wait for it")
        job = repo.create_retrain_job(session, message=f"requested by {requested_by}")
        session.commit()
        job_id = int(job.id)
    threading.Thread(
        target=run_retrain_job, args=(runtime, job_id), name=f"retrain-{job_id}", daemon=True
    ).start()
    log.info("retrain job %d started (requested by %s)", job_id, requested_by)
    return job_id


def run_retrain_job(runtime: Runtime, job_id: int) -> RunSummary | None:
    """Run a queued retrain job (promote if better) and record its progress in its row.

    The job moves to ``running``, then ``succeeded`` (message: the decision, version: the new
    model) or ``failed`` (message: the error). Returns the run summary, or None on failure.
    """
    from recommender.db import repo
    from recommender.db.engine import session_scope

    factory = runtime.session_factory
    with session_scope(factory) as session:
        repo.update_retrain_job(session, job_id=job_id, status="running")
    try:
        summary = train_from_database(
            runtime, promote_if_better=True, notes=f"retrain job {job_id}"
        )
    except Exception as exc:  # the job row must say why, whatever went wrong
        log.exception("retrain job %d failed", job_id)
        with session_scope(factory) as session:
            repo.update_retrain_job(
                session, job_id=job_id, status="failed", message=f"{type(exc).__name__}: {exc}"
            )
        return None
    with session_scope(factory) as session:
        repo.update_retrain_job(
            session,
            job_id=job_id,
            status="succeeded",
            message=summary.decision.reason,
            version=summary.version,
        )
    return summary
