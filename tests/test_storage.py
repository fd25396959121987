"""Corpus storage on SQLite and PostgreSQL: schema, idempotent writes, search, stats, export."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from corpus_helpers import article_rows, db_url, fake_analyzer  # noqa: F401
from sqlalchemy import func, select

from persuasion_lens.batch.work import AnalyzerSpec, analyse_payloads
from persuasion_lens.storage import Filters, normalise_url, open_database
from persuasion_lens.storage.export import write_csv, write_parquet
from persuasion_lens.storage.queries import (
    EXPORT_COLUMNS,
    counts,
    export_rows,
    list_failures,
    load_article,
    query_terms,
    search,
    stats,
)
from persuasion_lens.storage.repository import article_key, existing_keys, store_batch
from persuasion_lens.storage.schema import articles, paragraphs

FAKE = AnalyzerSpec(factory="corpus_helpers:fake_analyzer")


def _items(count: int, start: int = 0) -> list[dict]:
    payloads = []
    for row in article_rows(count, start):
        payloads.append({
            "key": article_key(row["text"], row["id"]), "text": row["text"],
            "external_id": row["id"], "title": None, "outlet": row["outlet"],
            "url": row["url"], "published": row["published"], "source": "test",
            "location": "", "lang": row["lang"],
        })
    answers = analyse_payloads(payloads, FAKE)
    assert all(answer["ok"] for answer in answers)
    return [answer["item"] for answer in answers]


@pytest.fixture
def filled(db_url):  # noqa: F811
    db = open_database(db_url)
    store_batch(db, _items(30))
    yield db
    db.dispose()


def test_normalise_url():
    assert normalise_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalise_url("postgres://h/db") == "postgresql+psycopg://h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"
    assert normalise_url("corpus.db") == "sqlite:///corpus.db"


def test_schema_creation_is_idempotent_and_keeps_data(filled):
    again = open_database(filled.url)
    assert counts(again)["articles"] == 30
    again.dispose()


def test_storing_twice_adds_nothing_and_every_article_is_complete(filled):
    items = _items(30)
    assert store_batch(filled, items) == 0
    assert store_batch(filled, _items(5, start=30)) == 5
    assert counts(filled)["articles"] == 35
    assert existing_keys(filled, [items[0]["key"], "nope"]) == {items[0]["key"]}
    with filled.engine.connect() as connection:
        stored = dict(connection.execute(select(articles.c.id, articles.c.n_paragraphs)).all())
        per_article = dict(connection.execute(
            select(paragraphs.c.article_id, func.count()).group_by(paragraphs.c.article_id)).all())
    assert stored == per_article


def test_failures_are_recorded_once(filled):
    failure = {"source": "x.jsonl", "location": "line 3", "reason": "not valid JSON"}
    store_batch(filled, [], [failure])
    store_batch(filled, [], [{**failure, "reason": "still not valid JSON"}])
    rows = list_failures(filled)
    assert len(rows) == 1 and rows[0]["reason"] == "still not valid JSON"


def test_search_words_phrases_prefixes_and_filters(filled):
    assert query_terms('corrupt "heroic nation" bud*') == ["corrupt", "heroic nation", "bud*"]
    hits = search(filled, "corrupt", limit=500)
    assert hits and all("corrupt" in hit["text"].lower() for hit in hits)
    assert all(hit["techniques"] for hit in hits)  # the fake detector flags "corrupt"
    both = search(filled, "corrupt nation", limit=500)
    assert all({"corrupt", "nation"} <= set(hit["text"].lower().replace(".", "").split())
               for hit in both)
    prefix = search(filled, "catastro*", limit=500)
    assert prefix and all("catastro" in hit["text"].lower() for hit in prefix)
    outlet = search(filled, "corrupt", Filters.from_user(outlet="daily planet"), limit=500)
    assert outlet and {hit["outlet"] for hit in outlet} == {"Daily Planet"}
    technique = search(filled, "", Filters.from_user(technique="flag waving"), limit=500)
    assert technique and all("nation" in hit["text"].lower() for hit in technique)
    dated = search(filled, "", Filters.from_user(since="2024-02-01", until="2024-02-28"), 500)
    assert dated and all("2024-02" in hit["published"] for hit in dated)
    assert search(filled, "zzzunknownword") == []


def test_filters_resolve_user_names():
    filters = Filters.from_user("loaded", "attack", None, "ge", "2024-01-01", None)
    assert filters.technique == "Loaded_Language"
    assert filters.category == "Attack on reputation"
    assert filters.lang == "de" and filters.since == dt.date(2024, 1, 1)
    with pytest.raises(ValueError, match="not a date"):
        Filters.from_user(since="yesterday")


def test_stats(filled):
    data = stats(filled)
    assert data["articles"] == 30 and data["paragraphs"] == 120
    assert data["techniques"] == sum(row["count"] for row in data["by_technique"])
    assert {row["outlet"] for row in data["by_outlet"]} == {
        "Daily Planet", "Gotham Gazette", "Metro Times"}
    assert data["over_time"]["unit"] == "month"
    assert [p["period"] for p in data["over_time"]["periods"]] == ["2024-01", "2024-02", "2024-03"]
    assert data["top_phrases"]["Flag_Waving"][0]["phrase"] == "nation"
    densest = data["densest_articles"]
    assert densest == sorted(densest, key=lambda a: -a["density"])
    only = stats(filled, Filters.from_user(technique="Flag_Waving"))
    assert [row["technique"] for row in only["by_technique"]] == ["Flag_Waving"]


def test_export_csv_and_parquet(filled, tmp_path):
    rows = list(export_rows(filled))
    assert len(rows) == 120 and list(rows[0]) == EXPORT_COLUMNS
    flagged = [row for row in rows if "Flag_Waving" in row["techniques"].split(";")]
    assert all(row["confidence_Flag_Waving"] for row in flagged)
    assert write_csv(filled, tmp_path / "out.csv") == 120
    with (tmp_path / "out.csv").open(newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 120
    import pyarrow.parquet as pq

    assert write_parquet(filled, tmp_path / "out.parquet", Filters(outlet="Metro Times")) == 40
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.num_rows == 40 and set(table.column("outlet").to_pylist()) == {"Metro Times"}


def test_article_is_rebuilt_from_rows(filled):
    item = _items(1)[0]
    with filled.engine.connect() as connection:
        article_id = connection.scalar(select(articles.c.id).where(articles.c.key == item["key"]))
    article, result = load_article(filled, article_id)
    rebuilt = result.to_dict()
    original = item["result"]
    assert rebuilt["paragraphs"] == original["paragraphs"]
    assert rebuilt["summary"] == original["summary"]
    assert article["outlet"] == item["outlet"] and article["model_version"]
    assert load_article(filled, 10**6) is None


def test_reading_commands_refuse_a_missing_sqlite_file(tmp_path):
    from typer.testing import CliRunner

    from persuasion_lens.cli import app

    missing = tmp_path / "typo.db"
    for command in (["search", "x"], ["report", "-o", str(tmp_path / "r.html")],
                    ["export", "-o", str(tmp_path / "p.csv")]):
        result = CliRunner().invoke(app, [*command, "--db", f"sqlite:///{missing}"])
        assert result.exit_code == 2, result.output
        assert "no database here yet" in result.output
    assert not missing.exists()
