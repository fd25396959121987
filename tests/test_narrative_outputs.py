"""Narratives and entity roles in the single-article outputs: the terminal and HTML reports
(the web app's are in test_web_api.py and test_web_browser.py)."""

from __future__ import annotations

import html
import math

import pytest
from rich.console import Console

from persuasion_lens.reporting.html import render_html
from persuasion_lens.reporting.terminal import (
    AT_ODDS_EXPLANATION,
    MAX_ENTITIES,
    describe_entity,
    describe_side,
    print_report,
)
from persuasion_lens.text.wording import counted, two_decimals

FRENCH = (
    "L'Occident a provoqué la guerre en Ukraine\n"
    "Les États-Unis et l'OTAN ont ignoré la sécurité de la Russie pendant des décennies. "
    "Washington voulait cette guerre et Kiev est sa marionnette.\n"
    "La Russie n'avait pas le choix. Les États-Unis, l'OTAN, Washington, Kiev, Bruxelles, "
    "Londres, Paris et Berlin mentent.\n"
)


def _terminal(result) -> str:
    console = Console(record=True, width=200, no_color=True)
    print_report(console, result, summary_only=True)
    return console.export_text()


def test_terminal_and_html_show_narratives_roles_and_warnings(narrative_analyzer):
    result = narrative_analyzer.analyze_text(FRENCH, lang="fr")
    entities = result.extra["entities"]
    assert result.extra["narratives"] and entities
    warning = next(w for w in result.warnings if "no training data for language 'fr'" in w)
    text = _terminal(result)
    assert "Narrative " in text and "experimental" in text
    assert text.count(warning[:60]) == 1  # the model's warning, once
    for entity in entities[:MAX_ENTITIES]:
        assert describe_entity(entity) in text
    if len(entities) > MAX_ENTITIES:
        assert f"and {counted(len(entities) - MAX_ENTITIES, 'more main actor')}" in text
    minor = result.extra.get("minor_entities") or []
    assert minor and f"{counted(len(minor), 'other name')} found" in text
    page = render_html([result])
    listed = page.split("<details class='more-names'>")[1].split("</details>")[0]
    for entity in minor:  # the HTML page lists the names the role line leaves out
        assert f"<li>{describe_entity(entity)} <small>(minor)</small></li>" in listed
    console = Console(record=True, width=200, no_color=True)
    print_report(console, result, show_all=True, summary_only=True)
    rows = [[cell for cell in line.split() if cell != "│"]
            for line in console.export_text().splitlines()]
    for entity in minor:  # and so does the terminal with --all
        assert [entity["entity"], str(len(entity["mentions"])), "minor"] in [r[:3] for r in rows]
    assert "<b>Narratives</b> <i>(experimental)</i>" in page
    assert "<b>Roles</b> <i>(experimental)</i>" in page
    assert "no training data for language &#x27;fr&#x27;" in page
    side = describe_side(result.extra)
    assert side and side in text and "Side " in text  # Russia, the US, NATO: sides of the war
    for narrative in result.extra["narratives"]:  # as the terminal writes them (it was "80%")
        named = f"{narrative['label']} ({two_decimals(narrative['probability'])})"
        assert named in text and html.escape(named) in page
    assert f"<b>Side</b> <i>(experimental)</i> {side}" in page


def test_the_side_taken_reads_stated_or_leaning():
    side = {"favours": "Russia and its allies", "against": "Ukraine and the West",
            "probability": 0.912, "is_clear": True}
    assert describe_side({"side_taken": side}) == (
        "takes the side of Russia and its allies against Ukraine and the West (0.91)")
    side.update(probability=0.68, is_clear=False)
    assert describe_side({"side_taken": side}).startswith("leans to Russia and its allies")
    side.update(probability=0.7996)  # below the stated 0.8, so it must not read 0.80
    assert describe_side({"side_taken": side}).endswith("(0.79)")
    assert describe_side({"side_taken": None}) == describe_side({}) == ""


def _page_rounded_down(value: float) -> str:
    """What the web page's roundedDown() writes (app.js) for a number of the JSON."""
    return f"{math.floor(value * 100 + 1e-9) / 100:.2f}"


def test_the_json_of_an_unclear_role_or_leaning_side_floors_as_the_terminal_does():
    """The page floors the JSON's four decimals: 0.79996 was 0.8 there, so an unclear role read
    0.80 on the page and 0.79 in the terminal, and a side of 0.64999996 read 0.65 against 0.64."""
    from persuasion_lens.models.narratives import EntityRoles
    from persuasion_lens.taxonomy.roles import SideReading

    unclear = EntityRoles("Russia", "Antagonist", 0.79996, [("Instigator", 0.5)],
                          [(0, 6, "Russia")], main_role_probabilities={
                              "Antagonist": 0.79996, "Protagonist": 0.15004, "Innocent": 0.05})
    as_json = unclear.to_dict()
    assert as_json["main_role_probability"] == 0.7999 and not as_json["role_is_clear"]
    terminal = describe_entity({**as_json, "main_role_probabilities":
                                unclear.main_role_probabilities})
    page = ", ".join(f"{role} {_page_rounded_down(p)}"
                     for role, p in as_json["main_role_probabilities"].items())
    assert terminal == f"Russia: role unclear ({page}) in 1 mention"
    stated = EntityRoles("the West", "Antagonist", 0.99496, [], [(0, 4, "West")])
    assert stated.to_dict()["main_role_probability"] == 0.995  # two_decimals: 1.00 everywhere
    side = SideReading(0.64999996).to_dict()
    assert side["probability"] == 0.6499
    assert describe_side({"side_taken": {**side, "probability": 0.64999996}}).endswith(
        f"({_page_rounded_down(side['probability'])})")


@pytest.mark.parametrize("russian_side", [0.66425, 0.64999996, 0.35000004, 0.49995, 0.50004,
                                          0.79996, 0.20004, 0.8, 0.93456, 0.0612])
def test_a_side_rebuilt_from_its_stored_value_gives_the_same_json(russian_side):
    """A corpus stores `russian_side_probability`; the side read back from it said 0.6643 where
    the analysis had said 0.6642, and 0.49995 came back leaning to the other side."""
    from persuasion_lens.taxonomy.roles import SideReading

    as_json = SideReading(russian_side).to_dict()
    assert SideReading(as_json["russian_side_probability"]).to_dict() == as_json
    shown = describe_side({"side_taken": as_json})
    assert shown == describe_side({"side_taken": {**as_json, "probability": max(
        russian_side, 1 - russian_side)}})  # the terminal's text from the raw value


def test_entities_read_back_from_a_corpus_count_their_mentions():
    stored = {"entity": "United States", "main_role": "Antagonist", "mentions": [],
              "fine_roles": [{"label": "Instigator", "probability": 0.3}], "mention_count": 4}
    assert describe_entity(stored) == "United States: Antagonist (Instigator) in 4 mentions"
    stored["main_role_probability"] = 0.8123
    assert describe_entity(stored) == "United States: Antagonist 0.81 (Instigator) in 4 mentions"


def test_a_role_below_the_stated_probability_reads_unclear():
    entity = {"entity": "Russia", "main_role": "Antagonist", "main_role_probability": 0.65,
              "role_is_clear": False, "fine_roles": [{"label": "Instigator", "probability": .2}],
              "main_role_probabilities": {"Protagonist": 0.18, "Antagonist": 0.65,
                                          "Innocent": 0.17},
              "mentions": [{"start": 0, "end": 6, "text": "Russia"}] * 11}
    assert describe_entity(entity) == ("Russia: role unclear (Antagonist 0.65, Protagonist "
                                       "0.18, Innocent 0.17) in 11 mentions")
    # just below the stated probability: rounded down, never printed as 0.80
    entity["main_role_probabilities"] = {"Antagonist": 0.7979, "Protagonist": 0.1821,
                                         "Innocent": 0.02}
    assert describe_entity(entity) == ("Russia: role unclear (Antagonist 0.79, Protagonist "
                                       "0.18, Innocent 0.02) in 11 mentions")
    entity["main_role_probabilities"] = {"Antagonist": 0.42, "Protagonist": 0.29,
                                         "Innocent": 0.29}  # 0.29 * 100 is 28.999...
    assert "Protagonist 0.29, Innocent 0.29" in describe_entity(entity)


def test_a_role_at_odds_with_the_side_says_so(narrative_analyzer):
    result = narrative_analyzer.analyze_text(FRENCH, lang="fr")
    entities = result.extra["entities"]
    for entity in entities + result.extra["minor_entities"]:
        entity["at_odds_with_side"] = False
    first = entities[0]  # shown on a role line
    for at_odds in (False, True):
        first["at_odds_with_side"] = at_odds
        described = describe_entity(first)
        assert described.endswith(", at odds with the side taken") == at_odds
        text, page = _terminal(result), render_html([result])
        assert described in text
        assert (AT_ODDS_EXPLANATION in text) == at_odds == (AT_ODDS_EXPLANATION in page)


def test_summary_json_gives_the_count_of_minor_names_not_the_list(seed_example):
    """`--summary` kept all 57 minor names of the seed example (with their mentions) in JSON,
    whereas the terminal summary only counts them."""
    import json
    import subprocess
    import sys

    def plens(*args: str) -> list[dict]:
        result = subprocess.run(
            [sys.executable, "-m", "persuasion_lens", "analyze", str(seed_example),
             "--narratives", "--format", "jsonl", *args],
            capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]

    [full] = plens()
    [summary] = plens("--summary")
    assert len(full["minor_entities"]) > 10 and "minor_entity_count" not in full
    assert "minor_entities" not in summary and "paragraphs" not in summary
    assert summary["minor_entity_count"] == len(full["minor_entities"])
    assert summary["entities"] == full["entities"]  # the main actors stay


def test_names_left_out_at_odds_with_the_side_say_so_with_all(narrative_analyzer):
    """The --all table dropped ", at odds with the side taken", which the HTML report's list
    of the same names keeps; and neither explained it when no role line was at odds."""
    result = narrative_analyzer.analyze_text(FRENCH, lang="fr")
    for entity in result.extra["entities"] + result.extra["minor_entities"]:
        entity["at_odds_with_side"] = False
    left_out = result.extra["minor_entities"][0]
    left_out["at_odds_with_side"] = True
    console = Console(record=True, width=250, no_color=True)
    print_report(console, result, show_all=True, summary_only=True)
    text = console.export_text()
    row = next(line for line in text.splitlines()
               if line.lstrip().startswith(left_out["entity"] + " ") and "minor" in line)
    assert row.rstrip().endswith(", at odds with the side taken")
    assert " ".join(text.split()).count(AT_ODDS_EXPLANATION) == 1  # the caption may wrap
    page = render_html([result])
    listed = page.split("<details class='more-names'>")[1].split("</details>")[0]
    assert describe_entity(left_out).endswith(", at odds with the side taken")
    assert html.escape(describe_entity(left_out)) in listed
    assert html.escape(AT_ODDS_EXPLANATION) in listed


def test_a_language_the_narratives_know_is_not_said_to_get_their_fallback(narrative_analyzer):
    """In Bulgarian, Hindi and Portuguese only the techniques, genre and frames come from the
    multilingual fallback; the warning said "results", narratives included."""
    text = ("Русия обвинява Запада за войната\n"
            "Москва заяви, че НАТО и САЩ провокираха конфликта в Украйна, а руските войници "
            "защитават цивилните в Донбас. Вашингтон продължава да изпраща оръжия на Киев.\n")
    result = narrative_analyzer.analyze_text(text, lang="bg")
    assert result.extra["narratives"]
    [warning] = [w for w in result.warnings if "multilingual" in w or "training data" in w]
    assert warning == ("no model is trained for language 'bg'; techniques, genre and frames "
                       "come from the multilingual fallback and are less reliable")
