"""The corpus tables. Creation is idempotent (CREATE ... IF NOT EXISTS); nothing is ever dropped.

Every row that belongs to an article (paragraphs, techniques, spans, frames, narratives,
subnarratives, entities and their fine roles) carries the article's id and is written in the
same transaction as the article, so a stored article is always complete. Techniques and spans
point at their paragraph by (article_id, paragraph_index); fine roles at their entity by
(article_id, entity_index).

Databases made by an older version are brought up to date when opened: missing tables are
created and missing columns added (`runs.narratives`, `runs.narratives_added`,
`runs.metadata_updated`, `articles.narratives_version`, the last filled in for the articles
that already have narratives, `articles.side_russian`, `entities.at_odds_with_side`, and on
PostgreSQL the generated
`paragraphs.search_vector`); nothing else stored is touched.
"""

from __future__ import annotations

import logging
import random
import string
import time
import unicodedata

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

# 2: narratives, subnarratives, entities; 3: articles.narratives_version, runs.narratives_added;
# 4: articles.side_russian; 5: the search index holds folded text (ё as е, ł as l);
# 6: PostgreSQL stores each paragraph's search vector (paragraphs.search_vector), and SQLite's
# search index keeps words with combining marks (Hindi, other Indic scripts) whole; 7: both
# search indexes split words at variation selectors and keycaps (WORD_SEPARATING_MARKS);
# 8: a Parquet file's failures.location "row N" counts the header as row 1, as for CSV
SCHEMA_VERSION = "8"

metadata = MetaData()

meta = Table(
    "plens_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("inputs", JSON),
    Column("model_version", Text),
    Column("executor", Text),
    Column("analysed", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    # Whether the run analysed narratives and entity roles (NULL: a run from before version 2).
    Column("narratives", Boolean),
    # Articles stored before this run that it gave narratives to (NULL: before version 3).
    Column("narratives_added", Integer),
    # Articles stored before whose title, outlet, url or published date this run changed, as
    # their input now gives them (NULL: a run from before the column was added).
    Column("metadata_updated", Integer),
)

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # sha256 of the external id (if any) and the analysed text: what makes re-runs idempotent.
    Column("key", String(64), nullable=False, unique=True),
    Column("external_id", Text),
    Column("title", Text),
    Column("outlet", Text),
    Column("url", Text),
    Column("published", Date),
    Column("language", String(16), nullable=False),
    Column("language_detected", Boolean, nullable=False, default=True),
    Column("source", Text),
    Column("text", Text, nullable=False),
    Column("n_paragraphs", Integer, nullable=False),
    Column("n_paragraphs_with_techniques", Integer, nullable=False),
    Column("n_techniques", Integer, nullable=False),
    Column("genre", Text),
    Column("genre_probability", Float),
    Column("genre_probabilities", JSON),
    Column("warnings", JSON),
    Column("model_version", Text, nullable=False),
    Column("run_id", Integer, ForeignKey("runs.id")),
    Column("analysed_at", DateTime(timezone=True), nullable=False),
    # The version of the narrative model that analysed the article's narratives and entity
    # roles (with the rest, or added later by `plens batch --narratives`); NULL: not analysed.
    Column("narratives_version", Text),
    # The probability that the article takes the Russian side of the Russia–Ukraine war
    # (`taxonomy.roles.SideReading`); NULL: not read (no main actor on a side of the war, not
    # analysed with narratives, or analysed before version 4).
    Column("side_russian", Float),
    Index("ix_articles_outlet", "outlet"),
    Index("ix_articles_external_id", "external_id"),  # a batch asks which ids are stored
    Index("ix_articles_language", "language"),
    Index("ix_articles_published", "published"),
)

NO_OUTLET = "(no outlet)"  # how reports group the articles stored without an outlet


def outlet_or_none():
    """The article's outlet, or NO_OUTLET where it has none, for grouping by outlet."""
    return func.coalesce(func.nullif(articles.c.outlet, ""), NO_OUTLET)


paragraphs = Table(
    "paragraphs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("paragraph_index", Integer, nullable=False),
    Column("start_offset", Integer, nullable=False),
    Column("end_offset", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("n_techniques", Integer, nullable=False),
    UniqueConstraint("article_id", "paragraph_index", name="uq_paragraphs_article_index"),
)

techniques = Table(
    "techniques",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("paragraph_index", Integer, nullable=False),
    Column("technique", String(64), nullable=False),
    Column("category", String(64), nullable=False),
    Column("confidence", Float, nullable=False),
    Index("ix_techniques_paragraph", "article_id", "paragraph_index"),
    Index("ix_techniques_technique", "technique"),
    Index("ix_techniques_category", "category"),
)

spans = Table(
    "spans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("paragraph_index", Integer, nullable=False),
    Column("start_offset", Integer, nullable=False),
    Column("end_offset", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("technique", String(64), nullable=False),
    Column("category", String(64), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("explanation", Text),
    Index("ix_spans_paragraph", "article_id", "paragraph_index"),
    Index("ix_spans_technique", "technique"),
)

frames = Table(
    "frames",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("label", String(64), nullable=False),
    Column("probability", Float, nullable=False),
    Index("ix_frames_article", "article_id"),
)

# Narratives and entity roles (experimental; stored by `plens batch --narratives`). An article
# analysed with narratives has `articles.narratives_version` set and always at least one
# narrative row (`Other` when none passes).
narratives = Table(
    "narratives",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("label", Text, nullable=False),
    Column("probability", Float, nullable=False),
    Index("ix_narratives_article", "article_id"),
    Index("ix_narratives_label", "label"),
)

subnarratives = Table(
    "subnarratives",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("narrative", Text, nullable=False),  # the narrative it belongs to
    Column("label", Text, nullable=False),
    Column("probability", Float, nullable=False),
    Index("ix_subnarratives_article", "article_id"),
    Index("ix_subnarratives_label", "label"),
)

entities = Table(
    "entities",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("entity_index", Integer, nullable=False),  # order in the prediction (most mentioned)
    Column("entity", Text, nullable=False),
    Column("main_role", String(32), nullable=False),
    Column("main_role_probability", Float, nullable=False),
    Column("n_mentions", Integer, nullable=False),
    # the main role contradicts the side the article takes (NULL: stored before this column)
    Column("at_odds_with_side", Boolean),
    UniqueConstraint("article_id", "entity_index", name="uq_entities_article_index"),
    Index("ix_entities_entity", "entity"),
)

entity_fine_roles = Table(
    "entity_fine_roles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", Integer, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("entity_index", Integer, nullable=False),
    Column("label", String(64), nullable=False),
    Column("probability", Float, nullable=False),
    Index("ix_entity_fine_roles_entity", "article_id", "entity_index"),
)

failures = Table(
    "failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),  # the input file
    Column("location", Text, nullable=False),  # "line 12", "row 7", a file inside a folder, ""
    Column("reason", Text, nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("run_id", Integer, ForeignKey("runs.id")),
    UniqueConstraint("source", "location", name="uq_failures_source_location"),
)

# Letters that search treats as another one: Russian writes ё as е more often than not, and
# Polish ł (which has no accent to remove) is often typed as l. Both sides of a search are folded.
SEARCH_FOLDS = {"ё": "е", "Ё": "Е", "ł": "l", "Ł": "L"}
# SQLite's tokenizer ignores the accents of Latin letters and splits words at punctuation
# (inside links, addresses and numbers too); PostgreSQL's 'simple' configuration does neither
# (and its unaccent extension needs a superuser), so there the text is normalised (NFC, as
# macOS files often come decomposed), accented Latin letters lose their accents and ASCII
# punctuation becomes a space.
ACCENT_FOLDS = {
    letter: unicodedata.normalize("NFD", letter)[0]
    for letter in map(chr, [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)])
    if unicodedata.normalize("NFD", letter) != letter
    and unicodedata.normalize("NFD", letter)[0].isascii()
    and unicodedata.normalize("NFD", letter)[0].isalpha()
}
# Marks (Unicode Mn, Me) that are no part of a word: the variation selectors that follow an
# emoji (❤️ is ❤ and U+FE0F) or an ideograph, and the keycap of 1️⃣. Standing alone, SQLite's
# tokenizer indexed each as a one-character word, and after a letter or digit both databases
# kept it in the word ("1️⃣" was not found by 1). Both now split words at them, as query words
# and highlighting do.
WORD_SEPARATING_MARKS = "".join(
    chr(code) for code in (*range(0x180B, 0x1810), *range(0xFE00, 0xFE10),
                           *range(0xE0100, 0xE01F0), 0x20E3)
    if "VARIATION SELECTOR" in unicodedata.name(chr(code), "") or code == 0x20E3)
_POSTGRES_SPACES = {mark: " " for mark in string.punctuation + WORD_SEPARATING_MARKS}


def _folds(dialect: str) -> dict[str, str]:
    if dialect == "postgresql":
        return {**SEARCH_FOLDS, **ACCENT_FOLDS, **_POSTGRES_SPACES}
    return SEARCH_FOLDS


def fold_for_search(text_value: str, dialect: str) -> str:
    if dialect == "postgresql":
        text_value = unicodedata.normalize("NFC", text_value)
    return text_value.translate(str.maketrans(_folds(dialect)))


def folded_sql(expression: str, dialect: str) -> str:
    """SQL folding `expression` as `fold_for_search` does, with built-in functions only (so any
    program that writes paragraphs keeps the index right)."""
    folds = _folds(dialect)
    if dialect == "postgresql":
        before = "".join(folds).replace("'", "''")
        after = "".join(folds.values())
        return f"translate(normalize({expression}, NFC), '{before}', '{after}')"
    for before, after in folds.items():
        expression = f"replace({expression}, '{before}', '{after}')"
    return expression


_FOLDED_NEW = folded_sql("new.text", "sqlite")
_FOLDED_OLD = folded_sql("old.text", "sqlite")
_SQLITE_TRIGGERS = ("paragraphs_fts_insert", "paragraphs_fts_delete", "paragraphs_fts_update")

# SQLite: an external-content FTS5 index over the folded paragraph text, kept current by triggers.
# unicode61 splits words at combining marks (Unicode M*, e.g. Hindi vowel signs) unless told
# they are word characters (except WORD_SEPARATING_MARKS); accents stay removed.
_SQLITE_TOKENIZER = ("unicode61 remove_diacritics 2 categories 'L* N* Co M*' "
                     f"separators '{WORD_SEPARATING_MARKS}'")
_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS paragraphs_fts USING fts5("
    f"text, content='paragraphs', content_rowid='id', tokenize=\"{_SQLITE_TOKENIZER}\")",
    "CREATE TRIGGER IF NOT EXISTS paragraphs_fts_insert AFTER INSERT ON paragraphs BEGIN "
    f"INSERT INTO paragraphs_fts(rowid, text) VALUES (new.id, {_FOLDED_NEW}); END",
    "CREATE TRIGGER IF NOT EXISTS paragraphs_fts_delete AFTER DELETE ON paragraphs BEGIN "
    "INSERT INTO paragraphs_fts(paragraphs_fts, rowid, text) VALUES ('delete', old.id, "
    f"{_FOLDED_OLD}); END",
    "CREATE TRIGGER IF NOT EXISTS paragraphs_fts_update AFTER UPDATE OF text ON paragraphs BEGIN "
    "INSERT INTO paragraphs_fts(paragraphs_fts, rowid, text) VALUES ('delete', old.id, "
    f"{_FOLDED_OLD}); INSERT INTO paragraphs_fts(rowid, text) VALUES (new.id, {_FOLDED_NEW}); "
    "END",
]

# PostgreSQL: the 'simple' text-search vector of the folded text (no stemming: the corpus is
# multilingual, and 'simple' matches what SQLite's unicode61 tokenizer does), stored in a
# generated column with a GIN index on it. Stored, because ranking reads the vector of every
# matching paragraph, and computing it there took most of a search's time.
def postgres_search_vector(column_sql: str) -> str:
    """The text-search vector of a paragraph's text, as PostgreSQL stores it."""
    return f"to_tsvector('simple', {folded_sql(column_sql, 'postgresql')})"


POSTGRES_SEARCH_COLUMN = "search_vector"  # paragraphs.search_vector (PostgreSQL only)

_POSTGRES_FTS = [
    "DROP INDEX IF EXISTS ix_paragraphs_tsv",  # before version 5: the text was not folded
    "DROP INDEX IF EXISTS ix_paragraphs_search",  # version 5: an index on the expression
    "CREATE INDEX IF NOT EXISTS ix_paragraphs_search_vector ON paragraphs "
    f"USING GIN ({POSTGRES_SEARCH_COLUMN})",
]


def _add_postgres_search_column(connection) -> None:
    """Before version 6 PostgreSQL computed the vector at each search, before version 7 it kept
    variation selectors in words: the column is added, or made anew (once; it computes the
    vector of every stored paragraph, which takes a while)."""
    found = connection.execute(text(
        "SELECT generation_expression FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = 'paragraphs' "
        "AND column_name = :name"), {"name": POSTGRES_SEARCH_COLUMN}).first()
    if found is not None and WORD_SEPARATING_MARKS[-1] in (found[0] or ""):
        return
    if connection.execute(text("SELECT EXISTS (SELECT 1 FROM paragraphs)")).scalar():
        # about a minute per 40,000 paragraphs: say why the command pauses
        why = "for faster search" if found is None else "(variation selectors split words)"
        log.warning(f"updating the database once {why}: storing the search vector of every "
                    "paragraph (about a minute per 40,000 paragraphs)")
    if found is not None:  # its index goes with it, and is made again below
        connection.execute(text(f"ALTER TABLE paragraphs DROP COLUMN {POSTGRES_SEARCH_COLUMN}"))
    connection.execute(text(
        f"ALTER TABLE paragraphs ADD COLUMN IF NOT EXISTS {POSTGRES_SEARCH_COLUMN} tsvector "
        f"GENERATED ALWAYS AS ({postgres_search_vector('text')}) STORED"))


def _sqlite_schema_sql(connection, name: str) -> str | None:
    return connection.execute(
        text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": name}).scalar()


def _rebuild_old_sqlite_index(connection) -> None:
    """Before version 5 the SQLite index held the text unfolded, before version 6 it split words
    at combining marks, before version 7 it kept variation selectors and keycaps as words: the
    index and its triggers are made anew and filled (once)."""
    trigger = _sqlite_schema_sql(connection, "paragraphs_fts_insert")
    index = _sqlite_schema_sql(connection, "paragraphs_fts") or ""
    if trigger is None or ("replace(" in trigger and _SQLITE_TOKENIZER in index):
        return
    for name in _SQLITE_TRIGGERS:
        connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
    connection.execute(text("DROP TABLE paragraphs_fts"))  # derived from paragraphs only
    for statement in _SQLITE_FTS:
        connection.execute(text(statement))
    connection.execute(text(
        "INSERT INTO paragraphs_fts(rowid, text) SELECT id, "
        f"{folded_sql('text', 'sqlite')} FROM paragraphs"))
    log.info("rebuilt the search index (ё/е and ł/l folded, words with combining marks whole, "
             "variation selectors and keycaps no words)")


# Columns added after version 1: (table, column, SQL type). `create_all` creates missing tables
# but never alters an existing one, so these are added by hand.
_ADDED_COLUMNS = [
    ("runs", "narratives", "BOOLEAN"),
    ("runs", "narratives_added", "INTEGER"),
    ("runs", "metadata_updated", "INTEGER"),
    ("articles", "narratives_version", "TEXT"),
    ("articles", "side_russian", "FLOAT"),
    ("entities", "at_odds_with_side", "BOOLEAN"),
]


def _add_missing_columns(engine: Engine) -> None:
    from sqlalchemy import inspect

    inspector = inspect(engine)
    for table_name, column_name, sql_type in _ADDED_COLUMNS:
        present = {column["name"] for column in inspector.get_columns(table_name)}
        if column_name in present:
            continue
        if_missing = " IF NOT EXISTS" if engine.dialect.name == "postgresql" else ""
        statement = f"ALTER TABLE {table_name} ADD COLUMN{if_missing} {column_name} {sql_type}"
        try:
            with engine.begin() as connection:
                connection.execute(text(statement))
        except Exception as error:  # another process added it first (SQLite has no IF NOT EXISTS)
            if "duplicate column" not in str(error).lower():
                raise
        log.info("added the column %s.%s", table_name, column_name)


def _stored_version(engine: Engine) -> int | None:
    """The schema version the database had when opened (None: a new database)."""
    from sqlalchemy import inspect

    if "plens_meta" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as connection:
        value = connection.scalar(select(meta.c.value).where(meta.c.name == "schema_version"))
    return int(value) if value and value.isdigit() else None


def _fill_narratives_version(engine: Engine) -> None:
    """Version 2 -> 3: mark the articles that already have narratives (those with narrative
    rows, or stored by a run with narratives on) with the narrative model that made them, so
    that `plens batch --narratives` does not analyse them again. Idempotent.

    Their `model_version` is the analyzer's, its parts joined by "+", the narrative model last.
    """
    analysed = or_(
        exists().where(narratives.c.article_id == articles.c.id),
        articles.c.run_id.in_(select(runs.c.id).where(runs.c.narratives.is_(True))),
    )
    pending = and_(articles.c.narratives_version.is_(None), analysed)
    with engine.begin() as connection:
        versions = list(connection.scalars(
            select(articles.c.model_version).where(pending).distinct()))
        for version in versions:
            connection.execute(
                update(articles).where(pending, articles.c.model_version == version)
                .values(narratives_version=(version or "").rpartition("+")[2] or "unknown"))
    if versions:
        log.info("marked the articles stored with narratives (%s)", ", ".join(versions))


_RACE_MARKS = ("already exists", "duplicate key")


PARQUET_SUFFIXES = (".parquet", ".pq")


def _renumber_parquet_failures(engine: Engine) -> None:
    """Before version 8 a Parquet file's "row N" was its Nth row of data, one less than a CSV
    file's (whose header is row 1): renumbered as CSV's, the last rows first (no two failures
    of a file share a place meanwhile), so that a later run clears the right ones."""
    with engine.begin() as connection:
        found = [(source, int(location[4:]), location) for source, location in connection.execute(
                     select(failures.c.source, failures.c.location)
                     .where(failures.c.location.like("row %")))
                 if source.lower().endswith(PARQUET_SUFFIXES) and location[4:].isdigit()]
        for source, number, location in sorted(found, key=lambda row: (row[0], -row[1])):
            connection.execute(update(failures).where(failures.c.source == source,
                                                      failures.c.location == location)
                               .values(location=f"row {number + 1}"))
    if found:
        log.info("renumbered %d failures of Parquet files (the header is row 1)", len(found))


def _create_tables(engine: Engine, attempts: int = 20) -> None:
    """`create_all`, tolerating other processes that create the same tables at the same time
    (batch runs started together on a new database): each table one of them created is found
    on the next try."""
    from sqlalchemy.exc import DatabaseError

    for attempt in range(attempts):
        try:
            metadata.create_all(engine, checkfirst=True)
            for table in metadata.sorted_tables:  # indexes added since a database was made
                for index in table.indexes:
                    index.create(engine, checkfirst=True)
            return
        except DatabaseError as error:
            if attempt == attempts - 1 or not any(m in str(error) for m in _RACE_MARKS):
                raise
            time.sleep(random.uniform(0.0, 0.05))


def create_schema(engine: Engine) -> bool:
    """Create whatever is missing; returns whether full-text search is available."""
    stored_version = _stored_version(engine)
    _create_tables(engine)
    _add_missing_columns(engine)
    if stored_version is not None and stored_version < 3:
        _fill_narratives_version(engine)
    if stored_version is not None and stored_version < 8:
        _renumber_parquet_failures(engine)
    full_text = True
    statements = _SQLITE_FTS if engine.dialect.name == "sqlite" else _POSTGRES_FTS
    if engine.dialect.name not in ("sqlite", "postgresql"):
        statements = []
        full_text = False
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                _add_postgres_search_column(connection)
            for statement in statements:
                connection.execute(text(statement))
            if engine.dialect.name == "sqlite":
                _rebuild_old_sqlite_index(connection)
    except Exception as error:  # e.g. an SQLite built without FTS5
        log.warning("full-text search is not available (%s); search falls back to LIKE", error)
        full_text = False
    _record_schema_version(engine)
    return full_text


def _record_schema_version(engine: Engine) -> None:
    from sqlalchemy.exc import IntegrityError

    try:
        _write_schema_version(engine)
    except IntegrityError:  # another process wrote it first
        _write_schema_version(engine)


def _write_schema_version(engine: Engine) -> None:
    with engine.begin() as connection:
        existing = connection.execute(
            meta.select().where(meta.c.name == "schema_version")
        ).first()
        if existing is None:
            connection.execute(meta.insert().values(name="schema_version", value=SCHEMA_VERSION))
        elif existing.value.isdigit() and int(existing.value) < int(SCHEMA_VERSION):
            connection.execute(meta.update().where(meta.c.name == "schema_version")
                               .values(value=SCHEMA_VERSION))
