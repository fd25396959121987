"""`plens semeval st1 DIR` and `plens semeval st2 DIR`: official-format genre and framing files.

For every `article<ID>.txt` in DIR (languages may be mixed: each is detected unless `--lang`
is given) one line is written: `<ID>\\t<genre>` (subtask 1) or `<ID>\\t<frame>,<frame>...`
(subtask 2). Files that cannot be read are left out, each with a warning, and the exit status
is then 1.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from persuasion_lens.cli.common import semeval_app, user_errors_are_one_line
from persuasion_lens.cli.semeval import read_article_folder, write_predictions

_DIR = typer.Argument(..., help="folder with article<ID>.txt files")
_OUT = typer.Option(None, "-o", "--output", help="prediction file (default: standard output)")
_LANG = typer.Option(None, "--lang", "-l", help="language of all articles (default: detect each)")


@semeval_app.command("st1")
@user_errors_are_one_line
def st1(directory: str = _DIR, output: Path | None = _OUT, lang: str | None = _LANG) -> None:
    """Subtask 1: genre (opinion / reporting / satire) of every article in DIR.

    Files that cannot be read are left out, each with a warning; the exit status is then 1."""
    _write_article_labels(directory, output, lang, lambda prediction: prediction.genre)


@semeval_app.command("st2")
@user_errors_are_one_line
def st2(directory: str = _DIR, output: Path | None = _OUT, lang: str | None = _LANG) -> None:
    """Subtask 2: frames (comma-separated) of every article in DIR.

    Files that cannot be read are left out, each with a warning; the exit status is then 1."""
    _write_article_labels(directory, output, lang,
                          lambda prediction: ",".join(prediction.frames))


def _write_article_labels(directory: str, output: Path | None, lang: str | None,
                          label: Callable[[Any], str]) -> None:
    """One `<ID>\t<label>` line per article of DIR, the label taken from its prediction."""
    from persuasion_lens.models.article_classifiers import load_default_article_classifier

    articles = read_article_folder(directory, lang)
    predictions = load_default_article_classifier().predict(articles.documents)
    lines = [f"{document.doc_id}\t{label(prediction)}"
             for document, prediction in zip(articles.documents, predictions, strict=True)]
    write_predictions(lines, output, articles)
