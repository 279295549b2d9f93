"""Errors raised by the bottom layers; recommender/errors.py builds the domain errors on them."""

from __future__ import annotations


class ChainmatchError(Exception):
    """Base of every error chainmatch raises on purpose."""


class SchemaError(ChainmatchError, ValueError):
    """A frame lacks a required column or a column has the wrong type."""


class ReferenceDataError(ChainmatchError, ValueError):
    """Reference data is missing or inconsistent."""


class NotFittedError(ChainmatchError, RuntimeError):
    """A learned transform was used before ``fit``."""
