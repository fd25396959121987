"""Readers for the research data the models are trained on (never shipped with the package)."""
