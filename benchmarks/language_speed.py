"""Technique prediction speed per language: the default detector on each language's validation
paragraphs, one language at a time, in batches of 64 documents, best of 3, one core (BLAS and
OpenMP threads pinned to 1 and, where possible, the process to one CPU).

Usage: python benchmarks/language_speed.py [--data-dir ../shared/data] [--model PATH_OR_NAME]
       [--languages en,fr,de,it,pl,ru]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

sys.path.insert(0, str(Path(__file__).parent))
from _articles import DEFAULT_DATA  # noqa: E402

BATCH = 64


def paragraphs_per_second(detector, documents: list, repeats: int = 3) -> tuple[float, float]:
    """(first pass, with the language's word caches cold; best of the repeats)."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        for begin in range(0, len(documents), BATCH):
            detector.predict_proba(documents[begin:begin + BATCH])
        timings.append(time.perf_counter() - started)
    n_paragraphs = sum(len(d.paragraphs) for d in documents)
    return n_paragraphs / timings[0], n_paragraphs / min(timings)


def main() -> None:
    from persuasion_lens.data.semeval2023 import load_technique_articles
    from persuasion_lens.models import registry

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--model", default=None, help="a model folder or name; the default model "
                        "when left out")
    parser.add_argument("--languages", default="en,fr,de,it,pl,ru")
    args = parser.parse_args()
    detector = registry.technique_detector(args.model)
    languages = args.languages.split(",")
    articles = [a for a in load_technique_articles(args.data_dir, languages)
                if a.split == "validation"]
    for language in languages:
        documents = [a.document for a in articles if a.language == language]
        first, best = paragraphs_per_second(detector, documents)
        print(f"{language}: {sum(len(d.paragraphs) for d in documents)} paragraphs, "
              f"{best:,.0f} paragraphs/s (first pass {first:,.0f})", flush=True)
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")


if __name__ == "__main__":
    main()
