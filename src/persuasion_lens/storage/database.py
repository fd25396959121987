"""Opening a corpus database from a URL (SQLite file by default, or PostgreSQL)."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError

from persuasion_lens.storage.outlets import SQLITE_OUTLET_KEY, outlet_key
from persuasion_lens.storage.schema import create_schema

DEFAULT_URL = "sqlite:///plens.db"


class DatabaseURLError(ValueError):
    """A --db value that is not a database URL we can use (one line, for the user)."""


def normalise_url(url: str) -> str:
    """Accept the forms users type and return one SQLAlchemy can open.

    `postgresql://` and `postgres://` use psycopg 3; a bare file path becomes a SQLite URL.
    """
    url = url.strip()
    if not url:
        raise DatabaseURLError("the database URL is empty")
    for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if "://" not in url:
        return "sqlite:///" + str(Path(url))
    return url


# the files SQLite keeps beside a database while it is open (WAL mode, or a rollback journal)
SQLITE_COMPANION_SUFFIXES = ("", "-wal", "-shm", "-journal")


def sqlite_files(url: str) -> list[Path]:
    """The files of the SQLite database at `url`, the database first (resolved paths); none
    for PostgreSQL, an in-memory database or a URL that is no database URL."""
    try:
        parsed = make_url(normalise_url(url))
    except (ArgumentError, DatabaseURLError):
        return []
    database = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        return []
    path = Path(database).expanduser().resolve()
    return [path.with_name(path.name + suffix) for suffix in SQLITE_COMPANION_SUFFIXES]


@dataclass
class Database:
    engine: Engine
    url: str
    full_text: bool

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()


def create_db_engine(url: str, must_exist: bool = False) -> Engine:
    normalised = normalise_url(url)
    try:
        parsed = make_url(normalised)
    except ArgumentError:
        raise DatabaseURLError(f"'{url}' is not a database URL (try sqlite:///plens.db)") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            folder = Path(database).expanduser().resolve().parent
            if not folder.is_dir():
                raise DatabaseURLError(f"{url}: the folder {folder} does not exist")
            if must_exist and not Path(database).expanduser().exists():
                raise DatabaseURLError(f"{url}: no database here yet (plens batch creates it)")
        engine = create_engine(normalised, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise DatabaseURLError(
                "PostgreSQL needs psycopg 3: pip install 'persuasion-lens[postgres]'"
            ) from None
        return create_engine(normalised, pool_pre_ping=True)
    raise DatabaseURLError(f"{url}: only sqlite:/// and postgresql:// databases are supported")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL keeps readers (search, the web app) working while a batch writes; a commit is
    # durable against a killed process (the OS still holds the written pages).
    switch_to_wal(cursor)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()
    # SQLite's own lower() changes ASCII letters only: "Ёжик Times" never matched "ёжик times"
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
    dbapi_connection.create_function(SQLITE_OUTLET_KEY, 1, _outlet_key, deterministic=True)


def switch_to_wal(cursor, patience_seconds: float = 60.0) -> None:
    """PRAGMA journal_mode=WAL, retried while the file is locked. Switching needs an exclusive
    lock, and where several processes open a new database at once SQLite may answer "database
    is locked" at once instead of waiting (busy_timeout does not cover that case)."""
    deadline = time.monotonic() + patience_seconds
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _outlet_key(value):
    return outlet_key(value) if isinstance(value, str) else value


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def open_database(
    url: str = DEFAULT_URL, create: bool = True, must_exist: bool = False
) -> Database:
    """Connect, and (by default) create any missing tables. Never drops or deletes anything.

    `must_exist` refuses a SQLite file that is not there yet, so that a mistyped path given to
    a reading command is an error instead of a new empty corpus.
    """
    engine = create_db_engine(url, must_exist)
    try:
        full_text = create_schema(engine) if create else _has_full_text(engine)
    except Exception as error:
        engine.dispose()
        from sqlalchemy.exc import DatabaseError

        if isinstance(error, DatabaseError):  # unreachable, refused, or not a database at all
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise DatabaseURLError(f"cannot open the database {_redacted(url)}: {reason}") from None
        raise
    return Database(engine, normalise_url(url), full_text)


def _has_full_text(engine: Engine) -> bool:
    from sqlalchemy import inspect

    if engine.dialect.name == "sqlite":
        return "paragraphs_fts" in inspect(engine).get_table_names()
    return engine.dialect.name == "postgresql"


def _redacted(url: str) -> str:
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return url
