"""Throughput of `plens batch`: articles per second, single process vs a Dask LocalCluster with
2 workers, on SQLite and (when a URL is given) PostgreSQL, plus database size per 1,000 articles.

Input: the 457 SemEval-2023 Task 3 test articles (../shared/data/semeval2023-task3/
test-unlabelled/*.template, `<ID>\\t<line>\\t<text>`), turned into one JSON Lines file.

    python benchmarks/batch_throughput.py [--pg postgresql://...] [--workers 2] [--narratives]

PostgreSQL is used when --pg or PLENS_TEST_POSTGRES_URL is set; each run gets a fresh schema
that is dropped afterwards. Prints numbers; this is not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

from persuasion_lens.batch import AnalyzerSpec, run_batch
from persuasion_lens.batch.executors import DaskExecutor, LocalExecutor
from persuasion_lens.storage import normalise_url, open_database
from persuasion_lens.text.languages import SEMEVAL_TO_ISO

DEFAULT_TEMPLATES = (Path(__file__).resolve().parents[2] / "shared" / "data"
                     / "semeval2023-task3" / "test-unlabelled")


def templates_to_jsonl(folder: Path, output: Path) -> int:
    """Group `<ID>\\t<line>\\t<text>` rows into articles (line 1 is the title)."""
    count = 0
    with output.open("w", encoding="utf-8") as handle:
        for template in sorted(folder.glob("*.template")):
            semeval_lang = template.stem
            lines: dict[str, dict[int, str]] = defaultdict(dict)
            for raw in template.read_text(encoding="utf-8").splitlines():
                parts = raw.split("\t", 2)
                if len(parts) < 3 or not parts[1].strip().isdigit():
                    continue
                lines[parts[0]][int(parts[1])] = parts[2]
            for article_id, numbered in lines.items():
                last = max(numbered)
                text = "\n".join(numbered.get(n, "") for n in range(1, last + 1))
                row = {"id": f"{semeval_lang}-{article_id}", "text": text,
                       "lang": SEMEVAL_TO_ISO.get(semeval_lang, semeval_lang),
                       "outlet": f"semeval-{semeval_lang}"}
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
    return count


def _fresh_pg(url: str):
    import sqlalchemy as sa

    schema = "plens_bench_" + uuid.uuid4().hex[:8]
    admin = sa.create_engine(normalise_url(url))
    with admin.begin() as connection:
        connection.execute(sa.text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in url else "?"

    def size() -> int:
        with admin.connect() as connection:
            return int(connection.execute(sa.text(
                "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :s AND c.relkind = 'r'"), {"s": schema}).scalar())

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()

    return f"{url}{separator}options=-csearch_path%3D{schema}", size, drop


def _sqlite_size(path: Path) -> int:
    import sqlite3

    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def run_one(jsonl: Path, workdir: Path, backend: str, mode: str, spec: AnalyzerSpec,
            workers: int, pg_url: str | None, batch_size: int) -> dict:
    if backend == "sqlite":
        db_path = workdir / f"{mode}-{uuid.uuid4().hex[:6]}.db"
        url, size, drop = f"sqlite:///{db_path}", (lambda: _sqlite_size(db_path)), (lambda: None)
    else:
        url, size, drop = _fresh_pg(pg_url)
    try:
        db = open_database(url)
        executor = (DaskExecutor(spec, "local", workers=workers) if mode == "dask"
                    else LocalExecutor(spec))
        started = time.perf_counter()
        summary = run_batch([str(jsonl)], db, spec, executor=executor, batch_size=batch_size)
        wall = time.perf_counter() - started
        db.dispose()
        bytes_used = size()
    finally:
        drop()
    return {"backend": backend, "mode": mode, "analysed": summary.analysed,
            "failed": summary.failed, "wall_s": wall,
            "articles_per_s": summary.analysed / wall if wall else 0.0,
            "mb_per_1000": bytes_used / 1e6 / max(summary.analysed, 1) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=Path, default=DEFAULT_TEMPLATES)
    parser.add_argument("--pg", default=os.environ.get("PLENS_TEST_POSTGRES_URL"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--modes", default="single,dask")
    parser.add_argument("--analyzer-factory", default=None,
                        help="module:function returning an Analyzer (default: shipped models)")
    parser.add_argument("--narratives", action="store_true",
                        help="also run and store narratives and entity roles (batch --narratives)")
    args = parser.parse_args()
    if not args.templates.is_dir():
        sys.exit(f"{args.templates}: no such folder (the SemEval test templates)")
    spec = AnalyzerSpec(factory=args.analyzer_factory, narratives=args.narratives)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        jsonl = workdir / "semeval-test.jsonl"
        count = templates_to_jsonl(args.templates, jsonl)
        print(f"{count} articles from {args.templates}")
        backends = ["sqlite"] + (["postgresql"] if args.pg else [])
        print(f"{'backend':<11} {'mode':<7} {'articles':>8} {'failed':>6} {'seconds':>8} "
              f"{'articles/s':>10} {'MB/1000 articles':>17}")
        for backend in backends:
            for mode in args.modes.split(","):
                row = run_one(jsonl, workdir, backend, mode, spec, args.workers, args.pg,
                              args.batch_size)
                print(f"{row['backend']:<11} {row['mode']:<7} {row['analysed']:>8} "
                      f"{row['failed']:>6} {row['wall_s']:>8.1f} {row['articles_per_s']:>10.1f} "
                      f"{row['mb_per_1000']:>17.1f}", flush=True)
        print("seconds include loading the models (and starting the cluster for dask).")


if __name__ == "__main__":
    main()
