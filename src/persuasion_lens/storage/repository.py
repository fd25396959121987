"""Writing analysis results: one transaction per batch of articles, so an interrupted run
never leaves part of an article behind, and re-running adds nothing twice."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, select, update
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
    keys = list(dict.fromkeys(keys))
    found: set[str] = set()
    with db.engine.connect() as connection:
        for start in range(0, len(keys), _KEY_CHUNK):
            chunk = keys[start:start + _KEY_CHUNK]
            found.update(connection.scalars(select(articles.c.key).where(articles.c.key.in_(chunk))))
    return found


def start_run(db: Database, inputs: Sequence[str], executor: str, model_version: str,
              narratives: bool = False) -> int:
    """Record a run; `narratives` says whether it analyses narratives and entity roles."""
    with db.engine.begin() as connection:
        return connection.execute(
            insert(runs).values(started_at=_now(), inputs=list(inputs), executor=executor,
                                model_version=model_version, analysed=0, skipped=0, failed=0,
                                narratives=narratives)
            .returning(runs.c.id)
        ).scalar_one()


def finish_run(db: Database, run_id: int, analysed: int, skipped: int, failed: int) -> None:
    with db.engine.begin() as connection:
        connection.execute(
            update(runs).where(runs.c.id == run_id)
            .values(finished_at=_now(), analysed=analysed, skipped=skipped, failed=failed)
        )


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
    narrative model ran). Each failure has `source`, `location` and `reason`.
    Articles whose key is already stored are left alone.
    """
    with db.engine.begin() as connection:
        added = _store_articles(connection, analysed, run_id) if analysed else 0
        if failed:
            _store_failures(connection, failed, run_id)
    return added


def _store_articles(
    connection: Connection, items: Sequence[dict[str, Any]], run_id: int | None
) -> int:
    unique: dict[str, dict[str, Any]] = {}
    for item in items:
        unique.setdefault(item["key"], item)
    present = set(
        connection.scalars(select(articles.c.key).where(articles.c.key.in_(list(unique))))
    )
    new = [item for key, item in unique.items() if key not in present]
    if not new:
        return 0
    now = _now()
    rows = [_article_row(item, run_id, now) for item in new]
    ids = connection.execute(
        insert(articles).returning(articles.c.id, sort_by_parameter_order=True), rows
    ).scalars().all()
    paragraph_rows: list[dict[str, Any]] = []
    technique_rows: list[dict[str, Any]] = []
    span_rows: list[dict[str, Any]] = []
    frame_rows: list[dict[str, Any]] = []
    narrative_rows: dict[Any, list[dict[str, Any]]] = {
        table: [] for table in (narratives, subnarratives, entities, entity_fine_roles)}
    for article_id, item in zip(ids, new, strict=True):
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
    }


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
    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
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
    connection.execute(statement, list(seen.values()))
