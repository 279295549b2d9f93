"""What a command or the app needs at run time, built from settings in one place."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from features.reference import Reference, load_reference
from recommender.db.engine import make_engine, make_session_factory
from recommender.ranking.factory import ServiceHolder
from recommender.ranking.rules import Rules, load_rules
from recommender.settings import Settings
from training.registry import ModelRegistry


@dataclass
class Runtime:
    """Engine, sessions, reference data, model registry, rules and the ranking service."""

    settings: Settings

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.effective_database_url)

    @cached_property
    def session_factory(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def reference(self) -> Reference:
        return load_reference(self.settings.reference_dir)

    @cached_property
    def registry(self) -> ModelRegistry:
        return ModelRegistry(self.settings.models_dir)

    @cached_property
    def rules(self) -> Rules:
        return load_rules(self.settings.rules_file)

    @cached_property
    def ranking(self) -> ServiceHolder:
        return ServiceHolder(
            self.session_factory,
            self.reference,
            self.registry,
            self.rules,
            home=self.settings.home,
        )
