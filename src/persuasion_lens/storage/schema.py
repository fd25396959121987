"""The corpus tables. Creation is idempotent (CREATE ... IF NOT EXISTS); nothing is ever dropped.

Every row that belongs to an article (paragraphs, techniques, spans, frames) carries the
article's id and is written in the same transaction as the article, so a stored article is
always complete. Techniques and spans point at their paragraph by (article_id, paragraph_index).
"""

from __future__ import annotations

import logging

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
    text,
)
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1"

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
    Index("ix_articles_outlet", "outlet"),
    Index("ix_articles_language", "language"),
    Index("ix_articles_published", "published"),
)

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

# SQLite: an external-content FTS5 index over paragraph text, kept current by triggers.
_SQLITE_FTS = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS paragraphs_fts USING fts5("
    "text, content='paragraphs', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS paragraphs_fts_insert AFTER INSERT ON paragraphs BEGIN "
    "INSERT INTO paragraphs_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER IF NOT EXISTS paragraphs_fts_delete AFTER DELETE ON paragraphs BEGIN "
    "INSERT INTO paragraphs_fts(paragraphs_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "END",
    "CREATE TRIGGER IF NOT EXISTS paragraphs_fts_update AFTER UPDATE OF text ON paragraphs BEGIN "
    "INSERT INTO paragraphs_fts(paragraphs_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO paragraphs_fts(rowid, text) VALUES (new.id, new.text); END",
]

# PostgreSQL: a GIN index on the 'simple' text-search vector (no stemming: the corpus is
# multilingual, and 'simple' matches what SQLite's unicode61 tokenizer does).
_POSTGRES_FTS = [
    "CREATE INDEX IF NOT EXISTS ix_paragraphs_tsv ON paragraphs "
    "USING GIN (to_tsvector('simple', text))",
]


def create_schema(engine: Engine) -> bool:
    """Create whatever is missing; returns whether full-text search is available."""
    metadata.create_all(engine, checkfirst=True)
    full_text = True
    statements = _SQLITE_FTS if engine.dialect.name == "sqlite" else _POSTGRES_FTS
    if engine.dialect.name not in ("sqlite", "postgresql"):
        statements = []
        full_text = False
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    except Exception as error:  # e.g. an SQLite built without FTS5
        log.warning("full-text search is not available (%s); search falls back to LIKE", error)
        full_text = False
    with engine.begin() as connection:
        existing = connection.execute(
            meta.select().where(meta.c.name == "schema_version")
        ).first()
        if existing is None:
            connection.execute(meta.insert().values(name="schema_version", value=SCHEMA_VERSION))
    return full_text
