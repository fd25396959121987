"""Entity-role model variants, measured on the SemEval-2025 validation split.

Every variant is fitted on the training split with the shipped recipe (same stance from the
leave-one-out narrative scores, same logistic regressions) and only its mention features or its
decision rule differ. Prints fine-role exact-match ratio and main-role accuracy per language, and
the main role each variant gives the main entities of the project's worked example.
Usage: python benchmarks/role_variants.py [--data-dir ../shared/data] [--example FILE]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

import numpy as np  # noqa: E402

from persuasion_lens.data import semeval2025 as D  # noqa: E402
from persuasion_lens.models import entities as E  # noqa: E402
from persuasion_lens.models import narrative_training as T  # noqa: E402
from persuasion_lens.models.narrative_metrics import accuracy, exact_match_ratio  # noqa: E402
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


VARIANTS: dict[str, T.MentionFeatures] = {
    "shipped": E.mention_features,
    "entity names masked": without(("E:", "e:", "c:", "ET:")),
    "no entity x stance": without(("ET:",)),
    "+ author's we/our": with_first_person,
    "+ entity's document context": with_document_context,
}


class FittedRoles:
    def __init__(self, fitted, features: T.MentionFeatures):
        (self.featurizer, self.main_roles, self.main_coef, self.main_bias, self.fine_roles,
         self.fine_coef, self.fine_bias) = fitted
        self.features = features

    def decide(self, text: str, spans: Sequence[tuple[int, int]], language: str,
               stance: Sequence[str], second_ratio: float | None = None):
        rows = [self.features(text, s, e, language, stance) for s, e in spans]
        X = self.featurizer.transform(rows)
        main = _softmax(np.asarray(X @ self.main_coef) + self.main_bias)
        decided = []
        for i in range(len(spans)):
            role = self.main_roles[int(np.argmax(main[i]))]
            fine = _softmax(np.asarray(X[i] @ self.fine_coef[role]) + self.fine_bias[role])[0]
            order = np.argsort(-fine)
            chosen = [self.fine_roles[role][order[0]]]
            if second_ratio and len(order) > 1 and fine[order[1]] >= second_ratio * fine[order[0]]:
                chosen.append(self.fine_roles[role][order[1]])
            decided.append((role, chosen, main[i]))
        return decided


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


def validation_scores(roles: FittedRoles, validation, stances, second_ratio=None) -> dict:
    by_language: dict[str, tuple[list, list, list, list]] = {}
    for article in validation:
        if not article.mentions:
            continue
        spans = [(m.start, m.end) for m in article.mentions]
        stance = stances[article.language + "/" + article.doc_id]
        decided = roles.decide(article.document.text, spans, article.language, stance,
                               second_ratio)
        gold_fine, pred_fine, gold_main, pred_main = by_language.setdefault(
            article.language, ([], [], [], []))
        for mention, (role, fine, _) in zip(article.mentions, decided, strict=True):
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--example", type=Path, default=EXAMPLE)
    args = parser.parse_args()
    articles = D.load_articles(args.data_dir)
    train = [a for a in articles if a.split == "train"]
    validation = [a for a in articles if a.split == "validation"]
    config = T.TrainingConfig()
    stage = T.fit_narratives(train, D.load_taxonomy(args.data_dir), config, log=lambda _: None)
    pn, ps = stage.model.narrative_probabilities([a.document for a in validation])
    stances = {a.language + "/" + a.doc_id: stage.model.stance(pn[i], ps[i])
               for i, a in enumerate(validation)}
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


if __name__ == "__main__":
    main()
