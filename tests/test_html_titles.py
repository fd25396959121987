"""The headline of HTML pages read from files: the title trafilatura finds (og:title before the
<title>, the <title> less its site name), put first only where the page shows it as an h1 or
declares it as og:title."""

from __future__ import annotations

import pytest

from persuasion_lens.text.reading import read_document

BODY = ("<p>" + "The storm flooded the harbour overnight. " * 4 + "</p>"
        "<p>Residents were evacuated by the coast guard.</p>")
NAVIGATION = "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"


def _page(head: str, article: str, before_article: str = "") -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>"
            f"{before_article}{NAVIGATION}<article>{article}</article>"
            "<footer>© Bay Courier</footer></body></html>")


PAGES = {
    # og:title is the headline; the <title> names the site and its section
    "og-title-differs-from-title": (
        _page("<title>Bay Courier – World news</title>"
              "<meta property='og:title' content='Storm hits the coast'>", BODY),
        "Storm hits the coast"),
    # the logo is an h1 too: the <title> less its site name tells which h1 is the headline
    "site-name-suffix-and-a-logo-h1": (
        _page("<title>Storm hits the coast | Bay Courier</title>",
              f"<h1>Storm hits the coast</h1>{BODY}",
              before_article="<h1><a href='/'>Bay Courier</a></h1>"),
        "Storm hits the coast"),
    # a <title> alone may be the site's name: it is not put first
    "title-is-the-site-name": (
        _page("<title>Bay Courier</title>", BODY),
        "The storm flooded the harbour overnight."),
    "no-title-at-all": (
        _page("", BODY),
        "The storm flooded the harbour overnight."),
    # twitter:title, with an entity, names the second of two h1s
    "twitter-title-with-an-entity": (
        _page("<title>Bay Courier</title>"
              "<meta name='twitter:title' content='Storm &amp; flood hit the coast'>",
              f"<h1>Storm &amp; flood\n  hit the coast</h1>{BODY}",
              before_article="<h1>Bay Courier</h1>"),
        "Storm & flood hit the coast"),
    # a JSON-LD headline, no meta tags, two h1s
    "json-ld-headline": (
        _page('<script type="application/ld+json">{"@context": "https://schema.org", '
              '"@type": "NewsArticle", '
              '"headline": "Storm hits the coast"}</script>',
              f"<h1>Storm hits the coast</h1>{BODY}",
              before_article="<h1>Bay Courier</h1>"),
        "Storm hits the coast"),
}


@pytest.mark.parametrize("name", PAGES)
def test_the_headline_of_an_html_page_comes_first(tmp_path, name):
    page, headline = PAGES[name]
    path = tmp_path / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    lines = read_document(path).text.splitlines()
    assert lines[0].startswith(headline)
    assert "Bay Courier" not in lines[0]
    assert lines[-1] == "Residents were evacuated by the coast guard."


@pytest.mark.parametrize("name", PAGES)
def test_the_title_is_trafilaturas_without_its_metadata_search(tmp_path, name, monkeypatch):
    """The title is the one trafilatura's extract_metadata gives, found without it: its date,
    author, licence and category searches took 2.2 of the 6.4 ms a page took to read."""
    import trafilatura

    from persuasion_lens.text.reading import _metadata_title

    page, _ = PAGES[name]
    expected = trafilatura.extract_metadata(trafilatura.load_html(page)).title or ""
    assert _metadata_title(trafilatura.load_html(page)) == expected

    def refuse(*args, **kwargs):
        raise AssertionError("extract_metadata was called")

    monkeypatch.setattr(trafilatura, "extract_metadata", refuse)
    path = tmp_path / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    assert read_document(path).text.splitlines()[-1] == (
        "Residents were evacuated by the coast guard.")
