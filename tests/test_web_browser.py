"""The analysis page in a real browser (Debian's chromium driven by Playwright), offline.

Saves a screenshot; with PLENS_UPDATE_SCREENSHOT=1 it replaces docs/web-app.png, the one the
README shows (otherwise the tree is left untouched).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from corpus_helpers import EDGE_TEXTS, NARRATIVE_TEXT, edge_analyzer
from html_pages import NAVIGATION_PAGE

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[1]
SEED_EXAMPLE = REPO.parent / "shared" / "examples" / "putin-kim-opinion-en.txt"
SCREENSHOT = REPO / "docs" / "web-app.png"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(analyzer):
    yield from _serve(analyzer)


@pytest.fixture(scope="module")
def narrative_server(narrative_analyzer, tmp_path_factory):
    """`plens serve --narratives --db URL` over a small corpus stored with narratives."""
    from corpus_helpers import NARRATIVE_ARTICLES, narrative_spec, write_jsonl

    from persuasion_lens.batch import run_batch
    from persuasion_lens.storage import open_database

    folder = tmp_path_factory.mktemp("browser-corpus")
    url = f"sqlite:///{folder / 'corpus.db'}"
    db = open_database(url)
    run_batch([str(write_jsonl(folder / "n.jsonl", NARRATIVE_ARTICLES))], db, narrative_spec())
    db.dispose()
    yield from _serve(narrative_analyzer, url)


def _serve(analyzer, db_url: str | None = None):
    import uvicorn

    from persuasion_lens.web.app import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(analyzer, db_url=db_url), host="127.0.0.1", port=port,
                            log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web app did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, server):
    yield from _page(browser, server)


@pytest.fixture
def narrative_page(browser, narrative_server):
    yield from _page(browser, narrative_server)


def _page(browser, server: str):
    context = browser.new_context(viewport={"width": 1360, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    outside: list[str] = []
    problems: list[str] = []

    def only_local(route):
        if route.request.url.startswith(server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.goto(server + "/")
    page.wait_for_selector("#lang option[value='en']", state="attached")  # the API answered
    yield page
    context.close()
    assert outside == [], f"the page tried to reach the internet: {outside}"
    assert problems == [], f"errors in the browser: {problems}"


def _count(page, selector: str) -> int:
    return page.locator(selector).count()


def _set_slider(page, percent: int) -> None:
    """As a slider released at `percent` (a drag sends input events, the release a change)."""
    page.locator("#confidence").evaluate(
        "(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true}));"
        " el.dispatchEvent(new Event('change', {bubbles: true})); }",
        str(percent),
    )


def test_paste_analyse_explore_and_screenshot(page, tmp_path):
    if not SEED_EXAMPLE.exists():
        pytest.skip("../shared/examples is not available")
    page.fill("#text", SEED_EXAMPLE.read_text(encoding="utf-8"))
    page.click("#analyse")
    page.wait_for_selector("#results:not([hidden])", timeout=120_000)
    page.wait_for_selector("#article .par")

    # highlights in place, a legend with counts, language at the top
    marks = _count(page, "#article mark.hl")
    assert marks > 0
    assert page.locator("#meta").inner_text().startswith("LANGUAGE") or "English" in page.locator(
        "#meta").inner_text()
    assert _count(page, "#legend .legend-item") == 6
    assert _count(page, "#technique-list li") > 0

    # a click on a highlight shows its technique, confidence and explanation
    first = page.locator("#article mark.hl").first
    first.scroll_into_view_if_needed()
    first.click()
    tip = page.locator("#tip")
    assert tip.is_visible()
    spans = first.evaluate("m => m.spans")
    techniques = page.evaluate("() => fetch('/api/techniques').then(r => r.json())")
    labels = {t["name"]: t["label"] for t in techniques["techniques"]}
    assert labels[spans[0]["technique"]] in tip.inner_text()
    assert "confidence" in tip.inner_text()
    page.keyboard.press("Escape")
    assert not tip.is_visible()

    # loosely placed spans are marked as such, and their tooltip says so
    loose = page.evaluate("() => [...document.querySelectorAll('#article mark.hl')]"
                          ".map(m => [m.classList.contains('loose'), !!m.spans[0].loosely_placed])")
    assert all(marked == flagged for marked, flagged in loose)
    assert any(marked for marked, _ in loose)
    page.locator("#article mark.hl.loose").first.click()
    assert "Loosely placed" in tip.inner_text()
    page.keyboard.press("Escape")

    # the confidence slider re-filters without a new request
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    confidences = sorted(s["confidence"] for s in page.evaluate(
        "() => [...document.querySelectorAll('#article mark.hl')].flatMap(m => m.spans)"))
    cut = int(confidences[len(confidences) // 2] * 100) + 1
    _set_slider(page, cut)
    fewer = _count(page, "#article mark.hl")
    assert fewer < marks
    _set_slider(page, 100)
    assert _count(page, "#article mark.hl") <= fewer
    _set_slider(page, 0)
    assert _count(page, "#article mark.hl") == marks
    assert requests == []

    # hiding a category removes its highlights and paragraph tags
    shown = page.evaluate("() => [...document.querySelectorAll('#article mark.hl')]"
                          ".map(m => m.dataset.category)")
    category = max(set(shown), key=shown.count)
    page.locator(f"#categories input[data-category='{category}']").uncheck()
    after = page.evaluate("() => [...document.querySelectorAll('#article mark.hl')]"
                          ".map(m => m.dataset.category)")
    assert category not in after and len(after) < len(shown)
    categories = {t["name"]: t["category"] for t in techniques["techniques"]}
    tagged = page.evaluate("() => [...document.querySelectorAll('#article .tag')]"
                           ".map(t => t.dataset.technique)")
    assert category not in {categories[name] for name in tagged}
    page.locator(f"#categories input[data-category='{category}']").check()
    assert _count(page, "#article mark.hl") == marks

    # downloads: the JSON as returned by the API, the standalone HTML page
    with page.expect_download() as download:
        page.click("#download-json")
    saved = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert len(saved["paragraphs"]) == _count(page, "#article .par")
    with page.expect_download() as download:
        page.click("#download-html")
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>") and "<mark" in report

    # the screenshot for the README: the top of the result with one explanation open
    page.evaluate("() => window.scrollTo(0, 0)")
    index = page.evaluate("""() => {
        const marks = [...document.querySelectorAll('#article mark.hl')];
        const shown = marks.filter(m => m.getBoundingClientRect().bottom < 760
                                        && m.textContent.length >= 4 && m.textContent.length <= 40);
        const best = shown.sort((a, b) => b.spans[0].confidence - a.spans[0].confidence)[0];
        return marks.indexOf(best);
    }""")
    if index >= 0:
        page.locator("#article mark.hl").nth(index).click()
    target = SCREENSHOT if os.environ.get("PLENS_UPDATE_SCREENSHOT") == "1" else (
        tmp_path / "web-app.png")
    page.screenshot(path=str(target))
    assert target.stat().st_size > 20_000


def test_highlights_cover_their_words_after_emoji(page):
    """Offsets count code points; an emoji or a flag is two UTF-16 units in JavaScript, so the
    marks used to slide off their words after one."""
    example = REPO / "examples" / "harbour-bridge-opinion-en.txt"
    page.fill("#text", "🔥🔥 " + example.read_text(encoding="utf-8").replace(
        "Once again,", "Once again 🇬🇧,", 1))
    page.click("#analyse")
    page.wait_for_selector("#article mark.hl", timeout=120_000)
    covered = page.evaluate("""() => {
        const pieces = new Map();
        for (const mark of document.querySelectorAll('#article mark.hl')) {
            for (const s of mark.spans) {
                const key = `${s.start}:${s.end}:${s.technique}`;
                pieces.set(key, [(pieces.get(key) || [s.text, ''])[0],
                                 (pieces.get(key) || ['', ''])[1] + mark.textContent]);
            }
        }
        return [...pieces.values()];
    }""")
    assert covered
    assert any("🔥" in text or "🇬🇧" in text for text in page.evaluate(
        "() => [...document.querySelectorAll('#article .par')].map(p => p.textContent)"))
    for span_text, marked in covered:
        assert marked == span_text
    # the techniques this model practically never reports in English are named beside the list
    rarely = page.locator("#rarely-reported")
    assert rarely.is_visible()
    assert "Rarely reported by this model in English" in rarely.inner_text()
    assert "whataboutism" in rarely.inner_text()
    # the sidebar's techniques are reached with Tab and followed with Enter, as with a click
    first = page.locator("#technique-list li > button").first
    first.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#article .flash", timeout=5_000)


def test_keyboard_focus_goes_to_the_result_after_ctrl_enter(page, project_example):
    """The text box is hidden when the result appears; focus fell back to <body>, so a keyboard
    or screen-reader user had to find the result from the top of the page."""
    page.fill("#text", project_example.read_text(encoding="utf-8"))
    page.focus("#text")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#results:not([hidden])", timeout=120_000)
    page.wait_for_selector("#article-title:focus", timeout=5_000)
    heading = page.locator("#article-title")
    assert heading.get_attribute("tabindex") == "-1"  # focusable from the script, not a tab stop
    assert "Bridge Scandal" in heading.inner_text()
    page.keyboard.press("Tab")  # and the keyboard goes on from the result
    assert page.evaluate("document.activeElement.id") == "download-json"
    # the focused heading announces the result; a live region over the whole result made a
    # screen reader read the article out again after every slider or category change
    assert page.locator("#results").get_attribute("aria-live") is None
    assert page.locator("#results").get_attribute("aria-labelledby") == "article-title"


def test_file_upload_and_errors(page, tmp_path):
    article = tmp_path / "statya.txt"
    article.write_bytes(
        "Власти снова обещают, что всё будет хорошо.\n"
        "Эти бездарные чиновники разрушают нашу великую страну.\n".encode("cp1251")
    )
    page.click("#analyse")  # nothing pasted
    assert "Paste" in page.locator("#message").inner_text()
    assert page.locator("#limit").inner_text() == "up to 2 MB"  # as the server's messages
    page.set_input_files("#file", str(article))
    assert page.locator("#file-name").inner_text() == "statya.txt (99 bytes)"
    page.click("#analyse")
    page.wait_for_selector("#results:not([hidden])", timeout=120_000)
    assert "statya.txt" in page.locator("#article-title").inner_text()
    assert "Russian" in page.locator("#meta").inner_text()
    assert "чиновники" in page.locator("#article").inner_text()

    page.click("#toggle-input")
    page.click("#clear-file")
    bad = tmp_path / "blob.txt"
    bad.write_bytes(bytes(range(256)) * 8)
    page.set_input_files("#file", str(bad))
    page.click("#analyse")
    page.wait_for_selector("#message:not([hidden])")
    assert "binary" in page.locator("#message").inner_text()

    # a page of menus and links holds no article (its menu words used to be analysed)
    page.click("#clear-file")
    menu = tmp_path / "opinion.html"
    menu.write_text(NAVIGATION_PAGE, encoding="utf-8")
    page.set_input_files("#file", str(menu))
    page.click("#analyse")
    page.wait_for_selector("#message:has-text('no article text')", timeout=60_000)
    assert "opinion.html" in page.locator("#message").inner_text()
    assert "Politics" not in page.locator("#article").inner_text()  # the Russian one is still up



RUSSIAN = (
    "Власти снова обещают, что всё будет хорошо.\n"
    "Эти бездарные чиновники разрушают нашу великую страну, и только слепой этого не видит.\n"
)


def _language_of(page, selector: str) -> str:
    """The language an element's text is in: its nearest lang attribute."""
    return page.locator(selector).first.evaluate("n => n.closest('[lang]').lang")


def test_the_article_is_marked_with_its_own_language(page, project_example):
    """#article inherited the page's lang="en", so a Russian article was read out (and
    hyphenated) as English; the page's own words stay English."""
    page.fill("#text", RUSSIAN)
    page.click("#analyse")
    page.wait_for_selector("#article .par", timeout=120_000)
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("#article").get_attribute("lang") == "ru"
    assert _language_of(page, "#article .par") == "ru"
    assert _language_of(page, "#article-title") == "ru"  # its first line
    assert _language_of(page, "#article .tag") == "en"  # technique names
    assert _language_of(page, "#meta") == "en"
    with page.expect_download() as download:
        page.click("#download-html")
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "<html lang='en'>" in report and "<article lang='ru'>" in report
    page.click("#toggle-input")
    page.set_input_files("#file", str(project_example))  # the next article is English
    page.click("#analyse")
    page.wait_for_selector("#article:has-text('Bridge')", timeout=120_000)
    assert page.locator("#article").get_attribute("lang") == "en"
    assert page.locator("#article-title").get_attribute("lang") is None  # a file name


def test_numbers_are_shown_as_the_terminal_shows_them(page, project_example):
    """The page said "opinion 98%" and "Loaded language 38%" where the terminal says
    "opinion (0.98)" and "Loaded language 0.38"."""
    from playwright.sync_api import expect

    from persuasion_lens.text.wording import two_decimals

    text = project_example.read_text(encoding="utf-8")
    page.fill("#text", text)
    page.click("#analyse")
    page.wait_for_selector("#article mark.hl", timeout=120_000)
    result = page.evaluate("""t => fetch('/api/analyze', {method: 'POST', body: JSON.stringify(
        {text: t}), headers: {'Content-Type': 'application/json'}}).then(r => r.json())""", text)
    meta = page.locator("#meta").inner_text()
    genre = result["genre"]
    assert f"{genre['label']} ({two_decimals(genre['probability'])})" in meta
    for frame in result["frames"]:
        assert f"{frame['label'].replace('_', ' ')} ({two_decimals(frame['probability'])})" in meta
    tags = page.locator("#article .tag .conf").all_inner_texts()
    hits = [hit for p in result["paragraphs"] for hit in p["techniques"]]
    assert tags == [two_decimals(hit["confidence"]) for hit in hits]
    assert "%" not in meta + page.locator("#article").inner_text()
    page.locator("#article mark.hl").first.click()
    confidence = page.locator("#tip .tip-conf").first.inner_text()
    assert confidence.endswith(" confidence") and "%" not in confidence
    page.keyboard.press("Escape")
    assert page.locator("#confidence-value").inner_text() == "0.00"
    _set_slider(page, 37)
    assert page.locator("#confidence-value").inner_text() == "0.37"
    # rounded as the terminal rounds them (wording.two_decimals): halves up, where f"{x:.2f}"
    # wrote 0.12 for 0.125 (a half, to the even digit) and 0.35 for 0.355 (a little below)
    values = [0.125, 0.375, 0.355, 0.875, 0.98765, 0.995, 0.005, 0.0049, 0.9999, 0.0051]
    first = result["paragraphs"][0]
    crafted = {**result, "paragraphs": [{**first, "spans": [], "techniques": [
        {**hits[0], "confidence": value} for value in values]}]}
    page.route("**/api/analyze", lambda route: route.fulfill(json=crafted))
    page.click("#toggle-input")
    page.click("#analyse")
    expect(page.locator("#article .tag")).to_have_count(len(values), timeout=30_000)
    tags = page.locator("#article .tag .conf").all_inner_texts()
    assert tags == [two_decimals(value) for value in values] == [
        "0.13", "0.38", "0.36", "0.88", "0.99", "1.00", "0.01", "0.00", "1.00", "0.01"]


@pytest.fixture(scope="module")
def edge_server():
    """The app with an analyzer whose probabilities are 0.99500004, 0.125 and 0.005."""
    yield from _serve(edge_analyzer())


def test_a_probability_at_a_rounding_edge_reads_as_in_the_terminal(browser, edge_server):
    """A genre of 0.99500004 read 1.00 in the terminal and 0.99 on the page, which got 0.995
    from the JSON (test_two_decimals.py has the other interfaces)."""
    for page in _page(browser, edge_server):
        page.fill("#text", "They lie to you.\n\nThis is a disaster for everyone!")
        page.click("#analyse")
        page.wait_for_selector("#article .tag", timeout=60_000)
        meta = page.locator("#meta").inner_text()
        assert f"opinion ({EDGE_TEXTS[0]})" in meta
        assert f"Economic ({EDGE_TEXTS[1]}), Political ({EDGE_TEXTS[2]})" in meta
        assert page.locator("#article .tag .conf").all_inner_texts() == EDGE_TEXTS * 2


def test_a_file_name_with_quotes_is_shown_as_it_is(page, project_example):
    """The browser sends a file name's double quotes as %22, which the heading showed."""
    name = 'The "bridge" <scandal>.txt'
    _analyse_upload(page, name, project_example.read_bytes())
    assert page.locator("#article-title").inner_text() == name
    with page.expect_download() as download:
        page.click("#download-json")
    assert download.value.suggested_filename == "The-bridge-scandal-analysis.json"
    saved = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert saved["source"] == name
    with page.expect_download() as download:
        page.click("#download-html")
    assert download.value.suggested_filename == "The-bridge-scandal-report.html"
    report = Path(download.value.path()).read_text(encoding="utf-8")
    assert "<h1>The &quot;bridge&quot; &lt;scandal&gt;.txt</h1>" in report


def _analyse_upload(page, name: str, data: bytes) -> None:
    page.set_input_files("#file", files=[{"name": name, "mimeType": "text/plain",
                                          "buffer": data}])
    page.click("#analyse")
    page.wait_for_selector("#results:not([hidden])", timeout=120_000)


def test_a_file_name_with_a_literal_percent_22_is_shown_as_it_is(page, project_example):
    """The browser sends '"' as %22 and a literal %22 as it is: 50%22off.txt was shown as
    50"off.txt."""
    name = "50%22off.txt"
    _analyse_upload(page, name, project_example.read_bytes())
    assert page.locator("#article-title").inner_text() == name
    with page.expect_download() as download:
        page.click("#download-html")
    assert "<h1>50%22off.txt</h1>" in Path(download.value.path()).read_text(encoding="utf-8")


@pytest.mark.parametrize("name, stem", [("статья.txt", "статья"),
                                        ("Déclaration du 5 mai.txt", "Déclaration-du-5-mai")])
def test_downloads_keep_a_non_ascii_file_name(page, project_example, name, stem):
    """The page kept only ASCII letters for its download names (статья.txt was saved as
    persuasion-lens-report.html)."""
    _analyse_upload(page, name, project_example.read_bytes())
    for button, suffix in (("#download-json", "analysis.json"), ("#download-html", "report.html")):
        with page.expect_download() as download:
            page.click(button)
        assert download.value.suggested_filename == f"{stem}-{suffix}"


MANY_NAMES = (
    "L'Occident a provoqué la guerre en Ukraine\n"
    "Les États-Unis et l'OTAN ont ignoré la sécurité de la Russie pendant des décennies. "
    "Washington voulait cette guerre et Kiev est sa marionnette.\n"
    "La Russie n'avait pas le choix. Les États-Unis, l'OTAN, Washington, Kiev, Bruxelles, "
    "Londres, Paris et Berlin mentent.\n"
)


def test_narratives_and_entity_roles_in_the_app_and_the_corpus_page(narrative_page,
                                                                      narrative_server):
    page = narrative_page
    page.fill("#text", NARRATIVE_TEXT)
    page.click("#analyse")
    page.wait_for_selector("#results:not([hidden])", timeout=120_000)
    meta = page.locator("#meta").inner_text().lower()  # the terms are upper case (CSS)
    assert "narratives" in meta and "roles" in meta and "experimental" in meta
    assert "%" not in meta and " (0." in meta  # narratives with two decimals, as the terminal
    roles = page.locator("#meta .entity-role").all_inner_texts()
    united = next(role for role in roles if role.startswith("United States: "))
    assert united.endswith(" in 2 mentions")
    role = united.split(": ", 1)[1]
    if role.startswith("role unclear ("):  # below the probability roles are stated from
        assert all(name in role for name in ("Antagonist", "Protagonist", "Innocent"))
    else:
        assert role.split(" ")[0] in {"Antagonist", "Protagonist", "Innocent"}
    side = page.locator("#meta dd", has_text="against").inner_text()
    assert side.startswith(("takes the side of ", "leans to ")) and " (0." in side

    page.click("#toggle-input")
    page.fill("#text", MANY_NAMES)  # more names than the role line shows
    with page.expect_response("**/api/analyze") as answered:
        page.click("#analyse")
    page.wait_for_selector("#article:has-text('Berlin')", timeout=120_000)
    many = answered.value.json()
    listed = page.locator("#meta details.more-names li")
    assert not listed.first.is_visible()  # folded until asked for
    page.click("#meta details.more-names summary")
    names = listed.all_inner_texts()
    assert len(names) >= 2 and all(n.endswith(("(minor)", "(main actor)")) for n in names)
    assert any(n.startswith("Berlin: ") for n in names)
    # one of each left out: "and 1 more main actors; 1 other names found" before
    from playwright.sync_api import expect

    from persuasion_lens.reporting.terminal import MAX_ENTITIES

    named = [{**many["entities"][0], "entity": f"Name {i}"} for i in range(MAX_ENTITIES + 1)]
    crafted = {**many, "entities": named, "minor_entities": [{**named[0], "entity": "Minor"}]}
    page.route("**/api/analyze", lambda route: route.fulfill(json=crafted))
    page.click("#toggle-input")
    page.click("#analyse")
    expect(page.locator("#meta .entity-role", has_text="Name 0")).to_have_count(1)
    summary = page.locator("#meta details.more-names summary").inner_text()
    assert "and 1 more main actor; 1 other name found" in summary, summary
    page.unroute("**/api/analyze")

    if SEED_EXAMPLE.exists():  # Russia leans Antagonist in an article leaning to its side
        page.click("#toggle-input")
        page.fill("#text", SEED_EXAMPLE.read_text(encoding="utf-8"))
        page.click("#analyse")
        page.wait_for_selector("#article:has-text('Vostochny')", timeout=120_000)
        russia = page.locator("#meta .entity-role", has_text="Russia: ")
        assert russia.inner_text().endswith(", at odds with the side taken")
        assert "right about half the time" in russia.get_attribute("title")
        united = page.locator("#meta .entity-role", has_text="United States: ")
        assert "at odds" not in united.inner_text() and united.get_attribute("title") is None

    page.goto(narrative_server + "/corpus")
    table = page.locator("table.entity-roles")
    assert table.is_visible()
    text = table.inner_text()
    assert "United States" in text and "Daily Planet" in text
    sides = page.locator("table.side-table")
    assert sides.is_visible() and "Russia and its allies" in sides.inner_text()
    assert page.locator("section:has-text('Narratives by outlet') svg").count() == 1


_SMALLEST_CHART_TEXT = """() => Math.min(...[...document.querySelectorAll('svg text')]
  .map(t => t.getBoundingClientRect().height).filter(h => h > 0))"""
_OVERLAP = """([a, b]) => { const r = a.getBoundingClientRect(), s = b.getBoundingClientRect();
  return r.left < s.right && s.left < r.right && r.top < s.bottom && s.top < r.bottom; }"""


@pytest.mark.parametrize("width", [375, 1440])
def test_corpus_charts_stay_readable_and_legends_clear_of_the_plot(browser, narrative_server,
                                                                  width):
    """At 375 px the charts shrank until their words were ~4 px high; at 1440 px the legend of
    "Techniques by category" covered a bar."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(narrative_server + "/corpus")
        assert page.locator("svg[role='img'][aria-label]").count() == 6
        assert page.evaluate(_SMALLEST_CHART_TEXT) >= 7  # px: 4 before
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # the box scrolls
        chart = page.locator("section:has(h2:text-is('Techniques by category')) svg")
        legend = chart.locator("g[id$='legend_1']")
        plot = chart.locator("g[id$='axes_1'] > g[id*='patch_']").first  # the plot's area
        assert not page.evaluate(_OVERLAP, [legend.element_handle(), plot.element_handle()])
    finally:
        context.close()


@contextmanager
def _report_in_window(browser, tmp_path, results, width: int = 1000, height: int = 600):
    """The standalone HTML page of `results`, opened in a 1000 x 600 window."""
    from persuasion_lens.reporting.html import render_html

    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(results), encoding="utf-8")
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.goto(page_file.as_uri())
        yield page
    finally:
        context.close()


def test_report_page_wraps_long_words_and_keeps_tips_in_the_window(browser, analyzer, tmp_path):
    """A 300-character link made the standalone page 3,000 px wide; a tip shown near the
    bottom of the window ran off it (the tip is pinned to the window)."""
    link = "https://example.org/" + "averylongpathsegment" * 15
    lines = ["These corrupt traitors are destroying our great nation!"] * 14 + [
        f"The shameful cowards lie again, see {link} for the disgusting details."]
    result = analyzer.analyze_text("\n".join(lines), lang="en")
    with _report_in_window(browser, tmp_path, [result]) as page:
        assert page.evaluate("document.documentElement.scrollWidth") <= 1000
        marks = page.locator("mark[data-spans]")
        assert marks.count() > 0
        last = marks.nth(marks.count() - 1)
        last.scroll_into_view_if_needed()
        box = last.bounding_box()
        page.evaluate("window.scrollBy(0, 0)")
        page.mouse.move(box["x"] + 2, min(box["y"] + box["height"] / 2, 590))
        tip = page.locator("#tip").bounding_box()
        assert tip is not None and tip["y"] >= 0 and tip["y"] + tip["height"] <= 600


def _tip_beside(page, mark) -> None:
    """The tip is shown inside the 1000 x 600 window, and beside the focused words where there
    is room for it above or below them."""
    tip = page.locator("#tip")
    assert tip.is_visible()
    box, words = tip.bounding_box(), mark.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 600
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1000
    words_end = words["y"] + words["height"]
    if words["y"] - 10 >= box["height"] or words_end + 10 + box["height"] <= 600:
        assert box["y"] >= words_end or box["y"] + box["height"] <= words["y"]


def test_report_highlights_are_reached_with_tab_and_show_their_tip(browser, analyzer, tmp_path):
    """The standalone page's highlights answered the mouse only: they are tab stops now, and
    focus shows the tip as hovering does, flipped above the words near the window's bottom."""
    lines = ["These corrupt traitors are destroying our great nation!"] * 15
    result = analyzer.analyze_text("\n".join(lines), lang="en")
    with _report_in_window(browser, tmp_path, [result]) as page:
        marks = page.locator("mark[data-spans]")
        assert marks.count() >= 10  # more than a window holds: Tab scrolls down to the last
        flipped = 0
        page.keyboard.press("Tab")  # the link past the text to the definitions comes first
        assert page.evaluate("document.activeElement.matches('a.skip')")
        for index in range(marks.count()):
            page.keyboard.press("Tab")
            mark = marks.nth(index)
            assert mark.evaluate("m => m === document.activeElement")
            assert mark.get_attribute("tabindex") == "0"
            assert mark.get_attribute("aria-describedby") == "tip"  # read out with the words
            _tip_beside(page, mark)
            label = page.evaluate("m => TIPS[+m.dataset.spans.split(' ')[0]].label",
                                  mark.element_handle())
            assert label in page.locator("#tip").inner_text()
            flipped += page.locator("#tip").bounding_box()["y"] < mark.bounding_box()["y"]
        assert flipped  # the last marks sit at the window's bottom edge: their tips go above
        page.keyboard.press("Escape")
        assert not page.locator("#tip").is_visible()
        page.keyboard.press("Shift+Tab")
        assert page.locator("#tip").is_visible()
        page.evaluate("document.activeElement.blur()")
        assert not page.locator("#tip").is_visible()



def test_report_tabs_through_the_words_not_the_tags(browser, analyzer, tmp_path):
    """The tags under the paragraphs became links, and tab stops: a keyboard user pressed Tab
    about twice as often through a heavily marked article (a highlight, then its tags). The
    tags are out of the tab order; a skip link, the first stop, leads to the definitions they
    lead to, and they still follow a click."""
    lines = ["These corrupt traitors are destroying our great nation!"] * 12
    result = analyzer.analyze_text("\n".join(lines), lang="en")
    with _report_in_window(browser, tmp_path, [result]) as page:
        marks, tags = page.locator("mark[data-spans]").count(), page.locator(".tag").count()
        assert marks >= 10 and tags >= marks
        stops = []
        for _ in range(marks + tags + 5):
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement.matches('body') ? null : "
                                    "document.activeElement.className")
            if focused is None or (stops and focused == "skip"):
                break  # past the last stop: back to the page, or round to the first
            stops.append(focused)
        assert stops[0] == "skip" and len(stops) == marks + 1, stops

        page.keyboard.press("Shift+Tab")
        while not page.evaluate("document.activeElement.matches('a.skip')"):
            page.keyboard.press("Shift+Tab")
        skip = page.locator("a.skip")
        box = skip.bounding_box()
        assert box and box["x"] >= 0 and box["width"] > 0  # seen when it has the focus
        assert re.fullmatch(r"Skip to the \d+ techniques? found", skip.inner_text())
        page.keyboard.press("Enter")
        heading = page.locator("section.glossary h2")
        assert heading.evaluate("h => h === document.activeElement")
        assert 0 <= heading.bounding_box()["y"] < 600
        page.locator(".tag").first.click()
        assert page.locator("dt:target").count() == 1


def test_report_tips_show_explanations_as_text(browser, analyzer, tmp_path):
    """The tip was built as HTML from the spans' explanations, which /api/report.html takes
    from the posted result: markup in one ran as the page's own when the tip opened."""
    from persuasion_lens.web.app import result_from_dict

    result = analyzer.analyze_text("These corrupt traitors are destroying our nation!", lang="en")
    posted = result.to_dict()
    planted = "<img src=x onerror=\"document.title='injected'\"> <b>bold</b>"
    for paragraph in posted["paragraphs"]:
        for span in paragraph["spans"]:
            span["explanation"] = planted
    with _report_in_window(browser, tmp_path, [result_from_dict(posted)]) as page:
        page.locator("mark[data-spans]").first.focus()
        tip = page.locator("#tip")
        assert planted in tip.inner_text()
        assert tip.locator("img, b:has-text('bold')").count() == 0
        page.wait_for_timeout(200)  # an image that fails to load fires onerror soon after
        assert page.title() != "injected"


def _overlapping_result(count: int = 12, words: int = 90):
    """One long paragraph with `count` techniques on overlapping words (the German articles
    of the SemEval data have up to 12 on the same words), each with a long explanation."""
    from persuasion_lens.pipeline.results import (
        ArticleResult,
        ParagraphResult,
        SpanHit,
        TechniqueHit,
    )
    from persuasion_lens.taxonomy import TECHNIQUE_NAMES, category_of, technique

    text = " ".join(["Diese korrupten Verräter zerstören unsere große Nation"] * (words // 7))
    names = TECHNIQUE_NAMES[:count]
    why = "— here “Verräter”, “korrupten”, “zerstören” weighed most."
    spans = [SpanHit(3 * n, len(text) - 3 * n, text[3 * n:len(text) - 3 * n], name,
                     category_of(name), 0.6,
                     f"{technique(name).label}: {technique(name).definition} {why}")
             for n, name in enumerate(names)]
    hits = [TechniqueHit(name, category_of(name), 0.7) for name in names]
    return ArticleResult("de", [ParagraphResult(0, 0, len(text), text, hits, spans)])


# the highlights of a report page as its script reads them: offsets, words and tip details
_REPORT_MARKS = """() => [...document.querySelectorAll('mark[data-spans]')].map(m => ({
    start: +m.dataset.start, end: +m.dataset.end, text: m.textContent,
    tips: m.dataset.spans.split(' ').map(i => TIPS[+i])}))"""


@pytest.mark.parametrize("language, article", [("ru", "article2489.txt"),
                                               ("po", "article25113.txt"),
                                               ("ge", "article22136.txt")])
def test_report_highlights_match_the_json_spans_and_the_page_stays_small(
        browser, analyzer, data_dir, tmp_path, language, article):
    """Russian, Polish and German articles of 85, 79 and 64 paragraphs: each highlight holds
    the words of its offsets, and every span's words are highlighted with it, no more, no less.
    Every highlight repeated the tip details of all the spans over it: the German page was
    859 kB for a 31 kB article (27 times); each span's details are in the page once now."""
    path = data_dir / "semeval2023-task3" / language / "train-articles-subtask-3" / article
    text = path.read_text(encoding="utf-8")
    result = analyzer.analyze_text(text)
    spans = [s for p in result.paragraphs for s in p.spans]
    assert len(result.paragraphs) > 60 and len(spans) > 90
    with _report_in_window(browser, tmp_path, [result]) as page:
        size = (tmp_path / "report.html").stat().st_size
        assert size < 9 * len(text.encode("utf-8")), size
        marks = page.evaluate(_REPORT_MARKS)
    for mark in marks:
        assert mark["text"] == text[mark["start"]:mark["end"]]
    for span in spans:
        covered = {i for mark in marks
                   if mark["start"] >= span.start and mark["end"] <= span.end
                   and any(t["explanation"] == span.explanation for t in mark["tips"])
                   for i in range(mark["start"], mark["end"])}
        assert covered == set(range(span.start, span.end)), (span.technique, span.start)


def test_a_report_tip_of_many_techniques_fits_a_phone_and_keeps_the_pointer(browser, tmp_path):
    """Twelve techniques on the same words made a tip 1,700 px tall in a 700 px window: it
    covered the words and ran off the window, past reach. It now stays beside the words and
    scrolls, and the pointer can move onto it (to scroll it) without closing it."""
    with _report_in_window(browser, tmp_path, [_overlapping_result()], 390, 700) as page:
        words = page.locator("mark[data-spans]").nth(11)  # the words under all twelve
        words.focus()
        tip = page.locator("#tip")
        assert tip.locator("b").count() == 12
        box, marked = tip.bounding_box(), words.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 700
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert box["y"] >= marked["y"] + marked["height"] or box["y"] + box["height"] <= marked["y"]
        assert tip.evaluate("t => t.scrollHeight > t.clientHeight")
        page.evaluate("document.activeElement.blur()")
        line = words.evaluate("m => { const r = m.getClientRects()[0]; return [r.x, r.y]; }")
        page.mouse.move(line[0] + 5, line[1] + 5)  # the words' first line
        assert tip.is_visible()
        box = tip.bounding_box()
        page.mouse.move(box["x"] + 20, box["y"] + 20, steps=4)
        page.mouse.wheel(0, 200)
        page.wait_for_timeout(500)
        assert tip.is_visible() and tip.evaluate("t => t.scrollTop") > 0
        page.mouse.move(2, 2)
        page.wait_for_timeout(500)
        assert not tip.is_visible()


def test_report_explains_its_highlights_and_every_technique_found(browser, analyzer, tmp_path,
                                                                  project_example):
    """The page's only explanations were tooltips (a tag's title, a highlight's tip): nothing
    on a phone or a printout, and nothing said what a double or dotted underline means. A key
    says it, and every technique found has its definition at the end, where its tags lead."""
    from persuasion_lens.taxonomy import technique

    result = analyzer.analyze_text(project_example.read_text(encoding="utf-8"))
    found = {hit.technique for p in result.paragraphs for hit in p.techniques}
    assert found
    with _report_in_window(browser, tmp_path, [result]) as page:
        key = page.locator(".key")
        for words in ("solid underline", "double underline", "dotted underline", "loosely placed"):
            assert words in key.inner_text()
        glossary = page.locator("section.glossary")
        assert glossary.locator("h2").inner_text() == "Techniques found in this article"
        for name in found:
            entry = glossary.locator(f"dt[id$='-{name}']")
            assert technique(name).label in entry.inner_text()
            assert technique(name).definition in entry.locator("+ dd").inner_text()
        tags = page.locator(".tags .tag")
        assert tags.count() == sum(len(p.techniques) for p in result.paragraphs)
        tag = tags.last
        label = tag.inner_text()
        tag.click()
        target = page.locator("dt:target")
        assert target.count() == 1 and label.rsplit(" ", 1)[0] in target.inner_text()
        assert 0 <= target.bounding_box()["y"] < 600


def test_report_prints_its_colours_and_no_tip(browser, analyzer, tmp_path, project_example):
    """Printed, the legend's and the tags' white words lost their coloured background (a
    browser leaves backgrounds out) and read grey on white, and a tip shown stayed on the
    page. Their colours are kept in print now, the tip is left out, a paragraph is not cut."""
    result = analyzer.analyze_text(project_example.read_text(encoding="utf-8"))
    with _report_in_window(browser, tmp_path, [result]) as page:
        page.locator("mark[data-spans]").first.focus()
        page.emulate_media(media="print")
        adjust = "e => getComputedStyle(e).printColorAdjust"
        for selector in (".legend .chip", ".tags .tag", "mark[data-spans]"):
            assert page.locator(selector).first.evaluate(adjust) == "exact", selector
        first = page.locator("p.par").first
        assert first.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
        assert not page.locator("#tip").is_visible()


def test_report_warnings_stand_out_and_the_text_gets_a_phones_width(browser, analyzer, tmp_path):
    """The warnings (a language without a model, a short text) came last in the header, in
    plain orange words under the list of rarely reported techniques; on a 390 px phone the
    margins left the article 312 px. The warnings now come first, boxed; the text gets 350."""
    text = ("Noticia\nEl gobierno corrupto quiere destruir todo lo que amamos. Los traidores "
            "mienten cada día y nadie hace nada. ¡Actúa ahora antes de que sea tarde!")
    result = analyzer.analyze_text(text, lang="es")
    assert len(result.warnings) >= 2 and result.rarely_reported_note()
    with _report_in_window(browser, tmp_path, [result], 390, 844) as page:
        warnings = page.locator(".warn")
        assert warnings.count() == len(result.warnings)
        box = warnings.last.bounding_box()
        warnings_end = box["y"] + box["height"]
        for later in (".legend", ".rarely"):
            assert warnings_end <= page.locator(later).bounding_box()["y"]
        background = warnings.first.evaluate("w => getComputedStyle(w).backgroundColor")
        assert background != "rgba(0, 0, 0, 0)"
        assert warnings_end <= 844  # in the first screen
        paragraph = page.locator("p.par").last
        inner = paragraph.evaluate("p => { const s = getComputedStyle(p); return p.clientWidth"
                                   " - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); }")
        assert inner >= 340
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


# ---------- keyboard, screen readers, small screens, contrast: one analysed page ----------

@pytest.fixture(scope="module")
def analysed_page(browser, server, project_example):
    """The project's example analysed once for the tests below, which leave it as they found it."""
    pages = _page(browser, server)
    page = next(pages)
    page.fill("#text", project_example.read_text(encoding="utf-8"))
    page.click("#analyse")
    page.wait_for_selector("#article mark.hl", timeout=120_000)
    yield page
    next(pages, None)  # closes the context and checks what the page tried


@pytest.fixture
def result_page(analysed_page):
    page = analysed_page
    page.set_viewport_size({"width": 1360, "height": 1000})
    page.keyboard.press("Escape")
    page.mouse.move(1, 1)
    for name in page.locator("#categories input:not(:checked)").evaluate_all(
            "l => l.map(b => b.dataset.category)"):
        page.locator(f"#categories input[data-category='{name}']").check()
    _set_slider(page, 0)
    page.evaluate("() => { document.activeElement.blur(); window.scrollTo(0, 0); }")
    return page


def _active(page) -> str:
    """The focused element, as tag#id.class [data-…]."""
    return page.evaluate("""() => { const a = document.activeElement;
        return `${a.tagName.toLowerCase()}#${a.id}.${a.className} `
               + JSON.stringify(a.dataset); }""")


def _settle(page) -> None:
    """Waits for a smooth scroll to end."""
    last = None
    for _ in range(50):
        now = page.evaluate("window.scrollY")
        if now == last:
            return
        last = now
        page.wait_for_timeout(80)


def test_highlights_and_tags_announce_their_technique(result_page):
    """Highlights and tags had no role, name, state or description: a screen reader read the
    words alone, and Enter opened a tip that nothing linked to them."""
    from playwright.sync_api import expect

    from persuasion_lens.text.wording import two_decimals

    page = result_page
    techniques = page.evaluate("() => fetch('/api/techniques').then(r => r.json())")
    labels = {t["name"]: t["label"] for t in techniques["techniques"]}
    mark = page.locator("#article mark.hl").first
    span = mark.evaluate("m => m.spans[0]")
    assert mark.get_attribute("role") == "button"
    assert mark.get_attribute("aria-expanded") == "false"
    mark.focus()  # focus shows the tip, as the downloaded page's highlights do
    expect(mark).to_have_attribute("aria-describedby", "tip")
    expect(mark).to_have_accessible_description(re.compile(re.escape(labels[span["technique"]])))
    expect(mark).to_have_accessible_description(
        re.compile(re.escape(f"{two_decimals(span['confidence'])} confidence")))
    assert span["explanation"][:30] in page.locator("#tip").inner_text()
    page.keyboard.press("Enter")  # pinned
    expect(mark).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(mark).to_have_attribute("aria-expanded", "false")
    assert mark.get_attribute("aria-describedby") is None  # no stale description

    tag = page.locator("#article .tag").first
    name = tag.evaluate("t => t.dataset.technique")
    label = re.escape(labels[name])
    expect(tag).to_have_accessible_name(re.compile(rf"^{label}, confidence [01]\.\d\d$"))
    tag.focus()
    expect(tag).to_have_accessible_description(re.compile(r"Found in paragraph \d+"))
    page.keyboard.press("Enter")
    expect(tag).to_have_attribute("aria-expanded", "true")


def test_sidebar_legend_and_slider_semantics(result_page):
    """The legend had a label and no role, the techniques were <li role=button> in an <ol>,
    the slider was read as "20" and its <output>, a status region, announced every step again."""
    page = result_page
    assert page.locator("#legend").get_attribute("role") == "list"
    assert page.locator("#legend > [role=listitem]").count() == 6
    items = page.locator("#technique-list > li")
    assert items.count() > 0 and items.first.get_attribute("role") is None
    assert page.locator("#technique-list > li > button[type=button]").count() == items.count()
    page.locator("#confidence").focus()
    page.keyboard.press("ArrowRight")
    assert page.locator("#confidence").get_attribute("aria-valuetext") == "0.01"
    output = page.locator("#confidence-value")
    assert output.inner_text() == "0.01"
    assert output.get_attribute("aria-hidden") == "true"  # said once, by the slider


def test_focus_stays_on_a_category_switch_and_a_jump_moves_it_to_the_text(result_page):
    """Each switch redraws the lists, which dropped the focus to <body>; a technique's jump
    scrolled to its words and left the focus in the sidebar."""
    page = result_page
    category = page.locator("#categories input").first.get_attribute("data-category")
    page.locator("#categories input").first.focus()
    page.keyboard.press("Space")
    assert f'"category":"{category}"' in _active(page)
    assert not page.locator(f"#categories input[data-category='{category}']").is_checked()
    page.keyboard.press("Space")
    assert f'"category":"{category}"' in _active(page)
    page.keyboard.press("Tab")  # and Tab goes on to the next switch
    assert '"category":' in _active(page) and category not in _active(page)

    button = page.locator("#technique-list > li > button").first
    name = button.get_attribute("data-technique")
    button.focus()
    page.keyboard.press("Enter")
    focused = page.evaluate("""() => { const a = document.activeElement;
        return [!!a.closest('#article'), a.matches('mark.hl, .tag'),
                a.spans ? a.spans.map(s => s.technique) : [a.dataset.technique]]; }""")
    assert focused[0] and focused[1] and name in focused[2]


def test_the_confidence_slider_redraws_once_it_rests(result_page):
    """Every step of a drag redrew the article (4.75 s each on a 13,000-paragraph article);
    the number follows at once, the article when the slider rests or is released."""
    page = result_page
    page.evaluate("() => { window.before = document.querySelector('#article .par'); }")
    slider = page.locator("#confidence")
    slider.evaluate("el => { for (const v of [10, 30, 50]) { el.value = v;"
                    " el.dispatchEvent(new Event('input', {bubbles: true})); } }")
    assert page.locator("#confidence-value").inner_text() == "0.50"
    assert page.evaluate("() => document.querySelector('#article .par') === window.before")
    page.wait_for_function("() => document.querySelector('#article .par') !== window.before",
                           timeout=2_000)
    page.evaluate("() => { window.before = document.querySelector('#article .par'); }")
    slider.evaluate("el => el.dispatchEvent(new Event('change', {bubbles: true}))")  # released
    assert page.evaluate("() => document.querySelector('#article .par') === window.before")
    _set_slider(page, 0)  # a release at another value redraws at once
    assert page.evaluate("() => document.querySelector('#article .par') !== window.before")


def _inside_window(page, locator) -> None:
    box = locator.bounding_box()
    size = page.viewport_size
    assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], box
    assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"], box


def test_tips_stay_inside_a_small_window(result_page):
    """At 375 px the 400 px tip began 36 px left of the screen; a tip of several techniques
    taller than the window ran off it, with no way to scroll it."""
    page = result_page
    page.set_viewport_size({"width": 375, "height": 640})
    mark = page.locator("#article mark.hl").nth(2)
    mark.evaluate("m => { m.scrollIntoView({block: 'center'}); m.spans = Array(6).fill(m.spans[0])"
                  ".map(s => ({...s, explanation: 'A long explanation. '.repeat(20)})); }")
    mark.click()
    tip = page.locator("#tip")
    assert tip.is_visible()
    _inside_window(page, tip)
    assert tip.evaluate("t => t.scrollHeight > t.clientHeight")  # it scrolls instead
    page.keyboard.press("Escape")


def test_a_pinned_tip_follows_its_words_when_the_page_scrolls(result_page):
    """The tip is fixed to the window: pinned, it stayed put while the page scrolled, over
    another paragraph."""
    page = result_page
    page.set_viewport_size({"width": 1360, "height": 450})
    mark = page.locator("#article mark.hl").nth(1)
    mark.evaluate("m => m.scrollIntoView({block: 'center'})")
    mark.click()
    tip = page.locator("#tip")

    def beside() -> bool:  # 8 px above or below the words
        words, box = mark.bounding_box(), tip.bounding_box()
        return (abs(box["y"] + box["height"] + 8 - words["y"]) < 2
                or abs(words["y"] + words["height"] + 8 - box["y"]) < 2)

    assert beside()
    page.evaluate("window.scrollBy(0, 30)")
    page.wait_for_timeout(100)
    assert beside()
    # its words scrolled away: so is the tip
    box = mark.bounding_box()
    page.evaluate("y => window.scrollBy(0, y)", box["y"] + box["height"] + 20)
    assert mark.bounding_box()["y"] + box["height"] < 0
    page.wait_for_timeout(100)
    assert not tip.is_visible()
    page.keyboard.press("Escape")


def test_the_hover_tip_stays_while_the_pointer_is_on_it(result_page):
    """WCAG 1.4.13: the tip shown on hover vanished as the pointer moved onto it."""
    page = result_page
    page.set_viewport_size({"width": 1360, "height": 450})
    mark = page.locator("#article mark.hl").nth(1)
    mark.evaluate("m => m.scrollIntoView({block: 'center'})")
    box = mark.bounding_box()
    page.mouse.move(box["x"] + 3, box["y"] + box["height"] / 2)
    tip = page.locator("#tip")
    assert tip.is_visible()
    inside = tip.bounding_box()
    page.mouse.move(inside["x"] + inside["width"] / 2, inside["y"] + inside["height"] / 2)
    page.wait_for_timeout(500)
    assert tip.is_visible()
    page.mouse.move(1, 1)  # and it goes when the pointer leaves it
    page.wait_for_timeout(500)
    assert not tip.is_visible()


CONTRAST = """el => {
    const parse = (c) => { const p = c.match(/rgba?\\(([^)]+)\\)/)[1]
                           .split(/[\\s,\\/]+/).map(Number);
                           return p.length > 3 ? p : [...p, 1]; };
    const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3]));
    const chain = [];
    for (let n = el; n; n = n.parentElement) chain.unshift(n);
    let background = [255, 255, 255];
    let opacity = 1;
    for (const n of chain) {
        const style = getComputedStyle(n);
        background = over(parse(style.backgroundColor), background);
        opacity *= Number(style.opacity);
    }
    const ink = parse(getComputedStyle(el).color);
    const text = over([...ink.slice(0, 3), ink[3] * opacity], background);
    const lum = (c) => { const [r, g, b] = c.map(v => v / 255)
        .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const [a, b] = [lum(text), lum(background)].sort((x, y) => y - x);
    return Math.round((a + 0.05) / (b + 0.05) * 100) / 100;
}"""


def _contrasts(page, selector: str) -> list[float]:
    return [item.evaluate(CONTRAST) for item in page.locator(selector).all()]


def test_small_text_reads_at_4_5_to_1(result_page):
    """Confidence numbers on tags (opacity .85: 3.63-4.09:1), the Attack on reputation tags
    (4.48:1), paragraph numbers (2.32:1), a hidden category in the legend (2.74:1) and its name
    on a hovered row (4.29:1) read below WCAG's 4.5:1."""
    page = result_page
    low: dict[str, float] = {}

    def check(selector: str, label: str = "") -> None:
        ratios = _contrasts(page, selector)
        assert ratios, selector
        if min(ratios) < 4.5:
            low[f"{selector} {label}".strip()] = min(ratios)

    for selector in ("#article .tag", "#article .tag .conf", "#article .par-num", "#meta dt",
                     "#visible-count"):
        check(selector)
    names = page.locator("#categories input").evaluate_all("l => l.map(b => b.dataset.category)")
    for name in names:  # every category's tags, shown alone in turn
        page.locator(f"#categories input[data-category='{name}']").uncheck()
    for name in names:
        page.locator(f"#categories input[data-category='{name}']").check()
        if page.locator("#article .tag").count():
            check("#article .tag", name)
            check("#article .tag .conf", name)
        page.locator(f"#categories input[data-category='{name}']").uncheck()
    check("#legend .legend-item.off")
    page.locator("#categories li.off label").first.hover()
    check("#categories li.off label:hover .name")
    check("#categories li.off label:hover .count")
    assert not low, low


def test_the_underlines_are_explained_when_there_are_highlights(page, analyzer):
    """The HTML report has a key to its solid, double and dotted underlines; the analysis page,
    which draws the same underlines, had none. It has the report's key, shown only when the
    result has highlights."""
    from playwright.sync_api import expect

    from persuasion_lens.reporting.html import UNDERLINES

    text = "These corrupt traitors are destroying our great nation!\nWe must act now."
    page.fill("#text", text)
    page.click("#analyse")
    page.wait_for_selector("#article mark.hl", timeout=120_000)
    key = page.locator("#underline-key")
    expect(key).to_be_visible()
    for underline in UNDERLINES:
        assert f"{underline['name']} {underline['meaning']}" in key.inner_text()
    styles = key.locator("mark").evaluate_all(
        "l => l.map(m => getComputedStyle(m).borderBottomStyle)")
    assert styles == [u["style"] for u in UNDERLINES] == ["solid", "double", "dotted"]

    result = analyzer.analyze_text(text, lang="en").to_dict()
    without_spans = {**result, "paragraphs": [{**p, "spans": []} for p in result["paragraphs"]]}
    page.route("**/api/analyze", lambda route: route.fulfill(json=without_spans))
    page.click("#toggle-input")
    page.click("#analyse")
    expect(page.locator("#article mark.hl")).to_have_count(0, timeout=30_000)
    expect(page.locator("#article .tag").first).to_be_visible()
    expect(key).to_be_hidden()


def test_words_in_a_category_colour_read_at_5_to_1(page, analyzer):
    """The palette keeps 5:1 for words on and against its colours; the tags' words, darkened
    only to 4.7:1 on their tint, fell short of it. A tag of every category is measured."""
    from playwright.sync_api import expect

    from persuasion_lens.taxonomy import CATEGORIES, TECHNIQUES

    result = analyzer.analyze_text("We must act now, or lose everything we love.", lang="en")
    first = result.to_dict()
    hits = [{"technique": next(t.name for t in TECHNIQUES if t.category == c.name),
             "category": c.name, "confidence": 0.5} for c in CATEGORIES]
    crafted = {**first, "paragraphs": [{**first["paragraphs"][0], "spans": [],
                                        "techniques": hits}]}
    page.route("**/api/analyze", lambda route: route.fulfill(json=crafted))
    page.fill("#text", "We must act now, or lose everything we love.")
    page.click("#analyse")
    expect(page.locator("#article .tag")).to_have_count(6, timeout=30_000)
    ratios = {tag.get_attribute("data-technique"): tag.evaluate(CONTRAST)
              for tag in page.locator("#article .tag").all()}
    page.click("#open-techniques")
    for heading in page.locator("#techniques-body h3").all():
        ratios[f"{heading.inner_text().strip()} heading"] = heading.evaluate(CONTRAST)
    page.keyboard.press("Escape")
    assert len(ratios) == 12 and min(ratios.values()) >= 5, ratios


@pytest.mark.parametrize("width", [320, 375])
def test_a_narrow_screen_scrolls_down_only(result_page, width):
    """"Download HTML" stood out of the summary card at 375 px, and at 320 px the page
    scrolled sideways (the buttons could not wrap)."""
    page = result_page
    page.set_viewport_size({"width": width, "height": 700})
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    card = page.locator(".summary-card").bounding_box()
    for button in ("#download-json", "#download-html"):
        box = page.locator(button).bounding_box()
        assert box["x"] >= card["x"] and box["x"] + box["width"] <= card["x"] + card["width"]


def test_the_result_prints_alone_with_its_colours(result_page):
    """Printed, the page kept its top bar, text box, buttons and filters around the result,
    and left out the legend's colour swatches (a browser drops backgrounds), so that nothing
    said which colour is which category. The result prints alone, with its colours."""
    page = result_page
    page.emulate_media(media="print")
    try:
        for hidden in (".topbar", "#input-panel", ".downloads", "#sidebar"):
            assert not page.locator(hidden).is_visible(), hidden
        adjust = "e => getComputedStyle(e).printColorAdjust"
        for coloured in ("#legend .swatch", "#article mark.hl", "#article .tag"):
            assert page.locator(coloured).first.evaluate(adjust) == "exact", coloured
        assert page.locator("#article").is_visible()
    finally:
        page.emulate_media(media="screen")


def test_a_failed_analysis_hides_the_previous_result(result_page):
    """The previous result stayed on screen under the message, read as this text's."""
    page = result_page
    page.click("#toggle-input")
    page.route("**/api/analyze", lambda route: route.fulfill(
        status=422, json={"detail": "the text has no paragraphs to analyse"}))
    try:
        page.click("#analyse")
        page.wait_for_selector("#message:has-text('no paragraphs')")
    finally:
        page.unroute("**/api/analyze")
    hidden = not page.locator("#results").is_visible()
    page.click("#analyse")  # the shared page's result, back
    page.wait_for_selector("#article-title:focus", timeout=120_000)
    assert hidden


@pytest.mark.parametrize("width", [1360, 375])
def test_the_result_heading_is_clear_of_the_top_bar(result_page, width):
    """After Analyse the focused heading was scrolled under the sticky top bar (WCAG 2.4.11)."""
    page = result_page
    page.set_viewport_size({"width": width, "height": 700})
    page.click("#toggle-input")
    page.evaluate("window.scrollTo(0, 200)")
    page.click("#analyse")
    page.wait_for_selector("#article-title:focus", timeout=120_000)
    _settle(page)
    bar = page.locator(".topbar").bounding_box()
    heading = page.locator("#article-title").bounding_box()
    assert heading["y"] >= bar["y"] + bar["height"], (heading, bar)
    assert heading["y"] + heading["height"] <= 700


def test_page_controls_before_any_result(page, tmp_path):
    """The × of a chosen file took the focus with it to <body>; the dialog's × was 22 x 17 px."""
    article = tmp_path / "article.txt"
    article.write_text("One paragraph.\n", encoding="utf-8")
    page.set_input_files("#file", str(article))
    page.focus("#clear-file")
    page.keyboard.press("Enter")
    assert not page.locator("#file-chip").is_visible()
    focused = page.evaluate("document.activeElement.id")  # the file picker, again
    page.click("#open-techniques")
    box = page.locator("#close-techniques").bounding_box()
    page.keyboard.press("Escape")
    assert (focused, box["width"] >= 24, box["height"] >= 24) == ("file", True, True)


def test_warnings_name_the_pages_language_menu(page):
    """The analyser's warnings told the page's user to use --lang (lang= in the API)."""
    page.select_option("#lang", "en")
    page.fill("#text", RUSSIAN)
    page.click("#analyse")
    page.wait_for_selector("#warnings .warning", timeout=120_000)
    warnings = page.locator("#warnings").inner_text()
    assert "not English as chosen in the Language menu" in warnings
    assert "--lang" not in warnings and "lang=" not in warnings
    page.click("#toggle-input")
    page.select_option("#lang", "")
    page.fill("#text", "These corrupt traitors lie again.")
    page.click("#analyse")
    page.wait_for_selector("#warnings:has-text('guessed')", timeout=120_000)
    warnings = page.locator("#warnings").inner_text()
    assert "choose it in the Language menu to be sure" in warnings and "--lang" not in warnings


def test_api_docs_headings_and_contrast(page, server):
    """Endpoint titles were no headings (the page went from h1 to h4), the description's
    paragraphs sat inside a <p>, and the version label read at 4.25:1."""
    page.goto(server + "/docs")
    page.wait_for_selector(".endpoint")
    levels = page.locator("h1, h2, h3, h4, h5, h6").evaluate_all(
        "l => l.map(h => Number(h.tagName[1]))")
    assert levels[0] == 1 and all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    assert page.locator(".endpoint h2").count() == page.locator(".endpoint").count()
    assert page.locator("p p, p div").count() == 0
    assert page.locator("#api-description p").count() >= 1
    assert min(_contrasts(page, ".version")) >= 4.5


def test_corpus_pages_run_under_their_content_security_policy(narrative_page, narrative_server):
    """docs/web.md promised a Content-Security-Policy on the pages; the corpus pages had none.
    Their inline script (the article page's tips) must still run under it."""
    import urllib.request

    page = narrative_page
    answer = page.goto(narrative_server + "/corpus?q=the")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'sha256-" in policy
    page.locator("table a[href^='/corpus/article/']").first.click()  # a result's link works
    page.wait_for_selector("main")
    with urllib.request.urlopen(f"{narrative_server}/corpus/api/search?q=&limit=500") as answer:
        found = json.loads(answer.read())["results"]
    marked = next(row for row in found if row["techniques"])
    article = page.goto(f"{narrative_server}/corpus/article/{marked['article_id']}")
    assert article.headers["content-security-policy"] == policy
    page.wait_for_selector("article mark.hl")
    page.locator("article mark.hl").first.focus()  # the inline script shows the tip
    assert page.locator("#tip").is_visible()
    assert page.locator("#tip").inner_text().strip()
