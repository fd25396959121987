"""The HTTP API of `plens serve` (FastAPI TestClient, the shipped models)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import httpx
import pytest
from corpus_helpers import NARRATIVE_TEXT
from fastapi.testclient import TestClient
from html_pages import (
    BRIEF_TEXT,
    BRIEF_TITLE,
    LINKS_ONLY_PAGE,
    MENU_WORDS,
    NAVIGATION_PAGE,
    NEWS_BRIEF_PAGE,
    article_lines,
    article_page,
    linked_article_page,
)

from persuasion_lens.taxonomy import TECHNIQUE_NAMES, taxonomy_as_dict
from persuasion_lens.text.reading import read_document
from persuasion_lens.web.app import STATIC_DIR, create_app

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "harbour-bridge-opinion-en.txt"
RUSSIAN = (
    "Власти снова обещают, что всё будет хорошо.\n"
    "Эти бездарные чиновники разрушают нашу великую страну, и только слепой этого не видит.\n"
    "Каждый честный гражданин знает: либо мы остановим их сейчас, либо потеряем всё навсегда.\n"
)
EMPTY_PAGE = b"<html><head><script>var a = 1;</script></head><body></body></html>"
EXTERNAL_URL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture(scope="module")
def client(analyzer):
    with TestClient(create_app(analyzer)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def small_client(analyzer):
    """A server that accepts at most 1,000 bytes."""
    with TestClient(create_app(analyzer, max_bytes=1000)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def without_names(data: dict) -> dict:
    return {key: value for key, value in data.items() if key not in ("source", "id")}


def detail(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"detail"}
    assert isinstance(body["detail"], str) and body["detail"]
    return body["detail"]


# --- service endpoints -------------------------------------------------------------------------

def test_healthz(client, analyzer):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "model_version": analyzer.model_version}


def test_info(client):
    info = client.get("/api/info").json()
    assert info["max_bytes"] == 2_000_000
    assert info["languages"]["en"] == "English"
    assert "bg" not in info["languages"]  # no narrative model: techniques' languages only


def test_techniques_is_the_taxonomy(client):
    response = client.get("/api/techniques")
    assert response.status_code == 200
    data = response.json()
    underlines = data.pop("underlines")  # the key to the highlights' underlines
    assert data == json.loads(json.dumps(taxonomy_as_dict()))
    assert [u["style"] for u in underlines] == ["solid", "double", "dotted"]
    assert {t["name"] for t in data["techniques"]} == set(TECHNIQUE_NAMES)
    assert all(t["definition"] for t in data["techniques"])


# --- analysis ----------------------------------------------------------------------------------

def test_analyze_json_is_the_cli_json(client, analyzer, example_text):
    response = client.post("/api/analyze", json={"text": example_text})
    assert response.status_code == 200
    data = response.json()
    # `plens analyze FILE --format json` prints analyze_document(read_document(FILE)).to_dict()
    expected = json.loads(json.dumps(analyzer.analyze_document(read_document(EXAMPLE)).to_dict()))
    assert without_names(data) == without_names(expected)
    assert data["language"] == "en"
    assert data["schema_version"] and data["summary"]["paragraphs"] == len(data["paragraphs"])
    for paragraph in data["paragraphs"]:
        assert example_text[paragraph["start"]:paragraph["end"]] == paragraph["text"]
        for hit in paragraph["techniques"]:
            assert hit["technique"] in TECHNIQUE_NAMES and 0 <= hit["confidence"] <= 1
        for span in paragraph["spans"]:
            assert example_text[span["start"]:span["end"]] == span["text"]
            assert {"technique", "category", "confidence", "explanation"} <= set(span)
    assert sum(len(p["techniques"]) for p in data["paragraphs"]) > 0


def test_analyze_json_with_lang_and_source(client, example_text):
    data = client.post(
        "/api/analyze", json={"text": example_text, "lang": "EN", "source": "mine.txt"}
    ).json()
    assert data["language"] == "en"
    assert data["language_detected"] is False
    assert data["source"] == "mine.txt"


def test_semeval_language_alias(client):
    data = client.post("/api/analyze", json={"text": "Das ist ein Test.", "lang": "ge"}).json()
    assert data["language"] == "de"


@pytest.mark.parametrize("lang", ["xx", "elvish", "e1", "zz"])
def test_unknown_language_is_422(client, lang):
    response = client.post("/api/analyze", json={"text": "Some text here.", "lang": lang})
    assert response.status_code == 422
    assert lang in detail(response)


def test_lang_must_be_a_string(client):
    response = client.post("/api/analyze", json={"text": "Some text here.", "lang": 5})
    assert response.status_code == 422
    detail(response)


def test_lang_as_query_parameter(client):
    response = client.post("/api/analyze?lang=xx", content=b"Some text.",
                           headers={"Content-Type": "text/plain"})
    assert response.status_code == 422
    data = client.post("/api/analyze?lang=fr", content=b"Un texte.",
                       headers={"Content-Type": "text/plain; charset=utf-8"}).json()
    assert data["language"] == "fr"


# `language` is what the responses call it: a client that sends it back was silently ignored
ENGLISH = "They will destroy everything we love. Act now, before it is too late!"


def test_language_in_the_json_body_is_used(client):
    data = client.post("/api/analyze", json={"text": ENGLISH, "language": "fr"}).json()
    assert data["language"] == "fr" and data["language_detected"] is False


def test_language_in_a_form_and_the_query_is_used(client):
    by_form = client.post("/api/analyze", data={"text": ENGLISH, "language": "fr"}).json()
    assert by_form["language"] == "fr" and by_form["language_detected"] is False
    upload = client.post("/api/analyze", files={"file": ("a.txt", ENGLISH.encode(), "text/plain")},
                         data={"language": "de"}).json()
    assert upload["language"] == "de"
    by_query = client.post("/api/analyze?language=fr", content=ENGLISH.encode(),
                           headers={"Content-Type": "text/plain"}).json()
    assert by_query["language"] == "fr"
    report = client.post("/api/report.html?language=fr", json={"text": ENGLISH})
    assert report.status_code == 200 and "<article lang='fr'>" in report.text


@pytest.mark.parametrize("send", [
    {"json": {"text": ENGLISH, "lang": "en", "language": "fr"}},
    {"data": {"text": ENGLISH, "lang": "en", "language": "fr"}},
    {"params": {"lang": "en", "language": "fr"}, "content": ENGLISH.encode(),
     "headers": {"Content-Type": "text/plain"}},
])
def test_lang_and_language_that_differ_are_422(client, send):
    response = client.post("/api/analyze", **send)
    assert response.status_code == 422
    said = detail(response)
    assert "'lang'" in said and "'language'" in said and "'fr'" in said, said


def test_lang_and_language_that_agree_are_fine(client):
    data = client.post("/api/analyze",
                       json={"text": ENGLISH, "lang": "French", "language": "fr"}).json()
    assert data["language"] == "fr"
    blank_lang = client.post("/api/analyze",
                             data={"text": ENGLISH, "lang": "", "language": "fr"}).json()
    assert blank_lang["language"] == "fr"


def test_upload_txt(client, analyzer, example_text):
    response = client.post(
        "/api/analyze", files={"file": ("harbour.txt", EXAMPLE.read_bytes(), "text/plain")}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["source"] == "harbour.txt"
    expected = analyzer.analyze_text(example_text).to_dict()
    assert without_names(data) == without_names(json.loads(json.dumps(expected)))


def test_upload_markdown_with_lang_field(client, example_text):
    response = client.post(
        "/api/analyze",
        files={"file": ("notes.md", example_text.encode(), "text/markdown")},
        data={"lang": "en"},
    )
    assert response.status_code == 200
    assert response.json()["language_detected"] is False
    assert response.json()["source"] == "notes.md"


def test_upload_html_goes_through_the_reader(client, example_text):
    paragraphs = [line for line in example_text.splitlines() if line.strip()]
    page = (
        "<!DOCTYPE html><html><head><title>Harbour</title><script>var tracking = 1;</script>"
        "</head><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article>"
        f"<h1>{paragraphs[0]}</h1>"
        + "".join(f"<p>{p}</p>" for p in paragraphs[1:])
        + "</article><footer>Copyright 2024 Example Media</footer></body></html>"
    )
    response = client.post(
        "/api/analyze", files={"file": ("page.html", page.encode(), "text/html")}
    )
    assert response.status_code == 200
    data = response.json()
    text = "\n".join(p["text"] for p in data["paragraphs"])
    assert "<p>" not in text and "tracking" not in text
    assert paragraphs[2][:60] in text


@pytest.mark.parametrize("how", ["file", "html body", "json"])
def test_a_news_site_page_is_reduced_to_its_article(client, how):
    """The page around an article is analysed as the article (the menus left out), whether
    uploaded, sent as the body or pasted as JSON text; one without an article is a 422 (above)."""
    page = article_page()
    if how == "file":
        response = client.post("/api/analyze",
                               files={"file": ("bridge.html", page.encode(), "text/html")})
    elif how == "html body":
        response = client.post("/api/analyze", content=page.encode(),
                               headers={"Content-Type": "text/html"})
    else:
        response = client.post("/api/analyze", json={"text": page})
    assert response.status_code == 200, response.text
    texts = [p["text"] for p in response.json()["paragraphs"]]
    title, *paragraphs = article_lines()
    assert texts[0] == title
    assert all(paragraph in texts for paragraph in paragraphs)
    assert not any(word in texts for word in MENU_WORDS)


@pytest.mark.parametrize(("page", "expected"), [
    (linked_article_page(), article_lines()),
    (NEWS_BRIEF_PAGE, [BRIEF_TITLE, BRIEF_TEXT]),
], ids=["article with links", "brief without <article>"])
def test_articles_with_links_or_in_a_plain_div_are_analysed(client, page, expected):
    response = client.post("/api/analyze", files={"file": ("page.html", page.encode(),
                                                           "text/html")})
    assert response.status_code == 200, response.text
    assert [p["text"] for p in response.json()["paragraphs"]] == expected


def test_upload_of_a_pdf_named_txt_is_refused_with_a_hint(client):
    """A .pdf upload is refused by its suffix; a PDF renamed .txt by its signature."""
    response = client.post("/api/analyze", files={
        "file": ("column.txt", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n",
                 "application/pdf")})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("column.txt: a PDF document; persuasion-lens")


def test_upload_cp1251(client):
    response = client.post(
        "/api/analyze", files={"file": ("statya.txt", RUSSIAN.encode("cp1251"), "text/plain")}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["language"] == "ru"
    assert [p["text"] for p in data["paragraphs"]] == RUSSIAN.strip().split("\n")


def test_form_text_field(client):
    response = client.post("/api/analyze", data={"text": RUSSIAN, "lang": "ru"})
    assert response.status_code == 200
    assert response.json()["language"] == "ru"


def test_raw_html_body(client, example_text):
    body = "<html><body><article>" + "".join(
        f"<p>{line}</p>" for line in example_text.splitlines() if line.strip()
    ) + "</article></body></html>"
    response = client.post("/api/analyze", content=body.encode(),
                           headers={"Content-Type": "text/html"})
    assert response.status_code == 200
    assert "<p>" not in response.json()["paragraphs"][0]["text"]


# --- limits and errors -------------------------------------------------------------------------

def test_json_text_over_the_limit_is_413(small_client):
    response = small_client.post("/api/analyze", json={"text": "word " * 400})
    assert response.status_code == 413
    assert detail(response) == "the article is larger than the limit of 1 kB"


def test_content_length_over_the_limit_is_413_before_reading(small_client):
    """The message names the article limit the page shows, beside the request's own."""
    response = small_client.post("/api/analyze", content=b"x" * 100_000,
                                 headers={"Content-Type": "text/plain"})
    assert response.status_code == 413
    assert detail(response) == ("the request is larger than the limit of 67 kB (an article "
                                "of up to 1 kB and the request around it)")


def test_streamed_body_over_the_limit_is_413(small_client):
    """No Content-Length (chunked): the bytes actually received are counted."""

    def chunks():
        for _ in range(100):
            yield b"a" * 1000

    response = small_client.post("/api/analyze", content=chunks(),
                                 headers={"Content-Type": "text/plain"})
    assert response.status_code == 413
    detail(response)


def test_uploaded_file_over_the_limit_is_413(small_client):
    response = small_client.post(
        "/api/analyze", files={"file": ("big.txt", b"words and more words\n" * 100, "text/plain")}
    )
    assert response.status_code == 413
    detail(response)


def test_non_numeric_content_length_is_400(small_client):
    response = small_client.post(
        "/api/analyze", content=b"abc",
        headers={"Content-Type": "text/plain", "Content-Length": "lots"},
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"json": {"text": ""}}, "empty"),
        ({"json": {"text": "  \n\t \n"}}, "empty"),
        ({"json": {}}, "text"),
        ({"json": {"text": 42}}, "string"),
        ({"json": ["text"]}, "object"),
        ({"json": {"text": "ok", "source": 3}}, "source"),
        ({"content": b"{not json", "headers": {"Content-Type": "application/json"}}, "JSON"),
        ({"content": b"", "headers": {"Content-Type": "application/json"}}, "empty"),
        ({"content": b"[" * 100_000 + b"]" * 100_000,
          "headers": {"Content-Type": "application/json"}}, "nested too deeply"),
        ({"content": b"", "headers": {"Content-Type": "text/plain"}}, "empty"),
        ({"files": {"file": ("empty.txt", b"", "text/plain")}}, ""),
        ({"files": {"file": ("blank.txt", b"   \n\n ", "text/plain")}}, "empty"),
        ({"files": {"file": ("image.txt", bytes(range(256)) * 20, "text/plain")}}, "binary"),
        ({"files": {"file": ("report.pdf", b"%PDF-1.4 text", "application/pdf")}}, ".txt"),
        ({"files": {"file": ("menu.html", EMPTY_PAGE, "text/html")}}, "no article text"),
        ({"files": {"file": ("opinion.html", NAVIGATION_PAGE.encode(), "text/html")}},
         "opinion.html: no article text"),
        # a raw body names no file: "input.html: ..." named one the user never sent
        ({"content": NAVIGATION_PAGE.encode(), "headers": {"Content-Type": "text/html"}},
         "the request body: no article text"),
        ({"content": NAVIGATION_PAGE.encode(), "headers": {"Content-Type": "text/plain"}},
         "the request body: no article text"),
        ({"json": {"text": NAVIGATION_PAGE}}, "no article text"),
        ({"data": {"text": NAVIGATION_PAGE}}, "no article text"),
        ({"files": {"file": ("home.html", LINKS_ONLY_PAGE.encode(), "text/html")}},
         "home.html: no article text"),
        ({"json": {"text": LINKS_ONLY_PAGE}}, "no article text"),
        ({"data": {"lang": "en"}}, "file"),
    ],
)
def test_bad_input_is_422_with_a_readable_message(client, kwargs, words):
    response = client.post("/api/analyze", **kwargs)
    assert response.status_code == 422, response.text
    assert words.lower() in detail(response).lower()


def test_unsupported_content_type_is_415(client):
    response = client.post("/api/analyze", content=b"<a/>",
                           headers={"Content-Type": "application/xml"})
    assert response.status_code == 415
    detail(response)


def test_unknown_routes_and_methods(client):
    assert client.get("/api/analyze").status_code == 405
    assert client.get("/api/nothing").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py",
     "/static/%2e%2e/%2e%2e/pipeline/analyzer.py", "/static//etc/passwd", "/etc/passwd",
     "/static/../../../../../../etc/passwd"],
)
def test_no_file_outside_the_static_folder_can_be_read(client, path):
    response = client.get(path)
    assert response.status_code in (404, 405)
    assert "import" not in response.text and "root:" not in response.text


def test_server_keeps_working_after_bad_requests(client):
    client.post("/api/analyze", content=b"\xff\xfe\x00garbage",
                headers={"Content-Type": "application/json"})
    client.post("/api/analyze", files={"file": ("x.txt", b"\x00\x01\x02" * 50, "text/plain")})
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.post("/api/analyze", json={"text": "A calm sentence."}).status_code == 200


# --- concurrency -------------------------------------------------------------------------------

class SlowAnalyzer:
    """The real analyzer, with a pause, to show that analyses run off the event loop."""

    def __init__(self, inner, pause: float) -> None:
        self.inner = inner
        self.pause = pause
        self.model_version = inner.model_version

    def analyze_text(self, *args, **kwargs):
        time.sleep(self.pause)
        return self.inner.analyze_text(*args, **kwargs)


def test_requests_do_not_block_each_other(analyzer):
    app = create_app(SlowAnalyzer(analyzer, pause=2.0))

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            started = time.perf_counter()
            slow = [asyncio.create_task(http.post("/api/analyze", json={"text": f"Text {i}."}))
                    for i in range(4)]
            await asyncio.sleep(0.05)
            health = await http.get("/healthz")
            health_time = time.perf_counter() - started
            answers = await asyncio.gather(*slow)
            total = time.perf_counter() - started
        return health, health_time, answers, total

    health, health_time, answers, total = asyncio.run(scenario())
    assert health.status_code == 200 and health_time < 1.5
    assert [a.status_code for a in answers] == [200] * 4
    assert total < 6.5  # four 2-second analyses ran side by side, not one after another


# --- the HTML report ---------------------------------------------------------------------------

def test_report_from_a_result(client, example_text):
    result = client.post("/api/analyze", json={"text": example_text}).json()
    response = client.post("/api/report.html", json=result)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "attachment" in response.headers["content-disposition"]
    page = response.text
    assert page.startswith("<!DOCTYPE html>")
    assert EXTERNAL_URL.search(page) is None
    spans = sum(len(p["spans"]) for p in result["paragraphs"])
    if spans:
        assert "<mark" in page


def test_report_shows_only_what_was_posted(client, example_text):
    result = client.post("/api/analyze", json={"text": example_text}).json()
    for paragraph in result["paragraphs"]:
        paragraph["techniques"] = []
        paragraph["spans"] = []
    page = client.post("/api/report.html", json=result).text
    assert "<mark" not in page


def test_report_marks_the_article_with_its_language(client):
    """The page around the article is English, the article itself Russian (it was all 'en')."""
    result = client.post("/api/analyze", json={"text": RUSSIAN}).json()
    assert result["language"] == "ru"
    for posted in ({"json": result}, {"json": {"text": RUSSIAN, "lang": "ru"}}):
        page = client.post("/api/report.html", **posted).text
        assert page.startswith("<!DOCTYPE html><html lang='en'>")
        assert "<article lang='ru'><header class='article' lang='en'><h1 lang='ru'>" in page


def test_report_from_an_article(client):
    response = client.post("/api/report.html",
                           files={"file": ("statya.txt", RUSSIAN.encode("cp1251"), "text/plain")})
    assert response.status_code == 200
    assert "statya-report.html" in response.headers["content-disposition"]
    assert "Власти" in response.text


QUOTED_NAME = 'The "bridge" <scandal>.txt'


def test_a_file_name_with_quotes_comes_back_as_it_is(client, example_text):
    """Browsers and HTTP clients send a file name's double quotes as %22 (the HTML standard's
    form encoding), which came back in `source`, and so in the page's heading, as %22."""
    upload = {"file": (QUOTED_NAME, example_text.encode(), "text/plain")}
    response = client.post("/api/analyze", files=upload)
    assert response.status_code == 200
    result = response.json()
    assert result["source"] == QUOTED_NAME
    for report in (client.post("/api/report.html", json=result),
                   client.post("/api/report.html", files=upload)):
        assert report.status_code == 200
        disposition = report.headers["content-disposition"]
        assert disposition == 'attachment; filename="The-bridge-scandal-report.html"'
        assert "<h1>The &quot;bridge&quot; &lt;scandal&gt;.txt</h1>" in report.text


@pytest.mark.parametrize("name", ["Putin%20speech%20%22full%22.txt", "100%25%22ok%22.md"])
def test_a_percent_encoded_file_name_is_taken_literally(client, example_text, name):
    """A name percent-encoded as a whole (as files saved from a URL are) had its %22 shown as
    '"': no browser writes a %20 or %25, so its %22 was in the name too."""
    response = client.post("/api/analyze", files={"file": (name, example_text.encode())})
    assert response.status_code == 200, response.text
    assert response.json()["source"] == name


def test_a_source_field_names_the_uploaded_article(client, example_text):
    """A browser sends '"' in a file name as %22 and a literal %22 as it is; the page sends the
    name in a `source` field too, as JSON may, which was ignored."""
    for name in ("50%22off.txt", 'The "bridge".txt'):
        upload = {"file": ('50"off.txt', example_text.encode(), "text/plain")}
        response = client.post("/api/analyze", files=upload, data={"source": name})
        assert response.status_code == 200, response.text
        assert response.json()["source"] == name
    pasted = client.post("/api/analyze", data={"text": example_text, "source": "50%22off"})
    assert pasted.json()["source"] == "50%22off"


@pytest.mark.parametrize("name, disposition", [
    ("статья.txt", "attachment; filename=\"persuasion-lens-report.html\"; "
                   "filename*=UTF-8''%D1%81%D1%82%D0%B0%D1%82%D1%8C%D1%8F-report.html"),
    ("Déclaration.html", "attachment; filename=\"Declaration-report.html\"; "
                         "filename*=UTF-8''D%C3%A9claration-report.html"),
    ("plain name.txt", "attachment; filename=\"plain-name-report.html\""),
])
def test_a_report_is_named_after_a_non_ascii_file(client, name, disposition):
    """Every letter outside ASCII was dropped from the download name, so that statya.txt gave
    persuasion-lens-report.html; RFC 6266 `filename*` now has the name, `filename` a fallback."""
    text = article_page() if name.endswith(".html") else "Title\nThey will destroy it all.\n"
    upload = {"file": (name, text.encode(), "text/plain")}
    result = client.post("/api/analyze", files=upload).json()
    assert result["source"] == name
    for report in (client.post("/api/report.html", json=result),
                   client.post("/api/report.html", files=upload)):
        assert report.status_code == 200, report.text
        assert report.headers["content-disposition"] == disposition


def form_upload(client, path: str, disposition: str, data: bytes) -> httpx.Response:
    """A multipart upload of one part whose Content-Disposition is `disposition`, as written."""
    body = (b"--b0undary\r\nContent-Disposition: " + disposition.encode("latin-1")
            + b"\r\nContent-Type: text/plain\r\n\r\n" + data + b"\r\n--b0undary--\r\n")
    return client.post(path, content=body,
                       headers={"Content-Type": "multipart/form-data; boundary=b0undary"})


@pytest.mark.parametrize("disposition", [
    "form-data; name=\"file\"; filename*=UTF-8''%D1%81%D1%82%D0%B0%D1%82%D1%8C%D1%8F.txt",
    "form-data; name=\"file\"; filename*=utf-8'ru'%D1%81%D1%82%D0%B0%D1%82%D1%8C%D1%8F.txt",
    # a fallback beside it, which the exact name outranks (RFC 6266)
    "form-data; name=\"file\"; filename=\"statya.txt\"; "
    "filename*=UTF-8''%D1%81%D1%82%D0%B0%D1%82%D1%8C%D1%8F.txt",
])
def test_a_file_named_by_filename_star_is_taken_with_its_name(client, disposition):
    """A part named only by RFC 5987 `filename*` was taken as a text field, and the form as one
    without a file (422)."""
    response = form_upload(client, "/api/analyze", disposition, RUSSIAN.encode("cp1251"))
    assert response.status_code == 200, response.text
    assert response.json()["source"] == "статья.txt"
    assert "чиновники" in response.json()["paragraphs"][1]["text"]


def test_a_name_from_filename_star_is_taken_literally(client, example_text):
    """RFC 5987 escapes every '%': the name it gives has no form escapes left to undo."""
    disposition = ("form-data; name=\"file\"; filename=\"50%22off.txt\"; "
                   "filename*=UTF-8''50%2522off.txt")
    response = form_upload(client, "/api/analyze", disposition, example_text.encode())
    assert response.status_code == 200, response.text
    assert response.json()["source"] == "50%22off.txt"


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r["paragraphs"][0]["techniques"].append(
            {"technique": "Mind_Control", "category": "x", "confidence": 0.9}),
        lambda r: r["paragraphs"][0].pop("start"),
        lambda r: r["paragraphs"].append("not a paragraph"),
        lambda r: r["paragraphs"][0]["techniques"].append({"technique": "Doubt"}),
        lambda r: r.update(paragraphs=5),
    ],
)
def test_malformed_result_is_422(client, change):
    result = client.post("/api/analyze", json={"text": "First line.\nSecond line."}).json()
    change(result)
    response = client.post("/api/report.html", json=result)
    assert response.status_code == 422
    detail(response)


# --- the page and the offline docs -------------------------------------------------------------

def _assets(html: str) -> list[str]:
    """What the page loads by itself: scripts, styles, icons, images (not links)."""
    return re.findall(r"""<(?:script|link|img)\b[^>]*?(?:src|href)=["']([^"'#]+)["']""", html)


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_pages_load_only_local_assets(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    html = response.text
    assert EXTERNAL_URL.search(html) is None
    assert "cdn" not in html.lower()
    assets = _assets(html)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert asset.startswith("/"), asset
        fetched = client.get(asset)
        assert fetched.status_code == 200, asset
        if asset.endswith((".js", ".css")):
            assert EXTERNAL_URL.search(fetched.text) is None
            assert not re.search(r"""(?:url\(|import\s|fetch\()\s*["']?(?:https?:)?//""",
                                 fetched.text), asset


def test_static_folder_has_no_external_references():
    for path in STATIC_DIR.iterdir():
        text = path.read_text(encoding="utf-8")
        for url in re.findall(r"https?://[^\s\"')]+", text):
            assert url.startswith("http://www.w3.org/"), (path.name, url)


def test_openapi_describes_the_api(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/analyze", "/api/techniques", "/healthz", "/api/report.html"} <= set(spec["paths"])
    body = spec["paths"]["/api/analyze"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(body)
    assert "413" in spec["paths"]["/api/analyze"]["post"]["responses"]


def test_no_cdn_docs(client):
    assert client.get("/redoc").status_code == 404
    docs = client.get("/docs").text.lower()
    assert "jsdelivr" not in docs and "unpkg" not in docs and "swagger-ui-bundle" not in docs


# --- corpus mode -------------------------------------------------------------------------------

def test_db_adds_the_corpus_router(analyzer, tmp_path):
    pytest.importorskip("persuasion_lens.web.corpus")
    app = create_app(analyzer, db_url=f"sqlite:///{tmp_path / 'corpus.db'}")
    with TestClient(app) as test_client:
        paths = test_client.get("/openapi.json").json()["paths"]
        assert any(path.startswith("/corpus/") for path in paths)
        assert test_client.get("/api/info").json()["corpus"] is True
        assert test_client.get("/healthz").status_code == 200


def test_no_db_no_corpus(client):
    assert client.get("/api/info").json()["corpus"] is False
    assert client.get("/corpus").status_code == 404


# --- narratives and entity roles (plens serve --narratives) ------------------------------------



def test_narratives_in_the_api_and_the_html_report(narrative_analyzer):
    from persuasion_lens.reporting.terminal import describe_entity

    with TestClient(create_app(narrative_analyzer)) as narrative_client:
        info = narrative_client.get("/api/info").json()
        assert info["narratives"] is True
        # the languages the narratives are trained on are in the page's menu too
        assert {info["languages"][code] for code in ("bg", "hi", "pt")} == {
            "Bulgarian", "Hindi", "Portuguese"}
        result = narrative_client.post("/api/analyze", json={"text": NARRATIVE_TEXT}).json()
        assert result["narratives"] and result["subnarratives"] and result["entities"]
        united = next(e for e in result["entities"] if e["entity"] == "United States")
        assert len(united["mentions"]) == 2
        page = narrative_client.post("/api/report.html", json=result).text
    assert "<b>Roles</b> <i>(experimental)</i>" in page
    assert describe_entity(united) in page  # "United States: Antagonist (...) in 2 mentions"
    assert result["narratives"][0]["label"] in page
    assert result["side_taken"]["favours"] in page and "<b>Side</b>" in page
    broken = {**result, "entities": [{"entity": "x"}]}
    wrong_side = {**result, "side_taken": {"russian_side_probability": 7}}
    with TestClient(create_app(narrative_analyzer)) as narrative_client:
        assert narrative_client.post("/api/report.html", json=broken).status_code == 422
        assert narrative_client.post("/api/report.html", json=wrong_side).status_code == 422


def test_no_narratives_unless_asked(client):
    assert client.get("/api/info").json()["narratives"] is False
    result = client.post("/api/analyze", json={"text": NARRATIVE_TEXT}).json()
    assert "narratives" not in result and "entities" not in result


def _russian_article(size: int) -> str:
    sentence = "Эти бездарные чиновники снова разрушают нашу великую страну, и все молчат. "
    paragraph = sentence * 8
    return "Заголовок статьи\n" + "\n".join([paragraph] * (size // len(paragraph.encode())))


def test_escaped_json_and_url_encoded_forms_fit_an_article_under_the_limit(analyzer):
    """json.dumps (and requests' json=) escape non-ASCII text to \\uXXXX, three times the
    bytes of Russian UTF-8; a URL-encoded form does the same. The article is what the limit
    is for, so such bodies are let through and the decoded text is measured."""
    text = _russian_article(90_000)
    assert 80_000 < len(text.encode()) < 100_000
    with TestClient(create_app(analyzer, max_bytes=100_000)) as client:
        escaped = json.dumps({"text": text, "lang": "ru"})  # ASCII only
        assert len(escaped) > 100_000 + 64 * 1024
        answer = client.post("/api/analyze", content=escaped,
                             headers={"Content-Type": "application/json"})
        assert answer.status_code == 200, answer.text
        form = client.post("/api/analyze", data={"text": text, "lang": "ru"})
        assert form.status_code == 200, form.text
        # the documented round trip: the result posted back for its HTML page
        result = json.dumps(answer.json())  # ASCII only again: about 15 times the article
        page = client.post("/api/report.html", content=result,
                           headers={"Content-Type": "application/json"})
        assert page.status_code == 200 and "чиновники" in page.text
        too_long = json.dumps({"text": _russian_article(120_000)})
        refused = client.post("/api/analyze", content=too_long,
                              headers={"Content-Type": "application/json"})
        assert refused.status_code == 413
        assert detail(refused) == "the article is larger than the limit of 0.1 MB"


def test_a_request_cut_short_by_the_servers_shutdown_is_answered_in_json():
    """Stopping `plens serve` mid-analysis cancels the request once the graceful shutdown times
    out; the answer was uvicorn's plain-text 500 where the docs promise JSON on every error."""
    from server_helpers import StuckAnalyzer, answer_when_stopped

    stuck = StuckAnalyzer()
    answer = answer_when_stopped(create_app(stuck), stuck.entered, stuck.release.set, "post",
                                 "/api/analyze", json={"text": "One paragraph."})
    assert answer is not None and answer.status_code == 503
    assert answer.headers["content-type"] == "application/json"
    assert "shutting down" in answer.json()["detail"]
