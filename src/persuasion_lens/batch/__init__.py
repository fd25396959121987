"""Corpus mode: read many articles, analyse them (in this process or on a Dask cluster) and
store the results. See docs/corpus.md."""

from __future__ import annotations

from persuasion_lens.batch.readers import ColumnNames, Failure, Record, read_inputs
from persuasion_lens.batch.runner import (
    AnalyzerSpec,
    BatchInterrupted,
    BatchStopped,
    BatchSummary,
    run_batch,
)

__all__ = [
    "AnalyzerSpec",
    "BatchInterrupted",
    "BatchStopped",
    "BatchSummary",
    "ColumnNames",
    "Failure",
    "Record",
    "read_inputs",
    "run_batch",
]
