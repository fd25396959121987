"""/openapi.json against the real answers: every status an endpoint declares is produced by a
real request, every status a request gets is declared, and each body has the declared shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from corpus_helpers import NARRATIVE_TEXT, article_rows, write_jsonl
from fastapi.testclient import TestClient

from persuasion_lens.web.app import create_app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "harbour-bridge-opinion-en.txt"
MAX_BYTES = 20_000
NO_BOUNDARY = {"content": b"abc", "headers": {"Content-Type": "multipart/form-data"}}
TOO_LARGE = {"json": {"text": "x" * (MAX_BYTES + 1)}}
NOT_AN_ARTICLE = {"content": b"\x89PNG", "headers": {"Content-Type": "image/png"}}
SEARCH = ("/corpus/api/search", "get")
ONE_PARAGRAPH = {"json": {"text": "One paragraph."}}

# (path, method) -> status -> the requests (keyword arguments of TestClient.request) that get it
CASES: dict[tuple[str, str], dict[int, list[dict[str, Any]]]] = {
    ("/healthz", "get"): {200: [{}]},
    ("/api/info", "get"): {200: [{}]},
    ("/api/techniques", "get"): {200: [{}]},
    ("/api/analyze", "post"): {
        200: [{"json": {"text": EXAMPLE.read_text(encoding="utf-8")}},
              {"content": "Они лгут нам.\nЭто катастрофа!".encode(), "params": {"lang": "ru"},
               "headers": {"Content-Type": "text/plain"}}],
        400: [NO_BOUNDARY, {"content": b"x", "headers": {"Content-Length": "one"}}],
        413: [TOO_LARGE],
        415: [NOT_AN_ARTICLE],
        422: [{"json": {"text": " "}}, {"json": {"text": "Hello.", "lang": "xx"}},
              {"content": b"Hello.", "params": {"lang": "xx"},
               "headers": {"Content-Type": "text/plain"}}],
        503: [ONE_PARAGRAPH],
    },
    ("/api/report.html", "post"): {
        200: [{"json": {"text": "They lie.\nThis is a disaster!"}}],
        400: [NO_BOUNDARY],
        413: [TOO_LARGE],
        415: [NOT_AN_ARTICLE],
        422: [{"json": {"paragraphs": "none"}}],
        503: [ONE_PARAGRAPH],
    },
    SEARCH: {
        200: [{"params": {"q": "headline"}}, {"params": {"q": "", "technique": "loaded"}},
              {"params": {"q": "😀"}}],  # with a notice: the query has no words
        422: [{"params": {"since": "yesterday"}}, {"params": {"technique": "nonexistent"}},
              {"params": {"category": "Nope"}}, {"params": {"lang": "xx"}},
              {"params": {"limit": 0}}],
        503: [{"params": {"q": "headline"}}],
    },
    ("/corpus/api/stats", "get"): {
        200: [{}], 422: [{"params": {"until": "tomorrow"}}, {"params": {"top": 0}}],
        503: [{}]},
    ("/corpus/api/narratives", "get"): {
        200: [{}], 422: [{"params": {"category": "Nope"}}, {"params": {"top": 0}}],
        503: [{}]},
}
REQUESTS = [(operation, status, index) for operation, statuses in CASES.items()
            for status, requests in statuses.items() for index in range(len(requests))]


@pytest.fixture(scope="module")
def client(analyzer, tmp_path_factory):
    from persuasion_lens.batch import run_batch
    from persuasion_lens.batch.work import AnalyzerSpec
    from persuasion_lens.storage import open_database

    folder = tmp_path_factory.mktemp("openapi-corpus")
    url = f"sqlite:///{folder / 'corpus.db'}"
    db = open_database(url)
    fake = AnalyzerSpec(factory="corpus_helpers:fake_analyzer")
    run_batch([str(write_jsonl(folder / "a.jsonl", article_rows(3)))], db, fake)
    db.dispose()
    with TestClient(create_app(analyzer, max_bytes=MAX_BYTES, db_url=url)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def spec(client) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def _cut_short(method: str, path: str, request: dict[str, Any]) -> Any:
    """The answer of a real server stopped while the request runs: an analysis that does not
    end, or a corpus whose PostgreSQL server never answers."""
    from server_helpers import SilentDatabase, StuckAnalyzer, answer_when_stopped

    stuck, silent = StuckAnalyzer(), SilentDatabase()

    def release() -> None:
        stuck.release.set()
        silent.release()

    app = create_app(stuck, max_bytes=MAX_BYTES, db_url=silent.url)
    waiting = silent if path.startswith("/corpus/") else stuck
    try:
        answer = answer_when_stopped(app, waiting.entered, release, method, path, **request)
    finally:
        release()
    assert answer is not None, "no answer"
    return answer


# --- a small JSON Schema checker for the keywords FastAPI writes -----------------------------

ANNOTATIONS = {"title", "description", "default", "format", "examples", "example"}
JSON_TYPES = {"string": str, "boolean": bool, "object": dict, "array": list,
              "null": type(None), "integer": int, "number": (int, float)}


def check(value: Any, schema: dict[str, Any], spec: dict[str, Any], where: str = "body") -> None:
    """Assert that `value` fits `schema` (resolving $ref in `spec`); unknown keywords fail, so
    that nothing declared goes unchecked."""
    unchecked = set(schema) - ANNOTATIONS - {"$ref", "anyOf", "type", "properties", "required",
                                             "items", "additionalProperties"}
    assert not unchecked, f"{where}: the checker does not know {unchecked}"
    if "$ref" in schema:
        check(value, _resolve(schema["$ref"], spec), spec, where)
    if "anyOf" in schema:
        assert any(_fits(value, option, spec) for option in schema["anyOf"]), (
            f"{where}: {value!r:.80} fits none of {schema['anyOf']}")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        assert any(_is_type(value, name) for name in types), (
            f"{where}: {value!r:.80} is not {types}")
    if isinstance(value, dict):
        _check_object(value, schema, spec, where)
    if isinstance(value, list) and "items" in schema:
        for number, item in enumerate(value):
            check(item, schema["items"], spec, f"{where}[{number}]")


def _check_object(value: dict, schema: dict[str, Any], spec: dict[str, Any], where: str) -> None:
    missing = set(schema.get("required", [])) - set(value)
    assert not missing, f"{where}: lacks {missing}"
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            check(item, properties[name], spec, f"{where}.{name}")
        elif isinstance(extra, dict):
            check(item, extra, spec, f"{where}.{name}")
        else:
            assert extra, f"{where}: {name} is not declared"


def _fits(value: Any, schema: dict[str, Any], spec: dict[str, Any]) -> bool:
    try:
        check(value, schema, spec)
    except AssertionError:
        return False
    return True


def _is_type(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    return isinstance(value, JSON_TYPES[name])


def _resolve(reference: str, spec: dict[str, Any]) -> dict[str, Any]:
    node: Any = spec
    for key in reference.removeprefix("#/").split("/"):
        node = node[key]
    return node


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node).union(*(_keys(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_keys(value) for value in node))
    return set()


# --- the checks ----------------------------------------------------------------------------------

def test_every_endpoint_and_status_is_tried(spec):
    declared = {(path, method): {int(code) for code in operation["responses"]}
                for path, operations in spec["paths"].items()
                for method, operation in operations.items()}
    assert declared == {operation: set(statuses) for operation, statuses in CASES.items()}


@pytest.mark.parametrize(("operation", "status", "index"), REQUESTS,
                         ids=[f"{m} {p} {s} #{i}" for (p, m), s, i in REQUESTS])
def test_real_answers_have_the_declared_shape(client, spec, operation, status, index):
    path, method = operation
    request = CASES[operation][status][index]
    if status == 503:  # what a request still running when the server stops is answered
        response = _cut_short(method, path, request)
    else:
        response = client.request(method.upper(), path, **request)
    assert response.status_code == status, response.text
    declared = spec["paths"][path][method]["responses"][str(status)]["content"]
    media_type = response.headers["content-type"].split(";")[0]
    assert media_type in declared, f"{media_type} is not declared: {list(declared)}"
    schema = declared[media_type]["schema"]
    body = response.json() if media_type == "application/json" else response.text
    check(body, schema, spec)
    if status >= 400:
        assert body["detail"]  # {"detail": "a readable message"}


def test_errors_are_declared_as_they_are_sent(spec):
    """The 422 of the corpus endpoints was FastAPI's HTTPValidationError (a list of objects);
    every error is one readable message."""
    error = spec["components"]["schemas"]["ErrorDetail"]
    assert error["properties"]["detail"]["type"] == "string" and error["required"] == ["detail"]
    for operations in spec["paths"].values():
        for operation in operations.values():
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorDetail"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_the_description_is_openapi_3_1(spec):
    assert spec["openapi"].startswith("3.1")
    assert "nullable" not in _keys(spec)  # OpenAPI 3.0's; 3.1 writes type: [..., "null"]
    lang = spec["paths"]["/api/analyze"]["post"]["requestBody"]["content"]["application/json"]
    assert lang["schema"]["properties"]["lang"]["type"] == ["string", "null"]


ONE_OF_EACH_BODY = {
    "application/json": {"json": {"text": "They lie.", "lang": "en"}},
    "multipart/form-data": {"files": {"file": ("a.txt", b"They lie.", "text/plain")}},
    "application/x-www-form-urlencoded": {"data": {"text": "They lie.", "lang": "en"}},
    "text/plain": {"content": b"They lie.", "headers": {"Content-Type": "text/plain"}},
    "text/html": {"content": b"<html><body><article><p>They lie to all of us, every day and "
                             b"in every way they can.</p></article></body></html>",
                  "headers": {"Content-Type": "text/html"}},
}


def test_every_declared_body_type_is_taken_and_every_taken_one_declared(client, spec):
    """A URL-encoded form (text, lang, source) was analysed but not declared."""
    for path in ("/api/analyze", "/api/report.html"):
        declared = spec["paths"][path]["post"]["requestBody"]["content"]
        assert set(declared) == set(ONE_OF_EACH_BODY), path
        for content_type, request in ONE_OF_EACH_BODY.items():
            answer = client.post(path, **request)
            assert answer.status_code == 200, (path, content_type, answer.text)


def test_lang_and_language_are_declared(spec):
    for path in ("/api/analyze", "/api/report.html"):
        parameters = spec["paths"][path]["post"]["parameters"]
        assert [(p["name"], p["in"]) for p in parameters] == [("lang", "query"),
                                                              ("language", "query")]
        body = spec["paths"][path]["post"]["requestBody"]["content"]
        for form in ("multipart/form-data", "application/x-www-form-urlencoded"):
            assert {"lang", "language"} <= set(body[form]["schema"]["properties"])
    assert "language" in spec["paths"]["/api/analyze"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["properties"]


def test_an_analysis_is_described_field_by_field(client, spec):
    schema = spec["components"]["schemas"]["AnalysisResult"]
    assert {"language", "summary", "paragraphs", "warnings", "source"} <= set(schema["required"])
    paragraph = spec["components"]["schemas"]["Paragraph"]["properties"]
    assert paragraph["spans"]["items"] == {"$ref": "#/components/schemas/Span"}
    answer = client.post("/api/analyze", json={"text": "They lie.\nThis is a disaster!"})
    assert answer.json() == json.loads(json.dumps(answer.json()))  # JSON as sent, unchanged
    check(answer.json(), schema, spec)


def test_an_analysis_with_narratives_has_the_declared_shape(narrative_analyzer, spec):
    with TestClient(create_app(narrative_analyzer)) as narrative_client:
        result = narrative_client.post("/api/analyze", json={"text": NARRATIVE_TEXT}).json()
    assert result["narratives"] and result["entities"] and "side_taken" in result
    check(result, {"$ref": "#/components/schemas/AnalysisResult"}, spec)
