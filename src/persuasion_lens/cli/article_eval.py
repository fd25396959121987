"""Validation of the genre and framing classifiers against two baselines, per language.

Everything is fitted on the train split in the same run and scored on the validation split:

* ours: the pooled multilingual classifier (``fit_article_classifier``); its decision rules
  (genre prior weight and offsets, frame thresholds) are tuned on the validation split, so its
  numbers are slightly optimistic;
* majority: the most frequent genre of the language's train split;
* n-gram LR: per language, word 1-2-gram + char_wb 2-5-gram TF-IDF and a default
  ``LogisticRegression`` (one per frame for framing, 0.5 threshold).

Genre: macro-F1 over the genres present in gold or prediction. Framing: micro-F1 over
(article, frame) pairs.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import typer
from rich.table import Table

from persuasion_lens.cli.common import (
    MODELS_PANEL,
    app,
    console,
    exit_if_not_scored,
    scored_rows,
    user_errors_are_one_line,
)
from persuasion_lens.models import article_training as T
from persuasion_lens.text.languages import normalise_language_code


def _baseline_predictions(train, valid, frames: list[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_union

    union = make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
    )
    X = union.fit_transform([a.document.text for a in train])
    V = union.transform([a.document.text for a in valid])
    result: dict = {}
    g_train = [i for i, a in enumerate(train) if a.genre]
    g_valid = [i for i, a in enumerate(valid) if a.genre]
    if g_train and g_valid:
        y = np.array([train[i].genre for i in g_train])
        values, counts = np.unique(y, return_counts=True)
        result["majority"] = [str(values[np.argmax(counts)])] * len(g_valid)
        if len(values) > 1:
            model = LogisticRegression(max_iter=2000).fit(X[g_train], y)
            result["genre_lr"] = list(model.predict(V[g_valid]))
        else:
            result["genre_lr"] = result["majority"]
    f_train = [i for i, a in enumerate(train) if a.frames is not None]
    f_valid = [i for i, a in enumerate(valid) if a.frames is not None]
    if f_train and f_valid:
        Y = np.array([[f in train[i].frames for f in frames] for i in f_train], dtype=bool)
        predicted = np.zeros((len(f_valid), len(frames)), dtype=bool)
        for j in range(len(frames)):
            if Y[:, j].min() == Y[:, j].max():
                predicted[:, j] = Y[0, j]
            else:
                model = LogisticRegression(max_iter=2000).fit(X[f_train], Y[:, j])
                predicted[:, j] = model.predict(V[f_valid]).astype(bool)
        result["frames_lr"] = predicted
    return result


def _pooled(data_dir, languages: list[str]) -> list[str]:
    """The languages asked for and the other training languages the data folder holds."""
    from persuasion_lens.data.semeval2023 import TASK_FOLDER, TRAINING_LANGUAGES, data_root
    from persuasion_lens.text.languages import ISO_TO_SEMEVAL

    folder = data_root(data_dir) / TASK_FOLDER
    present = {code for code in TRAINING_LANGUAGES if (folder / ISO_TO_SEMEVAL[code]).is_dir()}
    return [code for code in TRAINING_LANGUAGES if code in languages or code in present]


def article_evaluation_rows(data_dir=None, languages: list[str] | None = None) -> list[dict]:
    """Per-language validation scores of our classifiers and the baselines (one dict per language).

    Keys: language, n_genre, n_frames, genre_ours, genre_majority, genre_lr, frames_ours,
    frames_lr (None where the language has no such labels), train_seconds; a language with
    no validation (or no train) articles is only language and not_scored, the reason.
    """
    from persuasion_lens.data.semeval2023 import (
        TRAINING_LANGUAGES,
        load_article_level,
        not_scored,
    )
    from persuasion_lens.models.article_classifiers import fit_article_classifier

    languages = [normalise_language_code(x) for x in (languages or TRAINING_LANGUAGES)]
    # ours is pooled over all training languages the data holds, whatever subset is reported
    articles = load_article_level(data_dir, _pooled(data_dir, languages))
    reasons = {language: not_scored(articles, language, data_dir) for language in languages}
    if all(reasons.values()):  # before fitting: nothing would be scored
        raise ValueError("; ".join(reasons.values()))
    train = [a for a in articles if a.split == "train"]
    valid = [a for a in articles if a.split == "validation"]
    started = time.perf_counter()
    ours = fit_article_classifier(train, valid)
    train_seconds = time.perf_counter() - started
    frames = ours.frames

    rows = []
    for language in languages:
        if reasons[language]:
            rows.append({"language": language, "not_scored": reasons[language]})
            continue
        train_l = [a for a in train if a.language == language]
        valid_l = [a for a in valid if a.language == language]
        row: dict = {"language": language, "n_genre": 0, "n_frames": 0,
                     "genre_ours": None, "genre_majority": None, "genre_lr": None,
                     "frames_ours": None, "frames_lr": None,
                     "train_seconds": round(train_seconds, 1)}
        predictions = ours.predict([a.document for a in valid_l])
        baselines = _baseline_predictions(train_l, valid_l, frames)
        g_valid = [i for i, a in enumerate(valid_l) if a.genre]
        if g_valid:
            gold = np.array([valid_l[i].genre for i in g_valid])
            row["n_genre"] = len(g_valid)
            row["genre_ours"] = T.macro_f1(gold, np.array([predictions[i].genre for i in g_valid]))
            if "majority" in baselines:
                row["genre_majority"] = T.macro_f1(gold, np.array(baselines["majority"]))
                row["genre_lr"] = T.macro_f1(gold, np.array(baselines["genre_lr"]))
        f_valid = [i for i, a in enumerate(valid_l) if a.frames is not None]
        if f_valid:
            gold = np.array([[f in valid_l[i].frames for f in frames] for i in f_valid])
            ours_m = np.array([[f in predictions[i].frames for f in frames] for i in f_valid])
            row["n_frames"] = len(f_valid)
            row["frames_ours"] = T.micro_f1(gold, ours_m)
            if "frames_lr" in baselines:
                row["frames_lr"] = T.micro_f1(gold, baselines["frames_lr"])
        rows.append(row)
    return rows


def _cell(value, best: bool = False) -> str:
    if value is None:
        return "–"
    text = f"{value:.3f}"
    return f"[bold green]{text}[/]" if best else text


def print_article_table(rows: list[dict], said: set[str] | None = None) -> None:
    """Rich table of `article_evaluation_rows` output; green where ours beats every baseline;
    a language not scored is a warning line instead (see `scored_rows`)."""
    rows = scored_rows(rows, said)
    table = Table(title="Genre (macro-F1) and framing (micro-F1), validation split")
    for header in ("lang", "n genre", "genre ours", "majority", "n-gram LR",
                   "n frames", "frames ours", "n-gram LR"):
        table.add_column(header, justify="right")
    for row in rows:
        genre_best = row["genre_ours"] is not None and all(
            row["genre_ours"] > (row[k] or 0) for k in ("genre_majority", "genre_lr")
        )
        frames_best = row["frames_ours"] is not None and (
            row["frames_ours"] > (row["frames_lr"] or 0)
        )
        table.add_row(
            row["language"], str(row["n_genre"]), _cell(row["genre_ours"], genre_best),
            _cell(row["genre_majority"]), _cell(row["genre_lr"]), str(row["n_frames"]),
            _cell(row["frames_ours"], frames_best), _cell(row["frames_lr"]),
        )
    console.print(table)
    if rows:
        console.print(f"ours fitted in {rows[0]['train_seconds']} s on the train split")


@app.command("evaluate-articles", rich_help_panel=MODELS_PANEL)
@user_errors_are_one_line
def evaluate_articles(
    data_dir: Path | None = typer.Option(
        None, "--data-dir", envvar="PLENS_DATA", help="folder holding semeval2023-task3/"
    ),
    lang: list[str] | None = typer.Option(None, "--languages", "--lang", "-l",
                                          help="languages to report (repeatable, or en,fr)"),
) -> None:
    """Validation scores of the genre and framing classifiers next to two baselines."""
    from persuasion_lens.cli.models import parse_language_options

    rows = article_evaluation_rows(data_dir, parse_language_options(lang))
    print_article_table(rows)
    exit_if_not_scored(rows)
