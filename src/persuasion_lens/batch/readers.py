"""Input readers: folders of .txt/.html files, JSON Lines, CSV and Parquet files.

Readers yield `Record`s (one article each) and `Failure`s (a malformed row, an unreadable file,
a file without the text column): a bad input is recorded and reading goes on.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import itertools
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from persuasion_lens.batch.ids import unique_ids
from persuasion_lens.text.reading import (
    ARTICLE_SUFFIXES,
    MAX_INPUT_BYTES,
    InputError,
    check_not_empty,
    check_regular_file,
    guess_file_encoding,
    missing_path_error,
    read_bounded,
    replace_unstorable,
    text_from_bytes,
    too_large,
)

JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
CSV_SUFFIXES = {".csv", ".tsv"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
MAX_ARTICLE_BYTES = MAX_INPUT_BYTES


@dataclass(frozen=True)
class ColumnNames:
    """Which columns (JSON keys) hold what; only `text` is required."""

    text: str = "text"
    id: str = "id"
    title: str = "title"
    outlet: str = "outlet"
    url: str = "url"
    published: str = "published"
    lang: str = "lang"

    def renamed(self) -> list[tuple[str, str]]:
        """(column, option) of each optional column given another name than its default: a
        column named so must be there (the defaults may be missing)."""
        default = ColumnNames()
        return [(getattr(self, name), f"--{name}-column") for name in _OPTIONAL_COLUMNS
                if getattr(self, name) != getattr(default, name)]


_OPTIONAL_COLUMNS = ("id", "title", "outlet", "url", "published", "lang")
# Where feeds and exports put the publication date when they have no `published` column (read
# only while --published-column is left at its default): a `date` column was ignored, and a
# corpus lost all its dates without a word.
PUBLISHED_ALIASES = ("datePublished", "date_published", "published_at", "publication_date",
                     "pubdate", "date")  # the most telling first


@dataclass
class Record:
    """One article to analyse, with the metadata its input gave."""

    text: str
    source: str
    location: str = ""
    external_id: str | None = None
    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    published: str | None = None  # ISO date
    lang: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # ids it may have been stored under by an older version (a file named directly was stored
    # under its path as typed; a file sharing its name with another of the run, under its
    # name alone): an article stored under one of them counts as stored
    former_ids: tuple[str, ...] = ()
    # the id names the row's place (`feed.jsonl:17`: the row gave none): a label to find the
    # article by, no part of its identity, which is its text alone (see `identity_id`)
    id_from_place: bool = False
    # what reading it met that is no failure, stored among the article's warnings
    warnings: tuple[str, ...] = ()
    short_row: str = ""  # a CSV row with fewer fields than the header: "t.csv, row 7"

    def identity_id(self) -> str | None:
        """The id that, with the text, identifies the article (None for a made-up one: a row
        moved by a line inserted above it is still the article stored)."""
        return None if self.id_from_place else self.external_id

    def where(self) -> str:
        """Where the article came from, for the `source` column and messages."""
        if "file" in self.extra:
            return str(self.extra["file"])
        return f"{self.source} ({self.location})" if self.location else self.source

    def place(self) -> tuple[str, str]:
        """Where a failure of this article is recorded: its file, or its table and row (see
        `failure_source`)."""
        if "file" in self.extra:
            return failure_source(Path(self.extra["file"])), ""
        return failure_source(Path(self.source)), self.location

    def input_place(self) -> tuple[str, str]:
        """Where a failure of the whole input it came from is recorded (a table without the
        text column, a folder without articles): the input's file or folder, no location."""
        return failure_source(Path(self.source)), ""

    def article_text(self) -> str:
        """The text to analyse: the title becomes line 1 unless the text already starts with it
        (the models read the first line as the title)."""
        text = self.text.strip("\ufeff")
        title = (self.title or "").strip()
        if title and not text.lstrip().startswith(title):
            return f"{title}\n\n{text}"
        return text


@dataclass
class Failure:
    source: str
    location: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "location": self.location, "reason": self.reason}


Item = Record | Failure


def failure_source(path: Path) -> str:
    """A failure's source: the input file's resolved path, so that a file named two ways (a
    folder given as `corpus` and as `./corpus/`) is one failure, and a failure of a file in a
    folder names the file itself."""
    return _resolved(Path(os.path.abspath(path)))  # absolute first: the cache outlives a chdir


@functools.lru_cache(maxsize=4096)  # asked for every row of a table
def _resolved(path: Path) -> str:
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return str(path)


class InputFormatError(InputError):
    """A whole input file that cannot be read as a table (e.g. no text column)."""


def input_kind(path: Path) -> str:
    if path.is_dir():
        return "folder"
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    return "file"


def check_inputs(inputs: list[str]) -> None:
    """Fail early (one line) for inputs that do not exist at all."""
    if not inputs:
        raise InputError("name at least one input: a folder, .jsonl, .csv or .parquet file")
    for raw in inputs:
        check_not_empty(raw)
        if not Path(raw).exists():
            raise missing_path_error(raw)


def read_inputs(inputs: list[str], columns: ColumnNames | None = None) -> Iterator[Item]:
    columns = columns or ColumnNames()
    names = InputNames.of(inputs)
    for raw in inputs:
        if not raw:
            yield Failure("", "", "the path is empty")
            continue
        path = Path(raw)
        kind = input_kind(path)
        try:
            if kind != "folder" and path.exists():
                check_regular_file(path, raw)
            if kind == "folder":
                yield from read_folder(path, names)
            elif kind == "jsonl":
                yield from read_jsonl(path, columns, names.table(path))
            elif kind == "csv":
                yield from read_csv(path, columns, names.table(path))
            elif kind == "parquet":
                yield from read_parquet(path, columns, names.table(path))
            else:
                yield _single_file(path, raw, names)
        except (InputError, OSError, UnicodeDecodeError) as error:
            yield Failure(failure_source(path), "",
                          _without_prefix(_one_line(error), raw, path.name))


def count_inputs(inputs: list[str], columns: ColumnNames | None = None) -> int | None:
    """How many articles the inputs hold (cheap where possible); None when unknown."""
    total = 0
    for raw in inputs:
        path = Path(raw)
        kind = input_kind(path)
        try:
            if kind != "folder" and not path.is_file():  # a FIFO could block: one failure
                total += 1
            elif kind == "folder":
                total += sum(1 for _ in _folder_files(path))
            elif kind == "jsonl":
                total += _count_jsonl_items(path)
            elif kind == "csv":
                total += _count_csv_rows(path, columns or ColumnNames())
            elif kind == "parquet":
                import pyarrow.parquet as pq

                parquet = pq.ParquetFile(path)
                _check_columns(path, columns or ColumnNames(), parquet.schema_arrow.names)
                total += parquet.metadata.num_rows
            else:
                total += 1
        except Exception:  # counting is only for the progress bar; such a file is 1 failure
            total += 1
    return total


# --- folders and single files --------------------------------------------------------------


def _folder_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in ARTICLE_SUFFIXES:
            yield path


def read_folder(folder: Path, names: InputNames | None = None) -> Iterator[Item]:
    names = names or InputNames.of([str(folder)])
    found = False
    for path in _folder_files(folder):
        found = True
        relative = path.relative_to(folder)
        natural = str(relative.with_suffix(""))
        try:
            record = read_article_file(path, names.article(path, natural), source=str(folder),
                                       location=str(relative))
        except (InputError, OSError) as error:
            yield Failure(failure_source(path), "", _without_prefix(_one_line(error), path.name))
            continue
        record.former_ids = tuple(former for former in (natural,)
                                  if former != record.external_id)
        yield record
    if not found:
        yield Failure(failure_source(folder), "",
                      "the folder holds no .txt, .md or .html articles")


def _single_file(path: Path, raw: str, names: InputNames | None = None) -> Record:
    """A file named directly: its id is its name without suffix, as in a folder given (`a.txt`,
    `./a.txt` and `.` are one article), unless another file of the run has that id too (see
    `ids`). Before, its id was the path as typed, and another file's id could be the same: both
    kept as former ids, so that a database stored then is not stored again."""
    names = names or InputNames.of([raw])
    record = read_article_file(path, names.article(path, path.stem))
    record.former_ids = tuple(former for former in dict.fromkeys((path.stem, raw))
                              if former != record.external_id)
    return record


class InputNames:
    """The ids of a run's article files and the names of its tables (the first part of the
    ids made up for their rows), unique within the run (see `ids`)."""

    def __init__(self, articles: dict[str, str], tables: dict[str, str]) -> None:
        self._articles, self._tables = articles, tables

    @classmethod
    def of(cls, inputs: list[str]) -> InputNames:
        articles: list[tuple[str, str]] = []
        tables: list[tuple[str, str]] = []
        for raw in inputs:
            path = Path(raw)
            try:
                kind = input_kind(path) if raw else "none"
                if kind == "folder":
                    articles.extend((_absolute(file), str(file.relative_to(path).with_suffix("")))
                                    for file in _folder_files(path))
                elif kind == "file":
                    articles.append((_absolute(path), path.stem))
                elif kind != "none":
                    tables.append((_absolute(path), path.name))
            except OSError:  # reading it fails again, and says so
                continue
        return cls(unique_ids(articles), unique_ids(tables, keep_suffix=True))

    def article(self, path: Path, natural: str) -> str:
        return self._articles.get(_absolute(path), natural)

    def table(self, path: Path) -> str:
        return self._tables.get(_absolute(path), path.name)


def _absolute(path: Path) -> str:
    return os.path.abspath(path)


def read_article_file(path: Path, doc_id: str, source: str | None = None,
                      location: str = "") -> Record:
    check_regular_file(path, path.name)
    size = path.stat().st_size
    if size > MAX_ARTICLE_BYTES:
        raise too_large(path.name, size, MAX_ARTICLE_BYTES, "file")
    with path.open("rb") as handle:
        text = text_from_bytes(read_bounded(handle, path.name, MAX_ARTICLE_BYTES), path.name,
                               MAX_ARTICLE_BYTES)
    return Record(text=text, source=source or str(path), location=location,
                  external_id=doc_id, extra={"file": str(path)})


# --- tables ----------------------------------------------------------------------------------


def _record_from_row(row: dict[str, Any], columns: ColumnNames, source: str,
                     location: str, place_id: str) -> Item:
    """The row's article; without an id of its own, its id is `place_id` (`feed.jsonl:17`)."""
    def failed(reason: str) -> Failure:
        return Failure(failure_source(Path(source)), location, reason)

    text = row.get(columns.text)
    if text is None or (isinstance(text, float) and text != text):  # missing or NaN
        return failed(f"no '{columns.text}' value")
    if not isinstance(text, str):
        return failed(f"'{columns.text}' is not text")
    if not text.strip():
        return failed(f"the '{columns.text}' value is empty")
    for column in (columns.id, columns.title, columns.outlet, columns.url, columns.lang):
        if isinstance(row.get(column), list | dict):
            return failed(f"'{column}' must be text or a number")
    published_column = _published_column(row, columns)
    warnings: tuple[str, ...] = ()
    try:
        published = _date_value(row.get(published_column), published_column)
    except ValueError as error:
        if published_column == columns.published:
            return failed(str(error))
        # a column read unasked may hold dates in another form: the article still counts
        published, warnings = None, (f"{error}; stored without a date",)
    external_id = _optional_text(row.get(columns.id))
    return Record(
        text=replace_unstorable(text),
        source=source,
        location=location,
        external_id=external_id or place_id,
        id_from_place=external_id is None,
        title=_optional_text(row.get(columns.title)),
        outlet=_optional_text(row.get(columns.outlet)),
        url=_optional_text(row.get(columns.url)),
        published=published,
        lang=_optional_text(row.get(columns.lang)),
        warnings=warnings,
    )


def _published_column(row: dict[str, Any], columns: ColumnNames) -> str:
    """The column the row's publication date is read from: `published` (or the column named
    with --published-column), else the first of `PUBLISHED_ALIASES` the row has."""
    if columns.published != ColumnNames.published or columns.published in row:
        return columns.published
    return next((alias for alias in PUBLISHED_ALIASES if alias in row), columns.published)


def _optional_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = replace_unstorable(str(value)).strip()
    return text or None


def _date_value(value: Any, column: str) -> str | None:
    if value is None or value == "" or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise ValueError(f"'{column}': '{text[:40]}' is not a date (use YYYY-MM-DD)") from None


def _jsonl_lines(path: Path) -> Iterator[bytes | str]:
    """The file's lines, split at each \\n of the decoded text. A UTF-16 file (with a BOM) is
    decoded first: its bytes split at b"\\n" cut every character in two. Otherwise a UTF-8
    line stays bytes (json reports a bad byte on its line) and another line is decoded with
    the legacy code page the file's start suggests (judged as for CSV files)."""
    encoding = guess_file_encoding(path)
    if encoding == "utf-16":
        with path.open(encoding=encoding, errors="replace", newline="\n") as handle:
            yield from handle
        return
    with path.open("rb") as handle:
        for raw in handle:
            yield _line_text(raw, encoding)


def _line_text(raw: bytes, encoding: str) -> bytes | str:
    """A line as json reads it: UTF-8 bytes as they are, else decoded with `encoding`."""
    if encoding == "utf-8-sig":
        return raw
    try:
        raw.decode("utf-8")
        return raw
    except UnicodeDecodeError:
        return raw.decode(encoding, errors="replace")


def _first_line(path: Path) -> str:
    """The file's first line that is not blank, stripped ("" for an empty file)."""
    for raw in _jsonl_lines(path):
        line = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        if line.strip():
            return line.strip().lstrip("\ufeff")
    return ""


_LINES = object()  # `_json_document`'s answer for a JSON Lines file

# The JSON value `count_inputs` parsed last (a file holding one array or object), kept for
# `read_jsonl` to take instead of parsing the file again (0.6 s for a 20 MB array), keyed by
# the file's path, modification time and size: ((path, mtime_ns, size), value).
_counted_document: tuple[tuple[str, int, int], Any] | None = None


def _file_key(path: Path) -> tuple[str, int, int]:
    status = path.stat()
    return str(path.resolve()), status.st_mtime_ns, status.st_size


def _take_counted_document(path: Path) -> Any:
    """The value `count_inputs` parsed from `path` if the file is unchanged since (let go
    once taken), else None."""
    global _counted_document
    if _counted_document is None or _counted_document[0] != _file_key(path):
        return None
    document, _counted_document = _counted_document[1], None
    return document


def _json_document(path: Path) -> Any:
    """The file's JSON value when it is one value spread over its lines (an array of objects,
    or a pretty-printed object) rather than JSON Lines, else `_LINES`. (Read line by line, each
    line of such a file was a failure, "not valid JSON", that named no real fault.) A file
    starting with "[" that is not valid JSON raises JSONDecodeError; one whose first line is a
    broken object is JSON Lines with a bad line, unless the whole file parses."""
    first = _first_line(path)
    if not first.startswith(("[", "{")):
        return _LINES
    if first.startswith("{"):
        try:
            json.loads(first)
            return _LINES
        except json.JSONDecodeError:
            pass
    try:
        return _load_json(path)
    except json.JSONDecodeError:
        if first.startswith("["):
            raise
        return _LINES


def _load_json(path: Path) -> Any:
    with path.open(encoding=guess_file_encoding(path), errors="replace") as handle:
        return json.load(handle)


def read_jsonl(path: Path, columns: ColumnNames, name: str | None = None) -> Iterator[Item]:
    """Each line's article; a line without an id is `<name>:<line>` (name: the file's). A file
    holding one JSON array over its lines (or one object) is read as that: each item of the
    array is an article (`item N`; `<name>:<N>` without an id of its own)."""
    name = name or path.name
    try:
        document = _take_counted_document(path)
        if document is None:
            document = _json_document(path)
    except json.JSONDecodeError as error:
        yield Failure(failure_source(path), f"line {error.lineno}",
                      f"not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})")
        return
    if document is _LINES:
        yield from _read_json_lines(path, columns, name)
        return
    for number, row in enumerate(document if isinstance(document, list) else [document], 1):
        location = f"item {number}"
        if not isinstance(row, dict):
            yield Failure(failure_source(path), location,
                          "an item of the JSON array must be a JSON object")
            continue
        yield _record_from_row(row, columns, str(path), location, f"{name}:{number}")


def _read_json_lines(path: Path, columns: ColumnNames, name: str) -> Iterator[Item]:
    source = str(path)
    for number, raw in enumerate(_jsonl_lines(path), start=1):
        location = f"line {number}"
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as error:
            yield Failure(failure_source(path), location,
                          f"not valid JSON ({error.msg.removesuffix(' at')} at "
                          f"character {error.pos + 1})")
            continue
        except UnicodeDecodeError as error:
            yield Failure(failure_source(path), location, f"not valid JSON ({error})")
            continue
        if not isinstance(row, dict):
            yield Failure(failure_source(path), location, "a line must be a JSON object")
            continue
        yield _record_from_row(row, columns, source, location, f"{name}:{number}")


def _count_jsonl_items(path: Path) -> int:
    global _counted_document
    document = _json_document(path)  # a file that does not parse is one failure: counted 1
    if document is not _LINES:
        _counted_document = (_file_key(path), document)
        return len(document) if isinstance(document, list) else 1
    return sum(1 for line in _jsonl_lines(path) if line.strip())


def _count_csv_rows(path: Path, columns: ColumnNames) -> int:
    """The rows read_csv yields an item for (a blank line, none); raises where it fails the
    whole file."""
    encoding = guess_file_encoding(path)
    with path.open(newline="", encoding=encoding, errors="replace") as handle:
        reader = csv.reader(handle, dialect=_csv_dialect(path, handle.readline(), columns.text))
        handle.seek(0)
        _check_columns(path, columns, next(reader, []))
        return sum(1 for row in reader if row)


def _csv_dialect(path: Path, header: str, text_column: str = "text") -> type[csv.Dialect]:
    """Commas (tabs for .tsv), unless the header names the text column only when split by
    a semicolon, a tab or a bar (spreadsheets in many locales write semicolons)."""
    dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    if text_column in next(csv.reader([header], dialect=dialect), []):
        return dialect
    for delimiter in ";\t|":
        if text_column in next(csv.reader([header], delimiter=delimiter), []):
            return type("SeparatedBy", (dialect,), {"delimiter": delimiter})
    return dialect


def _missing_column(path: Path, column: str, available: list[str], option: str,
                    what: str = "text") -> InputFormatError:
    shown = ", ".join(available[:12]) or "none"
    return InputFormatError(
        f"{path}: no '{column}' column (columns: {shown}); name the {what} column with {option}"
    )


def _check_columns(path: Path, columns: ColumnNames, available: list[str]) -> None:
    """The text column, and each optional column given by name, must be in the table."""
    if columns.text not in available:
        raise _missing_column(path, columns.text, available, "--text-column")
    for column, option in columns.renamed():
        if column not in available:
            raise _missing_column(path, column, available, option,
                                  option.removeprefix("--").removesuffix("-column"))


def read_csv(path: Path, columns: ColumnNames, name: str | None = None) -> Iterator[Item]:
    """Each row's article; a row without an id is `<name>:<row>`, the header being row 1."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    source, name = str(path), name or path.name
    encoding = guess_file_encoding(path)
    with path.open(newline="", encoding=encoding) as handle:
        dialect = _csv_dialect(path, handle.readline(), columns.text)
        handle.seek(0)
        reader = csv.reader(handle, dialect=dialect)
        header = next(reader, [])
        _check_columns(path, columns, header)
        number = 1  # the header: row 1, as a spreadsheet numbers it (records, not lines)
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                number += 1
                yield Failure(failure_source(path), f"row {number}", f"malformed CSV ({error})")
                continue
            number += 1
            if not fields:  # a blank line: an empty row in a spreadsheet, so it is counted
                continue
            if len(fields) > len(header):
                yield Failure(failure_source(path), f"row {number}",
                              "the row has more fields than the header")
                continue
            row = dict(itertools.zip_longest(header, fields))  # missing fields: None
            item = _record_from_row(row, columns, source, f"row {number}", f"{name}:{number}")
            if len(fields) < len(header) and isinstance(item, Record):
                _note_short_row(item, header, len(fields), f"{name}, row {number}")
            yield item


def _note_short_row(record: Record, header: list[str], fields: int, place: str) -> None:
    """A row with fewer fields than the header (a cut line, a missing separator) is stored
    with the missing fields empty, which is right for a spreadsheet that leaves trailing
    empty cells out, but may be a broken row: a warning, not a failure."""
    missing = ", ".join(header[fields:])
    record.short_row = place
    record.warnings = (*record.warnings,
                       f"{place} has {fields} of the header's {len(header)} fields: "
                       f"{missing} read as empty")


def read_parquet(path: Path, columns: ColumnNames, name: str | None = None) -> Iterator[Item]:
    """Each row's article; a row without an id is `<name>:<row>`, numbered as in a CSV file."""
    import pyarrow.parquet as pq

    source, name = str(path), name or path.name
    try:
        parquet = pq.ParquetFile(path)
    except Exception as error:
        raise InputError(f"{path}: not a readable Parquet file ({_one_line(error)})") from None
    names = parquet.schema_arrow.names
    _check_columns(path, columns, names)
    wanted = [c for c in dict.fromkeys(vars(columns).values()) if c in names]
    number = 1  # rows are numbered as in a CSV file and a spreadsheet: the header is row 1
    for batch in parquet.iter_batches(batch_size=512, columns=wanted):
        for row in batch.to_pylist():
            number += 1
            yield _record_from_row(row, columns, source, f"row {number}", f"{name}:{number}")


def _without_prefix(reason: str, *names: str) -> str:
    """Drop a leading "name: " (the failure already says which file it is)."""
    for name in names:
        if reason.startswith(f"{name}: "):
            return reason[len(name) + 2:]
    return reason


def _one_line(error: BaseException) -> str:
    return str(error).replace("\n", " ").strip() or type(error).__name__
