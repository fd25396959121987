"""Reading the corpus back: search, statistics for charts, paragraph-level export, and whole
articles rebuilt as `ArticleResult`s. Every function takes the same `Filters`."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import (
    Float,
    and_,
    cast,
    column,
    exists,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.sql import ColumnElement, Select

from persuasion_lens.pipeline.results import (
    ArticleResult,
    LabelScore,
    ParagraphResult,
    SpanHit,
    TechniqueHit,
)
from persuasion_lens.storage.database import Database
from persuasion_lens.storage.narrative_queries import (
    NO_MATCH,
    entity_summary,
    narrative_condition,
    narrative_stats,
    narratives_for,
    with_outlets,
)
from persuasion_lens.storage.outlets import outlet_is, outlet_missing, outlet_spellings
from persuasion_lens.storage.periods import period_key, periods_between
from persuasion_lens.storage.schema import (
    ACCENT_FOLDS,
    NO_OUTLET,
    POSTGRES_SEARCH_COLUMN,
    SEARCH_FOLDS,
    WORD_SEPARATING_MARKS,
    articles,
    entities,
    failures,
    fold_for_search,
    folded_sql,
    frames,
    meta,
    narratives,
    outlet_or_none,
    paragraphs,
    runs,
    spans,
    subnarratives,
)
from persuasion_lens.storage.schema import techniques as techniques_table
from persuasion_lens.taxonomy import (
    TECHNIQUE_NAMES,
    resolve_category,
    resolve_technique,
    technique,
)
from persuasion_lens.text.languages import normalise_language_code

_fts = table("paragraphs_fts", column("rowid"), column("rank"))
LARGEST_SQL_INTEGER = 2**63 - 1  # SQLite's and PostgreSQL's BIGINT; larger ids cannot exist
MAX_PHRASE_CHARACTERS = 60  # longest highlighted text counted as a phrase in corpus statistics
_AROUND_PHRASES = " \t\n\"'“”„«»‘’‚‹›.,;:!?()[]…-–—"


@dataclass
class Filters:
    """What to look at. `technique`/`category` are exact taxonomy names (see `from_user`);
    `narrative` is part of a narrative or subnarrative label, matched in any case."""

    technique: str | None = None
    category: str | None = None
    outlet: str | None = None
    lang: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    narrative: str | None = None

    @classmethod
    def from_user(
        cls,
        technique: str | None = None,
        category: str | None = None,
        outlet: str | None = None,
        lang: str | None = None,
        since: str | dt.date | None = None,
        until: str | dt.date | None = None,
        narrative: str | None = None,
    ) -> Filters:
        """Resolve what a user typed; raises ValueError with a one-line message."""
        return cls(
            technique=resolve_technique(technique) if technique else None,
            category=resolve_category(category) if category else None,
            outlet=outlet if outlet and outlet.strip() else None,  # spaces alone: no filter
            lang=normalise_language_code(lang) if lang else None,
            since=_parse_date(since, "since"),
            until=_parse_date(until, "until"),
            narrative=(narrative or "").strip() or None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v)
                for k, v in asdict(self).items() if v is not None}


def _parse_date(value: str | dt.date | None, option: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise ValueError(f"{option}: '{value}' is not a date (use YYYY-MM-DD)") from None


# --- filter building -------------------------------------------------------------------------


def _article_conditions(filters: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.outlet and filters.outlet.strip().lower() == NO_OUTLET:
        conditions.append(outlet_missing())  # the reports' row of that name
    elif filters.outlet:
        conditions.append(outlet_is(filters.outlet))
    if filters.lang:
        conditions.append(articles.c.language == filters.lang)
    if filters.since:
        conditions.append(articles.c.published >= filters.since)
    if filters.until:
        conditions.append(articles.c.published <= filters.until)
    if filters.narrative:
        conditions.append(narrative_condition(filters.narrative))
    return conditions


def _article_uses_technique(filters: Filters) -> list[ColumnElement[bool]]:
    """With a technique/category filter: the article has a paragraph using it."""
    conditions = _technique_conditions(filters)
    if not conditions:
        return []
    return [exists().where(techniques_table.c.article_id == articles.c.id, *conditions)]


def _technique_conditions(filters: Filters, hits=techniques_table) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.technique:
        conditions.append(hits.c.technique == filters.technique)
    if filters.category:
        conditions.append(hits.c.category == filters.category)
    return conditions


def _paragraph_has_technique(filters: Filters) -> ColumnElement[bool] | None:
    conditions = _technique_conditions(filters)
    if not conditions:
        return None
    return exists().where(
        techniques_table.c.article_id == paragraphs.c.article_id,
        techniques_table.c.paragraph_index == paragraphs.c.paragraph_index,
        *conditions,
    )


# --- full-text search ----------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _marks() -> str:
    """A character class body of the combining marks (Unicode M*: Hindi vowel signs, viramas,
    ...) that Python's \\w leaves out but the search index keeps in the word; the
    WORD_SEPARATING_MARKS (variation selectors, keycaps) are left out, as the index does."""
    ranges: list[list[int]] = []
    for code in itertools.chain(range(0x300, 0x20000), range(0xE0100, 0xE01F0)):
        if (unicodedata.category(chr(code)).startswith("M")
                and chr(code) not in WORD_SEPARATING_MARKS):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(f"\\U{first:08x}-\\U{last:08x}" for first, last in ranges)


def _word_character() -> str:
    """A regular expression for a character of a word as the search index has it: a letter,
    digit or mark; an underscore splits words, as in the index."""
    return rf"(?:[^\W_]|[{_marks()}])"


def _not_word_character() -> str:
    return rf"(?:[^\w{_marks()}]|_)"


_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


@functools.lru_cache(maxsize=1)
def _term_pattern() -> re.Pattern[str]:
    # a query word joined by underscores (putin_2024) is searched as the phrase it is indexed as
    return re.compile(rf'"([^"]+)"|([\w{_marks()}]+\*?)')


def query_terms(query: str) -> list[str]:
    """Words and "quoted phrases" of a search query (a trailing * marks a prefix). A word
    needs a letter or digit: underscores and marks alone are none (and "_" alone made
    PostgreSQL's query fail)."""
    terms = []
    for phrase, word in _term_pattern().findall(query):
        words = [found for found in re.findall(_word_character() + "+", phrase or word)
                 if _LETTER_OR_DIGIT.search(found)]
        if words:
            terms.append(" ".join(words) + ("*" if word.endswith("*") else ""))
    return terms


def no_words_notice(query: str) -> str | None:
    """What to tell of a query with no words to search for (an emoji, "_", a control
    character), which lists paragraphs by the filters alone; None for any other query, the
    empty one and spaces alone included. Control characters are shown as escapes."""
    if not _blank(query) and not query_terms(query):
        return (f"'{_shown(query)}' has no words to search for; listing paragraphs by the "
                "filters alone")
    return None


def _blank(query: str) -> bool:
    """Spaces, tabs and line breaks only. Python's isspace() takes some control characters
    (\\x1c-\\x1f, \\x85) for spaces too: those are characters typed, as NUL is."""
    return all(c.isspace() and (c in " \t\n\r\v\f" or unicodedata.category(c) != "Cc")
               for c in query)


def _shown(query: str) -> str:
    return "".join(c.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(c) == "Cc" else c for c in query)


def match_pattern(query: str) -> re.Pattern[str] | None:
    """A regular expression that finds the query's words in a paragraph as search matches them
    (any case, ё as е, ł as l, accents ignored), for highlighting; None for an empty query."""
    terms = query_terms(query)
    if not terms:
        return None
    letter = _word_character()
    words = [_letters_pattern(term.rstrip("*")) + (letter + "*" if term.endswith("*") else "")
             for term in terms]
    return re.compile(rf"(?<!{letter})(" + "|".join(words) + rf")(?!{letter})", re.IGNORECASE)


def _letters_pattern(term: str) -> str:
    """A phrase's words may be apart by any run of spaces or punctuation, as for search."""
    variants = _letter_variants()
    between_words = _not_word_character() + "+"
    return "".join(
        between_words if letter == " " else
        "[" + "".join(sorted(variants[letter])) + "]" if letter in variants else re.escape(letter)
        for letter in fold_for_search(term, "postgresql").lower())


def _folded_term(term: str, dialect: str) -> str:
    """A query term folded as the index is (a trailing * for a prefix kept)."""
    prefix = term.endswith("*")
    return fold_for_search(term.rstrip("*"), dialect).strip() + ("*" if prefix else "")


@functools.lru_cache(maxsize=1)
def _letter_variants() -> dict[str, set[str]]:
    """Each plain letter, and the letters that search folds into it."""
    variants: dict[str, set[str]] = defaultdict(set)
    for letter, plain in {**SEARCH_FOLDS, **ACCENT_FOLDS}.items():
        variants[plain.lower()] |= {plain.lower(), letter.lower()}
    return dict(variants)


def _fts5_query(terms: Sequence[str]) -> str:
    parts = []
    for term in terms:
        prefix = term.endswith("*")
        body = term.rstrip("*")
        parts.append(f'"{body}"' + ("*" if prefix else ""))
    return " ".join(parts)


def _tsquery(terms: Sequence[str]) -> str:
    parts = []
    for term in terms:
        prefix = term.endswith("*")
        words = term.rstrip("*").split()
        if prefix:
            words[-1] += ":*"
        parts.append("(" + " <-> ".join(words) + ")" if len(words) > 1 else words[0])
    return " & ".join(parts)


def search(db: Database, query: str, filters: Filters | None = None, limit: int = 20,
           offset: int = 0) -> list[dict]:
    """Paragraphs matching the query (all words, "phrases", prefix*), best first, with the
    techniques found in each; `offset` skips that many. An empty query lists paragraphs by the
    filters alone."""
    if offset > LARGEST_SQL_INTEGER:
        return []  # past any table's end; the database would refuse the number itself
    statement, order = _search_statement(db, query, filters or Filters())
    statement = statement.order_by(*order, articles.c.id, paragraphs.c.paragraph_index)
    statement = statement.limit(min(limit, LARGEST_SQL_INTEGER)).offset(offset)
    with db.engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(statement)]
        hits = _techniques_for(connection, [(r["article_id"], r["paragraph_index"]) for r in rows])
    for row in rows:
        row["published"] = row["published"].isoformat() if row["published"] else None
        row["techniques"] = hits.get((row["article_id"], row["paragraph_index"]), [])
    return rows


# how unranked matches are ordered, in words (`ranks_by_relevance`)
IN_STORED_ORDER = "in the order the articles were stored"


def ranks_by_relevance(db: Database, query: str) -> bool:
    """Whether `search` lists the matches best first: only for words searched in a database
    with a full-text index. Otherwise (filters alone, or words matched without the index) they
    come in the order the articles were stored, each article's paragraphs in order."""
    return bool(query_terms(query)) and db.full_text and db.dialect in ("sqlite", "postgresql")


def count_matches(db: Database, query: str, filters: Filters | None = None) -> int:
    """How many paragraphs `search` would find without a limit."""
    statement, _ = _search_statement(db, query, filters or Filters())
    with db.engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(statement.subquery())).scalar_one()


def _search_statement(db: Database, query: str, filters: Filters) -> tuple[Select, list[Any]]:
    """The search's SELECT (unordered, unlimited) and the ORDER BY of its best-first ranking."""
    terms = [_folded_term(term, db.dialect) for term in query_terms(query)]
    columns = [
        paragraphs.c.id.label("paragraph_id"), paragraphs.c.article_id,
        paragraphs.c.paragraph_index, paragraphs.c.text,
        articles.c.external_id, articles.c.title, articles.c.outlet, articles.c.url,
        articles.c.published, articles.c.language,
    ]
    statement: Select = select(*columns).select_from(
        paragraphs.join(articles, articles.c.id == paragraphs.c.article_id)
    )
    order: list[Any] = []
    if terms and db.full_text and db.dialect == "sqlite":
        statement = statement.join(_fts, _fts.c.rowid == paragraphs.c.id).where(
            text("paragraphs_fts MATCH :fts_query").bindparams(fts_query=_fts5_query(terms))
        )
        order.append(_fts.c.rank)
    elif terms and db.full_text and db.dialect == "postgresql":
        vector = literal_column(f"paragraphs.{POSTGRES_SEARCH_COLUMN}")
        tsquery = func.to_tsquery(literal_column("'simple'"), _tsquery(terms))
        statement = statement.where(vector.op("@@")(tsquery))
        order.append(func.ts_rank(vector, tsquery).desc())
    elif terms:
        folded = literal_column(folded_sql("paragraphs.text", db.dialect))
        like = [folded.ilike("%" + _escape_like(t.rstrip("*")) + "%", escape="\\")
                for t in terms]
        statement = statement.where(and_(*like))
    statement = statement.where(*_article_conditions(filters))
    has_technique = _paragraph_has_technique(filters)
    if has_technique is not None:
        statement = statement.where(has_technique)
    return statement, order


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _techniques_for(connection, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], list]:
    found: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    article_ids = sorted({article_id for article_id, _ in keys})
    if not article_ids:
        return found
    wanted = set(keys)
    statement = (
        select(techniques_table.c.article_id, techniques_table.c.paragraph_index,
               techniques_table.c.technique, techniques_table.c.category,
               techniques_table.c.confidence)
        .where(techniques_table.c.article_id.in_(article_ids))
        .order_by(techniques_table.c.confidence.desc(), techniques_table.c.id)
    )
    for row in connection.execute(statement):
        key = (row.article_id, row.paragraph_index)
        if key in wanted:
            found[key].append({"technique": row.technique, "category": row.category,
                               "confidence": round(float(row.confidence), 4)})
    return found


# --- statistics ----------------------------------------------------------------------------


def _filtered_articles(filters: Filters):
    return select(articles.c.id).where(*_article_conditions(filters))


def _distinct_paragraph_categories(filters: Filters):
    """(article_id, paragraph_index, category) once per paragraph and category, filtered."""
    return (
        select(techniques_table.c.article_id, techniques_table.c.paragraph_index,
               techniques_table.c.category)
        .where(techniques_table.c.article_id.in_(_filtered_articles(filters)),
               *_technique_conditions(filters))
        .distinct()
        .subquery("paragraph_categories")
    )


def _distinct_paragraphs_with_hits(filters: Filters):
    return (
        select(techniques_table.c.article_id, techniques_table.c.paragraph_index)
        .where(techniques_table.c.article_id.in_(_filtered_articles(filters)),
               *_technique_conditions(filters))
        .distinct()
        .subquery("paragraphs_with_hits")
    )


def stats(db: Database, filters: Filters | None = None, top: int = 20) -> dict[str, Any]:
    """Everything the corpus report and the web page chart, as plain JSON-ready data; `top`
    is the number of densest articles (every outlet and language is listed)."""
    filters = filters or Filters()
    selected = _filtered_articles(filters)
    with db.engine.connect() as connection:
        totals = connection.execute(
            select(func.count(), func.coalesce(func.sum(articles.c.n_paragraphs), 0))
            .where(*_article_conditions(filters))
        ).one()
        hits = _distinct_paragraphs_with_hits(filters)
        with_hits = connection.execute(select(func.count()).select_from(hits)).scalar_one()
        by_technique = [
            {"technique": row.technique, "category": row.category, "count": row.n}
            for row in connection.execute(
                select(techniques_table.c.technique, techniques_table.c.category,
                       func.count().label("n"))
                .where(techniques_table.c.article_id.in_(selected), *_technique_conditions(filters))
                .group_by(techniques_table.c.technique, techniques_table.c.category)
                .order_by(func.count().desc(), techniques_table.c.technique)
            )
        ]
        by_category: dict[str, int] = defaultdict(int)
        for row in by_technique:
            by_category[row["category"]] += row["count"]
        result = {
            "filters": filters.to_dict(),
            "articles": totals[0],
            "paragraphs": int(totals[1]),
            "paragraphs_with_techniques": with_hits,
            "techniques": sum(row["count"] for row in by_technique),
            "by_technique": by_technique,
            "by_category": dict(sorted(by_category.items(), key=lambda kv: -kv[1])),
            "over_time": _over_time(connection, filters),
            "by_outlet": with_outlets(_shares_by(connection, filters, outlet_or_none(), "outlet",
                                                 outlet_spellings(connection))),
            "by_language": _shares_by(connection, filters, articles.c.language, "language"),
            "model_versions": _model_versions_by_language(connection, filters),
            "top_phrases": _top_phrases(connection, filters),
            "densest_articles": _densest(connection, filters, top),
            "failures": connection.execute(select(func.count()).select_from(failures)).scalar_one(),
            "narratives": _narrative_part(connection, filters),
        }
    return result


def corpus_state(db: Database) -> tuple[Any, ...]:
    """A fingerprint of what `stats()` and `narrative_summary()` read, cheap to take (counts
    and largest values, read in one statement, so from one snapshot). Storing articles (with
    their paragraphs, detections and spans), giving stored articles narratives (each gets at
    least one narrative row), updating stored articles' metadata, recording or clearing a
    failure and upgrading the schema all change it; nothing else changes what those
    functions answer, so an answer computed after reading a state holds while the state reads
    the same."""

    def count_and_largest(*columns: Any) -> list[Any]:
        table = columns[0].table
        return [select(func.count()).select_from(table).scalar_subquery(),
                *(select(func.max(column)).scalar_subquery() for column in columns)]

    with db.engine.connect() as connection:
        return tuple(connection.execute(select(
            *count_and_largest(articles.c.id),
            *count_and_largest(narratives.c.id),
            *count_and_largest(failures.c.id, failures.c.last_seen),
            select(meta.c.value).where(meta.c.name == "schema_version").scalar_subquery(),
            # metadata corrected in place (an outlet): counted in the same transaction
            select(func.sum(runs.c.metadata_updated)).scalar_subquery(),
        )).one())


def narrative_summary(db: Database, filters: Filters | None = None,
                      top: int = 20) -> dict[str, Any]:
    """Only the narrative part of `stats()`: narratives over time and by outlet, the roles of
    the `top` entities."""
    filters = filters or Filters()
    with db.engine.connect() as connection:
        return {"filters": filters.to_dict(),
                **_narrative_part(connection, filters, top_entities=top)}


def _narrative_part(connection, filters: Filters, **options: Any) -> dict[str, Any]:
    """`narrative_stats` of the filtered articles; where only the technique or category
    filter leaves none, its message says so (it said that no matching article had narratives
    stored, when they all had)."""
    data = narrative_stats(
        connection, [*_article_conditions(filters), *_article_uses_technique(filters)],
        **options)
    named = filters.technique or filters.category
    if data["message"] == NO_MATCH and named and connection.execute(
            select(narratives.c.id).join(articles, articles.c.id == narratives.c.article_id)
            .where(*_article_conditions(filters)).limit(1)).first():
        label = technique(filters.technique).label if filters.technique else filters.category
        among = " among those matching the other filters" if _others(filters) else ""
        data["message"] = f"No article with narratives stored has a paragraph using {label}{among}."
    return data


def _others(filters: Filters) -> bool:
    return any(value is not None for key, value in asdict(filters).items()
               if key not in ("technique", "category"))


def _model_versions_by_language(connection, filters: Filters) -> dict[str, list[str]]:
    """The model versions that analysed the selected articles, per language."""
    versions: dict[str, list[str]] = defaultdict(list)
    for row in connection.execute(
        select(articles.c.language, articles.c.model_version).distinct()
        .where(*_article_conditions(filters), *_article_uses_technique(filters))
        .order_by(articles.c.language, articles.c.model_version)
    ):
        versions[row.language].append(row.model_version)
    return dict(versions)


def _shares_by(connection, filters: Filters, key_column, name: str,
               bucket: Callable[[Any], Any] = lambda key: key) -> list[dict]:
    """Per outlet (or language), all of them, the most paragraphs first: paragraphs, and the
    share of them using each category. The keys `bucket` gives the same are counted as one
    (the spellings of an outlet)."""
    totals: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    for row in connection.execute(
        select(key_column.label("key"), func.count().label("n_articles"),
               func.sum(articles.c.n_paragraphs).label("n_paragraphs"))
        .where(*_article_conditions(filters), key_column.is_not(None))
        .group_by(key_column)
    ):
        total = totals[bucket(row.key)]
        total[0] += row.n_articles
        total[1] += int(row.n_paragraphs or 0)
    if not totals:
        return []
    per_category = _distinct_paragraph_categories(filters)
    counts: dict[Any, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in connection.execute(
        select(key_column.label("key"), per_category.c.category, func.count().label("n"))
        .select_from(per_category.join(articles, articles.c.id == per_category.c.article_id))
        .where(key_column.is_not(None))
        .group_by(key_column, per_category.c.category)
    ):
        counts[bucket(row.key)][row.category] += row.n
    hits = _distinct_paragraphs_with_hits(filters)
    any_counts: dict[Any, int] = defaultdict(int)
    for key, n in connection.execute(
        select(key_column, func.count())
        .select_from(hits.join(articles, articles.c.id == hits.c.article_id))
        .where(key_column.is_not(None))
        .group_by(key_column)
    ):
        any_counts[bucket(key)] += n
    rows = []
    for key, (n_articles, n_paragraphs) in totals.items():
        denominator = max(n_paragraphs, 1)
        rows.append({
            name: key, "articles": n_articles, "paragraphs": n_paragraphs,
            "share_with_techniques": any_counts.get(key, 0) / denominator,
            "share_by_category": {c: n / denominator for c, n in sorted(counts[key].items())},
        })
    rows.sort(key=lambda row: (-row["paragraphs"], str(row[name])))
    return rows


def _over_time(connection, filters: Filters) -> dict[str, Any]:
    """Share of paragraphs using each category per month (per day when all in one month),
    every period from the first to the last (those without articles have 0 paragraphs)."""
    paragraphs_per_day = {
        row.published: int(row.n or 0)
        for row in connection.execute(
            select(articles.c.published, func.sum(articles.c.n_paragraphs).label("n"))
            .where(*_article_conditions(filters), articles.c.published.is_not(None))
            .group_by(articles.c.published)
        )
    }
    if not paragraphs_per_day:
        return {"unit": None, "periods": []}
    per_category = _distinct_paragraph_categories(filters)
    category_per_day = connection.execute(
        select(articles.c.published, per_category.c.category, func.count().label("n"))
        .select_from(per_category.join(articles, articles.c.id == per_category.c.article_id))
        .where(articles.c.published.is_not(None))
        .group_by(articles.c.published, per_category.c.category)
    ).all()
    days = [_as_date(d) for d in paragraphs_per_day]
    unit = "month" if len({(d.year, d.month) for d in days}) > 1 else "day"

    def period(day: Any) -> str:
        return period_key(_as_date(day), unit)

    totals: dict[str, int] = dict.fromkeys(periods_between(min(days), max(days), unit), 0)
    for day, n in paragraphs_per_day.items():
        totals[period(day)] += n
    by_category: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in category_per_day:
        by_category[period(row.published)][row.category] += row.n
    periods = [
        {"period": key, "paragraphs": totals[key],
         "share_by_category": {c: n / max(totals[key], 1)
                               for c, n in sorted(by_category[key].items())}}
        for key in sorted(totals)
    ]
    return {"unit": unit, "periods": periods}


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _top_phrases(connection, filters: Filters, per_technique: int = 5) -> dict[str, list]:
    """The most frequent highlighted phrases per technique, counted without case and without
    the quotes and punctuation around them. Spans longer than a phrase (whole sentences,
    which rarely repeat) are left out: listed once each, they crowded the table."""
    rows = connection.execute(
        select(spans.c.technique, func.lower(spans.c.text).label("phrase"),
               func.count().label("n"))
        .where(spans.c.article_id.in_(_filtered_articles(filters)),
               func.length(spans.c.text) <= MAX_PHRASE_CHARACTERS,
               *_technique_conditions(filters, spans))
        .group_by(spans.c.technique, func.lower(spans.c.text))
    )
    counted: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        if phrase := _bare_phrase(row.phrase):
            counted[row.technique][phrase] += row.n
    return {
        technique: [{"phrase": phrase, "count": n} for phrase, n in sorted(
            counts.items(), key=lambda item: (-item[1], item[0]))[:per_technique]]
        for technique, counts in sorted(counted.items())
    }


def _bare_phrase(phrase: str) -> str:
    return phrase.strip(_AROUND_PHRASES)


def _densest(connection, filters: Filters, top: int) -> list[dict[str, Any]]:
    """Articles with the largest share of paragraphs using (the filtered) techniques; their
    `n_techniques` counts the detections of those techniques, as the report's total does."""
    hits = _distinct_paragraphs_with_hits(filters)
    per_article = (
        select(hits.c.article_id, func.count().label("with_hits"))
        .group_by(hits.c.article_id)
        .subquery("per_article")
    )
    detections = (
        select(techniques_table.c.article_id, func.count().label("n_techniques"))
        .where(techniques_table.c.article_id.in_(_filtered_articles(filters)),
               *_technique_conditions(filters))
        .group_by(techniques_table.c.article_id)
        .subquery("detections")
    )
    density = (cast(per_article.c.with_hits, Float)
               / func.nullif(articles.c.n_paragraphs, 0)).label("density")
    statement = (
        select(articles.c.id, articles.c.external_id, articles.c.title, articles.c.outlet,
               articles.c.url, articles.c.published, articles.c.language,
               articles.c.n_paragraphs, detections.c.n_techniques,
               per_article.c.with_hits, density)
        .select_from(articles.join(per_article, per_article.c.article_id == articles.c.id)
                     .join(detections, detections.c.article_id == articles.c.id))
        .order_by(density.desc(), detections.c.n_techniques.desc(), articles.c.id)
        .limit(top)
    )
    rows = []
    for row in connection.execute(statement):
        item = dict(row._mapping)
        item["published"] = item["published"].isoformat() if item["published"] else None
        item["density"] = float(item["density"] or 0.0)
        rows.append(item)
    return rows


# --- export --------------------------------------------------------------------------------

NARRATIVE_EXPORT_COLUMNS = [
    "narratives", "narrative_probabilities", "subnarratives", "subnarrative_probabilities",
    "entity_roles", "side_russian_probability",
]
EXPORT_COLUMNS = [
    "article_id", "external_id", "title", "outlet", "url", "published", "language",
    "genre", "model_version", "paragraph_index", "text", "techniques", "categories",
] + [f"confidence_{name}" for name in TECHNIQUE_NAMES] + NARRATIVE_EXPORT_COLUMNS


def _export_pages(db: Database, filters: Filters, page: int) -> Iterator[tuple[Any, ...]]:
    """Pages of (article rows, their paragraph rows, techniques per paragraph, narratives per
    article), article by article; with a technique filter only paragraphs using it."""
    has_technique = _paragraph_has_technique(filters)
    last_id = 0
    with db.engine.connect() as connection:
        while True:
            article_rows = connection.execute(
                select(articles.c.id, articles.c.external_id, articles.c.title, articles.c.outlet,
                       articles.c.url, articles.c.published, articles.c.language,
                       articles.c.genre, articles.c.model_version)
                .where(articles.c.id > last_id, *_article_conditions(filters))
                .order_by(articles.c.id).limit(page)
            ).all()
            if not article_rows:
                return
            last_id = article_rows[-1].id
            ids = [row.id for row in article_rows]
            statement = (
                select(paragraphs.c.article_id, paragraphs.c.paragraph_index, paragraphs.c.text,
                       paragraphs.c.start_offset, paragraphs.c.end_offset)
                .where(paragraphs.c.article_id.in_(ids))
                .order_by(paragraphs.c.article_id, paragraphs.c.paragraph_index)
            )
            if has_technique is not None:
                statement = statement.where(has_technique)
            paragraph_rows = connection.execute(statement).all()
            hits = _techniques_for(
                connection, [(r.article_id, r.paragraph_index) for r in paragraph_rows]
            )
            yield article_rows, paragraph_rows, hits, narratives_for(connection, ids)


def _article_record(article: Any) -> dict[str, Any]:
    return {
        "article_id": article.id, "external_id": article.external_id,
        "title": article.title, "outlet": article.outlet, "url": article.url,
        "published": article.published.isoformat() if article.published else None,
        "language": article.language, "genre": article.genre,
        "model_version": article.model_version,
    }


def _joined(values: Iterable[Any]) -> str | None:
    """A list cell of the flat export: `;`-joined, or None (null) for an empty list, as a
    technique not detected leaves its `confidence_*` cell null."""
    return ";".join(str(value) for value in values) or None


def _flat_narratives(data: dict[str, Any] | None) -> dict[str, str | None]:
    """The narrative columns of a flat export row: `;`-joined, best first (None without)."""
    if not data:
        return dict.fromkeys(NARRATIVE_EXPORT_COLUMNS)

    def joined(items: list[dict[str, Any]], key: str) -> str | None:
        return _joined(item[key] for item in items)

    return {
        "narratives": joined(data["narratives"], "label"),
        "narrative_probabilities": joined(data["narratives"], "probability"),
        "subnarratives": joined(data["subnarratives"], "label"),
        "subnarrative_probabilities": joined(data["subnarratives"], "probability"),
        "entity_roles": _joined(entity_summary(entity) for entity in data["entities"]),
        "side_russian_probability": (data["side_taken"]["russian_side_probability"]
                                     if data.get("side_taken") else None),
    }


def export_rows(db: Database, filters: Filters | None = None, page: int = 200) -> Iterator[dict]:
    """One dict per paragraph (columns EXPORT_COLUMNS), article by article; what is absent
    (no technique, no narratives stored, an empty list) is None, never ''.

    With a technique/category filter, only paragraphs using it are exported. The article's
    narratives and entity roles (when stored) are repeated on each of its paragraphs.
    """
    for article_rows, paragraph_rows, hits, narrative_data in _export_pages(
            db, filters or Filters(), page):
        meta = {row.id: row for row in article_rows}
        for row in paragraph_rows:
            found = hits.get((row.article_id, row.paragraph_index), [])
            record = _article_record(meta[row.article_id])
            record.update({
                "paragraph_index": row.paragraph_index, "text": row.text,
                "techniques": _joined(hit["technique"] for hit in found),
                "categories": _joined(dict.fromkeys(hit["category"] for hit in found)),
            })
            confidences = {hit["technique"]: hit["confidence"] for hit in found}
            for name in TECHNIQUE_NAMES:
                record[f"confidence_{name}"] = confidences.get(name)
            record.update(_flat_narratives(narrative_data.get(row.article_id)))
            yield record


def export_articles(db: Database, filters: Filters | None = None,
                    page: int = 200) -> Iterator[dict]:
    """One nested dict per article (the JSON Lines export): its metadata, `frames`,
    `paragraphs` (each with its offsets in the article's text, its `techniques` and its
    highlighted `spans`, whose offsets count in the article's text too), and `narratives`,
    `subnarratives` and `entities` (empty lists when none are stored) and `side_taken` (None
    when no side was read). With a technique filter, only paragraphs using it (and articles
    with such a paragraph)."""
    with db.engine.connect() as connection:
        for article_rows, paragraph_rows, hits, narrative_data in _export_pages(
                db, filters or Filters(), page):
            ids = [article.id for article in article_rows]
            located, labels = _spans_for(connection, ids), _frames_for(connection, ids)
            grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for row in paragraph_rows:
                key = (row.article_id, row.paragraph_index)
                grouped[row.article_id].append({
                    "index": row.paragraph_index, "start": row.start_offset,
                    "end": row.end_offset, "text": row.text,
                    "techniques": hits.get(key, []), "spans": located.get(key, []),
                })
            for article in article_rows:
                if grouped.get(article.id):
                    yield _nested_article(article, grouped[article.id],
                                          labels.get(article.id, []),
                                          narrative_data.get(article.id) or {})


def _nested_article(article: Any, paragraph_list: list[dict[str, Any]],
                    frame_list: list[dict[str, Any]], extra: dict[str, Any]) -> dict[str, Any]:
    """One line of the JSON Lines export."""
    record = _article_record(article)
    record["frames"] = frame_list
    record["paragraphs"] = paragraph_list
    record["narratives"] = extra.get("narratives", [])
    record["subnarratives"] = extra.get("subnarratives", [])
    record["entities"] = [  # mention offsets are not stored; their count is
        {k: v for k, v in entity.items() if k != "mentions"}
        for entity in extra.get("entities", [])
    ]
    record["side_taken"] = extra.get("side_taken")
    return record


def _spans_for(connection, article_ids: Sequence[int]) -> dict[tuple[int, int], list]:
    """The highlighted spans of the articles by paragraph, in reading order; their offsets
    count characters of the article's text, as the paragraphs' do."""
    found: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    if not article_ids:
        return found
    for row in connection.execute(
        select(spans).where(spans.c.article_id.in_(article_ids))
        .order_by(spans.c.article_id, spans.c.start_offset, spans.c.end_offset.desc(),
                  spans.c.technique, spans.c.id)
    ):
        found[(row.article_id, row.paragraph_index)].append({
            "start": row.start_offset, "end": row.end_offset, "text": row.text,
            "technique": row.technique, "category": row.category,
            "confidence": round(float(row.confidence), 4)})
    return found


def _frames_for(connection, article_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not article_ids:
        return found
    for row in connection.execute(
        select(frames.c.article_id, frames.c.label, frames.c.probability)
        .where(frames.c.article_id.in_(article_ids))
        .order_by(frames.c.article_id, frames.c.probability.desc(), frames.c.id)
    ):
        found[row.article_id].append(
            {"label": row.label, "probability": round(float(row.probability), 4)})
    return found


# --- whole articles ------------------------------------------------------------------------


def article_ids(
    db: Database, filters: Filters | None = None, limit: int | None = None
) -> list[int]:
    statement = select(articles.c.id).where(*_article_conditions(filters or Filters()))
    statement = statement.order_by(articles.c.id)
    if limit:
        statement = statement.limit(limit)
    with db.engine.connect() as connection:
        return list(connection.scalars(statement))


def load_article(db: Database, article_id: int) -> tuple[dict[str, Any], ArticleResult] | None:
    """An article's stored metadata and its analysis rebuilt as an ArticleResult."""
    if not 0 <= article_id <= LARGEST_SQL_INTEGER:
        return None
    with db.engine.connect() as connection:
        row = connection.execute(select(articles).where(articles.c.id == article_id)).first()
        if row is None:
            return None
        article = dict(row._mapping)
        paragraph_rows = connection.execute(
            select(paragraphs).where(paragraphs.c.article_id == article_id)
            .order_by(paragraphs.c.paragraph_index)
        ).all()
        hit_rows = connection.execute(
            select(techniques_table).where(techniques_table.c.article_id == article_id)
            .order_by(techniques_table.c.confidence.desc(), techniques_table.c.id)
        ).all()
        span_rows = connection.execute(
            select(spans).where(spans.c.article_id == article_id)
            .order_by(spans.c.start_offset, spans.c.end_offset.desc(), spans.c.technique,
                      spans.c.id)
        ).all()
        frame_rows = connection.execute(
            select(frames).where(frames.c.article_id == article_id)
            .order_by(frames.c.probability.desc())
        ).all()
        narrative_data = narratives_for(connection, [article_id]).get(article_id)
    hits: dict[int, list[TechniqueHit]] = defaultdict(list)
    for hit in hit_rows:
        hits[hit.paragraph_index].append(TechniqueHit(hit.technique, hit.category, hit.confidence))
    located: dict[int, list[SpanHit]] = defaultdict(list)
    for span in span_rows:
        located[span.paragraph_index].append(SpanHit(
            span.start_offset, span.end_offset, span.text, span.technique, span.category,
            span.confidence, span.explanation or ""))
    result = ArticleResult(
        language=article["language"],
        paragraphs=[
            ParagraphResult(p.paragraph_index, p.start_offset, p.end_offset, p.text,
                            hits.get(p.paragraph_index, []), located.get(p.paragraph_index, []))
            for p in paragraph_rows
        ],
        source=article["title"] or article["external_id"] or article["source"],
        doc_id=article["external_id"],
        language_detected=bool(article["language_detected"]),
        warnings=list(article["warnings"] or []),
        model_version=article["model_version"],
    )
    if article["genre"]:
        result.genre = LabelScore(article["genre"], article["genre_probability"] or 0.0)
        result.genre_probabilities = [
            LabelScore(label, probability)
            for label, probability in sorted((article["genre_probabilities"] or {}).items(),
                                             key=lambda item: -item[1])
        ]
    result.frames = [LabelScore(f.label, f.probability) for f in frame_rows]
    if narrative_data:
        result.extra.update(narrative_data)
    return article, result


def list_failures(db: Database, limit: int = 50) -> list[dict[str, Any]]:
    with db.engine.connect() as connection:
        return [
            dict(row._mapping) for row in connection.execute(
                select(failures.c.source, failures.c.location, failures.c.reason,
                       failures.c.last_seen)
                .order_by(failures.c.last_seen.desc(), failures.c.id.desc()).limit(limit)
            )
        ]


def counts(db: Database) -> dict[str, int]:
    """Row counts of the main tables (for summaries and tests)."""
    from persuasion_lens.storage.schema import articles as a

    with db.engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(t)).scalar_one()
            for name, t in (("articles", a), ("paragraphs", paragraphs),
                            ("techniques", techniques_table), ("spans", spans),
                            ("frames", frames), ("narratives", narratives),
                            ("subnarratives", subnarratives), ("entities", entities),
                            ("failures", failures))
        }


__all__ = [
    "EXPORT_COLUMNS",
    "Filters",
    "article_ids",
    "corpus_state",
    "count_matches",
    "counts",
    "export_articles",
    "export_rows",
    "list_failures",
    "load_article",
    "match_pattern",
    "narrative_summary",
    "query_terms",
    "search",
    "stats",
]

