"""The unit of work shared by every executor: analyse a batch of article payloads (plain dicts)
into plain dicts ready for `storage.repository.store_batch`.

Runs in the client process or on a Dask worker; either way the Analyzer is loaded once per
process and cached here, keyed by its `AnalyzerSpec`.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from persuasion_lens.text.documents import Document
from persuasion_lens.text.languages import (
    UnknownLanguageError,
    detect_language,
    normalise_language_code,
    other_language_warning,
    plainly_other_language,
)


@dataclass(frozen=True)
class AnalyzerSpec:
    """How to build the Analyzer: picklable, so it travels to Dask workers."""

    model_path: str | None = None
    spans: bool = True
    article_labels: bool = True
    min_confidence: float | None = None
    # "package.module:function" returning an Analyzer, instead of Analyzer.load (tests, plugins)
    factory: str | None = None
    narratives: bool = False  # also narratives and entity roles (experimental, opt-in)

    def build(self) -> Any:
        if self.factory:
            module_name, _, attribute = self.factory.partition(":")
            analyzer = getattr(importlib.import_module(module_name), attribute)()
        else:
            from persuasion_lens.pipeline.analyzer import Analyzer

            analyzer = Analyzer.load(self.model_path, spans=self.spans,
                                     article_labels=self.article_labels,
                                     narratives=self.narratives)
        analyzer.options.min_confidence = self.min_confidence
        if self.narratives:
            _add_narrative_model(analyzer)
        return analyzer


def _add_narrative_model(analyzer: Any) -> None:
    """Make sure the analyzer runs the narrative model; a one-line error when it cannot."""
    if analyzer.narrative_model is None:
        from persuasion_lens.models import registry

        analyzer.narrative_model = registry.narrative_model()
    if analyzer.narrative_model is None:
        raise ValueError("--narratives: the narrative model is not installed with this package")
    analyzer.options.narratives = True


_ANALYZERS: dict[AnalyzerSpec, Any] = {}
_LOCK = threading.Lock()


def cached_analyzer(spec: AnalyzerSpec) -> Any:
    """The process-wide Analyzer for this spec (loaded on first use)."""
    with _LOCK:
        analyzer = _ANALYZERS.get(spec)
        if analyzer is None:
            analyzer = spec.build()
            _ANALYZERS[spec] = analyzer
        return analyzer


def preload(spec: AnalyzerSpec) -> str:
    """Load the models now (run on every Dask worker before work is sent); returns the version."""
    return cached_analyzer(spec).model_version


def warm_up(payloads: list[dict[str, Any]], spec: AnalyzerSpec) -> list[str]:
    """Load now what analysing these articles would load at the first of each language (the
    lemma dictionaries); returns those languages. Runs where `analyse_payloads` will."""
    warm = getattr(cached_analyzer(spec), "warm_up", None)
    if warm is None:
        return []
    return list(warm({_language(payload) for payload in payloads} - {None}))


def _language(payload: dict[str, Any]) -> str | None:
    """The language the article will be analysed in, as `_document` settles it."""
    if payload.get("narratives_only"):
        return payload.get("language") or None
    try:
        return (normalise_language_code(payload["lang"]) if payload.get("lang")
                else detect_language(payload["text"]))
    except UnknownLanguageError:
        return None


def analyse_payloads(payloads: list[dict[str, Any]], spec: AnalyzerSpec) -> list[dict[str, Any]]:
    """Analyse articles; each answer is {"ok": True, "item": ...} or {"ok": False, "failure": ...}.

    A payload has `key`, `text`, `source`, `location` and optional `external_id`, `title`,
    `outlet`, `url`, `published`, `lang` (and `lang_said_by`, "its lang column says" or
    "--lang says"). Bad articles become failures; the rest still run. An article that plainly
    is another language than its `lang` gets a warning, and its answer `looks` names that one.

    A payload with `narratives_only` is an article stored without narratives (`article_id`,
    its stored `text` and `language`): only the narrative model runs on it, and its answer
    has `narratives_only` and an item for `storage.repository.store_results`.
    """
    analyzer = cached_analyzer(spec)
    answers: list[dict[str, Any] | None] = [None] * len(payloads)
    ready: list[tuple[int, Document]] = []
    stored: list[tuple[int, Document]] = []
    for position, payload in enumerate(payloads):
        try:
            if payload.get("narratives_only"):
                stored.append((position, _stored_document(payload)))
            else:
                ready.append((position, _document(payload)))
        except ValueError as error:
            answers[position] = failure_answer(payload, str(error))
    if stored:
        _add_narratives(analyzer, payloads, stored, answers)
    if ready:
        _answer_each(analyzer.analyze_documents, ready, payloads, answers, "analysis",
                     lambda payload, result: _analysed(analyzer, payload, result))
    return [answer for answer in answers if answer is not None]


def _analysed(analyzer: Any, payload: dict[str, Any], result: Any) -> dict[str, Any]:
    item = {k: v for k, v in payload.items()
            if k not in ("lang", "lang_said_by", "input_warnings")}
    item["result"] = result.to_dict()
    item["result"]["warnings"].extend(payload.get("input_warnings") or ())
    if "narratives" in item["result"]:
        item["narratives_version"] = _version(analyzer.narrative_model)
    answer = {"ok": True, "key": payload["key"], "item": item}
    if payload.get("lang") and (found := plainly_other_language(payload["text"],
                                                                result.language)):
        said_by = payload.get("lang_said_by") or "--lang says"
        item["result"]["warnings"].append(
            other_language_warning(found, result.language, said_by))
        answer["looks"] = found
    untrained = getattr(analyzer, "untrained_language", None)
    if untrained is not None and untrained(result.language):  # its warnings say so too
        answer["untrained"] = result.language or "unknown"
    return answer


def _add_narratives(analyzer: Any, payloads: list[dict[str, Any]],
                    stored: list[tuple[int, Document]], answers: list[Any]) -> None:
    """Narratives and entity roles, alone, for articles stored without them."""
    model = analyzer.narrative_model
    if model is None or not analyzer.options.narratives:
        raise ValueError("adding narratives to stored articles needs the narrative model")

    def narrated(payload: dict[str, Any], prediction: Any) -> dict[str, Any]:
        result = prediction.to_dict()  # warnings included: merged into the stored ones
        return {"ok": True, "key": payload["key"], "narratives_only": True,
                "item": {"key": payload["key"], "article_id": payload["article_id"],
                         "narratives_version": _version(model), "result": result,
                         "place": payload.get("place"),
                         "input_place": payload.get("input_place")}}

    _answer_each(model.predict, stored, payloads, answers, "narratives", narrated)


def _answer_each(run: Callable[[list[Document]], list[Any]], work: list[tuple[int, Document]],
                 payloads: list[dict[str, Any]], answers: list[Any], step: str,
                 answer: Callable[[dict[str, Any], Any], dict[str, Any]]) -> None:
    """Run `run` over the documents of `work` and put each one's answer (or failure, named
    after `step`) at its payload's position."""
    outcomes = _results_or_errors(run, [document for _, document in work])
    for (position, _), outcome in zip(work, outcomes, strict=True):
        payload = payloads[position]
        answers[position] = (failure_answer(payload, f"{step} failed: {_one_line(outcome)}")
                             if isinstance(outcome, Exception) else answer(payload, outcome))


def _results_or_errors(run: Callable[[list[Document]], list[Any]],
                       documents: list[Document]) -> Iterator[Any]:
    """`run` over the whole batch; if that raises, over one document at a time, so that a bad
    document fails alone: its exception takes the place of its result."""
    try:
        results = run(documents)
    except Exception:
        results = None
    if results is not None:
        yield from results
        return
    for document in documents:
        try:
            yield run([document])[0]
        except Exception as error:
            yield error


def _version(model: Any) -> str:
    return str(getattr(model, "version", None) or type(model).__name__)


def _stored_document(payload: dict[str, Any]) -> Document:
    """A stored article as it was analysed: its stored text (so offsets match the stored
    paragraphs) and stored language (not detected again)."""
    document = Document.from_text(payload["text"], doc_id=payload.get("external_id"),
                                  source=payload.get("source"))
    if not document.paragraphs:
        raise ValueError("the stored text has no paragraphs to analyse")
    document.language = payload.get("language") or None
    return document


def _document(payload: dict[str, Any]) -> Document:
    document = Document.from_text(payload["text"], doc_id=payload.get("external_id"),
                                  source=payload.get("source"))
    if not document.paragraphs:
        raise ValueError("the text has no paragraphs to analyse")
    lang = payload.get("lang")
    if lang:
        try:
            document.language = normalise_language_code(lang)
        except UnknownLanguageError as error:
            raise ValueError(f"lang: {error}") from None
        document.metadata["language_detected"] = "false"
    return document


def failure_answer(payload: dict[str, Any], reason: str) -> dict[str, Any]:
    source, location = payload.get("place") or (
        payload.get("input") or payload.get("source") or "", payload.get("location") or "")
    return {"ok": False, "key": payload["key"],
            "failure": {"source": source, "location": location, "reason": reason}}


def _one_line(error: BaseException) -> str:
    return str(error).replace("\n", " ").strip() or type(error).__name__
