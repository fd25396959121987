"""`plens train` and `plens evaluate`: the persuasion-technique detector."""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from persuasion_lens.cli.common import (
    MODELS_PANEL,
    SOME_INPUTS_SKIPPED,
    app,
    console,
    scored_rows,
    user_errors_are_one_line,
    warn,
)
from persuasion_lens.cli.output_checks import MAX_SEED, check_output_folder

DEFAULT_DATA = os.environ.get("PLENS_DATA", "../shared/data")


def _languages(values: list[str] | None) -> list[str]:
    """The languages of a repeatable --languages/--lang/-l; all six when it was not given."""
    from persuasion_lens.data.semeval2023 import TRAINING_LANGUAGES

    return list(TRAINING_LANGUAGES) if values is None else parse_languages(",".join(values))


def parse_language_options(values: list[str] | None) -> list[str] | None:
    """The languages of a repeatable --languages/-l (each value may hold several, `en,fr`),
    checked as `parse_languages` checks them; None when the option was not given."""
    return None if not values else parse_languages(",".join(values))


def parse_languages(value: str) -> list[str]:
    """`en,fr` -> ["en", "fr"]; an empty list is a mistake, not "all six"."""
    from persuasion_lens.data.semeval2023 import TRAINING_LANGUAGES
    from persuasion_lens.text.languages import normalise_language_code

    codes = [normalise_language_code(v.strip()) for v in value.split(",") if v.strip()]
    if not codes:
        raise ValueError(f"--languages {value!r} names no language: give codes such as en,fr "
                         "(leave the option out for all six)")
    unknown = [c for c in codes if c not in TRAINING_LANGUAGES]
    if unknown:
        raise ValueError(f"no training data for {', '.join(unknown)}; choose from "
                         f"{', '.join(TRAINING_LANGUAGES)}")
    return codes


def _run(languages: list[str], data_dir: str, seed: int, refit: bool, reference: bool,
         extra_members: tuple[str, ...] = (), quick: bool = False,
         said: set[str] | None = None):
    """Train (and score) the detector; with `said` (an evaluation), a language that cannot be
    scored is left out with a warning line, added to `said`, before any training."""
    from persuasion_lens.data.semeval2023 import load_technique_articles, not_scored
    from persuasion_lens.models.technique_training import TrainingConfig, train_detector

    articles = load_technique_articles(data_dir, languages)
    if said is not None:
        rows = [{"language": language, "not_scored": not_scored(articles, language, data_dir)}
                for language in languages]
        languages = [row["language"] for row in scored_rows(rows, said)]
    config = TrainingConfig(seed=seed)
    if quick:
        config.max_word, config.max_char = 5000, 8000
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total} languages"), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("training", total=len(languages))

        started: list[str] = []

        def say(message: str) -> None:
            progress.update(task, description=message)
            language = message.split(":", 1)[0]
            if "fitting members" in message and language not in started:
                progress.update(task, completed=len(started))
                started.append(language)

        detector, reports = train_detector(
            articles, languages, config, refit_full=refit, with_reference=reference,
            extra_members=extra_members, progress=say)
        progress.update(task, completed=len(languages))
    return detector, reports


def _table(reports: dict[str, dict]) -> Table:
    table = Table(title="Technique detector, validation split (paragraph micro-F1 / macro-F1)")
    table.add_column("lang")
    table.add_column("model", no_wrap=True)
    for name in ("micro-F1", "macro-F1", "P", "R", "micro-F1 cross-fitted"):
        table.add_column(name, justify="right")
    for language, report in reports.items():
        rows = report["rows"]
        reference = rows.get("reference", {}).get("micro_f1")
        for i, (name, scores) in enumerate(rows.items()):
            micro = f"{scores['micro_f1']:.3f}"
            if name == "ensemble" and reference is not None:
                colour = "green" if scores["micro_f1"] > reference else "red"
                micro = f"[bold {colour}]{micro}[/]"
            table.add_row(language if i == 0 else "", name, micro, f"{scores['macro_f1']:.3f}",
                          f"{scores['precision']:.3f}", f"{scores['recall']:.3f}",
                          f"{scores['cross_fitted_micro_f1']:.3f}",
                          end_section=i == len(rows) - 1)
    return table


@app.command(rich_help_panel=MODELS_PANEL)
@user_errors_are_one_line
def train(
    data_dir: str = typer.Option(DEFAULT_DATA, "--data-dir",
                                 help="Training data (env PLENS_DATA)."),
    output: Path | None = typer.Option(None, "--output", help="Artifact folder (default: the "
                                       "package's models/artifacts/techniques; with --encoder, "
                                       "./plens-transformer)."),
    seed: int = typer.Option(13, "--seed", min=0, max=MAX_SEED),
    languages: list[str] | None = typer.Option(None, "--languages", "--lang", "-l",
                                               help="e.g. en,fr or -l en -l fr (default all "
                                                    "six)."),
    no_refit: bool = typer.Option(False, "--no-refit", help="Ship the train-split fit instead of "
                                  "refitting on train+validation."),
    encoder: str | None = typer.Option(
        None, "--encoder", help="Fine-tune this Hugging Face encoder (id or folder) instead; "
        "needs pip install 'persuasion-lens\\[transformers]'. `plens train-encoder` has all its "
        "options."),
    static_member: bool = typer.Option(
        True, "--static-member/--no-static-member", help="Also train the English "
        "static-embeddings member that the default model averages in (about 2 minutes)."),
    crosslingual_member: bool = typer.Option(
        True, "--crosslingual-member/--no-crosslingual-member", help="Also train the "
        "cross-lingual member that the default model averages in for fr, de, it, pl and ru "
        "(about 5 minutes; needs the English member)."),
    token_member: bool = typer.Option(
        True, "--token-member/--no-token-member", help="Also train the token member that the "
        "default model averages in for all six languages, and the default model's final "
        "calibration (about 17 minutes; needs the other two members; package "
        "artifacts only)."),
) -> None:
    """Train the persuasion-technique detector and save it."""
    from persuasion_lens.models.techniques import ARTIFACT_DIR

    started = time.perf_counter()
    langs = _languages(languages)
    if encoder:
        _fine_tune(encoder, data_dir, output, langs, seed)
        return
    check_output_folder(output or ARTIFACT_DIR)
    detector, reports = _run(langs, data_dir, seed, refit=not no_refit, reference=True,
                             extra_members=("nblr",))
    target = output or ARTIFACT_DIR
    if len(langs) < 6 and output is None:
        warn("training only some languages into the package artifacts replaces the whole model")
    detector.save(target)
    console.print(_table(reports))
    size = sum(p.stat().st_size for p in Path(target).iterdir() if p.is_file())
    elapsed = time.perf_counter() - started
    console.print(f"saved to {target} ({size / 1e6:.1f} MB) in {elapsed:.0f}s")
    if static_member and "en" in langs:
        _train_static_member(data_dir, target, shipped=output is None)
        if crosslingual_member and not _all_languages(langs):
            warn("the cross-lingual member is fitted on all six languages: not trained "
                 "(leave out --languages, or run plens train-crosslingual)")
        elif crosslingual_member:
            _train_crosslingual_member(data_dir, target, shipped=output is None)
            if token_member and output is None:
                _train_token_member(data_dir)
                _measure_coverage(data_dir)


def _all_languages(languages: list[str]) -> bool:
    from persuasion_lens.data.semeval2023 import TRAINING_LANGUAGES

    return set(TRAINING_LANGUAGES) <= set(languages)


# thresholds of the English member are tuned for gold labels this much sparser than the
# training data's, as in the official English dev set (docs/MODEL_CARD.md, label sparsity)
ENGLISH_MISSING_LABELS = 0.3


def _train_static_member(data_dir: str, base: Path, shipped: bool) -> None:
    from persuasion_lens.models.embedding_training import train_embedding_member
    from persuasion_lens.models.registry import ENGLISH_ENSEMBLE_DIR
    from persuasion_lens.models.static_embeddings import ENCODER_NAME

    target = ENGLISH_ENSEMBLE_DIR if shipped else Path(f"{base}-en-static")
    with console.status("training the English static-embeddings member"):
        train_embedding_member(data_dir, base_path=str(base), output=target,
                               encoder_name=ENCODER_NAME,
                               missing_labels=ENGLISH_MISSING_LABELS,
                               base_ref="default" if shipped else None,
                               log=lambda line: console.print(line, highlight=False))
    if not shipped:
        console.print(f"with the English member: plens analyze --model {target} ARTICLE.txt",
                      highlight=False)


def _train_token_member(data_dir: str) -> None:
    from persuasion_lens.models.token_member_training import train_token_member

    with console.status("training the token member"):
        train_token_member(data_dir, log=lambda line: console.print(line, highlight=False))


def _measure_coverage(data_dir: str) -> None:
    """Which techniques the new default detector practically never reports (models/coverage.py):
    the reports name them, so they are measured again for each shipped model."""
    from persuasion_lens.models.coverage import measure_and_store

    with console.status("measuring which techniques the model rarely reports"):
        measure_and_store(data_dir)


def _train_crosslingual_member(data_dir: str, base: Path, shipped: bool) -> None:
    from persuasion_lens.models.crosslingual_training import train_crosslingual_member
    from persuasion_lens.models.registry import DEFAULT_ENSEMBLE_DIR, ENGLISH_ENSEMBLE_DIR

    english = ENGLISH_ENSEMBLE_DIR if shipped else Path(f"{base}-en-static")
    target = DEFAULT_ENSEMBLE_DIR if shipped else Path(f"{base}-crosslingual")
    with console.status("training the cross-lingual member"):
        train_crosslingual_member(data_dir, base_path=str(english), output=target,
                                  base_ref="en-static" if shipped else None,
                                  log=lambda line: console.print(line, highlight=False))
    if not shipped:
        console.print(f"with both members: plens analyze --model {target} ARTICLE.txt",
                      highlight=False)


def _fine_tune(encoder: str, data_dir: str, output: Path | None, languages: list[str],
               seed: int) -> None:
    from persuasion_lens.cli.output_checks import check_encoder, check_model_output_folder
    from persuasion_lens.models.transformer import import_torch_stack
    from persuasion_lens.models.transformer_training import train_encoder

    import_torch_stack()
    target = output or Path("plens-transformer")
    check_encoder(encoder)
    if notice := check_model_output_folder(target):
        warn(notice)
    train_encoder(encoder, target, data_dir=data_dir, languages=languages, seed=seed,
                  log=lambda line: console.print(line, highlight=False, soft_wrap=True))
    console.print(f"use it with: plens analyze --model {target} ARTICLE.txt", highlight=False,
                  soft_wrap=True)


def _print_default_members(languages: list[str]) -> None:
    """The shipped members' validation numbers, as measured when they were trained, for the
    languages asked for only (the other languages' rows would read as part of this run)."""
    from persuasion_lens.models.manifest import read_manifest
    from persuasion_lens.models.registry import DEFAULT_ENSEMBLE_DIR, ENGLISH_ENSEMBLE_DIR

    english = ENGLISH_ENSEMBLE_DIR / "model.json"
    if english.is_file() and "en" in languages:
        metadata = read_manifest(english, "English member").get("metadata", {})
        title = ("English, the default model: linear detector + static-embeddings member "
                 f"(thresholds for {metadata.get('missing_labels', 0):.0%} missing labels; "
                 "measured by plens train)")
        console.print(_member_table(title, {"en": metadata.get("validation") or {}}))
    crosslingual = DEFAULT_ENSEMBLE_DIR / "model.json"
    if crosslingual.is_file():
        metadata = read_manifest(crosslingual, "cross-lingual member").get("metadata", {})
        reports = _only(metadata.get("validation") or {}, languages)
        if reports:
            title = ("The default model elsewhere: linear detector + cross-lingual member "
                     "(measured by plens train)")
            console.print(_member_table(title, reports))
    _print_token_member(languages)


def _only(reports: dict[str, dict], languages: list[str]) -> dict[str, dict]:
    """The per-language reports of these languages, in the reports' order."""
    return {language: report for language, report in reports.items() if language in languages}


def _print_token_member(languages: list[str]) -> None:
    from persuasion_lens.models.manifest import read_manifest
    from persuasion_lens.models.registry import TOKEN_ENSEMBLE_DIR

    manifest = TOKEN_ENSEMBLE_DIR / "model.json"
    if not manifest.is_file():
        return
    reports = _only(read_manifest(manifest, "token member").get("metadata", {})
                    .get("validation", {}), languages)
    if not reports:
        return
    table = Table(title="The default model's token member (measured by plens train): "
                  "cross-fitted micro-F1, mean of 10 validation halvings")
    for name in ("lang", "default without it", "member alone", "default + member", "share"):
        table.add_column(name, justify="left" if name == "lang" else "right")
    for language, report in reports.items():
        if "share" not in report:
            continue
        by_share = {float(k): v for k, v in report["cross_fitted_micro_f1_by_share"].items()}
        share = float(report["share"])
        table.add_row(language, f"{by_share[0.0]:.3f}", f"{report['member_alone']:.3f}",
                      f"{by_share[share]:.3f}", f"{share:g}")
    console.print(table)
    console.print(_calibration_table(reports))


def _calibration_table(reports: dict[str, dict]) -> Table:
    table = Table(title="The default model's final calibration (measured by plens train): "
                  "log loss on validation, two-fold cross-fitted, mean of 10 halvings")
    for name in ("lang", "as averaged", "with a Platt map", "map kept", "ECE"):
        table.add_column(name, justify="left" if name == "lang" else "right")
    for language, report in reports.items():
        calibration = report.get("calibration")
        if not calibration:
            continue
        loss, platt = calibration["cross_fitted_log_loss"], calibration["platt"]
        table.add_row(language, f"{loss['as_averaged']:.4f}", f"{loss['platt']:.4f}",
                      f"{platt[0]:.2f} / {platt[1]:.2f}" if platt else "no",
                      f"{calibration['ece']:.4f}")
    return table


def _member_table(title: str, reports: dict[str, dict]) -> Table:
    table = Table(title=title)
    for name in ("lang", "model", "micro-F1", "macro-F1", "micro-F1 cross-fitted"):
        table.add_column(name, justify="right" if name not in ("lang", "model") else "left")
    for language, report in reports.items():
        for i, name in enumerate(n for n in ("base", "member_alone", "ensemble") if n in report):
            row = report[name]
            table.add_row(language if i == 0 else "", name.replace("_", " "),
                          f"{row['micro_f1']:.3f}", f"{row['macro_f1']:.3f}",
                          f"{row['cross_fitted_micro_f1']:.3f}", end_section=name == "ensemble")
    return table


@app.command(rich_help_panel=MODELS_PANEL)
@user_errors_are_one_line
def evaluate(
    data_dir: str = typer.Option(DEFAULT_DATA, "--data-dir",
                                 help="Training data (env PLENS_DATA)."),
    seed: int = typer.Option(13, "--seed", min=0, max=MAX_SEED),
    languages: list[str] | None = typer.Option(None, "--languages", "--lang", "-l",
                                               help="e.g. en,fr or -l en -l fr (default all "
                                                    "six)."),
    quick: bool = typer.Option(False, "--quick", help="Smaller vocabularies, no reference: "
                               "a fast sanity check, not the real numbers."),
    techniques: bool = typer.Option(True, "--techniques/--no-techniques",
                                    help="Score the paragraph technique detector (slow: it "
                                    "trains on the train split)."),
    spans: bool = typer.Option(False, "--spans", help="Also score span detection (SI and TC "
                               "span F1 next to the whole-paragraph baseline)."),
    articles: bool = typer.Option(False, "--articles", help="Also score genre and framing "
                                  "next to their baselines."),
    narratives: bool = typer.Option(False, "--narratives", help="Also score narratives and "
                                    "entity roles (SemEval-2025 Task 10)."),
) -> None:
    """Fit on the train split and score on the validation split (members, ensemble, reference)."""
    langs = _languages(languages)
    if not (techniques or spans or articles or narratives):
        raise ValueError("nothing to evaluate: --no-techniques leaves nothing; add --spans, "
                         "--articles or --narratives")
    said: set[str] = set()  # the languages not scored, said once for all parts
    if techniques:
        _, reports = _run(langs, data_dir, seed, refit=False, reference=not quick,
                          extra_members=("nblr",) if not quick else (), quick=quick, said=said)
        console.print(_table(reports))
        _print_default_members(langs)
    if spans:
        from persuasion_lens.cli.semeval_spans import print_span_evaluation, span_evaluation_rows

        print_span_evaluation(span_evaluation_rows(data_dir, langs), said)
    if articles:
        from persuasion_lens.cli.article_eval import article_evaluation_rows, print_article_table

        print_article_table(article_evaluation_rows(data_dir, langs), said)
    if narratives:
        from persuasion_lens.cli.semeval_narratives import evaluate_narratives

        evaluate_narratives(data_dir=Path(data_dir), model_dir=None, baseline=True)
    if said:
        raise typer.Exit(SOME_INPUTS_SKIPPED)
