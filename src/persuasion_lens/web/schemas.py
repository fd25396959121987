"""The shapes of the web API's answers, for /openapi.json.

The endpoints build their JSON themselves (an analysis is exactly `ArticleResult.to_dict()`, as
`plens analyze --format json` prints it); these models only describe it, so the documented
schema and the real answers can be checked against each other (tests/test_web_openapi.py).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    """Every error answer: one readable message."""

    detail: str = Field(description="What was wrong, in words; for invalid query parameters "
                                     "'query.<name>: <problem>'.")


def error_response(description: str) -> dict[str, Any]:
    """A `responses` entry for an error answered with `ErrorDetail` as JSON."""
    return {"model": ErrorDetail, "description": description}


# What the GuardMiddleware of web.app answers a request still running when the server stops.
CUT_SHORT_TEXT = ("The server was stopped (plens serve waits 5 s for running requests) before "
                  "this request was done; send it again once the server runs. Only requests "
                  "that take time are cut short: analyses, reports and corpus queries.")


def error_response_beside(description: str) -> dict[str, Any]:
    """The same for an endpoint whose own answer is not JSON (FastAPI would file the model
    under the endpoint's media type): the schema named outright."""
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ErrorDetail"}}}}


class TechniqueHit(BaseModel):
    technique: str
    category: str
    confidence: float


class Span(BaseModel):
    start: int = Field(description="Character offset into the text sent.")
    end: int
    text: str
    technique: str
    category: str
    confidence: float
    explanation: str
    localisation: float | None = Field(description="How tightly the words were placed (0-1); "
                                                   "null when the paragraph lacks the technique.")
    loosely_placed: bool


class Paragraph(BaseModel):
    index: int
    start: int
    end: int
    text: str
    techniques: list[TechniqueHit]
    spans: list[Span]


class Summary(BaseModel):
    paragraphs: int
    paragraphs_with_techniques: int
    techniques: dict[str, int] = Field(description="Paragraphs per technique.")
    categories: dict[str, int] = Field(description="Technique uses per category.")


class LabelProbability(BaseModel):
    label: str
    probability: float


class Genre(LabelProbability):
    probabilities: dict[str, float]


class Mention(BaseModel):
    start: int
    end: int
    text: str


class EntityRole(BaseModel):
    entity: str
    main_role: str
    main_role_probability: float
    role_is_clear: bool
    main_role_probabilities: dict[str, float]
    fine_roles: list[LabelProbability]
    salience: float | None
    at_odds_with_side: bool
    mentions: list[Mention]


class SideTaken(BaseModel):
    favours: str
    against: str
    probability: float
    is_clear: bool
    russian_side_probability: float


class AnalysisResult(BaseModel):
    """An analysis: the JSON of `plens analyze --format json`. Fields not listed as required
    are left out when the model behind them is not loaded (genre and frames: the article
    models; narratives, entities and side_taken: `plens serve --narratives`)."""

    schema_version: str
    source: str | None = Field(description="The uploaded file's name or the `source` sent.")
    id: str | None
    language: str = Field(description="ISO 639-1 code.")
    language_detected: bool
    model_version: str
    warnings: list[str]
    summary: Summary
    paragraphs: list[Paragraph]
    genre: Genre | None = None
    frames: list[LabelProbability] | None = None
    rarely_reported: list[str] | None = Field(
        None, description="Techniques this model practically never reports in the language.")
    narratives: list[LabelProbability] | None = None
    subnarratives: list[LabelProbability] | None = None
    narrative_candidates: list[LabelProbability] | None = None
    entities: list[EntityRole] | None = None
    minor_entities: list[EntityRole] | None = None
    side_taken: SideTaken | None = None


class SearchHit(BaseModel):
    paragraph_id: int
    article_id: int
    paragraph_index: int
    text: str
    external_id: str | None
    title: str | None
    outlet: str | None
    url: str | None
    published: str | None = Field(description="YYYY-MM-DD.")
    language: str
    techniques: list[TechniqueHit]


class SearchPage(BaseModel):
    """One page of /corpus/api/search (`plens search --format json` prints the same but the
    notice, which it warns of instead)."""

    query: str
    filters: dict[str, str] = Field(description="The filters as resolved (taxonomy names).")
    count: int = Field(description="Results on this page.")
    offset: int
    total: int = Field(description="Paragraphs matching in all.")
    results: list[SearchHit]
    notice: str | None = Field(description="Set when the query has no words to search for (an "
                                           "emoji, \"_\"): the results are listed by the "
                                           "filters alone, as for an empty query.")
