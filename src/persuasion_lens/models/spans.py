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
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import expit

from persuasion_lens.models.manifest import read_manifest, write_gzipped_json, write_manifest
from persuasion_lens.pipeline.results import SpanHit
from persuasion_lens.text.documents import Document, Paragraph
from persuasion_lens.text.lemmas import lemmatize

ARTIFACT_DIR = Path(__file__).parent / "artifacts" / "spans"
FORMAT = 1

# Words (with inner hyphens/apostrophes) or single non-space symbols.
TOKEN_RE = re.compile(r"\w+(?:[-'’]\w+)*|[^\w\s]", re.UNICODE)
_QUOTES = set("\"«»“”„‟")
_SENTENCE_END = {".", "!", "?", "…"}
_CLAUSE_PUNCT = {",", ";", ":", "—", "–", "(", ")", "-"} | _SENTENCE_END
# token kinds: 1 sentence end, 2 question mark, 3 exclamation mark, 4 other clause punctuation,
# 5 quote
_KIND = {**{p: 4 for p in _CLAUSE_PUNCT}, **{p: 1 for p in _SENTENCE_END}, "?": 2, "!": 3,
         **{q: 5 for q in _QUOTES}}
# Symbols a span may end on (a question mark or a closing quote belongs to the phrase).
_KEEP_AT_END = {"?", "!", "”", "»", '"', ")"}


def tokenize(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in TOKEN_RE.finditer(text)]


_POS_EDGES = np.array([0, 1, 2, 4, 7, 12, 20, 35])
_LEN_EDGES = (5, 10, 20, 35, 60, 100)
N_POS = len(_POS_EDGES) + 1
# slots p1, n1, p2, n2 and the four context words, as positions in a 9-token window
_WINDOW = np.array([3, 5, 2, 6, 0, 1, 7, 8])
LANGUAGES = ("en", "fr", "de", "it", "pl", "ru", "xx")
_LEMMA_LANGUAGES = {"en", "fr", "de", "it", "pl", "ru", "es", "el", "pt", "nl", "bg", "uk"}
# the languages whose words the features lemmatise (others are read as "xx")
LEMMATISED_LANGUAGES = frozenset(LANGUAGES) & _LEMMA_LANGUAGES
_SHAPES = {"d": 0, "p": 1, "X": 2, "Xx": 3, "x": 4}


def _lemma(word: str, language: str) -> str:
    if language not in _LEMMA_LANGUAGES:
        return word
    return lemmatize(word, language).lower()


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


# Feature templates: (name, column count). Index 0 of a word template means "unknown word".
LEXICAL_TEMPLATES = ("w", "l", "s3", "bg")  # the first slots of the index array
N_LEXICAL = len(LEXICAL_TEMPLATES)
# Words this frequent in the training data are function words: never quoted as cues.
FUNCTION_WORD_RANK = 250


class FeatureSpace:
    """Turns a paragraph into an (n_tokens, n_slots) array of global feature indices.

    Word-identity features use frequency-ranked vocabularies, so everything is integer lookups
    and numpy: no per-token strings are built at prediction time.
    """

    def __init__(self, words: list[str], lemmas: list[str], suffixes: list[str],
                 bigrams: list[int], context_size: int) -> None:
        self.words = words  # rank order, id = position + 1
        self.lemmas = lemmas
        self.suffixes = suffixes
        self.bigrams = bigrams  # encoded word-id pairs, id = position + 1
        self.context_size = min(context_size, len(words))
        self.word_id = {w: i + 1 for i, w in enumerate(words)}
        self.lemma_id = {w: i + 1 for i, w in enumerate(lemmas)}
        self.suffix_id = {w: i + 1 for i, w in enumerate(suffixes)}
        self.bigram_id = {b: i + 1 for i, b in enumerate(bigrams)}
        self._types: dict[str, dict[str, tuple[int, int, int, int, int]]] = {}
        n_words = len(words) + 1
        n_context = self.context_size + 4  # unknown, rare, <s>, </s>
        sizes = {
            "w": n_words, "l": len(lemmas) + 1, "s3": len(suffixes) + 1, "bg": len(bigrams) + 1,
            "sh": len(_SHAPES), "p1": n_context, "n1": n_context, "p2": n_context,
            "n2": n_context, "c": n_context, "rp": 5, "ss": N_POS, "se": N_POS, "pc": N_POS,
            "nc": N_POS, "n": len(_LEN_EDGES) + 1, "L": len(LANGUAGES),
            "Lrp": len(LANGUAGES) * 5, "q": 2, "sq": 3, "s0": 2,
        }
        self.offsets: dict[str, int] = {}
        total = 0
        for name, size in sizes.items():
            self.offsets[name] = total
            total += size
        self.size = total
        # slot order of the index array; "c" fills four slots
        self.slots = ["w", "l", "s3", "bg", "sh", "p1", "n1", "p2", "n2", "c", "c", "c", "c",
                      "rp", "ss", "se", "pc", "nc", "n", "L", "Lrp", "q", "sq", "s0"]
        self.lexical_slots = np.array([s in LEXICAL_TEMPLATES for s in self.slots])
        self._slot_offsets = np.array([self.offsets[s] for s in self.slots], dtype=np.int64)

    def template_of(self, index: int) -> str:
        name = "w"
        for candidate, offset in self.offsets.items():
            if offset <= index:
                name = candidate
        return name

    def _type(self, token: str, language: str) -> tuple[int, int, int, int, int]:
        lower = token.lower()
        word = self.word_id.get(lower, 0)
        if token[0].isalpha():
            lemma = self.lemma_id.get(_lemma(lower, language), 0)
            suffix = self.suffix_id.get(lower[-3:], 0) if len(lower) > 4 else 0
        else:
            lemma = suffix = 0
        value = (word, lemma, suffix, _SHAPES[_shape(token)], _KIND.get(token, 0))
        cache = self._types[language]
        if len(cache) > 200_000:
            cache.clear()
        cache[token] = value
        return value

    def encode(self, text: str, tokens: list[tuple[int, int]], language: str,
               words: list[str] | None = None) -> np.ndarray:
        n = len(tokens)
        if words is None:
            words = [text[a:b] for a, b in tokens]
        language = language if language in LANGUAGES else "xx"
        cache = self._types.setdefault(language, {})
        get = cache.get
        type_list = [get(w) or self._type(w, language) for w in words]
        types = np.array(type_list, dtype=np.int64).reshape(n, 5)
        word_ids = types[:, 0]
        # context ids: frequent words keep their id, rare ones share one, then <s> and </s>
        context = np.where(word_ids == 0, 0,
                           np.where(word_ids <= self.context_size, word_ids,
                                    self.context_size + 1))
        bos, eos = self.context_size + 2, self.context_size + 3
        padded = np.concatenate([[bos, bos, bos, bos], context, [eos, eos, eos, eos]])
        # bigrams, sentences, quotes, clause punctuation: one pass forward, one backward
        bigram_get = self.bigram_id.get
        bigram = [0] * n
        sentence_of = [0] * n
        from_start = [0] * n
        since = [0] * n
        quoted = [0] * n
        kinds = [0] * n
        previous = sentence = start = quote = 0
        last_punct = -1
        for i, word_type in enumerate(type_list):
            word = word_type[0]
            bigram[i] = bigram_get(previous * 1_000_003 + word, 0)
            previous = word
            sentence_of[i] = sentence
            from_start[i] = i - start
            since[i] = i - last_punct - 1
            kind = word_type[4]
            if kind:
                kinds[i] = kind
                if kind == 5:
                    quote ^= 1
                elif kind <= 4:
                    last_punct = i
                    if kind <= 3 and i + 1 < n:
                        sentence += 1
                        start = i + 1
            quoted[i] = quote
        to_end = [0] * n
        until = [0] * n
        question = [0] * n
        end = next_punct = n
        mark = {2: 1, 3: 2}.get(kinds[-1], 0)
        for i in range(n - 1, -1, -1):
            kind = kinds[i]
            if kind and kind <= 3 and i + 1 < n:
                end = i + 1
                mark = 1 if kind == 2 else 2 if kind == 3 else 0
            to_end[i] = end - 1 - i
            until[i] = next_punct - i - 1
            question[i] = mark
            if kind and kind <= 4:
                next_punct = i
        position = np.arange(n)
        relative = np.minimum(4, 5 * position // max(1, n))
        lang = LANGUAGES.index(language)
        out = np.empty((n, len(self.slots)), dtype=np.int64)
        out[:, 0] = word_ids
        out[:, 1] = types[:, 1]
        out[:, 2] = types[:, 2]
        out[:, 3] = bigram
        out[:, 4] = types[:, 3]
        out[:, 5:13] = padded[np.arange(n)[:, None] + _WINDOW]
        out[:, 13] = relative
        out[:, 14:18] = np.searchsorted(
            _POS_EDGES, np.array([from_start, to_end, since, until]).T)
        out[:, 18] = sum(n > e for e in _LEN_EDGES)
        out[:, 19] = lang
        out[:, 20] = lang * 5 + relative
        out[:, 21] = quoted
        out[:, 22] = question
        out[:, 23] = np.array(sentence_of) == 0
        out += self._slot_offsets
        return out

    def to_json(self) -> dict:
        return {"words": self.words, "lemmas": self.lemmas, "suffixes": self.suffixes,
                "bigrams": self.bigrams, "context_size": self.context_size}

    @classmethod
    def from_json(cls, data: dict) -> FeatureSpace:
        return cls(data["words"], data["lemmas"], data["suffixes"], data["bigrams"],
                   data["context_size"])


def build_feature_space(samples: list[tuple[str, list[tuple[int, int]], str]],
                        max_words: int = 40_000, context_size: int = 6_000,
                        max_lemmas: int = 30_000, max_suffixes: int = 3_000,
                        max_bigrams: int = 20_000, min_count: int = 2) -> FeatureSpace:
    """Frequency-ranked vocabularies from (paragraph text, tokens, language) samples."""
    from collections import Counter

    words: Counter[str] = Counter()
    lemmas: Counter[str] = Counter()
    suffixes: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for text, tokens, language in samples:
        lower = [text[a:b].lower() for a, b in tokens]
        words.update(lower)
        for w in lower:
            if w[0].isalpha():
                lemmas[_lemma(w, language if language in LANGUAGES else "xx")] += 1
                if len(w) > 4:
                    suffixes[w[-3:]] += 1
        pairs.update(zip(["<s>", *lower[:-1]], lower, strict=True))

    def top(counter, limit):
        return [k for k, c in counter.most_common(limit) if c >= min_count]

    word_list = top(words, max_words)
    rank = {w: i + 1 for i, w in enumerate(word_list)}
    bigram_codes = []
    for (a, b), count in pairs.most_common():
        if count < min_count + 1 or len(bigram_codes) >= max_bigrams:
            break
        if b in rank and (a == "<s>" or a in rank):
            bigram_codes.append(rank.get(a, 0) * 1_000_003 + rank[b])
    return FeatureSpace(word_list, top(lemmas, max_lemmas), top(suffixes, max_suffixes),
                        bigram_codes, context_size)


@dataclass
class DecodeSettings:
    threshold: float = 0.4
    gap: int = 1


@functools.lru_cache(maxsize=256)
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
    """Per-technique token taggers over one shared feature space."""

    def __init__(
        self,
        space: FeatureSpace,
        weights: np.ndarray,  # (space.size, n_techniques)
        bias: np.ndarray,  # (n_techniques,)
        techniques: list[str],
        decode: dict[str, DecodeSettings] | None = None,
        version: str = "spans-1",
        metadata: dict | None = None,
    ) -> None:
        self.space = space
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.techniques = list(techniques)
        self.column = {t: i for i, t in enumerate(self.techniques)}
        self.decode = decode or {}
        self.version = version
        self.metadata = metadata or {}
        self.language_shift: dict[str, float] = dict(self.metadata.get("language_shift", {}))
        self._by_technique = np.ascontiguousarray(self.weights.T)

    # ---------------------------------------------------------------- scoring
    def token_scores(
        self, text: str, tokens: list[tuple[int, int]], language: str, columns: list[int],
        words: list[str] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Token probabilities (n_tokens, len(columns)) for the given technique columns, the
        part of each token's score that comes from its own word (for explanations), and the
        word ids (frequency ranks, 0 = unknown), and which tokens are words (not symbols)."""
        index = self.space.encode(text, tokens, language, words)
        probabilities = np.empty((len(tokens), len(columns)), dtype=np.float32)
        lexical = np.empty((len(tokens), len(columns)), dtype=np.float32)
        for k, column in enumerate(columns):
            weights = self._by_technique[column].take(index)
            lexical[:, k] = weights[:, :N_LEXICAL].sum(axis=1)
            probabilities[:, k] = weights.sum(axis=1)
        probabilities += self.bias[columns]
        is_word = index[:, 4] != self.space.offsets["sh"] + _SHAPES["p"]
        return expit(probabilities), lexical, index[:, 0], is_word

    # ---------------------------------------------------------------- decoding
    def _settings(self, technique: str, language: str = "") -> DecodeSettings:
        """Decoding settings: the threshold tuned per technique, moved by a shift tuned per
        language."""
        settings = self.decode.get(technique) or self.decode.get("*") or DecodeSettings()
        shift = self.language_shift.get(language, 0.0)
        if shift:
            return DecodeSettings(min(0.95, max(0.0, settings.threshold + shift)), settings.gap)
        return settings

    @staticmethod
    def decode_runs(
        probabilities: np.ndarray, is_word: np.ndarray, words: list[str],
        settings: DecodeSettings, content: np.ndarray | None = None,
    ) -> list[tuple[int, int]]:
        """Token ranges [i, j) of the spans: word tokens above the threshold, runs closer than
        `gap` tokens joined; at least one range (around the best word). With `content` (the
        words that are not function words), a range needs one of them, and the range made
        around the best word starts from the best of them: a span of "the" alone tells a
        reader nothing."""
        content = is_word if content is None else content & is_word
        words_above = np.flatnonzero((probabilities >= settings.threshold) & is_word)
        ranges: list[tuple[int, int]] = []
        if len(words_above) and settings.gap >= len(probabilities):  # the hull
            ranges = [(int(words_above[0]), int(words_above[-1]) + 1)]
        elif len(words_above):
            breaks = np.flatnonzero(np.diff(words_above) > settings.gap + 1)
            firsts = np.concatenate([[0], breaks + 1])
            lasts = np.concatenate([breaks, [len(words_above) - 1]])
            ranges = [(int(words_above[a]), int(words_above[b]) + 1)
                      for a, b in zip(firsts, lasts, strict=True)]
        ranges = [(a, b) for a, b in ranges if content[a:b].any()]
        if not ranges:
            candidates = np.flatnonzero(content)
            if not len(candidates):
                candidates = np.flatnonzero(is_word)
            if not len(candidates):
                candidates = np.arange(len(probabilities))
            if not len(candidates):
                return []
            best = int(candidates[np.argmax(probabilities[candidates])])
            floor = probabilities[best] * 0.6
            a, b = best, best + 1
            while a > 0 and probabilities[a - 1] >= floor:
                a -= 1
            while b < len(probabilities) and probabilities[b] >= floor:
                b += 1
            while a < best and not is_word[a]:
                a += 1
            while b > best + 1 and not is_word[b - 1]:
                b -= 1
            ranges = [(a, b)]
        # a question mark, exclamation mark or closing quote right after a span belongs to it
        n = len(probabilities)
        return [(a, b + 1 if b < n and words[b] in _KEEP_AT_END and b + 1 - a > 1 else b)
                for a, b in ranges]

    # ---------------------------------------------------------------- public API
    def locate(
        self, document: Document, paragraph_techniques: list[list[tuple[str, float]]]
    ) -> list[list[SpanHit]]:
        """For each paragraph, spans for exactly the given (technique, confidence) pairs."""
        language = (document.language or "xx").lower()
        results: list[list[SpanHit]] = []
        for index, paragraph in enumerate(document.paragraphs):
            given = paragraph_techniques[index] if index < len(paragraph_techniques) else []
            results.append(
                self._locate_paragraph(document.text, paragraph, given, language) if given
                else []
            )
        return results

    def spans_for_paragraph(
        self, text: str, language: str, techniques: list[str]
    ) -> list[tuple[str, int, int, float, list[str]]]:
        """(technique, start, end, localisation probability, cue words) with offsets
        relative to `text`; the core of `locate`, also used for tuning."""
        tokens = tokenize(text)
        if not tokens:
            return []
        known = [t for t in dict.fromkeys(techniques) if t in self.column]
        words = [text[a:b] for a, b in tokens]
        result = []
        if known:
            probabilities, lexical, word_ids, is_word = self.token_scores(
                text, tokens, language, [self.column[t] for t in known], words
            )
            frequent = (word_ids > 0) & (word_ids <= FUNCTION_WORD_RANK)
            for k, technique in enumerate(known):
                p = probabilities[:, k]
                for a, b in self.decode_runs(p, is_word, words,
                                             self._settings(technique, language), ~frequent):
                    inside = np.arange(a, b)
                    ranked = inside[np.argsort(-lexical[a:b, k], kind="stable")]
                    cues = [words[i] for i in ranked[:8]
                            if lexical[i, k] > 0 and is_word[i] and not frequent[i]
                            and len(words[i]) > 2]
                    result.append((technique, tokens[a][0], tokens[b - 1][1],
                                   float(p[a:b].sum()) / (b - a), cues))
        for technique in dict.fromkeys(techniques):
            if technique not in self.column:  # never seen in training: the whole paragraph
                result.append((technique, tokens[0][0], tokens[-1][1], 0.5, []))
        return result

    def _locate_paragraph(self, full_text, paragraph, given, language) -> list[SpanHit]:
        found = self.spans_for_paragraph(paragraph.text, language, [t for t, _ in given])
        return hits_for_paragraph(full_text, paragraph, given, found, self.column)

    # ---------------------------------------------------------------- persistence
    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        # int8 quantisation per technique column keeps the artifact small
        scale = np.abs(self.weights).max(axis=0) / 127.0
        scale[scale == 0] = 1.0
        quantised = np.round(self.weights / scale).astype(np.int8)
        np.savez_compressed(directory / "weights.npz", weights=quantised,
                            scale=scale.astype(np.float32), bias=self.bias)
        write_gzipped_json(directory / "features.json.gz", self.space.to_json())
        meta = {
            **{k: v for k, v in self.metadata.items() if k not in {"format", "version"}},
            "format": FORMAT,
            "version": self.version,
            "techniques": self.techniques,
            "decode": {t: vars(s) for t, s in self.decode.items()},
        }
        write_manifest(directory / "model.json", meta)

    @classmethod
    def load(cls, directory: Path) -> SpanDetector:
        directory = Path(directory)
        meta = read_manifest(directory / "model.json", "span model")
        with np.load(directory / "weights.npz") as data:
            weights = data["weights"].astype(np.float32) * data["scale"][None, :]
            bias = data["bias"]
        with gzip.open(directory / "features.json.gz", "rt", encoding="utf-8") as handle:
            space = FeatureSpace.from_json(json.load(handle))
        decode = {t: DecodeSettings(**s) for t, s in meta.get("decode", {}).items()}
        extra = {k: v for k, v in meta.items() if k not in {"techniques", "decode"}}
        return cls(space, weights, bias, meta["techniques"], decode, meta["version"], extra)


def hits_for_paragraph(
    full_text: str,
    paragraph: Paragraph,
    given: list[tuple[str, float]],
    found: list[tuple[str, int, int, float, list[str]]],
    modelled: Container[str],
) -> list[SpanHit]:
    """SpanHits (offsets into the whole input) from spans found in one paragraph: (technique,
    start, end, localisation probability, cue words) with offsets relative to the paragraph.
    A hit's confidence is the paragraph's confidence in the technique times the localisation;
    a technique outside `modelled` was marked on the whole paragraph."""
    confidence_of = dict(given)
    hits = []
    for technique, start, end, localisation, cues in found:
        label, category, definition = _technique_info(technique)
        cue_words: list[str] = []
        for word in cues:
            if word.lower() not in {w.lower() for w in cue_words}:
                cue_words.append(word)
            if len(cue_words) == 3:
                break
        hits.append(
            SpanHit(
                start=paragraph.start + start,
                end=paragraph.start + end,
                text=full_text[paragraph.start + start:paragraph.start + end],
                technique=technique,
                category=category,
                confidence=float(min(1.0, max(0.0, confidence_of[technique] * localisation))),
                explanation=explanation(label, definition, cue_words)
                if technique in modelled else
                f"{label} — no span model for this technique, so the whole paragraph is "
                "marked.",
            )
        )
    return hits


_FIRST_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-ÖØ-Þ])")


def explanation(label: str, definition: str, cue_words: list[str]) -> str:
    """One plain sentence: the technique's definition and the words that weighed most."""
    # the first sentence of the definition only: the explanation stays one sentence
    definition = _FIRST_SENTENCE.split(definition.strip(), maxsplit=1)[0].rstrip(".")
    if definition[:1].isupper() and not definition[1:2].isupper():
        definition = definition[0].lower() + definition[1:]
    head = f"{label}: {definition}" if definition else label
    if cue_words:
        quoted = ", ".join(f"“{w}”" for w in cue_words)
        return f"{head} — here {quoted} weighed most."
    return f"{head} — here the phrase as a whole, rather than single words, weighed most."


@functools.lru_cache(maxsize=1)
def load_default_span_detector() -> SpanDetector:
    return SpanDetector.load(ARTIFACT_DIR)


def train_span_detector(data_dir=None, seed: int = 13, languages: list[str] | None = None):
    from persuasion_lens.models.span_training import train_span_detector as train

    return train(data_dir, seed=seed, languages=languages)
