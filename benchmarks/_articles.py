"""Shared by the benchmarks: rebuild article files from the unlabelled SemEval test templates."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def test_articles(data_dir: Path = DEFAULT_DATA) -> dict[str, dict[str, dict[int, str]]]:
    """language -> article id -> line number -> paragraph text."""
    folder = data_dir / "semeval2023-task3" / "test-unlabelled"
    result: dict[str, dict[str, dict[int, str]]] = {}
    for template in sorted(folder.glob("*.template")):
        articles: dict[str, dict[int, str]] = defaultdict(dict)
        for line in template.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t", 2)
            if len(parts) == 3 and parts[1].isdigit():
                articles[parts[0]][int(parts[1])] = parts[2]
        result[template.stem] = dict(articles)
    return result


def article_text(lines: dict[int, str]) -> str:
    """Put each paragraph back on its original line number (blank lines between)."""
    last = max(lines)
    return "\n".join(lines.get(number, "") for number in range(1, last + 1)) + "\n"


def write_article_folder(target: Path, data_dir: Path = DEFAULT_DATA) -> int:
    """Write article<ID>.txt files for all nine languages; return the paragraph count."""
    target.mkdir(parents=True, exist_ok=True)
    paragraphs = 0
    for language, articles in test_articles(data_dir).items():
        for article_id, lines in articles.items():
            # ids repeat across languages, so the language goes into the file name
            (target / f"article{language}-{article_id}.txt").write_text(
                article_text(lines), encoding="utf-8"
            )
            paragraphs += sum(1 for text in lines.values() if text.strip())
    return paragraphs
