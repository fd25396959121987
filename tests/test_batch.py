"""`plens batch`: inputs, bad rows, resume after a kill -9, and the summary."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from corpus_helpers import (  # noqa: F401
    analyzer_args,
    analyzer_spec,
    article_rows,
    article_text,
    db_url,
    narrative_spec,
    subprocess_env,
    write_jsonl,
)
from sqlalchemy import func, select
from typer.testing import CliRunner

from persuasion_lens.batch import (
    AnalyzerSpec,
    ColumnNames,
    Failure,
    Record,
    read_inputs,
    run_batch,
)
from persuasion_lens.cli import app
from persuasion_lens.models.narratives import load_default_narrative_model
from persuasion_lens.storage import open_database
from persuasion_lens.storage.queries import counts, list_failures, search
from persuasion_lens.storage.schema import articles, paragraphs, runs

runner = CliRunner()
PLENS = [sys.executable, "-c", "from persuasion_lens.cli import main; main()"]

SHIPPED_NARRATIVES = load_default_narrative_model().version


def _bad_inputs(tmp_path):
    good = write_jsonl(tmp_path / "good.jsonl", article_rows(6),
                       extra_lines=('{"id": "broken", "text": ', '{"id": "e", "text": "  "}'))
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "one.txt").write_text(article_text(100), encoding="utf-8")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    no_text = tmp_path / "no_text.csv"
    no_text.write_text("body,uid\nsome text,1\n", encoding="utf-8")
    return [str(good), str(folder), str(no_text)]


def test_a_document_that_breaks_the_analysis_fails_alone():
    from persuasion_lens.batch.work import AnalyzerSpec, analyse_payloads

    texts = ["The shameful council failed again.", "Someone will detonate the budget.",
             "Obviously a disaster for the nation."]
    payloads = [{"key": f"k{i}", "text": text, "source": "inline", "location": str(i)}
                for i, text in enumerate(texts)]
    answers = analyse_payloads(payloads, AnalyzerSpec(factory="corpus_helpers:fragile_analyzer"))
    assert [answer["ok"] for answer in answers] == [True, False, True]
    assert "analysis failed: " in answers[1]["failure"]["reason"]
    assert "detector broke" in answers[1]["failure"]["reason"]
    found = answers[2]["item"]["result"]["paragraphs"][0]["techniques"]
    assert {t["technique"] for t in found} == {"Loaded_Language", "Flag_Waving"}


def test_readers_yield_records_and_failures(tmp_path):
    items = list(read_inputs(_bad_inputs(tmp_path)))
    records = [i for i in items if isinstance(i, Record)]
    failures = [i for i in items if isinstance(i, Failure)]
    assert len(records) == 7
    reasons = {f.location or f.source: f.reason for f in failures}
    assert "not valid JSON" in reasons["line 7"]
    assert "empty" in reasons["line 8"]
    assert "binary" in reasons[str((tmp_path / "folder" / "binary.txt").resolve())]
    no_text = next(f for f in failures if f.source.endswith("no_text.csv"))
    assert no_text.reason == ("no 'text' column (columns: body, uid); name the text column "
                              "with --text-column")


def test_a_pdf_in_a_folder_is_a_failure_that_says_what_it_is(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.txt").write_text("A plain article about the harbour bridge and its cost.\n")
    (folder / "saved-from-browser.txt").write_bytes(b"%PDF-1.7\n1 0 obj\n<< >>\nendobj\n")
    items = list(read_inputs([str(folder)]))
    assert [type(item) for item in items] == [Record, Failure]
    assert items[1].reason.startswith("a PDF document; persuasion-lens reads plain text")


def test_csv_and_parquet_columns_and_titles(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "a.csv").write_text(
        'uid,body,headline,day\n7,"First line\nSecond line",A title,2024-05-06\n'
        '8,"Kept title\nbody",Kept title,not-a-date\n', encoding="utf-8")
    columns = ColumnNames(text="body", id="uid", title="headline", published="day")
    items = list(read_inputs([str(tmp_path / "a.csv")], columns))
    assert items[0].external_id == "7" and items[0].published == "2024-05-06"
    assert items[0].article_text().startswith("A title\n\nFirst line")
    assert isinstance(items[1], Failure) and "not a date" in items[1].reason
    pq.write_table(pa.table({"text": ["Kept title\nbody", None], "title": ["Kept title", "x"],
                             "id": [1, 2]}), tmp_path / "b.parquet")
    parquet = list(read_inputs([str(tmp_path / "b.parquet")]))
    assert parquet[0].article_text() == "Kept title\nbody" and parquet[0].external_id == "1"
    assert isinstance(parquet[1], Failure)


def test_batch_cli_stores_records_failures_and_resumes(tmp_path, db_url):  # noqa: F811
    inputs = _bad_inputs(tmp_path)
    command = ["batch", *inputs, "--db", db_url, "--no-progress", *analyzer_args()]
    first = runner.invoke(app, command)
    assert first.exit_code == 1, first.output  # failures were recorded
    assert "analysed" in first.output and "failed" in first.output
    assert "no 'text' column" in first.output
    db = open_database(db_url)
    try:
        assert counts(db)["articles"] == 7
        assert len(list_failures(db)) == 4
        second = runner.invoke(app, command)
        assert "skipped (already stored) │ 7" in second.output
        assert counts(db)["articles"] == 7 and len(list_failures(db)) == 4
        hits = search(db, "headline")
        assert hits and hits[0]["outlet"]
    finally:
        db.dispose()


def test_batch_cli_errors_are_one_line(tmp_path):
    result = runner.invoke(app, ["batch", str(tmp_path / "missing.jsonl"),
                                 "--db", f"sqlite:///{tmp_path}/x.db"])
    assert result.exit_code == 2 and "no such file" in result.output
    one = write_jsonl(tmp_path / "one.jsonl", article_rows(1))
    result = runner.invoke(app, ["batch", str(one), "--db", "mysql://x/y"])
    assert result.exit_code == 2 and "only sqlite" in result.output


def test_run_batch_library_api(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", article_rows(10))
    db = open_database(f"sqlite:///{tmp_path}/lib.db")
    seen = []
    summary = run_batch([str(path)], db, analyzer_spec(), batch_size=4, progress=seen.append)
    assert (summary.analysed, summary.skipped, summary.failed) == (10, 0, 0)
    assert sum(seen) == 10 and summary.model_version
    with db.engine.connect() as connection:
        versions = set(connection.scalars(select(articles.c.model_version)))
    assert versions == {summary.model_version}
    db.dispose()


def test_csv_and_parquet_number_a_failing_row_alike(tmp_path):
    """The same bad row was "row 3" in a CSV file (the header counted as row 1, as a
    spreadsheet shows it) and "row 2" in a Parquet file (the second row of data). Both are now
    numbered as a spreadsheet does, and the summary says so."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = {"id": ["1", "2", "3"], "text": [article_text(1), "  ", article_text(3)]}
    pq.write_table(pa.table(table), tmp_path / "t.parquet")
    with (tmp_path / "t.csv").open("w", encoding="utf-8", newline="") as handle:
        handle.write("id,text\n" + "".join(
            f'{identifier},"{text}"\n' for identifier, text in zip(*table.values(), strict=True)))
    locations = {path: [item.location for item in read_inputs([str(tmp_path / path)])
                        if isinstance(item, Failure)] for path in ("t.csv", "t.parquet")}
    assert locations == {"t.csv": ["row 3"], "t.parquet": ["row 3"]}
    result = runner.invoke(app, ["batch", str(tmp_path / "t.parquet"), "--db",
                                 f"sqlite:///{tmp_path / 'r.db'}", "--no-progress",
                                 *analyzer_args()])
    assert result.exit_code == 1
    assert "t.parquet, row 3 (the header is row 1):" in " ".join(result.output.split())


@pytest.mark.slow
def test_kill_9_then_resume_stores_every_article_exactly_once(tmp_path, db_url):  # noqa: F811
    rows = article_rows(200)
    path = write_jsonl(tmp_path / "many.jsonl", rows)
    command = [*PLENS, "batch", str(path), "--db", db_url,
               "--batch-size", "2", "--no-progress", *analyzer_args()]
    db = open_database(db_url)
    _kill_9_once_stored(command, db, 10)
    killed_at = counts(db)["articles"]
    assert 0 < killed_at < 200
    _assert_complete(db)
    resumed = subprocess.run(command, env=subprocess_env(), capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"skipped (already stored) │ {killed_at}" in resumed.stdout
    with db.engine.connect() as connection:
        ids = list(connection.scalars(select(articles.c.external_id)))
    assert sorted(ids) == sorted(row["id"] for row in rows)
    _assert_complete(db)
    db.dispose()


def test_a_killed_run_counts_the_articles_it_stored(tmp_path, db_url):  # noqa: F811
    path = write_jsonl(tmp_path / "many.jsonl", article_rows(200))
    db = open_database(db_url)
    command = [*PLENS, "batch", str(path), "--db", db_url,
               "--batch-size", "2", "--no-progress", *analyzer_args()]
    _kill_9_once_stored(command, db, 20)
    first = counts(db)["articles"]
    _kill_9_once_stored(command, db, first + 20)  # resumed: skips what the first run stored
    second = counts(db)["articles"]
    with db.engine.connect() as connection:
        killed = connection.execute(select(runs).order_by(runs.c.id)).all()
    db.dispose()
    assert 0 < first < second < 200
    assert [(run.analysed, run.skipped, run.failed, run.finished_at) for run in killed] == [
        (first, 0, 0, None), (second - first, first, 0, None)]


def test_two_runs_on_the_same_input_at_once_store_each_article_once(tmp_path,
                                                                     db_url):  # noqa: F811
    """Two runs of the same command at once: on PostgreSQL the second died with a duplicate
    key IntegrityError (a SELECT does not see the other run's uncommitted rows), on SQLite it
    counted as analysed articles that the other run had stored (96 analysed for 80 stored).
    Now an article the other run stored first is skipped, and the counts add up."""
    rows = article_rows(60)
    path = write_jsonl(tmp_path / "in.jsonl", rows)
    open_database(db_url).dispose()  # the schema, before the runs race for the articles
    gate = tmp_path / "gate"
    command = [*PLENS, "batch", str(path), "--db", db_url, "--batch-size", "3",
               "--no-progress", "--analyzer-factory", "corpus_helpers:gated_analyzer"]
    env = {**subprocess_env(), "PLENS_TEST_GATE": str(gate), "COLUMNS": "200"}
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        deadline = time.monotonic() + 120
        while (len(list(tmp_path.glob("gate.*"))) < 2 and time.monotonic() < deadline
               and all(process.poll() is None for process in processes)):
            time.sleep(0.01)
        gate.touch()  # both have loaded the analyzer: they run at once from here
        outputs = [process.communicate(timeout=180) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0 and "Traceback" not in err, err
    said = [_summary_counts(out) for out, _ in outputs]
    db = open_database(db_url)
    try:
        with db.engine.connect() as connection:
            ids = list(connection.scalars(select(articles.c.external_id)))
            recorded = connection.execute(
                select(runs.c.analysed, runs.c.skipped, runs.c.failed)).all()
        _assert_complete(db)
    finally:
        db.dispose()
    assert sorted(ids) == sorted(row["id"] for row in rows)  # each article once
    assert sum(analysed for analysed, _ in said) == len(rows)
    assert sorted(said) == sorted((a, s) for a, s, _ in recorded)
    assert all(analysed + skipped == len(rows) for analysed, skipped, _ in recorded)


def _summary_counts(output: str) -> tuple[int, int]:
    """(analysed, skipped) as the batch summary prints them."""
    found = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.split("│") if cell.strip()]
        if len(cells) == 2 and cells[0] in ("analysed", "skipped (already stored)"):
            found[cells[0]] = int(cells[1].replace(",", ""))
    return found["analysed"], found["skipped (already stored)"]


def _kill_9_once_stored(command: list[str], db, at_least: int) -> None:
    """Run `command` and kill it with -9 once `at_least` articles are stored."""
    process = subprocess.Popen(command, env=subprocess_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    stored = 0
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            with db.engine.connect() as connection:
                stored = connection.scalar(select(func.count()).select_from(articles))
            if stored >= at_least:
                break
            time.sleep(0.01)
        assert process.poll() is None, "the run finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL


def _assert_complete(db) -> None:
    """Every stored article has all of its paragraphs."""
    with db.engine.connect() as connection:
        expected = dict(connection.execute(select(articles.c.id, articles.c.n_paragraphs)).all())
        stored = dict(connection.execute(
            select(paragraphs.c.article_id, func.count()).group_by(paragraphs.c.article_id)).all())
    assert stored == expected


def test_batch_cli_with_narratives_stores_them_and_records_the_run(tmp_path, db_url):  # noqa: F811
    import json

    from corpus_helpers import NARRATIVE_ARTICLES

    from persuasion_lens.storage.queries import Filters, load_article
    from persuasion_lens.storage.schema import runs

    folder = tmp_path / "articles"
    folder.mkdir()
    for row in NARRATIVE_ARTICLES[:3]:
        (folder / f"{row['id']}.txt").write_text(row["text"], encoding="utf-8")
    plain = write_jsonl(tmp_path / "plain.jsonl", article_rows(2))
    command = ["batch", str(folder), "--db", db_url, "--no-progress", *analyzer_args()]
    first = runner.invoke(app, [*command, "--narratives"])
    assert first.exit_code == 0, first.output
    assert "stored (experimental)" in first.output
    second = runner.invoke(app, ["batch", str(plain), "--db", db_url, "--no-progress",
                                 *analyzer_args()])
    assert second.exit_code == 0 and "off (--narratives stores them)" in second.output
    db = open_database(db_url)
    try:
        stored = counts(db)
        assert stored["articles"] == 5 and stored["narratives"] >= 3 and stored["entities"] >= 3
        with db.engine.connect() as connection:
            flags = [bool(flag) for flag in connection.scalars(
                select(runs.c.narratives).order_by(runs.c.id))]
        assert flags == [True, False]
        found = search(db, "", Filters(narrative="urw:"), limit=100)
        assert {hit["external_id"] for hit in found} <= {"n1", "n2", "n3"} and found
        _, result = load_article(db, found[0]["article_id"])
        assert result.extra["entities"] and result.extra["narratives"]
    finally:
        db.dispose()
    searched = runner.invoke(app, ["search", "", "--db", db_url, "--format", "json",
                                   "--narrative", "URW:"])
    assert searched.exit_code == 0, searched.output
    assert {row["external_id"] for row in json.loads(searched.output)["results"]} \
        <= {"n1", "n2", "n3"}
    report = runner.invoke(app, ["report", "--db", db_url, "-o", str(tmp_path / "r.html")])
    assert report.exit_code == 0 and "narratives (experimental) in 3 articles" in report.output
    exported = runner.invoke(app, ["export", "--db", db_url, "-o", str(tmp_path / "x.jsonl")])
    assert exported.exit_code == 0 and "wrote 5 articles" in exported.output
    lines = [json.loads(line) for line in (tmp_path / "x.jsonl").read_text().splitlines()]
    assert sum(1 for line in lines if line["entities"]) == 3


# --- narratives for articles stored without them ---------------------------------------------


def _stored(db) -> dict:
    """What a run must not change, by article key: articles and their technique results."""
    from persuasion_lens.storage.schema import spans
    from persuasion_lens.storage.schema import techniques as techniques_table

    with db.engine.connect() as connection:
        keys = dict(connection.execute(select(articles.c.id, articles.c.key)).all())
        return {
            "articles": sorted(
                (row.key, row.id, row.external_id, row.language, row.text, row.n_paragraphs,
                 row.n_techniques, row.model_version, row.run_id)
                for row in connection.execute(select(articles))),
            "paragraphs": sorted(
                (keys[row.article_id], row.paragraph_index, row.start_offset, row.end_offset,
                 row.text) for row in connection.execute(select(paragraphs))),
            "techniques": sorted(
                (keys[row.article_id], row.paragraph_index, row.technique, row.confidence)
                for row in connection.execute(select(techniques_table))),
            "spans": sorted(
                (keys[row.article_id], row.start_offset, row.end_offset, row.technique)
                for row in connection.execute(select(spans))),
        }


def _narrated(db) -> dict:
    """The narratives and entity roles stored, by article key."""
    from persuasion_lens.storage.schema import entities, entity_fine_roles, narratives
    from persuasion_lens.storage.schema import subnarratives as subnarratives_table

    with db.engine.connect() as connection:
        keys = dict(connection.execute(select(articles.c.id, articles.c.key)).all())
        return {
            "narratives": sorted((keys[row.article_id], row.label, round(row.probability, 4))
                                 for row in connection.execute(select(narratives))),
            "subnarratives": sorted(
                (keys[row.article_id], row.label, round(row.probability, 4))
                for row in connection.execute(select(subnarratives_table))),
            "entities": sorted(
                (keys[row.article_id], row.entity_index, row.entity, row.main_role,
                 round(row.main_role_probability, 4), row.n_mentions)
                for row in connection.execute(select(entities))),
            "fine_roles": sorted(
                (keys[row.article_id], row.entity_index, row.label, round(row.probability, 4))
                for row in connection.execute(select(entity_fine_roles))),
            "marked": sorted(tuple(row) for row in connection.execute(
                select(articles.c.key, articles.c.narratives_version))),
        }


def _narrative_inputs(tmp_path):
    """A folder of narrative articles (language detected) and a JSON Lines file."""
    from corpus_helpers import NARRATIVE_ARTICLES

    folder = tmp_path / "articles"
    folder.mkdir()
    for row in NARRATIVE_ARTICLES:
        (folder / f"{row['id']}.txt").write_text(row["text"], encoding="utf-8")
    return folder, write_jsonl(tmp_path / "plain.jsonl", article_rows(3))


def test_batch_narratives_are_added_to_articles_stored_without_them(tmp_path, db_url):  # noqa: F811
    from persuasion_lens.storage.schema import runs

    folder, plain = _narrative_inputs(tmp_path)
    base = ["--db", db_url, "--no-progress", *analyzer_args()]
    first = runner.invoke(app, ["batch", str(folder), *base])
    assert first.exit_code == 0, first.output
    db = open_database(db_url)
    try:
        before = _stored(db)
        assert len(before["articles"]) == 4 and before["techniques"]
        assert counts(db)["narratives"] == counts(db)["entities"] == 0

        # the stored folder gets narratives; the new file is analysed with them in full
        second = runner.invoke(app, ["batch", str(folder), str(plain), *base, "--narratives"])
        assert second.exit_code == 0, second.output
        assert "analysed                          │ 3" in second.output
        assert "narratives added (already stored) │ 4" in second.output
        assert "skipped (already stored)          │ 0" in second.output
        after = _stored(db)
        new = {row[0] for row in after["articles"]} - {row[0] for row in before["articles"]}
        assert len(new) == 3
        for part, rows in after.items():  # the stored articles are untouched, nothing doubled
            assert [row for row in rows if row[0] not in new] == before[part], part
        narrated = _narrated(db)
        assert {row[0] for row in narrated["narratives"]} == {row[0] for row in after["articles"]}
        assert {row[0] for row in narrated["entities"]} >= {row[0] for row in before["articles"]}
        assert all(version == SHIPPED_NARRATIVES for _, version in narrated["marked"])

        # the same narratives as a database analysed with them from the start
        fresh_url = f"sqlite:///{tmp_path / 'fresh.db'}"
        fresh_run = runner.invoke(app, ["batch", str(folder), str(plain), "--db", fresh_url,
                                        "--no-progress", *analyzer_args(), "--narratives"])
        assert fresh_run.exit_code == 0, fresh_run.output
        fresh = open_database(fresh_url)
        try:
            assert _narrated(fresh) == narrated
        finally:
            fresh.dispose()

        # a third run has nothing to do
        third = runner.invoke(app, ["batch", str(folder), str(plain), *base, "--narratives"])
        assert third.exit_code == 0, third.output
        assert "narratives added (already stored) │ 0" in third.output
        assert "skipped (already stored)          │ 7" in third.output
        assert _stored(db) == after and _narrated(db) == narrated
        with db.engine.connect() as connection:
            added = list(connection.scalars(select(runs.c.narratives_added).order_by(runs.c.id)))
        assert added == [0, 4, 0]
    finally:
        db.dispose()


def test_adding_narratives_resumes_and_skips_what_has_them(tmp_path, db_url):  # noqa: F811
    from corpus_helpers import NARRATIVE_ARTICLES, narrative_spec

    from persuasion_lens.batch.work import AnalyzerSpec

    without = AnalyzerSpec(factory="corpus_helpers:fake_analyzer")
    rows = NARRATIVE_ARTICLES + article_rows(4)
    first_half = write_jsonl(tmp_path / "first.jsonl", rows[:4])
    everything = write_jsonl(tmp_path / "all.jsonl", rows)
    db = open_database(db_url)
    try:
        plain = run_batch([str(everything)], db, without, batch_size=3)
        assert (plain.analysed, plain.narratives_added) == (8, 0)
        before = _stored(db)
        # as if a run with --narratives had been stopped after the first articles
        part = run_batch([str(first_half)], db, narrative_spec(), batch_size=3)
        assert (part.analysed, part.narratives_added, part.skipped) == (0, 4, 0)
        seen = []
        rest = run_batch([str(everything)], db, narrative_spec(), batch_size=3,
                         progress=seen.append)
        assert (rest.analysed, rest.narratives_added, rest.skipped, rest.failed) == (0, 4, 4, 0)
        assert sum(seen) == 8 and rest.narratives
        assert _stored(db) == before
        assert {row[0] for row in _narrated(db)["narratives"]} == {
            row[0] for row in before["articles"]}
        assert counts(db)["narratives"] >= 8
    finally:
        db.dispose()


@pytest.mark.slow
def test_dask_adds_narratives_like_the_single_process_run(tmp_path, monkeypatch):
    pytest.importorskip("distributed")
    from corpus_helpers import narrative_spec

    from persuasion_lens.batch.executors import DaskExecutor
    from persuasion_lens.batch.work import AnalyzerSpec

    # Worker processes must import the test helpers (the fake technique model).
    monkeypatch.setenv("PYTHONPATH", subprocess_env()["PYTHONPATH"])
    folder, plain = _narrative_inputs(tmp_path)
    inputs = [str(folder), str(plain)]
    without = AnalyzerSpec(factory="corpus_helpers:fake_analyzer")
    databases = []
    for name in ("single", "dask"):
        db = open_database(f"sqlite:///{tmp_path / name}.db")
        run_batch(inputs, db, without, batch_size=3)
        databases.append(db)
    try:
        single, clustered = databases
        before = _stored(clustered)
        local = run_batch(inputs, single, narrative_spec(), batch_size=3)
        executor = DaskExecutor(narrative_spec(), address="local", workers=2)
        remote = run_batch(inputs, clustered, narrative_spec(), executor=executor,
                           batch_size=3)
        assert executor.worker_count == 2
        assert (remote.analysed, remote.narratives_added, remote.failed) == (0, 7, 0)
        assert (local.analysed, local.narratives_added) == (0, 7)
        assert _stored(clustered) == before
        assert _narrated(clustered) == _narrated(single)
        assert len({row[0] for row in _narrated(clustered)["narratives"]}) == 7
    finally:
        for db in databases:
            db.dispose()


def test_rows_with_unstorable_characters_are_stored_and_bad_fields_recorded(tmp_path,
                                                                             db_url):  # noqa: F811
    """A NUL (which PostgreSQL refuses) or a lone surrogate (which UTF-8 cannot encode) in a
    row used to abort the whole run; they are now replaced one character for one."""
    rows = article_rows(3)
    rows[0]["text"] = rows[0]["text"].replace("Headline", "Head\u0000line", 1)
    rows[1]["text"] = rows[1]["text"].replace("Headline", "Head\ud800line", 1)
    rows[1]["outlet"] = "Gotham\u0000Gazette"
    rows[2]["id"] = ["a", "list"]
    odd_language = dict(article_rows(1, start=7)[0], lang="xx")
    source = tmp_path / "odd.jsonl"
    with source.open("w", encoding="utf-8") as handle:
        for row in [*rows, odd_language]:
            handle.write(json.dumps(row) + "\n")  # json.dumps escapes NUL and the surrogate
    result = runner.invoke(app, ["batch", str(source), "--db", db_url, "--no-progress",
                                 *analyzer_args()])
    assert result.exit_code == 1, result.output
    db = open_database(db_url)
    try:
        with db.engine.connect() as connection:
            stored = {row.external_id: row.text for row in connection.execute(
                select(articles.c.external_id, articles.c.text))}
            outlets = set(connection.scalars(select(articles.c.outlet)))
        assert set(stored) == {"a0", "a1"}
        assert stored["a0"].startswith("Head\ufffdline") and "\x00" not in stored["a0"]
        assert stored["a1"].startswith("Head\ufffdline")
        assert "Gotham\ufffdGazette" in outlets
        reasons = {f["location"]: f["reason"] for f in list_failures(db)}
        assert reasons["line 3"] == "'id' must be text or a number"
        assert "'xx' is not a known language code" in reasons["line 4"]
    finally:
        db.dispose()


@pytest.mark.parametrize(("encoding", "header", "delimiter"), [
    ("latin-1", "id,text,outlet", ","),
    ("cp1251", "id,text,outlet", ","),
    ("utf-16", "id\ttext\toutlet", "\t"),  # a spreadsheet's "Unicode text" export
    ("utf-8", "id;text;outlet", ";"),  # spreadsheets in many locales separate by semicolons
])
def test_csv_encodings_and_delimiters_are_worked_out(tmp_path, encoding, header, delimiter):
    texts = {"latin-1": "Les élites corrompues mentent, évidemment. Quelle honte!",
             "cp1251": "Достаточно лжи от коррумпированных элит, предатели!",
             "utf-16": "Zażółć gęślą jaźń — Достаточно лжи!",
             "utf-8": "Les élites corrompues mentent; évidemment."}
    text = texts[encoding]
    path = tmp_path / "corpus.csv"
    path.write_text(f'{header}\n1{delimiter}"{text}"{delimiter}Daily Planet\n', encoding=encoding)
    items = list(read_inputs([str(path)]))
    assert [type(item) for item in items] == [Record]
    assert items[0].text == text and items[0].outlet == "Daily Planet"
    from persuasion_lens.batch.readers import count_inputs

    assert count_inputs([str(path)]) == 1


def test_a_failure_is_recorded_once_and_cleared_when_the_input_is_fixed(tmp_path, monkeypatch,
                                                                        db_url):  # noqa: F811
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "good.txt").write_text(article_text(1), encoding="utf-8")
    (folder / "later.txt").write_text("", encoding="utf-8")
    table = write_jsonl(tmp_path / "rows.jsonl", [{"id": "r1", "text": " "}])
    monkeypatch.chdir(tmp_path)
    for spelling in ("corpus", str(folder), "./corpus/"):  # one folder, named three ways
        runner.invoke(app, ["batch", spelling, "rows.jsonl", "--db", db_url, "--no-progress",
                            *analyzer_args()])
    db = open_database(db_url)
    try:
        places = sorted((f["source"], f["location"]) for f in list_failures(db))
        assert places == [(str((folder / "later.txt").resolve()), ""),
                          (str(table.resolve()), "line 1")]
        (folder / "later.txt").write_text(article_text(2), encoding="utf-8")
        write_jsonl(table, [{"id": "r1", "text": article_text(3)}])
        fixed = runner.invoke(app, ["batch", "corpus", str(table), "--db", db_url,
                                    "--no-progress", *analyzer_args()])
        assert fixed.exit_code == 0, fixed.output
        assert list_failures(db) == [] and counts(db)["articles"] == 3
    finally:
        db.dispose()


def test_a_whole_input_failure_is_cleared_once_rows_of_it_are_stored(tmp_path,
                                                                     db_url):  # noqa: F811
    table = tmp_path / "fix.csv"
    table.write_text(f"id,body\na1,{article_text(1).replace(chr(10), ' ')}\n", encoding="utf-8")
    folder = tmp_path / "empty"
    folder.mkdir()
    batch = ["batch", str(table), str(folder), "--db", db_url, "--no-progress", *analyzer_args()]
    first = runner.invoke(app, batch)
    assert first.exit_code == 1, first.output
    db = open_database(db_url)
    try:
        assert sorted((f["source"], f["location"]) for f in list_failures(db)) == [
            (str(folder.resolve()), ""), (str(table.resolve()), "")]
        (folder / "one.txt").write_text(article_text(2), encoding="utf-8")
        fixed = runner.invoke(app, [*batch, "--text-column", "body"])
        assert fixed.exit_code == 0, fixed.output
        assert list_failures(db) == [] and counts(db)["articles"] == 2
    finally:
        db.dispose()
    report = runner.invoke(app, ["report", "--db", db_url, "-o", str(tmp_path / "r.html")])
    assert report.exit_code == 0, report.output
    assert "<b>0</b>Failed inputs" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_a_file_failure_is_cleared_by_a_run_that_finds_all_its_rows_stored(tmp_path,
                                                                         db_url):  # noqa: F811
    """A run that stored nothing cleared nothing: a table stored whole by one run, then failed
    by a run with the wrong --text-column, stayed a failure when read right again."""
    table = tmp_path / "stored.csv"
    table.write_text(f"id,text\na1,{article_text(1).replace(chr(10), ' ')}\n", encoding="utf-8")
    batch = ["batch", str(table), "--db", db_url, "--no-progress", *analyzer_args()]
    assert runner.invoke(app, batch).exit_code == 0
    assert runner.invoke(app, [*batch, "--text-column", "body"]).exit_code == 1
    db = open_database(db_url)
    try:
        assert [f["source"] for f in list_failures(db)] == [str(table.resolve())]
        again = runner.invoke(app, batch)
        assert again.exit_code == 0, again.output
        assert list_failures(db) == [] and counts(db)["articles"] == 1
    finally:
        db.dispose()


RUSSIAN_ARTICLE = ("Позор власти\n\nЭти предатели продали родину, и это настоящая катастрофа "
                   "для всей страны. Чиновники в Москве снова обещают народу светлое будущее, "
                   "но цены растут каждый день, а зарплаты остаются прежними.")


def test_rows_plainly_in_another_language_than_given_are_counted_and_warned(tmp_path):
    """A lang column (or --lang) that a row's text plainly is not went unsaid; each such
    article is warned about, and the summary counts them and names the first few."""
    rows = [{"id": f"r{n}", "text": RUSSIAN_ARTICLE + f" Номер {n}.", "lang": "de"}
            for n in range(7)]
    rows += [{"id": "given-by-flag", "text": RUSSIAN_ARTICLE},
             {"id": "right", "text": RUSSIAN_ARTICLE + " Правда.", "lang": "ru"}]
    path = write_jsonl(tmp_path / "in.jsonl", rows)
    db_path = f"sqlite:///{tmp_path}/lang.db"
    result = runner.invoke(app, ["batch", str(path), "--db", db_path, "--lang", "it",
                                 "--no-progress", "--analyzer-factory",
                                 "corpus_helpers:fake_analyzer"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert ("8 article(s) plainly in another language than their lang column or --lang says: "
            "r0 (Russian, not German), r1 (Russian, not German)") in said
    assert "and 3 more; analysed as given all the same" in said
    db = open_database(db_path)
    try:
        with db.engine.connect() as connection:
            warned = dict(connection.execute(
                select(articles.c.external_id, articles.c.warnings)).all())
    finally:
        db.dispose()
    assert [w for w in warned["r0"] if "looks" in w] == [
        "the text looks Russian, not German as its lang column says; analysed as German all "
        "the same"]
    assert [w for w in warned["given-by-flag"] if "looks" in w] == [
        "the text looks Russian, not Italian as --lang says; analysed as Italian all the same"]
    assert not [w for w in warned["right"] if "looks" in w]


def test_the_lemma_dictionaries_of_the_first_batch_load_before_the_analysis(tmp_path,
                                                                             monkeypatch):
    """The first batch spent 6-12 s loading simplemma's dictionaries, one language at a time,
    counted as analysis: a short run's rate looked half the steady one. They are loaded with
    the models now, each run phase said, and the summary says which rate it gives."""
    from persuasion_lens.text import lemmas

    loaded = []

    class SlowDictionaries:
        def get_dictionary(self, language):
            time.sleep(0.3)
            loaded.append(language)
            return {}

    monkeypatch.setattr(lemmas, "_dictionaries", SlowDictionaries)
    rows = article_rows(3)
    for row, language in zip(rows, ("de", "pl", "es"), strict=True):
        row["lang"] = language  # es: the models lemmatise no Spanish
    path = write_jsonl(tmp_path / "in.jsonl", rows)
    said = []
    db = open_database(f"sqlite:///{tmp_path}/lemmas.db")
    try:
        summary = run_batch([str(path)], db, AnalyzerSpec(factory="corpus_helpers:fake_analyzer"),
                            status=said.append)
    finally:
        db.dispose()
    assert loaded == summary.lemma_languages == ["de", "pl"]
    assert said == ["loading models", "loading lemma dictionaries", "analysing"]
    assert summary.startup_seconds >= 0.6 and summary.analysed == 3
    result = runner.invoke(app, ["batch", str(path), "--db", f"sqlite:///{tmp_path}/cli.db",
                                 "--no-progress", "--analyzer-factory",
                                 "corpus_helpers:fake_analyzer"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.replace("│", " ").split())
    assert "(loading models and lemma dictionaries (de, pl):" in said
    assert "articles/s (analysis, loading left out)" in said


def test_an_edited_article_is_kept_in_both_versions_and_the_run_says_so(tmp_path):
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "b.txt").write_text(article_text(4), encoding="utf-8")
    (folder / "c.txt").write_text(article_text(5), encoding="utf-8")
    command = ["batch", str(folder), "--db", f"sqlite:///{tmp_path / 'c.db'}", "--no-progress",
               *analyzer_args()]
    first = runner.invoke(app, command)
    assert first.exit_code == 0 and "edited" not in first.output
    (folder / "b.txt").write_text(article_text(4) + "\n\nA paragraph added later.",
                                  encoding="utf-8")
    second = runner.invoke(app, command)
    assert second.exit_code == 0, second.output
    assert "1 article(s) stored whose id was stored before with another text" in second.output
    assert ": b;" in second.output
    db = open_database(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        assert counts(db)["articles"] == 3
    finally:
        db.dispose()


def test_an_edited_article_in_the_same_run_is_warned_about(tmp_path):
    """Both versions of an id in one batch (--batch-size 100), or in batches read before the
    first is stored (--dask local), were stored without the warning: only the database was
    asked, when each batch was made."""
    rows = [{"id": "x", "text": article_text(1)}, {"id": "y", "text": article_text(2)},
            {"id": "x", "text": article_text(1) + "\n\nA paragraph added later."}]
    path = write_jsonl(tmp_path / "in.jsonl", rows)
    result = runner.invoke(app, ["batch", str(path), "--db", f"sqlite:///{tmp_path / 'c.db'}",
                                 "--no-progress", "--batch-size", "100", *analyzer_args()])
    assert result.exit_code == 0, result.output
    assert "1 article(s) stored whose id was stored before with another text" in result.output
    db = open_database(f"sqlite:///{tmp_path / 'd.db'}")
    try:
        summary = run_batch([str(path)], db, executor=_ReadsAhead(), batch_size=1)
    finally:
        db.dispose()
    assert (summary.analysed, summary.new_versions, summary.new_version_ids) == (3, 1, ["x"])


class _ReadsAhead:
    """A local executor that makes every batch before storing the first, as Dask makes a few
    (for each worker thread) before the first comes back."""

    name = "local"

    def __init__(self):
        from persuasion_lens.batch.executors import LocalExecutor

        self.inner = LocalExecutor(analyzer_spec())
        self.spec = self.inner.spec

    def start(self):
        return self.inner.start()

    def map(self, jobs):
        return self.inner.map(iter(list(jobs)))

    def close(self):
        pass


def test_rate_of_long_articles_is_given_per_article():
    from persuasion_lens.cli.corpus import rate_text

    assert rate_text(12.34) == "12.3 articles/s"
    assert rate_text(1 / 36) == "36 s per article"  # was "0.0 articles/s"
    assert rate_text(0.0) == "0.0 articles/s"


class _StopsAfterFirstBatch:
    """A local executor that is interrupted (Ctrl-C) after its first batch, or, with
    `on_close`, only while closing after all the work is done."""

    name = "local"

    def __init__(self, on_close: bool = False):
        from persuasion_lens.batch.executors import LocalExecutor

        self.inner = LocalExecutor(analyzer_spec())
        self.spec = self.inner.spec
        self.on_close = on_close

    def start(self):
        return self.inner.start()

    def map(self, jobs):
        for number, answer in enumerate(self.inner.map(jobs)):
            if number == 1 and not self.on_close:
                raise KeyboardInterrupt
            yield answer

    def close(self):
        if self.on_close:
            raise KeyboardInterrupt


def test_an_interrupted_run_keeps_its_counts_and_a_late_ctrl_c_loses_nothing(tmp_path):
    from persuasion_lens.storage.schema import runs

    path = write_jsonl(tmp_path / "in.jsonl", article_rows(12))
    db = open_database(f"sqlite:///{tmp_path}/run.db")
    with pytest.raises(KeyboardInterrupt):
        run_batch([str(path)], db, executor=_StopsAfterFirstBatch(), batch_size=4)
    with db.engine.connect() as connection:
        analysed, finished = connection.execute(select(runs.c.analysed, runs.c.finished_at)).one()
    assert analysed == counts(db)["articles"] == 4 and finished is None  # was 0 of 4
    summary = run_batch([str(path)], db, executor=_StopsAfterFirstBatch(on_close=True),
                        batch_size=4)
    assert summary.analysed == 8 and summary.skipped == 4 and not summary.interrupted
    assert counts(db)["articles"] == 12
    db.dispose()


def test_a_ctrl_c_while_a_batch_is_written_lets_the_write_finish(tmp_path, monkeypatch):
    """Caught inside the SQLite driver, a Ctrl-C left the batch's write transaction open: the
    run's counts then waited a minute for the lock and failed with a traceback (seen with
    --dask local). The Ctrl-C is now held until the batch is stored, then raised."""
    from persuasion_lens.batch import runner as batch_runner
    from persuasion_lens.storage.schema import runs

    stored_by_the_store = batch_runner.store_results

    def ctrl_c_then_store(*arguments, **keywords):
        os.kill(os.getpid(), signal.SIGINT)  # as a terminal sends it, while the batch is stored
        return stored_by_the_store(*arguments, **keywords)

    monkeypatch.setattr(batch_runner, "store_results", ctrl_c_then_store)
    path = write_jsonl(tmp_path / "in.jsonl", article_rows(8))
    db = open_database(f"sqlite:///{tmp_path}/run.db")
    began = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run_batch([str(path)], db, batch_size=4)
    with db.engine.connect() as connection:
        analysed, finished = connection.execute(select(runs.c.analysed, runs.c.finished_at)).one()
    assert analysed == counts(db)["articles"] == 4 and finished is None  # the batch is whole
    assert time.monotonic() - began < 30  # nothing waited for a lock
    db.dispose()


def test_ctrl_c_in_the_command_says_so_once_and_exits_130(tmp_path):
    rows = article_rows(6)
    rows[5]["text"] += "\n\nThe user pressed ctrl-c here."
    path = write_jsonl(tmp_path / "in.jsonl", rows)
    result = runner.invoke(app, ["batch", str(path), "--db", f"sqlite:///{tmp_path}/c.db",
                                 "--batch-size", "2", "--analyzer-factory",
                                 "corpus_helpers:interrupted_analyzer"])
    assert result.exit_code == 130
    assert result.output.count("interrupted") == 1  # the command's message, not twice
    said = " ".join(result.output.split())
    assert "everything committed so far is kept" in said
    # and what this run stored: the batches before the one with "ctrl-c" (it said nothing)
    assert ("this run analysed and stored 4 articles, skipped 0 (already stored), 0 failed"
            in said), said


def test_an_empty_input_is_an_error_and_creates_no_database(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    result = runner.invoke(app, ["batch", str(empty), "--db", f"sqlite:///{tmp_path}/e.db"])
    assert result.exit_code == 2 and "the inputs hold no articles" in result.output
    assert not (tmp_path / "e.db").exists()


def test_a_query_without_words_says_so(tmp_path):
    db = f"sqlite:///{tmp_path}/s.db"
    path = write_jsonl(tmp_path / "in.jsonl", article_rows(2))
    runner.invoke(app, ["batch", str(path), "--db", db, "--analyzer-factory",
                        "corpus_helpers:fake_analyzer"])
    result = runner.invoke(app, ["search", "*", "--db", db])
    assert result.exit_code == 0 and "has no words to search for" in result.output


# --- metadata corrected in the input, and what the summary and the bar say --------------------


def _metadata(db) -> dict:
    with db.engine.connect() as connection:
        return {row.external_id: (row.id, row.title, row.outlet, row.url,
                                  str(row.published) if row.published else None)
                for row in connection.execute(select(articles))}


def _corrected(rows: list[dict]) -> list[dict]:
    """The rows with a1's outlet, a2's date, a3's url and a4's title corrected (the title is
    the start of the text, so the text the models read is the same)."""
    rows = [dict(row) for row in rows]
    rows[1]["outlet"] = "Corrected Outlet"
    rows[2]["published"] = "2021-06-30"
    rows[3]["url"] = "https://example.org/moved"
    rows[4]["title"] = "Headline number 4:"
    return rows


@pytest.mark.parametrize("dask", [False, True], ids=["local", "dask"])
def test_corrected_metadata_updates_the_stored_article_in_place(tmp_path, db_url, dask,  # noqa: F811
                                                                monkeypatch):
    """An outlet, date, url or title corrected in the input was ignored on the next run: the
    article (same id, same text) counted as already stored and kept its old values, and the
    report, search and export went on showing them. Now they are updated in place, nothing
    analysed again, and the summary names them."""
    from persuasion_lens.batch.executors import DaskExecutor
    from persuasion_lens.storage.queries import Filters, export_rows, stats

    if dask:
        pytest.importorskip("distributed")
        monkeypatch.setenv("PYTHONPATH", subprocess_env()["PYTHONPATH"])
    path = write_jsonl(tmp_path / "feed.jsonl", article_rows(6))
    db = open_database(db_url)
    try:
        run_batch([str(path)], db, analyzer_spec(), batch_size=4)
        before, stored_before = _metadata(db), counts(db)
        write_jsonl(path, _corrected(article_rows(6)))
        executor = (DaskExecutor(analyzer_spec(), address="local", workers=1) if dask
                    else None)
        summary = run_batch([str(path)], db, analyzer_spec(), executor=executor, batch_size=4)
        assert (summary.analysed, summary.skipped, summary.metadata_updated) == (0, 6, 4)
        assert summary.metadata_updated_ids == ["a1 (outlet)", "a2 (published)", "a3 (url)",
                                                "a4 (title)"]
        after = _metadata(db)
        assert after["a1"][2] == "Corrected Outlet" and after["a2"][4] == "2021-06-30"
        assert after["a3"][3] == "https://example.org/moved"
        assert after["a4"][1] == "Headline number 4:"
        assert {k: v for k, v in after.items() if k not in ("a1", "a2", "a3", "a4")} == {
            k: v for k, v in before.items() if k not in ("a1", "a2", "a3", "a4")}
        assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}
        assert counts(db) == stored_before  # nothing analysed or stored again
        outlets = {row["outlet"] for row in stats(db)["by_outlet"]}
        assert "Corrected Outlet" in outlets
        exported = {row["outlet"] for row in export_rows(db, Filters(outlet="Corrected Outlet"))}
        assert exported == {"Corrected Outlet"}
        with db.engine.connect() as connection:
            assert list(connection.scalars(select(runs.c.metadata_updated)
                                           .order_by(runs.c.id))) == [0, 4]
        again = run_batch([str(path)], db, analyzer_spec(), batch_size=4)
        assert (again.skipped, again.metadata_updated) == (6, 0)
    finally:
        db.dispose()


def test_an_input_of_fewer_columns_erases_no_stored_metadata(tmp_path, db_url):  # noqa: F811
    """The same articles read again from an export without outlets, dates and titles: what
    was stored stays, and nothing counts as updated."""
    rows = article_rows(6)
    path = write_jsonl(tmp_path / "feed.jsonl", rows)
    db = open_database(db_url)
    try:
        run_batch([str(path)], db, analyzer_spec(), batch_size=4)
        before = _metadata(db)
        assert any(value[2] for value in before.values())  # outlets were stored
        bare = write_jsonl(tmp_path / "bare.jsonl",
                           [{"id": row["id"], "text": row["text"]} for row in rows])
        summary = run_batch([str(bare)], db, analyzer_spec(), batch_size=4)
        assert (summary.skipped, summary.metadata_updated) == (6, 0)
        assert _metadata(db) == before
    finally:
        db.dispose()


def test_the_summary_says_which_articles_had_their_metadata_updated(tmp_path):
    path = write_jsonl(tmp_path / "feed.jsonl", article_rows(6))
    command = ["batch", str(path), "--db", f"sqlite:///{tmp_path / 'c.db'}", "--no-progress",
               *analyzer_args()]
    assert runner.invoke(app, command).exit_code == 0
    write_jsonl(path, _corrected(article_rows(6)))
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.replace("│", " ").split())
    assert "of them, metadata updated 4" in said
    assert ("4 stored article(s) updated in place, their input now giving another title, "
            "outlet, url or published date: a1 (outlet), a2 (published), a3 (url), "
            "a4 (title) (not analysed again") in said
    again = runner.invoke(app, command)
    assert "updated in place" not in again.output and "metadata updated" not in again.output


def test_the_same_text_under_another_place_keeps_its_metadata(tmp_path):
    """Rows without ids are their text alone: the same text in a second feed (a wire story
    two outlets carry) is the article stored, and its outlet is not flipped to the other's."""
    rows = [{"text": article_text(1), "outlet": "First"}]
    first = write_jsonl(tmp_path / "one.jsonl", rows)
    second = write_jsonl(tmp_path / "two.jsonl", [{**rows[0], "outlet": "Second"}])
    db = open_database(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        run_batch([str(first)], db, analyzer_spec())
        summary = run_batch([str(second)], db, analyzer_spec())
        assert (summary.skipped, summary.metadata_updated) == (1, 0)
        assert [value[2] for value in _metadata(db).values()] == ["First"]
        write_jsonl(first, [{**rows[0], "outlet": "First, corrected"}])
        assert run_batch([str(first)], db, analyzer_spec()).metadata_updated == 1
        assert [value[2] for value in _metadata(db).values()] == ["First, corrected"]
    finally:
        db.dispose()


def test_a_run_that_analysed_nothing_gives_no_rate(tmp_path):
    """It printed the bar's speed of articles found stored, "115.4 articles/s"."""
    path = write_jsonl(tmp_path / "feed.jsonl", article_rows(40))
    db = f"sqlite:///{tmp_path / 'c.db'}"
    fake = ["--analyzer-factory", "corpus_helpers:fake_analyzer"]
    subprocess.run([*PLENS, "batch", str(path), "--db", db, "--no-progress", *fake],
                   check=True, capture_output=True, env=subprocess_env(), timeout=120)
    again = subprocess.run([*PLENS, "batch", str(path), "--db", db, *fake],
                           capture_output=True, text=True, env=subprocess_env(), timeout=120)
    assert again.returncode == 0, again.stderr
    said = " ".join((again.stdout + again.stderr).replace("│", " ").split())
    assert "rate – (nothing analysed)" in said
    assert "40/40 none analysed" in said and "articles/s" not in said


def test_after_a_ctrl_c_the_progress_counts_what_the_summary_counts(tmp_path, monkeypatch):
    """The Ctrl-C held while a batch was stored was raised before the bar advanced: it showed
    16/200 where the summary said 32 stored."""
    from persuasion_lens.batch import runner as batch_runner

    stored_by_the_store = batch_runner.store_results
    calls = []

    def ctrl_c_at_the_second_batch(*arguments, **keywords):
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return stored_by_the_store(*arguments, **keywords)

    monkeypatch.setattr(batch_runner, "store_results", ctrl_c_at_the_second_batch)
    path = write_jsonl(tmp_path / "in.jsonl", article_rows(12), extra_lines=("{broken",))
    db = open_database(f"sqlite:///{tmp_path}/run.db")
    shown, worked = [], []
    try:
        with pytest.raises(KeyboardInterrupt) as interrupted:
            run_batch([str(path)], db, analyzer_spec(), batch_size=4, progress=shown.append,
                      worked=worked.append)
        summary = interrupted.value.summary
        assert summary.analysed == 8 == counts(db)["articles"]
        assert sum(shown) == summary.analysed + summary.skipped + summary.failed == 8
        assert sum(worked) == 8
    finally:
        db.dispose()


def test_a_role_at_odds_with_the_side_is_kept_in_the_corpus(tmp_path, db_url, seed_example,  # noqa: F811
                                                            narrative_analyzer):
    """`plens analyze` flags the worked example's Russia 'at odds with the side taken'; the
    corpus article page read it back without the flag, which was not stored."""
    from persuasion_lens.storage.queries import load_article
    from persuasion_lens.storage.schema import articles

    text = seed_example.read_text(encoding="utf-8")
    analysed = narrative_analyzer.analyze_text(text).to_dict()
    flagged = {e["entity"] for e in analysed["entities"] if e["at_odds_with_side"]}
    assert "Russia" in flagged
    path = write_jsonl(tmp_path / "feed.jsonl", [{"id": "putin-kim", "text": text}])
    db = open_database(db_url)
    try:
        run_batch([str(path)], db, narrative_spec(), batch_size=4)
        with db.engine.connect() as connection:
            article_id = connection.scalar(select(articles.c.id))
        _, result = load_article(db, article_id)
    finally:
        db.dispose()
    assert {e["entity"] for e in result.extra["entities"] if e["at_odds_with_side"]} == flagged
    assert not all(e["at_odds_with_side"] for e in result.extra["entities"])
