"""Where in a paragraph each technique sits: a token tagger that turns paragraph labels into spans.

The paragraph-level detector decides WHICH techniques a paragraph carries; this model only decides
WHERE. For every (paragraph, technique) pair it scores each token with a linear model of that
technique ("is this token inside a span of technique t, given that the paragraph has t"), then
decodes runs of high-scoring tokens into character ranges trimmed to word boundaries. Because it
is only ever asked about techniques the paragraph has, and always returns at least one span for
each, paragraph labels and spans agree by construction.

Features per token (all sparse indicators): the lower-cased word, its lemma (simplemma), suffix,
shape, the neighbouring words and bigram, a few more context words, position in the paragraph
and in the sentence, distance to the surrounding punctuation (clause boundaries), whether it is
inside quotes, whether its sentence is a question or an exclamation, and the language.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from persuasion_lens.pipeline.results import SpanHit
from persuasion_lens.text.documents import Document

ARTIFACT_DIR = Path(__file__).parent / "artifacts" / "spans"
FORMAT = 1

# Words (with inner hyphens/apostrophes) or single non-space symbols.
TOKEN_RE = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)
_QUOTES = set("\"«»“”„‟")
_SENTENCE_END = {".", "!", "?", "…"}
_CLAUSE_PUNCT = {",", ";", ":", "—", "–", "(", ")", "-"} | _SENTENCE_END
# Symbols a span may end on (a question mark or a closing quote belongs to the phrase).
_KEEP_AT_END = {"?", "!", "”", "»", '"', ")"}
_LEXICAL_PREFIXES = ("w=", "l=", "bg=", "s3=")


def tokenize(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in TOKEN_RE.finditer(text)]


def _bucket(value: int, edges: Sequence[int]) -> int:
    for index, edge in enumerate(edges):
        if value <= edge:
            return index
    return len(edges)


_POS_EDGES = (0, 1, 2, 4, 7, 12, 20, 35)
_LEN_EDGES = (5, 10, 20, 35, 60, 100)


@functools.lru_cache(maxsize=200_000)
def _lemma(word: str, language: str) -> str:
    import simplemma

    try:
        return simplemma.lemmatize(word, lang=language).lower()
    except (ValueError, KeyError):
        return word


def _shape(token: str) -> str:
    if token.isdigit():
        return "d"
    if not token[0].isalnum():
        return "p"
    if token.isupper() and len(token) > 1:
        return "X"
    if token[0].isupper():
        return "Xx"
    return "x"


def token_features(text: str, tokens: list[tuple[int, int]], language: str) -> list[list[str]]:
    """Feature strings of every token of one paragraph."""
    words = [text[a:b] for a, b in tokens]
    lower = [w.lower() for w in words]
    n = len(tokens)
    lang = language if language in _LEMMA_LANGUAGES else "xx"
    # sentence ids, quote state, distance to clause punctuation
    sentence_of = [0] * n
    sentence_starts = [0]
    in_quote = [False] * n
    quoted = False
    for i, w in enumerate(words):
        if w in _QUOTES:
            quoted = not quoted
        in_quote[i] = quoted
        sentence_of[i] = len(sentence_starts) - 1
        if w in _SENTENCE_END and i + 1 < n:
            sentence_starts.append(i + 1)
    sentence_ends = [*sentence_starts[1:], n]
    last_word = [
        words[sentence_ends[s] - 1] for s in range(len(sentence_starts))
    ]
    since_punct = [0] * n
    count = 0
    for i, w in enumerate(words):
        since_punct[i] = count
        count = 0 if w in _CLAUSE_PUNCT else count + 1
    until_punct = [0] * n
    count = 0
    for i in range(n - 1, -1, -1):
        until_punct[i] = count
        count = 0 if words[i] in _CLAUSE_PUNCT else count + 1
    length = f"n={_bucket(n, _LEN_EDGES)}"
    lang_feature = f"L={language}"
    features: list[list[str]] = []
    for i in range(n):
        w = lower[i]
        s = sentence_of[i]
        rel = min(4, 5 * i // max(1, n))
        f = [
            "w=" + w,
            "sh=" + _shape(words[i]),
            f"rp={rel}",
            f"ss={_bucket(i - sentence_starts[s], _POS_EDGES)}",
            f"se={_bucket(sentence_ends[s] - 1 - i, _POS_EDGES)}",
            f"pc={_bucket(since_punct[i], _POS_EDGES)}",
            f"nc={_bucket(until_punct[i], _POS_EDGES)}",
            length,
            lang_feature,
            f"{lang_feature}|{rel}",
            "p1=" + (lower[i - 1] if i else "<s>"),
            "n1=" + (lower[i + 1] if i + 1 < n else "</s>"),
            "p2=" + (lower[i - 2] if i > 1 else "<s>"),
            "n2=" + (lower[i + 2] if i + 2 < n else "</s>"),
            "bg=" + (lower[i - 1] if i else "<s>") + "_" + w,
        ]
        if words[i][0].isalpha():
            lemma = _lemma(w, lang) if lang != "xx" else w
            f.append("l=" + lemma)
            if len(w) > 4:
                f.append("s3=" + w[-3:])
        for j in (i - 4, i - 3, i + 3, i + 4):
            if 0 <= j < n:
                f.append("c=" + lower[j])
        if in_quote[i]:
            f.append("q")
        end = last_word[s]
        if end == "?":
            f.append("sq")
        elif end == "!":
            f.append("sx")
        if s == 0:
            f.append("s0")
        features.append(f)
    return features


_LEMMA_LANGUAGES = {"en", "fr", "de", "it", "pl", "ru", "es", "el", "pt", "nl", "bg", "uk"}


@dataclass
class DecodeSettings:
    threshold: float = 0.4
    gap: int = 1


def _technique_info(name: str) -> tuple[str, str, str]:
    """(label, category, definition) from the taxonomy, with a plain fallback."""
    try:
        from persuasion_lens.taxonomy import technique

        info = technique(name)
        return info.label, getattr(info, "category", ""), info.definition
    except (ImportError, KeyError, LookupError, AttributeError):
        label, category, definition = _FALLBACK_TAXONOMY.get(
            name, (name.replace("_", " ").replace("-", " / "), "", "")
        )
        return label, category, definition


_FALLBACK_TAXONOMY: dict[str, tuple[str, str, str]] = {
    "Name_Calling-Labeling": ("Name calling", "Attack on reputation",
                              "a label meant to make the target look bad"),
    "Guilt_by_Association": ("Guilt by association", "Attack on reputation",
                             "links the target to someone or something disliked"),
    "Doubt": ("Casting doubt", "Attack on reputation",
              "questions someone's credibility instead of their argument"),
    "Appeal_to_Hypocrisy": ("Appeal to hypocrisy", "Attack on reputation",
                            "attacks the target for inconsistency rather than the issue"),
    "Questioning_the_Reputation": ("Questioning the reputation", "Attack on reputation",
                                   "undermines the target's character or standing"),
    "Flag_Waving": ("Flag waving", "Justification",
                    "appeals to group pride or identity to justify a position"),
    "Appeal_to_Authority": ("Appeal to authority", "Justification",
                            "leans on someone's authority instead of evidence"),
    "Appeal_to_Popularity": ("Appeal to popularity", "Justification",
                             "claims something is right because many agree"),
    "Appeal_to_Values": ("Appeal to values", "Justification",
                         "ties a position to values the audience holds dear"),
    "Appeal_to_Fear-Prejudice": ("Appeal to fear", "Justification",
                                 "plays on fear or prejudice to win support"),
    "Causal_Oversimplification": ("Causal oversimplification", "Simplification",
                                  "blames one cause for something with many"),
    "False_Dilemma-No_Choice": ("False dilemma", "Simplification",
                                "presents only two options when there are more"),
    "Consequential_Oversimplification": ("Slippery slope", "Simplification",
                                         "claims one step will inevitably lead to extremes"),
    "Straw_Man": ("Straw man", "Distraction",
                  "attacks a distorted version of the opponent's position"),
    "Red_Herring": ("Red herring", "Distraction",
                    "brings up something irrelevant to divert attention"),
    "Whataboutism": ("Whataboutism", "Distraction",
                     "deflects criticism by pointing at someone else's wrongs"),
    "Slogans": ("Slogan", "Call", "a short, catchy phrase meant to stick"),
    "Conversation_Killer": ("Conversation killer", "Call",
                            "a phrase meant to shut down discussion"),
    "Appeal_to_Time": ("Appeal to time", "Call", "urges action because 'the time is now'"),
    "Loaded_Language": ("Loaded language", "Manipulative wording",
                        "words chosen for their emotional charge rather than their content"),
    "Obfuscation-Vagueness-Confusion": ("Vagueness", "Manipulative wording",
                                        "deliberately unclear wording"),
    "Exaggeration-Minimisation": ("Exaggeration or minimisation", "Manipulative wording",
                                  "makes something bigger or smaller than it is"),
    "Repetition": ("Repetition", "Manipulative wording",
                   "repeats a phrase so that it sticks"),
}


class SpanDetector:
    """Per-technique token taggers over one shared sparse feature space."""

    def __init__(
        self,
        vocabulary: dict[str, int],
        weights: np.ndarray,  # (n_features, n_techniques) float32
        bias: np.ndarray,  # (n_techniques,)
        techniques: list[str],
        decode: dict[str, DecodeSettings] | None = None,
        version: str = "spans-1",
        metadata: dict | None = None,
    ) -> None:
        self.vocabulary = vocabulary
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.techniques = list(techniques)
        self.column = {t: i for i, t in enumerate(self.techniques)}
        self.decode = decode or {}
        self.version = version
        self.metadata = metadata or {}
        self._lexical = np.array(
            [False] * 0, dtype=bool
        )
        self._feature_names: list[str] | None = None

    # ---------------------------------------------------------------- scoring
    def _indices(self, features: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        vocab = self.vocabulary
        rows: list[int] = []
        cols: list[int] = []
        for row, names in enumerate(features):
            for name in names:
                index = vocab.get(name)
                if index is not None:
                    rows.append(row)
                    cols.append(index)
        return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)

    def token_scores(
        self, text: str, tokens: list[tuple[int, int]], language: str, columns: list[int]
    ) -> tuple[np.ndarray, list[list[str]], np.ndarray, np.ndarray]:
        """Token probabilities (n_tokens, len(columns)) for the given technique columns."""
        features = token_features(text, tokens, language)
        rows, cols = self._indices(features)
        logits = np.zeros((len(tokens), len(columns)), dtype=np.float32)
        if len(rows):
            np.add.at(logits, rows, self.weights[np.ix_(cols, columns)] if len(columns) > 1
                      else self.weights[cols][:, columns])
        logits += self.bias[columns]
        return 1.0 / (1.0 + np.exp(-logits)), features, rows, cols

    # ---------------------------------------------------------------- decoding
    def _settings(self, technique: str) -> DecodeSettings:
        return self.decode.get(technique) or self.decode.get("*") or DecodeSettings()

    @staticmethod
    def decode_runs(
        probabilities: np.ndarray, words: list[str], settings: DecodeSettings
    ) -> list[tuple[int, int]]:
        """Token ranges [i, j) of the spans: runs above the threshold, small gaps bridged,
        trimmed of punctuation; at least one range (around the best token)."""
        n = len(probabilities)
        is_word = [w[0].isalnum() for w in words]
        above = probabilities >= settings.threshold
        runs: list[list[int]] = []
        i = 0
        while i < n:
            if above[i]:
                j = i
                while j < n and above[j]:
                    j += 1
                if runs and i - runs[-1][1] <= settings.gap:
                    runs[-1][1] = j
                else:
                    runs.append([i, j])
                i = j
            else:
                i += 1
        trimmed = []
        for a, b in runs:
            while a < b and not is_word[a]:
                a += 1
            while b > a and not is_word[b - 1] and words[b - 1] not in _KEEP_AT_END:
                b -= 1
            if a < b and any(is_word[a:b]):
                trimmed.append((a, b))
        if trimmed:
            return trimmed
        # nothing passed the threshold: the run around the best word token
        candidates = [k for k in range(n) if is_word[k]] or list(range(n))
        if not candidates:
            return []
        best = max(candidates, key=lambda k: probabilities[k])
        floor = probabilities[best] * 0.6
        a = best
        while a > 0 and probabilities[a - 1] >= floor:
            a -= 1
        b = best + 1
        while b < n and probabilities[b] >= floor:
            b += 1
        while a < best and not is_word[a]:
            a += 1
        while b > best + 1 and not is_word[b - 1] and words[b - 1] not in _KEEP_AT_END:
            b -= 1
        return [(a, b)]

    # ---------------------------------------------------------------- public API
    def locate(
        self, document: Document, paragraph_techniques: list[list[tuple[str, float]]]
    ) -> list[list[SpanHit]]:
        language = (document.language or "xx").lower()
        results: list[list[SpanHit]] = []
        for paragraph, given in zip(document.paragraphs, paragraph_techniques, strict=False):
            hits: list[SpanHit] = []
            if given:
                hits = self._locate_paragraph(document.text, paragraph, given, language)
            results.append(hits)
        # paragraphs beyond the given list get no spans
        results.extend([] for _ in range(len(document.paragraphs) - len(results)))
        return results

    def _locate_paragraph(self, full_text, paragraph, given, language) -> list[SpanHit]:
        text = paragraph.text
        tokens = tokenize(text)
        if not tokens:
            return []
        known = [(t, c) for t, c in given if t in self.column]
        columns = [self.column[t] for t, _ in known]
        probabilities = np.zeros((len(tokens), 0), dtype=np.float32)
        features: list[list[str]] = []
        rows = cols = np.zeros(0, dtype=np.int64)
        if columns:
            probabilities, features, rows, cols = self.token_scores(
                text, tokens, language, columns
            )
        words = [text[a:b] for a, b in tokens]
        hits: list[SpanHit] = []
        for technique, confidence in given:
            if technique in self.column:
                k = known.index((technique, confidence))
                p = probabilities[:, k]
                ranges = self.decode_runs(p, words, self._settings(technique))
            else:  # a technique this model never saw: the whole paragraph
                p = np.full(len(tokens), 0.5, dtype=np.float32)
                ranges = [(0, len(tokens))]
            label, category, definition = _technique_info(technique)
            for a, b in ranges:
                start = paragraph.start + tokens[a][0]
                end = paragraph.start + tokens[b - 1][1]
                localisation = float(p[a:b].mean())
                explanation = self._explain(
                    technique, label, definition, words, features, rows, cols, a, b
                )
                hits.append(
                    SpanHit(
                        start=start,
                        end=end,
                        text=full_text[start:end],
                        technique=technique,
                        category=category,
                        confidence=float(min(1.0, max(0.0, confidence * localisation))),
                        explanation=explanation,
                    )
                )
        return hits

    def _explain(self, technique, label, definition, words, features, rows, cols, a, b) -> str:
        head = f"{label}: {definition}" if definition else label
        cues: list[str] = []
        if technique in self.column and len(rows):
            column = self.column[technique]
            names = self.feature_names()
            contribution: dict[str, float] = {}
            mask = (rows >= a) & (rows < b)
            for row, index in zip(rows[mask], cols[mask], strict=True):
                if names[index].startswith(_LEXICAL_PREFIXES):
                    weight = float(self.weights[index, column])
                    word = words[row]
                    contribution[word] = contribution.get(word, 0.0) + weight
            ranked = sorted(
                (item for item in contribution.items() if item[1] > 0 and item[0][0].isalnum()),
                key=lambda item: -item[1],
            )
            seen: set[str] = set()
            for word, _ in ranked:
                if word.lower() not in seen:
                    seen.add(word.lower())
                    cues.append(word)
                if len(cues) == 3:
                    break
        if cues:
            quoted = ", ".join(f"“{w}”" for w in cues)
            return f"{head} — here {quoted} weighed most."
        return f"{head} — here the shape and position of the phrase weighed most."

    def feature_names(self) -> list[str]:
        if self._feature_names is None:
            names = [""] * len(self.vocabulary)
            for name, index in self.vocabulary.items():
                names[index] = name
            self._feature_names = names
        return self._feature_names

    # ---------------------------------------------------------------- persistence
    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        names = self.feature_names()
        # int8 quantisation per technique column keeps the artifact small
        scale = np.abs(self.weights).max(axis=0) / 127.0
        scale[scale == 0] = 1.0
        quantised = np.round(self.weights / scale).astype(np.int8)
        np.savez_compressed(
            directory / "weights.npz", weights=quantised, scale=scale.astype(np.float32),
            bias=self.bias,
        )
        with gzip.open(directory / "vocabulary.txt.gz", "wt", encoding="utf-8") as handle:
            handle.write("\n".join(names))
        meta = {
            "format": FORMAT,
            "version": self.version,
            "techniques": self.techniques,
            "decode": {t: vars(s) for t, s in self.decode.items()},
            **{k: v for k, v in self.metadata.items() if k not in {"format", "version"}},
        }
        (directory / "model.json").write_text(
            json.dumps(meta, indent=1, ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path) -> SpanDetector:
        directory = Path(directory)
        meta_path = directory / "model.json"
        if not meta_path.exists():
            raise FileNotFoundError(f"{directory}: no span model here (model.json missing)")
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        with np.load(directory / "weights.npz") as data:
            weights = data["weights"].astype(np.float32) * data["scale"][None, :]
            bias = data["bias"]
        with gzip.open(directory / "vocabulary.txt.gz", "rt", encoding="utf-8") as handle:
            names = handle.read().split("\n")
        vocabulary = {name: i for i, name in enumerate(names)}
        decode = {t: DecodeSettings(**s) for t, s in meta.get("decode", {}).items()}
        extra = {k: v for k, v in meta.items() if k not in {"techniques", "decode"}}
        return cls(vocabulary, weights, bias, meta["techniques"], decode, meta["version"], extra)


@functools.lru_cache(maxsize=1)
def load_default_span_detector() -> SpanDetector:
    return SpanDetector.load(ARTIFACT_DIR)


def train_span_detector(data_dir=None, seed: int = 13, languages: list[str] | None = None):
    from persuasion_lens.models.span_training import train_span_detector as train

    return train(data_dir, seed=seed, languages=languages)
