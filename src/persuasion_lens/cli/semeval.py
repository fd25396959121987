"""`plens semeval st3`: the official subtask-3 prediction format."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.progress import Progress

from persuasion_lens.cli.common import (
    OTHER_MODELS,
    SOME_INPUTS_SKIPPED,
    console,
    error_console,
    semeval_app,
    user_errors_are_one_line,
    warn,
)
from persuasion_lens.cli.output_checks import names_stdout
from persuasion_lens.data.semeval2023 import DataError, decode_data_bytes
from persuasion_lens.text.documents import Document
from persuasion_lens.text.languages import (
    SUPPORTED_LANGUAGES,
    detect_language,
    normalise_language_code,
    other_language_warning,
    plainly_other_language,
)
from persuasion_lens.text.reading import (
    MAX_INPUT_BYTES,
    InputError,
    check_not_empty,
    decode_bytes,
    too_large,
)
from persuasion_lens.text.wording import counted

BATCH_SIZE = 64


@dataclass
class ArticleFolder:
    """The articles read from a folder, and how many of its files were skipped (each with a
    warning) because they could not be read or were empty."""

    documents: list[Document]
    files: int
    skipped: int = 0
    skipped_ids: frozenset[str] = frozenset()  # the ids those files would have had


def read_article_folder(
    folder: str | Path,
    lang: str | None = None,
    pattern: str = "article*.txt",
    id_prefix: str | None = "article",
    trained_languages: Collection[str] = tuple(SUPPORTED_LANGUAGES),
    untrained_means: str = "those articles get the fallback model, of unmeasured quality",
) -> ArticleFolder:
    """Every matching file of a folder as a Document, for the SemEval file formats.

    Offsets stay exactly as in the file (carriage returns kept). The id is the file name without
    `id_prefix` and suffix (the whole file name when `id_prefix` is None). The language is
    `lang` or detected per file (None when it cannot be told); one warning names the languages
    that `trained_languages` lacks and what `untrained_means` for them, and one per file a file
    that plainly is another language than `lang`. A file that cannot be read is skipped with a
    warning (and counted, its id in `skipped_ids`); none readable is an error. `folder` as
    typed (a str) lets '' be refused: as a `Path` it would be the current folder.
    """
    check_not_empty(folder)
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    paths = sorted(folder.glob(pattern))
    _check_not_a_data_folder(folder, paths)
    if not paths:
        raise InputError(f"{folder}: no {pattern.replace('*', '<ID>')} files here")
    forced = normalise_language_code(lang) if lang else None
    documents = []
    for path in _regular_files(paths):
        try:
            text = _read_exactly(path)
        except InputError as error:  # one bad file among many: said, and the rest predicted
            warn(f"skipped: {error}")
            continue
        if not text.strip():
            warn(f"skipped: {path}: the article is empty")
            continue
        doc_id = path.name if id_prefix is None else path.stem.removeprefix(id_prefix)
        if forced and (found := plainly_other_language(text, forced)):
            warn(f"{path.name}: {other_language_warning(found, forced)}")
        language = forced or detect_language(text)
        documents.append(Document.from_text(text, language, doc_id, str(path)))
    if not documents:
        raise InputError(f"{folder}: no article could be read")
    untrained = sorted({d.language or "unknown" for d in documents} - set(trained_languages))
    if untrained:
        warn(f"no training data for language(s) {', '.join(untrained)}: {untrained_means}")
    read = {document.doc_id for document in documents}
    skipped_ids = frozenset(p.name if id_prefix is None else p.stem.removeprefix(id_prefix)
                            for p in paths) - read
    return ArticleFolder(documents, files=len(paths), skipped=len(paths) - len(documents),
                         skipped_ids=skipped_ids)


# where the task data keep their articles, and the names of their label files: given the
# language folder above, `semeval roles` read the annotation files as three documents
_ARTICLE_FOLDERS = ("raw-documents", "train-articles-subtask-3", "train-articles-subtask-1",
                    "train-articles-subtask-2")
_LABEL_FILE = re.compile(r"^(subtask-\d-annotations|train-labels-subtask-\d)\.txt$")


def _check_not_a_data_folder(folder: Path, paths: list[Path]) -> None:
    """A language folder of the SemEval data is refused, naming the folder of articles in it."""
    articles = next((folder / name for name in _ARTICLE_FOLDERS if (folder / name).is_dir()),
                    None)
    if articles is None:
        return
    if not paths or any(_LABEL_FILE.match(path.name) for path in paths):
        raise InputError(f"{folder}: a language folder of the task data, not a folder of "
                         f"articles: give {articles}")


def _regular_files(paths: list[Path]) -> list[Path]:
    """The regular files among the paths; each other one (a broken link, a FIFO, a folder) is
    left out with a warning, and counts as skipped."""
    regular = []
    for path in paths:
        if path.is_file():
            regular.append(path)
        elif not path.exists():
            warn(f"skipped: {path}: a broken link")
        else:
            warn(f"skipped: {path}: not a regular file")
    return regular


def write_predictions(lines: list[str], output: Path | None, articles: ArticleFolder) -> None:
    """Write the prediction lines; then, when files of the folder were skipped, say how many
    and exit with the status `plens analyze` gives when inputs were skipped."""
    write_lines(lines, output)
    if articles.skipped:
        warn(f"{articles.skipped} of {articles.files} files were skipped; the predictions leave "
             "them out")
        raise typer.Exit(SOME_INPUTS_SKIPPED)


def write_lines(lines: list[str], output: Path | None) -> None:
    """Write prediction lines to a file, or to stdout when no file is named (or `-`)."""
    content = "".join(line + "\n" for line in lines)
    if output is None or names_stdout(output):
        typer.echo(content, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(content, encoding="utf-8")
    except OSError as error:
        raise InputError(f"{output}: cannot write ({error.strerror or error})") from None
    console.print(f"wrote {counted(len(lines), 'line')} to {output}", highlight=False,
                  soft_wrap=True)


def _read_exactly(path: Path) -> str:
    """The file's text as it is, up to the size limit that `plens analyze` has."""
    try:
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise too_large(str(path), size, MAX_INPUT_BYTES, "file")
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror or error})") from None
    try:
        return decode_data_bytes(raw, path)  # UTF-8 or UTF-16, as the task's files are
    except DataError:  # another encoding, or no text at all: said as for any input
        return decode_bytes(raw, str(path))


@semeval_app.command("st3")
@user_errors_are_one_line
def subtask3(
    articles_dir: str = typer.Argument(..., help="Folder of article<ID>.txt files."),
    output: Path = typer.Option(..., "--output", "-o",
                                help="Prediction file to write ('-': standard output)."),
    lang: str | None = typer.Option(
        None, "--lang", "-l", help="Language of all articles; detected per article when left out."
    ),
    model: str | None = typer.Option(None, "--model", help="Technique model folder, "
                                     f"{OTHER_MODELS}."),
) -> None:
    """Write `<ID>\\t<line>\\t<techniques>` for every non-empty line of every article.

    Files that cannot be read are left out, each with a warning; the exit status is then 1."""
    from persuasion_lens.models import registry

    articles = read_article_folder(articles_dir, lang)
    documents = articles.documents
    detector = registry.technique_detector(model)
    lines: list[str] = []
    with Progress(console=error_console, transient=True,
                  disable=not error_console.is_terminal) as progress:
        task = progress.add_task("predicting", total=len(documents))
        for first in range(0, len(documents), BATCH_SIZE):
            batch = documents[first : first + BATCH_SIZE]
            for document, probabilities in zip(batch, detector.predict_proba(batch), strict=True):
                lines.extend(_subtask3_lines(document, probabilities, detector))
            progress.advance(task, len(batch))
    write_predictions(lines, output, articles)


def _subtask3_lines(document: Document, probabilities, detector) -> list[str]:
    thresholds = detector.thresholds_for(document.language)
    lines = []
    for paragraph, row in zip(document.paragraphs, probabilities, strict=True):
        labels = [
            name for name, p, t in zip(detector.techniques, row, thresholds, strict=True) if p >= t
        ]
        lines.append(f"{document.doc_id}\t{paragraph.line}\t{','.join(labels)}")
    return lines
