"""Language detection of short texts, as `plens analyze` and the API settle a text's language.

Word windows of 5, 10, 15, 25 and 50 words (half from paragraph starts, titles included, half
from the middle of a paragraph; a window runs on into the next paragraphs where one is short)
are cut, with a fixed seed, from the SemEval-2023 Task 3 training articles (en, fr, de, it, pl,
ru), the SemEval-2025 Task 10 raw documents (bg, en, hi, pt, ru) and, languages the product has
no model for, the SemEval-2023 unlabelled test articles in es, el and ka. Each goes through the
analyser's own language step (`Analyzer._prepare` on a document without a language: detection,
its fallback to English when nothing is found, and its warnings), so the numbers are what the
user gets. Whole documents are measured too (detection reads their first 5,000 characters).

Printed: accuracy per language and length, the share of texts that got a warning about their
language, which languages steal which, the time per detection and the memory the detector adds.

Usage: python benchmarks/short_text_language.py [--data-dir ../shared/data] [--per-language 300]
       [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _articles import DEFAULT_DATA, test_articles

LENGTHS = (5, 10, 15, 25, 50)
# language -> folders under the data directory (SemEval-2023 spells de 'ge' and pl 'po')
SOURCES = {
    "en": ["semeval2023-task3/en/train-articles-subtask-3", "semeval2025-task10/EN/raw-documents"],
    "fr": ["semeval2023-task3/fr/train-articles-subtask-3"],
    "de": ["semeval2023-task3/ge/train-articles-subtask-3"],
    "it": ["semeval2023-task3/it/train-articles-subtask-3"],
    "pl": ["semeval2023-task3/po/train-articles-subtask-3"],
    "ru": ["semeval2023-task3/ru/train-articles-subtask-3", "semeval2025-task10/RU/raw-documents"],
    "bg": ["semeval2025-task10/BG/raw-documents"],
    "hi": ["semeval2025-task10/HI/raw-documents"],
    "pt": ["semeval2025-task10/PT/raw-documents"],
    "es": ["test-unlabelled:es"],
    "el": ["test-unlabelled:gr"],
    "ka": ["test-unlabelled:ka"],
}


class _NoModel:
    """Stands in for the technique detector: the language step needs none of its models."""


def read_documents(data_dir: Path, language: str) -> list[list[list[str]]]:
    """Each document as its paragraphs (non-blank lines), each paragraph as its words."""
    texts = []
    for folder in SOURCES[language]:
        if folder.startswith("test-unlabelled:"):
            articles = test_articles(data_dir).get(folder.split(":")[1], {})
            texts += ["\n".join(lines[n] for n in sorted(lines)) for lines in articles.values()]
        else:
            texts += [path.read_text(encoding="utf-8", errors="replace")
                      for path in sorted((data_dir / folder).glob("*.txt"))]
    documents = [[line.split() for line in text.splitlines() if line.split()] for text in texts]
    return [document for document in documents if document]


def window(document: list[list[str]], paragraph: int, start: int, length: int) -> str | None:
    """`length` words from word `start` of the paragraph on, a line break between paragraphs;
    None when the document ends first."""
    lines: list[list[str]] = []
    taken = 0
    for words in document[paragraph:]:
        part = words[start:start + length - taken]
        start = 0
        if part:
            lines.append(part)
            taken += len(part)
        if taken == length:
            return "\n".join(" ".join(line) for line in lines)
    return None


def sample_windows(documents: list[list[list[str]]], length: int, count: int,
                   rng: random.Random) -> list[str]:
    """`count` windows, alternately from a paragraph's start and from its middle."""
    windows: list[str] = []
    attempts = 0
    while len(windows) < count and attempts < count * 50:
        attempts += 1
        document = rng.choice(documents)
        paragraph = rng.randrange(len(document))
        start = 0 if len(windows) % 2 == 0 else len(document[paragraph]) // 2
        if start and len(document[paragraph]) < 4:
            continue  # a paragraph of a few words has no middle
        if (text := window(document, paragraph, start, length)) is not None:
            windows.append(text)
    return windows


def settled_language(analyzer, text: str) -> tuple[str, bool]:
    """The language `plens analyze` would analyse the text in, and whether it warned about it."""
    from persuasion_lens.text.documents import Document

    document = Document.from_text(text)
    warnings = analyzer._prepare(document, None)
    return document.language, any("language" in w and "no model" not in w for w in warnings)


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--per-language", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from persuasion_lens.pipeline.analyzer import Analyzer

    analyzer = Analyzer(_NoModel())
    before = resident_mb()
    started = time.perf_counter()
    settled_language(analyzer, "The first call loads the detector's models.")
    print(f"first call (loading): {time.perf_counter() - started:.2f} s, "
          f"+{resident_mb() - before:.0f} MB resident")

    right: dict[tuple[str, int | str], int] = Counter()
    warned: dict[tuple[str, int | str], int] = Counter()
    right_warned: dict[tuple[str, int | str], int] = Counter()
    totals: dict[tuple[str, int | str], int] = Counter()
    stolen: dict[str, Counter] = {language: Counter() for language in SOURCES}
    seconds: dict[int | str, float] = Counter()
    calls: dict[int | str, int] = Counter()
    for language in SOURCES:
        documents = read_documents(args.data_dir, language)
        if not documents:
            sys.exit(f"error: no documents for {language} under {args.data_dir}")
        cases: list[tuple[int | str, str]] = []
        for length in LENGTHS:
            rng = random.Random(f"{args.seed}-{language}-{length}")
            cases += [(length, text) for text in
                      sample_windows(documents, length, args.per_language, rng)]
        cases += [("whole", "\n".join(" ".join(p) for p in d)) for d in documents]
        for length, text in cases:
            started = time.perf_counter()
            found, warning = settled_language(analyzer, text)
            seconds[length] += time.perf_counter() - started
            calls[length] += 1
            totals[language, length] += 1
            right[language, length] += found == language
            warned[language, length] += warning
            right_warned[language, length] += warning and found == language
            if found != language:
                stolen[language][found] += 1

    columns: list[int | str] = [*LENGTHS, "whole"]
    print("\naccuracy (share analysed in the right language); [share warned about the language]")
    print("lang  " + "".join(f"{str(c) + ' words' if c != 'whole' else 'whole':>14}"
                             for c in columns))
    for language in SOURCES:
        cells = [f"{right[language, c] / totals[language, c]:.3f} "
                 f"[{warned[language, c] / totals[language, c]:.2f}]" for c in columns]
        print(f"{language:<6}" + "".join(f"{cell:>14}" for cell in cells))
    supported = ["en", "fr", "de", "it", "pl", "ru"]
    for name, group in (("six", supported), ("all", list(SOURCES))):
        cells = [f"{sum(right[g, c] for g in group) / sum(totals[g, c] for g in group):.3f}"
                 for c in columns]
        print(f"{name:<6}" + "".join(f"{cell:>14}" for cell in cells))

    # 5 words are all warned (too few to tell); beyond, a warning says another language fits
    short = [c for c in LENGTHS if 5 < c < 25]
    for name, was_warned in (("warned", True), ("not warned", False)):
        count = sum((warned if was_warned else totals)[g, c] - (0 if was_warned else warned[g, c])
                    for g in SOURCES for c in short)
        hits = sum(right_warned[g, c] if was_warned else right[g, c] - right_warned[g, c]
                   for g in SOURCES for c in short)
        print(f"texts of {', '.join(map(str, short))} words {name} about their language: "
              f"{count}, right {hits / max(count, 1):.3f}")

    print("\nwrong languages, all lengths together (true -> found: count)")
    for language, found in stolen.items():
        common = ", ".join(f"{other or 'none'} {n}" for other, n in found.most_common(6))
        print(f"{language} -> {common or '-'}  ({sum(found.values())} wrong)")

    print("\ntime per text (language step, ms): " + ", ".join(
        f"{c}: {1000 * seconds[c] / calls[c]:.2f}" for c in columns))
    print(f"resident memory at the end: {resident_mb():.0f} MB")


if __name__ == "__main__":
    main()
