"""The analysis pipeline: language -> paragraph techniques -> spans -> genre and frames.

`Analyzer` loads each model once and can then analyse any number of documents; the web app,
the corpus runner and Dask workers all hold one.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from persuasion_lens.models.coverage import rarely_reported
from persuasion_lens.pipeline.results import (
    ArticleResult,
    LabelScore,
    ParagraphResult,
    SpanHit,
    TechniqueHit,
)
from persuasion_lens.taxonomy import category_of
from persuasion_lens.text.composition import Composition, composed_document
from persuasion_lens.text.documents import Document
from persuasion_lens.text.languages import (
    SUPPORTED_LANGUAGES,
    UnknownLanguageError,
    guess_language,
    language_name,
    normalise_language_code,
    other_language_warning,
    plainly_other_language,
)
from persuasion_lens.text.lemmas import load_dictionaries
from persuasion_lens.text.reading import InputError, article_text, replace_unstorable
from persuasion_lens.text.wording import counted

log = logging.getLogger(__name__)

FALLBACK_LANGUAGE = "en"
# Below this many words the language guess is too often wrong (SemEval windows of 5 words .97
# right, 10 words .993; README, "Language detection") ...
FEW_WORDS_FOR_LANGUAGE = 8
# ... and the article-level models, trained on articles of 45 words or more (most of several
# hundred), have little to read.
FEW_WORDS_FOR_ARTICLE = 40
# The genre is reliable from about this many words: on the SemEval-2023 validation articles cut
# to their first 150 / 300 / 400 words it is right 64% / 72% / 76% of the time (80% whole), and
# short texts lean to satire, whose training articles are short (docs/model_card_article.md).
# Below it, a genre read at SURE_GENRE or more was still right 94-95% of the time (cut to 150,
# 200 or 300 words), one read below it 53-64%: only those get the warning.
FEW_WORDS_FOR_GENRE = 400
SURE_GENRE = 0.9


@dataclass
class AnalysisOptions:
    spans: bool = True
    article_labels: bool = True
    narratives: bool = True
    min_confidence: float | None = None  # extra floor on top of the tuned thresholds


@dataclass
class Analyzer:
    """Holds the loaded models. Build it with `Analyzer.load()`."""

    detector: Any
    span_detector: Any = None
    article_classifier: Any = None
    narrative_model: Any = None
    options: AnalysisOptions = field(default_factory=AnalysisOptions)

    @classmethod
    def load(
        cls,
        model_path: str | os.PathLike[str] | None = None,
        spans: bool = True,
        article_labels: bool = True,
        narratives: bool = False,
    ) -> Analyzer:
        """Load the shipped models (or a technique model from `model_path`).

        Narratives and entity roles are experimental (they miss their acceptance bar, see
        docs/narratives.md), so they are only added when asked for.
        """
        from persuasion_lens.models import registry

        detector = registry.technique_detector(model_path)
        span_detector = registry.span_detector(detector) if spans else None
        article_classifier = registry.article_classifier() if article_labels else None
        narrative_model = registry.narrative_model() if narratives else None
        return cls(
            detector,
            span_detector,
            article_classifier,
            narrative_model,
            AnalysisOptions(
                spans=span_detector is not None,
                article_labels=article_classifier is not None,
                narratives=narrative_model is not None,
            ),
        )

    @property
    def model_version(self) -> str:
        parts = [getattr(self.detector, "version", "techniques")]
        for extra in (self.span_detector, self.article_classifier, self.narrative_model):
            if extra is not None and extra is not self.detector:
                parts.append(getattr(extra, "version", type(extra).__name__))
        return "+".join(parts)

    def warm_up(self, languages: Iterable[str]) -> list[str]:
        """Load now what analysing these languages loads at their first article: simplemma's
        lemma dictionaries (seconds for some), so that a batch run counts it as loading, not
        as analysis. Returns the languages whose dictionaries were loaded."""
        from persuasion_lens.models import entities, spans

        lemmatised = set(spans.LEMMATISED_LANGUAGES)
        if self.options.narratives and self.narrative_model is not None:
            lemmatised |= entities.LEMMATISED_LANGUAGES
        return load_dictionaries(set(languages) & lemmatised)

    def analyze_text(
        self, text: str, lang: str | None = None, source: str | None = None
    ) -> ArticleResult:
        """Analyse one article given as text; a page's HTML source (beginning `<!doctype html`
        or `<html`) is reduced to its article text first, as on stdin and in the web app."""
        if not isinstance(text, str):
            raise TypeError(f"analyze_text() takes the article's text as a str, not "
                            f"{type(text).__name__}")
        # one character for one, so offsets hold; the result could not be written as UTF-8
        text = article_text(replace_unstorable(text))
        return self.analyze_document(Document.from_text(text, source=source), lang)

    def analyze_document(self, document: Document, lang: str | None = None) -> ArticleResult:
        return self.analyze_documents([document], lang)[0]

    def analyze_documents(
        self, documents: Sequence[Document], lang: str | None = None
    ) -> list[ArticleResult]:
        """Analyse several documents at once (models run batched, which is much faster).

        A document that cannot be analysed (no paragraphs) raises `InputError` naming its
        position in the list; analyse such lists one by one to skip the bad ones. A document's
        own `language` is used as if given with `lang` (`lang` wins over it). The documents are
        left as they are: analysing them again, with another `lang` or none, starts afresh.
        """
        originals = _document_list(documents)
        if not originals:
            return []
        views = [composed_document(_working_copy(document)) for document in originals]
        documents = [view for view, _ in views]  # what the models read
        warnings = [self._prepare_one_of(documents, position, lang)
                    for position in range(len(documents))]
        probabilities = self.detector.predict_proba(documents)
        article_predictions = self._article_predictions(documents)
        narrative_predictions = self._narrative_predictions(documents)
        results = []
        for position, (document, composition) in enumerate(views):
            result = self._build_result(document, probabilities[position], warnings[position])
            if article_predictions is not None:
                _attach_article_labels(result, article_predictions[position])
                result.warnings.extend(_unsure_genre_warning(document, result))
            if narrative_predictions is not None:
                _attach_narratives(result, narrative_predictions[position])
            if composition is not None:
                _restore_original_offsets(result, originals[position], composition)
            results.append(result)
        return results

    def _prepare_one_of(self, documents: list[Document], position: int,
                        lang: str | None) -> list[str]:
        try:
            return self._prepare(documents[position], lang)
        except (InputError, UnknownLanguageError, TypeError) as error:
            if len(documents) == 1:
                raise
            raise type(error)(f"document {position + 1} of {len(documents)}: {error}") from None

    def _prepare(self, document: Document, lang: str | None) -> list[str]:
        """Check the document and settle its language; return warnings for the user."""
        if not document.paragraphs:
            raise InputError(f"{document.source or 'input'}: the text has no paragraphs to analyse")
        warnings: list[str] = []
        words = _word_count(document.text, FEW_WORDS_FOR_ARTICLE)
        if lang is not None and not isinstance(lang, str):
            raise TypeError(f"lang is a language code such as 'en', not {type(lang).__name__}")
        if lang:
            document.language = _given_language(lang, "lang")
            document.metadata["language_detected"] = "false"
            if hint := _other_language_hint(document.text, document.language):
                warnings.append(hint)
        elif document.language:  # given with the document: Document.from_text(text, "fr")
            document.language = _given_language(document.language, "Document.language")
            document.metadata["language_detected"] = "false"
        else:
            document.language, warning = _settled_language(document.text, words)
            warnings.extend([warning] if warning else [])
        if self.untrained_language(document.language):
            warnings.append(self._untrained_language_warning(document.language))
        notice = getattr(self.detector, "language_notice", None)
        if notice is not None and (text := notice(document.language)):
            warnings.append(text)
        if self._reads_whole_articles() and words < FEW_WORDS_FOR_ARTICLE:
            warnings.append(f"a short text ({counted(words, 'word')}): genre, frames, narratives "
                            "and roles are learnt from whole articles and say little about it")
        return warnings

    def untrained_language(self, language: str | None) -> bool:
        """Whether the technique detector has no model of its own for `language`: it says so
        itself (a fine-tuned transformer may know only some languages); a detector that does
        not say is taken to know the shipped languages."""
        uses_fallback = getattr(self.detector, "uses_fallback", None)
        if uses_fallback is None:
            return language not in SUPPORTED_LANGUAGES
        return bool(uses_fallback(language))

    def _untrained_language_warning(self, language: str | None) -> str:
        """What `untrained_language` means for the results: a detector may say it in its own
        words (a fine-tuned transformer has no fallback; its own encoder reads the language)."""
        worded = getattr(self.detector, "untrained_language_warning", None)
        if worded is not None:
            return str(worded(language))
        # name what the fallback gives: the narratives have training data in bg, hi and pt,
        # where "results" read as if they came from it too
        what = "techniques"
        if self.options.article_labels and self.article_classifier is not None:
            what = "techniques, genre and frames"
        return (f"no model is trained for language '{language}'; {what} come from the "
                "multilingual fallback and are less reliable")

    def _reads_whole_articles(self) -> bool:
        return (self.options.article_labels and self.article_classifier is not None) or (
            self.options.narratives and self.narrative_model is not None)

    def _build_result(
        self, document: Document, probabilities: np.ndarray, warnings: list[str]
    ) -> ArticleResult:
        language = document.language or FALLBACK_LANGUAGE
        thresholds = self.detector.thresholds_for(language)
        floor = self.options.min_confidence
        paragraphs: list[ParagraphResult] = []
        for row, paragraph in enumerate(document.paragraphs):
            hits = _decided_techniques(
                self.detector.techniques, probabilities[row], thresholds, floor
            )
            paragraphs.append(
                ParagraphResult(
                    paragraph.index, paragraph.start, paragraph.end, paragraph.text, hits
                )
            )
        if self.options.spans and self.span_detector is not None:
            self._attach_spans(document, paragraphs)
        return ArticleResult(
            language=language,
            paragraphs=paragraphs,
            source=document.source,
            doc_id=document.doc_id,
            language_detected=document.metadata.get("language_detected") != "false",
            warnings=warnings,
            model_version=self.model_version,
            rarely_reported=rarely_reported(getattr(self.detector, "version", ""), language),
        )

    def _attach_spans(self, document: Document, paragraphs: list[ParagraphResult]) -> None:
        decided = [[(h.technique, h.confidence) for h in p.techniques] for p in paragraphs]
        located: list[list[SpanHit]] = self.span_detector.locate(document, decided)
        for paragraph, spans in zip(paragraphs, located, strict=True):
            paragraph.spans = sorted(spans, key=lambda s: (s.start, -s.end, s.technique))

    def _narrative_predictions(self, documents: Sequence[Document]) -> list[Any] | None:
        if not (self.options.narratives and self.narrative_model is not None):
            return None
        return self.narrative_model.predict(list(documents))

    def _article_predictions(self, documents: Sequence[Document]) -> list[Any] | None:
        if not (self.options.article_labels and self.article_classifier is not None):
            return None
        return self.article_classifier.predict(list(documents))


def _given_language(code: Any, given_as: str) -> str:
    """The ISO code of a language the caller gave, or the error that says what was wrong."""
    if not isinstance(code, str):
        raise TypeError(f"{given_as} is a language code such as 'en', not {type(code).__name__}")
    return normalise_language_code(code)


def _working_copy(document: Document) -> Document:
    """A copy of the caller's document that the analysis may settle the language of, so that
    the caller's stays as given (a language settled once would stick at the next analysis)."""
    return replace(document, metadata=dict(document.metadata))


def _word_count(text: str, at_most: int) -> int:
    """The text's words, counted up to `at_most` (a book-length text is not split whole)."""
    return min(len(text.split(maxsplit=at_most)), at_most)


def _restore_original_offsets(result: ArticleResult, original: Document,
                              composition: Composition) -> None:
    """Point the offsets and texts of a result computed on the composed form of `original`
    (`text.composition`) back into `original`: paragraphs, spans and entity mentions."""
    for paragraph, given in zip(result.paragraphs, original.paragraphs, strict=True):
        paragraph.start, paragraph.end, paragraph.text = given.start, given.end, given.text
        for span in paragraph.spans:
            span.start, span.end = composition.original_range(span.start, span.end)
            span.text = original.text[span.start:span.end]
    _restore_ranges(result.extra, original.text, composition)


def _restore_ranges(data: Any, text: str, composition: Composition) -> None:
    """Every {"start", "end", "text"} range inside the narratives' JSON (entity mentions)."""
    if isinstance(data, dict):
        if isinstance(data.get("start"), int) and isinstance(data.get("end"), int) \
                and "text" in data:
            data["start"], data["end"] = composition.original_range(data["start"], data["end"])
            data["text"] = text[data["start"]:data["end"]]
        for value in data.values():
            _restore_ranges(value, text, composition)
    elif isinstance(data, list):
        for item in data:
            _restore_ranges(item, text, composition)


def _attach_narratives(result: ArticleResult, prediction: Any) -> None:
    data = prediction.to_dict()
    data.pop("warnings", None)  # merged into the article's own warnings instead
    result.extra.update(data)
    result.warnings.extend(w for w in prediction.warnings if w not in result.warnings)


def _decided_techniques(
    names: Sequence[str], probabilities: np.ndarray, thresholds: np.ndarray, floor: float | None
) -> list[TechniqueHit]:
    hits = [
        TechniqueHit(name, category_of(name), float(probability))
        for name, probability, threshold in zip(names, probabilities, thresholds, strict=True)
        if probability >= threshold and (floor is None or probability >= floor)
    ]
    return sorted(hits, key=lambda hit: -hit.confidence)


def _unsure_genre_warning(document: Document, result: ArticleResult) -> list[str]:
    """The warning for a genre read below SURE_GENRE, or as satire, from a text under
    FEW_WORDS_FOR_GENRE words (shorter texts than FEW_WORDS_FOR_ARTICLE have their own warning).
    Satire read from validation articles cut to 150 / 300 words was right 33% / 73% of the time."""
    words = _word_count(document.text, FEW_WORDS_FOR_GENRE)
    genre = result.genre
    if genre is None or not FEW_WORDS_FOR_ARTICLE <= words < FEW_WORDS_FOR_GENRE:
        return []
    if genre.probability >= SURE_GENRE and genre.label != "satire":
        return []
    return [f"the genre is unsure in a text of {counted(words, 'word')}: on validation articles "
            f"cut to 150-300 words, genres read below {SURE_GENRE} were right 53-64% of the time "
            f"(from {SURE_GENRE}: 94%), and texts this brief lean to satire (read so, right "
            "33-73% of the time)"]


def _attach_article_labels(result: ArticleResult, prediction: Any) -> None:
    result.genre = LabelScore(prediction.genre, prediction.genre_probabilities[prediction.genre])
    result.genre_probabilities = [
        LabelScore(name, probability)
        for name, probability in sorted(
            prediction.genre_probabilities.items(), key=lambda item: -item[1]
        )
    ]
    result.frames = [
        LabelScore(frame, prediction.frame_probabilities[frame]) for frame in prediction.frames
    ]


def _settled_language(text: str, words: int) -> tuple[str, str | None]:
    """The language to analyse a text in that came without one, and the warning it needs: none
    could be told (English is used), or the guess is unsure (a very short text, or one that
    another language fits about as well)."""
    guess = guess_language(text)
    if guess.language is None:
        return FALLBACK_LANGUAGE, ("could not tell the language; analysed as "
                                   f"{SUPPORTED_LANGUAGES[FALLBACK_LANGUAGE]}")
    to_be_sure = "give the language (--lang; lang= in the API) to be sure"
    if words < FEW_WORDS_FOR_LANGUAGE:
        return guess.language, (f"the language ('{guess.language}') was guessed from only "
                                f"{counted(words, 'word')} and may be wrong; {to_be_sure}")
    if guess.close_second:
        return guess.language, (
            f"the language ('{guess.language}') is unsure: the text reads about as well as "
            f"{language_name(guess.close_second)} ('{guess.close_second}'); {to_be_sure}")
    return guess.language, None


def _other_language_hint(text: str, given: str) -> str | None:
    """A warning when the text plainly is another language than the one given; None when it
    is not, or when it is too short or mixed to tell."""
    found = plainly_other_language(text, given)
    if found is None:
        return None
    return other_language_warning(found, given, "--lang says (lang= in the API)")


def _document_list(documents: Any) -> list[Document]:
    """`documents` as a list, or a TypeError that says what analyze_documents() takes."""
    listed = None if documents is None or isinstance(documents, str | bytes) else list(documents)
    if listed is None or not all(isinstance(document, Document) for document in listed):
        raise TypeError("analyze_documents() takes a list of Document objects "
                        "(Document.from_text(text)); for one text use analyze_text(text)")
    return listed
