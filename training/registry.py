"""Model registry on local disk: versioned LightGBM text models, metadata, a production pointer.

Layout under ``root`` (``$CHAINMATCH_HOME/models`` in the application)::

    root/
      20261127T120501-3fa9c2/      one directory per version (sortable: UTC time, then 6 hex)
        model.txt                  LightGBM text (Booster.model_to_string())
        metadata.json              see ModelMetadata; plus version, created_at, sha256
      PRODUCTION                   the production version, one line
      PRODUCTION.history.json      {"stack": [...versions...], "events": [...]} for rollback

A version directory is written under a temporary name and renamed into place, so a reader
never sees half a model. ``PRODUCTION`` and its history are replaced with ``os.replace``, so a
reader always sees a whole version id. Promotion and rollback are meant for one writer at a
time (the CLI); concurrent readers (API processes) are safe. No pickles: the calibrator is
stored as threshold lists inside ``metadata.json``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lightgbm

from training.calibration import IsotonicCalibrator
from training.errors import ModelIntegrityError, ModelNotFoundError, RegistryError
from training.metadata import ModelMetadata, TrainingWindow, data_hash, library_versions

__all__ = [
    "LoadedModel",
    "ModelInfo",
    "ModelMetadata",
    "ModelRegistry",
    "TrainingWindow",
    "data_hash",
    "library_versions",
]

MODEL_FILE = "model.txt"
METADATA_FILE = "metadata.json"
POINTER_FILE = "PRODUCTION"
HISTORY_FILE = "PRODUCTION.history.json"
METADATA_FORMAT = 1
_VERSION_RE = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{6}$")


@dataclass(frozen=True)
class ModelInfo:
    """A registered version as listed by the registry."""

    version: str
    created_at: datetime
    sha256: str
    metadata: ModelMetadata
    path: Path
    production: bool


@dataclass(frozen=True)
class LoadedModel:
    """A checked model ready to score: booster, metadata and calibrator (or None)."""

    version: str
    booster: lightgbm.Booster
    metadata: ModelMetadata
    calibrator: IsotonicCalibrator | None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so readers see the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _model_text_features(text: str) -> list[str] | None:
    for line in text.splitlines():
        if line.startswith("feature_names="):
            return line[len("feature_names=") :].split(" ")
        if line.startswith("Tree="):
            break
    return None


class ModelRegistry:
    """Versioned models under ``root``; see the module docstring for the layout.

    Parameters
    ----------
    root : directory of the registry; created on the first :meth:`register`.
    clock : returns the current time (aware); injected so tests can fix it.
    """

    def __init__(self, root: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.root = Path(root)
        self._clock = clock or (lambda: datetime.now(UTC))

    # -- writing -----------------------------------------------------------------------
    def register(self, booster_text: str, metadata: ModelMetadata) -> str:
        """Store a model as a new version and return its id (not promoted).

        Parameters
        ----------
        booster_text : ``Booster.model_to_string()`` output.
        metadata : its metadata; ``feature_names`` must equal those in the model text.

        Raises
        ------
        ModelIntegrityError
            If the text is not a LightGBM model or its features differ from the metadata's.
        """
        names = _model_text_features(booster_text)
        if names is None:
            raise ModelIntegrityError(
                "booster_text is not a LightGBM text model (no feature_names=)"
            )
        if names != list(metadata.feature_names):
            raise ModelIntegrityError(
                f"model text has features {names}, metadata says {list(metadata.feature_names)}"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        data = booster_text.encode("utf-8")
        created = self._clock().astimezone(UTC)
        while True:
            version = f"{created:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
            if not (self.root / version).exists():
                break
        record = {
            "format": METADATA_FORMAT,
            "version": version,
            "created_at": created.isoformat(),
            "sha256": _sha256(data),
            **metadata.to_json_dict(),
        }
        tmp = self.root / f".tmp-{version}"
        tmp.mkdir()
        (tmp / MODEL_FILE).write_bytes(data)
        (tmp / METADATA_FILE).write_text(
            json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        os.replace(tmp, self.root / version)
        return version

    def promote(self, version: str) -> None:
        """Make ``version`` the production model (checksum verified first).

        Promoting the current production version changes nothing.
        """
        self.verify(version)
        current = self.production()
        if current == version:
            return
        history = self._history()
        history["stack"].append(version)
        self._switch(history, version, action="promote", previous=current)

    def rollback(self) -> str:
        """Return production to the version promoted before the current one; return its id.

        Raises
        ------
        RegistryError
            If there is no earlier production version.
        """
        current = self.production()
        history = self._history()
        stack: list[str] = history["stack"]
        if current in stack:  # drop anything after the live pointer (an interrupted switch)
            del stack[len(stack) - stack[::-1].index(current) :]
            stack.pop()
        if not stack:
            raise RegistryError(
                f"no earlier production model to roll back to (production is {current!r})"
            )
        previous = stack[-1]
        self.verify(previous)
        self._switch(history, previous, action="rollback", previous=current)
        return previous

    def _switch(
        self, history: dict[str, Any], version: str, *, action: str, previous: str | None
    ) -> None:
        history["events"].append(
            {
                "at": self._clock().astimezone(UTC).isoformat(),
                "action": action,
                "version": version,
                "previous": previous,
            }
        )
        # history first: if we stop in between, the pointer still names the old version and
        # rollback() trims the stack back to it
        _atomic_write(self.root / HISTORY_FILE, json.dumps(history, indent=2))
        _atomic_write(self.root / POINTER_FILE, version + "\n")

    def _history(self) -> dict[str, Any]:
        path = self.root / HISTORY_FILE
        if not path.exists():
            return {"stack": [], "events": []}
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    # -- reading -----------------------------------------------------------------------
    def production(self) -> str | None:
        """The production version id, or None if nothing was promoted."""
        path = self.root / POINTER_FILE
        try:
            text = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return text or None

    def history(self) -> list[dict[str, Any]]:
        """Promotion and rollback events, oldest first."""
        events: list[dict[str, Any]] = self._history()["events"]
        return events

    def list(self) -> list[ModelInfo]:
        """Every registered version, oldest first."""
        if not self.root.is_dir():
            return []
        versions = sorted(
            p.name
            for p in self.root.iterdir()
            if _VERSION_RE.match(p.name) and (p / METADATA_FILE).is_file()
        )
        return [self.show(v) for v in versions]

    def show(self, version: str) -> ModelInfo:
        """Metadata of one version (files not verified; see :meth:`verify`)."""
        record = self._record(version)
        return ModelInfo(
            version=version,
            created_at=datetime.fromisoformat(record["created_at"]),
            sha256=record["sha256"],
            metadata=ModelMetadata.from_json_dict(record),
            path=self.root / version,
            production=self.production() == version,
        )

    def verify(self, version: str) -> bytes:
        """Check the model file against its recorded sha256; return its bytes.

        Raises
        ------
        ModelNotFoundError, ModelIntegrityError
        """
        record = self._record(version)
        try:
            data = (self.root / version / MODEL_FILE).read_bytes()
        except FileNotFoundError as exc:
            raise ModelIntegrityError(f"model {version} has no {MODEL_FILE}") from exc
        actual = _sha256(data)
        if actual != record["sha256"]:
            raise ModelIntegrityError(
                f"model {version}: {MODEL_FILE} sha256 is {actual}, expected {record['sha256']}"
            )
        return data

    def load(self, version: str, *, expected_features: Sequence[str] | None = None) -> LoadedModel:
        """Load a checked model.

        Parameters
        ----------
        version : a registered version id (e.g. from :meth:`production`).
        expected_features : the feature names, in order, the caller will pass; None skips
            this check.

        Raises
        ------
        ModelNotFoundError
            If the version is not registered.
        ModelIntegrityError
            If the checksum, the model's own feature list or ``expected_features`` differ
            from the metadata.
        """
        data = self.verify(version)
        info = self.show(version)
        stored = list(info.metadata.feature_names)
        if expected_features is not None and list(expected_features) != stored:
            raise ModelIntegrityError(
                f"model {version} was trained on features of another catalogue "
                f"({_feature_change(stored, list(expected_features))})"
            )
        booster = lightgbm.Booster(model_str=data.decode("utf-8"))
        if list(booster.feature_name()) != stored:
            raise ModelIntegrityError(
                f"model {version}: model.txt has features {booster.feature_name()}, "
                f"metadata says {stored}"
            )
        cal = info.metadata.calibration
        return LoadedModel(
            version=version,
            booster=booster,
            metadata=info.metadata,
            calibrator=IsotonicCalibrator.from_dict(cal) if cal is not None else None,
        )

    def _record(self, version: str) -> dict[str, Any]:
        if not _VERSION_RE.match(version):
            raise ModelNotFoundError(
                f"{version!r} is not a version id; expected like 20261127T120501-3fa9c2"
            )
        path = self.root / version / METADATA_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ModelNotFoundError(f"no model {version} in {self.root}") from exc
        try:
            record: dict[str, Any] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelIntegrityError(
                f"model {version}: {METADATA_FILE} is not JSON: {exc}"
            ) from exc
        if record.get("version") != version:
            raise ModelIntegrityError(
                f"model {version}: metadata names version {record.get('version')!r}"
            )
        return record


def _feature_change(stored: list[str], expected: list[str]) -> str:
    """What differs between a model's feature list and the expected one, in one line."""
    new = [n for n in expected if n not in stored]
    gone = [n for n in stored if n not in expected]
    moved = "" if new or gone else "; the same features in another order"
    return f"new: {', '.join(new) or '-'}; gone: {', '.join(gone) or '-'}{moved}"
