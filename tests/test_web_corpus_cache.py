"""The corpus pages compute their statistics and charts once per state of the database: a
repeated view is answered from the cache, and anything a batch stores shows on the next
request (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from corpus_helpers import (  # noqa: F401 (db_url: the fixture, over both databases)
    NARRATIVE_ARTICLES,
    article_rows,
    db_url,
    narrative_spec,
    write_jsonl,
)
from fastapi.testclient import TestClient

from persuasion_lens.batch import run_batch
from persuasion_lens.batch.work import AnalyzerSpec
from persuasion_lens.storage import open_database
from persuasion_lens.storage.queries import stats
from persuasion_lens.web.app import create_app

FAKE = AnalyzerSpec(factory="corpus_helpers:fake_analyzer")


class Calls:
    """Counts the statistics computed and the chart sets drawn, by wrapping the real ones."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import persuasion_lens.reporting.corpus_report as corpus_report
        import persuasion_lens.web.corpus as corpus

        self.stats = self.charts = 0
        real_stats, real_charts = corpus.stats, corpus_report.chart_sections

        def counted_stats(*args, **kwargs):
            self.stats += 1
            return real_stats(*args, **kwargs)

        def counted_charts(*args, **kwargs):
            self.charts += 1
            return real_charts(*args, **kwargs)

        monkeypatch.setattr(corpus, "stats", counted_stats)
        monkeypatch.setattr(corpus_report, "chart_sections", counted_charts)

    def __call__(self) -> tuple[int, int]:
        return self.stats, self.charts


def _store(url: str, path: Path, rows: list[dict], spec: AnalyzerSpec = FAKE,
           extra_lines: tuple[str, ...] = ()) -> None:
    """A real batch run of `rows` into the database."""
    db = open_database(url)
    try:
        run_batch([str(write_jsonl(path, rows, extra_lines))], db, spec, batch_size=4)
    finally:
        db.dispose()


def _client(url: str) -> TestClient:
    from corpus_helpers import fake_analyzer

    return TestClient(create_app(fake_analyzer(), db_url=url))


def _articles_shown(page: str) -> int:
    return int(re.search(r"<p>(\d+) articles? · ", page).group(1))


def test_a_repeated_view_is_not_computed_again(db_url, tmp_path, monkeypatch):  # noqa: F811
    _store(db_url, tmp_path / "first.jsonl", article_rows(6))
    calls = Calls(monkeypatch)
    client = _client(db_url)
    first = client.get("/corpus").text
    assert calls() == (1, 1) and _articles_shown(first) == 6
    # paging through a search, coming back, the API's default statistics: all from the cache
    paged = client.get("/corpus", params={"q": "headline", "offset": 2}).text
    again = client.get("/corpus").text
    assert client.get("/corpus/api/stats").json()["articles"] == 6
    assert calls() == (1, 1)
    assert again == first and "<mark>" in paged
    # other filters have charts of their own, also computed once
    by_outlet = client.get("/corpus", params={"outlet": "Daily Planet"}).text
    assert calls() == (2, 2) and _articles_shown(by_outlet) == 2
    assert client.get("/corpus", params={"outlet": "Daily Planet", "q": "headline"}).text
    assert client.get("/corpus/api/stats", params={"top": 3}).json()["articles"] == 6
    assert calls() == (3, 2)  # another `top` is another answer


def test_what_a_batch_stores_shows_on_the_next_request(db_url, tmp_path, monkeypatch):  # noqa: F811
    _store(db_url, tmp_path / "first.jsonl", article_rows(6))
    calls = Calls(monkeypatch)
    client = _client(db_url)
    assert _articles_shown(client.get("/corpus").text) == 6
    failures = client.get("/corpus/api/stats").json()["failures"]
    _store(db_url, tmp_path / "broken.jsonl", [], extra_lines=("{not json",))  # a failure only
    assert client.get("/corpus/api/stats").json()["failures"] == failures + 1
    _store(db_url, tmp_path / "more.jsonl", article_rows(1, start=6))  # one more article
    page = client.get("/corpus").text
    assert _articles_shown(page) == 7 and calls() == (3, 2)
    db = open_database(db_url)
    try:
        assert client.get("/corpus/api/stats").json() == stats(db)  # as computed afresh
    finally:
        db.dispose()
    assert client.get("/corpus", params={"q": "headline"}).text.count("<mark>") == 7


def test_narratives_given_to_stored_articles_show_on_the_next_request(db_url, tmp_path):  # noqa: F811
    """`plens batch --narratives` on articles already stored adds no article: the page must
    still change."""
    _store(db_url, tmp_path / "articles.jsonl", NARRATIVE_ARTICLES)
    client = _client(db_url)
    assert "No narratives are stored" in client.get("/corpus").text
    assert client.get("/corpus/api/narratives").json()["articles"] == 0
    _store(db_url, tmp_path / "articles.jsonl", NARRATIVE_ARTICLES, narrative_spec())
    page = client.get("/corpus").text
    assert "No narratives are stored" not in page and "Narratives by outlet" in page
    assert client.get("/corpus/api/narratives").json()["articles"] == len(NARRATIVE_ARTICLES)


def test_an_article_stored_while_the_charts_are_computed_shows_next(tmp_path, monkeypatch):
    """The state is read before computing: an article stored between the computation and
    that read would otherwise be missing under a state that includes it, for good."""
    import persuasion_lens.web.corpus as corpus

    url = f"sqlite:///{tmp_path / 'corpus.db'}"
    _store(url, tmp_path / "first.jsonl", article_rows(3))
    real_stats = corpus.stats
    stored_meanwhile = []

    def stats_then_a_batch(*args, **kwargs):
        answer = real_stats(*args, **kwargs)
        if not stored_meanwhile:
            stored_meanwhile.append(True)
            _store(url, tmp_path / "meanwhile.jsonl", article_rows(1, start=3))
        return answer

    monkeypatch.setattr(corpus, "stats", stats_then_a_batch)
    client = _client(url)
    assert _articles_shown(client.get("/corpus").text) == 3  # computed before it was stored
    assert _articles_shown(client.get("/corpus").text) == 4
    assert client.get("/corpus/api/stats").json()["articles"] == 4


def test_the_cache_keeps_a_few_answers(tmp_path, monkeypatch):
    from persuasion_lens.web.corpus_cache import CACHED_ANSWERS

    url = f"sqlite:///{tmp_path / 'corpus.db'}"
    _store(url, tmp_path / "first.jsonl", article_rows(3))
    calls = Calls(monkeypatch)
    client = _client(url)
    for top in range(1, CACHED_ANSWERS + 2):
        client.get("/corpus/api/stats", params={"top": top})
    assert calls.stats == CACHED_ANSWERS + 1
    client.get("/corpus/api/stats", params={"top": CACHED_ANSWERS + 1})  # the latest: kept
    assert calls.stats == CACHED_ANSWERS + 1
    client.get("/corpus/api/stats", params={"top": 1})  # the oldest: forgotten
    assert calls.stats == CACHED_ANSWERS + 2
    assert len(client.app.state.corpus_cache._answers) == CACHED_ANSWERS


def test_views_asked_for_at_once_are_computed_once(db_url, tmp_path, monkeypatch):  # noqa: F811
    """Several analysts opening the same view while it is computed (or one reloading it) wait
    for one computation, through the real server's threads."""
    import threading
    import time

    import persuasion_lens.web.corpus as corpus

    _store(db_url, tmp_path / "first.jsonl", article_rows(6))
    calls = Calls(monkeypatch)
    counted = corpus.stats

    def slow_stats(*args, **kwargs):
        time.sleep(0.5)
        return counted(*args, **kwargs)

    monkeypatch.setattr(corpus, "stats", slow_stats)
    client = _client(db_url)
    pages: list[str] = []

    def view() -> None:
        pages.append(client.get("/corpus", params={"outlet": "Daily Planet"}).text)

    threads = [threading.Thread(target=view) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(pages) == 4 and len(set(pages)) == 1
    assert calls() == (1, 1)


def test_a_failed_computation_leaves_no_one_waiting(tmp_path):
    """The request that computes fails: those waiting for it compute the answer themselves."""
    import threading
    import time

    from persuasion_lens.web.corpus_cache import CorpusCache

    db = open_database(f"sqlite:///{tmp_path / 'c.db'}")
    cache = CorpusCache()
    started = threading.Event()

    def failing() -> str:
        started.set()
        time.sleep(0.3)
        raise RuntimeError("the database went away")

    answers: list[str] = []
    errors: list[str] = []

    def fail_first() -> None:
        try:
            cache.get(db, ("q",), failing)
        except RuntimeError as error:
            errors.append(str(error))

    first = threading.Thread(target=fail_first)
    first.start()
    started.wait(10)
    waiter = threading.Thread(target=lambda: answers.append(cache.get(db, ("q",), lambda: "ok")))
    waiter.start()
    first.join(10)
    waiter.join(10)
    assert errors == ["the database went away"]
    assert answers == ["ok"] and cache.computed == 1
    db.dispose()
