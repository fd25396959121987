"""Training and evaluation of the narrative and entity-role model (SemEval-2025 Task 10).

Narratives: kernel ridge regression (the dual of a ridge classifier) over a pooled multilingual
tf-idf space, fitted for all labels at once; its closed-form leave-one-out scores on the training
split calibrate the probabilities (one Platt sigmoid per level) and choose the decision
thresholds, so the validation split is never used for fitting. The weights are brought back to
the primal (one column per label) and stored as int8 with a scale per column.

Entity roles: logistic regression over mention/context features (`entities.mention_features`):
one 3-way model for the main role and one model per main role for the fine role. A second stage
(`narratives.RoleStacker`) re-decides the main role from the first stage's out-of-fold
log-probabilities, the entity's geopolitical side and that side crossed with the article's
narrative probabilities.

Side taken: one logistic regression over the narrative tf-idf space, trained on the articles
about the war whose annotated roles show a side of the Russia–Ukraine war (`side_target`), pooled
over the languages; a second one over the same space, the topic, tells articles about the war from
articles about climate change (the two domains of the data), and gates the side at analysis time.

Baseline (computed in the same run by `evaluate`): word 1-2-gram + character 3-5-gram tf-idf,
one logistic regression per label (threshold 0.5, the best label when none passes) for
narratives and subnarratives; for roles, the same features over the mention and its sentence,
a 3-way and a 22-way logistic regression.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse as sp
from scipy.special import expit
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from persuasion_lens.data import semeval2025 as D
from persuasion_lens.models import entities as E
from persuasion_lens.models.narrative_metrics import accuracy, exact_match_ratio, samples_f1
from persuasion_lens.models.narratives import (
    WAR_TOPIC_CUT,
    DocumentFeaturizer,
    NarrativeModel,
    RoleStacker,
    SideStance,
    role_stacker_inputs,
    softmax,
)
from persuasion_lens.taxonomy.roles import GEOPOLITICAL_BLOCS

Log = Callable[[str], None]


@dataclass
class TrainingConfig:
    max_word: int = 12000
    max_char: int = 14000
    word_weight: float = 0.5
    ridge: float = 0.5
    role_c: float = 3.0
    role_min_df: int = 2
    role_max_features: int = 40000
    stacker_c: float = 10.0
    stacker_folds: int = 4
    per_language_thresholds: bool = True
    salience_c: float = 1.0
    salience_folds: int = 4
    side_c: float = 10.0
    side_folds: int = 5
    topic_c: float = 10.0


def _idf(counts: sp.csr_matrix) -> np.ndarray:
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    return np.log((1 + counts.shape[0]) / (1 + df)) + 1


def fit_document_featurizer(documents: Sequence, config: TrainingConfig) -> DocumentFeaturizer:
    texts = [DocumentFeaturizer.text_of(d) for d in documents]
    word = CountVectorizer(ngram_range=(1, 2), min_df=2, max_features=config.max_word,
                           token_pattern=r"(?u)\b\w\w+\b")
    char = CountVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3,
                           max_features=config.max_char)
    word_counts = word.fit_transform(texts).tocsr()
    char_counts = char.fit_transform(texts).tocsr()
    word_vocab = [w for w, _ in sorted(word.vocabulary_.items(), key=lambda x: x[1])]
    char_vocab = [c for c, _ in sorted(char.vocabulary_.items(), key=lambda x: x[1])]
    return DocumentFeaturizer(word_vocab, _idf(word_counts), char_vocab, _idf(char_counts),
                              config.word_weight)


def kernel_ridge(X: sp.csr_matrix, Y: np.ndarray, ridge: float):
    """Multi-output ridge in the dual: (primal coef, bias, leave-one-out scores)."""
    K = (X @ X.T).toarray()
    n = K.shape[0]
    inverse = np.linalg.inv(K + ridge * np.eye(n))
    hat = K @ inverse
    leverage = np.diag(hat)[:, None]
    T = Y * 2.0 - 1.0
    bias = T.mean(axis=0)
    centred = T - bias
    dual = inverse @ centred
    loo = (hat @ centred - leverage * centred) / (1 - leverage) + bias
    coef = np.asarray(X.T @ dual)
    return coef, bias, loo


def platt(scores: np.ndarray, targets: np.ndarray) -> list[float]:
    model = LogisticRegression(C=100.0)
    model.fit(scores.reshape(-1, 1), targets.reshape(-1).astype(int))
    return [float(model.coef_[0, 0]), float(model.intercept_[0])]


def label_matrix(label_sets: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    index = {label: j for j, label in enumerate(labels)}
    Y = np.zeros((len(label_sets), len(labels)))
    for i, label_set in enumerate(label_sets):
        for label in label_set:
            if label in index:
                Y[i, index[label]] = 1
    return Y


def _tune(model: NarrativeModel, pn: np.ndarray, ps: np.ndarray, gold_n, gold_s,
          language: str) -> tuple[float, float, float]:
    best = (-1.0, 0.5, 0.5)
    for cut_n in np.arange(0.08, 0.6, 0.02):
        model.thresholds["narratives"][language] = float(cut_n)
        decided = [model.decide(pn[i], ps[i], language) for i in range(len(pn))]
        coarse = samples_f1(gold_n, [[n for n, _ in d[0]] for d in decided])
        for cut_s in np.arange(0.05, 0.6, 0.05):
            model.thresholds["subnarratives"][language] = float(cut_s)
            fine = samples_f1(gold_s, [[s for s, _ in model.decide(pn[i], ps[i], language)[1]]
                                       for i in range(len(pn))])
            if coarse + fine > best[0]:
                best = (coarse + fine, float(cut_n), float(cut_s))
    return best


# -- entity roles --------------------------------------------------------------------------------


def article_key(article: D.NarrativeArticle) -> str:
    return article.language + "/" + article.doc_id


MentionFeatures = Callable[[str, int, int, str | None, Sequence[str]], list[str]]


def role_rows(articles: Sequence[D.NarrativeArticle], stances: dict[str, list[str]],
              features: MentionFeatures = E.mention_features):
    rows, mentions = [], []
    for article in articles:
        stance = stances.get(article_key(article), [])
        for mention in article.mentions:
            rows.append(features(article.document.text, mention.start, mention.end,
                                 article.language, stance))
            mentions.append((article, mention))
    return rows, mentions


def fit_roles(articles: Sequence[D.NarrativeArticle], config: TrainingConfig,
              stances: dict[str, list[str]], features: MentionFeatures = E.mention_features):
    rows, mentions = role_rows(articles, stances, features)
    featurizer = E.SparseFeaturizer.fit(rows, min_df=config.role_min_df,
                                        max_features=config.role_max_features)
    X = featurizer.transform(rows)
    main_roles = list(D.MAIN_ROLES)
    y = np.array([main_roles.index(m.main_role) for _, m in mentions])
    main = LogisticRegression(C=config.role_c, max_iter=3000).fit(X, y)
    fine_roles, fine_coef, fine_bias = {}, {}, {}
    for role in main_roles:
        pairs = [(i, f) for i, (_, m) in enumerate(mentions) if m.main_role == role
                 for f in m.fine_roles if f in D.FINE_TO_MAIN]
        labels = sorted({f for _, f in pairs})
        fine_roles[role] = labels
        if len(labels) == 1:
            fine_coef[role] = np.zeros((X.shape[1], 1))
            fine_bias[role] = np.zeros(1)
            continue
        model = LogisticRegression(C=config.role_c, max_iter=3000).fit(
            X[[i for i, _ in pairs]], [labels.index(f) for _, f in pairs])
        fine_coef[role] = model.coef_.T.copy()
        fine_bias[role] = model.intercept_.copy()
    return featurizer, main_roles, main.coef_.T.copy(), main.intercept_.copy(), fine_roles, \
        fine_coef, fine_bias


def technique_texts(data_dir: str | None = None) -> dict[str, list[str]]:
    """The SemEval-2023 training-split article texts by language (none when that data is
    absent): more text to tell common words from names, and the only text for fr, de, it, pl."""
    from persuasion_lens.data import semeval2023 as S

    try:
        articles = S.load_technique_articles(data_dir)
    except (FileNotFoundError, OSError):
        return {}
    texts: dict[str, list[str]] = {}
    for article in articles:
        if article.split == "train":
            texts.setdefault(article.document.language, []).append(article.document.text)
    return texts


def fit_detector(articles: Sequence[D.NarrativeArticle],
                 extra_texts: dict[str, list[str]] | None = None) -> E.MentionDetector:
    gazetteer: dict[str, set[str]] = {}
    counts: Counter[tuple[str, str]] = Counter()
    for article in articles:
        for mention in article.mentions:
            counts[(article.language, mention.entity.strip().lower())] += 1
    for (language, name), _ in counts.items():
        if len(name) >= 2:
            gazetteer.setdefault(language, set()).add(name)
    names = {name for _, name in counts}
    extra_texts = extra_texts or {}
    common: dict[str, list[str]] = {}
    for language in sorted(set(D.LANGUAGES) | set(extra_texts)):
        texts = [a.document.text for a in articles if a.language == language]
        common[language] = E.common_capitalised_words(texts + extra_texts.get(language, []),
                                                      names)
    common["*"] = sorted(set(common.get("en", [])[:800]))
    return E.MentionDetector({k: sorted(v) for k, v in gazetteer.items()}, common)


def salience_rows(articles: Sequence[D.NarrativeArticle], detector: E.MentionDetector,
                  detected: dict[str, list[tuple[int, int]]] | None = None):
    """One row per entity found automatically in an annotated article; the target says
    whether any of its mentions overlaps an annotated (role-bearing) mention. `detected`:
    mentions already found, by `article_key`, so that they are not looked for twice."""
    rows, targets, owners, counts = [], [], [], []
    for article in articles:
        if not article.has_roles:
            continue
        text, language = article.document.text, article.language
        key = article_key(article)
        spans = detected[key] if detected and key in detected else detector.detect(text, language)
        gold = [(m.start, m.end) for m in article.mentions]
        known = detector.known_names(language)
        for group in E.group_mentions([text[s:e] for s, e in spans], language):
            rows.append(E.entity_features(text, spans, group.indices, language, known))
            targets.append(any(gs < spans[i][1] and spans[i][0] < ge
                               for i in group.indices for gs, ge in gold))
            owners.append(key)
            counts.append(len(group.indices))
    return rows, np.array(targets, dtype=bool), owners, np.array(counts)


def _best_f1_cut(probabilities: np.ndarray, targets: np.ndarray) -> float:
    best = (-1.0, 0.5)
    for cut in np.arange(0.05, 0.8, 0.01):
        chosen = probabilities >= cut
        tp = float((chosen & targets).sum())
        f1 = 2 * tp / max(1.0, chosen.sum() + targets.sum())
        best = max(best, (f1, round(float(cut), 2)))
    return best[1]


def fit_salience(articles: Sequence[D.NarrativeArticle], detector: E.MentionDetector,
                 config: TrainingConfig) -> E.SalienceModel:
    """Entity salience; the cut maximises F1 on out-of-fold (by article) probabilities."""
    from sklearn.model_selection import GroupKFold

    rows, targets, owners, _ = salience_rows(articles, detector)
    out_of_fold = np.zeros(len(rows))
    for fit_index, held_index in GroupKFold(config.salience_folds).split(rows, groups=owners):
        fold = _fit_salience_model([rows[i] for i in fit_index], targets[fit_index], config)
        out_of_fold[held_index] = fold.probabilities([rows[i] for i in held_index])
    model = _fit_salience_model(rows, targets, config)
    model.cut = _best_f1_cut(out_of_fold, targets)
    return model


def _fit_salience_model(rows, targets: np.ndarray, config: TrainingConfig) -> E.SalienceModel:
    featurizer = E.SparseFeaturizer.fit(rows, min_df=config.role_min_df,
                                        max_features=config.role_max_features)
    model = LogisticRegression(C=config.salience_c, max_iter=3000).fit(
        featurizer.transform(rows), targets)
    return E.SalienceModel(featurizer, model.coef_[0].copy(), float(model.intercept_[0]), 0.5)


# -- training -------------------------------------------------------------------------------------


@dataclass
class NarrativeStage:
    """The fitted narrative part of the model and its leave-one-out probabilities on the
    documents it was fitted on (what each document would get if it had been held out)."""

    model: NarrativeModel
    documents: list[D.NarrativeArticle]
    loo_narratives: np.ndarray
    loo_subnarratives: np.ndarray

    def narrative_scores(self) -> dict[str, np.ndarray]:
        return {article_key(a): self.loo_narratives[i] for i, a in enumerate(self.documents)}

    def stances(self) -> dict[str, list[str]]:
        return {article_key(a): self.model.stance(self.loo_narratives[i],
                                                  self.loo_subnarratives[i])
                for i, a in enumerate(self.documents)}


def fit_narratives(articles: Sequence[D.NarrativeArticle], taxonomy: tuple[list[str], list[str]],
                   config: TrainingConfig, log: Log = print,
                   extra_texts: dict[str, list[str]] | None = None) -> NarrativeStage:
    """`extra_texts`: more unlabelled text per language for the mention detector."""
    started = time.time()
    labelled = [a for a in articles if a.narratives is not None]
    documents = [a.document for a in labelled]
    featurizer = fit_document_featurizer(documents, config)
    X = featurizer.transform(documents)
    log(f"narrative features: {X.shape[1]} over {X.shape[0]} documents")
    seen_n = {n for a in labelled for n in a.narratives}
    seen_s = {s for a in labelled for s in a.subnarratives}
    narratives = sorted(set(taxonomy[0]) & seen_n | {D.OTHER})
    subnarratives = sorted(set(taxonomy[1]) & seen_s | {D.OTHER})
    Yn = label_matrix([a.narratives for a in labelled], narratives)
    Ys = label_matrix([a.subnarratives for a in labelled], subnarratives)
    coef_n, bias_n, loo_n = kernel_ridge(X, Yn, config.ridge)
    coef_s, bias_s, loo_s = kernel_ridge(X, Ys, config.ridge)
    calibration = {"narratives": platt(loo_n, Yn), "subnarratives": platt(loo_s, Ys)}
    pn = expit(calibration["narratives"][0] * loo_n + calibration["narratives"][1])
    ps = expit(calibration["subnarratives"][0] * loo_s + calibration["subnarratives"][1])
    log(f"narrative models fitted ({time.time() - started:.0f}s)")
    model = NarrativeModel(
        featurizer=featurizer, narratives=narratives, subnarratives=subnarratives,
        narrative_coef=coef_n, narrative_bias=bias_n, sub_coef=coef_s, sub_bias=bias_s,
        calibration=calibration,
        thresholds={"narratives": {"*": 0.3}, "subnarratives": {"*": 0.3}},
        role_featurizer=E.SparseFeaturizer([], np.zeros(0)), main_roles=list(D.MAIN_ROLES),
        main_coef=np.zeros((0, 3)), main_bias=np.zeros(3), fine_roles={}, fine_coef={},
        fine_bias={}, detector=fit_detector(articles, extra_texts),
    )
    return NarrativeStage(model, labelled, pn, ps)


# One BLAS thread: the main-role second stage's inputs are nearly collinear, and with more
# threads (another summation order) its weights came out up to 0.3 apart.
@threadpool_limits.wrap(limits=1)
def train(articles: Sequence[D.NarrativeArticle], taxonomy: tuple[list[str], list[str]],
          config: TrainingConfig | None = None, log: Log = print,
          extra_texts: dict[str, list[str]] | None = None) -> NarrativeModel:
    config = config or TrainingConfig()
    started = time.time()
    stage = fit_narratives(articles, taxonomy, config, log, extra_texts)
    model, labelled = stage.model, stage.documents
    pn, ps = stage.loo_narratives, stage.loo_subnarratives
    # the role model sees each training document's stance as predicted without that document
    roles = fit_roles([a for a in articles if a.mentions], config, stage.stances())
    (model.role_featurizer, model.main_roles, model.main_coef, model.main_bias,
     model.fine_roles, model.fine_coef, model.fine_bias) = roles
    log(f"role models fitted ({time.time() - started:.0f}s)")
    model.role_stacker = fit_role_stacker(articles, config, stage)
    log(f"main-role second stage fitted ({time.time() - started:.0f}s)")
    model.salience = fit_salience([a for a in articles if a.has_roles], model.detector, config)
    log(f"entity salience fitted, cut {model.salience.cut} ({time.time() - started:.0f}s)")
    model.side_stance, side_reliability = fit_side_stance(articles, model.featurizer, config)
    log(f"side taken fitted, out of fold {side_reliability} ({time.time() - started:.0f}s)")
    gold_n = [a.narratives for a in labelled]
    gold_s = [a.subnarratives for a in labelled]
    all_index = np.arange(len(labelled))
    _, cut_n, cut_s = _tune(model, pn, ps, gold_n, gold_s, "*")
    model.thresholds = {"narratives": {"*": cut_n}, "subnarratives": {"*": cut_s}}
    if config.per_language_thresholds:
        for language in D.LANGUAGES:
            index = all_index[[a.language == language for a in labelled]]
            if len(index) < 50:
                continue
            _, ln, ls = _tune(model, pn[index], ps[index], [gold_n[i] for i in index],
                              [gold_s[i] for i in index], language)
            # halfway between the language's own cut and the global one: less noise
            model.thresholds["narratives"][language] = round((ln + cut_n) / 2, 3)
            model.thresholds["subnarratives"][language] = round((ls + cut_s) / 2, 3)
    log(f"thresholds {model.thresholds}")
    model.info = {
        "trained_on": "SemEval-2025 Task 10 (bg, en, hi, pt, ru), training split",
        "documents": len(labelled),
        "mentions": sum(len(a.mentions) for a in articles),
        "config": config.__dict__,
        "side_taken_out_of_fold": side_reliability,
        "training_seconds": round(time.time() - started, 1),
    }
    return model


def side_target(article: D.NarrativeArticle) -> int | None:
    """1 when the article's annotated roles cast the Russian side favourably (protagonist or
    innocent) and Ukraine and the West unfavourably more often than the reverse, 0 for the
    reverse, None when they show no side (no sided entity, or a tie)."""
    text, balance = article.document.text, 0
    for mention in article.mentions:
        side = E.bloc_of(text[mention.start:mention.end], article.language)
        if side is None:
            continue
        favourable = mention.main_role != "Antagonist"
        balance += (1 if favourable else -1) * (1 if side == "RU" else -1)
    return None if balance == 0 else int(balance > 0)


def with_a_side(articles: Sequence[D.NarrativeArticle]
                ) -> tuple[list[D.NarrativeArticle], np.ndarray]:
    """The articles whose annotated roles show a side, and that side (`side_target`). Climate
    articles are left out: there a Western antagonist (a US president's climate policy) says
    nothing about the war."""
    sided = [(a, side_target(a)) for a in articles if a.mentions and a.domain != "CC"]
    sided = [(a, target) for a, target in sided if target is not None]
    return [a for a, _ in sided], np.array([target for _, target in sided], dtype=int)


def with_a_domain(articles: Sequence[D.NarrativeArticle]
                  ) -> tuple[list[D.NarrativeArticle], np.ndarray]:
    """The articles whose domain is known, and whether each is about the war (1) or about
    climate change (0): the war/climate topic's target."""
    known = [a for a in articles if a.domain in D.DOMAINS]
    return known, np.array([a.domain == "URW" for a in known], dtype=int)


def fit_side_stance(articles: Sequence[D.NarrativeArticle], featurizer: DocumentFeaturizer,
                    config: TrainingConfig) -> tuple[SideStance, dict]:
    """The side-taken model with its war/climate topic, and their out-of-fold reliability on
    the training articles (stratified folds): the side's accuracy overall and of the readings
    stated (probability >= the stated cut), the topic's accuracy."""
    from persuasion_lens.taxonomy.roles import STATED_SIDE_PROBABILITY

    sided, y = with_a_side(articles)
    side, out_of_fold = _fit_with_out_of_fold(featurizer.transform([a.document for a in sided]),
                                              y, config.side_c, config.side_folds)
    known, about_the_war = with_a_domain(articles)
    topic, topic_out_of_fold = _fit_with_out_of_fold(
        featurizer.transform([a.document for a in known]), about_the_war, config.topic_c,
        config.side_folds)
    right = (out_of_fold >= 0.5) == y
    stated = np.maximum(out_of_fold, 1 - out_of_fold) >= STATED_SIDE_PROBABILITY
    reliability = {"articles": len(y), "russian_side": int(y.sum()),
                   "accuracy": round(float(right.mean()), 3),
                   "stated_share": round(float(stated.mean()), 3),
                   "stated_accuracy": round(float(right[stated].mean()), 3),
                   "topic_articles": len(known),
                   "topic_accuracy": round(float(((topic_out_of_fold >= WAR_TOPIC_CUT)
                                                  == about_the_war).mean()), 3)}
    return SideStance(side.coef_.ravel().copy(), float(side.intercept_[0]),
                      topic.coef_.ravel().copy(), float(topic.intercept_[0])), reliability


def _fit_with_out_of_fold(X: sp.csr_matrix, y: np.ndarray, c: float, folds: int
                          ) -> tuple[LogisticRegression, np.ndarray]:
    """A logistic regression on all rows and its out-of-fold P(y = 1) (stratified folds)."""
    from sklearn.model_selection import StratifiedKFold

    out_of_fold = np.zeros(len(y))
    splits = StratifiedKFold(folds, shuffle=True, random_state=0).split(X, y)
    for fit_index, held_index in splits:
        fold = LogisticRegression(C=c, max_iter=5000).fit(X[fit_index], y[fit_index])
        out_of_fold[held_index] = fold.predict_proba(X[held_index])[:, 1]
    return LogisticRegression(C=c, max_iter=5000).fit(X, y), out_of_fold


def first_stage_main(fitted, text: str, spans: Sequence[tuple[int, int]], language: str | None,
                     stance: Sequence[str]) -> np.ndarray:
    """Main-role probabilities (n, 3) of the first stage (`fit_roles` output) for mentions."""
    featurizer, _, main_coef, main_bias = fitted[:4]
    X = featurizer.transform([E.mention_features(text, s, e, language, stance) for s, e in spans])
    return softmax(np.asarray(X @ main_coef) + main_bias)


def fit_role_stacker(articles: Sequence[D.NarrativeArticle], config: TrainingConfig,
                     stage: NarrativeStage) -> RoleStacker:
    """The second stage of the main role, fitted on out-of-fold first-stage probabilities
    (folds grouped by article), each article with its leave-one-out stance and narratives."""
    from sklearn.model_selection import GroupKFold

    articles = [a for a in articles if a.mentions]
    stances = stage.stances()
    narratives = stage.narrative_scores()
    blocs = list(GEOPOLITICAL_BLOCS)
    crossed = [j for j, name in enumerate(stage.model.narratives) if name != D.OTHER]
    blank = np.zeros(len(stage.model.narratives))
    inputs, targets = [], []
    groups = [article_key(a) for a in articles]
    for fit_index, held_index in GroupKFold(config.stacker_folds).split(articles, groups=groups):
        fitted = fit_roles([articles[i] for i in fit_index], config, stances)
        for i in held_index:
            article = articles[i]
            key = article_key(article)
            spans = [(m.start, m.end) for m in article.mentions]
            main = first_stage_main(fitted, article.document.text, spans, article.language,
                                    stances.get(key, []))
            inputs.append(role_stacker_inputs(main, [m.entity for m in article.mentions],
                                              article.language, narratives.get(key, blank),
                                              blocs, crossed))
            targets += [D.MAIN_ROLES.index(m.main_role) for m in article.mentions]
    model = LogisticRegression(C=config.stacker_c, max_iter=5000).fit(np.vstack(inputs), targets)
    return RoleStacker(blocs, crossed, model.coef_.T.copy(), model.intercept_.copy())


# -- baseline -----------------------------------------------------------------------------------


class Baseline:
    """Plain word+char n-gram logistic regressions (one per label), threshold 0.5."""

    def __init__(self, max_features: int = 20000):
        self.max_features = max_features

    def _vectorizers(self):
        return (TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                                max_features=self.max_features),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3,
                                sublinear_tf=True, max_features=self.max_features))

    @staticmethod
    def _stack(vectorizers, texts, fit=False):
        blocks = [v.fit_transform(texts) if fit else v.transform(texts) for v in vectorizers]
        return sp.hstack(blocks).tocsr()

    def narratives(self, train: Sequence[D.NarrativeArticle], test: Sequence[D.NarrativeArticle]):
        vectorizers = self._vectorizers()
        text = lambda a: a.document.title + "\n" + a.document.text  # noqa: E731
        X = self._stack(vectorizers, [text(a) for a in train], fit=True)
        Xt = self._stack(vectorizers, [text(a) for a in test])
        result = []
        for key in ("narratives", "subnarratives"):
            gold = [getattr(a, key) for a in train]
            labels = sorted({label for g in gold for label in g})
            Y = label_matrix(gold, labels)
            P = np.zeros((len(test), len(labels)))
            for j in range(len(labels)):
                if Y[:, j].all():
                    P[:, j] = 1.0
                    continue
                model = LogisticRegression(C=10.0, solver="liblinear").fit(X, Y[:, j])
                P[:, j] = model.predict_proba(Xt)[:, 1]
            result.append([[labels[j] for j in np.flatnonzero(row >= 0.5)]
                           or [labels[int(np.argmax(row))]] for row in P])
        return result

    def roles(self, train: Sequence[D.NarrativeArticle], test: Sequence[D.NarrativeArticle]):
        def texts(articles):
            out = []
            for article in articles:
                for m in article.mentions:
                    a, b = E.sentence_bounds(article.document.text, m.start, m.end)
                    out.append(m.entity + " | " + article.document.text[a:b])
            return out

        vectorizers = self._vectorizers()
        X = self._stack(vectorizers, texts(train), fit=True)
        Xt = self._stack(vectorizers, texts(test))
        train_mentions = [m for a in train for m in a.mentions]
        main = LogisticRegression(C=3.0, max_iter=2000).fit(
            X, [m.main_role for m in train_mentions]).predict(Xt)
        fine = LogisticRegression(C=3.0, max_iter=2000).fit(
            X, [m.fine_roles[0] if m.fine_roles else m.main_role for m in train_mentions]
        ).predict(Xt)
        return list(main), [[f] for f in fine]


# -- evaluation ----------------------------------------------------------------------------------


@dataclass
class LanguageScores:
    language: str
    documents: int
    mentions: int
    narrative_f1: float
    subnarrative_f1: float
    role_emr: float
    main_role_accuracy: float
    mention_recall: float | None = None
    mention_recall_overlap: float | None = None
    # entities found automatically, ranked by salience (and, for comparison, by mention count):
    # average precision against "the article gives it a role"; precision/recall at the cut
    salience_ap: float | None = None
    count_ap: float | None = None
    salience_precision: float | None = None
    salience_recall: float | None = None


def evaluate_model(model: NarrativeModel, test: Sequence[D.NarrativeArticle]
                   ) -> dict[str, LanguageScores]:
    result = {}
    for language in sorted({a.language for a in test}):
        articles = [a for a in test if a.language == language]
        labelled = [a for a in articles if a.narratives is not None]
        predictions = model.predict([a.document for a in labelled],
                                    mentions=[[] for _ in labelled])
        narrative_f1 = samples_f1([a.narratives for a in labelled],
                                  [[n for n, _ in p.narratives] for p in predictions])
        sub_f1 = samples_f1([a.subnarratives for a in labelled],
                            [[s for s, _ in p.subnarratives] for p in predictions])
        gold_fine, pred_fine, gold_main, pred_main = [], [], [], []
        gold_spans, found_spans = [], []
        detected = {article_key(a): model.detector.detect(a.document.text, a.language)
                    for a in articles if a.has_roles}
        for article in articles:
            if not article.mentions:
                continue
            spans = [(m.start, m.end) for m in article.mentions]
            roles = model.mention_roles(article.document.text, spans, article.language)
            for mention, role in zip(article.mentions, roles, strict=True):
                gold_fine.append(mention.fine_roles)
                pred_fine.append([f for f, _ in role.fine_roles])
                gold_main.append(mention.main_role)
                pred_main.append(role.main_role)
            gold_spans.extend((article.doc_id, s, e) for s, e in spans)
            found_spans.extend((article.doc_id, s, e)
                               for s, e in detected.get(article_key(article), []))
        exact, overlap = _recall(gold_spans, found_spans)
        result[language] = LanguageScores(
            language, len(labelled), len(gold_main), narrative_f1, sub_f1,
            exact_match_ratio(gold_fine, pred_fine), accuracy(gold_main, pred_main),
            exact, overlap, *_salience_scores(model, articles, detected))
    return result


@dataclass
class SideScores:
    language: str
    articles: int  # validation articles whose annotated roles show a side
    accuracy: float
    auc: float | None  # None when the language's articles all take one side
    majority_accuracy: float  # always answering the side most of the language's training
                              # articles take
    topic_accuracy: float | None = None  # war or climate, on the articles with a known domain


def evaluate_side(model: NarrativeModel, train: Sequence[D.NarrativeArticle],
                  test: Sequence[D.NarrativeArticle]) -> dict[str, SideScores]:
    """The side taken, per language, against the annotated roles (`side_target`)."""
    from sklearn.metrics import roc_auc_score

    if model.side_stance is None:
        return {}
    result = {}
    for language in sorted({a.language for a in test}):
        sided, y = with_a_side([a for a in test if a.language == language])
        if not sided:
            continue
        p = model.side_stance.probabilities(model.featurizer.transform([a.document
                                                                       for a in sided]))
        _, trained = with_a_side([a for a in train if a.language == language])
        majority = int(trained.mean() >= 0.5) if trained.size else 1
        result[language] = SideScores(
            language, len(y), float(((p >= 0.5) == y).mean()),
            float(roc_auc_score(y, p)) if len(set(y)) > 1 else None,
            float((y == majority).mean()),
            _topic_accuracy(model, [a for a in test if a.language == language]))
    return result


def _topic_accuracy(model: NarrativeModel, articles: Sequence[D.NarrativeArticle]
                    ) -> float | None:
    known, about_the_war = with_a_domain(articles)
    if not known or model.side_stance.topic_coef is None:
        return None
    p = model.side_stance.about_the_war(model.featurizer.transform([a.document for a in known]))
    return float(((p >= WAR_TOPIC_CUT) == about_the_war).mean())


def _salience_scores(model: NarrativeModel, articles: Sequence[D.NarrativeArticle],
                     detected: dict[str, list[tuple[int, int]]] | None = None
                     ) -> tuple[float | None, ...]:
    from sklearn.metrics import average_precision_score

    rows, targets, _, counts = salience_rows(articles, model.detector, detected)
    if model.salience is None or not targets.any():
        return None, None, None, None
    probabilities = model.salience.probabilities(rows)
    chosen = probabilities >= model.salience.cut
    true_positives = float((chosen & targets).sum())
    return (float(average_precision_score(targets, probabilities)),
            float(average_precision_score(targets, counts)),
            true_positives / max(1, int(chosen.sum())), true_positives / int(targets.sum()))


def entity_role_reliability(model: NarrativeModel, test: Sequence[D.NarrativeArticle],
                            edges: Sequence[float] = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)
                            ) -> list[tuple[float, float, int, float, float]]:
    """Gold mentions grouped by entity as the reports group them: per bin of the entity's
    main-role probability (low, high, entities, mean probability, share with the right main
    role, the right one being the majority main role of its gold mentions)."""
    from collections import Counter

    probabilities, right = [], []
    for article in test:
        if not article.mentions:
            continue
        spans = [(m.start, m.end) for m in article.mentions]
        roles = model.mention_roles(article.document.text, spans, article.language)
        gold_by_start = {m.start: m.main_role for m in article.mentions}
        for entity in model.group(roles, article.language):
            gold = Counter(gold_by_start[start] for start, _, _ in entity.mentions)
            probabilities.append(entity.main_role_probability)
            right.append(entity.main_role == gold.most_common(1)[0][0])
    p, r = np.array(probabilities), np.array(right)
    rows = []
    for low, high in itertools.pairwise(edges):
        inside = (p >= low) & (p < high)
        if inside.any():
            rows.append((low, high, int(inside.sum()), float(p[inside].mean()),
                         float(r[inside].mean())))
    return rows


def roles_against_the_side(model: NarrativeModel, test: Sequence[D.NarrativeArticle]
                           ) -> dict[tuple[bool, bool], tuple[int, float]]:
    """How often the main role is right for entities on a side of the war in articles with a
    side reading, by (at odds with the side, role stated): (entities, share right). Gold
    mentions are grouped as the reports group them; the right role is the majority main role
    of the entity's gold mentions."""
    annotated = [a for a in test if a.mentions]
    predictions = model.predict([a.document for a in annotated],
                                mentions=[[(m.start, m.end) for m in a.mentions]
                                          for a in annotated])
    outcomes: dict[tuple[bool, bool], list[bool]] = {}
    for article, prediction in zip(annotated, predictions, strict=True):
        if prediction.side is None:
            continue
        gold_by_start = {m.start: m.main_role for m in article.mentions}
        for entity in prediction.entities:
            if E.bloc_of(entity.entity, article.language) is None:
                continue
            gold = Counter(gold_by_start[start] for start, _, _ in entity.mentions)
            key = (entity.at_odds_with_side, entity.role_is_clear)
            outcomes.setdefault(key, []).append(entity.main_role == gold.most_common(1)[0][0])
    return {key: (len(right), float(np.mean(right))) for key, right in sorted(outcomes.items())}


def _recall(gold, found) -> tuple[float, float]:
    if not gold:
        return 0.0, 0.0
    found_set = set(found)
    by_doc: dict[str, list[tuple[int, int]]] = {}
    for doc, s, e in found:
        by_doc.setdefault(doc, []).append((s, e))
    exact = sum((d, s, e) in found_set for d, s, e in gold) / len(gold)
    overlap = sum(any(fs < e and s < fe for fs, fe in by_doc.get(d, []))
                  for d, s, e in gold) / len(gold)
    return exact, overlap


def evaluate_baseline(train: Sequence[D.NarrativeArticle], test: Sequence[D.NarrativeArticle]
                      ) -> dict[str, LanguageScores]:
    baseline = Baseline()
    train_n = [a for a in train if a.narratives is not None]
    test_n = [a for a in test if a.narratives is not None]
    coarse, fine = baseline.narratives(train_n, test_n)
    train_r = [a for a in train if a.mentions]
    test_r = [a for a in test if a.mentions]
    main, fine_roles = baseline.roles(train_r, test_r)
    mention_language = [a.language for a in test_r for _ in a.mentions]
    mentions = [m for a in test_r for m in a.mentions]
    result = {}
    for language in sorted({a.language for a in test}):
        docs = [i for i, a in enumerate(test_n) if a.language == language]
        ments = [i for i, lang in enumerate(mention_language) if lang == language]
        result[language] = LanguageScores(
            language, len(docs), len(ments),
            samples_f1([test_n[i].narratives for i in docs], [coarse[i] for i in docs]),
            samples_f1([test_n[i].subnarratives for i in docs], [fine[i] for i in docs]),
            exact_match_ratio([mentions[i].fine_roles for i in ments],
                              [fine_roles[i] for i in ments]),
            accuracy([mentions[i].main_role for i in ments], [main[i] for i in ments]),
        )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m persuasion_lens.models.narrative_training [--data-dir D] [--out DIR]`."""
    import argparse

    from persuasion_lens.models.narratives import ARTIFACT_DIR

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default=str(ARTIFACT_DIR))
    parser.add_argument("--all", action="store_true",
                        help="train on training and validation splits (no held-out scores)")
    args = parser.parse_args(argv)
    articles = D.load_articles(args.data_dir)
    train_set = articles if args.all else [a for a in articles if a.split == "train"]
    model = train(train_set, D.load_taxonomy(args.data_dir),
                  extra_texts=technique_texts(args.data_dir))
    model.save(args.out)
    print(f"saved to {args.out}")


if __name__ == "__main__":
    main()
