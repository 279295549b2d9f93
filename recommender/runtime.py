"""The composition root: what a command or the app needs at run time, built from settings.

The app's lifespan and every command build one :class:`Runtime`; nothing else makes engines,
registries, ranking services or log writers. Each part is made on first use (a command that
only reads the database never loads the reference data) and :meth:`Runtime.close` flushes
the writers and releases the database connections.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from features.reference import Reference, load_reference
from recommender.db.engine import make_engine, make_session_factory
from recommender.settings import Settings
from training.registry import ModelRegistry

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from recommender.projects.dashboard import DashboardCache
    from recommender.ranking.factory import ServiceHolder
    from recommender.ranking.logbook import RecommendationLog
    from recommender.ranking.rules import Rules
    from recommender.security.audit import AuditWriter


@dataclass
class Runtime:
    """Engine, sessions, reference data, model registry, rules, the ranking service and the
    batching writers of the recommendation log and the audit log, for one installation."""

    settings: Settings
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.effective_database_url)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        with self._lock:
            return make_session_factory(self.engine)

    @cached_property
    def reference(self) -> Reference:
        return load_reference(self.settings.reference_dir)

    @cached_property
    def registry(self) -> ModelRegistry:
        return ModelRegistry(self.settings.models_dir)

    @cached_property
    def rules(self) -> Rules:
        from recommender.ranking.rules import load_rules

        return load_rules(self.settings.rules_file)

    @cached_property
    def ranking(self) -> ServiceHolder:
        """The ranking service holder (the service itself is built on the first ``get()``)."""
        from recommender.ranking.factory import ServiceHolder

        with self._lock:
            return ServiceHolder(
                self.session_factory,
                self.reference,
                self.registry,
                self.rules,
                home=self.settings.home,
                freeze_heap=self.settings.freeze_heap,
            )

    @cached_property
    def recommendation_log(self) -> RecommendationLog:
        """The batching writer of ``recommendation_log`` (every list shown goes through it)."""
        from recommender.ranking.logbook import RecommendationLog

        with self._lock:
            return RecommendationLog(self.session_factory)

    @cached_property
    def audit_writer(self) -> AuditWriter:
        """The batching writer of the audit log for lists served over the API."""
        from recommender.security.audit import AuditWriter

        with self._lock:
            return AuditWriter(self.session_factory)

    @cached_property
    def dashboard_cache(self) -> DashboardCache:
        from recommender.projects.dashboard import DashboardCache

        return DashboardCache()

    def close(self) -> None:
        """Write what the log writers hold and release the database connections."""
        for name in ("recommendation_log", "audit_writer"):
            writer = self.__dict__.pop(name, None)  # a later use starts a new writer
            if writer is not None:
                writer.close()
        engine = self.__dict__.get("engine")
        if engine is not None:
            engine.dispose()
