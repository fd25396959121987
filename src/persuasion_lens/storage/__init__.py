"""Corpus storage: analysed articles, paragraphs, techniques, spans, genre and frames in SQL.

SQLite (the default, with FTS5 full-text search) and PostgreSQL (via psycopg 3, with its own
full-text search) hold the same schema; `open_database(url)` gives a `Database` for either.
"""

from __future__ import annotations

from persuasion_lens.storage.database import Database, normalise_url, open_database
from persuasion_lens.storage.queries import Filters

__all__ = ["Database", "Filters", "normalise_url", "open_database"]
