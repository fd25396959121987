"""Entity-role model variants, measured on the SemEval-2025 validation split.

These are variants of the first stage (the mention model); the shipped main role is then
re-decided by a second stage (`narratives.RoleStacker`), which `plens evaluate-narratives` measures.
Every variant is fitted on the training split with the shipped recipe (same stance from the
leave-one-out narrative scores, same logistic regressions) and only its mention features or its
decision rule differ. Prints fine-role exact-match ratio and main-role accuracy per language, and
the main role each variant gives the main entities of the project's worked example (about
1.7 minutes of one core).

Three options replace that table. All score 4 folds of the training articles with mentions,
grouped by article, each scored with its leave-one-out stance, then the model fitted on all of
them on the validation split (times are of one core, the narrative model's fit included):
  --cv-c 1 3 10 30     the role regressions' C (shipped: 3); 3.7 minutes for these four values
  --prior-correction   decoding with role probabilities x (language prior / pooled prior)^alpha,
                       main and fine roles, over a grid of alphas; 1.1 minutes
  --fine-decoders      the plain n-gram baseline's role model, then the shipped main role with
                       the fine role chosen by other decoders (see FINE_DECODERS); 4.7 minutes
Usage: python benchmarks/role_variants.py [--data-dir ../shared/data] [--example FILE]
                                          [--cv-c C [C ...]] [--prior-correction]
                                          [--fine-decoders]
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GroupKFold  # noqa: E402

from persuasion_lens.data import semeval2025 as D  # noqa: E402
from persuasion_lens.models import entities as E  # noqa: E402
from persuasion_lens.models import narrative_training as T  # noqa: E402
from persuasion_lens.models.narrative_metrics import accuracy, exact_match_ratio  # noqa: E402
from persuasion_lens.models.narratives import softmax  # noqa: E402
from persuasion_lens.text.documents import Document  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from _articles import DEFAULT_DATA  # noqa: E402

EXAMPLE = Path(__file__).parents[2] / "shared" / "examples" / "putin-kim-opinion-en.txt"
WATCHED = ("russia", "dprk", "united states", "the west", "japan")
FIRST_PERSON_PLURAL = {
    "we", "us", "our", "ours", "мы", "нас", "нам", "нами", "наш", "наша", "наше", "наши",
    "нашей", "нашего", "наших", "ние", "нашия", "нашата", "нашето", "нашите", "nós", "nosso",
    "nossa", "nossos", "nossas", "हम", "हमारा", "हमारी", "हमारे", "हमें",
}
# The URW narratives that argue the Kremlin's side (all but "Overpraising the West").
PRO_KREMLIN = frozenset("URW: " + n for n in (
    "Amplifying war-related fears", "Blaming the war on others rather than the invader",
    "Discrediting Ukraine", "Discrediting the West, Diplomacy", "Distrust towards Media",
    "Hidden plots by secret schemes of powerful groups", "Negative Consequences for the West",
    "Praise of Russia", "Russia is the Victim", "Speculating war outcomes"))
PRIOR_ALPHAS = ((0, 0), (0, 1), (1, 0), (1, 1), (0.5, 0.5), (0.5, 1))
# Fine-role decoders: the parts whose probabilities over the chosen main role's fine roles are
# summed (see FineDecoders).
FINE_DECODERS = {
    "shipped": ("shipped",), "flat-ours": ("ours",), "blend-ours": ("shipped", "ours"),
    "flat-base": ("base",), "blend-base": ("shipped", "base"),
    "blend-3": ("shipped", "ours", "base"),
}


def without(prefixes: tuple[str, ...]) -> T.MentionFeatures:
    def features(text, start, end, language, stance):
        return [f for f in E.mention_features(text, start, end, language, stance)
                if not f.startswith(prefixes)]
    return features


def _occurrences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    surface = text[start:end].strip().lower()
    lowered = text.lower()
    found, at = [], lowered.find(surface)
    while at >= 0 and len(found) < 30 and surface:
        found.append((at, at + len(surface)))
        at = lowered.find(surface, at + 1)
    return found


def with_first_person(text, start, end, language, stance):
    """+ whether the author's "we/our" shares a sentence with this entity (author alignment)."""
    extra = []
    for a, b in _occurrences(text, start, end):
        left, right = E.sentence_bounds(text, a, b)
        if FIRST_PERSON_PLURAL & set(E.tokens(text[left:right])):
            extra.append("WE:entity")
    left, right = E.sentence_bounds(text, start, end)
    if FIRST_PERSON_PLURAL & set(E.tokens(text[left:right])):
        extra.append("WE:sentence")
    return E.mention_features(text, start, end, language, stance) + extra


def with_document_context(text, start, end, language, stance):
    """+ the words around every occurrence of the entity in the document."""
    words: set[str] = set()
    for a, b in _occurrences(text, start, end):
        words.update(E.tokens(text[max(0, a - 200):a])[-6:])
        words.update(E.tokens(text[b:b + 200])[:6])
    return E.mention_features(text, start, end, language, stance) + ["D:" + w for w in words]


def with_bloc(repeat: int) -> T.MentionFeatures:
    """+ the entity's bloc, alone, x each stance narrative and x pro-Kremlin stance or not;
    repeated so that the few bloc features weigh against the thousands of word features."""
    def features(text, start, end, language, stance):
        bloc = E.bloc_of(text[start:end], language)
        base = E.mention_features(text, start, end, language, stance)
        if bloc is None:
            return base
        leaning = "pro" if stance and stance[0] in PRO_KREMLIN else "non"
        extra = [f"B:{bloc}", *(f"BT:{bloc}|{n}" for n in stance), f"BP:{bloc}|{leaning}"]
        return base + extra * repeat
    return features


VARIANTS: dict[str, T.MentionFeatures] = {
    "shipped": E.mention_features,
    "entity names masked": without(("E:", "e:", "c:", "ET:")),
    "no entity x stance": without(("ET:",)),
    "+ author's we/our": with_first_person,
    "+ entity's document context": with_document_context,
    "+ geopolitical bloc x stance": with_bloc(1),
    "+ geopolitical bloc x stance, x3": with_bloc(3),
}


class FittedRoles:
    def __init__(self, fitted, features: T.MentionFeatures):
        (self.featurizer, self.main_roles, self.main_coef, self.main_bias, self.fine_roles,
         self.fine_coef, self.fine_bias) = fitted
        self.features = features

    def decide(self, text: str, spans: Sequence[tuple[int, int]], language: str,
               stance: Sequence[str], second_ratio: float | None = None,
               correction: PriorCorrection | None = None):
        rows = [self.features(text, s, e, language, stance) for s, e in spans]
        X = self.featurizer.transform(rows)
        main = softmax(np.asarray(X @ self.main_coef) + self.main_bias)
        if correction:
            main = correction.main(main, language, self.main_roles)
        fine_of = self.fine_scorer(X, text, spans)
        decided = []
        for i in range(len(spans)):
            role = self.main_roles[int(np.argmax(main[i]))]
            fine = fine_of(i, role)
            if correction:
                fine = correction.fine(fine, language, self.fine_roles[role])
            order = np.argsort(-fine)
            chosen = [self.fine_roles[role][order[0]]]
            if second_ratio and len(order) > 1 and fine[order[1]] >= second_ratio * fine[order[0]]:
                chosen.append(self.fine_roles[role][order[1]])
            decided.append((role, chosen, main[i]))
        return decided

    def fine_scorer(self, X, text: str, spans) -> Callable[[int, str], np.ndarray]:
        """fine(i, main role): mention i's probabilities of that main role's fine roles."""
        def fine(i: int, role: str) -> np.ndarray:
            return softmax(np.asarray(X[i] @ self.fine_coef[role]) + self.fine_bias[role])[0]
        return fine


def mention_sentence(text: str, start: int, end: int) -> str:
    """The n-gram baseline's role input: "entity | the entity's sentence"."""
    left, right = E.sentence_bounds(text, start, end)
    return text[start:end] + " | " + text[left:right]


class FineDecoders(FittedRoles):
    """The shipped role model and two flat regressions over all fine roles: "ours" on the
    shipped mention features, one row per (mention, gold fine role), C = role_c; "base" the
    n-gram baseline's fine-role model (word and character n-grams of "entity | sentence", the
    first fine role). using(decoder) keeps the shipped main role and picks the fine role by the
    sum of the decoder's parts, each renormalised over the chosen main role's fine roles."""

    def __init__(self, articles: list, config: T.TrainingConfig, stances: dict):
        super().__init__(T.fit_roles(articles, config, stances), E.mention_features)
        rows, mentions = T.role_rows(articles, stances)
        pairs = [(i, f) for i, (_, m) in enumerate(mentions) for f in m.fine_roles
                 if f in D.FINE_TO_MAIN]
        self.ours = LogisticRegression(C=config.role_c, max_iter=3000).fit(
            self.featurizer.transform(rows)[[i for i, _ in pairs]], [f for _, f in pairs])
        self.vectorizers = T.Baseline()._vectorizers()
        texts = [mention_sentence(a.document.text, m.start, m.end) for a, m in mentions]
        self.base = LogisticRegression(C=3.0, max_iter=2000).fit(
            T.Baseline._stack(self.vectorizers, texts, fit=True),
            [m.fine_roles[0] if m.fine_roles else m.main_role for _, m in mentions])
        self.parts = FINE_DECODERS["shipped"]

    def using(self, decoder: str) -> FineDecoders:
        chosen = copy.copy(self)
        chosen.parts = FINE_DECODERS[decoder]
        return chosen

    def fine_scorer(self, X, text: str, spans) -> Callable[[int, str], np.ndarray]:
        parts = [self._part(name, X, text, spans) for name in self.parts]
        return lambda i, role: sum(part(i, role) for part in parts)

    def _part(self, name: str, X, text: str, spans) -> Callable[[int, str], np.ndarray]:
        if name == "shipped":
            return super().fine_scorer(X, text, spans)
        model, inputs = (self.ours, X) if name == "ours" else (self.base, T.Baseline._stack(
            self.vectorizers, [mention_sentence(text, s, e) for s, e in spans]))
        probabilities, classes = model.predict_proba(inputs), list(model.classes_)

        def fine(i: int, role: str) -> np.ndarray:
            within = np.array([probabilities[i][classes.index(f)] if f in classes else 0.0
                               for f in self.fine_roles[role]])
            return within / max(within.sum(), 1e-9)
        return fine


class PriorCorrection:
    """Label shift: role probabilities x (the language's training prior / the pooled prior)^alpha,
    priors from role counts + 1 in the articles the roles were fitted on."""

    def __init__(self, articles, alpha_main: float, alpha_fine: float):
        self.alpha_main, self.alpha_fine = alpha_main, alpha_fine
        self.main_counts: dict[str, Counter] = {}
        self.fine_counts: dict[str, Counter] = {}
        for article in articles:
            for mention in article.mentions:
                for key in (article.language, "*"):
                    self.main_counts.setdefault(key, Counter())[mention.main_role] += 1
                    self.fine_counts.setdefault(key, Counter()).update(
                        f for f in mention.fine_roles if f in D.FINE_TO_MAIN)

    def main(self, probabilities: np.ndarray, language: str, labels) -> np.ndarray:
        return _shift(probabilities, self.main_counts, language, labels, self.alpha_main)

    def fine(self, probabilities: np.ndarray, language: str, labels) -> np.ndarray:
        return _shift(probabilities, self.fine_counts, language, labels, self.alpha_fine)


def _shift(probabilities, counts: dict[str, Counter], language: str, labels, alpha: float):
    own, pooled = counts.get(language, Counter()), counts["*"]
    ratio = np.array([(own[x] + 1) / (pooled[x] + 1) for x in labels])
    ratio *= sum(pooled.values()) / max(1, sum(own.values()))
    shifted = probabilities * ratio ** alpha
    return shifted / shifted.sum(axis=-1, keepdims=True)


def validation_scores(roles: FittedRoles, validation, stances, second_ratio=None,
                      correction: PriorCorrection | None = None) -> dict:
    def decided():
        for article in validation:
            if not article.mentions:
                continue
            spans = [(m.start, m.end) for m in article.mentions]
            stance = stances[article.language + "/" + article.doc_id]
            chosen = roles.decide(article.document.text, spans, article.language, stance,
                                  second_ratio, correction)
            for mention, (role, fine, _) in zip(article.mentions, chosen, strict=True):
                yield article.language, mention, role, fine
    return _language_scores(decided())


def baseline_scores(fitted_on: list, articles: list) -> dict:
    """The plain n-gram baseline's role model, fitted on fitted_on, scored on articles."""
    articles = [a for a in articles if a.mentions]
    main, fine = T.Baseline().roles(fitted_on, articles)
    mentions = [(a.language, m) for a in articles for m in a.mentions]
    return _language_scores((language, mention, role, chosen) for (language, mention), role, chosen
                            in zip(mentions, main, fine, strict=True))


def _language_scores(decided) -> dict:
    """{language: (fine-role EMR, main-role accuracy)} of (language, mention, main, fine roles)."""
    by_language: dict[str, tuple[list, list, list, list]] = {}
    for language, mention, role, fine in decided:
        gold_fine, pred_fine, gold_main, pred_main = by_language.setdefault(
            language, ([], [], [], []))
        gold_fine.append(mention.fine_roles)
        pred_fine.append(fine)
        gold_main.append(mention.main_role)
        pred_main.append(role)
    return {language: (exact_match_ratio(gf, pf), accuracy(gm, pm))
            for language, (gf, pf, gm, pm) in sorted(by_language.items())}


def example_roles(roles: FittedRoles, model, text: str) -> dict[str, str]:
    pn, ps = model.narrative_probabilities([Document.from_text(text, "en")])
    spans = model.detector.detect(text, "en")
    decided = roles.decide(text, spans, "en", model.stance(pn[0], ps[0]))
    result = {}
    for group in E.group_mentions([text[s:e] for s, e in spans], "en"):
        if group.key in WATCHED:
            mean = np.mean([decided[i][2] for i in group.indices], axis=0)
            result[group.key] = roles.main_roles[int(np.argmax(mean))][:3]
    return result


# score(roles, articles they were fitted on, articles scored, stances) -> {row: {language: scores}}
Score = Callable[[FittedRoles, list, list, dict], dict[str, dict]]


def cross_validated(articles: list, stances: dict, fit: Callable[[list], FittedRoles],
                    score: Score, folds: int = 4) -> dict[str, dict]:
    """Per row and language, the mean of score over folds grouped by article."""
    collected: dict[str, dict[str, list]] = {}
    groups = [a.doc_id for a in articles]
    for fit_at, held_at in GroupKFold(folds).split(articles, groups=groups):
        fitted_on = [articles[i] for i in fit_at]
        scores = score(fit(fitted_on), fitted_on, [articles[i] for i in held_at], stances)
        for row, by_language in scores.items():
            for language, value in by_language.items():
                collected.setdefault(row, {}).setdefault(language, []).append(value)
    return {row: {language: tuple(np.mean(values, axis=0)) for language, values in cells.items()}
            for row, cells in collected.items()}


def cv_and_validation(train: list, validation: list, stances: tuple[dict, dict],
                      fit: Callable[[list], FittedRoles], score: Score):
    """[(row, CV scores, validation scores)]; stances: (training, validation)."""
    cv = cross_validated(train, stances[0], fit, score)
    held = score(fit(train), train, validation, stances[1])
    return [(row, cv[row], held[row]) for row in held]


def shipped_fit(config: T.TrainingConfig, stances: dict) -> Callable[[list], FittedRoles]:
    def fit(articles: list) -> FittedRoles:
        return FittedRoles(T.fit_roles(articles, config, stances), E.mention_features)
    return fit


def role_c_rows(train, validation, stances, values: Sequence[float]):
    def score(roles, _fitted_on, articles, article_stances):
        return {"C": validation_scores(roles, articles, article_stances)}
    rows = []
    for c in values:
        fit = shipped_fit(T.TrainingConfig(role_c=c), stances[0])
        rows += [(f"C={c:g}", cv, held) for _, cv, held in
                 cv_and_validation(train, validation, stances, fit, score)]
    return rows


def prior_correction_rows(train, validation, stances):
    def score(roles, fitted_on, articles, article_stances):
        return {f"alpha main/fine {a}/{b}": validation_scores(
            roles, articles, article_stances, correction=PriorCorrection(fitted_on, a, b))
            for a, b in PRIOR_ALPHAS}
    fit = shipped_fit(T.TrainingConfig(), stances[0])
    return cv_and_validation(train, validation, stances, fit, score)


def fine_decoder_rows(train, validation, stances):
    def fit(articles: list) -> FineDecoders:
        return FineDecoders(articles, T.TrainingConfig(), stances[0])

    def score(roles, fitted_on, articles, article_stances):
        decoders = {name: validation_scores(roles.using(name), articles, article_stances)
                    for name in FINE_DECODERS}
        return {"n-gram baseline": baseline_scores(fitted_on, articles)} | decoders
    return cv_and_validation(train, validation, stances, fit, score)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--example", type=Path, default=EXAMPLE)
    parser.add_argument("--cv-c", type=float, nargs="+", metavar="C")
    parser.add_argument("--prior-correction", action="store_true")
    parser.add_argument("--fine-decoders", action="store_true")
    args = parser.parse_args()
    articles = D.load_articles(args.data_dir)
    train = [a for a in articles if a.split == "train"]
    validation = [a for a in articles if a.split == "validation"]
    config = T.TrainingConfig()
    stage = T.fit_narratives(train, D.load_taxonomy(args.data_dir), config, log=lambda _: None)
    pn, ps = stage.model.narrative_probabilities([a.document for a in validation])
    stances = {a.language + "/" + a.doc_id: stage.model.stance(pn[i], ps[i])
               for i, a in enumerate(validation)}
    if args.cv_c or args.prior_correction or args.fine_decoders:
        with_mentions = [a for a in train if a.mentions]
        both = (stage.stances(), stances)
        if args.cv_c:
            _print_cv(role_c_rows(with_mentions, validation, both, args.cv_c))
        if args.prior_correction:
            _print_cv(prior_correction_rows(with_mentions, validation, both))
        if args.fine_decoders:
            _print_cv(fine_decoder_rows(with_mentions, validation, both))
        return
    example = args.example.read_text(encoding="utf-8") if args.example.exists() else None
    rows: list[tuple[str, dict, dict]] = []
    for name, features in VARIANTS.items():
        fitted = T.fit_roles([a for a in train if a.mentions], config, stage.stances(), features)
        roles = FittedRoles(fitted, features)
        rows.append((name, validation_scores(roles, validation, stances),
                     example_roles(roles, stage.model, example) if example else {}))
        if name == "shipped":
            rows.append(("shipped, 2nd fine role if >= .8 x 1st",
                         validation_scores(roles, validation, stances, second_ratio=0.8), {}))
    _print(rows)


def _print(rows: list[tuple[str, dict, dict]]) -> None:
    languages = sorted(rows[0][1])
    print("fine-role exact match / main-role accuracy; worked example: main role given to "
          + ", ".join(WATCHED))
    print(f"{'variant':40}" + "".join(f"{lang:>14}" for lang in languages) + "  example")
    for name, scores, example in rows:
        cells = "".join(f"{scores[lang][0]:>7.3f}/{scores[lang][1]:.3f}" for lang in languages)
        shown = " ".join(f"{k}={v}" for k, v in example.items())
        print(f"{name:40}{cells}  {shown}")


def _print_cv(rows: list[tuple[str, dict, dict]]) -> None:
    languages = sorted(rows[0][1])
    print("fine-role exact match / main-role accuracy: 4-fold CV on the training split, grouped "
          "by article (mean of the languages, then each), and on the validation split")
    print(f"{'':26}{'CV mean':>14}" + "".join(f"{lang:>14}" for lang in languages)
          + "  | validation " + " ".join(languages))
    for name, cv, held in rows:
        mean = np.mean([cv[lang] for lang in languages], axis=0)
        cells = "".join(f"{cv[lang][0]:>8.3f}/{cv[lang][1]:.3f}" for lang in languages)
        shown = " ".join(f"{held[lang][0]:.3f}/{held[lang][1]:.3f}" for lang in sorted(held))
        print(f"{name:26}{mean[0]:>8.3f}/{mean[1]:.3f}{cells}  | {shown}", flush=True)


if __name__ == "__main__":
    main()
