"""`plens report`, `plens search`/`export` output, and the web corpus pages."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from corpus_helpers import (  # noqa: F401 (db_url is a fixture: F811 below too)
    analyzer_spec,
    article_rows,
    db_url,
    real_model_available,
    write_jsonl,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient
from html_pages import report_tips
from typer.testing import CliRunner

from persuasion_lens.batch import run_batch
from persuasion_lens.cli import app
from persuasion_lens.storage import open_database
from persuasion_lens.storage.queries import stats
from persuasion_lens.taxonomy import TECHNIQUE_NAMES, technique
from persuasion_lens.text.wording import two_decimals

TECHNIQUE_LABELS = {name: technique(name).label for name in TECHNIQUE_NAMES}

runner = CliRunner()


def _stored_corpus(folder, rows: list[dict], spec, batch_size: int) -> str:
    """A SQLite corpus of `rows` analysed with `spec`; returns its URL."""
    path = write_jsonl(folder / "articles.jsonl", rows)
    url = f"sqlite:///{folder / 'corpus.db'}"
    db = open_database(url)
    run_batch([str(path)], db, spec, batch_size=batch_size)
    db.dispose()
    return url


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return _stored_corpus(tmp_path_factory.mktemp("corpus"), article_rows(24), analyzer_spec(), 8)


def _export_into_a_fifo(corpus: str, pipe: Path) -> bytes:
    """What `plens export -o PIPE` writes into a named pipe, read by another thread."""
    import os
    import threading

    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    result = runner.invoke(app, ["export", "--db", corpus, "-o", str(pipe)])
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    return received[0]


def test_report_is_self_contained_with_article_pages(corpus, tmp_path):
    output = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--db", corpus, "-o", str(output), "--top", "5"])
    assert result.exit_code == 0, result.output
    html = output.read_text(encoding="utf-8")
    assert html.count("<svg") >= 3  # categories, over time, outlets, languages
    assert "src=\"http" not in html and "<link" not in html
    for heading in ("Techniques by category", "Techniques over time", "Techniques by outlet",
                    "Techniques by language", "Most frequent highlighted phrases",
                    "Most persuasion-dense articles"):
        assert heading in html
    pages = sorted((tmp_path / "report_files").glob("article-*.html"))
    assert len(pages) == 5
    again = runner.invoke(app, ["report", "--db", corpus, "-o", str(output), "--top", "2"])
    assert again.exit_code == 0  # the same name again: no stale pages of the first left over
    assert len(list((tmp_path / "report_files").glob("article-*.html"))) == 2
    result = runner.invoke(app, ["report", "--db", corpus, "-o", str(output), "--top", "5"])
    assert f"report_files/{pages[0].name}" in html
    assert "<article lang='en'>" in pages[0].read_text(encoding="utf-8")
    # no narratives stored: one line saying how to get them, no empty tables
    assert "No narratives are stored: analyse the articles with `plens batch --narratives`" \
        in html
    assert "entity-roles" not in html
    assert "No narratives are stored" in result.output


def test_report_of_empty_selection_and_bad_filter(corpus, tmp_path):
    output = tmp_path / "empty.html"
    result = runner.invoke(app, ["report", "--db", corpus, "-o", str(output),
                                 "--outlet", "Nobody"])
    assert result.exit_code == 0, result.output
    assert "nothing matched" in " ".join(result.output.split())
    page = output.read_text(encoding="utf-8")
    assert "<p class='none'>No stored article matches the filters.</p>" in page
    assert "no stored article matches the filters" in page and "span model" not in page
    bad = runner.invoke(app, ["report", "--db", corpus, "-o", str(output), "--technique", "zz"])
    assert bad.exit_code == 2 and bad.output.startswith("error:")


def test_search_and_export_commands(corpus, tmp_path):
    result = runner.invoke(app, ["search", "headline", "--db", corpus, "--format", "json",
                                 "--limit", "3", "--lang", "en"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)["results"]
    assert len(rows) == 3 and all("headline" in row["text"].lower() for row in rows)
    table = runner.invoke(app, ["search", "headline", "--db", corpus, "--limit", "2"])
    assert table.exit_code == 0 and "Headline" in table.output
    assert "showing the best 2 of 24 matching paragraphs" in " ".join(table.output.split())
    listed = runner.invoke(app, ["search", "", "--db", corpus, "--technique", "loaded",
                                 "--limit", "2"])
    assert listed.exit_code == 0, listed.output
    assert ("showing the first 2 of 57 matching paragraphs, in the order the articles were "
            "stored") in " ".join(listed.output.split())
    output = tmp_path / "rows.csv"
    exported = runner.invoke(app, ["export", "--db", corpus, "-o", str(output)])
    assert exported.exit_code == 0, exported.output
    assert len(output.read_text(encoding="utf-8").strip().splitlines()) >= 24 * 4 + 1


def test_report_and_export_to_a_folder_or_a_misnamed_file_say_so_first(corpus, tmp_path):
    """`-o DIR`: report warned that the report is an HTML page, then failed with "[Errno 21]
    Is a directory" leaving DIR_files/ behind; export gave the raw errno. `export -o x.csv
    --format parquet` wrote Parquet into x.csv without a word, where report warns."""
    folder = tmp_path / "out"
    folder.mkdir()
    for command, suggested in ((["report"], "report.html"), (["export"], "export.csv"),
                               (["export", "--format", "parquet"], "export.parquet")):
        result = runner.invoke(app, [*command, "--db", corpus, "-o", str(folder)])
        said = " ".join(result.output.split())
        assert result.exit_code == 2, result.output
        assert said == f"error: {folder} is a folder: give the file to write, such as " \
            f"{folder / suggested}", said
    assert list(tmp_path.iterdir()) == [folder] and not list(folder.iterdir())
    misnamed = tmp_path / "x.csv"
    result = runner.invoke(app, ["export", "--db", corpus, "-o", str(misnamed),
                                 "--format", "parquet"])
    assert result.exit_code == 0, result.output
    assert "x.csv: the export is a Parquet file, whatever the file is called" in \
        " ".join(result.output.split())
    assert misnamed.read_bytes()[:4] == b"PAR1"
    named = runner.invoke(app, ["export", "--db", corpus, "-o", str(tmp_path / "x.parquet"),
                                "--format", "parquet"])
    assert named.exit_code == 0 and "whatever" not in named.output


def test_report_and_export_refuse_to_write_over_the_database_they_read(corpus, tmp_path):
    """`plens export --format csv -o corpus.db` (or `plens report -o corpus.db`) truncated the
    SQLite file while reading it: the corpus was lost, and export ended in a traceback
    ("database disk image is malformed")."""
    import shutil
    import sqlite3

    database = tmp_path / "corpus.db"
    shutil.copy(corpus.removeprefix("sqlite:///"), database)
    original = database.read_bytes()
    for command, output, suggested in (
            (["report"], database, "corpus.html"),
            (["export", "--format", "csv"], database, "corpus.csv"),
            (["export", "--format", "jsonl"], tmp_path / "corpus.db-wal", "corpus.jsonl")):
        for db in (f"sqlite:///{database}", str(database)):
            result = runner.invoke(app, [*command, "--db", db, "-o", str(output)])
            said = " ".join(result.output.split())
            assert result.exit_code == 2, said
            assert said.startswith(f"error: {output} is ") and "Traceback" not in said, said
            assert f"({db}); writing it would destroy the corpus: give another file, such as " \
                f"{suggested}" in said, said
    assert not (tmp_path / "corpus.db-wal").exists()
    assert database.read_bytes() == original
    connection = sqlite3.connect(database)
    assert connection.execute("SELECT count(*) FROM articles").fetchone() == (24,)
    connection.close()


@pytest.mark.parametrize("suffix, reader", [("csv", "export_rows"), ("parquet", "export_rows"),
                                             ("jsonl", "export_articles")])
def test_an_interrupted_export_keeps_the_file_it_would_replace(corpus, tmp_path, monkeypatch,
                                                                suffix, reader):
    """The export was written in place: Ctrl-C (or a database error) halfway through left a
    cut file, a CSV that reads as a shorter corpus, where the previous export had been."""
    import persuasion_lens.storage.export as export_module

    output = tmp_path / f"corpus.{suffix}"
    first = runner.invoke(app, ["export", "--db", corpus, "-o", str(output)])
    assert first.exit_code == 0, first.output
    complete = output.read_bytes()
    real_reader = getattr(export_module, reader)

    def interrupted_after_five(*args, **kwargs):
        for number, row in enumerate(real_reader(*args, **kwargs)):
            if number == 5:
                raise KeyboardInterrupt
            yield row

    monkeypatch.setattr(export_module, reader, interrupted_after_five)
    result = runner.invoke(app, ["export", "--db", corpus, "-o", str(output), "--lang", "en"])
    assert result.exit_code == 130, result.output
    assert output.read_bytes() == complete
    new_file = tmp_path / f"new.{suffix}"
    result = runner.invoke(app, ["export", "--db", corpus, "-o", str(new_file)])
    assert result.exit_code == 130, result.output
    assert sorted(path.name for path in tmp_path.iterdir()) == [output.name]


def test_an_export_to_a_named_pipe_is_written_into_it(corpus, tmp_path):
    """Only a regular file is written beside and moved into place: `-o /dev/stdout` or a FIFO
    is written directly, as before."""
    received = _export_into_a_fifo(corpus, tmp_path / "rows.jsonl")
    assert len(received.decode("utf-8").splitlines()) == 24
    assert sorted(path.name for path in tmp_path.iterdir()) == ["rows.jsonl"]


def test_an_export_to_dev_stdout_is_the_data_alone(corpus):
    """`plens export -o /dev/stdout --format jsonl | jq` met a last line that is no JSON:
    "wrote 24 articles to /dev/stdout" went to the same stream. Said into a pipe, that line is
    now on stderr."""
    import subprocess
    import sys

    from corpus_helpers import subprocess_env

    done = subprocess.run(
        [sys.executable, "-m", "persuasion_lens", "export", "--db", corpus, "-o", "/dev/stdout",
         "--format", "jsonl"], capture_output=True, env=subprocess_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.decode("utf-8").splitlines()
    assert len(lines) == 24 and all(json.loads(line)["paragraphs"] for line in lines)
    assert " ".join(done.stderr.decode().split()) == "wrote 24 articles to /dev/stdout"


def _export_to_dash(corpus: str, folder, *options: str):
    import subprocess
    import sys

    from corpus_helpers import subprocess_env

    return subprocess.run(
        [sys.executable, "-m", "persuasion_lens", "export", "--db", corpus, "-o", "-",
         *options], capture_output=True, env=subprocess_env(), timeout=120, cwd=folder)


def test_an_export_to_dash_goes_to_standard_output(corpus, tmp_path):
    """`plens export -o -` wrote a file called "-"; it is standard output now, as for Unix
    tools: the data alone (CSV without the byte-order mark meant for Excel), the closing line
    on stderr, for CSV, JSON Lines and Parquet."""
    import pyarrow.parquet as pq

    as_jsonl = _export_to_dash(corpus, tmp_path, "--format", "jsonl")
    assert as_jsonl.returncode == 0, as_jsonl.stderr
    lines = as_jsonl.stdout.decode("utf-8").splitlines()
    assert len(lines) == 24 and all(json.loads(line)["paragraphs"] for line in lines)
    assert " ".join(as_jsonl.stderr.decode().split()) == "wrote 24 articles to standard output"
    as_csv = _export_to_dash(corpus, tmp_path, "-f", "csv", "--outlet", "daily planet")
    assert as_csv.returncode == 0, as_csv.stderr
    assert not as_csv.stdout.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout.decode("utf-8"))))
    assert rows and {row["outlet"] for row in rows} == {"Daily Planet"}
    as_parquet = _export_to_dash(corpus, tmp_path, "--format", "parquet")
    assert as_parquet.returncode == 0, as_parquet.stderr
    assert pq.read_table(io.BytesIO(as_parquet.stdout)).num_rows == 24 * 4
    unnamed = _export_to_dash(corpus, tmp_path)
    assert unnamed.returncode == 2 and b"give --format csv, jsonl or parquet" in unnamed.stderr
    assert list(tmp_path.iterdir()) == []


def _export_in_shell(corpus: str, folder, shell_line: str):
    """`plens export --db corpus` followed by `shell_line` (options, redirections, a pipe),
    run by the shell in `folder`."""
    import shlex
    import subprocess
    import sys

    from corpus_helpers import subprocess_env

    plens = f"{shlex.quote(sys.executable)} -m persuasion_lens export --db {shlex.quote(corpus)}"
    return subprocess.run(f"{plens} {shell_line}", shell=True, capture_output=True,
                          env=subprocess_env(), timeout=120, cwd=folder)


def test_csv_into_a_pipe_has_no_byte_order_mark(corpus, tmp_path):
    """The mark meant for Excel went into pipes: `-o /dev/stdout` (a Path, so "a file") made
    `| cut -d, -f1` read "\\ufeffarticle_id". Only a regular file gets it now, as a named pipe
    does not either."""
    for output in ("-", "/dev/stdout"):
        cut = _export_in_shell(corpus, tmp_path, f"-o {output} -f csv | cut -d, -f1")
        assert cut.returncode == 0, cut.stderr
        assert cut.stdout.decode("utf-8").splitlines()[:2] == ["article_id", "1"], output
    assert _export_into_a_fifo(corpus, tmp_path / "rows.csv").startswith(b"article_id,")
    in_a_file = tmp_path / "rows-file.csv"
    assert runner.invoke(app, ["export", "--db", corpus, "-o", str(in_a_file)]).exit_code == 0
    assert in_a_file.read_bytes().startswith(b"\xef\xbb\xbfarticle_id,")


def test_an_export_appended_through_dev_stdout_keeps_the_file(corpus, tmp_path):
    """`plens export -o /dev/stdout >> all.jsonl` wrote a new file beside all.jsonl and put it
    in its place: what all.jsonl held before was lost. It is written through the open
    descriptor now, so the shell's append holds, and the closing line goes to stderr."""
    earlier = tmp_path / "all.jsonl"
    earlier.write_text('{"id": "kept"}\n', encoding="utf-8")
    done = _export_in_shell(corpus, tmp_path, "-o /dev/stdout -f jsonl >> all.jsonl")
    assert done.returncode == 0, done.stderr
    lines = earlier.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"id": "kept"}' and len(lines) == 25
    assert all(json.loads(line)["paragraphs"] for line in lines[1:])
    assert " ".join(done.stderr.decode().split()) == "wrote 24 articles to /dev/stdout"


@pytest.mark.parametrize("output_format, said", [
    ("csv", "nothing matched: only the header was written"),
    ("jsonl", "nothing matched: no lines were written"),
    ("parquet", "nothing matched: Parquet data of the columns and no rows was written"),
])
def test_an_empty_export_to_a_stream_speaks_of_no_file(corpus, tmp_path, output_format, said):
    """`-o -` with nothing matched warned "the file holds only the header": there is no file."""
    for output in ("-", "/dev/stdout"):
        done = _export_in_shell(corpus, tmp_path,
                                f"-o {output} -f {output_format} --outlet nobody | cat")
        assert done.returncode == 0, done.stderr
        told = " ".join(done.stderr.decode().split())
        assert said in told and "file" not in told, told
    in_a_file = runner.invoke(app, ["export", "--db", corpus, "-o", str(tmp_path / "n.csv"),
                                    "--outlet", "nobody"])
    assert "nothing matched: the file holds only the header" in in_a_file.output


def test_an_outlet_or_narrative_of_spaces_alone_is_no_filter(corpus):
    """`--outlet " "` (a script's empty variable, quoted) matched no article at all, silently,
    while `--outlet ""` was no filter; `--narrative " "` was no filter but warned that it
    matched nothing. Spaces alone are no filter for either now, as an empty value."""
    def listed(*options: str):
        result = runner.invoke(app, ["search", "", "--db", corpus, "--format", "json", *options])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout), result.output

    everything, _ = listed()
    for options in (["--outlet", " "], ["--outlet", "\t"], ["--narrative", " "]):
        found, said = listed(*options)
        assert found["total"] == everything["total"] and found["filters"] == {}, options
        assert "matches nothing" not in said, options


def test_a_report_to_dash_is_refused_in_one_line(corpus, tmp_path, monkeypatch):
    """The report's article pages go in a folder beside it: standard output cannot hold them."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["report", "--db", corpus, "-o", "-"])
    assert result.exit_code == 2 and "cannot go to standard output" in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_narrative_filter_without_narratives_stored_says_so(corpus, tmp_path):
    """search, export and report said only that nothing matched."""
    for command in (["search", "headline"], ["export", "-o", str(tmp_path / "n.csv")],
                    ["report", "-o", str(tmp_path / "n.html")],
                    ["search", "headline", "--format", "json"]):
        result = runner.invoke(app, [*command, "--db", corpus, "--narrative", "URW"])
        said = " ".join(result.output.split())
        assert result.exit_code == 0, result.output
        assert ("--narrative 'URW' matches nothing: No narratives are stored: analyse the "
                "articles with `plens batch --narratives`") in said, said


def test_a_narrative_filter_with_narratives_stored_says_nothing_more(narrative_corpus,
                                                                       tmp_path):
    result = runner.invoke(app, ["search", "", "--db", narrative_corpus,
                                 "--narrative", "no such narrative"])
    assert result.exit_code == 0 and "No narratives are stored" not in result.output


def test_web_corpus_router(corpus):
    from persuasion_lens.web.corpus import router

    web = FastAPI()
    web.state.db_url = corpus
    web.include_router(router)
    client = TestClient(web)
    found = client.get("/corpus/api/search", params={"q": "headline", "limit": 2}).json()
    assert found["count"] == 2
    # every title line says "Headline": one match per article, and pages do not overlap
    assert found["total"] == 24
    second = client.get("/corpus/api/search", params={"q": "headline", "limit": 2,
                                                      "offset": 2}).json()
    first_ids = {r["paragraph_id"] for r in found["results"]}
    assert second["count"] == 2 and not first_ids & {r["paragraph_id"] for r in second["results"]}
    everything = client.get("/corpus/api/search", params={"q": "headline", "limit": 500}).json()
    assert everything["count"] == everything["total"] == 24
    filtered = client.get("/corpus/api/search", params={"q": "headline", "technique": "loaded"})
    assert filtered.json()["filters"] == {"technique": "Loaded_Language"}
    data = client.get("/corpus/api/stats").json()
    assert data["articles"] == 24 and data["by_outlet"]
    assert client.get("/corpus/api/stats", params={"since": "soon"}).status_code == 422
    # `language`, as the stored rows spell it, filters as `lang` does (it was ignored)
    assert client.get("/corpus/api/search", params={"q": "headline", "language": "de"}
                      ).json()["total"] == 0
    assert client.get("/corpus/api/search", params={"q": "headline", "language": "en"}
                      ).json()["total"] == 24
    both = client.get("/corpus/api/search", params={"q": "headline", "lang": "en",
                                                     "language": "de"})
    assert both.status_code == 422 and "language='de'" in both.json()["detail"]
    page = client.get("/corpus", params={"q": "headline"})
    assert page.status_code == 200 and "<svg" in page.text and "<mark>" in page.text
    assert "24 matching paragraphs." in page.text
    table = page.text.split("<h2>Results</h2>")[1].split("</table>")[0]
    assert re.search(r"<td>[A-Z][^<]* 0\.\d\d(, |</td>)", table)  # as plens analyze prints
    assert "%" not in table
    article = client.get(f"/corpus/article/{found['results'][0]['article_id']}")
    assert article.status_code == 200 and "<article lang='en'>" in article.text
    assert client.get("/corpus/article/999999").status_code == 404


def test_numbers_beyond_any_database_integer_are_answered_not_crashed_on(corpus):
    from persuasion_lens.web.corpus import router

    web = FastAPI()
    web.state.db_url = corpus
    web.include_router(router)
    client = TestClient(web)
    huge = str(2**64)
    past_the_end = client.get("/corpus/api/search", params={"q": "headline", "offset": huge})
    assert past_the_end.status_code == 200
    assert past_the_end.json()["count"] == 0 and past_the_end.json()["total"] == 24
    assert client.get("/corpus/api/search", params={"q": "headline",
                                                    "limit": huge}).status_code in (200, 422)
    assert client.get(f"/corpus/article/{huge}").status_code == 404
    searched = runner.invoke(app, ["search", "headline", "--db", corpus, "--offset", huge])
    assert searched.exit_code == 0 and searched.exception is None
    assert "no matching paragraphs after the first" in " ".join(searched.output.split())
    limited = runner.invoke(app, ["search", "headline", "--db", corpus, "--limit", huge])
    assert limited.exit_code == 0 and limited.exception is None and "Headline" in limited.output


NO_WORDS = "has no words to search for; listing paragraphs by the filters alone"


@pytest.mark.parametrize(("query", "shown"), [
    ("😀", "😀"), ("_", "_"), ("\x00", "\\x00"), ("\x1f", "\\x1f"), ("\x85", "\\x85"),
    ("\x1c \x1d", "\\x1c \\x1d")])
def test_web_search_says_when_a_query_has_no_words(corpus, query, shown):
    """Such a query lists every paragraph, as an empty one does; `plens search` warned of it,
    the API and the page said nothing. Control characters that Python takes for spaces
    (\\x1c-\\x1f, \\x85) got no notice either; control characters are shown escaped."""
    from persuasion_lens.web.corpus import router

    web = FastAPI()
    web.state.db_url = corpus
    web.include_router(router)
    client = TestClient(web)
    found = client.get("/corpus/api/search", params={"q": query}).json()
    assert found["total"] == 24 * 4
    assert found["notice"] == f"'{shown}' {NO_WORDS}"
    assert client.get("/corpus/api/search", params={"q": "headline"}).json()["notice"] is None
    for blank in ("", " ", "\t\n"):
        assert client.get("/corpus/api/search", params={"q": blank}).json()["notice"] is None
    page = client.get("/corpus", params={"q": query}).text
    assert f"<p class='notice' role='status'>&#x27;{shown}&#x27; {NO_WORDS}</p>" in page
    assert "class='notice'" not in client.get("/corpus", params={"q": "headline"}).text
    command = runner.invoke(app, ["search", query, "--db", corpus])  # says it in the same words
    assert NO_WORDS in " ".join(command.output.split())
    as_json = runner.invoke(app, ["search", query, "--db", corpus, "--format", "json"])
    assert json.loads(as_json.stdout)["notice"] == f"'{shown}' {NO_WORDS}"


def test_stats_without_spans_or_dates(tmp_path):
    rows = [{"text": f"Title {i}\n\nA plain paragraph number {i}."} for i in range(3)]
    path = write_jsonl(tmp_path / "plain.jsonl", rows)
    db = open_database(f"sqlite:///{tmp_path}/plain.db")
    run_batch([str(path)], db, analyzer_spec())
    data = stats(db)
    assert data["articles"] == 3 and data["over_time"]["periods"] == []
    assert data["by_outlet"] == []
    db.dispose()


@pytest.fixture(scope="module")
def narrative_corpus(tmp_path_factory):
    from corpus_helpers import NARRATIVE_ARTICLES, narrative_spec

    return _stored_corpus(tmp_path_factory.mktemp("narratives"),
                          NARRATIVE_ARTICLES + article_rows(2), narrative_spec(), 3)


def test_report_shows_narratives_and_entity_roles(narrative_corpus, tmp_path):
    output = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--db", narrative_corpus, "-o", str(output)])
    assert result.exit_code == 0, result.output
    html = output.read_text(encoding="utf-8")
    for heading in ("Narratives and entity roles <small>(experimental)</small>",
                    "Narratives over time", "Narratives by outlet",
                    "Roles given to people and countries",
                    "Side taken in the Russia–Ukraine war"):
        assert heading in html
    assert "No narratives are stored" not in html and "<p class='none'>" not in html
    assert html.count("<svg") >= 6
    db = open_database(narrative_corpus)
    data = stats(db)["narratives"]
    db.dispose()
    united = next(e for e in data["entities"] if e["entity"] == "United States")
    row = united["by_outlet"][0]
    shown = ", ".join(f"{role} {n}" for role, n in row["roles"].items())
    assert f"<td>{row['outlet']}</td><td>{shown}</td>" in html
    side = data["sides"][0]
    assert (f"<td>{side['outlet']}</td><td>{side['articles']}</td>"
            f"<td>{side['russian_side']} ({side['stated_russian_side']} stated)</td>") in html
    assert "United States" in result.output and "narratives (experimental)" in result.output
    russian = sum(row["russian_side"] for row in data["sides"])
    assert f"side taken in the Russia–Ukraine war (outlets shown in the report): {russian} lean" \
        in " ".join(result.output.split())
    pages = list((tmp_path / "report_files").glob("article-*.html"))
    assert any("Roles</b> <i>(experimental)</i>" in page.read_text() for page in pages)


def test_web_corpus_shows_narratives(narrative_corpus):
    from persuasion_lens.web.corpus import router

    web = FastAPI()
    web.state.db_url = narrative_corpus
    web.include_router(router)
    client = TestClient(web)
    data = client.get("/corpus/api/narratives").json()
    assert data["articles"] == 6 and data["by_outlet"] and data["entities"]
    assert data["over_time"]["unit"] == "month"
    assert client.get("/corpus/api/stats").json()["narratives"] == {
        key: value for key, value in data.items() if key != "filters"}
    label = data["by_narrative"][0]["narrative"]
    filtered = client.get("/corpus/api/narratives", params={"narrative": label.lower()}).json()
    assert filtered["filters"] == {"narrative": label.lower()}
    assert filtered["articles"] == data["by_narrative"][0]["articles"]
    page = client.get("/corpus").text
    assert "Narratives by outlet" in page and "class='entity-roles'" in page
    assert "United States" in page and "(experimental)" in page
    found = client.get("/corpus", params={"narrative": label}).text
    assert "<h2>Results</h2>" in found and "No matching paragraphs" not in found


def test_report_names_what_the_shipped_model_rarely_reports(corpus, tmp_path):
    from persuasion_lens.models.registry import technique_detector
    from persuasion_lens.reporting.corpus_report import rarely_reported_section

    shipped = technique_detector().version + "+spans-1+article-lr-1"
    section = rarely_reported_section({"model_versions": {"en": [shipped], "ru": [shipped]}})
    assert "Techniques the model rarely reports" in section
    assert section.count("<tr><td>") == 2 and "whataboutism" in section
    for versions in (["fake-techniques-1+fake-spans-1"], [shipped, "fake-techniques-1"]):
        # another model, or not every article analysed by the shipped detector: no claim
        assert rarely_reported_section({"model_versions": {"en": versions}}) == ""
    output = tmp_path / "report.html"
    assert runner.invoke(app, ["report", "--db", corpus, "-o", str(output)]).exit_code == 0
    html = output.read_text(encoding="utf-8")
    if real_model_available():  # the corpus was analysed by the shipped models
        assert "Techniques the model rarely reports" in html and "whataboutism" in html
    else:
        assert "Techniques the model rarely reports" not in html


def test_parquet_export_of_a_corpus_with_sides_taken(narrative_corpus, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    output = tmp_path / "paragraphs.parquet"
    result = runner.invoke(app, ["export", "--db", narrative_corpus, "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    table = pq.read_table(output)
    assert table.schema.field("side_russian_probability").type == pa.float64()
    sides = [v for v in table.column("side_russian_probability").to_pylist() if v is not None]
    assert sides and all(0.0 <= v <= 1.0 for v in sides)


def test_stored_roles_below_the_line_read_unclear_everywhere(narrative_corpus, tmp_path):
    """A corpus stores the most likely main role only; below 0.8 it used to be stated as if
    decided on the stored pages and in the flat export."""
    from sqlalchemy import select

    from persuasion_lens.reporting.html import render_html
    from persuasion_lens.storage import open_database
    from persuasion_lens.storage.queries import load_article
    from persuasion_lens.storage.schema import entities
    from persuasion_lens.taxonomy.roles import STATED_ROLE_PROBABILITY

    db = open_database(narrative_corpus)
    try:
        with db.engine.connect() as connection:
            unsure = connection.execute(
                select(entities.c.article_id, entities.c.entity, entities.c.main_role)
                .where(entities.c.main_role_probability < STATED_ROLE_PROBABILITY)).first()
        assert unsure is not None
        _, result = load_article(db, unsure.article_id)
    finally:
        db.dispose()
    stored = next(e for e in result.extra["entities"] if e["entity"] == unsure.entity)
    assert stored["role_is_clear"] is False
    page = render_html([result])
    assert f"{unsure.entity}: role unclear (most likely {unsure.main_role} 0." in page
    output = tmp_path / "rows.csv"
    exported = runner.invoke(app, ["export", "--db", narrative_corpus, "-o", str(output)])
    assert exported.exit_code == 0, exported.output
    csv_text = output.read_text(encoding="utf-8")
    assert f"{unsure.entity}: role unclear (most likely {unsure.main_role} 0." in csv_text


def test_report_top_limits_only_the_densest_articles(tmp_path):
    rows = article_rows(17)
    for number, row in enumerate(rows):
        row["outlet"] = f"Outlet {number:02d}"
    url = _stored_corpus(tmp_path, rows, analyzer_spec(), 8)
    db = open_database(url)
    data = stats(db, top=2)
    db.dispose()
    assert len(data["densest_articles"]) == 2
    assert len(data["by_outlet"]) == 17 and len(data["by_language"]) == 1
    output = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--db", url, "-o", str(output), "--top", "2"])
    assert result.exit_code == 0, result.output
    html = output.read_text(encoding="utf-8")
    assert "The 2 more outlets with the fewest paragraphs are left out of the chart." in html


def test_report_top_does_not_cut_the_narrative_lists(narrative_corpus):
    db = open_database(narrative_corpus)
    everything, one = stats(db)["narratives"], stats(db, top=1)["narratives"]
    db.dispose()
    assert len(everything["by_outlet"]) > 1 and len(everything["sides"]) > 1
    assert len(everything["entities"]) > 1
    assert one == everything


def _dated_corpus(folder, dates: list[str]) -> str:
    folder.mkdir()
    rows = article_rows(len(dates))
    for row, published in zip(rows, dates, strict=True):
        row["published"] = published
    return _stored_corpus(folder, rows, analyzer_spec(), 8)


def test_over_time_has_every_period_between_the_first_and_the_last(tmp_path):
    from persuasion_lens.reporting.corpus_charts import over_time_chart

    months = open_database(_dated_corpus(tmp_path / "months", ["2023-11-30", "2024-02-03"]))
    days = open_database(_dated_corpus(tmp_path / "days", ["2024-03-30", "2024-03-27"]))
    by_month, by_day = stats(months)["over_time"], stats(days)["over_time"]
    months.dispose()
    days.dispose()
    assert by_month["unit"] == "month"
    assert [(p["period"], p["paragraphs"] > 0) for p in by_month["periods"]] == [
        ("2023-11", True), ("2023-12", False), ("2024-01", False), ("2024-02", True)]
    assert by_month["periods"][1]["share_by_category"] == {}
    assert by_day["unit"] == "day"
    assert [p["period"] for p in by_day["periods"]] == [
        "2024-03-27", "2024-03-28", "2024-03-29", "2024-03-30"]
    assert "2024-01" in over_time_chart({"over_time": by_month})


def test_narratives_over_time_has_every_month_between_the_first_and_the_last(tmp_path):
    from corpus_helpers import NARRATIVE_ARTICLES, narrative_spec

    rows = [{**NARRATIVE_ARTICLES[0], "published": "2023-12-05"},
            {**NARRATIVE_ARTICLES[2], "published": "2024-03-20"}]
    db = open_database(_stored_corpus(tmp_path, rows, narrative_spec(), 2))
    periods = stats(db)["narratives"]["over_time"]["periods"]
    db.dispose()
    assert [(p["period"], p["articles"]) for p in periods] == [
        ("2023-12", 1), ("2024-01", 0), ("2024-02", 0), ("2024-03", 1)]


def test_search_lists_every_match_a_page_at_a_time(corpus, monkeypatch):
    from persuasion_lens.cli import corpus as corpus_commands

    monkeypatch.setattr(corpus_commands, "SEARCH_PAGE", 7)  # several pages of 96 paragraphs
    listed = runner.invoke(app, ["search", "", "--db", corpus, "--all", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    everything = json.loads(listed.output)
    ids = [row["paragraph_id"] for row in everything["results"]]
    assert everything["total"] == everything["count"] == len(set(ids)) == 24 * 4
    tail = json.loads(runner.invoke(app, ["search", "", "--db", corpus, "--offset", "90",
                                          "--limit", "20", "--format", "json"]).output)
    assert [row["paragraph_id"] for row in tail["results"]] == ids[90:]
    assert (tail["offset"], tail["count"], tail["total"]) == (90, 6, 96)
    page = runner.invoke(app, ["search", "", "--db", corpus, "--offset", "10", "-n", "15"])
    assert page.exit_code == 0, page.output
    text = " ".join(page.output.split())
    assert ("showing matches 11–25 of 96 matching paragraphs, in the order the articles were "
            "stored (--offset 25 shows the next") in text
    listing = runner.invoke(app, ["search", "", "--db", corpus, "--all"])
    assert listing.exit_code == 0 and "\n96. " in listing.output
    assert "showing" not in listing.output


def test_search_text_is_lines_unless_a_page_goes_to_a_terminal(corpus, monkeypatch):
    """Each page of matches was drawn as a Rich table: 88 s for 39,668 paragraphs with --all
    (4.9 s as JSON). Text not for a terminal, and --all, list a match in three lines: the
    article, the paragraph whole and its techniques."""
    from rich.console import Console

    from persuasion_lens.cli import corpus as corpus_commands

    found = json.loads(runner.invoke(app, ["search", "corrupt", "--db", corpus, "--all",
                                           "--format", "json"]).output)["results"]
    listing = runner.invoke(app, ["search", "corrupt", "--db", corpus, "--all"])
    assert listing.exit_code == 0, listing.output
    assert "│" not in listing.output and "\x1b[" not in listing.output
    for number, row in enumerate(found, start=1):
        techniques = " · ".join(f"{TECHNIQUE_LABELS[hit['technique']]} "
                                f"{two_decimals(hit['confidence'])}"
                                for hit in row["techniques"]) or "no technique detected"
        assert (f"{number}. {row['title']} · {row['outlet']} · {row['published']} · en · "
                f"¶{row['paragraph_index'] + 1}\n   {row['text']}\n   {techniques}\n"
                in listing.output)

    terminal = Console(force_terminal=True, width=100, file=io.StringIO())
    monkeypatch.setattr(corpus_commands, "console", terminal)
    assert runner.invoke(app, ["search", "corrupt", "--db", corpus, "-n", "3"]).exit_code == 0
    assert "│" in terminal.file.getvalue()  # a page for a terminal is a table
    terminal.file = io.StringIO()
    assert runner.invoke(app, ["search", "corrupt", "--db", corpus, "--all"]).exit_code == 0
    lines = terminal.file.getvalue()
    assert "│" not in lines and "\x1b[1;30;43mcorrupt" in lines.lower()
    assert f"{len(found)}. " in lines


def test_web_corpus_page_says_how_to_get_every_match(corpus, monkeypatch):
    from persuasion_lens.web.corpus import router

    web = FastAPI()
    web.state.db_url = corpus
    web.include_router(router)
    page = TestClient(web).get("/corpus", params={"q": "", "technique": "loaded"}).text
    # nothing is ranked without words: the page said "The best 50"
    assert "The first 50 of 57 matching paragraphs, in the order the articles were stored (" \
        in page and "The best" not in page
    assert "plens search &#x27;&#x27; --technique loaded --all --db …" in page
    from persuasion_lens.web import corpus as corpus_web

    monkeypatch.setattr(corpus_web, "RESULTS_SHOWN", 10)  # fewer than the 24 "headline" matches
    ranked = TestClient(web).get("/corpus", params={"q": "headline"}).text
    assert "The best 10 of 24 matching paragraphs (" in ranked
    assert ("href='/corpus/api/search?q=&amp;technique=loaded&amp;limit=500&amp;offset=50'"
            in page)


def test_report_links_only_web_addresses(tmp_path):
    """A feed's url column is untrusted: a javascript: URL was a link that ran in the report."""
    rows = article_rows(4)
    rows[0]["url"] = "javascript:alert('url')"
    rows[1]["url"] = " JAVASCRIPT:alert(1)"
    rows[2]["url"] = "data:text/html,<script>alert(1)</script>"
    url = _stored_corpus(tmp_path, rows, analyzer_spec(), 8)
    output = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--db", url, "-o", str(output)])
    assert result.exit_code == 0, result.output
    html = output.read_text(encoding="utf-8")
    assert "javascript:" not in html.lower() and "data:text/html" not in html
    assert "href='https://example.org/3' rel='noopener noreferrer'>source</a>" in html


@pytest.mark.parametrize(("url", "linkable"), [
    ("https://example.org/a?b=1", "https://example.org/a?b=1"),
    (" http://example.org ", "http://example.org"),
    ("javascript:alert(1)", None), ("JavaScript:alert(1)", None), ("//example.org", None),
    ("vbscript:msgbox", None), ("https:alert", None), ("", None), (None, None),
    ("http://[::1", None),
])
def test_only_http_addresses_are_linkable(url, linkable):
    from persuasion_lens.reporting.links import linkable_url

    assert linkable_url(url) == linkable


def _corpus_client(url: str) -> TestClient:
    from persuasion_lens.web.corpus import router

    web = FastAPI()
    web.state.db_url = url
    web.include_router(router)
    return TestClient(web)


def _listed(page: str) -> list[str]:
    """The article links of the page's results, in order."""
    return re.findall(r"<td><a href='(/corpus/article/[^']*)'>", page)


def test_web_corpus_search_pages_through_every_match(corpus, monkeypatch):
    """The page showed the best 50 and only a link to raw JSON for the rest."""
    from persuasion_lens.web import corpus as corpus_web

    monkeypatch.setattr(corpus_web, "RESULTS_SHOWN", 20)  # three pages of the 57 matches
    client = _corpus_client(corpus)
    first = client.get("/corpus", params={"q": "", "technique": "loaded"}).text
    total = client.get("/corpus/api/search", params={"technique": "loaded"}).json()["total"]
    assert 40 < total <= 60
    assert "rel='prev'" not in first
    assert "<a href='/corpus?technique=loaded&amp;offset=20' rel='next'>next 20 →</a>" in first
    second = client.get("/corpus", params={"technique": "loaded", "offset": 20}).text
    assert f"Matches 21–40 of {total} matching paragraphs" in second
    assert "<a href='/corpus?technique=loaded' rel='prev'>← previous 20</a>" in second
    assert (f"<a href='/corpus?technique=loaded&amp;offset=40' rel='next'>next {total - 40} →"
            "</a>") in second
    assert "limit=500&amp;offset=40'" in second  # the JSON hint for scripts goes on from here
    last = client.get("/corpus", params={"technique": "loaded", "offset": 40}).text
    assert f"Matches 41–{total} of {total}" in last
    assert "rel='next'" not in last and "offset=20' rel='prev'" in last
    pages = [_listed(page) for page in (first, second, last)]
    assert [len(p) for p in pages] == [20, 20, total - 40]
    api = client.get("/corpus/api/search", params={"technique": "loaded", "limit": 500}).json()
    assert [link.split("?")[0] for p in pages for link in p] == [
        f"/corpus/article/{row['article_id']}" for row in api["results"]]
    beyond = client.get("/corpus", params={"technique": "loaded", "offset": 10_000}).text
    assert f"No matching paragraphs after the first 10,000: there are {total}." in beyond
    assert "<a href='/corpus?technique=loaded'>The first page</a>" in beyond


def test_web_corpus_lists_paragraphs_for_any_filter(corpus):
    """Filtering by outlet, language or dates alone showed charts and counts and no results,
    without a word why."""
    client = _corpus_client(corpus)
    for params in ({"outlet": "daily planet"}, {"lang": "en"}, {"since": "2024-03-01"},
                   {"until": "2024-01-31"}):
        page = client.get("/corpus", params=params).text
        expected = client.get("/corpus/api/search", params=params).json()["total"]
        assert "<h2>Results</h2>" in page and expected > 0, params
        assert len(_listed(page)) == min(expected, 50), params
    landing = client.get("/corpus").text
    assert not _listed(landing)
    assert "Type words to search for, or set any filter" in landing
    bad = client.get("/corpus", params={"since": "soon"}).text  # the error says what to fix
    assert "class='error'" in bad and "Type words to search for" not in bad


def test_web_corpus_lists_nothing_while_a_filter_is_unreadable(corpus):
    """A mistyped technique dropped every filter: the page listed the search's paragraphs in
    every outlet and language (and charted the whole corpus) under a form that still showed
    the outlet and the language asked for."""
    client = _corpus_client(corpus)
    params = {"q": "", "outlet": "Daily Planet", "lang": "en", "technique": "loaded langauge"}
    page = client.get("/corpus", params=params).text
    assert "unknown technique &#x27;loaded langauge&#x27;" in page
    assert "Nothing is listed or charted until it is corrected or emptied." in page
    assert not _listed(page) and "<svg" not in page and "<h2>Results</h2>" not in page
    assert "value='Daily Planet'" in page and "value='loaded langauge'" in page  # kept to fix
    fixed = client.get("/corpus", params={**params, "technique": "loaded language"}).text
    assert _listed(fixed) and "<svg" in fixed


def test_web_corpus_article_page_leads_back_and_says_where_it_comes_from(corpus):
    """The article page had no way back to the search and did not show the article's outlet,
    date or address; a missing article answered a browser with raw JSON."""
    client = _corpus_client(corpus)
    searched = client.get("/corpus", params={"q": "headline", "outlet": "Daily Planet",
                                             "offset": 3}).text
    link = _listed(searched)[0].replace("&amp;", "&")
    assert link.endswith("?q=headline&outlet=Daily+Planet&offset=3")
    page = client.get(link).text
    assert ("<nav class='back'><a href='/corpus?q=headline&amp;outlet=Daily+Planet&amp;"
            "offset=3'>← back to the search</a></nav>") in page
    article_id = int(link.split("/")[-1].split("?")[0])
    api = client.get("/corpus/api/search", params={"q": "headline", "outlet": "Daily Planet",
                                                   "limit": 500}).json()
    row = next(r for r in api["results"] if r["article_id"] == article_id)
    number = int(row["external_id"].removeprefix("a"))
    assert (f"<dt>Outlet</dt><dd>Daily Planet</dd><dt>Published</dt><dd>{row['published']}"
            f"</dd><dt>Address</dt><dd><a href='https://example.org/{number}' "
            f"rel='noopener noreferrer'>https://example.org/{number}</a></dd>") in page
    plain = client.get(f"/corpus/article/{article_id}").text  # no search to go back to
    assert "<nav class='back'><a href='/corpus'>← the corpus</a></nav>" in plain
    missing = client.get("/corpus/article/99999", params={"q": "headline"})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert "There is no article 99999 in this corpus." in missing.text
    assert "<a href='/corpus?q=headline'>← back to the search</a>" in missing.text
    assert "detail" not in missing.text
    assert client.get("/corpus/api/search", params={"since": "x"}).json()["detail"]  # API: JSON


def test_report_article_pages_lead_back_and_never_link_scripts(tmp_path):
    from persuasion_lens.reporting.links import address_link

    rows = article_rows(2)
    rows[1]["url"] = "javascript:alert(1)"
    url = _stored_corpus(tmp_path, rows, analyzer_spec(), 8)
    output = tmp_path / "report.html"
    assert runner.invoke(app, ["report", "--db", url, "-o", str(output)]).exit_code == 0
    pages = [page.read_text(encoding="utf-8")
             for page in sorted((tmp_path / "report_files").glob("article-*.html"))]
    assert len(pages) == 2
    assert all("<a href='../report.html'>← the corpus report</a>" in page for page in pages)
    assert any("<dt>Address</dt><dd>javascript:alert(1)</dd>" in page for page in pages)
    assert "href='javascript" not in output.read_text(encoding="utf-8") + "".join(pages)
    assert address_link(" HTTPS://example.org/?a=1&b='2' ") == (
        "<a href='HTTPS://example.org/?a=1&amp;b=&#x27;2&#x27;' rel='noopener noreferrer'>"
        "HTTPS://example.org/?a=1&amp;b=&#x27;2&#x27;</a>")
    assert address_link("http://[::1") == "http://[::1"  # malformed: text, not a traceback


def _contrast(foreground: str, background: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours."""
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    lighter, darker = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _colour(style: str, selector: str) -> str:
    colour = re.search(re.escape(selector) + r"\{color:(#[0-9a-f]{3,6})[;}]", style).group(1)
    return colour if len(colour) == 7 else "#" + "".join(c * 2 for c in colour[1:])


@pytest.mark.parametrize(("stylesheet", "selector", "background"), [
    ("html", "p.par .num", "#ffffff"),  # ¶ numbers of the report and the corpus article page
    ("html", "footer", "#fafafa"), ("html", ".rarely", "#ffffff"), ("html", ".warn", "#ffffff"),
    ("corpus", "footer", "#fafafa"), ("corpus", ".none", "#ffffff"),
    ("corpus", ".filters", "#fafafa"),
])
def test_grey_text_is_readable(stylesheet, selector, background):
    """¶ numbers were #999 on white (2.85:1) and footers #888 on #fafafa (3.4:1); WCAG AA asks
    4.5:1 of text."""
    from persuasion_lens.reporting import corpus_report, html

    style = {"html": html._STYLE, "corpus": corpus_report.STYLE}[stylesheet]
    assert _contrast(_colour(style, selector), background) >= 4.5


def test_one_of_a_kind_is_written_in_the_singular(corpus):
    """'1 matching paragraphs', '1 articles were analysed', 'and 1 more main actors'."""
    from persuasion_lens.reporting.corpus_report import narrative_sections
    from persuasion_lens.reporting.terminal import MAX_ENTITIES, more_entities_note

    client = _corpus_client(corpus)
    page = client.get("/corpus", params={"q": "headline 7", "since": "2024-01-01",
                                         "until": "2024-01-01"}).text
    assert "<p>1 article · 4 paragraphs · " in page and " · 1 detection<" not in page
    one = client.get("/corpus", params={"q": "headline 7"}).text
    assert "<p>1 matching paragraph.</p>" in one
    narratives = {"articles": 1, "by_narrative": [], "by_outlet": [], "entities": [],
                  "over_time": {"periods": []}, "sides": []}
    assert "<p>1 article was analysed with the narrative model." in narrative_sections(
        {"narratives": narratives})
    extra = {"entities": [{}] * (MAX_ENTITIES + 1), "minor_entities": [{}]}
    assert more_entities_note(extra) == ("and 1 more main actor; 1 other name found that the "
                                         "article probably casts in no role")
    extra = {"entities": [{}] * (MAX_ENTITIES + 2), "minor_entities": [{}] * 3}
    assert more_entities_note(extra).startswith("and 2 more main actors; 3 other names found")


def test_corpus_charts_are_labelled_images(narrative_corpus, tmp_path):
    """The six charts had no role, aria-label or <title> (the report's and the web page's)."""
    output = tmp_path / "report.html"
    made = runner.invoke(app, ["report", "--db", narrative_corpus, "-o", str(output)])
    assert made.exit_code == 0, made.output
    page = _corpus_client(narrative_corpus).get("/corpus").text
    for html in (output.read_text(encoding="utf-8"), page):
        charts = re.findall(r"<svg\b[^>]*>\s*<title>[^<]*</title>", html)
        assert len(charts) == html.count("<svg") == 6
        for title in ("Techniques by category", "Techniques over time", "Techniques by outlet",
                      "Techniques by language", "Narratives over time", "Narratives by outlet"):
            assert re.search(f'<svg [^>]*role="img" aria-label="{title}" '
                             rf'style="min-width:\d+pt"><title>{title}</title><desc>', html)


def _fake_corpus(folder, rows: list[dict]) -> str:
    """A SQLite corpus of `rows` analysed by the deterministic fake analyzer (its detections
    follow cue words), whichever models are installed."""
    from persuasion_lens.batch.work import AnalyzerSpec

    folder.mkdir(exist_ok=True)
    return _stored_corpus(folder, rows, AnalyzerSpec(factory="corpus_helpers:fake_analyzer"), 8)


def _svgs(html: str) -> dict[str, str]:
    """The report's charts by their title."""
    return dict(re.findall(r'<svg [^>]*aria-label="([^"]+)"[^>]*>(.*?)</svg>', html, re.S))


def _axis_texts(svg: str, axis: int) -> list[str]:
    """The words of the chart's `axis`-th axis (matplotlib numbers them x, y, x, y, ...):
    its tick labels, then its label."""
    part = re.split(r'<g id="[^"]*matplotlib\.axis_\d+"', svg)[axis]
    part = re.split(r'<g id="[^"]*(?:axes|legend)_\d+"', part)[0]
    return re.findall(r"<text\b[^>]*>([^<]*)</text>", part)


def test_shares_over_time_start_at_zero_above_the_counts_they_are_shares_of(tmp_path):
    """A period of two articles read as a collapse (the line fell to 0 with nothing to say
    the period held 17 paragraphs), and one period alone was drawn on an axis from 12 to 24:
    the shares now stand on an axis from 0, above bars of the paragraphs (articles, for
    narratives) each period has."""
    from corpus_helpers import NARRATIVE_ARTICLES, narrative_spec

    rows = article_rows(3)
    for row in rows:
        row["published"] = "2024-03-05"
        row["text"] = "Headline: a shameful disaster\n\n" + row["text"]
    url = _fake_corpus(tmp_path / "one-day", rows)
    output = tmp_path / "report.html"
    assert runner.invoke(app, ["report", "--db", url, "-o", str(output)]).exit_code == 0
    svg = _svgs(output.read_text(encoding="utf-8"))["Techniques over time"]
    shares = _axis_texts(svg, 2)
    assert shares[0] == "0" and shares[-1] == "% of paragraphs", shares
    counts = _axis_texts(svg, 4)
    assert counts[-1] == "paragraphs per day" and all(t.isdigit() for t in counts[:-1])
    db = open_database(url)
    paragraphs = stats(db)["paragraphs"]
    db.dispose()
    assert int(counts[-2]) <= paragraphs

    one_month = [{**article, "published": "2024-02-0" + str(n + 1)}
                 for n, article in enumerate(NARRATIVE_ARTICLES[:2])]
    url = _stored_corpus(tmp_path, one_month, narrative_spec(), 2)
    assert runner.invoke(app, ["report", "--db", url, "-o", str(output)]).exit_code == 0
    svg = _svgs(output.read_text(encoding="utf-8"))["Narratives over time"]
    shares = _axis_texts(svg, 2)
    assert shares[0] == "0" and shares[-1] == "% of articles", shares
    assert _axis_texts(svg, 4)[-1] == "articles per month"


def test_detections_are_counted_in_whole_numbers(tmp_path):
    """A few detections drew ticks at 0.5, 1.5, 2.5 detections."""
    rows = article_rows(2)
    rows[0]["text"] = "Headline: a shameful disaster\n\nObviously a disaster."
    rows[1]["text"] = "Headline: the nation\n\nA plain paragraph."
    url = _fake_corpus(tmp_path / "few", rows)
    output = tmp_path / "report.html"
    assert runner.invoke(app, ["report", "--db", url, "-o", str(output)]).exit_code == 0
    ticks = _axis_texts(_svgs(output.read_text(encoding="utf-8"))["Techniques by category"], 1)
    assert ticks[-1] == "detections (paragraph × technique)"
    assert len(ticks) > 2 and all(tick.isdigit() for tick in ticks[:-1]), ticks


def test_charts_without_data_say_why(tmp_path):
    """A technique filter that no detection matches drew an empty over-time plot (and
    matplotlib's "No artists with labels" warning), and every empty chart said "nothing stored
    matches, or the articles lack this metadata" whatever the reason."""
    rows = article_rows(3)
    for row in rows:
        row["outlet"] = None
    rows[0]["published"] = None
    url = _fake_corpus(tmp_path / "plain", rows)
    output = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--db", url, "-o", str(output),
                                 "--technique", "whataboutism"])
    assert result.exit_code == 0, result.output
    html = output.read_text(encoding="utf-8")
    assert "Techniques over time" in html and "Techniques over time" not in _svgs(html)
    said = re.findall(r"<h2>([^<]+)</h2><p>[^<]*</p><p class='none'>([^<]*)</p>", html)
    assert said == [
        ("Techniques by category", "Whataboutism was not detected in the 3 matching articles."),
        ("Techniques over time", "Whataboutism was not detected in the 3 matching articles."),
        ("Techniques by outlet", "None of the 3 matching articles names its outlet."),
    ], said
    undated = tmp_path / "undated.html"
    rows = [{**row, "published": None} for row in article_rows(2)]
    url = _fake_corpus(tmp_path / "undated", rows)
    assert runner.invoke(app, ["report", "--db", url, "-o", str(undated)]).exit_code == 0
    assert ("<p class='none'>None of the 2 matching articles has a publication date.</p>"
            in undated.read_text(encoding="utf-8"))
    single = tmp_path / "single.html"  # not "None of the matching article has ..."
    url = _fake_corpus(tmp_path / "single", [{**row, "outlet": None} for row in rows[:1]])
    assert runner.invoke(app, ["report", "--db", url, "-o", str(single)]).exit_code == 0
    html = single.read_text(encoding="utf-8")
    assert "<p class='none'>The matching article has no publication date.</p>" in html
    assert "<p class='none'>The matching article names no outlet.</p>" in html


def test_narratives_by_outlet_says_which_outlets_it_leaves_out(tmp_path):
    """The narratives heatmap keeps the outlets with the most articles, but said it left out
    those "with the fewest paragraphs"."""
    from corpus_helpers import NARRATIVE_ARTICLES, narrative_spec

    rows = [{**NARRATIVE_ARTICLES[number % 4], "id": f"o{number}", "outlet": f"Outlet {number}"}
            for number in range(12)]
    url = _stored_corpus(tmp_path, rows, narrative_spec(), 6)
    output = tmp_path / "report.html"
    assert runner.invoke(app, ["report", "--db", url, "-o", str(output)]).exit_code == 0
    html = output.read_text(encoding="utf-8")
    assert ("carrying each of the most frequent narratives. The 2 more outlets with the fewest "
            "articles are left out of the chart.") in html


def test_json_lines_export_carries_spans_offsets_and_frames(tmp_path):
    """The stored highlighted spans, the paragraphs' offsets and the frames were in no export
    (39,201 spans and 9,792 frames of a 3,032-article corpus could only be seen one article
    page at a time). Offsets count characters of the article's text, as `plens analyze
    --format json`'s do, also after emoji, Cyrillic and Devanagari letters with marks."""
    import sqlite3

    from persuasion_lens.batch.work import AnalyzerSpec

    rows = article_rows(2)
    rows[0]["text"] = ("Россия 🇷🇺 и भारत: a corrupt день\n\nहिन्दी ❤️ obviously a disaster "
                       "for the nation.\n\nA quiet paragraph.")
    rows[0]["lang"] = "ru"
    url = _fake_corpus(tmp_path / "spans", rows)
    output = tmp_path / "articles.jsonl"
    result = runner.invoke(app, ["export", "--db", url, "-o", str(output)])
    assert result.exit_code == 0, result.output
    articles = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    with sqlite3.connect(tmp_path / "spans" / "corpus.db") as connection:
        stored = connection.execute("SELECT count(*) FROM spans").fetchone()[0]
        texts = dict(connection.execute("SELECT id, text FROM articles"))
    exported = [(article, paragraph, span) for article in articles
                for paragraph in article["paragraphs"] for span in paragraph["spans"]]
    assert stored and len(exported) == stored
    for article, paragraph, span in exported:
        assert set(span) == {"start", "end", "text", "technique", "category", "confidence"}
        assert texts[article["article_id"]][span["start"]:span["end"]] == span["text"]
        at = span["start"] - paragraph["start"]
        assert paragraph["text"][at:at + len(span["text"])] == span["text"]
    for article in articles:
        for paragraph in article["paragraphs"]:
            whole = texts[article["article_id"]]
            assert whole[paragraph["start"]:paragraph["end"]] == paragraph["text"]
    assert {span["text"] for _, _, span in exported} >= {"corrupt", "disaster", "nation"}

    url = _stored_corpus(tmp_path, article_rows(1), AnalyzerSpec(
        factory="corpus_helpers:edge_analyzer"), 1)
    result = runner.invoke(app, ["export", "--db", url, "-o", str(output)])
    assert result.exit_code == 0, result.output
    article = json.loads(output.read_text(encoding="utf-8"))
    assert article["frames"] == [{"label": "Economic", "probability": 0.125},
                                 {"label": "Political", "probability": 0.005}]
    assert all(paragraph["spans"] == [] for paragraph in article["paragraphs"])


def test_a_technique_no_article_uses_is_not_taken_for_missing_narratives(narrative_corpus,
                                                                          tmp_path):
    """With a technique filter that no paragraph matches, the narrative section said "No
    article matching the filters has narratives stored", though every one of them has."""
    output = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--db", narrative_corpus, "-o", str(output),
                                 "--technique", "whataboutism"])
    assert result.exit_code == 0, result.output
    said = "No article with narratives stored has a paragraph using Whataboutism."
    assert said in " ".join(result.output.split())
    assert f"<p class='none'>{said}</p>" in output.read_text(encoding="utf-8")
    client = _corpus_client(narrative_corpus)
    answer = client.get("/corpus/api/narratives",
                        params={"category": "distraction", "lang": "en"}).json()
    assert answer["message"] == ("No article with narratives stored has a paragraph using "
                                 "Distraction among those matching the other filters.")
    nobody = client.get("/corpus/api/narratives",
                        params={"technique": "whataboutism", "outlet": "Nobody"}).json()
    assert nobody["message"] == "No article matching the filters has narratives stored."


def test_article_pages_keep_the_letters_of_their_highlight_tips():
    """Each highlight's tip data escaped every non-ASCII letter as \\uXXXX (6 bytes for a
    Cyrillic letter's 2), on every highlight: the tips now hold the letters as they are."""

    from persuasion_lens.pipeline.results import (
        ArticleResult,
        ParagraphResult,
        SpanHit,
        TechniqueHit,
    )
    from persuasion_lens.reporting.html import render_html

    text = "Позор: это коррупционное решение"
    span = SpanHit(12, 25, text[12:25], "Loaded_Language", "Manipulative wording", 0.7,
                   "Loaded language: here “коррупционное”")
    result = ArticleResult("ru", [ParagraphResult(
        0, 0, len(text), text, [TechniqueHit("Loaded_Language", "Manipulative wording", 0.7)],
        [span])])
    page = render_html([result])
    tips = report_tips(page)
    assert tips == [[{"label": "Loaded language", "category": "Manipulative wording",
                      "confidence": "0.70", "explanation": "Loaded language: here “коррупционное”",
                      "loose": False}]]
    assert "\\u04" not in page and "here “коррупционное”" in page


def test_charts_drawn_at_once_keep_their_settings(corpus, monkeypatch):
    """matplotlib's settings are one for the process: a chart drawn while another one finished
    (two first views of the corpus page at once) was written with the default settings, its
    words as glyph outlines instead of text. A chart now waits for the one being drawn."""
    import threading

    from persuasion_lens.reporting import corpus_charts

    data = stats(open_database(corpus), None)
    other_started, drawing, other_done = threading.Event(), threading.Event(), threading.Event()
    real_svg = corpus_charts._svg

    def svg_once_the_other_chart_is_done(fig):
        drawing.set()
        other_done.wait(timeout=5)
        return real_svg(fig)

    def other_chart():
        with corpus_charts._style():
            other_started.set()
            drawing.wait(timeout=1)  # the old code drew the chart below meanwhile
        other_done.set()

    monkeypatch.setattr(corpus_charts, "_svg", svg_once_the_other_chart_is_done)
    other = threading.Thread(target=other_chart)
    other.start()
    other_started.wait(timeout=5)
    svg = corpus_charts.techniques_chart(data)
    other.join()
    assert "<text" in svg and "font-size: 9px" in svg


def test_densest_articles_count_the_filtered_detections(corpus, tmp_path):
    """With a technique filter the densest articles' share counted that technique's paragraphs
    but their "Detections" every technique of the article (75 beside a total of 16): the
    column now counts the filtered detections, as the report's total does."""
    import sqlalchemy as sa

    from persuasion_lens.storage.queries import Filters
    from persuasion_lens.storage.schema import techniques

    db = open_database(corpus)
    try:
        data = stats(db, Filters(technique="Loaded_Language"))
        with db.engine.connect() as connection:
            counted = dict(connection.execute(
                sa.select(techniques.c.article_id, sa.func.count())
                .where(techniques.c.technique == "Loaded_Language")
                .group_by(techniques.c.article_id)).all())
    finally:
        db.dispose()
    densest = data["densest_articles"]
    assert densest and all(a["n_techniques"] == counted[a["id"]] for a in densest)
    output = tmp_path / "loaded.html"
    result = runner.invoke(app, ["report", "--db", corpus, "-o", str(output),
                                 "--technique", "loaded"])
    assert result.exit_code == 0, result.output
    first = densest[0]
    assert (f"{first['with_hits']}/{first['n_paragraphs']} ({first['density']:.0%})</td>"
            f"<td>{counted[first['id']]}</td>") in output.read_text(encoding="utf-8")


def test_an_entity_stored_twice_in_an_article_counts_it_once(tmp_path, db_url):  # noqa: F811
    """Before mentions shown under one name were one entity, a Russian article could store
    "Киев" twice (from "Киев" and "Киева"); the role table counted that article twice."""
    import sqlalchemy as sa
    from corpus_helpers import NARRATIVE_ARTICLES, narrative_spec

    from persuasion_lens.storage.schema import entities

    path = write_jsonl(tmp_path / "articles.jsonl", NARRATIVE_ARTICLES)
    db = open_database(db_url)
    run_batch([str(path)], db, narrative_spec(), batch_size=3)
    before = stats(db)["narratives"]["entities"]
    with db.engine.begin() as connection:
        row = connection.execute(sa.select(entities).order_by(entities.c.id)).mappings().first()
        last = connection.execute(sa.select(sa.func.max(entities.c.entity_index)).where(
            entities.c.article_id == row["article_id"])).scalar()
        connection.execute(entities.insert().values(
            {**{k: v for k, v in row.items() if k != "id"}, "entity_index": last + 1}))
    after = stats(db)["narratives"]["entities"]
    db.dispose()
    counts = {e["entity"]: (e["articles"], e["roles"]) for e in before}
    again = {e["entity"]: (e["articles"], e["roles"]) for e in after}
    assert again == counts
