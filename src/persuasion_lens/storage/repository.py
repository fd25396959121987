"""Writing analysis results: one transaction per batch of articles, so an interrupted run
never leaves part of an article behind, and re-running adds nothing twice."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from persuasion_lens.storage.database import Database
from persuasion_lens.storage.schema import (
    articles,
    entities,
    entity_fine_roles,
    failures,
    frames,
    narratives,
    paragraphs,
    runs,
    spans,
    subnarratives,
)
from persuasion_lens.storage.schema import techniques as techniques_table

_KEY_CHUNK = 500


def article_key(text: str, external_id: str | None = None) -> str:
    """The content hash that identifies an article: its id (if given) plus its text."""
    digest = hashlib.sha256()
    digest.update((external_id or "").encode("utf-8"))
    digest.update(b"\x00")
    digest.update(text.encode("utf-8"))
    return digest.hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def existing_keys(db: Database, keys: Iterable[str]) -> set[str]:
    """Which of these article keys are already stored."""
    return _stored_values(db, articles.c.key, keys)


def stored_external_ids(db: Database, ids: Iterable[str]) -> set[str]:
    """Which of these article ids (`external_id`) are already stored, under any text."""
    return _stored_values(db, articles.c.external_id, ids)


def _stored_values(db: Database, column: Any, values: Iterable[str]) -> set[str]:
    """Which of these values the articles table holds in `column` (asked in chunks)."""
    values = list(dict.fromkeys(values))
    found: set[str] = set()
    with db.engine.connect() as connection:
        for start in range(0, len(values), _KEY_CHUNK):
            chunk = values[start:start + _KEY_CHUNK]
            found.update(connection.scalars(select(column).where(column.in_(chunk))))
    return found


def stored_without_narratives(db: Database, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Which of these stored articles have no narratives yet: {key: {"article_id", "text",
    "language"}}, with the text and language they were analysed with.

    An article has narratives when `narratives_version` is set (it was analysed with them,
    whether or not any passed) or, to be safe, when it has narrative rows.
    """
    return {row.key: {"article_id": row.id, "text": row.text, "language": row.language}
            for row in _articles_by_key(db, keys, [articles.c.id, articles.c.text,
                                                   articles.c.language], _lacks_narratives())}


# what an input may correct about a stored article without it being another article (its id
# and text are what identify it); `language` is the analysis's, not the input's alone
METADATA_FIELDS = ("title", "outlet", "url", "published")


def stored_metadata(db: Database, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The metadata of these stored articles: {key: {"external_id", "title", "outlet", "url",
    "published"}}."""
    columns = [articles.c.external_id, *(articles.c[name] for name in METADATA_FIELDS)]
    return {row.key: dict(row._mapping) for row in _articles_by_key(db, keys, columns)}


def _articles_by_key(db: Database, keys: Iterable[str], columns: list[Any],
                     conditions: Sequence[Any] = ()) -> list[Any]:
    """The rows (`key` and `columns`) of the stored articles with these keys that meet the
    conditions, read in chunks of keys (a database limits the parameters of one statement)."""
    keys = list(dict.fromkeys(keys))
    rows: list[Any] = []
    with db.engine.connect() as connection:
        for start in range(0, len(keys), _KEY_CHUNK):
            chunk = keys[start:start + _KEY_CHUNK]
            rows.extend(connection.execute(select(articles.c.key, *columns)
                                           .where(articles.c.key.in_(chunk), *conditions)))
    return rows


def changed_metadata(item: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """The metadata fields that `item` (a payload of `batch.runner`) gives otherwise than the
    stored article with its key, as they would be stored ({} when none differ). A field the
    item leaves empty keeps its stored value: an export of fewer columns, or a feed that drops
    a field, never erases what was stored. Only an article stored under the item's own id may
    change: the same text stored under another id (one an older version gave it, or another
    row of an input without ids) is left as is."""
    if stored.get("external_id") != item.get("external_id"):
        return {}
    given = {"title": item.get("title"), "outlet": item.get("outlet"), "url": item.get("url"),
             "published": _as_date(item.get("published"))}
    return {name: value for name, value in given.items()
            if value not in (None, "") and stored.get(name) != value}


def _update_metadata(connection: Connection, updates: Sequence[dict[str, Any]]) -> int:
    """Set the metadata of stored articles as their input now gives it: each update has the
    article's `key` and its `changes` ({field: value}). Returns how many articles it updated."""
    for change in updates:
        connection.execute(update(articles).where(articles.c.key == change["key"])
                           .values(**change["changes"]))
    return len(updates)


def _lacks_narratives() -> list[Any]:
    return [articles.c.narratives_version.is_(None),
            ~exists().where(narratives.c.article_id == articles.c.id)]


def start_run(db: Database, inputs: Sequence[str], executor: str, model_version: str,
              narratives: bool = False) -> int:
    """Record a run; `narratives` says whether it analyses narratives and entity roles."""
    with db.engine.begin() as connection:
        return connection.execute(
            insert(runs).values(started_at=_now(), inputs=list(inputs), executor=executor,
                                model_version=model_version, analysed=0, skipped=0, failed=0,
                                narratives=narratives, narratives_added=0,
                                metadata_updated=0)
            .returning(runs.c.id)
        ).scalar_one()


def finish_run(db: Database, run_id: int, analysed: int, skipped: int, failed: int,
               narratives_added: int = 0) -> None:
    record_run_counts(db, run_id, analysed, skipped, failed, narratives_added, finished=True)


def record_run_counts(db: Database, run_id: int, analysed: int, skipped: int, failed: int,
                      narratives_added: int = 0, finished: bool = False) -> None:
    """The run's counts; an interrupted run keeps no `finished_at`."""
    values = {"analysed": analysed, "skipped": skipped, "failed": failed,
              "narratives_added": narratives_added}
    if finished:
        values["finished_at"] = _now()
    with db.engine.begin() as connection:
        connection.execute(update(runs).where(runs.c.id == run_id).values(**values))


def store_batch(
    db: Database,
    analysed: Sequence[dict[str, Any]],
    failed: Sequence[dict[str, Any]] = (),
    run_id: int | None = None,
) -> int:
    """Store analysed articles and failures in one transaction; returns articles added.

    Each analysed item is a plain dict: `key`, `text`, optional `external_id`, `title`,
    `outlet`, `url`, `published` (date or ISO string), `source`, and `result` (the
    `ArticleResult.to_dict()` form, with `narratives`, `subnarratives` and `entities` when the
    narrative model ran; then the item may name the narrative model's `narratives_version`).
    Each failure has `source`, `location` and `reason`. An item's `place` and `input_place`
    ((source, location) pairs) clear the failures recorded there by earlier runs.
    Articles whose key is already stored are left alone.
    """
    return store_results(db, analysed, failed, run_id)[0]


def store_results(
    db: Database,
    analysed: Sequence[dict[str, Any]] = (),
    failed: Sequence[dict[str, Any]] = (),
    run_id: int | None = None,
    narratives_added: Sequence[dict[str, Any]] = (),
    skipped: int = 0,
    settled: Iterable[tuple[str, str]] = (),
    metadata_updates: Sequence[dict[str, Any]] = (),
) -> tuple[int, int]:
    """`store_batch`, plus narratives for articles stored without them, all in one
    transaction; returns (articles added, stored articles given narratives).

    Each item of `narratives_added` has `article_id`, `narratives_version` and `result` with
    `narratives`, `subnarratives`, `entities` and `warnings`. An article that has narratives
    by the time this runs (another run gave them) is left alone, so nothing is stored twice.

    With a `run_id`, the same transaction adds this batch to the run's counts (`skipped`: the
    articles found stored since the last batch; those of `analysed` that another run stored
    meanwhile are added to it), so they are right however the run ends.
    `settled`: (source, location) places of articles found stored already, whose failures
    recorded by earlier runs are cleared as those of the articles stored here are.
    `metadata_updates`: the changed metadata of stored articles (`key`, and `changes` from
    `changed_metadata`), set here and counted in the run's `metadata_updated`.
    """
    with db.engine.begin() as connection:
        added = _store_articles(connection, analysed, run_id) if analysed else 0
        given = _add_narratives(connection, narratives_added) if narratives_added else 0
        updated = _update_metadata(connection, metadata_updates) if metadata_updates else 0
        _clear_failures(connection,
                        _stored_places([*analysed, *narratives_added]) | set(settled), run_id)
        if failed:
            _store_failures(connection, failed, run_id)
        if run_id is not None:  # what another run stored first counts as skipped
            _add_to_run_counts(connection, run_id, analysed=added, failed=len(failed),
                               skipped=skipped + _unique_count(analysed) - added
                               + len(narratives_added) - given,
                               narratives_added=given, metadata_updated=updated)
    return added, given


def _unique_count(items: Sequence[dict[str, Any]]) -> int:
    return len({item["key"] for item in items})


def _add_to_run_counts(connection: Connection, run_id: int, **counts: int) -> None:
    connection.execute(update(runs).where(runs.c.id == run_id).values(
        **{name: func.coalesce(getattr(runs.c, name), 0) + n for name, n in counts.items()}))


def _stored_places(items: Sequence[dict[str, Any]]) -> set[tuple[str, str]]:
    """The places whose failures storing these items settles: each article's own (its row, or
    its file) and its whole input's (a table once without the text column is read now)."""
    return {(str(place[0]), str(place[1])) for item in items
            for place in (item.get("place"), item.get("input_place")) if place}


def _clear_failures(connection: Connection, places: set[tuple[str, str]],
                    run_id: int | None) -> None:
    """An input that failed before and has now been stored is no longer a failure. A failure
    this run recorded stays: Dask stores batches as they finish, so rows of a file may be
    stored after the batch that recorded the file failing further on."""
    if not places:
        return
    statement = delete(failures).where(failures.c.source == bindparam("place_source"),
                                       failures.c.location == bindparam("place_location"))
    if run_id is not None:
        statement = statement.where(or_(failures.c.run_id.is_(None), failures.c.run_id != run_id))
    connection.execute(statement, [{"place_source": source, "place_location": location}
                                   for source, location in sorted(places)])


def _add_narratives(connection: Connection, items: Sequence[dict[str, Any]]) -> int:
    """Narrative rows for stored articles that have none; marks each article as analysed."""
    by_version: dict[str, dict[int, dict[str, Any]]] = {}
    for item in items:
        version = str(item.get("narratives_version") or "unknown")
        by_version.setdefault(version, {}).setdefault(int(item["article_id"]), item)
    claimed: dict[int, dict[str, Any]] = {}
    for version, group in by_version.items():
        # The UPDATE claims the articles: it sets the mark only where it is still unset (and
        # there are no narrative rows), and locks those rows until the commit, so a concurrent
        # run adding narratives to the same articles finds them marked and adds nothing.
        ids = connection.execute(
            update(articles)
            .where(articles.c.id.in_(list(group)), *_lacks_narratives())
            .values(narratives_version=version)
            .returning(articles.c.id)
        ).scalars().all()
        claimed.update((article_id, group[article_id]) for article_id in ids
                       if article_id not in claimed)
    if not claimed:
        return 0
    rows: dict[Any, list[dict[str, Any]]] = {
        table: [] for table in (narratives, subnarratives, entities, entity_fine_roles)}
    for article_id, item in claimed.items():
        for table, table_rows in _narrative_rows(article_id, item["result"]).items():
            rows[table].extend(table_rows)
    for table, table_rows in rows.items():
        if table_rows:
            connection.execute(insert(table), table_rows)
    sides = [{"article": article_id, "side": side} for article_id, side in
             ((article_id, _side_russian(item["result"])) for article_id, item in claimed.items())
             if side is not None]
    if sides:
        connection.execute(update(articles).where(articles.c.id == bindparam("article"))
                           .values(side_russian=bindparam("side")), sides)
    _merge_warnings(connection, {article_id: item["result"].get("warnings") or []
                                 for article_id, item in claimed.items()})
    return len(claimed)


def _merge_warnings(connection: Connection, new: dict[int, list[str]]) -> None:
    """Append the narrative model's warnings to the articles' stored ones (once each)."""
    new = {article_id: warnings for article_id, warnings in new.items() if warnings}
    if not new:
        return
    stored = dict(connection.execute(
        select(articles.c.id, articles.c.warnings).where(articles.c.id.in_(list(new)))).all())
    changes = []
    for article_id, warnings in new.items():
        merged = list(stored.get(article_id) or [])
        merged.extend(w for w in warnings if w not in merged)
        if merged != list(stored.get(article_id) or []):
            changes.append({"article": article_id, "merged": merged})
    if changes:
        connection.execute(
            update(articles).where(articles.c.id == bindparam("article"))
            .values(warnings=bindparam("merged")), changes)


def _store_articles(
    connection: Connection, items: Sequence[dict[str, Any]], run_id: int | None
) -> int:
    """Insert the articles whose key is not stored; returns how many were. An article that
    another run stores meanwhile (two runs on the same input) is left to it, not an error."""
    unique: dict[str, dict[str, Any]] = {}
    for item in items:
        unique.setdefault(item["key"], item)
    ids = _insert_new_articles(connection, list(unique.values()), run_id)
    if not ids:
        return 0
    new = [unique[key] for key in ids]
    paragraph_rows: list[dict[str, Any]] = []
    technique_rows: list[dict[str, Any]] = []
    span_rows: list[dict[str, Any]] = []
    frame_rows: list[dict[str, Any]] = []
    narrative_rows: dict[Any, list[dict[str, Any]]] = {
        table: [] for table in (narratives, subnarratives, entities, entity_fine_roles)}
    for article_id, item in zip(ids.values(), new, strict=True):
        result = item["result"]
        for paragraph in result["paragraphs"]:
            index = paragraph["index"]
            paragraph_rows.append({
                "article_id": article_id, "paragraph_index": index,
                "start_offset": paragraph["start"], "end_offset": paragraph["end"],
                "text": paragraph["text"], "n_techniques": len(paragraph["techniques"]),
            })
            technique_rows.extend(
                {"article_id": article_id, "paragraph_index": index,
                 "technique": hit["technique"], "category": hit["category"],
                 "confidence": float(hit["confidence"])}
                for hit in paragraph["techniques"]
            )
            span_rows.extend(
                {"article_id": article_id, "paragraph_index": index,
                 "start_offset": span["start"], "end_offset": span["end"], "text": span["text"],
                 "technique": span["technique"], "category": span["category"],
                 "confidence": float(span["confidence"]),
                 "explanation": span.get("explanation") or ""}
                for span in paragraph.get("spans") or ()
            )
        frame_rows.extend(
            {"article_id": article_id, "label": frame["label"],
             "probability": float(frame["probability"])}
            for frame in result.get("frames") or ()
        )
        for table, table_rows in _narrative_rows(article_id, result).items():
            narrative_rows[table].extend(table_rows)
    for table, table_rows in ((paragraphs, paragraph_rows), (techniques_table, technique_rows),
                              (spans, span_rows), (frames, frame_rows),
                              *narrative_rows.items()):
        if table_rows:
            connection.execute(insert(table), table_rows)
    return len(new)


def _insert_new_articles(connection: Connection, items: Sequence[dict[str, Any]],
                         run_id: int | None) -> dict[str, int]:
    """Insert these articles, skipping any whose key is stored (ON CONFLICT DO NOTHING): a
    concurrent run's uncommitted rows are invisible to a SELECT, but the insert waits for them
    (PostgreSQL) or the write lock (SQLite) and then skips them. Returns {key: id} of those
    inserted. In key order, so two runs lock the keys they share in the same order."""
    present = set(connection.scalars(
        select(articles.c.key).where(articles.c.key.in_([item["key"] for item in items]))))
    now = _now()
    rows = [_article_row(item, run_id, now)
            for item in sorted(items, key=lambda item: item["key"])
            if item["key"] not in present]
    if not rows:
        return {}
    for column in ("narratives_version", "side_russian"):
        if not any(row[column] is not None for row in rows):
            # name the column only when a row needs it (every row must have the same keys),
            # so that writing articles without narratives works on any schema version
            for row in rows:
                del row[column]
    statement = _dialect(connection).insert(articles).on_conflict_do_nothing(
        index_elements=["key"])
    inserted = dict(connection.execute(
        statement.returning(articles.c.key, articles.c.id), rows).all())
    return {row["key"]: inserted[row["key"]] for row in rows if row["key"] in inserted}


def _dialect(connection: Connection) -> Any:
    """The dialect module whose `insert` has ON CONFLICT (SQLite or PostgreSQL)."""
    return sqlite if connection.dialect.name == "sqlite" else postgresql


def narrative_of(subnarrative: str) -> str:
    """The narrative a subnarrative belongs to ("URW: A: b" -> "URW: A"; "Other" -> "Other")."""
    head, _, _ = subnarrative.rpartition(": ")
    return head or subnarrative


def _narrative_rows(article_id: int, result: dict[str, Any]) -> dict[Any, list[dict[str, Any]]]:
    """Rows of the narrative tables for one analysed article (empty without narratives)."""
    rows: dict[Any, list[dict[str, Any]]] = {
        narratives: [{"article_id": article_id, "label": str(n["label"]),
                      "probability": float(n["probability"])}
                     for n in result.get("narratives") or ()],
        subnarratives: [{"article_id": article_id, "narrative": narrative_of(str(n["label"])),
                         "label": str(n["label"]), "probability": float(n["probability"])}
                        for n in result.get("subnarratives") or ()],
        entities: [],
        entity_fine_roles: [],
    }
    for index, entity in enumerate(result.get("entities") or ()):
        rows[entities].append({
            "article_id": article_id, "entity_index": index, "entity": str(entity["entity"]),
            "main_role": str(entity["main_role"]),
            "main_role_probability": float(entity.get("main_role_probability") or 0.0),
            "n_mentions": _mention_count(entity),
            "at_odds_with_side": bool(entity.get("at_odds_with_side")),
        })
        rows[entity_fine_roles].extend(
            {"article_id": article_id, "entity_index": index, "label": str(role["label"]),
             "probability": float(role["probability"])}
            for role in entity.get("fine_roles") or ()
        )
    return rows


def _mention_count(entity: dict[str, Any]) -> int:
    if entity.get("mentions"):
        return len(entity["mentions"])
    return int(entity.get("mention_count") or 0)


def _article_row(item: dict[str, Any], run_id: int | None, now: dt.datetime) -> dict[str, Any]:
    result = item["result"]
    paragraphs_ = result["paragraphs"]
    genre = result.get("genre") or {}
    return {
        "key": item["key"],
        "external_id": item.get("external_id"),
        "title": item.get("title") or (paragraphs_[0]["text"][:500] if paragraphs_ else None),
        "outlet": item.get("outlet"),
        "url": item.get("url"),
        "published": _as_date(item.get("published")),
        "language": result.get("language") or "",
        "language_detected": bool(result.get("language_detected", True)),
        "source": item.get("source") or result.get("source"),
        "text": item["text"],
        "n_paragraphs": len(paragraphs_),
        "n_paragraphs_with_techniques": sum(1 for p in paragraphs_ if p["techniques"]),
        "n_techniques": sum(len(p["techniques"]) for p in paragraphs_),
        "genre": genre.get("label"),
        "genre_probability": genre.get("probability"),
        "genre_probabilities": genre.get("probabilities"),
        "warnings": list(result.get("warnings") or []),
        "model_version": result.get("model_version") or "",
        "run_id": run_id,
        "analysed_at": now,
        "narratives_version": _narratives_version(item),
        "side_russian": _side_russian(result),
    }


def _side_russian(result: dict[str, Any]) -> float | None:
    """The stored form of the side taken: P(the Russian side); None when not read."""
    side = result.get("side_taken") if "narratives" in result else None
    return None if not side else float(side["russian_side_probability"])


def _narratives_version(item: dict[str, Any]) -> str | None:
    """The narrative model that analysed this article, None when it did not run."""
    result = item["result"]
    if "narratives" not in result:
        return None
    if item.get("narratives_version"):
        return str(item["narratives_version"])
    return str(result.get("model_version") or "unknown").rpartition("+")[2] or "unknown"


def _as_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _store_failures(
    connection: Connection, items: Sequence[dict[str, Any]], run_id: int | None
) -> None:
    now = _now()
    dialect = _dialect(connection)
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:
        key = (str(item["source"]), str(item.get("location") or ""))
        seen[key] = {"source": key[0], "location": key[1], "reason": str(item["reason"]),
                     "first_seen": now, "last_seen": now, "run_id": run_id}
    statement = dialect.insert(failures)
    statement = statement.on_conflict_do_update(
        index_elements=["source", "location"],
        set_={"reason": statement.excluded.reason, "last_seen": statement.excluded.last_seen,
              "run_id": statement.excluded.run_id},
    )
    connection.execute(statement, [seen[key] for key in sorted(seen)])  # in one lock order
