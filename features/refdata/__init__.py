"""Builders turning the raw public tables into chainmatch's reference tables."""

from __future__ import annotations

from features.refdata.build import TABLES, build_reference, build_tables

__all__ = ["TABLES", "build_reference", "build_tables"]
