"""Second-stage variants of the main role (`narratives.RoleStacker`), measured.

The first stage (the shipped mention model) is fitted on 4 folds of the training articles with
mentions, grouped by article; its out-of-fold rows (each article with its leave-one-out stance and
narratives) train every second stage. Each stacker is cross-validated over those rows (4 folds
grouped by article), then fitted on all of them and applied to the validation split (first stage
fitted on the whole training split) and to the project's worked example. The fine role is the
shipped one: the best child of the decided main role. Prints fine-role exact match / main-role
accuracy, and the main role (with probability) given to the worked example's main entities.
Also prints joint decoding: the best P(main) x P(fine | main) over all fine roles.
About 4 minutes of one core.

Usage: python benchmarks/role_second_stage.py [--data-dir ../shared/data] [--example FILE]
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

from persuasion_lens.data import semeval2025 as D  # noqa: E402
from persuasion_lens.models import entities as E  # noqa: E402
from persuasion_lens.models import narrative_training as T  # noqa: E402
from persuasion_lens.models.narratives import softmax  # noqa: E402
from persuasion_lens.models.spans import load_default_span_detector, tokenize  # noqa: E402
from persuasion_lens.taxonomy.roles import GEOPOLITICAL_BLOCS  # noqa: E402
from persuasion_lens.text.documents import Document, split_sentences  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _articles import DEFAULT_DATA  # noqa: E402
from role_variants import EXAMPLE  # noqa: E402

LANGUAGES = ("bg", "en", "hi", "pt", "ru")
WATCHED = ("vladimir putin", "russia", "dprk", "united states", "the west", "japan")
SIDES = list(GEOPOLITICAL_BLOCS)


@dataclass
class Row:
    """One mention as the second stage sees it."""

    language: str
    article: str
    name: str
    log_main: np.ndarray  # first-stage log-probabilities
    narratives: np.ndarray  # the article's narrative probabilities
    entity: int  # index of the mention's entity group in its article
    fine: dict[str, tuple[list[str], np.ndarray]]  # main role -> fine roles, P(fine | main)
    techniques: np.ndarray  # span-tagger maxima over the sentence and near the mention
    we_rate: np.ndarray  # per side: share of its sentences where the author says "we"/"our"
    gold_main: str | None = None
    gold_fine: list[str] | None = None


class TechniqueScores:
    def __init__(self):
        self.tagger = load_default_span_detector()
        self.columns = list(range(len(self.tagger.techniques)))

    def __call__(self, text: str, start: int, end: int, language: str) -> np.ndarray:
        left, right = E.sentence_bounds(text, start, end)
        tokens = tokenize(text[left:right])
        if not tokens:
            return np.zeros(2 * len(self.columns))
        scores = self.tagger.token_scores(text[left:right], tokens, language, self.columns)[0]
        near = [i for i, (a, b) in enumerate(tokens)
                if a + left < end + 25 and b + left > start - 25]
        return np.concatenate([scores.max(axis=0), scores[near].max(axis=0) if near
                               else np.zeros(len(self.columns))])


FIRST_PERSON_PLURAL = {
    "en": {"we", "us", "our", "ours", "ourselves"},
    "ru": {"мы", "нас", "нам", "нами", "наш", "наша", "наше", "наши", "нашей", "нашего",
           "нашему", "нашим", "наших", "нашу", "нашими"},
    "bg": {"ние", "нас", "нам", "наш", "наша", "наше", "наши", "нашия", "нашата", "нашето",
           "нашите"},
    "pt": {"nós", "nos", "nosso", "nossa", "nossos", "nossas"},
    "hi": {"हम", "हमारा", "हमारी", "हमारे", "हमें", "हमने", "हमको"},
}


def we_rates(text: str, language: str) -> np.ndarray:
    """Per side of the war: the share of the sentences naming it that also say "we" or "our"
    (smoothed by two sentences) -- does the author speak as one of that side?"""
    named, with_we = np.zeros(len(SIDES)), np.zeros(len(SIDES))
    for sentence in (s.text for line in text.splitlines() for s in split_sentences(line)):
        words = re.findall(r"\w+", sentence)
        we = any(w.lower() in FIRST_PERSON_PLURAL.get(language, ()) and w != "US" for w in words)
        lowered = " " + " ".join(E.tokens(sentence))
        for k, side in enumerate(SIDES):
            if any(" " + stem in lowered for stem in GEOPOLITICAL_BLOCS[side]):
                named[k] += 1
                with_we[k] += we
    return with_we / (named + 2)


def rows_of(fitted, key: str, text: str, spans, language: str, stance, narratives,
            techniques: TechniqueScores, gold=None) -> list[Row]:
    featurizer, main_roles, main_coef, main_bias, fine_roles, fine_coef, fine_bias = fitted
    X = featurizer.transform([E.mention_features(text, s, e, language, stance) for s, e in spans])
    main = softmax(np.asarray(X @ main_coef) + main_bias)
    fine = {r: softmax(np.asarray(X @ fine_coef[r]) + fine_bias[r]) for r in main_roles}
    entity = np.zeros(len(spans), dtype=int)
    we = we_rates(text, language)
    for k, group in enumerate(E.group_mentions([text[s:e] for s, e in spans], language)):
        entity[group.indices] = k
    return [Row(language, key, text[s:e], np.log(np.maximum(main[i], 1e-12)), narratives,
                int(entity[i]), {r: (fine_roles[r], fine[r][i]) for r in main_roles},
                techniques(text, s, e, language), we,
                gold[i].main_role if gold else None, gold[i].fine_roles if gold else None)
            for i, (s, e) in enumerate(spans)]


# -- second-stage inputs ----------------------------------------------------------------------


def inputs(rows: list[Row], narratives: list[str], cross: str, extras: tuple[str, ...] = ()
           ) -> np.ndarray:
    """cross: "taxonomy" (side x narratives but Other, shipped), "all" (Other too) or
    "renormalised" (but Other, summing to one); extras: "entity", "language", "techniques",
    "opposition", "we" (the side x the author's "we" rate of each side)."""
    taxonomy = np.array([n != D.OTHER for n in narratives])
    entity_means = _entity_means(rows)
    opposition = _opposition(rows) if "opposition" in extras else [None] * len(rows)
    out = []
    for row, entity_mean, opposed in zip(rows, entity_means, opposition, strict=True):
        side = E.bloc_of(row.name, row.language)
        one_hot = np.array([side == s for s in SIDES], dtype=float)
        stance = row.narratives if cross == "all" else np.where(taxonomy, row.narratives, 0.0)
        if cross == "taxonomy":
            stance = stance[taxonomy]
        if cross == "renormalised":
            stance = stance / max(stance.sum(), 1e-9)
        parts = [row.log_main, one_hot, np.outer(one_hot, stance).ravel()]
        if "entity" in extras:
            parts.append(entity_mean)
        if "language" in extras:
            language = np.array([row.language == code for code in LANGUAGES], dtype=float)
            parts += [language, np.outer(language, row.log_main).ravel()]
        if "techniques" in extras:
            parts.append(row.techniques)
        if "opposition" in extras:
            parts.append(np.outer(one_hot, opposed).ravel())
        if "we" in extras:
            parts.append(np.outer(one_hot, row.we_rate).ravel())
        out.append(np.concatenate(parts))
    return np.array(out)


def _entity_means(rows: list[Row]) -> list[np.ndarray]:
    members: dict[tuple[str, int], list[int]] = {}
    for i, row in enumerate(rows):
        members.setdefault((row.article, row.entity), []).append(i)
    means = [np.zeros(4)] * len(rows)
    for indices in members.values():
        mean = np.mean([rows[i].log_main for i in indices], axis=0)
        for i in indices:
            means[i] = np.append(mean, np.log(len(indices)))
    return means


def _opposition(rows: list[Row]) -> list[np.ndarray]:
    """Per row: the mean first-stage probabilities of the mentions of the opposing sides in its
    article (the Russian side against the West and Ukraine), and whether there are any."""
    by_side: dict[tuple[str, str], list[np.ndarray]] = {}
    sides = [E.bloc_of(row.name, row.language) for row in rows]
    for row, side in zip(rows, sides, strict=True):
        if side:
            by_side.setdefault((row.article, side), []).append(np.exp(row.log_main))
    out = []
    for row, side in zip(rows, sides, strict=True):
        opposed = [p for other in OPPOSED.get(side, ())
                   for p in by_side.get((row.article, other), [])]
        out.append(np.append(np.mean(opposed, axis=0), 1.0) if opposed else np.zeros(4))
    return out


OPPOSED = {"RU": ("WEST", "UA"), "WEST": ("RU",), "UA": ("RU",)}


VARIANTS: dict[str, tuple[str, tuple[str, ...], float]] = {
    "side x narratives, no Other, C=10 (shipped)": ("taxonomy", (), 10.0),
    "the same, C=1": ("taxonomy", (), 1.0),
    "+ opposing sides' first stage, C=10": ("taxonomy", ("opposition",), 10.0),
    "+ opposing sides' first stage, C=1": ("taxonomy", ("opposition",), 1.0),
    "side x narratives with Other, C=10": ("all", (), 10.0),
    "renormalised without Other, C=10": ("renormalised", (), 10.0),
    "renormalised + entity's mentions, C=3": ("renormalised", ("entity",), 3.0),
    "renormalised + language, C=3": ("renormalised", ("language",), 3.0),
    "renormalised + technique spans, C=3": ("renormalised", ("techniques",), 3.0),
    "+ side x the author's 'we' rates, C=10": ("taxonomy", ("we",), 10.0),
}


# -- scoring ------------------------------------------------------------------------------------


def scores(rows: list[Row], decided: list[tuple[str, str]]) -> dict[str, tuple[float, float]]:
    """{language: (fine-role EMR, main-role accuracy)} of (main role, fine role) per row."""
    result = {}
    for language in LANGUAGES:
        index = [i for i, row in enumerate(rows) if row.language == language]
        emr = np.mean([set(rows[i].gold_fine) == {decided[i][1]} for i in index])
        accuracy = np.mean([rows[i].gold_main == decided[i][0] for i in index])
        result[language] = (float(emr), float(accuracy))
    return result


def shipped_fine(rows: list[Row], mains: list[str]) -> list[tuple[str, str]]:
    return [(main, row.fine[main][0][int(np.argmax(row.fine[main][1]))])
            for row, main in zip(rows, mains, strict=True)]


def joint(rows: list[Row]) -> list[tuple[str, str]]:
    decided = []
    for row in rows:
        best = max(((main, label, np.exp(row.log_main[k]) * p)
                    for k, (main, (labels, probabilities)) in enumerate(row.fine.items())
                    for label, p in zip(labels, probabilities, strict=True)),
                   key=lambda item: item[2])
        decided.append((best[0], best[1]))
    return decided


def cross_validated(rows: list[Row], X: np.ndarray, y: np.ndarray, c: float,
                    main_roles: list[str]) -> dict[str, tuple[float, float]]:
    predicted = np.zeros(len(rows), dtype=int)
    groups = [row.article for row in rows]
    for fit_at, held_at in GroupKFold(4).split(X, groups=groups):
        model = LogisticRegression(C=c, max_iter=5000).fit(X[fit_at], y[fit_at])
        predicted[held_at] = model.predict(X[held_at])
    return scores(rows, shipped_fine(rows, [main_roles[k] for k in predicted]))


def example_roles(rows: list[Row], probabilities: np.ndarray, main_roles: list[str]) -> str:
    groups = E.group_mentions([row.name for row in rows], "en")
    shown = []
    for group in groups:
        if group.key in WATCHED:
            mean = probabilities[group.indices].mean(axis=0)
            shown.append(f"{group.key}={main_roles[int(np.argmax(mean))][:3]} {mean.max():.2f}")
    return ", ".join(shown)


# -- the run ------------------------------------------------------------------------------------


def out_of_fold_rows(articles, config, stage, techniques) -> list[Row]:
    stances, narratives = stage.stances(), stage.narrative_scores()
    blank = np.zeros(len(stage.model.narratives))
    rows: list[Row] = []
    groups = [T.article_key(a) for a in articles]
    for fit_at, held_at in GroupKFold(4).split(articles, groups=groups):
        fitted = T.fit_roles([articles[i] for i in fit_at], config, stances)
        for i in held_at:
            article = articles[i]
            key = T.article_key(article)
            rows += rows_of(fitted, key, article.document.text,
                            [(m.start, m.end) for m in article.mentions], article.language,
                            stances.get(key, []), narratives.get(key, blank), techniques,
                            article.mentions)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--example", type=Path, default=EXAMPLE)
    args = parser.parse_args()
    articles = D.load_articles(args.data_dir)
    train = [a for a in articles if a.split == "train"]
    validation = [a for a in articles if a.split == "validation" and a.mentions]
    config = T.TrainingConfig()
    stage = T.fit_narratives(train, D.load_taxonomy(args.data_dir), config, log=lambda _: None)
    model, techniques = stage.model, TechniqueScores()
    with_mentions = [a for a in train if a.mentions]
    oof = out_of_fold_rows(with_mentions, config, stage, techniques)
    fitted = T.fit_roles(with_mentions, config, stage.stances())
    pn, ps = model.narrative_probabilities([a.document for a in validation])
    held: list[Row] = []
    for i, article in enumerate(validation):
        held += rows_of(fitted, T.article_key(article), article.document.text,
                        [(m.start, m.end) for m in article.mentions], article.language,
                        model.stance(pn[i], ps[i]), pn[i], techniques, article.mentions)
    text = args.example.read_text(encoding="utf-8")
    epn, eps = model.narrative_probabilities([Document.from_text(text, "en")])
    example = rows_of(fitted, "example", text, model.detector.detect(text, "en"), "en",
                      model.stance(epn[0], eps[0]), epn[0], techniques)
    main_roles = list(D.MAIN_ROLES)
    y = np.array([main_roles.index(row.gold_main) for row in oof])
    first = lambda rows: shipped_fine(rows, [main_roles[int(np.argmax(r.log_main))]  # noqa: E731
                                             for r in rows])
    print("fine-role exact match / main-role accuracy: CV over the out-of-fold training rows "
          "(mean of the languages, then each) | validation; worked example's main roles")
    _print("none (first stage)", scores(oof, first(oof)), scores(held, first(held)),
           example_roles(example, np.exp([r.log_main for r in example]), main_roles))
    _print("joint decoding", scores(oof, joint(oof)), scores(held, joint(held)), "")
    for name, (cross, extras, c) in VARIANTS.items():
        def build(rows: list[Row], cross: str = cross, extras: tuple = extras) -> np.ndarray:
            return inputs(rows, model.narratives, cross, extras)

        X = build(oof)
        stacker = LogisticRegression(C=c, max_iter=5000).fit(X, y)
        decided = [main_roles[k] for k in stacker.predict(build(held))]
        _print(name, cross_validated(oof, X, y, c, main_roles),
               scores(held, shipped_fine(held, decided)),
               example_roles(example, stacker.predict_proba(build(example)), main_roles))


def _print(name: str, cv: dict, held: dict, example: str) -> None:
    mean = np.mean([cv[code] for code in LANGUAGES], axis=0)
    print(f"{name:44} CV {mean[0]:.3f}/{mean[1]:.3f} "
          + " ".join(f"{cv[code][0]:.3f}/{cv[code][1]:.3f}" for code in LANGUAGES)
          + " | " + " ".join(f"{held[code][0]:.3f}/{held[code][1]:.3f}" for code in LANGUAGES)
          + (f" | {example}" if example else ""), flush=True)


if __name__ == "__main__":
    main()
