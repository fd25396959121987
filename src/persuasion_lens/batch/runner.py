"""`run_batch`: read inputs, skip what is stored, analyse the rest, store batch by batch.

Each batch of articles (with the failures met while reading it, and the run's counts) is
written in one transaction by this process, so killing a run loses at most the batches in
flight, never part of an article, the `runs` row counts what was stored, and running the same
command again picks up where it stopped.

With narratives on, an article of the inputs that is stored without narratives (a run without
`--narratives` stored it) is not analysed again: the narrative model alone runs on its stored
text, and its narratives and entity roles are added to it, in the same transactions.

A stored article whose title, outlet, url or published date its input now gives otherwise (a
corrected feed) is not analysed again either: its metadata is updated in place, in the
transaction of its batch.
"""

from __future__ import annotations

import itertools
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from persuasion_lens.batch.executors import ANALYSING, ClusterError, DaskExecutor, LocalExecutor
from persuasion_lens.batch.readers import ColumnNames, Failure, Record, read_inputs
from persuasion_lens.batch.work import AnalyzerSpec
from persuasion_lens.storage.database import Database
from persuasion_lens.storage.repository import (
    article_key,
    changed_metadata,
    existing_keys,
    finish_run,
    record_run_counts,
    start_run,
    store_results,
    stored_external_ids,
    stored_metadata,
    stored_without_narratives,
)
from persuasion_lens.text.languages import language_name

__all__ = ["AnalyzerSpec", "BatchInterrupted", "BatchStopped", "BatchSummary", "make_executor",
           "run_batch"]


@dataclass
class BatchSummary:
    analysed: int = 0
    skipped: int = 0  # already stored, nothing to do
    failed: int = 0
    narratives_added: int = 0  # already stored without narratives: narratives added
    seconds: float = 0.0  # the whole run
    # loading the models (and starting the cluster), and the lemma dictionaries of the first
    # articles' languages (`lemma_languages`), which analysing them would load otherwise
    startup_seconds: float = 0.0
    lemma_languages: list[str] = field(default_factory=list)
    model_version: str = ""
    narratives: bool = False  # whether narratives and entity roles were analysed
    failures: list[Failure] = field(default_factory=list)  # the first few, for the summary
    interrupted: bool = False
    finished: bool = False  # the run's counts are stored as final
    # stored although an article with the same id was stored before with another text (an
    # edited article): both versions are kept; the first few ids, for the summary
    new_versions: int = 0
    new_version_ids: list[str] = field(default_factory=list)
    # analysed as their lang column or --lang says, though plainly in another language: the
    # first few as "id (Looks, not Given)", for the summary
    other_language: int = 0
    other_language_ids: list[str] = field(default_factory=list)
    # analysed in a language the technique model was not trained on (a fine-tuned transformer
    # reads it zero-shot, the shipped models fall back): how many in each, for the summary
    untrained_language: int = 0
    untrained_languages: dict[str, int] = field(default_factory=dict)
    # stored articles (counted in `skipped`) whose metadata the run updated as their input now
    # gives it: the first few as "id (outlet, published)", for the summary
    metadata_updated: int = 0
    metadata_updated_ids: list[str] = field(default_factory=list)
    # CSV rows with fewer fields than the header (the missing ones read as empty): the first
    # few as "t.csv, row 7", for the summary; each stored article's warnings say so too
    short_rows: int = 0
    short_row_places: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Articles analysed (or given narratives) per second, once the models are loaded (0
        when the run analysed none: see `worked`)."""
        working = self.seconds - self.startup_seconds
        return self.worked / working if working > 0 else 0.0

    @property
    def worked(self) -> int:
        """The articles the run analysed or gave narratives to: what its rate counts."""
        return self.analysed + self.narratives_added

    def to_dict(self) -> dict[str, Any]:
        return {"analysed": self.analysed, "skipped": self.skipped, "failed": self.failed,
                "narratives_added": self.narratives_added,
                "seconds": round(self.seconds, 3),
                "startup_seconds": round(self.startup_seconds, 3),
                "lemma_languages": self.lemma_languages,
                "articles_per_second": round(self.rate, 2),
                "model_version": self.model_version, "narratives": self.narratives,
                "interrupted": self.interrupted,
                "new_versions": self.new_versions, "new_version_ids": self.new_version_ids,
                "other_language": self.other_language,
                "other_language_ids": self.other_language_ids,
                "untrained_language": self.untrained_language,
                "untrained_languages": self.untrained_languages,
                "metadata_updated": self.metadata_updated,
                "metadata_updated_ids": self.metadata_updated_ids,
                "short_rows": self.short_rows, "short_row_places": self.short_row_places,
                "failures": [f.to_dict() for f in self.failures]}


class BatchInterrupted(KeyboardInterrupt):
    """A Ctrl-C during `run_batch`, with the summary of what the run stored before it."""

    def __init__(self, summary: BatchSummary):
        super().__init__()
        self.summary = summary


class BatchStopped(Exception):
    """The Dask cluster failed during `run_batch` (see `ClusterError`): why, and the summary of
    what the run stored before."""

    def __init__(self, reason: str, summary: BatchSummary):
        super().__init__(reason)
        self.reason = reason
        self.summary = summary


Place = tuple[str, str]  # where a failure is recorded: (source, location)
Progress = Callable[[int], None]  # called with the number of input items just finished
Status = Callable[[str], None]  # called with what the run does now: loading ..., ANALYSING


def make_executor(spec: AnalyzerSpec, dask: str | None = None, workers: int | None = None,
                  wait_for_workers: float | None = None):
    if dask:
        waiting = {} if wait_for_workers is None else {"wait_for_workers": wait_for_workers}
        return DaskExecutor(spec, address=dask, workers=workers, **waiting)
    return LocalExecutor(spec)


def run_batch(
    inputs: list[str],
    db: Database,
    spec: AnalyzerSpec | None = None,
    columns: ColumnNames | None = None,
    *,
    executor: Any = None,
    batch_size: int = 32,
    lang: str | None = None,
    progress: Progress | None = None,
    keep_failures: int = 20,
    status: Status | None = None,
    worked: Progress | None = None,
) -> BatchSummary:
    """Analyse every article in `inputs` that the database does not hold yet (and, with
    narratives on, add narratives to those of them it holds without; and update the metadata
    of those its input now gives otherwise).

    `progress` is called with the input items just finished (stored, found stored, failed),
    `worked` with the articles just stored as analysed or given narratives (what the rate
    counts), each once their batch is stored."""
    spec = spec or AnalyzerSpec()
    executor = executor or LocalExecutor(spec)
    # the executor's spec is what runs (it may have been built with its own)
    summary = BatchSummary(narratives=getattr(executor, "spec", spec).narratives)
    started = time.perf_counter()
    advance = progress or (lambda _n: None)
    count_worked = worked or (lambda _n: None)
    say = status or (lambda _what: None)
    run_id = None
    if hasattr(executor, "status"):  # a Dask executor says when it waits for workers
        executor.status = say
    try:
        say("loading models")
        summary.model_version = executor.start()
        run_id = start_run(db, inputs, executor.name, summary.model_version,
                           narratives=summary.narratives)

        def note_failures(failures: list[dict[str, Any]]) -> None:
            summary.failed += len(failures)
            for failure in failures:
                if len(summary.failures) < keep_failures:
                    summary.failures.append(Failure(**failure))

        jobs = _jobs(inputs, db, columns or ColumnNames(), batch_size, lang, summary, advance)
        say("loading lemma dictionaries")
        jobs = _warmed_up(jobs, executor, summary)
        summary.startup_seconds = time.perf_counter() - started
        say(ANALYSING)
        skipped_recorded = 0  # of summary.skipped, what the run's row counts already
        for context, answers in executor.map(jobs):
            done = [answer for answer in answers if answer["ok"]]
            analysed = [answer["item"] for answer in done if not answer.get("narratives_only")]
            narrated = [answer["item"] for answer in done if answer.get("narratives_only")]
            failures = context.failures + [answer["failure"] for answer in answers
                                           if not answer["ok"]]
            with _ctrl_c_held():
                added, given = store_results(db, analysed, failures, run_id, narrated,
                                             skipped=summary.skipped - skipped_recorded,
                                             settled=context.settled,
                                             metadata_updates=context.metadata_updates)
                summary.analysed += added
                summary.narratives_added += given
                # another run stored them, or gave them narratives, first
                summary.skipped += len(analysed) - added + len(narrated) - given
                skipped_recorded = summary.skipped
                note_failures(failures)
                _note_stored_context(context, summary)
                # in the block: a Ctrl-C held while the batch was stored leaves the bar
                # counting what the summary counts
                advance(len(answers) + len(context.failures))
                count_worked(added + given)
            _note_other_languages(done, summary)
            _note_untrained_languages(done, summary)
        summary.seconds = time.perf_counter() - started
        finish_run(db, run_id, summary.analysed, summary.skipped, summary.failed,
                   summary.narratives_added)
        summary.finished = True
    except KeyboardInterrupt:
        summary.interrupted = True
        if run_id is not None:  # what was stored before the interrupt, the run left unfinished
            record_run_counts(db, run_id, summary.analysed, summary.skipped, summary.failed,
                              summary.narratives_added)
        raise BatchInterrupted(summary) from None
    except ClusterError as error:
        if run_id is not None:
            record_run_counts(db, run_id, summary.analysed, summary.skipped, summary.failed,
                              summary.narratives_added)
        raise BatchStopped(str(error), summary) from None
    finally:
        summary.seconds = time.perf_counter() - started
        _close(executor, summary)
    return summary


def _warmed_up(jobs: Iterator[Any], executor: Any, summary: BatchSummary) -> Iterator[Any]:
    """The jobs, after loading what the first batch to analyse needs (the lemma dictionaries of
    its languages: 6-12 s for a mixed batch): counted as loading, the rate is the analysis's.
    A language first met later is loaded then."""
    peeked = []
    for job in jobs:  # past the batches found stored already
        peeked.append(job)
        if job[1]:
            warm = getattr(executor, "warm", None)
            summary.lemma_languages = list(warm(job[1])) if warm else []
            break
    return itertools.chain(peeked, jobs)


@contextmanager
def _ctrl_c_held() -> Iterator[None]:
    """Hold a Ctrl-C until the block is done, then raise it. Caught inside the SQLite driver
    while it wrote a batch, it left the write transaction open on a connection that the
    traceback kept alive: the run's counts then waited a minute for the lock and failed with
    a traceback. The batch is written whole instead (a transaction takes milliseconds)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals can only be set from the main thread
        return
    pressed: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, _frame: pressed.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if pressed:
        raise KeyboardInterrupt


def _close(executor: Any, summary: BatchSummary) -> None:
    """Close the executor; a Ctrl-C while Dask workers shut down after the work was done (or
    a second one after the first) loses nothing, so the run ends as it would have."""
    try:
        executor.close()
    except KeyboardInterrupt:
        if not summary.interrupted and not summary.finished:
            raise


@dataclass
class JobContext:
    """What travels with a batch of payloads, for when its answers are stored."""

    failures: list[dict[str, Any]]  # met while reading the batch
    settled: set[Place]  # places of the articles found stored: their old failures are cleared
    # stored articles whose metadata the input now gives otherwise: {"key", "external_id",
    # "changes"}
    metadata_updates: list[dict[str, Any]] = field(default_factory=list)
    short_rows: list[str] = field(default_factory=list)  # "t.csv, row 7"


def _jobs(
    inputs: list[str],
    db: Database,
    columns: ColumnNames,
    batch_size: int,
    lang: str | None,
    summary: BatchSummary,
    advance: Progress,
) -> Iterator[tuple[JobContext, list[dict[str, Any]]]]:
    """Batches of (their context, payloads of articles not stored yet, and with narratives on,
    of stored articles without narratives)."""
    seen: set[str] = set()
    ids_to_store: set[str] = set()  # ids of the articles this run analyses to store
    records: list[Record] = []
    failures: list[dict[str, Any]] = []

    def flush():
        payloads = [_payload(record, lang) for record in records]
        stored = _stored_keys(db, payloads)
        lacking = (stored_without_narratives(db, stored)
                   if summary.narratives and stored else {})
        fresh = []
        found: list[dict[str, Any]] = []  # stored, met first in this run
        context = JobContext(list(failures), set(),
                             short_rows=[r.short_row for r in records if r.short_row])
        for payload in payloads:
            if payload["key"] in seen:
                summary.skipped += 1
                context.settled.update(_places(payload))
                continue
            seen.add(payload["key"])
            if payload["key"] in lacking:
                fresh.append(_narratives_payload(payload, lacking[payload["key"]]))
            elif payload["key"] in stored:
                summary.skipped += 1
                context.settled.update(_places(payload))
            else:
                fresh.append(payload)
            if payload["key"] in stored:
                found.append(payload)
        context.metadata_updates = _metadata_updates(db, found)
        _note_new_versions(db, [p for p in fresh if not p.get("narratives_only")], summary,
                           ids_to_store)
        advance(len(payloads) - len(fresh))  # found stored; the rest once stored
        return context, fresh

    for item in read_inputs(inputs, columns):
        if isinstance(item, Failure):
            failures.append(item.to_dict())
        else:
            records.append(item)
        if len(records) >= batch_size or len(failures) >= batch_size:
            yield flush()
            records, failures = [], []
    if records or failures:
        yield flush()


def _metadata_updates(db: Database, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The changes to make to the metadata of these stored articles (an outlet corrected in
    the input): the article is its id and text, which are the same, so it is not analysed
    again (as an edited text is, being another article)."""
    if not found:
        return []
    stored = stored_metadata(db, [payload["key"] for payload in found])
    updates = []
    for payload in found:
        changes = changed_metadata(payload, stored.get(payload["key"]) or {})
        if changes:
            updates.append({"key": payload["key"], "external_id": payload["external_id"],
                            "changes": changes})
    return updates


def _note_stored_context(context: JobContext, summary: BatchSummary, keep: int = 5) -> None:
    """Count the metadata updates and short rows of a batch just stored."""
    summary.metadata_updated += len(context.metadata_updates)
    for update in context.metadata_updates[:max(0, keep - len(summary.metadata_updated_ids))]:
        summary.metadata_updated_ids.append(
            f"{update['external_id'] or update['key'][:12]} ({', '.join(update['changes'])})")
    summary.short_rows += len(context.short_rows)
    summary.short_row_places.extend(
        context.short_rows[:max(0, keep - len(summary.short_row_places))])


def _stored_keys(db: Database, payloads: list[dict[str, Any]]) -> set[str]:
    """Which of the payloads' keys are stored; a payload stored under a former key (the id an
    older version gave it) takes that key, so that it is the article stored."""
    stored = existing_keys(db, [key for p in payloads for key in (p["key"], *p["former_keys"])])
    for payload in payloads:
        if payload["key"] not in stored:
            payload["key"] = next((key for key in payload["former_keys"] if key in stored),
                                  payload["key"])
    return stored


def _places(payload: dict[str, Any]) -> list[Place]:
    """Where failures of this article are recorded: its own place and its whole input's."""
    return [(str(place[0]), str(place[1]))
            for place in (payload["place"], payload["input_place"])]


def _note_new_versions(db: Database, fresh: list[dict[str, Any]], summary: BatchSummary,
                       earlier: set[str], keep: int = 5) -> None:
    """Count the articles to store whose id is stored with another text already, or comes
    with another text earlier in this run (`earlier`: the ids of the articles to store met so
    far, added to here): in this batch, or in one not stored yet (Dask reads batches ahead).
    An id made up from a row's place is left out: the article is its text alone, and another
    text at that place is another article (a line inserted above), not an edited one."""
    ids = [p["external_id"] for p in fresh
           if p.get("external_id") and not p.get("id_from_place")]
    known = stored_external_ids(db, ids) if ids else set()
    for identifier in ids:
        if identifier in known or identifier in earlier:
            summary.new_versions += 1
            if len(summary.new_version_ids) < keep and identifier not in summary.new_version_ids:
                summary.new_version_ids.append(identifier)
        earlier.add(identifier)


def _note_other_languages(answers: list[dict[str, Any]], summary: BatchSummary,
                          keep: int = 5) -> None:
    """Count the articles analysed in the language given although they plainly are another."""
    for answer in answers:
        if answer.get("looks"):
            summary.other_language += 1
            if len(summary.other_language_ids) < keep:
                item = answer["item"]
                summary.other_language_ids.append(
                    f"{item.get('external_id') or item.get('source')} "
                    f"({language_name(answer['looks'])}, not "
                    f"{language_name(item['result']['language'])})")


def _note_untrained_languages(answers: list[dict[str, Any]], summary: BatchSummary) -> None:
    """Count the articles analysed in a language the technique model was not trained on."""
    for answer in answers:
        if language := answer.get("untrained"):
            summary.untrained_language += 1
            summary.untrained_languages[language] = (
                summary.untrained_languages.get(language, 0) + 1)


def _narratives_payload(payload: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """The work for a stored article without narratives: its stored text and language."""
    return {"key": payload["key"], "narratives_only": True, "article_id": stored["article_id"],
            "text": stored["text"], "language": stored["language"],
            "external_id": payload["external_id"], "source": payload["source"],
            "input": payload["input"], "location": payload["location"],
            "place": payload["place"], "input_place": payload["input_place"]}


def _payload(record: Record, lang: str | None) -> dict[str, Any]:
    text = record.article_text()
    return {
        "key": article_key(text, record.identity_id()),
        "former_keys": [article_key(text, former) for former in record.former_ids],
        "text": text,
        "external_id": record.external_id,
        "id_from_place": record.id_from_place,
        "title": record.title,
        "outlet": record.outlet,
        "url": record.url,
        "published": record.published,
        "source": record.where(),
        "input": record.source,
        "location": record.location,
        "place": list(record.place()),
        "input_place": list(record.input_place()),
        "lang": record.lang or lang,
        "lang_said_by": "its lang column says" if record.lang else "--lang says",
        "input_warnings": list(record.warnings),
    }
