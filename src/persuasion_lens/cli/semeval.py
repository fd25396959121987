"""`plens semeval st3`: the official subtask-3 prediction format."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress

from persuasion_lens.cli.common import console, semeval_app, user_errors_are_one_line
from persuasion_lens.data.semeval2023 import read_article_text
from persuasion_lens.text.documents import Document
from persuasion_lens.text.reading import InputError

BATCH_SIZE = 64


def read_semeval_articles(folder: Path) -> list[Document]:
    """Every article<ID>.txt of a folder, offsets kept exactly as in the file."""
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    paths = sorted(folder.glob("article*.txt"))
    if not paths:
        raise InputError(f"{folder}: no article<ID>.txt files here")
    documents = []
    for path in paths:
        try:
            text = read_article_text(path)
        except UnicodeDecodeError:
            raise InputError(f"{path}: not UTF-8 text as the SemEval format requires") from None
        documents.append(Document.from_text(text, doc_id=path.stem.removeprefix("article"),
                                            source=str(path)))
    return documents


def settle_languages(documents: list[Document], lang: str | None) -> None:
    from persuasion_lens.text.languages import detect_language, normalise_language_code

    fixed = normalise_language_code(lang) if lang else None
    for document in documents:
        document.language = fixed or detect_language(document.text) or "en"


@semeval_app.command("st3")
@user_errors_are_one_line
def subtask3(
    articles_dir: Path = typer.Argument(..., help="Folder of article<ID>.txt files."),
    output: Path = typer.Option(..., "--output", "-o", help="Prediction file to write."),
    lang: str | None = typer.Option(None, "--lang", help="Language of all articles; detected "
                                    "per article when left out."),
    model: str | None = typer.Option(None, "--model", help="Technique model folder."),
) -> None:
    """Write `<ID>\\t<line>\\t<techniques>` for every non-empty line of every article."""
    from persuasion_lens.models import registry

    documents = read_semeval_articles(articles_dir)
    settle_languages(documents, lang)
    detector = registry.technique_detector(model)
    lines: list[str] = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("predicting", total=len(documents))
        for first in range(0, len(documents), BATCH_SIZE):
            batch = documents[first : first + BATCH_SIZE]
            for document, probabilities in zip(batch, detector.predict_proba(batch), strict=True):
                lines.extend(_subtask3_lines(document, probabilities, detector))
            progress.advance(task, len(batch))
    output.write_text("".join(lines), encoding="utf-8")
    console.print(f"wrote {len(lines)} lines for {len(documents)} articles to {output}")


def _subtask3_lines(document: Document, probabilities, detector) -> list[str]:
    thresholds = detector.thresholds_for(document.language)
    lines = []
    for paragraph, row in zip(document.paragraphs, probabilities, strict=True):
        labels = [name for name, p, t in zip(detector.techniques, row, thresholds, strict=True)
                  if p >= t]
        lines.append(f"{document.doc_id}\t{paragraph.line}\t{','.join(labels)}\n")
    return lines
