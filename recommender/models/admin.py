"""Model management for the API and the pages: the registry, promotion, rollback, reports.

The registry on disk (training/registry.py) is the truth; every change is mirrored into the
``model_versions`` table so lists can be served from the database. Registry errors become
the domain errors that api/ maps to HTTP statuses.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from sqlalchemy.orm import Session

from recommender.errors import ConflictError, ModelError, NotFoundError
from recommender.models.training import mirror_version
from recommender.settings import Settings
from training.errors import ModelIntegrityError, ModelNotFoundError, RegistryError
from training.registry import ModelInfo, ModelRegistry

__all__ = [
    "ModelInfo",
    "ModelRegistry",
    "find_report",
    "promote",
    "report_names",
    "rollback",
    "version_report",
    "versions",
]

# a report file: an HTML page with its plots, a PNG or a JSON, by a plain name
_REPORT_NAME: Final = re.compile(r"^[A-Za-z0-9_.\-]+\.(html|png|json)$")
_VERSION: Final = re.compile(r"\d{8}T\d{6}-[0-9a-f]{6}")


def versions(registry: ModelRegistry) -> list[ModelInfo]:
    """Every registered version, oldest first."""
    return list(registry.list())


def promote(
    registry: ModelRegistry, session: Session, version: str
) -> tuple[str | None, str | None]:
    """Make ``version`` production; returns (previous, production) and mirrors both."""
    previous = registry.production()
    try:
        registry.promote(version)
    except ModelNotFoundError as exc:
        raise NotFoundError(str(exc)) from exc
    except ModelIntegrityError as exc:
        raise ModelError(str(exc)) from exc
    _mirror(session, registry, previous, version)
    return previous, registry.production()


def rollback(registry: ModelRegistry, session: Session) -> tuple[str | None, str | None]:
    """Return production to the version before it; returns (previous, production)."""
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


def report_names(settings: Settings) -> list[str]:
    """Names of report files (HTML, PNG, JSON) directly under the reports directory."""
    root = Path(settings.reports_dir)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_file() and _REPORT_NAME.match(p.name))


def find_report(settings: Settings, name: str) -> Path:
    """A report file by name: ``file`` in the reports directory, or ``version/file`` in a
    model's directory. Any other name (a path that leaves them, an unknown file) is not found.
    """
    head, _, tail = name.partition("/")
    if tail:
        base, fname = Path(settings.models_dir) / head, tail
        if not _VERSION.fullmatch(head):
            raise NotFoundError(f"no report {name!r}")
    else:
        base, fname = Path(settings.reports_dir), head
    if not _REPORT_NAME.match(fname):
        raise NotFoundError(f"no report {name!r}; expected a .html, .png or .json file name")
    path = (base / fname).resolve()
    if path.parent != base.resolve() or not path.is_file():
        raise NotFoundError(f"no report {name!r}")
    return path


def version_report(settings: Settings, version: str) -> Path:
    """The HTML evaluation report written when ``version`` was trained: ``<version>.html``
    in the reports directory, else the newest report whose name contains the version."""
    pages = [n for n in report_names(settings) if n.endswith(".html") and version in n]
    if f"{version}.html" in pages:
        return find_report(settings, f"{version}.html")
    if not pages:
        raise NotFoundError(f"no report for model {version} in {settings.reports_dir}")
    return find_report(settings, pages[-1])
