"""Writing `export_rows` to CSV (UTF-8, with a byte-order mark in a regular file) or Parquet
(one row per paragraph) and `export_articles` to JSON Lines (one nested article per line),
streaming (constant memory). Each is written beside the output and put in its place once
complete, so an export that fails or is interrupted leaves no half file and keeps the one it
would have replaced. Each writer also takes a binary stream (standard output) instead of a
path."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from persuasion_lens.storage.database import Database
from persuasion_lens.storage.queries import (
    EXPORT_COLUMNS,
    Filters,
    export_articles,
    export_rows,
)


@contextlib.contextmanager
def _written_whole(output: Path) -> Iterator[Path]:
    """A new file beside `output` to write, which replaces `output` when the block ends
    normally and is removed when it raises (Ctrl-C included). Where `output` is no regular
    file (/dev/stdout, a named pipe), it is written directly."""
    if output.exists() and not output.is_file():
        yield output
        return
    target = output.resolve() if output.is_symlink() else output
    if target.exists() and not os.access(target, os.W_OK):  # a rename would overwrite it
        raise PermissionError(f"{output}: cannot write (permission denied)")
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


@contextlib.contextmanager
def _target(output: Path | BinaryIO) -> Iterator[Path | BinaryIO]:
    """What to write: a new file beside a path (`_written_whole`), or the stream itself."""
    if not isinstance(output, Path):
        yield output
        return
    with _written_whole(output) as partial:
        yield partial


@contextlib.contextmanager
def _text(target: Path | BinaryIO, encoding: str) -> Iterator[TextIO]:
    """A text handle on the target; a stream is flushed and left open."""
    if isinstance(target, Path):
        with target.open("w", newline="", encoding=encoding) as handle:
            yield handle
        return
    handle = io.TextIOWrapper(target, encoding=encoding, newline="")
    try:
        yield handle
    finally:
        handle.flush()
        handle.detach()


def write_jsonl(db: Database, output: Path | BinaryIO, filters: Filters | None = None) -> int:
    """One article a line; returns the number of articles written."""
    written = 0
    with _target(output) as target, _text(target, "utf-8") as handle:
        for article in export_articles(db, filters):
            handle.write(json.dumps(article, ensure_ascii=False) + "\n")
            written += 1
    return written


def write_csv(db: Database, output: Path | BinaryIO, filters: Filters | None = None) -> int:
    """One paragraph a row, as UTF-8 with a byte-order mark in a regular file: without it Excel
    reads the file in the locale's code page and garbles every non-ASCII letter. A stream or a
    named pipe (feeding another program, not Excel) gets no mark: `cut -d, -f1` would read
    "\\ufeffarticle_id". Returns the rows written."""
    written = 0
    encoding = "utf-8-sig" if _is_regular_file(output) else "utf-8"
    with _target(output) as target, _text(target, encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        for row in export_rows(db, filters):
            writer.writerow(row)
            written += 1
    return written


def _is_regular_file(output: Path | BinaryIO) -> bool:
    """A path to a regular file, or to none yet (it will be one); not /dev/stdout or a FIFO."""
    return isinstance(output, Path) and (output.is_file() or not output.exists())


def _arrow_schema():
    import pyarrow as pa

    types = {"article_id": pa.int64(), "paragraph_index": pa.int32(), "published": pa.date32(),
             "side_russian_probability": pa.float64()}
    return pa.schema([
        (name, types.get(name, pa.float64() if name.startswith("confidence_") else pa.string()))
        for name in EXPORT_COLUMNS
    ])


def write_parquet(db: Database, output: Path | BinaryIO, filters: Filters | None = None,
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

    with _target(output) as target, pq.ParquetWriter(target, schema) as writer:
        for row in export_rows(db, filters):
            buffer.append(row)
            written += 1
            if len(buffer) >= chunk:
                flush(writer)
        if buffer or written == 0:
            flush(writer)
    return written
