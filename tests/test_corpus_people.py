"""One person or place, one row of the corpus's entity-role table, whatever the language or
script its articles write it in: real `plens batch --narratives` runs into SQLite and PostgreSQL,
read back by `narrative_summary`, `plens stats`, `plens report` and the web corpus API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from corpus_helpers import analyzer_args, db_url, subprocess_env, write_jsonl  # noqa: F401
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from persuasion_lens.cli import app
from persuasion_lens.storage import open_database
from persuasion_lens.storage.corpus_names import corpus_name
from persuasion_lens.storage.corpus_names_table import PEOPLE, PLACES
from persuasion_lens.storage.queries import narrative_summary

runner = CliRunner()

# Putin in five languages and scripts, one spelling each in the stored display names (as the
# detector stores them: "Путин", "Poutine", "Putin" twice, "पुतिन"); Zelensky in inflected
# Russian and Polish forms; Gazprom, in three articles, more than any one spelling of Putin
PEOPLE_ARTICLES = [
    {"id": "ru1", "lang": "ru", "outlet": "Pravda",
     "text": "Путин ответил Западу\n\nВладимир Путин заявил, что санкции не сработали. Путин "
             "сказал журналистам, что экономика растёт.\n\nПо словам Путина, Запад проиграл."},
    {"id": "fr1", "lang": "fr", "outlet": "Le Monde",
     "text": "Poutine menace l'Europe\n\nVladimir Poutine a déclaré que les sanctions ont "
             "échoué. Poutine a parlé aux journalistes hier.\n\nSelon Poutine, l'Occident a "
             "perdu."},
    {"id": "de1", "lang": "de", "outlet": "Die Zeit",
     "text": "Putin droht dem Westen\n\nPräsident Wladimir Putin sagte, die Sanktionen seien "
             "gescheitert. Putin sprach gestern mit Journalisten.\n\nPutins Rede war lang."},
    {"id": "pl1", "lang": "pl", "outlet": "Gazeta",
     "text": "Putin grozi Zachodowi\n\nWładimir Putin powiedział, że sankcje nie działają. Putin "
             "rozmawiał wczoraj z dziennikarzami.\n\nWedług Putina Zachód przegrał."},
    {"id": "hi1", "lang": "hi", "outlet": "Dainik",
     "text": "पुतिन ने पश्चिम को चेतावनी दी\n\nराष्ट्रपति व्लादिमीर पुतिन ने कहा कि प्रतिबंध विफल रहे। "
             "पुतिन ने पत्रकारों से बात की।\n\nपुतिन के अनुसार पश्चिम हार गया।"},
    {"id": "ru2", "lang": "ru", "outlet": "Pravda",
     "text": "Встреча с Зеленским\n\nЖурналисты спросили Зеленского о переговорах. Зеленскому не "
             "понравился вопрос.\n\nО Зеленском говорили весь день."},
    {"id": "pl2", "lang": "pl", "outlet": "Gazeta",
     "text": "Rozmowa z Zełenskim\n\nDziennikarze zapytali Zełenskiego o rozmowy. Zełenskiemu "
             "nie spodobało się pytanie.\n\nO Zełenskim mówiono cały dzień."},
    {"id": "de2", "lang": "de", "outlet": "Die Zeit",
     "text": "Selenskyj in Berlin\n\nDer ukrainische Präsident Selenskyj traf Bundeskanzler Olaf "
             "Scholz. Selenskyj bat um Hilfe.\n\nSelenskyjs Rede war kurz."},
    *({"id": f"en{i}", "lang": "en", "outlet": "Daily Planet",
       "text": f"Gazprom raises prices again\n\nGazprom said on Monday that prices will rise by "
               f"{i + 3} percent. Gazprom blamed the weather.\n\nCustomers of Gazprom are angry."}
      for i in range(3)),
]
PUTIN_SPELLINGS = {"Путин", "Poutine", "Putin", "पुतिन"}


def _stored(url: str, folder: Path) -> None:
    inputs = write_jsonl(folder / "people.jsonl", PEOPLE_ARTICLES)
    result = runner.invoke(app, ["batch", str(inputs), "--db", url, "--no-progress", "--no-spans",
                                 "--narratives", *analyzer_args()], env=subprocess_env())
    assert result.exit_code == 0, result.output


def _summary(url: str, top: int = 20) -> dict:
    database = open_database(url, must_exist=True)
    try:
        return narrative_summary(database, top=top)
    finally:
        database.dispose()


def test_one_person_in_several_languages_is_one_ranked_entity(db_url, tmp_path):  # noqa: F811
    _stored(db_url, tmp_path)
    summary = _summary(db_url)
    rows = {row["entity"]: row for row in summary["entities"]}
    assert not PUTIN_SPELLINGS & set(rows)  # no row under a spelling
    putin = rows["Vladimir Putin"]
    assert set(putin["spellings"]) == PUTIN_SPELLINGS
    assert putin["spellings"][0] == "Putin"  # in two articles, the others in one
    assert putin["articles"] == 5
    assert sum(putin["roles"].values()) == 5
    assert {item["outlet"] for item in putin["by_outlet"]} == {
        "Pravda", "Le Monde", "Die Zeit", "Gazeta", "Dainik"}
    # the inflected forms of one article are one article
    zelensky = rows["Volodymyr Zelensky"]
    assert zelensky["articles"] == 3
    assert {"Zełenskim", "Selenskyj"} <= set(zelensky["spellings"])
    # the Russian article's four case forms are one of its entities (no nominative written)
    assert [s for s in zelensky["spellings"] if s.startswith("Зеленск")] == ["Зеленского"]
    assert rows["Gazprom"]["spellings"] == ["Gazprom"]
    # merged before the top is taken: Putin (5 articles) leads Gazprom (3)
    top = _summary(db_url, top=1)["entities"]
    assert [row["entity"] for row in top] == ["Vladimir Putin"]
    assert top[0]["articles"] == 5


def test_stats_report_and_web_api_name_the_spellings(tmp_path):
    url = f"sqlite:///{tmp_path / 'people.db'}"
    _stored(url, tmp_path)
    result = runner.invoke(app, ["stats", "--db", url], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    putin = next(number for number, line in enumerate(lines) if line.startswith("Vladimir Putin "))
    assert lines[putin + 2].startswith("written as Putin, ")
    assert not any(line.startswith("Poutine ") for line in lines)

    as_json = json.loads(runner.invoke(app, ["stats", "--db", url, "--format", "json"]).stdout)
    leader = as_json["narratives"]["entities"][0]
    assert leader["entity"] == "Vladimir Putin" and set(leader["spellings"]) == PUTIN_SPELLINGS

    report = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--db", url, "-o", str(report)])
    assert result.exit_code == 0, result.output
    html = report.read_text(encoding="utf-8")
    assert "<b>Vladimir Putin</b>" in html and "<small class='spellings'>written as Putin, " in html
    assert "<b>Poutine</b>" not in html

    from persuasion_lens.web.app import create_app

    with TestClient(create_app(object(), db_url=url)) as client:
        answer = client.get("/corpus/api/narratives", params={"top": 1}).json()
        assert [row["entity"] for row in answer["entities"]] == ["Vladimir Putin"]
        assert set(answer["entities"][0]["spellings"]) == PUTIN_SPELLINGS
        page = client.get("/corpus").text
        assert "<b>Vladimir Putin</b>" in page and "written as Putin, " in page


@pytest.mark.parametrize(("stored", "shown"), [
    ("Путин", "Vladimir Putin"), ("Владимира Путина", "Vladimir Putin"),
    ("Präsident Wladimir Putin", "Vladimir Putin"), ("Russlands Präsident Wladimir Putin",
                                                     "Vladimir Putin"),
    ("राष्ट्रपति व्लादिमीर पुतिन", "Vladimir Putin"), ("Putin's", "Vladimir Putin"),
    ("В.А.Зеленского", "Volodymyr Zelensky"), ("Zełenskiego", "Volodymyr Zelensky"),
    ("ज़ेलेंस्की", "Volodymyr Zelensky"), ("Джо Байдену", "Joe Biden"),
    ("US-Präsident Joe Biden", "Joe Biden"), ("Joego Bidena", "Joe Biden"),
    ("Си Цзиньпином", "Xi Jinping"), ("Erdogan", "Recep Tayyip Erdoğan"),
    ("Kim Jong Un", "Kim Jong-un"), ("Ursula von der Leyen", "Ursula von der Leyen"),
    ("МОСКВА", "Moscow"), ("Moskwie", "Moscow"), ("Kijów", "Kyiv"), ("Kijowie", "Kyiv"),
    ("Киева", "Kyiv"), ("Донбасса", "Donbas"), ("Кремля", "the Kremlin"),
    ("Greta Thunbergs", "Greta Thunberg"), ("पीएम मोदी", "Narendra Modi"),
])
def test_spellings_and_case_forms_give_the_english_name(stored, shown):
    assert corpus_name(stored) == shown


@pytest.mark.parametrize("stored", [
    "Hunter Biden", "avocat de Hunter Biden", "Kim", "Johnson", "Mike Johnson",
    "Според Зеленски Путин", "Greta Thunberg Foundation", "Russia", "Gazprom", "",
])
def test_other_names_are_left_as_stored(stored):
    assert corpus_name(stored) is None


def test_no_spelling_names_two_people_or_places():
    from persuasion_lens.storage.corpus_names import name_words

    owner: dict[tuple[str, ...], str] = {}
    for shown, spellings in (*PEOPLE.items(), *PLACES.items()):
        for spelling in (shown, *spellings):
            words = tuple(name_words(spelling))
            assert owner.setdefault(words, shown) == shown, (spelling, owner[words], shown)
            assert corpus_name(spelling) == shown, spelling
