"""Datasets and labels, rankers and baselines, metrics, model registry, reports, the synthetic world."""
