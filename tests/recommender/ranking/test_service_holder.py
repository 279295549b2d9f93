"""ServiceHolder's heap freeze: a server keeps its ranking data out of the collector's walks,
and a refresh lets the previous data's cycles be collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from recommender.ranking.factory import ServiceHolder


class _Service:
    """Stands for a built service: holds a cycle, as pandas and model objects do."""

    def __init__(self) -> None:
        self.me = self


def _holder(*, freeze_heap: bool) -> ServiceHolder:
    holder = ServiceHolder(
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        freeze_heap=freeze_heap,
    )
    holder._build = _Service  # type: ignore[method-assign, assignment]
    return holder


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_the_first_build_freezes_the_heap_only_when_asked() -> None:
    _holder(freeze_heap=False).get()
    assert gc.get_freeze_count() == 0
    service: Any = _holder(freeze_heap=True).get()
    assert gc.get_freeze_count() > 0
    assert not any(o is service for o in gc.get_objects())  # frozen: out of the walks


def test_a_refresh_collects_the_previous_service_and_freezes_the_new_one() -> None:
    holder = _holder(freeze_heap=True)
    old = weakref.ref(holder.get())
    assert old() is not None
    holder.refresh()
    assert old() is None  # its cycle was collected, although it had been frozen
    assert gc.get_freeze_count() > 0
    assert holder.get() is not None
