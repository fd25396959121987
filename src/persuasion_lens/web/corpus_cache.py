"""The corpus pages' charts and statistics, computed once per state of the database.

Computing them takes a second or more on a corpus of a few thousand articles (the statistics'
SQL, then matplotlib), and paging through search results or coming back from an article page
asked for the same again. Each answer is kept under the database's state (`corpus_state`:
counts and largest ids, read in a millisecond), so a batch storing articles while the server
runs makes the next request compute afresh: never a stale number, however the database was
written to.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from persuasion_lens.storage.database import Database
from persuasion_lens.storage.queries import corpus_state

T = TypeVar("T")
CACHED_ANSWERS = 32  # statistics and charts of a dozen filter combinations (~0.5 MB each)


class CorpusCache:
    """The last CACHED_ANSWERS answers, each under (database, its state, what was asked)."""

    def __init__(self, size: int = CACHED_ANSWERS) -> None:
        self.size = size
        self._answers: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()
        self._computing: dict[tuple[Hashable, ...], threading.Event] = {}
        self._lock = threading.Lock()
        self.computed = 0  # answers computed rather than found (for tests and timings)

    def get(self, db: Database, question: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """The answer to `question` about `db`, computed by `compute` unless known at the
        database's present state. Requests asking the same at once wait for the first one's
        answer instead of each computing it (a page opened by several analysts, or reloaded
        while it loads)."""
        # The state is read before computing: an article stored meanwhile is then either in
        # the answer or changes the state the next request reads. Read after, the answer
        # could lack it under a state that includes it, and be served stale from then on.
        state = corpus_state(db)
        key = (db.url, state, *question)
        while True:
            with self._lock:
                if key in self._answers:
                    self._answers.move_to_end(key)
                    return self._answers[key]
                underway = self._computing.get(key)
                if underway is None:
                    underway = self._computing[key] = threading.Event()
                    break
            underway.wait()  # then the answer is known, or its computation failed: try again
        try:
            answer = compute()
            with self._lock:
                self.computed += 1
                self._forget_other_states(db.url, state)
                self._answers[key] = answer
                while len(self._answers) > self.size:
                    self._answers.popitem(last=False)
            return answer
        finally:
            with self._lock:
                del self._computing[key]
            underway.set()

    def _forget_other_states(self, url: str, state: tuple[Any, ...]) -> None:
        """Answers about an earlier state of the database are of no more use."""
        for key in [key for key in self._answers if key[0] == url and key[1] != state]:
            del self._answers[key]


_CREATING = threading.Lock()


def cache_of(app_state: Any) -> CorpusCache:
    """The application's cache (made on first use: tests include the router in bare apps)."""
    with _CREATING:
        cache = getattr(app_state, "corpus_cache", None)
        if cache is None:
            cache = app_state.corpus_cache = CorpusCache()
        return cache
