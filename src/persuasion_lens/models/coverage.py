"""Which techniques the shipped detector practically never reports, per language.

A technique the model almost never decides is a blind spot: its absence from a report says
nothing about the article. Those are measured by running the default detector over the official
*unlabelled* test paragraphs of each language (no labels are read, and nothing was tuned on
them) and counting, per technique, the paragraphs where it passes its threshold. The counts are
stored with the version of the detector they were measured for (`artifacts/coverage.json`); a
different model (`--model`) has no such list.

Regenerate after retraining: ``python -m persuasion_lens.models.coverage [--data-dir DIR]``.
"""

from __future__ import annotations

import argparse
import functools
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

COVERAGE_FILE = Path(__file__).parent / "artifacts" / "coverage.json"
# rarely reported: decided in fewer than this many paragraphs per 1,000
RARE_PER_THOUSAND = 2.0


def measure(detector: Any, data_dir: str | Path | None = None) -> dict[str, Any]:
    """Per language of the unlabelled test set: paragraphs, and paragraphs decided per
    technique."""
    from persuasion_lens.data.semeval2023 import load_unlabelled_test
    from persuasion_lens.text.documents import Document

    languages: dict[str, Any] = {}
    for language, rows in sorted(load_unlabelled_test(data_dir).items()):
        by_article: dict[str, dict[int, str]] = defaultdict(dict)
        for article, line, text in rows:
            by_article[article][line] = text
        documents = [Document.from_text("\n\n".join(lines[n] for n in sorted(lines)),
                                        language=language, doc_id=article)
                     for article, lines in sorted(by_article.items())]
        thresholds = detector.thresholds_for(language)
        decided = [0] * len(detector.techniques)
        for probabilities in detector.predict_proba(documents):
            for k, count in enumerate((probabilities >= thresholds).sum(axis=0)):
                decided[k] += int(count)
        languages[language] = {
            "paragraphs": sum(len(d.paragraphs) for d in documents),
            "decided": dict(zip(detector.techniques, decided, strict=True)),
        }
    return {"technique_model": detector.version, "rare_per_thousand": RARE_PER_THOUSAND,
            "measured_on": "SemEval-2023 Task 3 unlabelled test paragraphs", "languages": languages}


@functools.lru_cache(maxsize=1)
def _stored() -> dict[str, Any]:
    try:
        return json.loads(COVERAGE_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def rarely_reported(technique_model: str, language: str | None) -> list[str] | None:
    """The techniques this detector decided in fewer than RARE_PER_THOUSAND paragraphs per
    1,000 of the language's test set, in taxonomy order; None when that was not measured (another
    model, a language without test paragraphs)."""
    coverage = _stored()
    if (coverage.get("technique_model") != technique_model
            or (language or "") not in coverage.get("languages", {})):
        return None
    return rarely_reported_from(coverage, language or "")


def rarely_reported_by_stored_model(model_version: str, language: str) -> list[str] | None:
    """`rarely_reported` for an article stored with the analyser's `model_version` (the
    detector's version, then '+' and the other models')."""
    measured_for = _stored().get("technique_model")
    if measured_for and model_version.startswith(f"{measured_for}+"):
        model_version = measured_for
    return rarely_reported(model_version, language)


def measure_and_store(data_dir: str | Path | None = None,
                      output: Path = COVERAGE_FILE) -> dict[str, Any]:
    """Measure the default detector (as installed now) and write the table to `output`."""
    from persuasion_lens.models.registry import technique_detector
    from persuasion_lens.models.techniques import load_default_detector

    load_default_detector.cache_clear()  # after a retraining in this process
    _stored.cache_clear()
    coverage = measure(technique_detector(), data_dir)
    output.write_text(json.dumps(coverage, indent=1) + "\n", encoding="utf-8")
    return coverage


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=None, help="data folder (default ../shared/data)")
    parser.add_argument("--output", type=Path, default=COVERAGE_FILE)
    args = parser.parse_args()
    coverage = measure_and_store(args.data_dir, args.output)
    for language, measured in coverage["languages"].items():
        print(f"{language}: {measured['paragraphs']} paragraphs; rarely reported: "
              f"{', '.join(rarely_reported_from(coverage, language)) or 'none'}")


def rarely_reported_from(coverage: dict[str, Any], language: str) -> list[str]:
    """`rarely_reported` from a coverage table (`measure`'s result)."""
    measured = coverage["languages"][language]
    limit = measured["paragraphs"] * coverage["rare_per_thousand"] / 1000
    return [name for name, count in measured["decided"].items() if count < limit]


if __name__ == "__main__":
    main()
