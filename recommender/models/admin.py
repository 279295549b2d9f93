"""Model management for the API and the pages: the registry, promotion and rollback.

The registry on disk (training/registry.py) is the truth; every change is mirrored into the
``model_versions`` table so lists can be served from the database. Registry errors become
the domain errors that api/ maps to HTTP statuses.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from recommender.errors import ConflictError, ModelError, NotFoundError
from recommender.models.training import mirror_version
from recommender.settings import Settings
from training.errors import ModelIntegrityError, ModelNotFoundError, RegistryError
from training.registry import ModelInfo, ModelRegistry

__all__ = ["ModelInfo", "ModelRegistry", "promote", "registry_for", "rollback", "versions"]


def registry_for(settings: Settings) -> ModelRegistry:
    """The model registry of an installation."""
    return ModelRegistry(settings.models_dir)


def versions(settings: Settings) -> list[ModelInfo]:
    """Every registered version, oldest first."""
    return list(registry_for(settings).list())


def promote(settings: Settings, session: Session, version: str) -> tuple[str | None, str | None]:
    """Make ``version`` production; returns (previous, production) and mirrors both."""
    registry = registry_for(settings)
    previous = registry.production()
    try:
        registry.promote(version)
    except ModelNotFoundError as exc:
        raise NotFoundError(str(exc)) from exc
    except ModelIntegrityError as exc:
        raise ModelError(str(exc)) from exc
    _mirror(session, registry, previous, version)
    return previous, registry.production()


def rollback(settings: Settings, session: Session) -> tuple[str | None, str | None]:
    """Return production to the version before it; returns (previous, production)."""
    registry = registry_for(settings)
    previous = registry.production()
    try:
        registry.rollback()
    except RegistryError as exc:
        raise ConflictError(str(exc)) from exc
    _mirror(session, registry, previous, registry.production())
    return previous, registry.production()


def _mirror(session: Session, registry: ModelRegistry, *versions: str | None) -> None:
    for v in versions:
        if v:
            mirror_version(session, registry, v)
    session.commit()
