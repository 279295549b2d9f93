"""Errors raised by training/: bad metric input, registry problems, refused models."""

from __future__ import annotations

from features.errors import ChainmatchError


class TrainingError(ChainmatchError):
    """Base of the errors raised on purpose by training/."""


class InvalidInputError(TrainingError, ValueError):
    """An argument has the wrong value, shape or type (e.g. ``k`` < 1, arrays of unequal length)."""


class ModelNotFoundError(TrainingError, LookupError):
    """The registry holds no model with the requested version."""


class RegistryError(TrainingError, RuntimeError):
    """The registry cannot do what was asked (e.g. rollback with no earlier production model)."""


class ModelIntegrityError(TrainingError, ValueError):
    """A stored model fails its checks: checksum, metadata or feature list do not match."""
