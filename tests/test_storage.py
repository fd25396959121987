"""Corpus storage on SQLite and PostgreSQL: schema, idempotent writes, search, stats, export."""

from __future__ import annotations

import csv
import datetime as dt
import unicodedata
from collections import Counter

import pytest
from corpus_helpers import article_rows, db_url, fake_analyzer  # noqa: F401
from sqlalchemy import func, select

from persuasion_lens.batch.work import AnalyzerSpec, analyse_payloads
from persuasion_lens.models.narratives import load_default_narrative_model
from persuasion_lens.storage import Filters, normalise_url, open_database
from persuasion_lens.storage.export import write_csv, write_parquet
from persuasion_lens.storage.queries import (
    EXPORT_COLUMNS,
    count_matches,
    counts,
    export_rows,
    list_failures,
    load_article,
    match_pattern,
    query_terms,
    search,
    stats,
)
from persuasion_lens.storage.repository import (
    article_key,
    existing_keys,
    start_run,
    store_batch,
    store_results,
    stored_without_narratives,
)
from persuasion_lens.storage.schema import (
    SCHEMA_VERSION,
    articles,
    paragraphs,
    postgres_search_vector,
)

FAKE = AnalyzerSpec(factory="corpus_helpers:fake_analyzer")

SHIPPED_NARRATIVES = load_default_narrative_model().version


def _items(count: int, start: int = 0, texts: list[str] | None = None) -> list[dict]:
    """Analysed rows ready to store; `texts` replaces the generated article texts."""
    payloads = []
    for number, row in enumerate(article_rows(count, start)):
        if texts is not None:
            row["text"] = texts[number]
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


def test_a_file_failure_of_this_run_outlives_rows_of_the_file_stored_after_it(filled):
    # Dask stores batches as they finish: rows read before a file broke may come last
    failure = {"source": "f.csv", "location": "", "reason": "not UTF-8 from line 90 on"}
    row = {**_items(1, start=100)[0], "place": ["f.csv", "row 2"], "input_place": ["f.csv", ""]}
    first, later = start_run(filled, ["f.csv"], "test", "v"), start_run(filled, [], "test", "v")
    store_results(filled, [], [failure], first)
    store_results(filled, [row], [], first)
    assert [f["location"] for f in list_failures(filled)] == [""]
    store_results(filled, [row], [], later)
    assert list_failures(filled) == []


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
    # counts and pages, on both backends (full-text search on each)
    for query, filters in (("corrupt", None), ("", Filters.from_user(technique="flag waving"))):
        every = search(filled, query, filters, limit=500)
        assert count_matches(filled, query, filters) == len(every)
        pages = [search(filled, query, filters, limit=3, offset=o) for o in range(0, 9, 3)]
        assert [h["paragraph_id"] for page in pages for h in page] == \
            [h["paragraph_id"] for h in every[:9]]
    assert count_matches(filled, "zzzunknownword") == 0


def test_articles_without_an_outlet_get_a_row_of_their_own(db_url):  # noqa: F811
    from persuasion_lens.storage.schema import NO_OUTLET

    db = open_database(db_url)
    items = _items(6)
    for item in items[:2]:
        item["outlet"] = None
    items[2]["outlet"] = ""  # an empty outlet column in a CSV is no outlet either
    items[3]["outlet"] = "Ёжик Times"
    store_batch(db, items)
    # any case, also for letters beyond ASCII (SQLite's own lower() leaves them alone)
    assert stats(db, Filters.from_user(outlet="ёжик TIMES"))["articles"] == 1
    outlets = {row["outlet"]: row["articles"] for row in stats(db)["by_outlet"]}
    assert outlets[NO_OUTLET] == 3 and sum(outlets.values()) == 6
    # and the row's name is a filter too, as the report's readers will try
    unnamed = stats(db, Filters.from_user(outlet="(No outlet)"))
    assert unnamed["articles"] == 3 and [r["outlet"] for r in unnamed["by_outlet"]] == []
    hits = search(db, "", Filters.from_user(outlet=NO_OUTLET), limit=100)
    assert len({hit["article_id"] for hit in hits}) == 3
    assert {hit["outlet"] for hit in hits} == {None, ""}
    db.dispose()


def test_phrase_table_leaves_out_whole_sentences(filled):
    from persuasion_lens.storage.queries import MAX_PHRASE_CHARACTERS
    from persuasion_lens.storage.schema import spans

    sentence = "our great nation will never bow to those who despise everything it stands for"
    assert len(sentence) > MAX_PHRASE_CHARACTERS
    with filled.engine.begin() as connection:
        template = dict(connection.execute(select(spans)).mappings().first())
        template.pop("id")
        connection.execute(spans.insert(), [
            {**template, "text": text, "technique": "Flag_Waving"}
            for text in [sentence] * 50 + ["our nation first"] * 2])
    phrases = [p["phrase"] for p in stats(filled)["top_phrases"]["Flag_Waving"]]
    assert sentence not in phrases and "our nation first" in phrases


def _folding_items() -> list[dict]:
    texts = ["Заголовок\n\nОна ещё верит в её победу.",
             "Nagłówek\n\nLech Wałęsa przemawiał w Gdańsku.",
             "Headline\n\nNothing to find here.",
             "Başlık\n\nErdoğan a vorbit la București.",
             "Tytuł\n\n" + unicodedata.normalize("NFD", "Żołnierze w Zgorzelcu."),  # as macOS
             "Link\n\nSee https://novorosinform.org/ukrainaya-news.html, or write to "
             "editor@example.org; pi is 3.14."]
    return _items(len(texts), start=900, texts=texts)


@pytest.mark.parametrize("query, found", [
    ("еще", "ещё"), ("ещё", "ещё"), ("ее", "её"), ("ЕЩЕ", "ещё"), ("walesa", "Wałęsa"),
    ("Wałęsa", "Wałęsa"), ("WAŁĘSA", "Wałęsa"), ("gdansk*", "Gdańsku"), ('"lech walesa"', "Lech"),
    ("erdogan", "Erdoğan"), ("bucuresti", "București"), ("zolnierze", "Zgorzelcu"),
    ("żołnierze", "Zgorzelcu"), ("novorosinform", "https"), ("editor@example.org", "editor"),
    ("ukrainaya*", "https"), ('"3.14"', "pi is"),
])
def test_search_folds_letters_and_splits_words_alike_on_both_databases(db_url, query, found):  # noqa: F811
    """Russian often writes ё as е, and Polish ł (no accent to remove) is typed as l; accents,
    decomposed letters and words inside links, addresses and numbers are found on PostgreSQL
    as on SQLite. The highlighter marks what was found."""
    db = open_database(db_url)
    store_batch(db, _folding_items())
    try:
        hits = search(db, query)
        assert len(hits) == 1 and found in hits[0]["text"]
        assert count_matches(db, query) == 1
        assert match_pattern(query).search(unicodedata.normalize("NFC", hits[0]["text"]))
    finally:
        db.dispose()


def test_an_older_sqlite_index_is_rebuilt_folded(tmp_path):
    """A version 4 database indexed the text unfolded; opening it rebuilds the index once."""
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = open_database(url)
    store_batch(db, _folding_items())
    with db.engine.begin() as connection:  # the version 4 triggers and index
        for name in ("paragraphs_fts_insert", "paragraphs_fts_delete", "paragraphs_fts_update"):
            connection.execute(sa.text(f"DROP TRIGGER {name}"))
        connection.execute(sa.text(
            "CREATE TRIGGER paragraphs_fts_insert AFTER INSERT ON paragraphs BEGIN "
            "INSERT INTO paragraphs_fts(rowid, text) VALUES (new.id, new.text); END"))
        connection.execute(sa.text(
            "INSERT INTO paragraphs_fts(paragraphs_fts) VALUES ('rebuild')"))
    assert search(db, "ещё") == []  # the index holds "ещё", and queries are folded now
    db.dispose()
    db = open_database(url)
    try:
        assert len(search(db, "еще")) == len(search(db, "ещё")) == 1
        # the new triggers fold what is stored from now on
        store_batch(db, _items(1, start=950, texts=["Заголовок\n\nЕщё одна статья."]))
        assert len(search(db, "еще")) == 2
        with db.engine.connect() as connection:
            triggers = connection.execute(sa.text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
        assert {name for name, _ in triggers} >= {
            "paragraphs_fts_insert", "paragraphs_fts_delete", "paragraphs_fts_update"}
        assert all("replace(" in sql for name, sql in triggers if name.startswith("paragraphs_fts"))
    finally:
        db.dispose()


def _hindi_items() -> list[dict]:
    texts = ["शीर्षक\n\nभारत की राजधानी दिल्ली है।",
             "शीर्षक\n\nभारती ने एक गीत गाया।"]  # भारती is not भारत
    return _items(len(texts), start=960, texts=texts)


@pytest.mark.parametrize("query, found", [
    ("भारत", "भारत की"), ("दिल्ली", "दिल्ली"), ('"भारत की"', "भारत की"), ("गीत", "गीत"),
    ("भारती", "भारती"),
])
def test_words_with_combining_marks_are_searched_whole_on_both_databases(
        db_url, query, found):  # noqa: F811
    """Python's \\w and SQLite's tokenizer split Hindi words at their vowel signs (भारत as भ
    and रत), which found the wrong paragraphs on SQLite and none on PostgreSQL."""
    db = open_database(db_url)
    store_batch(db, _hindi_items())
    try:
        hits = search(db, query)
        assert [found in hit["text"] for hit in hits] == [True]
        assert count_matches(db, query) == 1
    finally:
        db.dispose()


def test_highlighting_marks_words_with_combining_marks_whole():
    assert query_terms("भारत दिल्ली*") == ["भारत", "दिल्ली*"]
    text = "भारत और भारती, दिल्ली में"
    assert match_pattern("भारत").findall(text) == ["भारत"]
    assert match_pattern("भार*").findall(text) == ["भारत", "भारती"]
    assert match_pattern('"भारत और"').findall(text) == ["भारत और"]


def test_an_older_sqlite_index_splitting_at_combining_marks_is_rebuilt(tmp_path):
    """Before version 6 the SQLite index split words at combining marks; opening the database
    rebuilds it once."""
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = open_database(url)
    store_batch(db, _hindi_items())
    with db.engine.begin() as connection:  # the version 5 index
        connection.execute(sa.text("DROP TABLE paragraphs_fts"))
        connection.execute(sa.text(
            "CREATE VIRTUAL TABLE paragraphs_fts USING fts5(text, content='paragraphs', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"))
        connection.execute(sa.text(
            "INSERT INTO paragraphs_fts(paragraphs_fts) VALUES ('rebuild')"))
    db.dispose()
    db = open_database(url)
    try:
        assert [hit["text"] for hit in search(db, "भारत")] == ["भारत की राजधानी दिल्ली है।"]
        store_batch(db, _items(1, start=970, texts=["शीर्षक\n\nभारत में बारिश।"]))
        assert count_matches(db, "भारत") == 2  # the new triggers keep the word whole too
    finally:
        db.dispose()


_EMOJI_TEXTS = ["Title\n\nWe \u2764\ufe0f Kyiv and vote 1\ufe0f\u20e3 today.",
                "Title\n\nThe castle \u845b\U000e0100\u57ce stands, \u270c\ufe0e peace."]


def _make_search_index_version_6(db) -> None:
    """The search index as version 6 made it: variation selectors and keycaps in words."""
    import sqlalchemy as sa

    from persuasion_lens.storage.schema import ACCENT_FOLDS, SEARCH_FOLDS

    with db.engine.begin() as connection:
        if db.dialect == "sqlite":
            connection.execute(sa.text("DROP TABLE paragraphs_fts"))
            connection.execute(sa.text(
                "CREATE VIRTUAL TABLE paragraphs_fts USING fts5(text, content='paragraphs', "
                "content_rowid='id', tokenize=\"unicode61 remove_diacritics 2 categories "
                "'L* N* Co M*'\")"))
            connection.execute(sa.text(
                "INSERT INTO paragraphs_fts(paragraphs_fts) VALUES ('rebuild')"))
            return
        import string

        folds = {**SEARCH_FOLDS, **ACCENT_FOLDS, **dict.fromkeys(string.punctuation, " ")}
        before = "".join(folds).replace("'", "''")
        connection.execute(sa.text("ALTER TABLE paragraphs DROP COLUMN search_vector"))
        connection.execute(sa.text(
            "ALTER TABLE paragraphs ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            f"(to_tsvector('simple', translate(normalize(text, NFC), '{before}', "
            f"'{''.join(folds.values())}'))) STORED"))


def _index_words(db) -> list[str]:
    import sqlalchemy as sa

    with db.engine.begin() as connection:
        if db.dialect == "sqlite":
            connection.execute(sa.text("CREATE VIRTUAL TABLE IF NOT EXISTS temp.words "
                                       "USING fts5vocab(main, paragraphs_fts, 'row')"))
            return list(connection.scalars(sa.text("SELECT term FROM temp.words")))
        return list(connection.scalars(sa.text(
            "SELECT DISTINCT word FROM ts_stat('SELECT search_vector FROM paragraphs')")))


@pytest.mark.parametrize("old_index", [False, True])
def test_variation_selectors_and_keycaps_are_no_part_of_words(db_url, old_index,  # noqa: F811
                                                              caplog):
    """SQLite indexed the U+FE0F of ❤️ as a one-character word, and both databases kept it (and
    the keycap) in the word after a digit or letter, so "1" did not find 1️⃣. An index made
    before (version 6) is made anew once when the database is opened."""
    db = open_database(db_url)
    store_batch(db, _items(2, start=980, texts=_EMOJI_TEXTS))
    if old_index:
        _make_search_index_version_6(db)
        db.dispose()
        caplog.clear()
        db = open_database(db_url)
        if db.dialect == "postgresql":  # a minute's pause on a large corpus: it says why
            assert "updating the database once (variation selectors split words)" in caplog.text
    try:
        words = _index_words(db)
        assert "1" in words and "\u845b" in words and "\u57ce" in words
        assert not [w for w in words if set(w) & {"\ufe0e", "\ufe0f", "\u20e3", "\U000e0100"}]
        for query in ("1", "1\ufe0f\u20e3", "vote 1*", "\u845b\U000e0100\u57ce", "\u57ce"):
            assert count_matches(db, query) == 1, query
        assert query_terms("\u2764\ufe0f \ufe0f") == []
    finally:
        db.dispose()


def test_highlighting_splits_words_where_search_does():
    """An underscore, a variation selector or a keycap ends a word for search, as a space
    does; highlighting took them for part of the word (putin_2024 hid putin)."""
    assert match_pattern("putin").findall("putin_2024, _putin and putin") == ["putin"] * 3
    assert match_pattern("putin_2024").findall("putin_2024 and putin 2024") == [
        "putin_2024", "putin 2024"]
    assert query_terms("putin_2024 __x") == ["putin 2024", "x"]
    assert match_pattern("1").findall("vote 1\ufe0f\u20e3 today") == ["1"]
    assert match_pattern("\u845b").findall("\u845b\U000e0100\u57ce") == ["\u845b"]
    assert match_pattern("भार*").findall("भारत और भारती") == ["भारत", "भारती"]


@pytest.mark.parametrize("query", ["_", "__", '"_"', "ि", "headline _"])
def test_a_query_that_folds_to_no_words_is_searched_as_having_none(db_url, query):  # noqa: F811
    """"_" folded to nothing, and PostgreSQL's search crashed on it (IndexError; 500 on the
    web); like "*", such a query has no words: the CLI says so and lists by the filters."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from persuasion_lens.cli import app
    from persuasion_lens.web.corpus import router

    words = [word for word in ["headline"] if word in query]
    assert query_terms(query) == words
    db = open_database(db_url)
    store_batch(db, _items(3))
    expected = count_matches(db, " ".join(words))
    try:
        assert len(search(db, query, limit=100)) == count_matches(db, query) == expected
    finally:
        db.dispose()
    result = CliRunner().invoke(app, ["search", query, "--db", db_url])
    assert result.exit_code == 0, result.output
    assert ("has no words to search for" in result.output) == (not words)
    assert "no matching paragraphs" not in result.output
    web = FastAPI()
    web.state.db_url = db_url
    web.include_router(router)
    client = TestClient(web)
    found = client.get("/corpus/api/search", params={"q": query})
    assert found.status_code == 200 and found.json()["total"] == expected
    assert (found.json()["notice"] is None) == bool(words)
    page = client.get("/corpus", params={"q": query})
    assert page.status_code == 200 and ("has no words to search for" in page.text) == (not words)


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
    flagged = [row for row in rows if "Flag_Waving" in (row["techniques"] or "").split(";")]
    assert all(row["confidence_Flag_Waving"] for row in flagged)
    assert write_csv(filled, tmp_path / "out.csv") == 120
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8-sig") as handle:
        assert len(list(csv.DictReader(handle))) == 120
    import pyarrow.parquet as pq

    assert write_parquet(filled, tmp_path / "out.parquet", Filters(outlet="Metro Times")) == 40
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.num_rows == 40 and set(table.column("outlet").to_pylist()) == {"Metro Times"}


def test_parquet_export_leaves_what_is_absent_null_in_every_column(filled, tmp_path):
    """A paragraph without techniques had '' in `techniques` and `categories` while its
    `confidence_*` and narrative columns were null."""
    import pyarrow.parquet as pq

    from persuasion_lens.storage.queries import NARRATIVE_EXPORT_COLUMNS

    assert write_parquet(filled, tmp_path / "out.parquet") == 120
    rows = pq.read_table(tmp_path / "out.parquet").to_pylist()
    confidences = [c for c in EXPORT_COLUMNS if c.startswith("confidence_")]
    bare = [row for row in rows if all(row[c] is None for c in confidences)]
    assert bare and len(bare) < len(rows)
    for row in bare:
        assert row["techniques"] is None and row["categories"] is None
        assert all(row[column] is None for column in NARRATIVE_EXPORT_COLUMNS)
    assert not [(row["article_id"], column) for row in rows for column, value in row.items()
                if value == ""]


def test_csv_export_starts_with_a_byte_order_mark_for_excel(db_url, tmp_path):  # noqa: F811
    """Excel reads a CSV file without a BOM in the locale's code page ("ZÃ¼rich")."""
    import codecs

    from typer.testing import CliRunner

    from persuasion_lens.cli import app

    db = open_database(db_url)
    try:
        store_batch(db, _items(1, start=960, texts=["Zürich und Москва\n\nDie Stadt schweigt."]))
    finally:
        db.dispose()
    output = tmp_path / "paragraphs.csv"
    result = CliRunner().invoke(app, ["export", "--db", db_url, "-o", str(output)])
    assert result.exit_code == 0, result.output
    raw = output.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8) and not raw[3:].startswith(codecs.BOM_UTF8)
    with output.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == EXPORT_COLUMNS  # the first column is not named '\ufeffarticle_id'
    assert rows[0]["text"] == "Zürich und Москва"


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


# --- narratives and entity roles (experimental) -------------------------------------------------


def _narrative_items() -> list[dict]:
    from corpus_helpers import NARRATIVE_ARTICLES, narrative_spec

    payloads = [{
        "key": article_key(row["text"], row["id"]), "text": row["text"], "external_id": row["id"],
        "title": None, "outlet": row["outlet"], "url": None, "published": row["published"],
        "source": "test", "location": "", "lang": "en",
    } for row in NARRATIVE_ARTICLES]
    answers = analyse_payloads(payloads, narrative_spec())
    assert all(answer["ok"] for answer in answers)
    return [answer["item"] for answer in answers]


@pytest.fixture
def with_narratives(db_url):  # noqa: F811
    db = open_database(db_url)
    items = _narrative_items()
    store_batch(db, _items(3) + items)  # three articles analysed without narratives
    yield db, items
    db.dispose()


def _article_id(db, key: str) -> int:
    with db.engine.connect() as connection:
        return connection.scalar(select(articles.c.id).where(articles.c.key == key))


def test_narratives_and_entities_are_stored_and_read_back(with_narratives):
    db, items = with_narratives
    stored = counts(db)
    assert stored["narratives"] >= len(items) and stored["entities"] > len(items)
    for item in items:
        original = item["result"]
        _, result = load_article(db, _article_id(db, item["key"]))
        assert result.extra["narratives"] == original["narratives"]
        assert result.extra["subnarratives"] == original["subnarratives"]
        rebuilt = result.extra["entities"]
        assert [(e["entity"], e["main_role"], e["fine_roles"], e["mention_count"])
                for e in rebuilt] == [
            (e["entity"], e["main_role"], e["fine_roles"], len(e["mentions"]))
            for e in original["entities"]]
        assert result.extra.get("side_taken") == original["side_taken"]
    assert sum(item["result"]["side_taken"] is not None for item in items) >= 3
    plain = load_article(db, 1)[1]
    assert "narratives" not in plain.extra  # analysed without narratives


def test_an_article_and_its_narratives_are_one_transaction(with_narratives):
    db, _items_stored = with_narratives
    before = counts(db)
    broken = _narrative_items()[0]
    broken["key"] = "f" * 64
    broken["result"]["entities"][0]["fine_roles"] = [{"label": "Instigator",
                                                      "probability": "not a number"}]
    with pytest.raises(ValueError):
        store_batch(db, [broken])
    assert counts(db) == before and existing_keys(db, [broken["key"]]) == set()


def _stated_role(entity: dict) -> str:
    """The reports state a role from STATED_ROLE_PROBABILITY on; below it, 'unclear'."""
    from persuasion_lens.taxonomy.roles import STATED_ROLE_PROBABILITY

    clear = entity["main_role_probability"] >= STATED_ROLE_PROBABILITY
    return entity["main_role"] if clear else "unclear"


def _most_mentioned_first_among_equals(db, leaders: list[dict]) -> None:
    """Give the alphabetically last of the entities found in as many articles as the first
    the most mentions: it must come first (ties used to go alphabetically, hiding a name
    mentioned 176 times in one long article behind "ADL")."""
    from persuasion_lens.storage.schema import entities as entities_table

    equals = [e["entity"] for e in leaders if e["articles"] == leaders[0]["articles"]]
    assert len(equals) > 1
    with db.engine.begin() as connection:
        connection.execute(entities_table.update()
                           .where(entities_table.c.entity == max(equals))
                           .values(n_mentions=1000))
    assert stats(db)["narratives"]["entities"][0]["entity"] == max(equals)


def test_narrative_statistics_by_month_outlet_and_entity(with_narratives):
    from persuasion_lens.storage.queries import narrative_summary

    db, items = with_narratives
    data = stats(db)["narratives"]
    assert data["articles"] == len(items) and data["message"] is None
    per_article = {label["label"] for item in items for label in item["result"]["narratives"]}
    assert {row["narrative"] for row in data["by_narrative"]} == per_article
    assert [p["period"] for p in data["over_time"]["periods"]] == ["2024-01", "2024-02"]
    assert sum(p["articles"] for p in data["over_time"]["periods"]) == len(items)
    outlets = {row["outlet"]: row["articles"] for row in data["by_outlet"]}
    assert outlets == {"Daily Planet": 2, "Gotham Gazette": 1, "Metro Times": 1}
    ranked = [(-e["articles"], -e["mentions"]) for e in data["entities"]]
    assert ranked == sorted(ranked)  # the most mentioned first among those in as many articles
    _most_mentioned_first_among_equals(db, data["entities"])
    united = next(e for e in data["entities"] if e["entity"] == "United States")
    expected = [(item["outlet"], _stated_role(e)) for item in items
                for e in item["result"]["entities"] if e["entity"] == "United States"]
    assert united["articles"] == len(expected)
    assert united["roles"] == dict(Counter(role for _, role in expected).most_common())
    for outlet in united["by_outlet"]:
        assert sum(outlet["roles"].values()) == sum(1 for o, _ in expected
                                                    if o == outlet["outlet"])
    sided = [(item["outlet"], item["result"]["side_taken"]) for item in items
             if item["result"]["side_taken"]]
    sides = {row["outlet"]: row for row in data["sides"]}
    assert sum(row["articles"] for row in sides.values()) == len(sided)
    for outlet, row in sides.items():
        readings = [side["russian_side_probability"] for o, side in sided if o == outlet]
        assert row["articles"] == len(readings)
        assert row["russian_side"] == sum(p >= 0.5 for p in readings)
        assert row["opposing_side"] == row["articles"] - row["russian_side"]
        assert row["stated_russian_side"] == sum(p >= 0.8 for p in readings)
        assert row["stated_opposing_side"] == sum(p <= 0.2 for p in readings)
    only = narrative_summary(db, Filters.from_user(outlet="metro times"))
    assert only["articles"] == 1 and [r["outlet"] for r in only["by_outlet"]] == ["Metro Times"]
    none = narrative_summary(db, Filters.from_user(since="2030-01-01"))
    assert none["articles"] == 0 and none["message"].startswith("No article matching")


def test_outlets_spelt_differently_are_counted_as_one(db_url):  # noqa: F811
    """"Daily Planet" and "daily  planet " were two rows of every per-outlet count and chart,
    while --outlet matched both (by case only). They are one outlet now, shown under the
    spelling most of its articles have; the stored values stay as given."""
    db = open_database(db_url)
    items = _narrative_items()
    items[2]["outlet"] = " daily  PLANET"  # n3; n1 and one of _items(3) say "Daily Planet"
    store_batch(db, _items(3) + items)
    data = stats(db)
    outlets = {row["outlet"]: row["articles"] for row in data["by_outlet"]}
    assert outlets == {"Daily Planet": 3, "Gotham Gazette": 2, "Metro Times": 2}
    planet = next(row for row in data["by_outlet"] if row["outlet"] == "Daily Planet")
    assert planet["paragraphs"] == sum(len(item["result"]["paragraphs"])
                                       for item in _items(3) + items
                                       if "planet" in item["outlet"].lower())
    told = data["narratives"]
    assert {row["outlet"]: row["articles"] for row in told["by_outlet"]} == {
        "Daily Planet": 2, "Gotham Gazette": 1, "Metro Times": 1}
    assert len({row["outlet"] for row in told["sides"]}) == len(told["sides"])
    assert "Daily Planet" in {row["outlet"] for row in told["sides"]}
    for entity in told["entities"]:
        assert {o["outlet"] for o in entity["by_outlet"]} <= set(outlets)
    for asked in ("daily planet", "Daily   Planet", " DAILY PLANET "):
        assert stats(db, Filters.from_user(outlet=asked))["articles"] == 3
    hits = search(db, "", Filters.from_user(outlet="daily planet"), limit=500)
    assert {hit["outlet"] for hit in hits} == {"Daily Planet", " daily  PLANET"}  # as stored
    db.dispose()


@pytest.mark.parametrize("spellings", [
    ["Daily Planet", "Daily\u00a0Planet", "daily\tplanet", "Daily\u2003 Planet\u3000",
     "DAILY\u202fPLANET\u0085"],
    ["Ethnos", "ΕΘΝΟΣ", "Εθνος", "εθνοσ", "ΕΘΝΟΣ\u00a0"],
    ["İstanbul Post", "İSTANBUL\u00a0POST", "istanbul post"],
    ["\u00a0", "\t", "\u2007"],
], ids=["spaces", "final-sigma", "dotted-i", "spaces-alone"])
def test_outlets_group_and_filter_alike_on_both_backends(db_url, spellings):  # noqa: F811
    """The charts group outlets in Python (str.split, str.lower), while --outlet was matched
    in SQL, where PostgreSQL's \\s knows no no-break space and its lower() keeps a final
    sigma and lowers İ to i: `--outlet "Daily Planet"` missed "Daily\u00a0Planet" on
    PostgreSQL though the chart counted it, and `--outlet ΕΘΝΟΣ` missed its own articles."""
    from persuasion_lens.storage.schema import NO_OUTLET

    db = open_database(db_url)
    items = _items(len(spellings))
    for item, spelling in zip(items, spellings, strict=True):
        item["outlet"] = spelling
    store_batch(db, items)
    try:
        grouped = [spelling for spelling in spellings if spelling != "Ethnos"]  # another name
        shown = {row["outlet"]: row["articles"] for row in stats(db)["by_outlet"]}
        # no outlet named at all: no outlet chart, and "(No outlet)" finds them
        group_name = next((name for name, count in shown.items() if count == len(grouped)),
                          NO_OUTLET)
        assert shown in ({group_name: len(grouped)}, {group_name: len(grouped), "Ethnos": 1}, {})
        for asked in [*grouped, group_name]:
            assert stats(db, Filters.from_user(outlet=asked))["articles"] == len(grouped), asked
            hits = search(db, "", Filters.from_user(outlet=asked), limit=500)
            assert len({hit["article_id"] for hit in hits}) == len(grouped), asked
    finally:
        db.dispose()


def test_roles_below_the_stated_probability_count_as_unclear(db_url):  # noqa: F811
    items = _narrative_items()
    for item in items:
        for entity in item["result"]["entities"]:
            if entity["entity"] == "United States":
                entity["main_role_probability"] = 0.55
                break
        else:
            continue
        break
    db = open_database(db_url)
    try:
        store_batch(db, items)
        united = next(e for e in stats(db)["narratives"]["entities"]
                      if e["entity"] == "United States")
        assert united["roles"]["unclear"] == 1
        assert sum(united["roles"].values()) == united["articles"] >= 2
    finally:
        db.dispose()


def test_narrative_filter_search_and_export(with_narratives, tmp_path):
    from persuasion_lens.storage.export import write_jsonl

    db, items = with_narratives
    label = items[0]["result"]["narratives"][0]["label"]
    carrying = {item["external_id"] for item in items
                if any(n["label"] == label for n in item["result"]["narratives"])}
    hits = search(db, "", Filters.from_user(narrative=label[5:].upper()), limit=500)
    assert {hit["external_id"] for hit in hits} == carrying
    rows = [row for row in export_rows(db) if row["external_id"] == items[0]["external_id"]]
    assert rows and rows[0]["narratives"].split(";")[0] == label
    assert len(rows[0]["narrative_probabilities"].split(";")) == len(
        rows[0]["narratives"].split(";"))
    assert rows[0]["entity_roles"].startswith(items[0]["result"]["entities"][0]["entity"] + ": ")
    assert rows[0]["side_russian_probability"] == \
        items[0]["result"]["side_taken"]["russian_side_probability"]
    plain = next(row for row in export_rows(db) if row["external_id"] == "a0")
    assert plain["narratives"] is None and plain["side_russian_probability"] is None
    assert not [column for row in export_rows(db) for column, value in row.items()
                if value == ""]  # an empty list is null, as in the columns beside it
    assert write_jsonl(db, tmp_path / "out.jsonl", Filters(narrative=label)) == len(carrying)
    import json

    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert all(line["narratives"] and line["paragraphs"] for line in lines)
    assert {"entity", "main_role", "fine_roles", "mention_count"} <= set(lines[0]["entities"][0])
    sides = [line["side_taken"] for line in lines if line["side_taken"]]
    assert sides and {side["favours"] for side in sides} <= {
        "Russia and its allies", "Ukraine and the West"}


# columns each schema version added after version 1
_V2_COLUMNS = [("runs", "narratives")]
_V3_COLUMNS = [("runs", "narratives_added"), ("articles", "narratives_version")]


def _drop_columns(engine, columns) -> None:
    import sqlalchemy as sa

    with engine.begin() as connection:
        for table, column in columns:
            connection.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))


def _old_schema_database(url: str) -> None:
    """A database as version 1 made it: no narrative tables, no columns added since."""
    import sqlalchemy as sa

    from persuasion_lens.storage.database import create_db_engine
    from persuasion_lens.storage.schema import metadata

    old = sa.MetaData()
    new_tables = {"narratives", "subnarratives", "entities", "entity_fine_roles"}
    for name, table in metadata.tables.items():
        if name not in new_tables:
            table.to_metadata(old)
    engine = create_db_engine(url)
    old.create_all(engine)
    _drop_columns(engine, _V2_COLUMNS + _V3_COLUMNS)
    with engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO plens_meta (name, value) VALUES "
                                   "('schema_version', '1')"))
        connection.execute(sa.text("INSERT INTO runs (started_at, analysed, skipped, failed) "
                                   "VALUES (CURRENT_TIMESTAMP, 3, 0, 0)"))
    engine.dispose()


def test_a_database_from_before_narratives_opens_reports_and_takes_them(db_url):  # noqa: F811
    import sqlalchemy as sa

    from persuasion_lens.storage.repository import start_run

    _old_schema_database(db_url)
    db = open_database(db_url, create=False)
    store_batch(db, _items(3))  # version 1 code path: no narrative rows to write
    db.dispose()
    db = open_database(db_url)  # brings the schema up to date
    try:
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"narratives", "subnarratives", "entities", "entity_fine_roles"} <= tables
        assert counts(db)["articles"] == 3 and stats(db)["paragraphs"] == 12
        data = stats(db)["narratives"]
        assert data["articles"] == 0 and "plens batch --narratives" in data["message"]
        run_id = start_run(db, ["x"], "local", "v", narratives=True)
        with db.engine.connect() as connection:
            flags = dict(connection.execute(sa.text("SELECT id, narratives FROM runs")).all())
            version = connection.scalar(sa.text(
                "SELECT value FROM plens_meta WHERE name = 'schema_version'"))
        assert flags[run_id] is True or flags[run_id] == 1
        assert [flag for key, flag in flags.items() if key != run_id] == [None]
        assert version == SCHEMA_VERSION == "8"
        assert len(stored_without_narratives(db, [i["key"] for i in _items(3)])) == 3
        store_batch(db, _narrative_items()[:1])
        assert stats(db)["narratives"]["articles"] == 1
    finally:
        db.dispose()
    again = open_database(db_url)  # and opening it again changes nothing
    assert counts(again)["articles"] == 4
    again.dispose()


def test_a_version_2_database_marks_the_articles_that_have_narratives(db_url):  # noqa: F811
    """Opening a version 2 database sets `narratives_version` for the articles stored with
    narratives (narrative rows, or a run with narratives on), and only for them."""
    import sqlalchemy as sa

    from persuasion_lens.storage.repository import start_run
    from persuasion_lens.storage.schema import meta

    plain = _items(3)
    narrated = _narrative_items()
    db = open_database(db_url)
    store_batch(db, plain + narrated)
    run_id = start_run(db, ["x"], "local", "v", narratives=True)
    with db.engine.begin() as connection:  # as if its narrative model had found nothing
        connection.execute(sa.update(articles).where(articles.c.key == plain[0]["key"])
                           .values(run_id=run_id, model_version="techniques-2+narratives-x"))
        connection.execute(sa.update(meta).where(meta.c.name == "schema_version")
                           .values(value="2"))
    _drop_columns(db.engine, _V3_COLUMNS)
    before = counts(db)
    db.dispose()

    db = open_database(db_url)  # brings it to version 3
    try:
        with db.engine.connect() as connection:
            marks = dict(connection.execute(
                select(articles.c.key, articles.c.narratives_version)).all())
            version = connection.scalar(select(meta.c.value)
                                        .where(meta.c.name == "schema_version"))
        assert version == SCHEMA_VERSION and counts(db) == before
        assert {marks[item["key"]] for item in narrated} == {SHIPPED_NARRATIVES}
        assert marks[plain[0]["key"]] == "narratives-x"
        assert [marks[item["key"]] for item in plain[1:]] == [None, None]
        lacking = stored_without_narratives(db, list(marks))
        assert set(lacking) == {item["key"] for item in plain[1:]}
        assert lacking[plain[1]["key"]]["text"] == plain[1]["text"]
    finally:
        db.dispose()


def test_a_version_3_database_gains_the_side_column_and_keeps_everything(db_url):  # noqa: F811
    """Articles stored before the side taken was read open with no side and keep the rest;
    articles stored afterwards keep theirs."""
    import sqlalchemy as sa

    from persuasion_lens.storage.schema import meta

    narrated = _narrative_items()
    db = open_database(db_url)
    store_batch(db, narrated[:2])
    with db.engine.begin() as connection:
        connection.execute(sa.update(meta).where(meta.c.name == "schema_version")
                           .values(value="3"))
    _drop_columns(db.engine, [("articles", "side_russian")])
    before = counts(db)
    db.dispose()

    db = open_database(db_url)  # brings it to version 4
    try:
        assert counts(db) == before
        old = load_article(db, _article_id(db, narrated[0]["key"]))[1]
        assert old.extra["narratives"] == narrated[0]["result"]["narratives"]
        assert "side_taken" not in old.extra
        store_batch(db, narrated[2:])
        new = load_article(db, _article_id(db, narrated[2]["key"]))[1]
        assert new.extra["side_taken"] == narrated[2]["result"]["side_taken"]
    finally:
        db.dispose()


def _narratives_only(db, items: list[dict]) -> list[dict]:
    """The answers `analyse_payloads` gives for stored articles without narratives."""
    from corpus_helpers import narrative_spec

    lacking = stored_without_narratives(db, [item["key"] for item in items])
    payloads = [{"key": key, "narratives_only": True, "article_id": row["article_id"],
                 "text": row["text"], "language": row["language"], "external_id": None,
                 "source": "test", "input": "test", "location": ""}
                for key, row in lacking.items()]
    answers = analyse_payloads(payloads, narrative_spec())
    assert all(answer["ok"] and answer["narratives_only"] for answer in answers)
    return [answer["item"] for answer in answers]


def test_narratives_are_added_to_stored_articles_once(db_url):  # noqa: F811
    from corpus_helpers import NARRATIVE_ARTICLES

    fresh = _narrative_items()
    plain = [{**item, "result": {k: v for k, v in item["result"].items()
                                 if k not in ("narratives", "subnarratives", "entities",
                                              "minor_entities", "narrative_candidates",
                                              "side_taken")},
              "narratives_version": None} for item in fresh]
    for item in plain:  # the warnings the technique model gave, not the narrative model's
        item["result"]["warnings"] = ["stored warning"]
    plain[-1]["result"]["language"] = "it"  # a language the narrative model was not trained on
    db = open_database(db_url)
    try:
        assert store_batch(db, plain) == len(NARRATIVE_ARTICLES)
        before = counts(db)
        assert before["narratives"] == before["entities"] == 0
        added = _narratives_only(db, plain)
        assert len(added) == len(plain)
        assert store_results(db, narratives_added=added) == (0, len(plain))
        after = counts(db)
        for table in ("articles", "paragraphs", "techniques", "spans", "frames", "failures"):
            assert after[table] == before[table], table
        assert stored_without_narratives(db, [item["key"] for item in plain]) == {}
        # the same as analysing them with narratives in the first place (in the stored language)
        for item in fresh[:-1]:
            article, result = load_article(db, _article_id(db, item["key"]))
            for part in ("narratives", "subnarratives"):
                assert result.extra[part] == item["result"][part]
            assert [(e["entity"], e["main_role"], e["fine_roles"], e["mention_count"])
                    for e in result.extra["entities"]] == [
                (e["entity"], e["main_role"], e["fine_roles"], len(e["mentions"]))
                for e in item["result"]["entities"]]
            assert result.extra.get("side_taken") == item["result"]["side_taken"]
            assert article["warnings"] == ["stored warning"]
        italian, _ = load_article(db, _article_id(db, plain[-1]["key"]))
        assert italian["narratives_version"] == SHIPPED_NARRATIVES
        assert italian["warnings"][0] == "stored warning" and len(italian["warnings"]) == 2
        assert "no training data for language 'it'" in italian["warnings"][1]
        # a second writer with the same work (another run, a retried batch) adds nothing
        assert store_results(db, narratives_added=added) == (0, 0)
        assert counts(db) == after
    finally:
        db.dispose()


def test_processes_creating_a_new_database_together_all_succeed(db_url):  # noqa: F811
    """Batch runs started together on a new database used to fail with "table ... already
    exists": both saw the table missing, one created it first."""
    import subprocess
    import sys
    import time

    code = ("import sys, time\n"
            "from persuasion_lens.storage import open_database\n"
            "while time.time() < float(sys.argv[2]):\n    pass\n"
            "open_database(sys.argv[1]).dispose()\n")
    start = time.time() + 3.0  # every process is up and waiting before it begins
    processes = [subprocess.Popen([sys.executable, "-c", code, db_url, str(start)],
                                  stderr=subprocess.PIPE, text=True) for _ in range(6)]
    errors = [process.communicate(timeout=120)[1] for process in processes]
    assert [process.returncode for process in processes] == [0] * 6, errors
    db = open_database(db_url)
    try:
        assert db.full_text and counts(db)["articles"] == 0
    finally:
        db.dispose()


def test_a_version_7_database_numbers_parquet_failures_as_csv_ones(db_url):  # noqa: F811
    """A Parquet file's "row N" was its Nth row of data (CSV's counts the header as row 1):
    the failures recorded before are renumbered once, so a later run clears the right ones."""
    import sqlalchemy as sa

    from persuasion_lens.storage.repository import store_batch
    from persuasion_lens.storage.schema import failures, meta

    recorded = [("/d/t.parquet", "row 1"), ("/d/t.parquet", "row 2"), ("/d/t.PQ", "row 9"),
                ("/d/t.csv", "row 2"), ("/d/t.parquet", ""), ("/d/t.jsonl", "line 2")]
    db = open_database(db_url)
    store_batch(db, [], [{"source": source, "location": location, "reason": "bad"}
                         for source, location in recorded])
    with db.engine.begin() as connection:
        connection.execute(sa.update(meta).where(meta.c.name == "schema_version")
                           .values(value="7"))
    db.dispose()
    for _ in range(2):  # the second opening changes nothing
        db = open_database(db_url)
        with db.engine.connect() as connection:
            places = set(connection.execute(select(failures.c.source, failures.c.location)))
        db.dispose()
        assert places == {("/d/t.parquet", "row 2"), ("/d/t.parquet", "row 3"),
                          ("/d/t.PQ", "row 10"), ("/d/t.csv", "row 2"), ("/d/t.parquet", ""),
                          ("/d/t.jsonl", "line 2")}


def test_switching_to_wal_waits_while_another_process_holds_the_file():
    """Processes opening a new SQLite file together: one of them got "database is locked" at
    once from the WAL switch (about one run in five of the test above), which busy_timeout does
    not cover. The switch is retried until the lock is gone."""
    import sqlite3

    from persuasion_lens.storage.database import switch_to_wal

    class LockedTwice:
        calls = 0

        def execute(self, statement):
            self.calls += 1
            if self.calls <= 2:
                raise sqlite3.OperationalError("database is locked")

    cursor = LockedTwice()
    switch_to_wal(cursor)
    assert cursor.calls == 3
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        switch_to_wal(LockedTwice(), patience_seconds=0.0)


def test_an_older_database_gets_the_indexes_added_since(db_url):  # noqa: F811
    """A batch asks which article ids are stored; without their index each batch would read
    the whole articles table. Databases made before the index get it when opened."""
    from sqlalchemy import inspect, text

    db = open_database(db_url)
    with db.engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_articles_external_id"))
    assert "ix_articles_external_id" not in {i["name"] for i in inspect(db.engine).get_indexes(
        "articles")}
    db.dispose()
    db = open_database(db_url)
    try:
        names = {index["name"] for index in inspect(db.engine).get_indexes("articles")}
        assert "ix_articles_external_id" in names
    finally:
        db.dispose()


def test_highlight_pattern_finds_what_search_matches():
    from persuasion_lens.storage.queries import match_pattern

    text = "Она ещё верит. Lech Wałęsa mówił w Gdańsku; ЕЩЁ раз. Lechu! amp &amp;"
    found = match_pattern('еще walesa gdansk* "раз"').findall(text)
    assert found == ["ещё", "Wałęsa", "Gdańsku", "ЕЩЁ", "раз"]
    assert match_pattern("lech").findall(text) == ["Lech"]  # a whole word, not "Lechu"
    assert match_pattern("  ") is None


def test_web_search_marks_words_and_never_an_html_entity():
    from persuasion_lens.storage.queries import match_pattern
    from persuasion_lens.web.corpus import _highlight

    html = _highlight("Tom & Jerry, amp <b>ещё</b>", match_pattern("amp еще"))
    assert html == ("Tom &amp; Jerry, <mark>amp</mark> &lt;b&gt;<mark>ещё</mark>&lt;/b&gt;")


def test_an_older_postgresql_index_is_replaced_by_the_stored_vector(db_url, caplog):  # noqa: F811
    """Version 4 indexed the unfolded text, version 5 the folded text's vector computed at each
    search; opening either stores the vector in a column and indexes that."""
    import sqlalchemy as sa

    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's search index")
    for old_index in ("CREATE INDEX ix_paragraphs_tsv ON paragraphs "
                      "USING GIN (to_tsvector('simple', text))",
                      "CREATE INDEX ix_paragraphs_search ON paragraphs "
                      f"USING GIN ({postgres_search_vector('text')})"):
        db = open_database(db_url)
        store_batch(db, _folding_items())
        with db.engine.begin() as connection:  # as a version 4 or 5 database had it
            connection.execute(sa.text("DROP INDEX ix_paragraphs_search_vector"))
            connection.execute(sa.text("ALTER TABLE paragraphs DROP COLUMN search_vector"))
            connection.execute(sa.text(old_index))
        db.dispose()
        caplog.clear()
        db = open_database(db_url)
        try:
            # a minute's pause on a large corpus: the command says why
            assert "updating the database once for faster search" in caplog.text
            names = {index["name"] for index in sa.inspect(db.engine).get_indexes("paragraphs")}
            assert names & {"ix_paragraphs_search", "ix_paragraphs_tsv"} == set()
            assert "ix_paragraphs_search_vector" in names
            assert len(search(db, "еще")) == 1
        finally:
            db.dispose()


def test_postgresql_search_matches_and_ranks_by_the_indexed_stored_vector(db_url):  # noqa: F811
    """Ranking computed the vector of every matching paragraph again (seconds for a common
    word); the search reads the stored vector, through its index."""
    import sqlalchemy as sa

    from persuasion_lens.storage.queries import _search_statement

    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's search index")
    db = open_database(db_url)
    store_batch(db, _folding_items())
    try:
        statement, order = _search_statement(db, 'еще walesa* "lech walesa"', Filters())
        sql = statement.order_by(*order).compile(
            db.engine, compile_kwargs={"literal_binds": True})
        with db.engine.connect() as connection:
            connection.execute(sa.text("SET enable_seqscan = off"))
            plan = "\n".join(connection.execute(sa.text(f"EXPLAIN VERBOSE {sql}")).scalars())
        assert "ix_paragraphs_search_vector" in plan
        assert "to_tsvector" not in plan
    finally:
        db.dispose()
