"""persuasion-lens: shows how news and opinion articles try to persuade.

>>> from persuasion_lens import analyze
>>> result = analyze(open("article.txt").read())
>>> result.paragraphs[0].techniques, result.to_json()
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

# Imported here, not only for type checkers, so that typing.get_type_hints() (and tools built on
# it: documentation generators, runtime type checkers) can resolve the public functions' hints.
from persuasion_lens.pipeline.analyzer import Analyzer
from persuasion_lens.pipeline.results import ArticleResult

__version__ = "0.1.0"


@lru_cache(maxsize=1)
def default_analyzer() -> Analyzer:
    """The analyzer with the shipped models, loaded once per process."""
    return Analyzer.load()


def analyze(text: str, lang: str | None = None) -> ArticleResult:
    """Analyse one article given as text (line 1 is read as the title, one paragraph per line).

    A page's HTML source (beginning `<!doctype html` or `<html`) is reduced to its article text.

    `lang` is an ISO code (`en`, `de`, ...); by default the language is detected.
    Raises `persuasion_lens.text.InputError` for empty input,
    `persuasion_lens.text.languages.UnknownLanguageError` (a `ValueError`) for a `lang` that is
    not a language code, and `TypeError` for anything but a string (bytes of unknown encoding:
    write them to a file and use `analyze_file`).
    """
    if not isinstance(text, str):  # said here, since analyze() is what the user called
        raise TypeError(f"analyze() takes the article's text as a str, not "
                        f"{type(text).__name__}; for a file use analyze_file(path)")
    return default_analyzer().analyze_text(text, lang)


def analyze_file(path: str | Path, lang: str | None = None) -> ArticleResult:
    """Analyse one article file (.txt, .md or .html) of any common encoding.

    Raises `persuasion_lens.text.InputError` for a file that cannot be read as an article
    (missing, empty, binary, too large, no article text) and `UnknownLanguageError` as `analyze`.
    """
    from persuasion_lens.text.reading import read_document

    if not isinstance(path, str | Path):
        raise TypeError(f"analyze_file() takes a path (str or pathlib.Path), not "
                        f"{type(path).__name__}")

    return default_analyzer().analyze_document(read_document(path), lang)


__all__ = ["Analyzer", "ArticleResult", "__version__", "analyze", "analyze_file",
           "default_analyzer"]
