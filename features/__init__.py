"""Feature pipelines: reference data, entity frames, pair features, candidate generation.

The bottom layer: numpy, pandas, scipy and scikit-learn only; no database, no model.
"""
