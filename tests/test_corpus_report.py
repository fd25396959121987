"""`plens report`, `plens search`/`export` output, and the web corpus pages."""

from __future__ import annotations

import json

import pytest
from corpus_helpers import analyzer_spec, article_rows, write_jsonl
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from persuasion_lens.batch import run_batch
from persuasion_lens.cli import app
from persuasion_lens.storage import open_database
from persuasion_lens.storage.queries import stats

runner = CliRunner()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    path = write_jsonl(folder / "a.jsonl", article_rows(24))
    url = f"sqlite:///{folder / 'corpus.db'}"
    db = open_database(url)
    run_batch([str(path)], db, analyzer_spec(), batch_size=8)
    db.dispose()
    return url


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
    assert f"report_files/{pages[0].name}" in html
    assert "<article>" in pages[0].read_text(encoding="utf-8")


def test_report_of_empty_selection_and_bad_filter(corpus, tmp_path):
    output = tmp_path / "empty.html"
    result = runner.invoke(app, ["report", "--db", corpus, "-o", str(output),
                                 "--outlet", "Nobody"])
    assert result.exit_code == 0, result.output
    assert "No data for this chart" in output.read_text(encoding="utf-8")
    bad = runner.invoke(app, ["report", "--db", corpus, "-o", str(output), "--technique", "zz"])
    assert bad.exit_code == 2 and bad.output.startswith("error:")


def test_search_and_export_commands(corpus, tmp_path):
    result = runner.invoke(app, ["search", "headline", "--db", corpus, "--format", "json",
                                 "--limit", "3", "--lang", "en"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 3 and all("headline" in row["text"].lower() for row in rows)
    table = runner.invoke(app, ["search", "headline", "--db", corpus, "--limit", "2"])
    assert table.exit_code == 0 and "Headline" in table.output
    output = tmp_path / "rows.csv"
    exported = runner.invoke(app, ["export", "--db", corpus, "-o", str(output)])
    assert exported.exit_code == 0, exported.output
    assert len(output.read_text(encoding="utf-8").strip().splitlines()) >= 24 * 4 + 1


def test_web_corpus_router(corpus):
    from persuasion_lens.web.corpus import router

    web = FastAPI()
    web.state.db_url = corpus
    web.include_router(router)
    client = TestClient(web)
    found = client.get("/corpus/api/search", params={"q": "headline", "limit": 2}).json()
    assert found["count"] == 2
    filtered = client.get("/corpus/api/search", params={"q": "headline", "technique": "loaded"})
    assert filtered.json()["filters"] == {"technique": "Loaded_Language"}
    data = client.get("/corpus/api/stats").json()
    assert data["articles"] == 24 and data["by_outlet"]
    assert client.get("/corpus/api/stats", params={"since": "soon"}).status_code == 400
    page = client.get("/corpus", params={"q": "headline"})
    assert page.status_code == 200 and "<svg" in page.text and "<mark>" in page.text
    article = client.get(f"/corpus/article/{found['results'][0]['article_id']}")
    assert article.status_code == 200 and "<article>" in article.text
    assert client.get("/corpus/article/999999").status_code == 404


def test_stats_without_spans_or_dates(tmp_path):
    rows = [{"text": f"Title {i}\n\nA plain paragraph number {i}."} for i in range(3)]
    path = write_jsonl(tmp_path / "plain.jsonl", rows)
    db = open_database(f"sqlite:///{tmp_path}/plain.db")
    run_batch([str(path)], db, analyzer_spec())
    data = stats(db)
    assert data["articles"] == 3 and data["over_time"]["periods"] == []
    assert data["by_outlet"] == []
    db.dispose()
