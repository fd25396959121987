"""Writing `export_rows` to CSV (UTF-8 with a byte-order mark) or Parquet (one row per
paragraph) and `export_articles` to JSON Lines (one nested article per line), streaming
(constant memory)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from persuasion_lens.storage.database import Database
from persuasion_lens.storage.queries import (
    EXPORT_COLUMNS,
    Filters,
    export_articles,
    export_rows,
)


def write_jsonl(db: Database, output: Path, filters: Filters | None = None) -> int:
    """One article a line; returns the number of articles written."""
    written = 0
    with output.open("w", encoding="utf-8") as handle:
        for article in export_articles(db, filters):
            handle.write(json.dumps(article, ensure_ascii=False) + "\n")
            written += 1
    return written


def write_csv(db: Database, output: Path, filters: Filters | None = None) -> int:
    """One paragraph a row, as UTF-8 with a byte-order mark: without it Excel reads the file in
    the locale's code page and garbles every non-ASCII letter. Returns the rows written."""
    written = 0
    with output.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        for row in export_rows(db, filters):
            writer.writerow(row)
            written += 1
    return written


def _arrow_schema():
    import pyarrow as pa

    types = {"article_id": pa.int64(), "paragraph_index": pa.int32(), "published": pa.date32(),
             "side_russian_probability": pa.float64()}
    return pa.schema([
        (name, types.get(name, pa.float64() if name.startswith("confidence_") else pa.string()))
        for name in EXPORT_COLUMNS
    ])


def write_parquet(db: Database, output: Path, filters: Filters | None = None,
                  chunk: int = 5000) -> int:
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema()
    written = 0
    buffer: list[dict] = []

    def flush(writer) -> None:
        for row in buffer:
            if row["published"]:
                row["published"] = dt.date.fromisoformat(row["published"])
        writer.write_table(pa.Table.from_pylist(buffer, schema=schema))
        buffer.clear()

    with pq.ParquetWriter(output, schema) as writer:
        for row in export_rows(db, filters):
            buffer.append(row)
            written += 1
            if len(buffer) >= chunk:
                flush(writer)
        if buffer or written == 0:
            flush(writer)
    return written
