"""Speed of `plens semeval st3` on the unlabelled SemEval test paragraphs (nine languages).

Prints model load time, paragraphs per second after loading (one core: BLAS/OpenMP threads are
pinned to 1 and, where possible, the process to one CPU), and peak memory. Also times the whole
command end to end. Usage: python benchmarks/st3_speed.py [--data-dir ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

sys.path.insert(0, str(Path(__file__).parent))
from _articles import DEFAULT_DATA, write_article_folder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", default=None,
                        help="technique model (default: the shipped default, i.e. the linear "
                             "detector + the static English member; 'linear': without it)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "articles"
        n_paragraphs = write_article_folder(folder, args.data_dir)
        from persuasion_lens.cli.semeval import read_article_folder

        started = time.perf_counter()
        documents = read_article_folder(folder).documents
        detect_seconds = time.perf_counter() - started

        started = time.perf_counter()
        from persuasion_lens.models.registry import technique_detector

        detector = technique_detector(args.model)
        load_seconds = time.perf_counter() - started

        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            for first in range(0, len(documents), 64):
                detector.predict_proba(documents[first : first + 64])
            timings.append(time.perf_counter() - started)
        best = min(timings)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        span_seconds = _span_overhead(detector, documents)
        cold_load = _cold_load_seconds(args.model)

        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "persuasion_lens",
                "semeval",
                "st3",
                str(folder),
                "-o",
                str(Path(tmp) / "pred.txt"),
                *(["--model", args.model] if args.model else []),
            ],
            check=True,
            capture_output=True,
        )
        command_seconds = time.perf_counter() - started

    print(f"articles: {len(documents)}, paragraphs: {n_paragraphs}")
    print(f"model load: {load_seconds:.2f} s in this process, {cold_load:.2f} s in a fresh "
          "process including imports")
    print(f"reading and language detection: {len(documents) / detect_seconds:.0f} articles/s")
    print(
        f"technique prediction (1 core, best of {args.repeat}): "
        f"{n_paragraphs / best:.0f} paragraphs/s; first pass, word caches cold: "
        f"{n_paragraphs / timings[0]:.0f} paragraphs/s"
    )
    print(f"peak memory (benchmark process): {peak_mb:.0f} MB")
    print(f"span detection for the decided techniques: {span_seconds:.2f} s, "
          f"+{span_seconds / best:.0%} on top of technique prediction")
    print(
        f"whole `plens semeval st3` command: {command_seconds:.1f} s "
        f"({n_paragraphs / command_seconds:.0f} paragraphs/s incl. start-up and detection)"
    )


def _span_overhead(detector, documents) -> float:
    """Seconds the span model needs to place every decided technique of every document."""
    from persuasion_lens.models.spans import load_default_span_detector

    spans = load_default_span_detector()
    decided = []
    for document, probabilities in zip(documents, detector.predict_proba(documents), strict=True):
        thresholds = detector.thresholds_for(document.language)
        decided.append([
            [(name, float(p)) for name, p, t in zip(detector.techniques, row, thresholds,
                                                     strict=True) if p >= t]
            for row in probabilities
        ])
    first_of_language = {}
    for document, given in zip(documents, decided, strict=True):
        first_of_language.setdefault(document.language, (document, given))
    for document, given in first_of_language.values():
        spans.locate(document, given)  # warm up: the lemmatiser loads a dictionary per language
    started = time.perf_counter()
    for document, given in zip(documents, decided, strict=True):
        spans.locate(document, given)
    return time.perf_counter() - started


def _cold_load_seconds(model: str | None) -> float:
    code = ("import time; t = time.perf_counter(); "
            "from persuasion_lens.models.registry import technique_detector; "
            f"technique_detector({model!r}); print(time.perf_counter() - t)")
    result = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                            text=True)
    return float(result.stdout.strip())


if __name__ == "__main__":
    main()
