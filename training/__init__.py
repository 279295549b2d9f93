"""Datasets and labels, rankers and baselines, metrics, registry, reports, the synthetic world."""
