"""Reader for the SemEval-2023 Task 3 data (genre, framing, persuasion techniques).

Layout (see the data README): `<data>/semeval2023-task3/<lang>/train-articles-subtask-N/`,
label files beside them, validation article ids in `splits/<lang>-validation-articles.txt`.
Languages are returned as ISO codes (`de`, `pl`), folder names use `ge`, `po`.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from persuasion_lens.text.documents import Document, split_paragraphs
from persuasion_lens.text.languages import ISO_TO_SEMEVAL, SEMEVAL_TO_ISO

TASK_FOLDER = "semeval2023-task3"
TRAINING_LANGUAGES = ["en", "fr", "de", "it", "pl", "ru"]
DEFAULT_DATA_DIR = Path("../shared/data")


@dataclass(frozen=True)
class GoldSpan:
    technique: str
    start: int
    end: int


@dataclass
class LabelledArticle:
    """One training article with whatever labels exist for it."""

    article_id: str
    language: str
    document: Document
    split: str  # "train" or "validation"
    paragraph_labels: list[frozenset[str]] | None = None  # aligned with document.paragraphs
    spans: list[GoldSpan] = field(default_factory=list)
    genre: str | None = None
    frames: list[str] | None = None


def data_root(data_dir: str | os.PathLike | None = None, task_folder: str = TASK_FOLDER) -> Path:
    """The folder holding `task_folder` (accepts that folder itself too).

    Defaults to $PLENS_DATA, else ../shared/data.
    """
    base = Path(data_dir) if data_dir else Path(os.environ.get("PLENS_DATA", DEFAULT_DATA_DIR))
    if (base / task_folder).is_dir():
        return base
    if base.name == task_folder and base.is_dir():
        return base.parent
    raise FileNotFoundError(
        f"{base}: no {task_folder}/ folder here; pass --data-dir pointing at the training data"
    )


def validation_ids(root: Path, language: str) -> set[str]:
    path = root / TASK_FOLDER / "splits" / f"{ISO_TO_SEMEVAL[language]}-validation-articles.txt"
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def read_article_text(path: Path) -> str:
    # newline="" keeps carriage returns, so span offsets stay valid
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def load_technique_articles(
    data_dir: str | os.PathLike | None = None, languages: list[str] | None = None
) -> list[LabelledArticle]:
    """Subtask-3 articles with paragraph labels and character spans."""
    root = data_root(data_dir)
    articles: list[LabelledArticle] = []
    for language in languages or TRAINING_LANGUAGES:
        folder = root / TASK_FOLDER / ISO_TO_SEMEVAL[language]
        line_labels = _read_line_labels(folder / "train-labels-subtask-3.txt")
        held_out = validation_ids(root, language)
        for article_id in sorted(line_labels):
            path = folder / "train-articles-subtask-3" / f"article{article_id}.txt"
            if not path.exists():
                continue
            text = read_article_text(path)
            document = Document(text, split_paragraphs(text), language, article_id, str(path))
            labels = [
                frozenset(line_labels[article_id].get(p.line, ())) for p in document.paragraphs
            ]
            spans = _read_spans(
                folder
                / "train-labels-subtask-3-spans"
                / f"article{article_id}-labels-subtask-3.txt"
            )
            split = "validation" if article_id in held_out else "train"
            articles.append(LabelledArticle(article_id, language, document, split, labels, spans))
    return articles


def load_article_level(
    data_dir: str | os.PathLike | None = None, languages: list[str] | None = None
) -> list[LabelledArticle]:
    """Subtask-1/2 articles with genre and frames (either may be None where unlabelled)."""
    root = data_root(data_dir)
    articles: list[LabelledArticle] = []
    for language in languages or TRAINING_LANGUAGES:
        folder = root / TASK_FOLDER / ISO_TO_SEMEVAL[language]
        genres = _read_two_column(folder / "train-labels-subtask-1.txt")
        frames = _read_two_column(folder / "train-labels-subtask-2.txt")
        held_out = validation_ids(root, language)
        for article_id in sorted(set(genres) | set(frames)):
            path = _first_existing(
                folder / f"train-articles-subtask-{n}" / f"article{article_id}.txt"
                for n in (1, 2, 3)
            )
            if path is None:
                continue
            text = read_article_text(path)
            document = Document(text, split_paragraphs(text), language, article_id, str(path))
            frame_field = frames.get(article_id)
            articles.append(
                LabelledArticle(
                    article_id,
                    language,
                    document,
                    "validation" if article_id in held_out else "train",
                    genre=genres.get(article_id),
                    frames=[f for f in frame_field.split(",") if f]
                    if frame_field is not None
                    else None,
                )
            )
    return articles


def load_unlabelled_test(
    data_dir: str | os.PathLike | None = None,
) -> dict[str, list[tuple[str, int, str]]]:
    """The official unlabelled test paragraphs: language -> [(article id, line, text)]."""
    root = data_root(data_dir)
    result: dict[str, list[tuple[str, int, str]]] = {}
    for template in sorted((root / TASK_FOLDER / "test-unlabelled").glob("*.template")):
        rows = []
        for line in template.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t", 2)
            if len(parts) == 3 and parts[1].isdigit():
                rows.append((parts[0], int(parts[1]), parts[2]))
        result[SEMEVAL_TO_ISO.get(template.stem, template.stem)] = rows
    return result


def _first_existing(paths) -> Path | None:
    return next((p for p in paths if p.exists()), None)


def _read_line_labels(path: Path) -> dict[str, dict[int, list[str]]]:
    labels: dict[str, dict[int, list[str]]] = defaultdict(dict)
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 2 or not parts[1].strip().isdigit():
            continue
        field_ = parts[2] if len(parts) > 2 else ""
        labels[parts[0]][int(parts[1])] = [t for t in field_.split(",") if t.strip()]
    return labels


def _read_spans(path: Path) -> list[GoldSpan]:
    if not path.exists():
        return []
    spans = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 4:
            spans.append(GoldSpan(parts[1], int(parts[2]), int(parts[3])))
    return spans


def _read_two_column(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if parts and parts[0].strip():
            values[parts[0].strip()] = parts[1].strip() if len(parts) > 1 else ""
    return values
