"""`plens analyze`: analyse article files and report in the terminal, as JSON or as HTML."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from enum import Enum
from pathlib import Path

import typer
from rich.markup import escape

from persuasion_lens.cli.common import (
    ANALYSE_PANEL,
    SOME_INPUTS_SKIPPED,
    app,
    console,
    error_console,
    fail,
    user_errors_are_one_line,
    warn,
)
from persuasion_lens.cli.output_checks import check_output_file, names_stdout
from persuasion_lens.text.documents import Document
from persuasion_lens.text.languages import normalise_language_code
from persuasion_lens.text.reading import InputError, expand_paths, read_document


class OutputFormat(str, Enum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    html = "html"


@app.command(rich_help_panel=ANALYSE_PANEL)
@user_errors_are_one_line
def analyze(
    files: list[str] = typer.Argument(..., help="Article files or folders; '-' reads stdin."),
    lang: str | None = typer.Option(
        None, "--lang", "-l", help="Language code (en, fr, de, it, pl, ru; also a tag such as "
        "en-US or a name such as German; another gets the multilingual fallback, with a "
        "warning); detected when left "
        "out. A text plainly in another language gets a warning (and is read as --lang says)."
    ),
    output_format: OutputFormat = typer.Option(OutputFormat.text, "--format", "-f"),
    output: Path | None = typer.Option(None, "--output", "-o",
                                       help="Write to this file ('-': standard output)."),
    html_asked: bool = typer.Option(False, "--html", hidden=True),  # a guess worth answering
    show_all: bool = typer.Option(
        False, "--all", help="Also show paragraphs without techniques and every name found."),
    summary: bool = typer.Option(False, "--summary", help="Only the summary, no paragraphs "
                                 "(text, JSON and JSON Lines; the HTML page keeps them); with "
                                 "--narratives, JSON gives the number of minor names "
                                 "(minor_entity_count) instead of their list."),
    min_confidence: float | None = typer.Option(
        None,
        "--min-confidence",
        min=0.0,
        max=1.0,
        help="Hide paragraph techniques below this confidence (on top of the tuned "
        "thresholds); the words marked for the techniques kept are all shown.",
    ),
    no_spans: bool = typer.Option(False, "--no-spans", help="Skip span detection."),
    narratives: bool = typer.Option(False, "--narratives", help="Also find narratives, the "
                                    "roles given to people and countries and the side the "
                                    "article takes in the Russia–Ukraine war (experimental)."),
    model: str | None = typer.Option(
        None, "--model", help="Folder of a technique model to use instead of the shipped one; "
        "or 'linear', 'embeddings' (English, torch) or 'crosslingual' (slower, more accurate "
        "outside English; pip install 'persuasion-lens\\[crosslingual]')."
    ),
) -> None:
    """Find the persuasion techniques in each paragraph of the given articles."""
    from persuasion_lens.pipeline.analyzer import Analyzer

    if html_asked:
        fail("for an HTML page use --format html --output FILE.html")
    _check_finite("--min-confidence", min_confidence, "a number from 0 to 1")
    lang = normalise_language_code(lang) if lang else None
    paths = expand_paths(files)
    if output_format == OutputFormat.html and output is None:
        fail("--format html needs --output FILE.html (or --output - for standard output)")
    if names_stdout(output):
        output = None  # --output -: standard output, as without the option
    if output is not None:
        _check_output(output, paths)
    single = len(paths) == 1
    with _reading_status(paths):
        documents, read_failures = _each_or_skip(paths, _document_reader(paths), single)
    if not documents:
        fail("no article could be analysed")
    with error_console.status("loading the models…"):
        analyzer = Analyzer.load(model, spans=not no_spans, narratives=narratives)
    analyzer.options.min_confidence = min_confidence
    with _paragraph_progress(documents) as advance:
        def analyse(document):
            result = analyzer.analyze_document(document, lang)
            advance(len(document.paragraphs))
            return result

        results, failures = _each_or_skip(documents, analyse, single)
    failures += read_failures
    if not results:
        fail("no article could be analysed")
    _emit(results, output_format, output, show_all, summary, one_input=single)
    if failures:
        warn(f"{failures} of {len(paths)} inputs could not be analysed")
        raise typer.Exit(SOME_INPUTS_SKIPPED)


def _reading_status(paths: list[str]) -> AbstractContextManager:
    """A spinner while the inputs are read (a large HTML page can take trafilatura minutes);
    none while standard input is read, where the user may be typing the article."""
    if "-" in paths:
        return nullcontext()
    return error_console.status("reading the article…" if len(paths) == 1
                                else f"reading {len(paths):,} articles…")


def _document_reader(paths: list[str]) -> Callable[[str], Document]:
    """`read_document` with ids unique in the run: a file's id is its name without suffix,
    unless another file has that name too (`a/x.txt`, `b/x.txt` in the folders read), when
    each takes the parent folders that tell them apart (`a/x`, `b/x`), as `plens batch` does."""
    from persuasion_lens.batch.ids import unique_ids

    ids = unique_ids((os.path.abspath(path), Path(path).stem) for path in paths if path != "-")

    def read(path: str) -> Document:
        document = read_document(path)
        if path != "-":
            document.doc_id = ids.get(os.path.abspath(path), document.doc_id)
        return document

    return read


def _check_output(output: Path, inputs: list[str]) -> None:
    """Before any work: the output can be written, and is none of the inputs (it would be
    overwritten with the report of itself)."""
    check_output_file(output)
    target = output.resolve()
    if any(raw != "-" and Path(raw).resolve() == target for raw in inputs):
        fail(f"{output}: is one of the inputs; writing the report there would replace the "
             "article (give another --output)")


def _check_finite(option: str, value: float | None, expected: str = "a number") -> None:
    """NaN passes Typer's range checks (every comparison with it is false), inf too where no
    bound is set: refused with one line."""
    if value is not None and not math.isfinite(value):
        fail(f"{option} must be {expected}, not {value}")


@contextmanager
def _paragraph_progress(documents: list, at_least: int = 2000) -> Iterator[Callable[[int], None]]:
    """A progress bar over the paragraphs on stderr, for inputs long enough to take a while
    (and only in a terminal); yields the function to call with each document's paragraphs."""
    total = sum(len(document.paragraphs) for document in documents)
    if total < at_least or not error_console.is_terminal:
        yield lambda _done: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (SpinnerColumn(), TextColumn("analysing paragraphs"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=error_console, transient=True) as progress:
        task = progress.add_task("analyse", total=total)
        yield lambda done: progress.advance(task, done)


def _each_or_skip(items: list, action, single: bool) -> tuple[list, int]:
    """Apply `action` to each item; with several inputs a bad one is reported and skipped."""
    done, failures = [], 0
    for item in items:
        try:
            done.append(action(item))
        except InputError as error:
            if single:
                raise
            failures += 1
            error_console.print(f"[red]skipped:[/] {escape(str(error))}", highlight=False,
                                soft_wrap=True)
    return done, failures


def _emit(
    results, output_format: OutputFormat, output: Path | None, show_all: bool, summary: bool,
    one_input: bool = True,
) -> None:
    """Write the results; `--format json` gives one object for one input and a list for
    several, however many of them could be analysed."""
    if output_format == OutputFormat.html:
        from persuasion_lens.reporting.html import render_html

        _write(output, render_html(results))
        return
    if output_format in (OutputFormat.json, OutputFormat.jsonl):
        dicts = [_summary_only(r.to_dict()) if summary else r.to_dict() for r in results]
        if output_format == OutputFormat.jsonl:
            _write(output, "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in dicts))
        else:
            data = dicts[0] if one_input else dicts
            _write(output, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    from persuasion_lens.reporting.terminal import print_report

    if output is not None:
        from rich.console import Console

        try:
            with open(output, "w", encoding="utf-8") as handle:
                file_console = Console(file=handle, width=100, no_color=True)
                for result in results:
                    print_report(file_console, result, show_all, summary)
        except OSError as error:
            fail(f"{output}: cannot write ({error.strerror or error})")
        _say_written(output)
        return
    for result in results:
        print_report(console, result, show_all, summary)


def _summary_only(data: dict) -> dict:
    """An article's JSON as --summary gives it: without paragraphs, and with the number of
    minor names instead of their list (as the terminal summary counts them)."""
    kept = {}
    for key, value in data.items():
        if key == "minor_entities":
            kept["minor_entity_count"] = len(value)
        elif key != "paragraphs":
            kept[key] = value
    return kept


def _write(output: Path | None, content: str) -> None:
    if output is None:
        console.file.write(content)
        return
    try:
        output.write_text(content, encoding="utf-8")
    except OSError as error:
        fail(f"{output}: cannot write ({error.strerror or error})")
    _say_written(output)


def _say_written(output: Path) -> None:
    console.print(f"wrote {output}", style="green", soft_wrap=True)
