"""Domain errors, in one module; api/ maps each class to an HTTP status in one place."""

from __future__ import annotations

from dataclasses import dataclass, field

from features.errors import ChainmatchError, NotFittedError, ReferenceDataError, SchemaError

__all__ = [
    "AuthError",
    "ChainmatchError",
    "ConflictError",
    "ForbiddenError",
    "ImportValidationError",
    "ModelError",
    "NotFittedError",
    "NotFoundError",
    "ReferenceDataError",
    "RowError",
    "SchemaError",
    "TooManyAttemptsError",
    "UnavailableError",
    "ValidationError",
]


class NotFoundError(ChainmatchError, LookupError):
    """A requested entity does not exist."""


class ConflictError(ChainmatchError):
    """The request conflicts with the current state."""


class ValidationError(ChainmatchError, ValueError):
    """An input value is invalid."""


class AuthError(ChainmatchError):
    """No or an unknown API key."""


class TooManyAttemptsError(AuthError):
    """Too many failed sign-ins for this user name or client: refused for a while."""


class UnavailableError(ChainmatchError):
    """A service the request needs (the database) is down for now; retry later."""


class ForbiddenError(ChainmatchError):
    """The key's role or city does not allow this."""


class ModelError(ChainmatchError):
    """No usable model, or a model that fails its checks."""


@dataclass(frozen=True)
class RowError:
    """One problem in one row of an imported file (line is the 1-based file line)."""

    line: int
    column: str
    expected: str
    got: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: expected {self.expected}, got {self.got!r}"


@dataclass
class ImportValidationError(ChainmatchError, ValueError):
    """An import was rejected; nothing was written."""

    kind: str
    source: str
    errors: list[RowError] = field(default_factory=list)
    message: str = ""

    def __str__(self) -> str:
        head = self.message or f"{self.source}: {len(self.errors)} problem(s) in {self.kind}"
        lines = [head, *(str(e) for e in self.errors[:50])]
        if len(self.errors) > 50:
            lines.append(f"... and {len(self.errors) - 50} more")
        return "\n".join(lines)
