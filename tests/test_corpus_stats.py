"""`plens stats`: the stored corpus's numbers in the terminal and as JSON, after real `plens batch`
runs into SQLite and PostgreSQL, checked against `stats()` and against the export."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from corpus_helpers import (
    NARRATIVE_ARTICLES,
    OUTLETS,
    analyzer_args,
    article_rows,
    make_url,
    subprocess_env,
    write_jsonl,
)
from typer.testing import CliRunner

from persuasion_lens.cli import app
from persuasion_lens.storage import open_database
from persuasion_lens.storage.queries import Filters, narrative_summary, stats
from persuasion_lens.taxonomy import CATEGORY_NAMES, technique

runner = CliRunner()
WIDE = {"COLUMNS": "100"}
# the keys `plens stats --format json` gives (docs/corpus.md lists them)
STATS_KEYS = {"filters", "articles", "paragraphs", "paragraphs_with_techniques", "techniques",
              "by_technique", "by_category", "over_time", "by_outlet", "by_language",
              "model_versions", "top_phrases", "densest_articles", "failures", "narratives"}


def _batch(inputs: Path, url: str, *options: str) -> None:
    result = runner.invoke(app, ["batch", str(inputs), "--db", url, "--no-progress",
                                 *analyzer_args(), *options], env=subprocess_env())
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def corpus(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(request.param)
    url, cleanup = make_url(request.param, folder)
    _batch(write_jsonl(folder / "articles.jsonl", article_rows(24)), url)
    yield url
    cleanup()


def _stats_of(url: str, filters: Filters | None = None) -> dict:
    database = open_database(url, must_exist=True)
    try:
        return json.loads(json.dumps(stats(database, filters), default=str))
    finally:
        database.dispose()


def _invoke(*arguments: str):
    return runner.invoke(app, ["stats", *arguments], env=WIDE)


def _exported(url: str, tmp_path: Path, *filters: str) -> list[dict]:
    output = tmp_path / "rows.csv"
    result = runner.invoke(app, ["export", "--db", url, "-o", str(output), *filters])
    assert result.exit_code == 0, result.output
    with output.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_json_is_the_data_of_stats_and_counts_what_the_export_holds(corpus, tmp_path):
    result = _invoke("--db", corpus, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)

    assert data == _stats_of(corpus)
    assert set(data) == STATS_KEYS
    rows = _exported(corpus, tmp_path)
    assert data["articles"] == len({row["article_id"] for row in rows}) == 24
    assert data["paragraphs"] == len(rows)
    assert data["paragraphs_with_techniques"] == sum(1 for row in rows if row["techniques"])
    used = Counter(name for row in rows if row["techniques"]
                   for name in row["techniques"].split(";"))
    assert {row["technique"]: row["count"] for row in data["by_technique"]} == dict(used)
    assert {row["outlet"] for row in data["by_outlet"]} == set(OUTLETS)
    assert data["over_time"]["unit"] == "month"
    assert [p["period"] for p in data["over_time"]["periods"]] == ["2024-01", "2024-02", "2024-03"]


def test_the_terminal_summary_shows_the_numbers_stats_gives(corpus):
    result = _invoke("--db", corpus)
    assert result.exit_code == 0, result.output
    data = _stats_of(corpus)
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    share = data["paragraphs_with_techniques"] / data["paragraphs"]
    assert (f"Articles 24 Paragraphs {data['paragraphs']} Paragraphs with techniques "
            f"{data['paragraphs_with_techniques']} ({share:.0%}) Detections {data['techniques']} "
            "Failed inputs 0") in lines
    for row in data["by_technique"]:
        label = technique(row["technique"]).label
        assert any(line.startswith(f"{label} {row['category']} {row['count']} "
                                   f"{row['count'] / data['paragraphs']:.0%}")
                   for line in lines), label
    used = [name for name in CATEGORY_NAMES  # a column each, in the taxonomy's order
            if any(name in row["share_by_category"] for row in data["by_outlet"])]
    for row in data["by_outlet"]:
        shares = " ".join(f"{row['share_by_category'].get(name, 0):.0%}" for name in used)
        assert (f"{row['outlet']} {row['articles']} {row['paragraphs']} "
                f"{row['share_with_techniques']:.0%} {shares}") in lines
    assert any(line.startswith("Techniques over time share of paragraphs using each category, "
                               "by month, 2024-01 to 2024-03") for line in lines)
    assert any(line.startswith("paragraphs ") and line.endswith(" 2024-01") for line in lines)
    assert any(line.startswith("Techniques by language") for line in lines)
    assert "No narratives are stored: analyse the articles with `plens batch --narratives`" \
        in " ".join(lines)


def test_the_filters_are_those_of_the_report(corpus, tmp_path):
    result = _invoke("--db", corpus, "--format", "json", "--outlet", "daily  PLANET",
                     "-t", "loaded", "--until", "2024-01-15")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    filters = Filters.from_user("loaded", None, "daily  PLANET", None, None, "2024-01-15")
    assert data == _stats_of(corpus, filters)
    assert data["filters"] == {"technique": "Loaded_Language", "outlet": "daily  PLANET",
                               "until": "2024-01-15"}
    rows = _exported(corpus, tmp_path, "--outlet", "daily  PLANET", "-t", "loaded",
                     "--until", "2024-01-15")
    assert data["by_technique"][0]["count"] == len(rows) > 0
    assert [row["technique"] for row in data["by_technique"]] == ["Loaded_Language"]

    text = _invoke("--db", corpus, "-t", "loaded", "-l", "en", "-c", "manipulative")
    assert text.exit_code == 0, text.output
    printed = text.stdout
    assert "filters: technique: Loaded_Language, category: Manipulative wording, lang: en" \
        in " ".join(printed.split())
    assert "Name calling" not in printed
    # over time, the row is the technique filtered on
    over_time = printed.split("Techniques over time", 1)[1].splitlines()[:5]
    assert any(line.startswith("Loaded language ") and line.endswith("%  2024-03")
               for line in over_time), over_time


def test_output_to_a_file_or_standard_output(corpus, tmp_path):
    text_file = tmp_path / "stats.txt"
    result = _invoke("--db", corpus, "-o", str(text_file))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"wrote {text_file}"
    written = text_file.read_text(encoding="utf-8")
    assert written.startswith("Corpus statistics · filters: none\n") and "\x1b[" not in written
    json_file = tmp_path / "stats.json"
    assert _invoke("--db", corpus, "-o", str(json_file)).exit_code == 0
    assert json.loads(json_file.read_text(encoding="utf-8")) == _stats_of(corpus)
    to_stdout = _invoke("--db", corpus, "-o", "-", "--format", "json")
    assert to_stdout.exit_code == 0 and json.loads(to_stdout.stdout) == _stats_of(corpus)
    folder = _invoke("--db", corpus, "-o", str(tmp_path))
    assert folder.exit_code == 2
    assert " ".join(folder.output.split()) == (f"error: {tmp_path} is a folder: give the file "
                                               f"to write, such as {tmp_path / 'stats.txt'}")


def test_writing_over_the_sqlite_database_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'corpus.db'}"
    _batch(write_jsonl(tmp_path / "few.jsonl", article_rows(2)), url)
    before = (tmp_path / "corpus.db").read_bytes()
    result = _invoke("--db", url, "-o", str(tmp_path / "corpus.db"))
    assert result.exit_code == 2 and "would destroy the corpus" in result.output
    assert (tmp_path / "corpus.db").read_bytes() == before


def test_errors_and_empty_corpora_are_one_line(tmp_path):
    missing = tmp_path / "missing.db"
    result = _invoke("--db", f"sqlite:///{missing}")
    assert result.exit_code == 2 and not missing.exists()
    assert " ".join(result.output.split()) == (f"error: sqlite:///{missing}: no database here "
                                               "yet (plens batch creates it)")
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    open_database(url).dispose()  # the tables and no article
    empty = _invoke("--db", url)
    assert empty.exit_code == 0, empty.output
    assert "warning: the database holds no articles yet: plens batch stores them" in empty.output
    assert "No stored article matches the filters." in empty.output
    assert "Traceback" not in empty.output
    unknown = _invoke("--db", url, "-t", "zz")
    assert unknown.exit_code == 2 and unknown.output.startswith("error:")
    assert len(unknown.output.strip().splitlines()) == 1
    nowhere = _invoke("--db", "postgresql://plens:plens@127.0.0.1:1/plens")
    assert nowhere.exit_code == 2
    assert nowhere.output.startswith("error: cannot open the database postgresql")
    assert "plens:***@127.0.0.1:1" in nowhere.output and len(nowhere.output.splitlines()) == 1


def test_an_outlet_no_article_has_matches_nothing_and_says_so(corpus):
    result = _invoke("--db", corpus, "--outlet", "Nobody")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "warning: nothing matched: no stored article matches the filters (check them)" in said
    assert "Articles 0 Paragraphs 0" in said


def test_narratives_and_entity_roles_by_outlet(tmp_path):
    url = f"sqlite:///{tmp_path / 'narratives.db'}"
    inputs = write_jsonl(tmp_path / "narratives.jsonl", NARRATIVE_ARTICLES + article_rows(2))
    _batch(inputs, url, "--narratives")
    database = open_database(url, must_exist=True)
    summary = narrative_summary(database)
    database.dispose()
    data = json.loads(_invoke("--db", url, "--format", "json").stdout)
    assert data["narratives"] == {k: v for k, v in summary.items() if k != "filters"}

    result = _invoke("--db", url)
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert "Narratives and entity roles (experimental)" in lines
    for row in summary["by_narrative"][:15]:
        assert f"{row['narrative']} {row['articles']} {row['share']:.0%}" in lines
    entity = summary["entities"][0]
    first = entity["by_outlet"][0]
    roles = ", ".join(f"{role} {n}" for role, n in first["roles"].items())
    assert any(line.endswith(f"{first['outlet']} {roles}") for line in lines)
    assert any(line.startswith(f"{entity['entity']} ") for line in lines)
    assert any(line.startswith("Side taken in the Russia–Ukraine war (experimental)")
               for line in lines)
    side = summary["sides"][0]
    assert (f"{side['outlet']} {side['articles']} {side['russian_side']} "
            f"({side['stated_russian_side']} stated)") in " ".join(lines)


def test_stats_is_in_the_corpus_panel_of_the_help():
    result = runner.invoke(app, ["--help"], env=WIDE)
    panel = result.output.split("Corpus: store, search, report", 1)[1].split("╰", 1)[0]
    assert "stats " in panel and "Show the corpus's numbers: techniques overall" in panel
