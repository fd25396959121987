"""`plens batch --dask`: a LocalCluster with two worker processes stores the same results as
the single-process run, narratives and entity roles included."""

from __future__ import annotations

import dataclasses

import pytest
from corpus_helpers import (
    NARRATIVE_ARTICLES,
    analyzer_spec,
    article_rows,
    subprocess_env,
    write_jsonl,
)
from sqlalchemy import select

from persuasion_lens.batch import run_batch
from persuasion_lens.batch.executors import DaskExecutor
from persuasion_lens.storage import open_database
from persuasion_lens.storage.schema import articles, entities, narratives, runs, spans
from persuasion_lens.storage.schema import techniques as techniques_table

pytest.importorskip("distributed")


def _snapshot(db) -> dict:
    """Everything stored, keyed by article key instead of row ids (which differ by order)."""
    with db.engine.connect() as connection:
        keys = dict(connection.execute(select(articles.c.id, articles.c.key)).all())
        meta = {
            row.key: (row.external_id, row.outlet, row.language, row.n_paragraphs,
                      row.n_techniques, row.genre, row.text)
            for row in connection.execute(select(articles))
        }
        hits = sorted(
            (keys[row.article_id], row.paragraph_index, row.technique, round(row.confidence, 4))
            for row in connection.execute(select(techniques_table))
        )
        located = sorted(
            (keys[row.article_id], row.start_offset, row.end_offset, row.technique)
            for row in connection.execute(select(spans))
        )
        labels = sorted(
            (keys[row.article_id], row.label, round(row.probability, 4))
            for row in connection.execute(select(narratives))
        )
        roles = sorted(
            (keys[row.article_id], row.entity_index, row.entity, row.main_role, row.n_mentions)
            for row in connection.execute(select(entities))
        )
        flags = list(connection.scalars(select(runs.c.narratives)))
    return {"articles": meta, "techniques": hits, "spans": located, "narratives": labels,
            "entities": roles, "runs": flags}


@pytest.mark.slow
def test_local_cluster_matches_single_process(tmp_path, monkeypatch):
    # Worker processes must import the test helpers when the fake analyzer stands in.
    monkeypatch.setenv("PYTHONPATH", subprocess_env()["PYTHONPATH"])
    rows = article_rows(56) + NARRATIVE_ARTICLES
    path = write_jsonl(tmp_path / "a.jsonl", rows, extra_lines=("{broken",))
    spec = dataclasses.replace(analyzer_spec(), narratives=True)

    single = open_database(f"sqlite:///{tmp_path}/single.db")
    first = run_batch([str(path)], single, spec, batch_size=8)

    clustered = open_database(f"sqlite:///{tmp_path}/dask.db")
    executor = DaskExecutor(spec, address="local", workers=2, threads_per_worker=1)
    second = run_batch([str(path)], clustered, spec, executor=executor, batch_size=8)
    assert executor.worker_count == 2
    assert (second.analysed, second.failed) == (first.analysed, first.failed) == (60, 1)
    snapshot = _snapshot(clustered)
    assert snapshot == _snapshot(single)
    assert len({row[0] for row in snapshot["narratives"]}) == 60 and snapshot["entities"]
    assert snapshot["runs"] == [True]

    again = run_batch([str(path)], clustered, spec,
                      executor=DaskExecutor(spec, address="local", workers=2), batch_size=8)
    assert (again.analysed, again.skipped) == (0, 60)
    single.dispose()
    clustered.dispose()


@pytest.mark.slow
def test_local_workers_do_not_log_the_tasks_a_ctrl_c_cancels(monkeypatch):
    """After a Ctrl-C each local worker logged a CancelledError warning under the command's
    one-line message; our own local workers keep that logger to errors."""
    import logging

    monkeypatch.setenv("PYTHONPATH", subprocess_env()["PYTHONPATH"])
    executor = DaskExecutor(analyzer_spec(), address="local", workers=1)
    executor.start()
    try:
        levels = executor.client.run(
            lambda: logging.getLogger("distributed.worker.state_machine").getEffectiveLevel())
        assert list(levels.values()) == [logging.ERROR]
    finally:
        executor.close()
