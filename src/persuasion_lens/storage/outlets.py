"""One outlet, however its articles spell it: "Daily Planet", "daily planet" and
"Daily  Planet " are counted and charted together, shown under the spelling most of its
articles have, and matched by `--outlet` alike. The stored values are left as given."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Text

from persuasion_lens.storage.schema import NO_OUTLET, articles

SQLITE_OUTLET_KEY = "plens_outlet_key"  # registered on every SQLite connection


def outlet_key(outlet: str | None) -> str:
    """What tells outlets apart: the name in lower case, its runs of spaces (any Unicode
    space: tab, no-break space, em space...) made one. Each letter is lowered on its own, as
    PostgreSQL's lower() does ("İ" is "i", not "i̇"), and a final sigma is a sigma ("ΕΘΝΟΣ" is
    "Εθνος"), so that both databases match `--outlet` as the charts group the outlets."""
    spaced = " ".join((outlet or "").split())
    return "".join(letter.lower()[0] for letter in spaced).replace("ς", "σ")


@functools.cache  # 50 ms to find them: only when PostgreSQL is queried
def _space_class() -> str:
    """A regular-expression class of the characters Python's str.split() splits at (\\s in
    PostgreSQL misses the no-break spaces, U+0085 and U+001C to U+001F)."""
    spaces = [code for code in range(0x110000) if chr(code).isspace()]
    ranges: list[tuple[int, int]] = []
    for code in spaces:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return "[" + "".join(f"\\u{first:04x}" if first == last else f"\\u{first:04x}-\\u{last:04x}"
                         for first, last in ranges) + "]"


class _OutletKeySQL(FunctionElement):
    """`outlet_key` in SQL (a function registered in SQLite, regexp_replace in PostgreSQL)."""

    type = Text()
    inherit_cache = True


@compiles(_OutletKeySQL)
def _outlet_key_sqlite(element, compiler, **kw) -> str:
    return f"{SQLITE_OUTLET_KEY}({compiler.process(element.clauses, **kw)})"


@compiles(_OutletKeySQL, "postgresql")
def _outlet_key_postgresql(element, compiler, **kw) -> str:
    value = compiler.process(element.clauses, **kw)
    spaced = f"btrim(regexp_replace({value}, '{_space_class()}+', ' ', 'g'))"
    return f"translate(lower({spaced}), 'ς', 'σ')"


def outlet_is(name: str) -> ColumnElement[bool]:
    """The condition that an article's outlet is `name`, however either is spelt."""
    return _OutletKeySQL(articles.c.outlet) == outlet_key(name)


def outlet_missing() -> ColumnElement[bool]:
    """The condition that an article names no outlet (none, or only spaces)."""
    return or_(articles.c.outlet.is_(None), _OutletKeySQL(articles.c.outlet) == "")


def outlet_spellings(connection: Connection) -> Callable[[str | None], str]:
    """A function giving the name each stored outlet is shown under: the spelling most of its
    articles (in the whole corpus, so the same whatever the filters) have, its runs of spaces
    made one; among equals the first in sort order. NO_OUTLET for none."""
    counts: dict[str, Counter[str]] = {}
    for spelling, n in connection.execute(
        select(articles.c.outlet, func.count()).where(articles.c.outlet.is_not(None))
        .group_by(articles.c.outlet)
    ):
        if key := outlet_key(spelling):
            counts.setdefault(key, Counter())[" ".join(spelling.split())] += n
    shown = {key: min(spellings, key=lambda s: (-spellings[s], s))
             for key, spellings in counts.items()}

    def spelt(outlet: str | None) -> str:
        return shown.get(outlet_key(outlet), NO_OUTLET) if outlet != NO_OUTLET else NO_OUTLET

    return spelt
