"""The FastAPI application behind `plens serve`: the analysis page and the HTTP API.

Endpoints
  GET  /                   the analysis page (static/index.html)
  GET  /docs               the API reference, rendered from /openapi.json with local assets
  GET  /openapi.json       the OpenAPI description
  GET  /healthz            liveness and the loaded models
  GET  /api/info           what the page needs to know (limits, languages, models)
  GET  /api/techniques     the taxonomy with definitions
  POST /api/analyze        analyse one article (JSON, multipart upload or a raw text body)
  POST /api/report.html    the standalone HTML report for an analysis result (or an article)

Everything the browser loads comes from the package's `static/` folder: no CDN, no web fonts,
so the app works without an internet connection. No endpoint takes a path, and static files are
only ever read from that folder.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path, PurePath
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from persuasion_lens import __version__
from persuasion_lens.pipeline.results import ArticleResult, result_from_dict
from persuasion_lens.taxonomy import taxonomy_as_dict
from persuasion_lens.text.languages import (
    SUPPORTED_LANGUAGES,
    UnknownLanguageError,
    language_name,
    normalise_language_code,
)
from persuasion_lens.text.reading import (
    ARTICLE_SUFFIXES,
    InputError,
    article_text,
    replace_unstorable,
    text_from_bytes,
)
from persuasion_lens.text.wording import size_text
from persuasion_lens.web.file_names import read_form, report_disposition, uploaded_file_name
from persuasion_lens.web.schemas import (
    CUT_SHORT_TEXT,
    AnalysisResult,
    error_response,
    error_response_beside,
)

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).parent / "static"
DEFAULT_MAX_BYTES = 2_000_000
# Room for the JSON or multipart wrapping around the article itself.
ENVELOPE_BYTES = 64 * 1024
# JSON may escape every character (\\uXXXX: 6 bytes for one of 1 to 3 in UTF-8; Python's json and
# requests do so for all non-ASCII text) and a URL-encoded form turns a byte into 3.
ESCAPED_SIZE_FACTOR = 6
# An analysis result repeats the text (paragraphs, spans, entities) and adds the detections:
# measured 7.0-7.4 times the article as UTF-8 JSON, 15.4 times with non-ASCII text escaped
# (a Russian article, narratives on).
REPORT_SIZE_FACTOR = 25
ESCAPING_TYPES = ("application/json", "application/x-www-form-urlencoded")
UPLOAD_SUFFIXES = ARTICLE_SUFFIXES | {".markdown", ".text"}

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

# The app's own pages; other routers (the corpus pages) bring their own inline styles.
PAGES_WITH_CSP = frozenset({"/", "/docs"})
CORPUS_PAGES = "/corpus"  # and the article pages under it; its api/ answers JSON


def corpus_page_policy() -> str:
    """The corpus pages' Content-Security-Policy: their inline styles, the one inline script of
    an article page (by its hash), nothing fetched, framed or posted elsewhere."""
    from persuasion_lens.reporting.html import page_script_hash

    return ("default-src 'none'; style-src 'unsafe-inline'; "
            f"script-src '{page_script_hash()}'; img-src 'self' data:; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'self'")


def _policy_for(path: str) -> str | None:
    if path in PAGES_WITH_CSP:
        return CONTENT_SECURITY_POLICY
    if path == CORPUS_PAGES or (path.startswith(CORPUS_PAGES + "/")
                                and not path.startswith(CORPUS_PAGES + "/api/")):
        return corpus_page_policy()
    return None

ANALYZE_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["text"],
                "properties": {
                    "text": {"type": "string",
                             "description": "The article, one paragraph a line (or an HTML "
                                            "page, reduced to its article text)."},
                    "lang": {"type": ["string", "null"],
                             "description": "ISO 639-1 code (en, fr, de, it, pl, ru); "
                                            "detected when left out."},
                    "language": {"type": ["string", "null"],
                                 "description": "Another name for `lang`, as the response "
                                                "spells it; both differing is a 422."},
                    "source": {"type": ["string", "null"],
                               "description": "A name for the article, echoed as `source`."},
                },
            },
            "example": {"text": "They will destroy everything we love.\nAct now!", "lang": "en"},
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary",
                             "description": ".txt, .md or .html file in any encoding; HTML pages "
                                            "are reduced to their article text."},
                    "text": {"type": "string", "description": "Pasted text, instead of a file."},
                    "lang": {"type": "string"},
                    "language": {"type": "string", "description": "Another name for `lang`."},
                    "source": {"type": "string",
                               "description": "A name for the article, echoed as `source` "
                                              "(the file's name when left out)."},
                },
            }
        },
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "required": ["text"],
                "properties": {
                    "text": {"type": "string", "description": "The article."},
                    "lang": {"type": "string"},
                    "language": {"type": "string", "description": "Another name for `lang`."},
                    "source": {"type": "string"},
                },
            }
        },
        "text/plain": {"schema": {"type": "string"}},
        "text/html": {"schema": {"type": "string"}},
    },
}

# A query parameter /api/analyze and /api/report.html read themselves (the body may carry it).
LANG_PARAMETER: dict[str, Any] = {
    "name": "lang",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "ISO 639-1 code (en, fr, de, it, pl, ru) of an article sent as text or a "
                   "form without a `lang` (or `language`) field; detected when left out.",
}
LANGUAGE_PARAMETER: dict[str, Any] = {
    **LANG_PARAMETER,
    "name": "language",
    "description": "Another name for the `lang` query parameter; both differing is a 422.",
}
LANGUAGE_PARAMETERS = [LANG_PARAMETER, LANGUAGE_PARAMETER]

ERROR_TEXTS: dict[int, str] = {
    400: "A malformed request, such as a multipart body without its boundary.",
    413: "The input is larger than the server's limit (`plens serve --max-bytes`).",
    415: "The body is neither JSON, a form upload nor plain text or HTML.",
    422: "Empty or undecodable input, no article text, an unknown language code, or `lang` "
         "and `language` naming different languages.",
    503: CUT_SHORT_TEXT,
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: error_response(text) for status, text in ERROR_TEXTS.items()
}
# /api/report.html answers HTML, its errors JSON
REPORT_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: error_response_beside(text) for status, text in ERROR_TEXTS.items()
}


class PayloadTooLarge(StarletteHTTPException):
    """Raised while reading a body that grows past the limit.

    It is an HTTPException so that FastAPI's body parsing passes it through untouched instead of
    turning it into a generic 400.
    """

    def __init__(self, limit: int, article_limit: int | None = None) -> None:
        """`limit` alone: the article's limit. With `article_limit`, `limit` is the whole
        request's, which adds room for the rest of the request; the page states the article
        limit, so the message names both."""
        if article_limit is None:
            message = f"the article is larger than the limit of {size_text(limit)}"
        else:
            message = (f"the request is larger than the limit of {size_text(limit)} (an "
                       f"article of up to {size_text(article_limit)} and the request around it)")
        super().__init__(413, message)


SHUTDOWN_DETAIL = ("the server is shutting down (plens serve was stopped) and did not finish "
                   "this request; send it again once the server runs")


class GuardMiddleware:
    """Caps request bodies (Content-Length first, then the bytes actually received), adds
    security headers to every response, and answers a request that the server's shutdown cuts
    short with a JSON 503."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str, str], int], article_limit: int
                 ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.article_limit = article_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        content_type = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
        limit = self.limit_for(path, content_type)
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _send_json(send, 400, "the Content-Length header is not a number")
                return
            if int(declared) > limit:
                await _send_json(send, 413, PayloadTooLarge(limit, self.article_limit).detail)
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(limit, self.article_limit)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                if (policy := _policy_for(path)) is not None:
                    headers.append((b"content-security-policy", policy.encode("ascii")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except PayloadTooLarge as error:
            if started:
                raise
            await _send_json(send, 413, error.detail)
        except asyncio.CancelledError:
            # uvicorn cancels the requests still running when its graceful shutdown times out
            # (plens serve waits 5 s): an analysis running in its thread was answered with a
            # plain-text 500 where every error is JSON. The task ends right after this answer.
            if started:
                raise
            log.warning("%s %s cut short by the server's shutdown", scope.get("method"), path)
            await _send_json(send, 503, SHUTDOWN_DETAIL)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1").strip()
    return None


async def _send_json(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode("utf-8")
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"connection", b"close"),
        ],
    })
    await send({"type": "http.response.body", "body": body})


def checked_language(lang: Any) -> str | None:
    """The ISO 639-1 code for a user-given language, None for 'detect it', or an error."""
    if lang is None:
        return None
    if not isinstance(lang, str):
        raise UnknownLanguageError("'lang' must be a language code such as en, de or ru")
    if not lang.strip() or lang.strip().lower() == "auto":
        return None
    return normalise_language_code(lang)


LANGUAGE_KEYS = ("lang", "language")


def requested_language(values: Mapping[str, Any], where: str) -> Any:
    """The language a client asked for in one place (a JSON body, a form, the query string),
    by either name: `lang` as the command line spells it or `language` as the responses do.

    None when neither is given; both naming different languages is an `InputError` (a blank
    one, as an untouched form field is, does not count).
    """
    lang, language = (values.get(key) for key in LANGUAGE_KEYS)
    if _is_blank(lang) or _is_blank(language):
        return language if _is_blank(lang) and not _is_blank(language) else lang
    if _language_or_raw(lang) != _language_or_raw(language):
        raise InputError(f"{where} gives both 'lang' ({lang!r}) and 'language' ({language!r}); "
                         "send one of them")
    return lang


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _language_or_raw(value: Any) -> Any:
    """A language value as compared for a conflict: its code where it is one (`French` and
    `fr` agree), else the value itself (the conflict is reported before the bad code)."""
    try:
        return checked_language(value)
    except UnknownLanguageError:
        return value


class Article:
    """One article taken from a request, before analysis."""

    def __init__(self, text: str, lang: str | None, source: str | None) -> None:
        self.text = text
        self.lang = lang
        self.source = source


def create_app(
    analyzer: Any = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    db_url: str | None = None,
) -> FastAPI:
    """Build the application around a loaded `Analyzer` (the shipped models when None)."""
    if analyzer is None:
        from persuasion_lens.pipeline.analyzer import Analyzer

        analyzer = Analyzer.load()
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")

    app = FastAPI(
        title="persuasion-lens",
        version=__version__,
        description=(
            "Shows how news and opinion articles try to persuade: the persuasion techniques in "
            "each paragraph, the words that carry them, genre and framing. "
            "Detections are model predictions with a confidence, not verdicts."
        ),
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.analyzer = analyzer
    app.state.max_bytes = max_bytes
    app.state.db_url = db_url

    def limit_for(path: str, content_type: str) -> int:
        if path == "/api/report.html":
            return REPORT_SIZE_FACTOR * max_bytes + ENVELOPE_BYTES
        if content_type in ESCAPING_TYPES:
            return ESCAPED_SIZE_FACTOR * max_bytes + ENVELOPE_BYTES
        return max_bytes + ENVELOPE_BYTES

    app.add_middleware(GuardMiddleware, limit_for=limit_for, article_limit=max_bytes)
    _add_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> FileResponse:
        return FileResponse(STATIC_DIR / "docs.html", media_type="text/html")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")

    @app.get("/healthz", tags=["service"], summary="Liveness check")
    async def healthz() -> dict[str, Any]:
        """`{"status": "ok"}` once the models are loaded, with the model version."""
        return {"status": "ok", "model_version": analyzer.model_version}

    @app.get("/api/info", tags=["service"], summary="Limits, languages and loaded models")
    async def info() -> dict[str, Any]:
        return {
            "version": __version__,
            "model_version": analyzer.model_version,
            "max_bytes": max_bytes,
            "languages": _menu_languages(analyzer),
            "spans": bool(getattr(analyzer, "span_detector", None)),
            "article_labels": bool(getattr(analyzer, "article_classifier", None)),
            "narratives": bool(getattr(analyzer, "narrative_model", None)),
            "corpus": bool(getattr(app.state, "corpus", False)),
        }

    @app.get("/api/techniques", tags=["analysis"], summary="The taxonomy with definitions")
    async def techniques() -> dict[str, Any]:
        """Categories (with their colours), techniques (definition, what to look for, an
        example), frames and genres, and what each underline of a highlight means."""
        from persuasion_lens.reporting.html import UNDERLINES

        return {**taxonomy_as_dict(), "underlines": UNDERLINES}

    @app.post(
        "/api/analyze",
        tags=["analysis"],
        summary="Analyse one article",
        openapi_extra={"requestBody": ANALYZE_REQUEST_BODY, "parameters": LANGUAGE_PARAMETERS},
        responses={200: {"model": AnalysisResult,
                         "description": "The analysis: the JSON of `plens analyze --format "
                                        "json` (language, summary, paragraphs with techniques "
                                        "and spans and their confidences, genre, frames)."},
                   **ERROR_RESPONSES},
    )
    async def analyze(request: Request) -> JSONResponse:
        """Analyse one article and return exactly what `plens analyze --format json` prints.

        Send JSON `{"text": ..., "lang": "en"}`, a multipart form with a `file` (.txt, .md,
        .html in any encoding) or a `text` field, or the raw text with `Content-Type:
        text/plain` (or `text/html`). `lang` may also be given as a query parameter, and
        is also accepted as `language` (the response's name for it) in all three places.
        """
        article = await _article_from_request(request, max_bytes)
        result = await _analyze(analyzer, article)
        return JSONResponse(result.to_dict())

    @app.post(
        "/api/report.html",
        tags=["analysis"],
        summary="Standalone HTML report",
        response_class=HTMLResponse,
        responses=REPORT_ERROR_RESPONSES,
        openapi_extra={"parameters": LANGUAGE_PARAMETERS, "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {
                    "description": "An analysis result as returned by /api/analyze (possibly "
                                   "with detections removed), or the same input as /api/analyze.",
                    "type": "object",
                }},
                **{k: v for k, v in ANALYZE_REQUEST_BODY["content"].items()
                   if k != "application/json"},
            },
        }},
    )
    async def report(request: Request) -> HTMLResponse:
        """A self-contained HTML page (no external files) showing the article with its
        highlights, like `plens analyze --format html`.

        Post an analysis result from /api/analyze to render it as it is (the page posts what
        it shows), or post an article in any form /api/analyze accepts to analyse and render it.
        """
        from persuasion_lens.reporting.html import render_html

        result = await _report_result(request, analyzer, max_bytes)
        page = await run_in_threadpool(render_html, [result])
        disposition = report_disposition(result.source)
        return HTMLResponse(page, headers={"Content-Disposition": disposition})

    if db_url:
        _include_corpus(app, db_url)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InputError)
    async def input_error(request: Request, error: InputError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=422)

    @app.exception_handler(UnknownLanguageError)
    async def language_error(request: Request, error: UnknownLanguageError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        parts = []
        for item in error.errors():
            where = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
            parts.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
        return JSONResponse({"detail": "; ".join(parts) or "invalid request"}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return JSONResponse(
            {"detail": f"internal error ({type(error).__name__}); the server log has details"},
            status_code=500,
        )


async def _analyze(analyzer: Any, article: Article) -> ArticleResult:
    return await run_in_threadpool(
        analyzer.analyze_text, article.text, article.lang, article.source
    )


async def _article_from_request(request: Request, max_bytes: int) -> Article:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    query_lang = requested_language(request.query_params, "the query string")
    if content_type == "application/json":
        data = _json_body(await request.body())
        return await _reduced_to_article(_article_from_json(data, query_lang, max_bytes))
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return await _article_from_form(request, query_lang, max_bytes)
    if content_type in ("text/plain", "text/html", "text/markdown", "application/octet-stream",
                        ""):
        data = await request.body()
        text = await _decode(data, "the request body", max_bytes,
                             html=content_type == "text/html")
        return Article(text, checked_language(query_lang), None)
    raise StarletteHTTPException(
        415, f"unsupported content type '{content_type}'; send JSON, a multipart form or text"
    )


def _json_body(body: bytes) -> Any:
    if not body.strip():
        raise InputError("the request body is empty; send {\"text\": \"...\"}")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"the request body is not valid JSON ({error})") from None
    except RecursionError:
        raise InputError("the request body's JSON is nested too deeply") from None


def _article_from_json(data: Any, query_lang: str | None, max_bytes: int) -> Article:
    if not isinstance(data, dict):
        raise InputError("the JSON body must be an object such as {\"text\": \"...\"}")
    text = data.get("text")
    if text is None:
        raise InputError("the JSON body has no 'text'")
    if not isinstance(text, str):
        raise InputError("'text' must be a string")
    text = replace_unstorable(text)
    if len(text.encode("utf-8")) > max_bytes:
        raise PayloadTooLarge(max_bytes)
    if not text.strip():
        raise InputError("the text is empty")
    source = data.get("source")
    if source is not None and not isinstance(source, str):
        raise InputError("'source' must be a string")
    lang = requested_language(data, "the JSON body")
    if lang is None:
        lang = query_lang
    return Article(text, checked_language(lang), replace_unstorable(source) if source else source)


async def _article_from_form(request: Request, query_lang: str | None, max_bytes: int) -> Article:
    part_limit = ESCAPED_SIZE_FACTOR * max_bytes + ENVELOPE_BYTES  # URL-encoded fields count so
    form = await read_form(request, max_files=1, max_fields=20, max_part_size=part_limit)
    try:
        upload = form.get("file")
        if any(isinstance(form.get(key), UploadFile) for key in LANGUAGE_KEYS):
            raise InputError("'lang' must be a form field, not a file")
        lang = requested_language(form, "the form") or query_lang
        if isinstance(upload, UploadFile) and (upload.filename or upload.size):
            name = uploaded_file_name(upload.filename)
            suffix = PurePath(name).suffix.lower()
            if suffix and suffix not in UPLOAD_SUFFIXES:
                raise InputError(f"{name}: only .txt, .md and .html files can be analysed")
            data = await upload.read(max_bytes + 1)
            text = await _decode(data, name, max_bytes)
            return Article(text, checked_language(lang), _form_source(form) or name)
        text = form.get("text")
        if isinstance(text, str):
            if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
                raise PayloadTooLarge(max_bytes)
            if not text.strip():
                raise InputError("the text is empty")
            return await _reduced_to_article(
                Article(text, checked_language(lang), _form_source(form)))
    finally:
        await form.close()
    raise InputError("the form has neither a 'file' nor a 'text' field")


def _form_source(form: FormData) -> str | None:
    """The form's `source` field: the article's name, exactly as the page knows the file's."""
    source = form.get("source")
    if isinstance(source, str) and source.strip():
        return replace_unstorable(source)
    return None


async def _reduced_to_article(article: Article) -> Article:
    """The article, with pasted HTML (a page's source) reduced to its article text, as an
    uploaded page is."""
    article.text = await run_in_threadpool(article_text, article.text)
    return article


async def _decode(data: bytes, name: str, max_bytes: int, html: bool = False) -> str:
    if len(data) > max_bytes:
        raise PayloadTooLarge(max_bytes)
    return await run_in_threadpool(text_from_bytes, data, name, max_bytes, html)


async def _report_result(request: Request, analyzer: Any, max_bytes: int) -> ArticleResult:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        data = _json_body(await request.body())
        if isinstance(data, dict) and "paragraphs" in data:
            return result_from_dict(data)
        article = await _reduced_to_article(
            _article_from_json(data, requested_language(request.query_params, "the query string"),
                               max_bytes)
        )
    else:
        article = await _article_from_request(request, max_bytes)
    return await _analyze(analyzer, article)


def _menu_languages(analyzer: Any) -> dict[str, str]:
    """The languages the page offers: the technique detector's six, and with the narrative
    model loaded the languages it was trained on (Bulgarian, Hindi, Portuguese: their
    techniques come from the multilingual fallback, and the result says so)."""
    languages = dict(SUPPORTED_LANGUAGES)
    if getattr(analyzer, "narrative_model", None) is not None:
        from persuasion_lens.models.narratives import TRAINED_LANGUAGES

        languages.update({code: language_name(code) for code in TRAINED_LANGUAGES
                          if code not in languages})
    return languages


def _include_corpus(app: FastAPI, db_url: str) -> None:
    """Add the corpus endpoints (issue 6) when that module is installed."""
    if importlib.util.find_spec("persuasion_lens.web.corpus") is None:
        log.warning("--db was given but this installation has no corpus module; ignoring it")
        return
    from persuasion_lens.web import corpus

    app.include_router(corpus.router)
    app.state.corpus = True
