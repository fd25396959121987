"""The corpus pages of the web app (`plens serve --db URL`): charts and search over a stored
corpus, plus JSON endpoints. The app sets `app.state.db_url`; this router reads it."""

from __future__ import annotations

import re
import shlex
import threading
import unicodedata
from dataclasses import asdict, astuple, dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from persuasion_lens.storage.database import Database, open_database
from persuasion_lens.storage.queries import (
    IN_STORED_ORDER,
    Filters,
    count_matches,
    load_article,
    match_pattern,
    narrative_summary,
    no_words_notice,
    ranks_by_relevance,
    search,
    stats,
)
from persuasion_lens.text.languages import normalise_language_code
from persuasion_lens.text.wording import counted, two_decimals
from persuasion_lens.web.corpus_cache import cache_of
from persuasion_lens.web.schemas import CUT_SHORT_TEXT, SearchPage, error_response

router = APIRouter(prefix="/corpus", tags=["corpus"])

RESULTS_SHOWN = 50  # search results on the corpus page
API_SEARCH_LIMIT = 500  # the most results /corpus/api/search gives at a time
_DATABASES: dict[str, Database] = {}
_LOCK = threading.Lock()


def database_for(request: Request) -> Database:
    url = getattr(request.app.state, "db_url", None)
    if not url:
        raise HTTPException(404, "no corpus database is configured (start with plens serve --db)")
    with _LOCK:
        db = _DATABASES.get(url)
        if db is None:
            db = open_database(url)
            _DATABASES[url] = db
        return db


@dataclass
class FilterQuery:
    """The filter query parameters every corpus endpoint takes (a FastAPI dependency)."""

    technique: str | None = None
    category: str | None = None
    outlet: str | None = None
    lang: str | None = None
    language: str | None = None  # another name for `lang`, as the stored rows spell it
    since: str | None = None
    until: str | None = None
    narrative: str | None = None

    def parse(self) -> Filters:
        return Filters.from_user(self.technique, self.category, self.outlet, self._language(),
                                 self.since, self.until, self.narrative)

    def _language(self) -> str | None:
        lang, language = (value if value and value.strip() else None
                          for value in (self.lang, self.language))
        if lang and language and normalise_language_code(lang) != normalise_language_code(language):
            raise ValueError(f"the query gives both lang={lang!r} and language={language!r}; "
                             "send one of them")
        return lang or language


def _filters(query: FilterQuery) -> Filters:
    """The filters, or a 422 naming the bad value (the API's status for any invalid input)."""
    try:
        return query.parse()
    except ValueError as error:
        raise HTTPException(422, str(error).replace("\n", " ")) from None


ERRORS: dict[int | str, dict[str, Any]] = {
    422: error_response("A filter value that is not a date, technique, category or language "
                        "code, or a number out of its range."),
    503: error_response(CUT_SHORT_TEXT),
}


@router.get("/api/search", summary="Search stored paragraphs", response_model=None,
            responses={200: {"model": SearchPage}, **ERRORS})
def api_search(
    request: Request,
    q: str = Query("", description='Words (all must occur), "phrases", prefix*'),
    query: FilterQuery = Depends(),
    limit: int = Query(20, ge=1, le=API_SEARCH_LIMIT),
    offset: int = Query(0, ge=0, description="Skip this many results (the next page)"),
) -> dict[str, Any]:
    filters = _filters(query)
    db = database_for(request)
    rows = search(db, q, filters, limit, offset)
    return {"query": q, "filters": filters.to_dict(), "count": len(rows), "offset": offset,
            "total": count_matches(db, q, filters), "results": rows,
            "notice": no_words_notice(q)}


@router.get("/api/stats", summary="Corpus statistics (what the charts show)",
            responses=ERRORS)
def api_stats(
    request: Request,
    query: FilterQuery = Depends(),
    top: int = Query(20, ge=1, le=200),
) -> dict[str, Any]:
    return _stats(request, _filters(query), top)


@router.get("/api/narratives", summary="Narratives and entity roles (experimental)",
            responses=ERRORS)
def api_narratives(
    request: Request,
    query: FilterQuery = Depends(),
    top: int = Query(20, ge=1, le=200),
) -> dict[str, Any]:
    """Narratives per month and by outlet, and the main roles given to the `top` entities, in
    all and per outlet. `articles` is 0 (with a `message`) when no narratives are stored."""
    filters = _filters(query)
    return _cached(request, ("narratives", astuple(filters), top),
                   lambda db: narrative_summary(db, filters, top=top))


def _cached(request: Request, question: tuple[Any, ...], compute: Any) -> Any:
    """`compute(db)` for the request's database, once per state of the database."""
    db = database_for(request)
    return cache_of(request.app.state).get(db, question, lambda: compute(db))


def _stats(request: Request, filters: Filters, top: int = 20) -> dict[str, Any]:
    """`stats()`, computed once per state of the database."""
    return _cached(request, ("stats", astuple(filters), top),
                   lambda db: stats(db, filters, top=top))


def _charts(request: Request, filters: Filters) -> tuple[dict[str, Any], str]:
    """The statistics and the corpus page's chart and narrative sections drawn from them,
    once per state of the database (one answer, so the page's numbers and charts agree)."""
    from persuasion_lens.reporting.corpus_report import chart_sections, figure, narrative_sections

    def draw(_db: Database) -> tuple[dict[str, Any], str]:
        data = _stats(request, filters)
        return data, ("".join(figure(*section) for section in chart_sections(data))
                      + narrative_sections(data))

    return _cached(request, ("charts", astuple(filters)), draw)


@router.get("/article/{article_id}", response_class=HTMLResponse, include_in_schema=False)
def article_page(
    request: Request,
    article_id: int,
    q: str = "",
    query: FilterQuery = Depends(),
    offset: int = 0,
) -> HTMLResponse:
    """An article's analysis; the search it was listed by (passed along in the result links,
    no Referer needed) is where its link back goes."""
    from persuasion_lens.reporting.corpus_report import article_intro
    from persuasion_lens.reporting.html import render_html

    values = {"q": q, **asdict(query)}
    back = search_link(values, max(0, offset))
    back_text = "← back to the search" if any(values.values()) else "← the corpus"
    loaded = load_article(database_for(request), article_id)
    if loaded is None:
        return _message_page(f"No article {article_id}",
                             f"There is no article {article_id} in this corpus.", back,
                             back_text, status_code=404)
    article, result = loaded
    return HTMLResponse(render_html([result], title=article["title"] or f"article {article_id}",
                                    before=article_intro(article, back, back_text)))


def _message_page(title: str, message: str, back: str, back_text: str,
                  status_code: int = 200) -> HTMLResponse:
    """A page of one message and a link back (browsers get a page, not the API's JSON)."""
    from persuasion_lens.reporting.corpus_report import STYLE

    return HTMLResponse(
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)} – persuasion-lens corpus</title><style>{STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1><section><p>{escape(message)}</p>"
        f"<p><a href='{escape(back)}'>{escape(back_text)}</a></p></section></main></body></html>",
        status_code=status_code)


@router.get("", response_class=HTMLResponse, include_in_schema=False)
def corpus_page(
    request: Request,
    q: str = "",
    query: FilterQuery = Depends(),
    offset: int = 0,
) -> HTMLResponse:
    values = {"q": q, **asdict(query)}
    offset = max(0, offset)
    db = database_for(request)
    try:
        filters = query.parse()
    except ValueError as problem:
        # Nothing is listed or charted: results without the other filters of the form (an
        # outlet, a language) read as a search of what the form still shows.
        body = (f"<h1>Corpus</h1><section>{_form(values)}<p class='error' role='alert'>"
                f"{escape(str(problem))}</p><p>{_NOTHING_UNTIL_FIXED}</p></section>")
        return HTMLResponse(_corpus_page(body))
    data, charts = _charts(request, filters)
    searched = bool(q or filters.to_dict())  # any filter lists its paragraphs, as plens search
    results = search(db, q, filters, RESULTS_SHOWN, offset) if searched else None
    total = count_matches(db, q, filters) if results is not None else 0
    body = (
        "<h1>Corpus</h1>"
        f"<section>{_form(values)}"
        + _notice(q)
        + f"<p>{counted(data['articles'], 'article')} · "
        f"{counted(data['paragraphs'], 'paragraph')} · "
        f"{data['paragraphs_with_techniques']:,} with techniques · "
        f"{counted(data['techniques'], 'detection')}</p></section>"
        + (_results(results, values, total, offset, ranks_by_relevance(db, q))
           if results is not None else _HOW_TO_LIST)
        + charts
    )
    return HTMLResponse(_corpus_page(body))


_NOTHING_UNTIL_FIXED = "Nothing is listed or charted until it is corrected or emptied."


def _corpus_page(body: str) -> str:
    from persuasion_lens.reporting.corpus_report import STYLE

    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>persuasion-lens corpus</title><style>{STYLE}"
        "form{display:flex;flex-wrap:wrap;gap:8px;align-items:end}"
        "label{display:flex;flex-direction:column;font-size:.8rem}"
        "input{padding:4px 6px}.error{color:#b00020}.notice{color:#a15c00}"
        "mark{background:#ffe27a}nav.pages{display:flex;gap:18px;margin:12px 0 4px}</style>"
        f"</head><body><main><p><a href='/'>← analyse an article</a></p>{body}</main>"
        "</body></html>"
    )


def _notice(q: str) -> str:
    notice = no_words_notice(q)
    return f"<p class='notice' role='status'>{escape(notice)}</p>" if notice else ""


def _form(values: dict[str, Any]) -> str:
    fields = [("q", "Search text", "search"), ("technique", "Technique", "text"),
              ("category", "Category", "text"), ("outlet", "Outlet", "text"),
              ("lang", "Language", "text"), ("since", "Since", "date"), ("until", "Until", "date"),
              ("narrative", "Narrative", "text")]
    inputs = "".join(
        f"<label>{escape(label)}<input type='{kind}' name='{name}' "
        f"value='{escape(values.get(name) or '')}'></label>"
        for name, label, kind in fields
    )
    return (f"<form method='get' action='/corpus'>{inputs}"
            "<button type='submit'>Search</button></form>")


def _highlight(text: str, pattern: re.Pattern[str] | None) -> str:
    """The paragraph as HTML, the query's words marked (matched on the text, then escaped, so
    that a query never matches inside an HTML entity)."""
    text = unicodedata.normalize("NFC", text)  # decomposed letters match as search does
    if pattern is None:
        return escape(text)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces += [escape(text[last:match.start()]), f"<mark>{escape(match.group(0))}</mark>"]
        last = match.end()
    return "".join(pieces) + escape(text[last:])


def _results(rows: list[dict[str, Any]], values: dict[str, Any], total: int,
             offset: int = 0, ranked: bool = True) -> str:
    """The results table of the matches from `offset` on and links to the pages before and
    after it; `values` are the form's (the query "q" and the filters), `ranked` whether the
    matches come best first."""
    from persuasion_lens.taxonomy import technique as technique_info

    if not rows:
        return ("<section><h2>Results</h2><p class='none'>"
                + _none_found(values, total, offset) + "</p></section>")
    pattern = match_pattern(values.get("q") or "")
    article_query = _search_query(values, offset)  # for the article page's way back
    items = []
    for row in rows:
        title = escape(row["title"] or row["external_id"] or f"article {row['article_id']}")
        meta = " · ".join(escape(str(v)) for v in (row["outlet"], row["published"],
                                                   row["language"]) if v)
        hits = ", ".join(
            f"{escape(technique_info(h['technique']).label)} {two_decimals(h['confidence'])}"
            for h in row["techniques"]
        ) or "–"
        link = escape(f"/corpus/article/{row['article_id']}{article_query}")
        items.append(
            f"<tr><td><a href='{link}'>{title}</a><br>"
            f"<small>{meta} · ¶{row['paragraph_index'] + 1}</small></td>"
            f"<td>{_highlight(row['text'], pattern)}</td><td>{hits}</td></tr>"
        )
    return ("<section><h2>Results</h2>" + _shown(values, total, offset, len(rows), ranked)
            + "<table><tr><th>Article</th><th>Paragraph</th><th>Techniques</th></tr>"
            + "".join(items) + "</table>" + _page_links(values, total, offset, len(rows))
            + "</section>")


_HOW_TO_LIST = ("<section><h2>Results</h2><p class='none'>Type words to search for, or set any "
                "filter (a technique, category, outlet, language, dates or a narrative), to list "
                "the matching paragraphs here.</p></section>")


def _none_found(values: dict[str, Any], total: int, offset: int) -> str:
    if not offset or not total:
        return "No matching paragraphs."
    return (f"No matching paragraphs after the first {offset:,}: there "
            f"{'is' if total == 1 else 'are'} {total:,}. <a href='"
            f"{escape(search_link(values))}'>The first page</a>.")


def _shown(values: dict[str, Any], total: int, offset: int, shown: int,
           ranked: bool = True) -> str:
    """Which of the matches the table shows, in what order, and how to get them all."""
    matches = counted(total, "matching paragraph")
    if not offset and total <= shown:
        return f"<p>{matches}.</p>"
    which = (f"Matches {offset + 1:,}–{offset + shown:,}" if offset else
             f"The best {shown:,}" if ranked else f"The first {shown:,}")
    order = "" if ranked else f", {IN_STORED_ORDER}"
    return (f"<p>{which} of {matches}{order} "
            f"({_all_results_hint(values, offset + shown)}).</p>")


def _page_links(values: dict[str, Any], total: int, offset: int, shown: int) -> str:
    """Links to the previous and the next page of results, keeping the search and filters."""
    links = []
    if offset:
        before = min(offset, RESULTS_SHOWN)
        links.append(f"<a href='{escape(search_link(values, offset - before))}' rel='prev'>"
                     f"← previous {before:,}</a>")
    if total > offset + shown:
        after = min(total - offset - shown, RESULTS_SHOWN)
        links.append(f"<a href='{escape(search_link(values, offset + shown))}' rel='next'>"
                     f"next {after:,} →</a>")
    if not links:
        return ""
    return f"<nav class='pages' aria-label='Result pages'>{''.join(links)}</nav>"


def _search_query(values: dict[str, Any], offset: int = 0) -> str:
    """'?q=…&technique=…&offset=…' of a search (its non-empty values), or '' for none."""
    parameters = {name: value for name, value in values.items() if value}
    if offset:
        parameters["offset"] = offset
    return "?" + urlencode(parameters) if parameters else ""


def search_link(values: dict[str, Any], offset: int = 0) -> str:
    """The corpus page of a search and its filters, from match `offset` on."""
    return "/corpus" + _search_query(values, offset)


def _all_results_hint(values: dict[str, Any], after: int) -> str:
    """Where to get every match, for scripts: the command that lists them all, and the API's
    largest page from match `after` on (the first not shown)."""
    filters = {name: value for name, value in values.items() if value and name != "q"}
    command = " ".join(["plens search", shlex.quote(values.get("q") or ""),
                        *(f"--{name} {shlex.quote(str(value))}" for name, value in filters.items()),
                        "--all --db …"])
    next_page = "/corpus/api/search?" + urlencode(
        {"q": values.get("q") or "", **filters, "limit": API_SEARCH_LIMIT, "offset": after})
    return (f"all of them: <code>{escape(command)}</code>, or "
            f"<a href='{escape(next_page)}'>{escape(next_page)}</a> and the following offsets")
