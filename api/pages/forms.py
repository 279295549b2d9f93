"""What every form handler does with its work: run it, and on a domain error roll the
session back and hand the page what to show (the message in Chinese and the bad rows)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy.orm import Session

from api.pages.messages import domain_zh
from recommender.errors import ChainmatchError, ImportValidationError

T = TypeVar("T")


@dataclass(frozen=True)
class Failure:
    """A form's work that failed: the message for the page, the rows at fault, the error."""

    error: ChainmatchError
    message: str
    row_errors: list[dict[str, object]] = field(default_factory=list)


def failure(exc: ChainmatchError) -> Failure:
    """The page's view of a domain error (an import's row errors listed by line)."""
    rows = [vars(e) for e in exc.errors] if isinstance(exc, ImportValidationError) else []
    return Failure(exc, domain_zh(exc), rows)


def attempt(session: Session, work: Callable[[], T]) -> T | Failure:
    """``work()``; a domain error rolls ``session`` back (nothing of the work is kept) and
    comes back as a :class:`Failure` for the page to re-render with."""
    try:
        return work()
    except ChainmatchError as exc:
        session.rollback()
        return failure(exc)
