"""Odd inputs found by QA: an empty path, FIFOs and other non-regular files, the same file named
several ways, out-of-range options. Each is one `error:` line (or a recorded failure), never a
traceback, a hang or a second copy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from corpus_helpers import analyzer_args, article_text, db_url, subprocess_env  # noqa: F401
from typer.testing import CliRunner

from persuasion_lens.cli import app

runner = CliRunner()


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: "), output
    return lines[0]


def run_plens(*args: str, cwd: Path | None = None,
              timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "persuasion_lens", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          env=subprocess_env())


# --- an empty path ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", [
    ["analyze", ""],
    ["batch", "--db", "sqlite:///corpus.db", ""],
    ["semeval", "st1", ""],
    ["semeval", "st2", ""],
    ["semeval", "st3", "", "-o", "p.txt"],
    ["semeval", "spans", "", "-o", "p.txt"],
    ["semeval", "narratives", ""],
    ["semeval", "roles", ""],
])
def test_an_empty_path_is_no_current_folder(tmp_path, monkeypatch, command):
    (tmp_path / "article1.txt").write_text(article_text(1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert one_error_line(result.output) == "error: the path is empty"
    assert not (tmp_path / "corpus.db").exists()


def test_semeval_documents_over_the_size_limit_are_left_out(tmp_path):
    (tmp_path / "huge.txt").write_bytes(b"x" * 21_000_000)
    result = runner.invoke(app, ["semeval", "narratives", str(tmp_path)])
    assert result.exit_code == 2
    assert "huge.txt: the file is 21 MB; the limit is 20 MB" in result.output


# --- one id for a file however it is named ---------------------------------------------------


def _stored_ids(url: str) -> list[str | None]:
    from sqlalchemy import select

    from persuasion_lens.storage import open_database
    from persuasion_lens.storage.schema import articles

    database = open_database(url)
    try:
        with database.engine.connect() as connection:
            return [row[0] for row in connection.execute(select(articles.c.external_id))]
    finally:
        database.dispose()


def test_a_file_named_three_ways_is_stored_once(tmp_path, monkeypatch, db_url):  # noqa: F811
    (tmp_path / "good.txt").write_text(article_text(1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for named in ("good.txt", ".", "./good.txt", str(tmp_path / "good.txt")):
        result = runner.invoke(app, ["batch", named, "--db", db_url, "--no-progress",
                                     *analyzer_args()])
        assert result.exit_code == 0, result.output
    assert _stored_ids(db_url) == ["good"]


def test_a_file_stored_under_its_typed_path_before_is_not_stored_again(tmp_path, monkeypatch,
                                                                        db_url):  # noqa: F811
    import json

    text = article_text(2)
    (tmp_path / "good.txt").write_text(text, encoding="utf-8")
    # what an older version stored for `plens batch ./good.txt`: the id as typed
    (tmp_path / "old.jsonl").write_text(json.dumps({"id": "./good.txt", "text": text}) + "\n")
    monkeypatch.chdir(tmp_path)
    for named in ("old.jsonl", "./good.txt"):
        result = runner.invoke(app, ["batch", named, "--db", db_url, "--no-progress",
                                     *analyzer_args()])
        assert result.exit_code == 0, result.output
    assert _stored_ids(db_url) == ["./good.txt"]


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_a_missing_id_column_is_a_failure_of_the_file(tmp_path, db_url, suffix):  # noqa: F811
    table = tmp_path / f"rows.{suffix}"
    rows = {"id": ["a", "b"], "text": [article_text(3), article_text(4)]}
    if suffix == "csv":
        import csv

        with table.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(rows)
            writer.writerows(zip(*rows.values(), strict=True))
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table(rows), table)
    result = runner.invoke(app, ["batch", str(table), "--db", db_url, "--id-column", "nope",
                                 "--no-progress", *analyzer_args()])
    assert result.exit_code == 1, result.output
    assert ("no 'nope' column (columns: id, text); name the id column with --id-column"
            in " ".join(result.output.split()))
    assert _stored_ids(db_url) == []


# --- one id for each article of a run ---------------------------------------------------------

FAKE = ["--analyzer-factory", "corpus_helpers:fake_analyzer", "--no-progress"]


def _batch(db: str, *inputs: str):
    result = runner.invoke(app, ["batch", *inputs, "--db", db, *FAKE])
    assert result.exit_code == 0, result.output
    return result


def _analysed_and_skipped(output: str) -> tuple[int, int]:
    numbers = {}
    for line in output.splitlines():
        for name in ("analysed", "skipped (already stored)"):
            if line.strip("│ ").startswith(name):
                numbers[name] = int(line.split("│")[2].strip().replace(",", ""))
    return numbers["analysed"], numbers["skipped (already stored)"]


def test_same_name_files_of_one_run_get_their_own_ids(tmp_path, monkeypatch,
                                                      db_url):  # noqa: F811
    """`plens batch a/x.txt b/x.txt` stored two articles as `x`, warned that `x` was an edited
    article, and the corpus showed one id for both; a folder beside them did the same."""
    for number, name in enumerate(["a/x.txt", "b/x.txt", "corpus/x.txt", "corpus/x.md",
                                   "corpus/sub1/y.txt", "corpus/sub2/y.txt"]):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(article_text(10 + number), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    first = _batch(db_url, "a/x.txt", "b/x.txt", "corpus")
    assert "edited article" not in first.output
    assert sorted(_stored_ids(db_url)) == ["a/x", "b/x", "corpus/x", "sub1/y", "sub2/y", "x.md"]
    # the same files named otherwise, in another order: the same ids, nothing stored again
    again = _batch(db_url, "./corpus/", str(tmp_path / "b" / "x.txt"), "./a/x.txt")
    assert _analysed_and_skipped(again.output) == (0, 6)


def test_a_file_stored_under_its_name_alone_is_not_stored_again(tmp_path, monkeypatch,
                                                                db_url):  # noqa: F811
    """A database where an earlier version stored `a/x.txt` and `b/x.txt` both as `x` (or a
    run that named one of them alone) keeps them: neither is stored again."""
    import json

    texts = {"a": article_text(20), "b": article_text(21)}
    rows = [{"id": "x", "text": text} for text in texts.values()]
    (tmp_path / "old.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    for folder, text in texts.items():
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.txt").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    _batch(db_url, "old.jsonl")
    assert _analysed_and_skipped(_batch(db_url, "a/x.txt", "b/x.txt").output) == (0, 2)
    assert _stored_ids(db_url) == ["x", "x"]


def _table(path: Path, rows: list[dict]) -> Path:
    if path.suffix == ".jsonl":
        import json

        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    elif path.suffix == ".csv":
        import csv

        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, ["id", "text"])
            writer.writeheader()
            writer.writerows({"id": "", **row} for row in rows)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist([{"id": None, **row} for row in rows],
                                            pa.schema([("id", pa.string()),
                                                       ("text", pa.string())])), path)
    return path


@pytest.mark.parametrize("suffix,first", [("jsonl", 1), ("csv", 2), ("parquet", 2)])
def test_a_row_without_an_id_is_named_by_its_place(tmp_path, monkeypatch, db_url,  # noqa: F811
                                                   suffix, first):
    """A row without an id was stored with none: it could not be found by id. Its id is now its
    file and line (row, the header being row 1), as failures number them; two files of one
    name take their folders. The text alone still identifies the article: a row moved down by
    rows inserted above it is not stored again, and no "edited article" is warned about."""
    texts = [article_text(30 + n) for n in range(3)]
    for folder in ("2024", "2025"):
        (tmp_path / folder).mkdir()
    monkeypatch.chdir(tmp_path)
    _table(tmp_path / "2024" / f"feed.{suffix}", [{"text": texts[0]}, {"id": "own", "text":
                                                                        texts[1]}])
    _table(tmp_path / "2025" / f"feed.{suffix}", [{"text": texts[2]}])
    _batch(db_url, f"2024/feed.{suffix}", f"2025/feed.{suffix}")
    assert sorted(_stored_ids(db_url)) == sorted(
        [f"2024/feed.{suffix}:{first}", "own", f"2025/feed.{suffix}:{first}"])
    alone = _batch(db_url, f"2025/feed.{suffix}")
    assert _analysed_and_skipped(alone.output) == (0, 1)
    _table(tmp_path / "2025" / f"feed.{suffix}", [{"text": article_text(40)}, {"text": texts[2]}])
    moved = _batch(db_url, f"2025/feed.{suffix}")
    assert _analysed_and_skipped(moved.output) == (1, 1)
    assert "edited article" not in moved.output
    assert f"feed.{suffix}:{first}" in _stored_ids(db_url)


def test_a_row_stored_without_an_id_before_is_not_stored_again(tmp_path, db_url):  # noqa: F811
    import sqlalchemy as sa

    from persuasion_lens.storage import open_database
    from persuasion_lens.storage.schema import articles

    feed = _table(tmp_path / "feed.jsonl", [{"text": article_text(50)}])
    _batch(db_url, str(feed))
    database = open_database(db_url)  # as an earlier version stored it: no id
    try:
        with database.engine.begin() as connection:
            connection.execute(sa.update(articles).values(external_id=None))
    finally:
        database.dispose()
    assert _analysed_and_skipped(_batch(db_url, str(feed)).output) == (0, 1)


# --- FIFOs and other files that are not regular ----------------------------------------------


def test_analyze_refuses_a_fifo_at_once(tmp_path):
    fifo = tmp_path / "fifo.txt"
    os.mkfifo(fifo)
    result = run_plens("analyze", str(fifo))
    assert result.returncode == 2
    assert one_error_line(result.stderr) == f"error: {fifo}: not a regular file"


@pytest.mark.parametrize("name", ["fifo.txt", "fifo.jsonl"])
def test_batch_records_a_fifo_as_a_failure_and_goes_on(tmp_path, name):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    good = tmp_path / "good.txt"
    good.write_text(article_text(5), encoding="utf-8")
    result = run_plens("batch", str(fifo), str(good), "--db", f"sqlite:///{tmp_path / 'c.db'}",
                       "--no-progress", *analyzer_args())
    assert result.returncode == 1, result.stderr
    assert f"failed: {fifo.resolve()}: not a regular file" in " ".join(result.stderr.split())
    assert _stored_ids(f"sqlite:///{tmp_path / 'c.db'}") == ["good"]


def test_semeval_warns_of_each_matching_name_that_is_no_regular_file(tmp_path):
    (tmp_path / "article1.txt").symlink_to(tmp_path / "nowhere.txt")
    os.mkfifo(tmp_path / "article2.txt")
    (tmp_path / "article3.txt").mkdir()
    result = runner.invoke(app, ["semeval", "st3", str(tmp_path), "-o", str(tmp_path / "p")])
    assert result.exit_code == 2
    output = " ".join(result.output.split())
    assert f"warning: skipped: {tmp_path / 'article1.txt'}: a broken link" in output
    assert f"warning: skipped: {tmp_path / 'article2.txt'}: not a regular file" in output
    assert f"warning: skipped: {tmp_path / 'article3.txt'}: not a regular file" in output
    assert f"error: {tmp_path}: no article could be read" in output


# --- options out of range ----------------------------------------------------------------------


@pytest.mark.parametrize("workers", ["0", "-3", str((os.cpu_count() or 1) * 8 + 1),
                                     "99999999999999999999999"])
def test_batch_workers_out_of_range_is_one_line(tmp_path, workers):
    (tmp_path / "good.txt").write_text(article_text(6), encoding="utf-8")
    result = run_plens("batch", str(tmp_path / "good.txt"), "--db",
                       f"sqlite:///{tmp_path / 'c.db'}", "--dask", "local", "--workers", workers,
                       "--no-progress", timeout=60)
    assert result.returncode == 2
    assert one_error_line(result.stderr) == (f"error: --workers must be 1 to "
                                             f"{(os.cpu_count() or 1) * 8} (8 per CPU core), "
                                             f"not {workers}")
    assert not (tmp_path / "c.db").exists()


# --- JSON Lines in UTF-16 ----------------------------------------------------------------------


def test_utf16_json_lines_are_read_line_by_line(tmp_path):
    from persuasion_lens.batch import Failure, Record, read_inputs

    lines = ['{"id": "é1", "text": "Grüße aus Köln, schreibt die Zeitung."}', "",
             '{"id": "b", "text": ', '{"id": "c", "text": "Второй текст статьи."}']
    path = tmp_path / "rows16.jsonl"
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-16")
    items = list(read_inputs([str(path)]))
    assert [(i.external_id, i.text) for i in items if isinstance(i, Record)] == [
        ("é1", "Grüße aus Köln, schreibt die Zeitung."), ("c", "Второй текст статьи.")]
    assert [(f.location, f.reason[:14]) for f in items if isinstance(f, Failure)] == [
        ("line 3", "not valid JSON")]


def test_latin1_json_lines_are_decoded(tmp_path):
    from persuasion_lens.batch import Record, read_inputs

    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"id": "a", "text": "Le président a parlé de la crise économique."}\n'
                     .encode("latin-1"))
    items = list(read_inputs([str(path)]))
    assert [i.text for i in items if isinstance(i, Record)] == [
        "Le président a parlé de la crise économique."]


# --- one line each, however long -------------------------------------------------------------


def test_analyze_says_each_skipped_file_on_one_line(tmp_path, project_example):
    folder = tmp_path / "a folder with a rather long name, so that the lines pass 80 columns"
    folder.mkdir()
    (folder / "good.txt").write_bytes(project_example.read_bytes())
    (folder / "empty [draft] article that nobody finished writing.txt").write_text("")
    result = run_plens("analyze", "--summary", str(folder), timeout=300)
    assert result.returncode == 1, result.stderr
    skipped = [line for line in result.stderr.splitlines() if "skipped" in line]
    assert skipped == [f"skipped: {folder}/empty [draft] article that nobody finished "
                       "writing.txt: the input is empty"]


@pytest.mark.parametrize("value", ["nan", "NaN", "-nan"])
def test_min_confidence_must_be_a_number(project_example, value):
    result = runner.invoke(app, ["analyze", "--min-confidence", value, str(project_example)])
    assert result.exit_code == 2, result.output
    assert one_error_line(result.output) == ("error: --min-confidence must be a number from 0 "
                                             "to 1, not nan")


# --- batch and search: smaller slips ---------------------------------------------------------


def test_batch_creates_no_database_from_a_bare_name(tmp_path, monkeypatch):
    (tmp_path / "good.txt").write_text(article_text(7), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["batch", "good.txt", "--db", "bogus", "--no-progress"])
    assert result.exit_code == 2
    assert one_error_line(result.output) == (
        "error: --db bogus is not a database URL: for a new SQLite database give "
        "sqlite:///bogus.db (or postgresql://user:pw@host/db)")
    assert not (tmp_path / "bogus").exists()


def test_batch_on_a_bare_name_of_a_stored_database_goes_on(tmp_path, monkeypatch):
    (tmp_path / "good.txt").write_text(article_text(8), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for db in ("sqlite:///corpus.db", "corpus.db"):
        result = runner.invoke(app, ["batch", "good.txt", "--db", db, "--no-progress",
                                     *analyzer_args()])
        assert result.exit_code == 0, result.output
    assert _stored_ids("sqlite:///corpus.db") == ["good"]


def test_batch_on_an_empty_folder_says_it_holds_no_articles(tmp_path):
    empty = tmp_path / "emptydir"
    empty.mkdir()
    result = runner.invoke(app, ["batch", str(empty), "--db", f"sqlite:///{tmp_path / 'c.db'}"])
    assert result.exit_code == 2
    assert one_error_line(result.output) == (f"error: {empty}: the folder holds no .txt, .md or "
                                             ".html articles")


def test_search_since_after_until_is_one_line(tmp_path, db_url):  # noqa: F811
    (tmp_path / "good.txt").write_text(article_text(9), encoding="utf-8")
    assert runner.invoke(app, ["batch", str(tmp_path / "good.txt"), "--db", db_url,
                               "--no-progress", *analyzer_args()]).exit_code == 0
    for command in ("search", "export"):
        args = [command, *(["council"] if command == "search" else []), "--db", db_url,
                "--since", "2025-01-01", "--until", "2024-01-01",
                *(["-o", str(tmp_path / "x.csv")] if command == "export" else [])]
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert one_error_line(result.output) == ("error: --since 2025-01-01 is after --until "
                                                 "2024-01-01: nothing can match")


# --- JSON arrays, blank CSV lines, language tags with a region -------------------------------


def _failures(url: str) -> list[tuple[str, str]]:
    from persuasion_lens.storage import open_database
    from persuasion_lens.storage.queries import list_failures

    database = open_database(url)
    try:
        return sorted((Path(f["source"]).name, f["location"]) for f in list_failures(database))
    finally:
        database.dispose()


def test_a_json_array_file_is_read_item_by_item(tmp_path, db_url):  # noqa: F811
    """A `.json` file holding an array of objects (the usual JSON export), pretty-printed,
    was read as JSON Lines: each of its lines was a failure, "not valid JSON", and nothing was
    stored. Each item is now an article (`item N`), as is a pretty-printed single object; a
    line-by-line file whose first line is broken is still JSON Lines."""
    import json

    items = [{"id": "j1", "text": article_text(61), "outlet": "Été Times"},
             {"text": article_text(62)}, [1, 2]]
    (tmp_path / "export.json").write_text(json.dumps(items, indent=2, ensure_ascii=False),
                                          encoding="utf-8")
    (tmp_path / "one.json").write_text(json.dumps({"id": "o1", "text": article_text(63)},
                                                  indent=2), encoding="utf-8")
    (tmp_path / "lines.jsonl").write_text(
        '{"id": "broken", "text": \n' + json.dumps({"id": "l2", "text": article_text(64)})
        + "\n", encoding="utf-8")
    (tmp_path / "cut.json").write_text('[\n  {"id": "c1", "text": "x"},\n', encoding="utf-8")
    inputs = [str(tmp_path / name) for name in ("export.json", "one.json", "lines.jsonl",
                                                "cut.json")]
    result = runner.invoke(app, ["batch", *inputs, "--db", db_url, *FAKE])
    assert result.exit_code == 1, result.output
    assert sorted(_stored_ids(db_url)) == ["export.json:2", "j1", "l2", "o1"]
    assert _failures(db_url) == [("cut.json", "line 3"), ("export.json", "item 3"),
                                 ("lines.jsonl", "line 1")]
    output = " ".join(result.output.split())
    assert "export.json, item 3: an item of the JSON array must be a JSON object" in output
    assert "cut.json, line 3: not valid JSON" in output


def test_a_json_array_file_is_parsed_once_per_run(tmp_path, monkeypatch):
    """`plens batch` parsed a `.json` array file twice: once to count its items for the
    progress bar and again to read them (0.6 s more for a 20 MB file). The value counted is
    now read, unless the file changed in between."""
    import json

    from persuasion_lens.batch import readers
    from persuasion_lens.batch.readers import count_inputs, read_inputs

    parsed: list[str] = []
    real_load = readers._load_json
    monkeypatch.setattr(readers, "_load_json",
                        lambda path: parsed.append(path.name) or real_load(path))
    export = tmp_path / "export.json"
    export.write_text(json.dumps([{"id": f"j{n}", "text": article_text(80 + n)}
                                 for n in range(3)], indent=2), encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'corpus.db'}"
    result = runner.invoke(app, ["batch", str(export), "--db", url, *FAKE])
    assert result.exit_code == 0, result.output
    assert sorted(_stored_ids(url)) == ["j0", "j1", "j2"]
    assert parsed == ["export.json"]

    assert count_inputs([str(export)]) == 3
    export.write_text(json.dumps([{"id": "edited", "text": article_text(90)}]),
                      encoding="utf-8")
    assert [item.external_id for item in read_inputs([str(export)])] == ["edited"]


def test_a_blank_csv_line_counts_as_a_row(tmp_path, db_url):  # noqa: F811
    """csv.DictReader skips blank lines, so the rows after one were numbered one too low:
    the failure of the row a spreadsheet shows as row 4 said "row 3", and a row without an id
    took the place of the row above it (`t.csv:4` for row 5)."""
    (tmp_path / "t.csv").write_text(
        f'id,text\na,"{article_text(71)}"\n\nb,\n,"{article_text(72)}"\n\n\n', encoding="utf-8")
    result = runner.invoke(app, ["batch", str(tmp_path / "t.csv"), "--db", db_url, *FAKE])
    assert result.exit_code == 1, result.output
    assert _failures(db_url) == [("t.csv", "row 4")]
    assert sorted(_stored_ids(db_url)) == ["a", "t.csv:5"]


def test_the_progress_total_counts_what_the_run_reads(tmp_path):
    """The progress bar's total counted a blank CSV line as a row and a table without its text
    column as all its rows (the run met one failure there): it ended at 3/4 or 21/25."""
    from persuasion_lens.batch import read_inputs
    from persuasion_lens.batch.readers import count_inputs

    (tmp_path / "blank.csv").write_text('id,text\na,"x y"\n\nb,\n\n', encoding="utf-8")
    (tmp_path / "body.csv").write_text('id,body\na,"x"\nb,"y"\nc,"z"\n', encoding="utf-8")
    (tmp_path / "empty.csv").write_text("", encoding="utf-8")
    (tmp_path / "list.json").write_text('[\n {"text": "a"},\n {"text": "b"}\n]\n',
                                        encoding="utf-8")
    for name in ("blank.csv", "body.csv", "empty.csv", "list.json"):
        path = str(tmp_path / name)
        assert count_inputs([path]) == len(list(read_inputs([path]))), name


@pytest.mark.parametrize("tag", ["en-US", "en_GB", "EN-us"])
def test_a_language_tag_with_a_region_is_its_language(tmp_path, db_url, tag):  # noqa: F811
    """Feeds and content systems give `en-US`; each such row failed ("not a known language
    code"). Its language is its first part; `--lang` and the search filter take it too."""
    import json

    (tmp_path / "feed.jsonl").write_text(
        json.dumps({"id": "r1", "text": article_text(81), "lang": tag}) + "\n",
        encoding="utf-8")
    result = runner.invoke(app, ["batch", str(tmp_path / "feed.jsonl"), "--db", db_url, *FAKE])
    assert result.exit_code == 0, result.output
    found = runner.invoke(app, ["search", "", "--db", db_url, "--lang", tag, "--format", "json"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.output)["total"] == 4
    assert json.loads(found.output)["results"][0]["language"] == "en"


@pytest.mark.parametrize("name", ["English", "german", "RUSSIAN", "Русский"])
def test_a_language_name_is_its_language(tmp_path, db_url, name):  # noqa: F811
    """A `lang` column giving the language's name ("English", as many exports do) failed
    each row ("not a known language code")."""
    import json

    from persuasion_lens.storage import open_database
    from persuasion_lens.storage.schema import articles

    (tmp_path / "feed.jsonl").write_text(
        json.dumps({"id": "r1", "text": article_text(81), "lang": name}) + "\n"
        + json.dumps({"id": "r2", "text": article_text(82), "lang": "Klingon"}) + "\n",
        encoding="utf-8")
    result = runner.invoke(app, ["batch", str(tmp_path / "feed.jsonl"), "--db", db_url, *FAKE])
    assert result.exit_code == 1, result.output  # Klingon is still a failure
    assert "'Klingon' is not a known language code" in " ".join(result.output.split())
    db = open_database(db_url)
    try:
        with db.engine.connect() as connection:
            stored = connection.execute(select_languages(articles)).all()
    finally:
        db.dispose()
    expected = {"english": "en", "german": "de", "russian": "ru", "русский": "ru"}
    assert stored == [("r1", expected[name.lower()])]


def select_languages(articles):
    from sqlalchemy import select

    return select(articles.c.external_id, articles.c.language)


def test_lang_option_takes_a_language_name(tmp_path):
    import json

    (tmp_path / "feed.jsonl").write_text(
        json.dumps({"id": "r1", "text": article_text(81)}) + "\n", encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'c.db'}"
    result = runner.invoke(app, ["batch", str(tmp_path / "feed.jsonl"), "--db", db,
                                 "--lang", "English", *FAKE])
    assert result.exit_code == 0, result.output
    found = runner.invoke(app, ["search", "", "--db", db, "--lang", "english", "--format",
                                "json"])
    assert json.loads(found.output)["results"][0]["language"] == "en"
    wrong = runner.invoke(app, ["batch", str(tmp_path / "feed.jsonl"), "--db", db,
                                "--lang", "Elvish", *FAKE])
    assert wrong.exit_code == 2
    assert "'Elvish' is not a known language code" in one_error_line(wrong.output)


def test_a_csv_row_with_fewer_fields_than_the_header_is_warned_about(tmp_path, db_url):  # noqa: F811
    """Such a row (a cut line, a lost separator) was stored with its missing fields empty
    without a word. It is still stored (a spreadsheet may leave trailing empty cells out),
    with a warning naming the row in the summary and among the article's warnings."""
    from persuasion_lens.storage import open_database
    from persuasion_lens.storage.schema import articles

    (tmp_path / "t.csv").write_text(
        f'id,text,outlet,url\na,"{article_text(71)}",Planet,https://x.org\n'
        f'b,"{article_text(72)}"\n', encoding="utf-8")
    result = runner.invoke(app, ["batch", str(tmp_path / "t.csv"), "--db", db_url, *FAKE])
    assert result.exit_code == 0, result.output  # a warning, not a failure
    said = " ".join(result.output.split())
    assert ("warning: 1 CSV row(s) with fewer fields than the header, the missing ones read "
            "as empty: t.csv, row 3") in said
    db = open_database(db_url)
    try:
        with db.engine.connect() as connection:
            warnings = dict(connection.execute(
                select_warnings(articles)).all())
    finally:
        db.dispose()
    assert ("t.csv, row 3 has 2 of the header's 4 fields: outlet, url read as empty"
            in warnings["b"])
    assert not any("fields" in warning for warning in warnings["a"])


def select_warnings(articles):
    from sqlalchemy import select

    return select(articles.c.external_id, articles.c.warnings)


def test_a_date_column_under_another_usual_name_is_read(tmp_path, db_url):  # noqa: F811
    """Exports name the publication date `date` or `datePublished`; only `published` was read,
    so a corpus lost all its dates without a word. Those names are read while
    --published-column is left alone; a value in another form there is no failure but a
    warning (the column was not asked for)."""
    import json

    from sqlalchemy import select

    from persuasion_lens.storage import open_database
    from persuasion_lens.storage.schema import articles

    (tmp_path / "export.csv").write_text(
        "id,text,date\n"
        f"c1,\"{article_text(81)}\",2024-03-05\n"
        f"c2,\"{article_text(82)}\",5 March 2024\n", encoding="utf-8")
    (tmp_path / "feed.jsonl").write_text(
        json.dumps({"id": "j1", "text": article_text(83), "datePublished": "2024-03-06T10:00Z",
                    "date": "2023-01-01"}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["batch", str(tmp_path / "export.csv"),
                                 str(tmp_path / "feed.jsonl"), "--db", db_url, *FAKE])
    assert result.exit_code == 0, result.output
    db = open_database(db_url)
    try:
        with db.engine.connect() as connection:
            rows = {row.external_id: row for row in connection.execute(select(articles))}
    finally:
        db.dispose()
    assert str(rows["c1"].published) == "2024-03-05"
    assert rows["c2"].published is None
    assert "'date': '5 March 2024' is not a date (use YYYY-MM-DD); stored without a date" in (
        json.loads(rows["c2"].warnings) if isinstance(rows["c2"].warnings, str)
        else rows["c2"].warnings)
    assert str(rows["j1"].published) == "2024-03-06"  # the first usual name it has
