"""Narratives and entity roles (SemEval-2025 Task 10) on the command line.

* `plens semeval narratives DOCS_DIR -o PRED.txt`: `<DOC>\\t<narrative>;...\\t<sub>;...` per
  document, as in subtask-2-annotations.txt.
* `plens semeval roles DOCS_DIR [--mentions FILE] -o PRED.txt`: one line per mention,
  `<DOC>\\t<entity>\\t<start>\\t<end>\\t<main role>\\t<fine role>...` with the end inclusive, as
  in subtask-1-annotations.txt. Without `--mentions` the mentions are detected.
* `plens evaluate-narratives`: scores on the validation split next to an n-gram baseline.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from persuasion_lens.cli.common import (
    MODELS_PANEL,
    SOME_INPUTS_SKIPPED,
    app,
    console,
    semeval_app,
    user_errors_are_one_line,
    warn,
)
from persuasion_lens.cli.semeval import ArticleFolder, read_article_folder, write_predictions
from persuasion_lens.text.documents import Document
from persuasion_lens.text.reading import InputError

_DIR = typer.Argument(..., help="folder with <DOC>.txt files (e.g. raw-documents/)")
_OUT = typer.Option(None, "-o", "--output", help="prediction file (default: standard output)")
_LANG = typer.Option(None, "--lang", "-l", help="language of all documents (default: detect each)")
_MENTIONS = typer.Option(None, "--mentions",
                         help="mentions in subtask-1 format (DOC, entity, start, end inclusive); "
                              "default: detect them")


def _read_documents(directory: str, lang: str | None) -> ArticleFolder:
    from persuasion_lens.models.narratives import TRAINED_LANGUAGES

    return read_article_folder(directory, lang, pattern="*.txt", id_prefix=None,
                               trained_languages=TRAINED_LANGUAGES,
                               untrained_means="the pooled multilingual model is applied to "
                                               "those articles and its quality is unknown")


@semeval_app.command("narratives")
@user_errors_are_one_line
def narratives(directory: str = _DIR, output: Path | None = _OUT,
               lang: str | None = _LANG) -> None:
    """Narratives and subnarratives of every document in DIR (subtask-2 format).

    Files that cannot be read are left out, each with a warning; the exit status is then 1."""
    from persuasion_lens.models.narratives import load_default_narrative_model

    documents = _read_documents(directory, lang)
    model = load_default_narrative_model()
    lines = []
    for document in documents.documents:
        pn, ps = model.narrative_probabilities([document])
        chosen_n, chosen_s = model.decide(pn[0], ps[0], model._language(document))
        lines.append(f"{document.doc_id}\t{';'.join(n for n, _ in chosen_n)}\t"
                     f"{';'.join(s for s, _ in chosen_s)}")
    write_predictions(lines, output, documents)


def _read_mentions(path: Path, documents: dict[str, Document],
                   skipped: frozenset[str] = frozenset()):
    from persuasion_lens.data.semeval2023 import DataError
    from persuasion_lens.data.semeval2025 import read_subtask1_lines, resolve_mention
    from persuasion_lens.text.wording import counted

    if path.is_dir():
        raise InputError(f"{path}: the mentions file is a folder: give the subtask-1 file")
    if not path.is_file():
        raise InputError(f"{path}: no such mentions file")
    try:
        rows = read_subtask1_lines(path)
    except DataError as error:
        raise InputError(str(error)) from None
    if not rows:
        warn(f"{path}: the mentions file holds no mentions: nothing to write")
    result: dict[str, list[tuple[str, int, int, int, int]]] = {}
    left_out = 0
    misfits: list[str] = []
    for number, (doc_id, entity, start, end, _, _) in rows:
        if doc_id in skipped:  # its file was named in a warning, and the predictions leave it out
            left_out += 1
            continue
        if doc_id not in documents:
            raise InputError(f"{path}:{number}: document {doc_id} is not in the documents folder")
        text = documents[doc_id].text
        if end >= len(text) + text.count("\n") + 60:
            raise InputError(f"{path}:{number}: offsets outside the document: {start}-{end} "
                             f"(inclusive) in {doc_id} of {len(text)} characters")
        span = resolve_mention(text, entity, start, end)
        if span is None:
            raise InputError(f"{path}:{number}: {doc_id}: '{entity}' is not found near offset "
                             f"{start}")
        misfit = _end_misfit(entity, start, end, text[span[0]:span[0] + end - start + 1])
        if misfit:
            misfits.append(f"line {number}: {misfit}")
        result.setdefault(doc_id, []).append((entity, *span, start, end))
    if left_out:
        warn(f"{path}: {counted(left_out, 'mention')} of skipped files left out")
    _warn_misfits(path, misfits)
    return result


def _end_misfit(entity: str, start: int, end: int, covered: str) -> str | None:
    """What is wrong with a mention whose offsets span another length than its entity's (the
    task's ends are inclusive: every line of the official files has end = start + length - 1),
    or None when they fit. `covered` is the text the offsets span where the entity was found."""
    spanned = end - start + 1
    if spanned == len(entity):
        return None
    hint = " (an exclusive end?)" if spanned == len(entity) + 1 else ""
    return (f"{entity!r} has {len(entity)} characters but {start}-{end} spans {spanned}{hint}; "
            f"the text there reads {covered!r}")


def _warn_misfits(path: Path, misfits: list[str]) -> None:
    """One warning for the mentions whose end does not fit their entity, naming the first."""
    from persuasion_lens.text.wording import counted

    if not misfits:
        return
    warn(f"{path}: {counted(len(misfits), 'mention')} whose end offset does not fit the "
         f"entity (subtask-1 ends are inclusive: end = start + length - 1); their offsets are "
         f"written as given, the role is of the entity's text (first: {misfits[0]})")


@semeval_app.command("roles")
@user_errors_are_one_line
def roles(directory: str = _DIR, mentions: Path | None = _MENTIONS,
          output: Path | None = _OUT, lang: str | None = _LANG) -> None:
    """Main and fine role of every entity mention (subtask-1 format, end offsets inclusive).

    Files that cannot be read are left out, each with a warning; the exit status is then 1."""
    from persuasion_lens.models.narratives import load_default_narrative_model

    documents = _read_documents(directory, lang)
    by_id = {document.doc_id or "": document for document in documents.documents}
    given = (_read_mentions(mentions, by_id, documents.skipped_ids) if mentions is not None
             else None)
    model = load_default_narrative_model()
    lines = []
    for doc_id, document in by_id.items():
        if given is not None:
            if doc_id not in given:
                continue
            spans = [(s, e) for _, s, e, _, _ in given[doc_id]]
            names = [n for n, *_ in given[doc_id]]
            # the offsets as given (the task counts UTF-16 units, so they differ from ours
            # after an emoji): a scorer matches mentions by them
            written = [(start, end) for *_, start, end in given[doc_id]]
        else:
            spans = model.detector.detect(document.text, document.language)
            names = [document.text[s:e] for s, e in spans]
            written = [(s, e - 1) for s, e in spans]
        roles_found = model.mention_roles(document.text, spans, document.language)
        for name, (start, end), role in zip(names, written, roles_found, strict=True):
            fine = "\t".join(f for f, _ in role.fine_roles)
            lines.append(f"{doc_id}\t{name}\t{start}\t{end}\t{role.main_role}\t{fine}")
    write_predictions(lines, output, documents)


@app.command("evaluate-narratives", rich_help_panel=MODELS_PANEL)
@user_errors_are_one_line
def evaluate_narratives(
    data_dir: Path | None = typer.Option(None, "--data-dir",
                                         help="folder holding semeval2025-task10/"),
    model_dir: Path | None = typer.Option(None, "--model", help="model folder (default: shipped)"),
    baseline: bool = typer.Option(True, "--baseline/--no-baseline",
                                  help="train and score the n-gram baseline in the same run"),
) -> None:
    """Narratives and entity roles on the SemEval-2025 validation split, per language."""
    from persuasion_lens.data.semeval2025 import load_articles
    from persuasion_lens.models import narrative_training as T
    from persuasion_lens.models.narratives import NarrativeModel, load_default_narrative_model

    # the model first: a wrong --model is said before the data are read
    model = NarrativeModel.load(model_dir) if model_dir else load_default_narrative_model()
    articles = load_articles(data_dir)
    _check_something_to_score(articles, data_dir)
    not_scored = _languages_not_scored(articles, data_dir)
    for reason in not_scored:
        warn(reason)
    validation = [a for a in articles if a.split == "validation"]
    with console.status("scoring the model"):
        scores = T.evaluate_model(model, validation)
    base = None
    if baseline:
        with console.status("training the n-gram baseline (several minutes)"):
            base = T.evaluate_baseline([a for a in articles if a.split == "train"], validation)
    for table in _score_tables(scores, base, model.version):
        console.print(table)
    console.print(SCORE_LEGEND, style="dim", highlight=False)
    _print_role_reliability(T.entity_role_reliability(model, validation))
    _print_roles_against_the_side(T.roles_against_the_side(model, validation))
    _print_side_scores(T.evaluate_side(model, [a for a in articles if a.split == "train"],
                                       validation))
    if not_scored:
        raise typer.Exit(SOME_INPUTS_SKIPPED)


def _languages_not_scored(articles: list, data_dir: Path | None) -> list[str]:
    """A line for each language with annotated documents but none in its validation split
    (it has no row in the tables), as `plens evaluate-spans` says it."""
    from persuasion_lens.data.semeval2025 import data_root, split_file
    from persuasion_lens.text.wording import counted

    reasons = []
    for language in dict.fromkeys(a.language for a in articles):
        mine = [a for a in articles if a.language == language]
        if not any(a.split == "validation" for a in mine):
            split = split_file(data_root(data_dir), language)
            reasons.append(f"{language}: not scored: {split} lists none of its "
                           f"{counted(len(mine), 'annotated document')} as validation")
    return reasons


def _check_something_to_score(articles: list, data_dir: Path | None) -> None:
    """No validation documents, or none with narrative labels, is an error, not zero scores."""
    from persuasion_lens.data.semeval2025 import TASK_FOLDER, data_root

    folder = data_root(data_dir) / TASK_FOLDER
    validation = [a for a in articles if a.split == "validation"]
    if not validation:
        raise InputError(f"nothing to evaluate: no validation documents under {folder} "
                         "(splits/<LANG>-validation-documents.txt lists them)")
    if not any(a.narratives is not None for a in validation):
        raise InputError(f"nothing to evaluate: no validation document has narrative labels "
                         f"under {folder} (<LANG>/subtask-2-annotations.txt)")


SCORE_LEGEND = (
    "F1: samples-F1. EMR: exact match of the fine-role sets. mention recall: the gold mentions "
    "found by the entity detector, exactly / overlapping. ranking AP: average precision of the "
    "entities found, ranked by salience / by mention count, against \"the article gives it a "
    "role\". main actors P / R: precision / recall of the entities whose salience passes the cut.")


def _score_tables(scores: dict, base: dict | None, version: str) -> list[Table]:
    """The validation scores per language in three narrow tables (one wide one was cut at 80
    columns): narratives, roles on the gold mentions (both beside the baseline when it ran),
    and the entities found in the text."""
    versus = " (model / baseline)" if base else ""
    narratives = _table(f"SemEval-2025 Task 10 validation, {version}: narratives{versus}",
                        "lang", "documents", "narratives F1", "subnarratives F1")
    roles = _table(f"Roles on the annotated mentions{versus}",
                   "lang", "mentions", "fine-role EMR", "main-role accuracy")
    entities = _table("Entities found in the text",
                      "lang", "mention recall exact / overlap",
                      "entity ranking AP salience / count", "main actors P / R")
    for language, s in scores.items():
        b = base.get(language) if base else None
        narratives.add_row(language, str(s.documents),
                           _versus(s.narrative_f1, b and b.narrative_f1),
                           _versus(s.subnarrative_f1, b and b.subnarrative_f1))
        roles.add_row(language, str(s.mentions), _versus(s.role_emr, b and b.role_emr),
                      _versus(s.main_role_accuracy, b and b.main_role_accuracy))
        entities.add_row(language, _pair(s.mention_recall, s.mention_recall_overlap),
                         _pair(s.salience_ap, s.count_ap, compare=True),
                         _pair(s.salience_precision, s.salience_recall))
    return [narratives, roles, entities]


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right")
    return table


def _versus(value: float, baseline: float | None) -> str:
    """The model's score, green when it beats the baseline's (shown beside it), red when not."""
    if baseline is None:
        return f"{value:.3f}"
    mark = "[green]" if value > baseline else "[red]"
    return f"{mark}{value:.3f}[/] / {baseline:.3f}"


def _print_role_reliability(rows) -> None:
    from persuasion_lens.models.narratives import STATED_ROLE_PROBABILITY

    table = Table(title="Main roles of entities (gold mentions grouped as in the reports): "
                  f"stated from {STATED_ROLE_PROBABILITY}, 'unclear' below")
    for column in ("probability", "entities", "mean probability", "right main role"):
        table.add_column(column, justify="right")
    for low, high, count, mean, right in rows:
        table.add_row(f"{low:.1f}-{min(high, 1.0):.1f}", str(count), f"{mean:.2f}", f"{right:.2f}")
    stated = [(n, r) for low, _, n, _, r in rows if low >= STATED_ROLE_PROBABILITY]
    unclear = [(n, r) for low, _, n, _, r in rows if low < STATED_ROLE_PROBABILITY]
    for name, part in (("stated", stated), ("unclear", unclear)):
        count = sum(n for n, _ in part)
        if count:
            share = sum(n * r for n, r in part) / count
            table.add_row(name, str(count), "", f"{share:.2f}", style="bold")
    console.print(table)


def _print_roles_against_the_side(outcomes) -> None:
    if not outcomes:
        return
    table = Table(title="Main roles of entities on a side of the war, in articles with a side "
                  "reading: at odds with the side taken or not")
    for column in ("role", "entities", "right main role"):
        table.add_column(column, justify="right")
    for at_odds in (False, True):
        for stated in (True, False):
            if (at_odds, stated) in outcomes:
                count, right = outcomes[(at_odds, stated)]
                agreement = "at odds" if at_odds else "agrees"
                table.add_row(f"{agreement}, {'stated' if stated else 'unclear'}", str(count),
                              f"{right:.2f}")
    console.print(table)


def _print_side_scores(scores) -> None:
    if not scores:
        return
    table = Table(title="Side taken in the Russia–Ukraine war (articles whose annotated roles "
                  "show one): model / always the language's majority side")
    for column in ("lang", "articles", "accuracy", "AUC", "war or climate: accuracy"):
        table.add_column(column, justify="right")
    for language, s in scores.items():
        table.add_row(language, str(s.articles), _pair(s.accuracy, s.majority_accuracy,
                                                       compare=True),
                      "-" if s.auc is None else f"{s.auc:.3f}",
                      "-" if s.topic_accuracy is None else f"{s.topic_accuracy:.3f}")
    console.print(table)


def _pair(first: float | None, second: float | None, compare: bool = False) -> str:
    if first is None or second is None:
        return "-"
    mark = ("[green]" if first > second else "[red]") if compare else ""
    return f"{mark}{first:.3f}{'[/]' if mark else ''} / {second:.3f}"
