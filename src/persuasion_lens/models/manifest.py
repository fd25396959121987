"""The JSON file that describes a saved model folder (its settings, thresholds, version), and
the gzipped JSON files beside it."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any


def write_manifest(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def read_manifest(path: Path, what: str) -> dict[str, Any]:
    """Read a model folder's manifest; a missing one means the folder holds no such model."""
    if not path.is_file():
        raise FileNotFoundError(f"{path.parent}: no {what} here ({path.name} missing)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:  # bad JSON or not UTF-8: it said only "Expecting value: ..."
        raise ValueError(f"{path}: not the manifest of a {what} ({error})") from None


def write_gzipped_json(path: Path, data: Any, **dump_options: Any) -> None:
    """Write JSON gzipped with no timestamp or file name in the header, so that retraining
    writes the same bytes."""
    with (open(path, "wb") as raw,
          gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as packed,
          io.TextIOWrapper(packed, encoding="utf-8") as handle):
        json.dump(data, handle, ensure_ascii=False, **dump_options)
