"""The ranking service: candidates → features → model → explanations → business rules → top-k."""
