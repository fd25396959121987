"""`plens semeval spans` (official span file format) and `plens evaluate-spans`.

Spans need paragraph labels: the technique detector decides which techniques a paragraph has,
the span model decides where they are.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from persuasion_lens.cli.common import (
    MODELS_PANEL,
    app,
    console,
    exit_if_not_scored,
    fail,
    scored_rows,
    semeval_app,
    user_errors_are_one_line,
)
from persuasion_lens.cli.models import parse_language_options
from persuasion_lens.cli.semeval import read_article_folder, write_predictions
from persuasion_lens.data.semeval2023 import (
    TRAINING_LANGUAGES,
    load_technique_articles,
    not_scored,
)
from persuasion_lens.models.span_metrics import (
    span_identification_scores,
    technique_span_scores,
)
from persuasion_lens.text.documents import Document

Spans = dict[str, list[tuple[str, int, int]]]


# ------------------------------------------------------------------ paragraph labels
def load_technique_detector(model: str | None = None) -> Any:
    """The paragraph-level detector (the shipped linear one, or the model folder named), or a
    clear error when it is not installed."""
    if model:
        from persuasion_lens.models import registry

        return registry.technique_detector(model)
    try:
        from persuasion_lens.models.techniques import load_default_detector
    except ImportError as error:
        raise FileNotFoundError(
            "spans need paragraph labels, but the technique detector "
            f"(persuasion_lens.models.techniques) is not available: {error}"
        ) from error
    return load_default_detector()


def predicted_paragraph_techniques(
    technique_detector: Any, documents: list[Document]
) -> list[list[list[tuple[str, float]]]]:
    """Per document, per paragraph, the (technique, probability) pairs above threshold."""
    probabilities = technique_detector.predict_proba(documents)
    names = list(technique_detector.techniques)
    result = []
    for document, matrix in zip(documents, probabilities, strict=True):
        thresholds = np.broadcast_to(
            np.asarray(technique_detector.thresholds_for(document.language or "xx"), dtype=float),
            (len(names),),
        )
        matrix = np.asarray(matrix, dtype=float).reshape(len(document.paragraphs), len(names))
        result.append([
            [(names[k], float(row[k])) for k in np.flatnonzero(row >= thresholds)]
            for row in matrix
        ])
    return result


def gold_paragraph_techniques(labels: list[frozenset[str]]) -> list[list[tuple[str, float]]]:
    return [[(t, 1.0) for t in sorted(label_set)] for label_set in labels]


# ------------------------------------------------------------------ evaluation
def _spans_from_hits(document: Document, hits: list[list[Any]]) -> list[tuple[str, int, int]]:
    return [(h.technique, h.start, h.end) for paragraph in hits for h in paragraph]


def _whole_paragraphs(document: Document, given: list[list[tuple[str, float]]]):
    return [
        (technique, paragraph.start, paragraph.end)
        for paragraph, pairs in zip(document.paragraphs, given, strict=False)
        for technique, _ in pairs
    ]


def _score_row(language: str, setting: str, predicted: Spans, baseline: Spans, gold: Spans,
               paragraphs: int, seconds: float) -> dict[str, Any]:
    si, tc = span_identification_scores(predicted, gold), technique_span_scores(predicted, gold)
    si_b, tc_b = span_identification_scores(baseline, gold), technique_span_scores(baseline, gold)
    return {
        "language": language,
        "setting": setting,
        "si_precision": si.precision, "si_recall": si.recall, "si_f1": si.f1,
        "tc_precision": tc.precision, "tc_recall": tc.recall, "tc_f1": tc.f1,
        "baseline_si_f1": si_b.f1, "baseline_tc_f1": tc_b.f1,
        "baseline_si_precision": si_b.precision, "baseline_tc_precision": tc_b.precision,
        "predicted_spans": tc.predicted, "gold_spans": tc.gold,
        "labelled_paragraphs": paragraphs,
        "paragraphs_per_second": paragraphs / seconds if seconds > 0 else float("inf"),
    }


def span_models(model: str | None) -> tuple[Any, Any]:
    """(technique detector, span detector) for `--model`: a transformer trained with spans
    places techniques itself; any other model uses the shipped span model."""
    from persuasion_lens.models import registry
    from persuasion_lens.models.spans import load_default_span_detector

    technique_detector = load_technique_detector(model)
    return technique_detector, (registry.span_detector(technique_detector)
                                or load_default_span_detector())


def span_evaluation_rows(
    data_dir: str | Path | None,
    languages: list[str] | None = None,
    detector: Any = None,
    technique_detector: Any = None,
    use_technique_detector: bool = True,
) -> list[dict[str, Any]]:
    """Validation-split span scores per language: with gold paragraph labels, and with the
    technique detector's labels when it is available; each beside the trivial baseline
    (every paragraph label spans its whole paragraph). A language without validation articles
    is a row with `not_scored`, the reason."""
    from persuasion_lens.models.spans import load_default_span_detector

    detector = detector or load_default_span_detector()
    if not use_technique_detector:
        technique_detector = None  # gold labels only, whichever detector was passed
    elif technique_detector is None:
        try:
            technique_detector = load_technique_detector()
        except (FileNotFoundError, OSError):
            technique_detector = None
    rows: list[dict[str, Any]] = []
    for language in languages or TRAINING_LANGUAGES:
        labelled = load_technique_articles(data_dir, [language])
        if reason := not_scored(labelled, language, data_dir, needs_train=False):
            rows.append({"language": language, "not_scored": reason})
            continue
        articles = [a for a in labelled if a.split == "validation"]
        gold: Spans = {a.article_id: [(s.technique, s.start, s.end) for s in a.spans]
                       for a in articles}
        settings = [("gold labels", [gold_paragraph_techniques(a.paragraph_labels or [])
                                     for a in articles])]
        detector_seconds = None
        if technique_detector is not None:
            documents = [a.document for a in articles]
            predicted_paragraph_techniques(technique_detector, documents[:3])  # warm up
            started = time.perf_counter()
            settings.append(("predicted labels", predicted_paragraph_techniques(
                technique_detector, documents)))
            detector_seconds = time.perf_counter() - started
        # warm up (lemmatiser dictionaries, caches) so that timings are steady-state
        for article, given in zip(articles[:5], settings[0][1], strict=False):
            detector.locate(article.document, given)
        for setting, given_per_article in settings:
            predicted: Spans = {}
            baseline: Spans = {}
            seconds = 0.0
            paragraphs = 0
            for article, given in zip(articles, given_per_article, strict=True):
                started = time.perf_counter()
                hits = detector.locate(article.document, given)
                seconds += time.perf_counter() - started
                paragraphs += sum(1 for pairs in given if pairs)
                predicted[article.article_id] = _spans_from_hits(article.document, hits)
                baseline[article.article_id] = _whole_paragraphs(article.document, given)
            row = _score_row(language, setting, predicted, baseline, gold, paragraphs, seconds)
            if setting == "predicted labels" and detector_seconds:
                # what spans add to paragraph-level detection on the same articles
                row["technique_detection_seconds"] = detector_seconds
                row["span_seconds"] = seconds
                row["added_time"] = seconds / detector_seconds
            rows.append(row)
    return rows


def print_span_evaluation(rows: list[dict[str, Any]], said: set[str] | None = None) -> None:
    """The scores' table; a language not scored is a warning line instead (see `scored_rows`)."""
    rows = scored_rows(rows, said)
    table = Table(title="Span detection, validation split (F1 with partial-overlap credit)")
    for column in ("lang", "labels", "SI F1", "SI base", "TC F1", "TC base", "par/s",
                   "+time"):
        table.add_column(column, justify="left" if column in {"lang", "labels"} else "right")
    for row in rows:
        added = row.get("added_time")
        table.add_row(
            row["language"], row["setting"].split()[0],
            f"{row['si_f1']:.3f}", f"{row['baseline_si_f1']:.3f}",
            f"{row['tc_f1']:.3f}", f"{row['baseline_tc_f1']:.3f}",
            f"{row['paragraphs_per_second']:.0f}",
            f"{added:.0%}" if added is not None else "",
        )
    console.print(table)
    console.print(
        "SI: span identification F1 (technique ignored); TC: technique-aware span F1; both "
        "with partial-overlap credit. base: every paragraph label spans its whole paragraph. "
        "par/s: labelled paragraphs per second; +time: span time / paragraph-detection time.",
        highlight=False,
    )


@app.command("evaluate-spans", rich_help_panel=MODELS_PANEL)
@user_errors_are_one_line
def evaluate_spans_command(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Training data folder "
                        "(default: $PLENS_DATA or ../shared/data).")] = None,
    language: Annotated[list[str] | None, typer.Option("--languages", "--lang", "--language", "-l",
                        help="Only these languages (repeatable, or en,fr).")] = None,
    gold_only: Annotated[bool, typer.Option("--gold-only", help="Skip the setting with "
                         "predicted paragraph labels.")] = False,
    model: Annotated[str | None, typer.Option("--model", help="A technique model folder; a "
                     "transformer trained with spans is scored with its own span head.")] = None,
) -> None:
    """Score span detection on the validation split against the whole-paragraph baseline."""
    languages = parse_language_options(language)
    technique_detector, detector = span_models(model) if model else (None, None)
    rows = span_evaluation_rows(data_dir, languages, detector, technique_detector,
                                use_technique_detector=not gold_only)
    print_span_evaluation(rows)
    exit_if_not_scored(rows)


# ------------------------------------------------------------------ official format
def span_lines(documents: list[Document], hits_per_document: list[list[list[Any]]]) -> list[str]:
    lines = []
    for document, hits in zip(documents, hits_per_document, strict=True):
        spans = sorted({(h.start, h.end, h.technique) for paragraph in hits for h in paragraph})
        lines.extend(f"{document.doc_id}\t{t}\t{start}\t{end}" for start, end, t in spans)
    return lines


@semeval_app.command("spans")
@user_errors_are_one_line
def semeval_spans_command(
    articles_dir: Annotated[str, typer.Argument(help="Folder of article<ID>.txt files.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Span file to write ('-': "
                                         "standard output).")],
    language: Annotated[str | None, typer.Option(
        "--lang", "--language", "-l",
        help="Language of all articles (default: detected per article).")] = None,
    model: Annotated[str | None, typer.Option("--model", help="A technique model folder; a "
                     "transformer trained with spans places techniques itself.")] = None,
) -> None:
    """Write `<ID>\\t<technique>\\t<start>\\t<end>` lines (offsets into the article file).

    Files that cannot be read are left out, each with a warning; the exit status is then 1."""
    articles = read_article_folder(articles_dir, language)
    documents = articles.documents
    try:
        technique_detector, detector = span_models(model)
    except (FileNotFoundError, OSError) as error:
        fail(str(error))
    given = predicted_paragraph_techniques(technique_detector, documents)
    hits = [detector.locate(document, pairs) for document, pairs in zip(documents, given,
                                                                          strict=True)]
    write_predictions(span_lines(documents, hits), output, articles)
