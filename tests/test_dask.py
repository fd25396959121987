"""`plens batch --dask`: a LocalCluster with two worker processes stores the same results as
the single-process run."""

from __future__ import annotations

import pytest
from corpus_helpers import analyzer_spec, article_rows, subprocess_env, write_jsonl
from sqlalchemy import select

from persuasion_lens.batch import run_batch
from persuasion_lens.batch.executors import DaskExecutor
from persuasion_lens.storage import open_database
from persuasion_lens.storage.schema import articles, spans
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
    return {"articles": meta, "techniques": hits, "spans": located}


@pytest.mark.slow
def test_local_cluster_matches_single_process(tmp_path, monkeypatch):
    # Worker processes must import the test helpers when the fake analyzer stands in.
    monkeypatch.setenv("PYTHONPATH", subprocess_env()["PYTHONPATH"])
    path = write_jsonl(tmp_path / "a.jsonl", article_rows(60), extra_lines=("{broken",))
    spec = analyzer_spec()

    single = open_database(f"sqlite:///{tmp_path}/single.db")
    first = run_batch([str(path)], single, spec, batch_size=8)

    clustered = open_database(f"sqlite:///{tmp_path}/dask.db")
    executor = DaskExecutor(spec, address="local", workers=2, threads_per_worker=1)
    second = run_batch([str(path)], clustered, spec, executor=executor, batch_size=8)
    assert executor.worker_count == 2
    assert (second.analysed, second.failed) == (first.analysed, first.failed) == (60, 1)
    assert _snapshot(clustered) == _snapshot(single)

    again = run_batch([str(path)], clustered, spec,
                      executor=DaskExecutor(spec, address="local", workers=2), batch_size=8)
    assert (again.analysed, again.skipped) == (0, 60)
    single.dispose()
    clustered.dispose()
