"""Tests for the taxonomy layer (techniques, categories, frames, genres)."""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import colour_vision
import pytest

from persuasion_lens.taxonomy import (
    CATEGORIES,
    FRAME_NAMES,
    FRAMES,
    GENRE_NAMES,
    GENRES,
    TECHNIQUE_NAMES,
    TECHNIQUES,
    Category,
    Technique,
    category,
    category_of,
    resolve_category,
    resolve_technique,
    taxonomy_as_dict,
    technique,
    technique_name_in_data,
    techniques_in,
)

DATA_DIR = Path(__file__).parents[1].parent / "shared" / "data" / "semeval2023-task3"

EXPECTED_CATEGORIES = [
    "Attack on reputation",
    "Justification",
    "Simplification",
    "Distraction",
    "Call",
    "Manipulative wording",
]


def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_counts() -> None:
    assert len(TECHNIQUES) == 23
    assert len(CATEGORIES) == 6
    assert len(FRAMES) == 14
    assert len(GENRES) == 3
    assert GENRE_NAMES == ["opinion", "reporting", "satire"]


def test_category_order_and_colours() -> None:
    assert [c.name for c in CATEGORIES] == EXPECTED_CATEGORIES
    colours = [c.colour.upper() for c in CATEGORIES]
    assert len(set(colours)) == 6
    for c in CATEGORIES:
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", c.colour)
        # WCAG AA for normal text against white (and for white text on the colour).
        assert 1.05 / (_luminance(c.colour) + 0.05) >= 4.5, c.name
        assert c.description


# Every pair of category colours at least this far apart (CIEDE2000) under each simulated
# dichromacy; the former palette had Justification / Distraction 3.0 apart under protanopia.
MIN_DISTANCE = 15
# Ink of the HTML report (body) and of the web app (--ink in app.css), read on a highlight's tint.
DARK_INKS = {"report": ("#1d1d1f", 0x22 / 255), "web app": ("#1c2430", 0x45 / 255)}


def test_colours_stay_apart_under_colour_blindness() -> None:
    """Simulated protanopia (Machado et al. 2009, severity 1.0) drew Justification and
    Distraction 3.0 apart and Call and Manipulative wording 3.9: the same colour to those
    readers. Every pair stays at least MIN_DISTANCE apart under every simulation now."""
    palette = {c.name: c.colour for c in CATEGORIES}
    closest = colour_vision.pair_distances(palette)[:3]
    assert closest[0][0] >= MIN_DISTANCE, closest
    assert {vision for _, vision, *_ in colour_vision.pair_distances(palette)} == set(
        colour_vision.VISIONS)


@pytest.mark.parametrize("category_", CATEGORIES, ids=lambda c: c.name)
def test_text_on_and_against_each_colour_reads_at_5_to_1(category_: Category) -> None:
    """White words on a legend chip or a report tag, the colour as text on white, and dark
    text on a highlight's tint."""
    white = (1.0, 1.0, 1.0)
    colour = colour_vision.parse_hex(category_.colour)
    assert colour_vision.contrast(colour, white) >= 5
    for where, (ink, alpha) in DARK_INKS.items():
        tint = colour_vision.over_white(colour, alpha)
        assert colour_vision.contrast(colour_vision.parse_hex(ink), tint) >= 5, where


def test_colours_stay_apart_in_a_256_colour_terminal() -> None:
    """rich shows the colours as they are where the terminal has true colour, and otherwise
    the nearest of 256: there the former palette's Justification and Call drew 4.8 apart under
    tritanopia."""
    shown = {c.name: colour_vision.in_256_colours(c.colour) for c in CATEGORIES}
    assert len(set(shown.values())) == len(CATEGORIES)
    closest = colour_vision.pair_distances(shown)[0]
    assert closest[0] >= 7, closest


# The terminal colours share one lightness (to read on black and on white), so only hue and
# chroma part them: less room than the page colours have.
TERMINAL_MIN_DISTANCE = 7.5
TERMINAL_256_MIN_DISTANCE = 6.5
BLACK, WHITE = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)


def _hue_and_chroma(colour: str) -> tuple[float, float]:
    _, a, b = colour_vision.lab(colour_vision.simulate(colour_vision.parse_hex(colour), "normal"))
    return math.degrees(math.atan2(b, a)) % 360, math.hypot(a, b)


@pytest.mark.parametrize("category_", CATEGORIES, ids=lambda c: c.name)
def test_terminal_colour_reads_on_black_and_on_white(category_: Category) -> None:
    """A terminal's background may be either: the page colours of Justification,
    Simplification and Manipulative wording read at 1.9:1 on black."""
    colour = colour_vision.parse_hex(category_.terminal_colour)
    assert colour_vision.contrast(colour, BLACK) >= 4.5
    assert colour_vision.contrast(colour, WHITE) >= 4.5
    shown = colour_vision.parse_hex(colour_vision.in_256_colours(category_.terminal_colour))
    assert min(colour_vision.contrast(shown, BLACK), colour_vision.contrast(shown, WHITE)) >= 4


@pytest.mark.parametrize("category_", CATEGORIES, ids=lambda c: c.name)
def test_terminal_colour_keeps_the_hue_of_the_page_colour(category_: Category) -> None:
    page_hue, _ = _hue_and_chroma(category_.colour)
    hue, chroma = _hue_and_chroma(category_.terminal_colour)
    assert abs((hue - page_hue + 180) % 360 - 180) <= 6
    assert chroma >= 25  # a colour, not a grey


def test_terminal_colours_stay_apart_under_colour_blindness() -> None:
    """Under normal vision and each simulated dichromacy, in true colour and in 256 colours."""
    true_colour = {c.name: c.terminal_colour for c in CATEGORIES}
    in_256 = {name: colour_vision.in_256_colours(colour) for name, colour in true_colour.items()}
    for palette, least in ((true_colour, TERMINAL_MIN_DISTANCE),
                           (in_256, TERMINAL_256_MIN_DISTANCE)):
        closest = colour_vision.pair_distances(palette)[0]
        assert closest[0] >= least, closest


def _truecolour_console(**settings):
    """A true-colour rich console. rich keeps the escape codes of a style on the style, shared
    through its parse and combine caches, for the colour system that first drew it: a console of 16
    colours earlier in the test run (tests/test_corpus_report.py draws one) made these tests
    read its codes, so the cache starts afresh."""
    from rich.console import Console
    from rich.style import Style

    Style.parse.cache_clear()
    Style._add.cache_clear()  # styles combined (a table cell's with its text's)
    return Console(color_system="truecolor", force_terminal=True, **settings)


def _ansi_colours(output: str) -> set[str]:
    """The '#rrggbb' of every true-colour foreground in rich's output."""
    return {"#" + "".join(f"{int(value):02X}" for value in found)
            for found in re.findall(r"38;2;(\d+);(\d+);(\d+)", output)}


def test_the_terminal_report_writes_in_the_terminal_colours() -> None:

    from persuasion_lens.pipeline.results import (
        ArticleResult,
        ParagraphResult,
        SpanHit,
        TechniqueHit,
    )
    from persuasion_lens.reporting.terminal import print_report

    words = [techniques_in(c.name)[0] for c in CATEGORIES]
    text = " ".join(f"word{number}" for number in range(len(words)))
    spans = [SpanHit(6 * n, 6 * n + 5, f"word{n}", t.name, t.category, 0.8)
             for n, t in enumerate(words)]
    paragraph = ParagraphResult(0, 0, len(text), text,
                                [TechniqueHit(t.name, t.category, 0.8) for t in words], spans)
    output = io.StringIO()
    print_report(_truecolour_console(file=output, width=200),
                 ArticleResult(language="en", paragraphs=[paragraph]))
    assert _ansi_colours(output.getvalue()) == {c.terminal_colour for c in CATEGORIES}


def test_plens_search_writes_in_the_terminal_colours(tmp_path, monkeypatch) -> None:
    from corpus_helpers import edge_analyzer, write_jsonl
    from typer.testing import CliRunner

    from persuasion_lens.batch import run_batch
    from persuasion_lens.batch.work import AnalyzerSpec
    from persuasion_lens.cli import app
    from persuasion_lens.cli import corpus as corpus_commands
    from persuasion_lens.storage import open_database

    url = f"sqlite:///{tmp_path / 'corpus.db'}"
    db = open_database(url)
    rows = [{"id": "a1", "text": "They lie to you.\n\nThis is a disaster!", "lang": "en"}]
    run_batch([str(write_jsonl(tmp_path / "a.jsonl", rows))], db,
              AnalyzerSpec(factory="corpus_helpers:edge_analyzer"))
    db.dispose()
    shown = {category(hit.category).terminal_colour
             for hit in edge_analyzer().analyze_text(rows[0]["text"], "en").paragraphs[0]
             .techniques}
    assert shown
    for extra in ([], ["--all"]):  # a table, and numbered lines
        terminal = _truecolour_console(width=160, file=io.StringIO())
        monkeypatch.setattr(corpus_commands, "console", terminal)
        assert CliRunner().invoke(app, ["search", "disaster", "--db", url, *extra]).exit_code == 0
        assert _ansi_colours(terminal.file.getvalue()) == shown, extra


def test_names_unique() -> None:
    assert len(set(TECHNIQUE_NAMES)) == len(TECHNIQUE_NAMES) == 23
    assert [t.name for t in TECHNIQUES] == TECHNIQUE_NAMES
    assert len({t.label.casefold() for t in TECHNIQUES}) == 23
    assert len(set(FRAME_NAMES)) == 14
    assert len(set(GENRE_NAMES)) == 3


def test_every_technique_category_exists_and_grouped_in_order() -> None:
    names = {c.name for c in CATEGORIES}
    for t in TECHNIQUES:
        assert t.category in names
    # Techniques appear grouped by category, categories in CATEGORIES order.
    seen = [t.category for t in TECHNIQUES]
    grouped = [c for i, c in enumerate(seen) if i == 0 or seen[i - 1] != c]
    assert grouped == EXPECTED_CATEGORIES
    assert sum(len(techniques_in(c)) for c in EXPECTED_CATEGORIES) == 23


def test_texts_present_and_short() -> None:
    for t in TECHNIQUES:
        for text in (t.label, t.definition, t.look_for, t.example):
            assert text.strip(), t.name
        assert len(t.definition) < 400, t.name
        assert len(t.look_for) < 400, t.name
        assert len(t.example) < 200, t.name
    for item in (*FRAMES, *GENRES):
        assert item.label.strip() and item.definition.strip()
        assert len(item.definition) < 400, item.name
    for c in CATEGORIES:
        assert len(c.description) < 400


def test_lookups() -> None:
    t = technique("Loaded_Language")
    assert isinstance(t, Technique)
    assert t.label == "Loaded language"
    assert category_of("Doubt") == "Attack on reputation"
    assert category_of("Appeal_to_Time") == "Call"
    c = category("Distraction")
    assert isinstance(c, Category)
    assert [t.name for t in techniques_in("Distraction")] == [
        "Straw_Man",
        "Red_Herring",
        "Whataboutism",
    ]
    with pytest.raises(KeyError, match="Loaded_Language"):
        technique("loaded")
    with pytest.raises(KeyError, match="Attack on reputation"):
        category("Attack")
    with pytest.raises(KeyError):
        techniques_in("Nonsense")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Loaded_Language", "Loaded_Language"),
        ("loaded_language", "Loaded_Language"),
        ("Loaded language", "Loaded_Language"),
        ("loaded", "Loaded_Language"),
        ("  LOADED  ", "Loaded_Language"),
        ("name calling", "Name_Calling-Labeling"),
        ("Name calling or labelling", "Name_Calling-Labeling"),
        ("doubt", "Doubt"),
        ("casting doubt", "Doubt"),
        ("false dilemma", "False_Dilemma-No_Choice"),
        ("appeal to fear", "Appeal_to_Fear-Prejudice"),
        ("fear", "Appeal_to_Fear-Prejudice"),
        ("slippery slope", "Consequential_Oversimplification"),
        ("exaggeration-minimisation", "Exaggeration-Minimisation"),
        ("straw", "Straw_Man"),
        ("whatabout", "Whataboutism"),
    ],
)
def test_resolve_technique(text: str, expected: str) -> None:
    assert resolve_technique(text) == expected


def test_resolve_every_name_and_label() -> None:
    for t in TECHNIQUES:
        assert resolve_technique(t.name) == t.name
        assert resolve_technique(t.label) == t.name
        assert resolve_technique(t.name.upper()) == t.name


@pytest.mark.parametrize(
    "spelling,expected",
    [
        ("Casting_Doubt", "Doubt"),
        ("Loaded language", "Loaded_Language"),
        ("loaded-language", "Loaded_Language"),
        ("Name calling or labeling", "Name_Calling-Labeling"),
        ("Appeal to Fear, Prejudice", "Appeal_to_Fear-Prejudice"),
        ("Obfuscation, Intentional Vagueness, Confusion", "Obfuscation-Vagueness-Confusion"),
        ("Black-and-White_Fallacy", "False_Dilemma-No_Choice"),
        ("Thought-terminating_Cliches", "Conversation_Killer"),
        ("Exaggeration-Minimization", "Exaggeration-Minimisation"),
    ],
)
def test_data_spellings_of_a_technique(spelling: str, expected: str) -> None:
    assert technique_name_in_data(spelling) == expected


def test_every_name_and_label_is_its_own_data_spelling() -> None:
    for t in TECHNIQUES:
        for spelling in (t.name, t.label, t.name.upper(), t.name.replace("_", " ")):
            assert technique_name_in_data(spelling) == t.name


@pytest.mark.parametrize("spelling", ["Not_A_Technique", "", "Doubts", "appeal", "loaded",
                                      "ad hominem"])
def test_data_spellings_take_no_prefixes_or_loose_aliases(spelling: str) -> None:
    assert technique_name_in_data(spelling) is None


@pytest.mark.parametrize("text", ["astrology", "", "appeal", "appeal to"])
def test_resolve_technique_errors(text: str) -> None:
    with pytest.raises(ValueError) as info:
        resolve_technique(text)
    message = str(info.value)
    assert "Appeal_to_Authority" in message  # lists the valid (or candidate) names


def test_resolve_category() -> None:
    assert resolve_category("attack") == "Attack on reputation"
    assert resolve_category("CALL") == "Call"
    assert resolve_category("manipulative") == "Manipulative wording"
    assert resolve_category("simplification") == "Simplification"
    for c in CATEGORIES:
        assert resolve_category(c.name) == c.name
    with pytest.raises(ValueError, match="Justification"):
        resolve_category("propaganda")


def test_taxonomy_as_dict_is_json() -> None:
    data = taxonomy_as_dict()
    assert set(data) == {"categories", "techniques", "frames", "genres"}
    assert len(data["techniques"]) == 23
    assert data["techniques"][0]["name"] == "Name_Calling-Labeling"
    assert set(data["techniques"][0]) == {
        "name",
        "label",
        "category",
        "definition",
        "look_for",
        "example",
    }
    assert data["categories"][0]["colour"].startswith("#")
    assert json.loads(json.dumps(data)) == data


def _labels_in(pattern: str, column: int) -> set[str]:
    files = sorted(DATA_DIR.glob(pattern))
    if not files:
        pytest.skip(f"SemEval-2023 Task 3 data not found under {DATA_DIR}")
    labels: set[str] = set()
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) > column and parts[column].strip():
                labels.update(x.strip() for x in parts[column].split(",") if x.strip())
    return labels


def test_technique_names_match_data() -> None:
    # Subtask 3 paragraph labels: article id, paragraph number, comma-separated techniques.
    assert _labels_in("*/train-labels-subtask-3.txt", 2) == set(TECHNIQUE_NAMES)


def test_frame_names_match_data() -> None:
    assert _labels_in("*/train-labels-subtask-2.txt", 1) == set(FRAME_NAMES)


def test_genre_names_match_data() -> None:
    assert _labels_in("*/train-labels-subtask-1.txt", 1) == set(GENRE_NAMES)
