"""The same probability is written with the same two decimals by every interface: the terminal
report, the HTML report (plens analyze and /api/report.html), the corpus pages and plens
search (the web page's script: test_web_browser.py). A genre of 0.99500004 read 1.00 in the
terminal and 0.99 on the web page, which got 0.995 from the JSON."""

from __future__ import annotations

import io
import re

import pytest
from corpus_helpers import (
    EDGE_PROBABILITIES,
    EDGE_TECHNIQUES,
    EDGE_TEXTS,
    edge_analyzer,
    write_jsonl,
)
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from persuasion_lens.taxonomy import technique
from persuasion_lens.web.app import create_app

TEXT = "They lie to you.\n\nThis is a disaster for everyone!"
LABELS = [technique(name).label for name in EDGE_TECHNIQUES]
TAGS = [f"{label} {text}" for label, text in zip(LABELS, EDGE_TEXTS, strict=True)]
GENRE = f"opinion ({EDGE_TEXTS[0]})"
FRAMES = f"Economic ({EDGE_TEXTS[1]}), Political ({EDGE_TEXTS[2]})"


@pytest.mark.parametrize(("value", "text"), [
    (0.995, "1.00"), (0.99500004, "1.00"), (0.125, "0.13"), (0.005, "0.01"), (0.0049, "0.00"),
    (0.355, "0.36"), (0.98765, "0.99"), (0.99996, "1.00"), (1.0, "1.00"), (0.0, "0.00"),
    (-0.125, "-0.13"), (-0.0001, "0.00"),
])
def test_two_decimals_rounds_the_four_decimal_value_halves_up(value, text):
    from persuasion_lens.text.wording import two_decimals

    assert two_decimals(value) == text


def test_the_terminal_report():
    from persuasion_lens.reporting.terminal import print_report

    output = io.StringIO()
    print_report(Console(file=output, width=200), edge_analyzer().analyze_text(TEXT, "en"))
    report = output.getvalue()
    assert f"Genre    {GENRE}" in report and f"Frames   {FRAMES}" in report
    assert report.count(" · ".join(TAGS)) == 2  # each paragraph's techniques


def test_the_html_reports():
    from persuasion_lens.reporting.html import render_html

    analyzer = edge_analyzer()
    client = TestClient(create_app(analyzer))
    analysis = client.post("/api/analyze", json={"text": TEXT, "lang": "en"}).json()
    assert analysis["genre"]["probability"] == 0.995  # the four decimals of the JSON
    pages = {"plens analyze -f html": render_html([analyzer.analyze_text(TEXT, "en")]),
             "/api/report.html": client.post("/api/report.html", json=analysis).text}
    for name, page in pages.items():
        assert f"<b>Genre</b> {GENRE}" in page, name
        assert f"<b>Frames</b> {FRAMES}" in page, name
        tags = re.findall(r"<a class='tag[^>]*>([^<]*)</a>", page)
        assert tags == TAGS * 2, name


def test_the_corpus_pages_and_plens_search(tmp_path, monkeypatch):
    from persuasion_lens.batch import run_batch
    from persuasion_lens.batch.work import AnalyzerSpec
    from persuasion_lens.cli import app
    from persuasion_lens.cli import corpus as corpus_commands
    from persuasion_lens.storage import open_database

    url = f"sqlite:///{tmp_path / 'corpus.db'}"
    db = open_database(url)
    rows = [{"id": "a1", "text": TEXT, "lang": "en"}]
    run_batch([str(write_jsonl(tmp_path / "a.jsonl", rows))], db,
              AnalyzerSpec(factory="corpus_helpers:edge_analyzer"))
    db.dispose()
    client = TestClient(create_app(edge_analyzer(), db_url=url))
    listed = client.get("/corpus", params={"q": "disaster"}).text
    assert f"<td>{', '.join(TAGS)}</td>" in listed
    article = client.get("/corpus/article/1").text
    assert f"<b>Genre</b> {GENRE}" in article and f"<b>Frames</b> {FRAMES}" in article
    lines = CliRunner().invoke(app, ["search", "disaster", "--db", url])
    assert lines.exit_code == 0 and f"   {' · '.join(TAGS)}\n" in lines.output
    terminal = Console(force_terminal=True, width=160, file=io.StringIO())
    monkeypatch.setattr(corpus_commands, "console", terminal)  # a table, for a terminal
    assert CliRunner().invoke(app, ["search", "disaster", "--db", url]).exit_code == 0
    table = re.sub(r"\x1b\[[\d;]*m", "", terminal.file.getvalue())
    assert "│" in table and all(f"{tag} " in table for tag in TAGS)


def test_edge_values_are_what_they_claim():
    """f"{x:.2f}" of these values disagrees with what is shown, so the tests above test it."""
    assert [f"{round(value, 4):.2f}" for value in EDGE_PROBABILITIES] != EDGE_TEXTS
