"""The reference data as recommender/ and api/ see it (built and loaded by features/)."""

from __future__ import annotations

from features.reference import Reference, load_reference

__all__ = ["Reference", "load_reference"]
