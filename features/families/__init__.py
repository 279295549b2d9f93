"""Pair feature families; each module computes its columns for all pairs at once."""
