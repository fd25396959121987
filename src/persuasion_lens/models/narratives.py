"""Narratives an article pushes and the roles it gives to people and countries.

Trained on SemEval-2025 Task 10 (Bulgarian, English, Hindi, Portuguese, Russian; the
Russia–Ukraine war and climate change); see ``narrative_training`` and docs/narratives.md.

* Narratives: linear scores over one pooled multilingual tf-idf space (words and character
  n-grams) for every narrative and subnarrative, calibrated to probabilities. Decisions follow
  the label hierarchy: a narrative is chosen when its probability passes the threshold, then
  its subnarratives that pass theirs (at least the best one, which may be `<narrative>: Other`),
  so a subnarrative always comes with its narrative; `Other` when no narrative passes.
* Entities: for every mention (given, or found by the `MentionDetector`) a main role
  (Protagonist, Antagonist, Innocent) and its best fine role from the words of the mention and
  its context; mentions of the same entity are grouped and their probabilities averaged.
* Side taken: for an article about the Russia–Ukraine war (not climate change) whose main
  actors include a side of it and whose names include Russia's or Ukraine's side
  (`side_of_entities`), the probability that it casts Russia and its allies favourably
  and Ukraine and the West unfavourably, from the same tf-idf space (`SideStance`).

    model = load_default_narrative_model()
    prediction = model.predict([document])[0]
    prediction.narratives, prediction.entities
"""

from __future__ import annotations

import functools
import gzip
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse as sp
from scipy.special import expit

from persuasion_lens.models import entities as E
from persuasion_lens.models.manifest import read_manifest, write_gzipped_json, write_manifest
from persuasion_lens.models.ngrams import (
    TWO_CHARACTER_WORDS,
    CharAnalyzer,
    VocabularyCounter,
    WordAnalyzer,
)
from persuasion_lens.taxonomy.roles import (
    RUSSIAN_SIDE,
    STATED_ROLE_PROBABILITY,
    SideReading,
    json_probability,
)
from persuasion_lens.text.documents import Document

ARTIFACT_DIR = Path(__file__).parent / "artifacts" / "narratives"
FORMAT = 1
# The mention rules are code, not artifact: their version is part of the model's, so that stored
# results say which rules found their entities (2: dictionary words are not names; 3: titles
# alone are not, a title opens a new name, Title Case headlines only in English).
ENTITY_RULES_SUFFIX = ".entities-4"
OTHER = "Other"
TRAINED_LANGUAGES = ("bg", "en", "hi", "pt", "ru")
MAIN_ROLES = ("Protagonist", "Antagonist", "Innocent")
MIN_MAIN_ACTORS = 6  # as many as the reports show; more when more pass the salience cut
WAR_TOPIC_CUT = 0.5  # the side is read when P(about the Russia–Ukraine war) reaches this
MENTIONS_PER_PASS = 2000  # mentions scored at once (a book-length text has tens of thousands)


@dataclass
class EntityRoles:
    entity: str
    main_role: str
    main_role_probability: float
    fine_roles: list[tuple[str, float]]
    mentions: list[tuple[int, int, str]]  # (start, end exclusive, text) into document.text
    salience: float | None = None  # probability that the article gives this entity a role
    main_role_probabilities: dict[str, float] = field(default_factory=dict)
    # the main role contradicts the side the article takes (`mark_roles_at_odds`)
    at_odds_with_side: bool = False

    @property
    def role_is_clear(self) -> bool:
        return self.main_role_probability >= STATED_ROLE_PROBABILITY

    def to_dict(self) -> dict:
        return {
            "entity": self.entity,
            "main_role": self.main_role,
            "main_role_probability": json_probability(self.main_role_probability,
                                                      not self.role_is_clear),
            "role_is_clear": self.role_is_clear,
            "main_role_probabilities": {r: json_probability(p, not self.role_is_clear)
                                        for r, p in self.main_role_probabilities.items()},
            "fine_roles": [{"label": f, "probability": round(p, 4)} for f, p in self.fine_roles],
            "salience": None if self.salience is None else round(self.salience, 4),
            "at_odds_with_side": self.at_odds_with_side,
            "mentions": [{"start": s, "end": e, "text": t} for s, e, t in self.mentions],
        }


@dataclass
class MentionRole:
    """The role of one mention (the SemEval subtask-1 unit)."""

    start: int
    end: int  # exclusive
    text: str
    main_role: str
    main_role_probability: float
    fine_roles: list[tuple[str, float]]
    probabilities: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    features: list[str] = field(repr=False, default_factory=list)  # `mention_features` row


@dataclass
class SideStance:
    """Logistic regression over the narrative tf-idf space: P(the article takes the Russian
    side). Trained on the articles about the war whose annotated roles show a side
    (`side_target`). A second one, the topic, gives P(the article is about the Russia–Ukraine
    war rather than climate change), so that a climate article naming the United States or
    the EU is not read for a side in a war it does not discuss."""

    coef: np.ndarray  # (n_features,)
    bias: float
    topic_coef: np.ndarray | None = None  # None: artifacts trained before the topic existed
    topic_bias: float = 0.0

    def probabilities(self, X: sp.csr_matrix) -> np.ndarray:
        return expit(np.asarray(X @ self.coef).ravel() + self.bias)

    def about_the_war(self, X: sp.csr_matrix) -> np.ndarray:
        if self.topic_coef is None:
            return np.ones(X.shape[0])
        return expit(np.asarray(X @ self.topic_coef).ravel() + self.topic_bias)

    def readings(self, X: sp.csr_matrix) -> list[SideReading | None]:
        """The side each article takes; None for an article not about the war."""
        war = self.about_the_war(X) >= WAR_TOPIC_CUT
        return [SideReading(float(p)) if about else None
                for p, about in zip(self.probabilities(X), war, strict=True)]


BELLIGERENT_BLOCS = ("RU", "UA")


def side_of_entities(main: Sequence[EntityRoles], minor: Sequence[EntityRoles],
                     language: str | None) -> bool:
    """Whether the names found place the article in the Russia–Ukraine war: a main actor must
    stand on a side of it, and some name (a main actor or a minor one) on Russia's or Ukraine's
    side. Western names alone (the United States, the EU, London) are also the actors of other
    conflicts and of climate policy, where a side in this war means nothing."""
    return (any(E.bloc_of(entity.entity, language) for entity in main)
            and any(E.bloc_of(entity.entity, language) in BELLIGERENT_BLOCS
                    for entity in [*main, *minor]))


def mark_roles_at_odds(entities: Sequence[EntityRoles], side: SideReading | None,
                       language: str | None) -> None:
    """Flag the entities whose main role contradicts the side the article takes: a name on the
    favoured side cast as Antagonist, or one on the opposed side cast as Protagonist or
    Innocent. The role model and the side reading disagree there, and on the validation split
    such roles were right about half the time (docs/narratives.md)."""
    if side is None or side.russian_side == 0.5:  # no leaning either way
        return
    russian_favoured = side.favoured == RUSSIAN_SIDE
    for entity in entities:
        bloc = E.bloc_of(entity.entity, language)
        if bloc is not None:
            favoured = (bloc == "RU") == russian_favoured
            entity.at_odds_with_side = (entity.main_role == "Antagonist") == favoured


@dataclass
class NarrativePrediction:
    narratives: list[tuple[str, float]]  # decided coarse narratives, best first
    subnarratives: list[tuple[str, float]]
    entities: list[EntityRoles]  # the article's main actors, most salient first
    warnings: list[str] = field(default_factory=list)
    mentions: list[MentionRole] = field(default_factory=list, repr=False)
    minor_entities: list[EntityRoles] = field(default_factory=list)  # other names found
    candidates: list[tuple[str, float]] = field(default_factory=list)  # best narratives, any p
    side: SideReading | None = None  # None: not an article about the war (side_of_entities)

    def to_dict(self) -> dict:
        return {
            "narratives": [{"label": n, "probability": round(p, 4)} for n, p in self.narratives],
            "subnarratives": [{"label": n, "probability": round(p, 4)}
                              for n, p in self.subnarratives],
            "entities": [e.to_dict() for e in self.entities],
            "minor_entities": [e.to_dict() for e in self.minor_entities],
            "narrative_candidates": [{"label": n, "probability": round(p, 4)}
                                     for n, p in self.candidates],
            "side_taken": None if self.side is None else self.side.to_dict(),
            "warnings": list(self.warnings),
        }


def _parent(subnarrative: str) -> str:
    if subnarrative == OTHER:
        return OTHER
    head, _, _ = subnarrative.rpartition(": ")
    return head or subnarrative


class DocumentFeaturizer:
    """Word 1-2-grams and character 3-5-grams (within words), sublinear tf-idf, L2 per block."""

    def __init__(self, word_vocabulary: list[str], word_idf: np.ndarray,
                 char_vocabulary: list[str], char_idf: np.ndarray, word_weight: float = 0.5):
        self.word_vocabulary = list(word_vocabulary)
        self.char_vocabulary = list(char_vocabulary)
        self.word_idf = np.asarray(word_idf, dtype=np.float64)
        self.char_idf = np.asarray(char_idf, dtype=np.float64)
        self.word_weight = float(word_weight)
        self._word = VocabularyCounter(
            self.word_vocabulary, WordAnalyzer(TWO_CHARACTER_WORDS, (1, 2)), np.float64)
        self._char = VocabularyCounter(self.char_vocabulary, CharAnalyzer((3, 5)), np.float64)

    @staticmethod
    def text_of(document: Document) -> str:
        return document.title + "\n" + document.text

    @property
    def n_features(self) -> int:
        return len(self.word_vocabulary) + len(self.char_vocabulary)

    def transform(self, documents: Sequence[Document]) -> sp.csr_matrix:
        texts = [self.text_of(d) for d in documents]
        blocks = []
        for vectorizer, idf, weight in ((self._word, self.word_idf, self.word_weight),
                                        (self._char, self.char_idf, 1 - self.word_weight)):
            counts = vectorizer.transform(texts)
            counts.data = 1 + np.log(counts.data)
            matrix = counts @ sp.diags(idf)
            norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
            norms[norms == 0] = 1.0
            blocks.append(sp.diags(np.sqrt(weight) / norms) @ matrix)
        return sp.hstack(blocks).tocsr()

    def to_json(self) -> dict:
        return {"word_vocabulary": self.word_vocabulary, "char_vocabulary": self.char_vocabulary,
                "word_weight": self.word_weight}


def role_stacker_inputs(main: np.ndarray, names: Sequence[str], language: str | None,
                        narrative_probabilities: np.ndarray, blocs: Sequence[str],
                        crossed: Sequence[int]) -> np.ndarray:
    """(n mentions, 3 + len(blocs) * (1 + len(crossed))) inputs of the main role's second stage:
    first-stage log-probabilities, the side one-hot, the side x the crossed narratives."""
    stance = np.asarray(narrative_probabilities)[list(crossed)]
    rows = []
    for probabilities, name in zip(main, names, strict=True):
        side = E.bloc_of(name, language)
        one_hot = np.array([side == b for b in blocs], dtype=np.float64)
        rows.append(np.concatenate([np.log(np.maximum(probabilities, 1e-12)), one_hot,
                                    np.outer(one_hot, stance).ravel()]))
    return np.array(rows).reshape(len(rows), -1)


@dataclass
class RoleStacker:
    """Second stage of the main role. Per mention: the first stage's log-probabilities, the
    entity's geopolitical side (taxonomy.roles.GEOPOLITICAL_BLOCS) and that side crossed with the
    article's narrative probabilities (`Other` is no stance, so it is left out) -> main-role
    probabilities. It is fitted on out-of-fold first-stage outputs of all five languages, so the
    side an article takes, learnt where the data show it, carries over to every language; it also
    calibrates the first stage."""

    blocs: list[str]
    crossed: list[int]  # the narrative columns crossed with the side
    coef: np.ndarray  # (len(inputs), n main roles)
    bias: np.ndarray

    def inputs(self, main: np.ndarray, names: Sequence[str], language: str | None,
               narrative_probabilities: np.ndarray) -> np.ndarray:
        return role_stacker_inputs(main, names, language, narrative_probabilities, self.blocs,
                                   self.crossed)

    def apply(self, main: np.ndarray, names: Sequence[str], language: str | None,
              narrative_probabilities: np.ndarray) -> np.ndarray:
        X = self.inputs(main, names, language, narrative_probabilities)
        return softmax(X @ self.coef + self.bias)


def _quantise(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = np.abs(matrix).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    return np.round(matrix / scale).astype(np.int8), scale.astype(np.float32)


def _dequantise(codes: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return codes.astype(np.float32) * scale[None, :]


def _store_vector(arrays: dict[str, np.ndarray], name: str, vector: np.ndarray) -> None:
    """A weight vector as int8 codes (`name`) and one scale (`name`_scale)."""
    arrays[name], arrays[name + "_scale"] = _quantise(np.asarray(vector).reshape(-1, 1))


def _read_vector(arrays: dict[str, np.ndarray], name: str) -> np.ndarray:
    return _dequantise(arrays[name], arrays[name + "_scale"]).ravel().astype(np.float64)


@dataclass
class NarrativeModel:
    featurizer: DocumentFeaturizer
    narratives: list[str]  # coarse labels (Other included)
    subnarratives: list[str]
    narrative_coef: np.ndarray  # (n_features, n_narratives)
    narrative_bias: np.ndarray
    sub_coef: np.ndarray
    sub_bias: np.ndarray
    calibration: dict[str, list[float]]  # level -> [a, b]: p = sigmoid(a * score + b)
    thresholds: dict[str, dict[str, float]]  # level -> language or "*" -> probability cut
    role_featurizer: E.SparseFeaturizer
    main_roles: list[str]
    main_coef: np.ndarray  # (n_role_features, 3)
    main_bias: np.ndarray
    fine_roles: dict[str, list[str]]  # main role -> fine roles
    fine_coef: dict[str, np.ndarray]
    fine_bias: dict[str, np.ndarray]
    detector: E.MentionDetector
    version: str = "narratives-kr-3" + ENTITY_RULES_SUFFIX
    info: dict = field(default_factory=dict)
    salience: E.SalienceModel | None = None
    role_stacker: RoleStacker | None = None
    side_stance: SideStance | None = None

    # -- narratives ---------------------------------------------------------------------------

    def _language(self, document: Document) -> str:
        code = (document.language or "").lower()
        return code if code in TRAINED_LANGUAGES else "*"

    def narrative_probabilities(self, documents: Sequence[Document],
                                X: sp.csr_matrix | None = None):
        """(narrative, subnarrative) probabilities; X: the documents' features if known."""
        X = self.featurizer.transform(documents) if X is None else X
        a, b = self.calibration["narratives"]
        pn = expit(a * (X @ self.narrative_coef + self.narrative_bias) + b)
        a, b = self.calibration["subnarratives"]
        ps = expit(a * (X @ self.sub_coef + self.sub_bias) + b)
        return np.asarray(pn), np.asarray(ps)

    def _children(self) -> dict[int, list[int]]:
        if not hasattr(self, "_kids"):
            index = {n: j for j, n in enumerate(self.narratives)}
            kids: dict[int, list[int]] = {j: [] for j in range(len(self.narratives))}
            for k, name in enumerate(self.subnarratives):
                parent = index.get(_parent(name))
                if parent is not None and name != OTHER:
                    kids[parent].append(k)
            self._kids = kids
        return self._kids

    def decide(self, pn: np.ndarray, ps: np.ndarray, language: str):
        """Hierarchical decision for one document -> (narratives, subnarratives)."""
        cut_n = self.thresholds["narratives"].get(language, self.thresholds["narratives"]["*"])
        cut_s = self.thresholds["subnarratives"].get(
            language, self.thresholds["subnarratives"]["*"])
        kids = self._children()
        chosen = [j for j, name in enumerate(self.narratives)
                  if name != OTHER and kids[j] and pn[j] >= cut_n]
        if not chosen:
            j_other = self.narratives.index(OTHER)
            k_other = self.subnarratives.index(OTHER)
            p_other = float(max(pn[j_other], 1 - pn.max(initial=0.0) if pn.size else 1.0))
            return [(OTHER, p_other)], [(OTHER, float(max(ps[k_other], p_other)))]
        narratives, subnarratives = [], []
        for j in sorted(chosen, key=lambda j: -pn[j]):
            children = [k for k in kids[j] if ps[k] >= cut_s]
            if not children:
                children = [max(kids[j], key=lambda k: ps[k])]
            narratives.append((self.narratives[j], float(pn[j])))
            subnarratives.extend((self.subnarratives[k], float(ps[k]))
                                 for k in sorted(children, key=lambda k: -ps[k]))
        return narratives, subnarratives

    # -- entity roles -------------------------------------------------------------------------

    def candidates(self, pn: np.ndarray, top: int = 3) -> list[tuple[str, float]]:
        """The most likely narratives (Other aside), whether or not they pass the threshold."""
        order = [j for j in np.argsort(-pn) if self.narratives[j] != OTHER]
        return [(self.narratives[j], float(pn[j])) for j in order[:top]]

    def stance(self, pn: np.ndarray, ps: np.ndarray, top: int = 2, top_sub: int = 0
               ) -> list[str]:
        """The document's most likely narratives and subnarratives (Other aside), which tell
        the role model whose side the article takes."""
        order_n = [j for j in np.argsort(-pn) if self.narratives[j] != OTHER]
        order_s = [k for k in np.argsort(-ps) if self.subnarratives[k] != OTHER]
        return ([self.narratives[j] for j in order_n[:top]]
                + [self.subnarratives[k] for k in order_s[:top_sub]])

    def role_probabilities(self, rows: Sequence[Sequence[str]]):
        """(main probabilities (n, 3), fine probabilities per main role) for mentions, from
        their `mention_features` rows."""
        parts = [self._role_probabilities(rows[begin:begin + MENTIONS_PER_PASS])
                 for begin in range(0, len(rows), MENTIONS_PER_PASS)] or [
            self._role_probabilities(rows)]
        main = np.concatenate([p[0] for p in parts])
        fine = {m: np.concatenate([p[1][m] for p in parts]) for m in self.main_roles}
        return main, fine

    def _role_probabilities(self, rows: Sequence[Sequence[str]]):
        X = self.role_featurizer.transform(rows)
        main = softmax(np.asarray(X @ self.main_coef) + self.main_bias)
        fine = {m: softmax(np.asarray(X @ self.fine_coef[m]) + self.fine_bias[m])
                for m in self.main_roles}
        return main, fine

    def mention_roles(self, text: str, spans: Sequence[tuple[int, int]],
                      language: str | None,
                      narrative_scores: tuple[np.ndarray, np.ndarray] | None = None
                      ) -> list[MentionRole]:
        """Roles of the given mentions. `narrative_scores`: the text's (narrative,
        subnarrative) probabilities, computed here when not given."""
        if not spans:
            return []
        if narrative_scores is None:
            pn, ps = self.narrative_probabilities([Document.from_text(text, language)])
            narrative_scores = (pn[0], ps[0])
        stance = self.stance(*narrative_scores)
        rows = [E.mention_features(text, s, e, language, stance) for s, e in spans]
        main, fine = self.role_probabilities(rows)
        if self.role_stacker is not None:
            main = self.role_stacker.apply(main, [text[s:e] for s, e in spans], language,
                                           narrative_scores[0])
        result = []
        for i, (start, end) in enumerate(spans):
            m = int(np.argmax(main[i]))
            role = self.main_roles[m]
            p_fine = fine[role][i]
            best = int(np.argmax(p_fine))
            result.append(MentionRole(
                start, end, text[start:end], role, float(main[i, m]),
                [(self.fine_roles[role][best], float(p_fine[best] * main[i, m]))],
                np.concatenate([main[i]] + [fine[r][i] for r in self.main_roles]),
                rows[i],
            ))
        return result

    def group(self, mentions: list[MentionRole], language: str | None,
              text: str | None = None) -> list[EntityRoles]:
        """Mentions grouped by entity, most salient first (most mentioned first when the
        model has no salience part or no text is given)."""
        groups = E.group_mentions([m.text for m in mentions], language,
                                  self.detector.names_anywhere())
        salience = self._salience(text, mentions, groups, language)
        entities = []
        widths = [len(self.fine_roles[r]) for r in self.main_roles]
        for group in groups:
            members = [mentions[i] for i in group.indices]
            mean = np.mean([m.probabilities for m in members], axis=0)
            main = mean[: len(self.main_roles)]
            m = int(np.argmax(main))
            role = self.main_roles[m]
            offset = len(self.main_roles) + sum(widths[:m])
            p_fine = mean[offset: offset + widths[m]]
            best = int(np.argmax(p_fine))
            entities.append(EntityRoles(
                entity=group.name,
                main_role=role,
                main_role_probability=float(main[m]),
                main_role_probabilities={r: float(p) for r, p in zip(self.main_roles, main,
                                                                      strict=True)},
                fine_roles=[(self.fine_roles[role][best], float(p_fine[best] * main[m]))],
                mentions=[(x.start, x.end, x.text) for x in members],
                salience=None if salience is None else float(salience[len(entities)]),
            ))
        entities.sort(key=lambda e: (-(e.salience or 0.0), -len(e.mentions), e.mentions[0][0]))
        return entities

    def _salience(self, text: str | None, mentions: list[MentionRole],
                  groups: list[E.MentionGroup], language: str | None) -> np.ndarray | None:
        if self.salience is None or text is None:
            return None
        spans = [(m.start, m.end) for m in mentions]
        return self.salience.scores(text, spans, groups, language,
                                    self.detector.known_names(language),
                                    [m.features for m in mentions])

    def main_actors(self, entities: list[EntityRoles]) -> tuple[list[EntityRoles],
                                                                 list[EntityRoles]]:
        """(main actors, other names): the entities whose salience passes the cut, and
        at least the MIN_MAIN_ACTORS most salient."""
        if self.salience is None:
            return entities, []
        keep = [i < MIN_MAIN_ACTORS or (e.salience or 0.0) >= self.salience.cut
                for i, e in enumerate(entities)]
        return ([e for e, k in zip(entities, keep, strict=True) if k],
                [e for e, k in zip(entities, keep, strict=True) if not k])

    # -- the API ------------------------------------------------------------------------------

    def warnings_for(self, document: Document) -> list[str]:
        code = (document.language or "").lower()
        if code in TRAINED_LANGUAGES:
            return []
        name = code or "unknown"
        return [f"narratives, entity roles and the side taken: no training data for language "
                f"'{name}'; the pooled multilingual model is applied and its quality is unknown"]

    def predict(self, documents: Sequence[Document],
                mentions: Sequence[Sequence[tuple[int, int]] | None] | None = None
                ) -> list[NarrativePrediction]:
        """Narratives and entity roles; `mentions` (end exclusive) replaces detection."""
        documents = list(documents)
        if not documents:
            return []
        if mentions is not None and len(mentions) != len(documents):
            raise ValueError(f"{len(mentions)} mention lists for {len(documents)} documents")
        X = self.featurizer.transform(documents)
        pn, ps = self.narrative_probabilities(documents, X)
        sides = (self.side_stance.readings(X) if self.side_stance is not None
                 else [None] * len(documents))
        predictions = []
        for i, document in enumerate(documents):
            language = self._language(document)
            narratives, subnarratives = self.decide(pn[i], ps[i], language)
            spans = mentions[i] if mentions is not None and mentions[i] is not None else (
                self.detector.detect(document.text, document.language))
            for start, end in spans:
                if not 0 <= start < end <= len(document.text):
                    raise ValueError(f"mention {start}-{end} lies outside the document "
                                     f"({len(document.text)} characters)")
            roles = self.mention_roles(document.text, list(spans), document.language,
                                       (pn[i], ps[i]))
            entities = self.group(roles, document.language, document.text)
            given = mentions is not None and mentions[i] is not None
            main, minor = (entities, []) if given else self.main_actors(entities)
            side = sides[i] if side_of_entities(main, minor, document.language) else None
            mark_roles_at_odds([*main, *minor], side, document.language)
            predictions.append(NarrativePrediction(
                narratives=narratives,
                subnarratives=subnarratives,
                entities=main,
                warnings=self.warnings_for(document),
                mentions=roles,
                minor_entities=minor,
                candidates=self.candidates(pn[i]),
                side=side,
            ))
        return predictions

    # -- persistence --------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        for name, matrix in (("narrative_coef", self.narrative_coef),
                             ("sub_coef", self.sub_coef), ("main_coef", self.main_coef)):
            arrays[name], arrays[name + "_scale"] = _quantise(np.asarray(matrix))
        for role in self.main_roles:
            arrays[f"fine_coef_{role}"], arrays[f"fine_coef_{role}_scale"] = _quantise(
                np.asarray(self.fine_coef[role]))
            arrays[f"fine_bias_{role}"] = np.asarray(self.fine_bias[role], dtype=np.float32)
        arrays["narrative_bias"] = np.asarray(self.narrative_bias, dtype=np.float32)
        arrays["sub_bias"] = np.asarray(self.sub_bias, dtype=np.float32)
        arrays["main_bias"] = np.asarray(self.main_bias, dtype=np.float32)
        arrays["word_idf"] = self.featurizer.word_idf.astype(np.float32)
        arrays["char_idf"] = self.featurizer.char_idf.astype(np.float32)
        arrays["role_idf"] = self.role_featurizer.idf.astype(np.float32)
        vocabulary = {
            "featurizer": self.featurizer.to_json(),
            "role_vocabulary": self.role_featurizer.vocabulary,
            "detector": self.detector.to_dict(),
        }
        salience = None
        if self.salience is not None:
            _store_vector(arrays, "salience_coef", self.salience.coef)
            arrays["salience_idf"] = self.salience.featurizer.idf.astype(np.float32)
            vocabulary["salience_vocabulary"] = self.salience.featurizer.vocabulary
            salience = {"bias": self.salience.bias, "cut": self.salience.cut}
        stacker = None
        if self.role_stacker is not None:
            arrays["role_stacker_coef"] = self.role_stacker.coef.astype(np.float32)
            arrays["role_stacker_bias"] = self.role_stacker.bias.astype(np.float32)
            stacker = {"blocs": self.role_stacker.blocs, "crossed": self.role_stacker.crossed}
        side = None
        if self.side_stance is not None:
            _store_vector(arrays, "side_coef", self.side_stance.coef)
            side = {"bias": self.side_stance.bias}
            if self.side_stance.topic_coef is not None:
                _store_vector(arrays, "war_topic_coef", self.side_stance.topic_coef)
                side["topic_bias"] = self.side_stance.topic_bias
        np.savez_compressed(directory / "weights.npz", **arrays)
        write_gzipped_json(directory / "vocabulary.json.gz", vocabulary, separators=(",", ":"))
        manifest = {
            "format": FORMAT,
            "version": self.version.removesuffix(ENTITY_RULES_SUFFIX),
            "narratives": self.narratives,
            "subnarratives": self.subnarratives,
            "calibration": self.calibration,
            "thresholds": self.thresholds,
            "main_roles": self.main_roles,
            "fine_roles": self.fine_roles,
            "salience": salience,
            "role_stacker": stacker,
            "side_stance": side,
            "info": self.info,
        }
        write_manifest(directory / "manifest.json", manifest)

    @classmethod
    def load(cls, directory: Path) -> NarrativeModel:
        """The model saved in `directory`; a folder that holds no such model, or a damaged
        one, is a ValueError naming it (not a traceback from deep inside)."""
        directory = Path(directory)
        manifest = read_manifest(directory / "manifest.json", "narrative model")
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            found = manifest.get("format") if isinstance(manifest, dict) else None
            raise ValueError(f"{directory}: narrative model format {found}, "
                             f"this version reads {FORMAT}")
        try:
            return cls._load(directory, manifest)
        except (KeyError, OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            problem = f"{error.__class__.__name__} {error}"
            raise ValueError(f"{directory}: a damaged narrative model ({problem})") from None

    @classmethod
    def _load(cls, directory: Path, manifest: dict) -> NarrativeModel:
        with gzip.open(directory / "vocabulary.json.gz", "rt", encoding="utf-8") as handle:
            vocabulary = json.load(handle)
        with np.load(directory / "weights.npz") as data:
            arrays = {k: data[k] for k in data.files}
        feats = vocabulary["featurizer"]
        main_roles = list(manifest["main_roles"])
        return cls(
            featurizer=DocumentFeaturizer(feats["word_vocabulary"], arrays["word_idf"],
                                          feats["char_vocabulary"], arrays["char_idf"],
                                          feats["word_weight"]),
            narratives=list(manifest["narratives"]),
            subnarratives=list(manifest["subnarratives"]),
            narrative_coef=_dequantise(arrays["narrative_coef"], arrays["narrative_coef_scale"]),
            narrative_bias=arrays["narrative_bias"].astype(np.float64),
            sub_coef=_dequantise(arrays["sub_coef"], arrays["sub_coef_scale"]),
            sub_bias=arrays["sub_bias"].astype(np.float64),
            calibration=manifest["calibration"],
            thresholds=manifest["thresholds"],
            role_featurizer=E.SparseFeaturizer(vocabulary["role_vocabulary"], arrays["role_idf"]),
            main_roles=main_roles,
            main_coef=_dequantise(arrays["main_coef"], arrays["main_coef_scale"]),
            main_bias=arrays["main_bias"].astype(np.float64),
            fine_roles={k: list(v) for k, v in manifest["fine_roles"].items()},
            fine_coef={r: _dequantise(arrays[f"fine_coef_{r}"], arrays[f"fine_coef_{r}_scale"])
                       for r in main_roles},
            fine_bias={r: arrays[f"fine_bias_{r}"].astype(np.float64) for r in main_roles},
            detector=E.MentionDetector.from_dict(vocabulary["detector"]),
            version=manifest["version"] + ENTITY_RULES_SUFFIX,
            info=manifest.get("info", {}),
            salience=_load_salience(manifest.get("salience"), arrays, vocabulary),
            role_stacker=_load_role_stacker(manifest.get("role_stacker"), arrays),
            side_stance=_load_side_stance(manifest.get("side_stance"), arrays),
        )


def _load_salience(settings: dict | None, arrays: dict[str, np.ndarray],
                   vocabulary: dict) -> E.SalienceModel | None:
    if not settings or "salience_coef" not in arrays:
        return None  # artifacts trained before entity salience existed
    featurizer = E.SparseFeaturizer(vocabulary["salience_vocabulary"], arrays["salience_idf"])
    return E.SalienceModel(featurizer, _read_vector(arrays, "salience_coef"),
                           float(settings["bias"]), float(settings["cut"]))


def _load_role_stacker(settings: dict | None, arrays: dict[str, np.ndarray]
                       ) -> RoleStacker | None:
    if not settings or "role_stacker_coef" not in arrays:
        return None  # artifacts trained before the second stage existed
    return RoleStacker(list(settings["blocs"]), [int(j) for j in settings["crossed"]],
                       arrays["role_stacker_coef"].astype(np.float64),
                       arrays["role_stacker_bias"].astype(np.float64))


def _load_side_stance(settings: dict | None, arrays: dict[str, np.ndarray]
                      ) -> SideStance | None:
    if not settings or "side_coef" not in arrays:
        return None  # artifacts trained before the side taken was read
    topic = _read_vector(arrays, "war_topic_coef") if "war_topic_coef" in arrays else None
    return SideStance(_read_vector(arrays, "side_coef"), float(settings["bias"]), topic,
                      float(settings.get("topic_bias", 0.0)))


def softmax(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax of a (n, k) score matrix."""
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


@functools.lru_cache(maxsize=1)
def load_default_narrative_model() -> NarrativeModel:
    """The model shipped in ``models/artifacts/narratives/``."""
    return NarrativeModel.load(ARTIFACT_DIR)
