"""Bad training data and options of the training and evaluation commands: one `error:` line
naming the file (and line), exit 2, checked before long work; a few bad lines are warned about
once per file. The data are a few tiny files written here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from persuasion_lens.cli import app
from persuasion_lens.data import semeval2023, semeval2025

runner = CliRunner()

ARTICLE = "A title\n\nThey are all traitors and liars.\n\nNobody knows what will happen.\n"


def technique_data(root: Path, articles: int = 4) -> Path:
    """semeval2023-task3/en with `articles` labelled articles, the last in validation."""
    folder = root / "semeval2023-task3" / "en"
    (folder / "train-articles-subtask-3").mkdir(parents=True)
    (folder / "train-labels-subtask-3-spans").mkdir()
    labels, genres, frames = [], [], []
    for i in range(articles):
        article_id = f"10{i}"
        (folder / "train-articles-subtask-3" / f"article{article_id}.txt").write_text(ARTICLE)
        labels += [f"{article_id}\t3\tName_Calling-Labeling", f"{article_id}\t5\t"]
        (folder / "train-labels-subtask-3-spans" / f"article{article_id}-labels-subtask-3.txt"
         ).write_text(f"{article_id}\tName_Calling-Labeling\t22\t30\n")
        genres.append(f"{article_id}\topinion")
        frames.append(f"{article_id}\tPolitical,Morality")
    (folder / "train-labels-subtask-3.txt").write_text("\n".join(labels) + "\n")
    (folder / "train-labels-subtask-1.txt").write_text("\n".join(genres) + "\n")
    (folder / "train-labels-subtask-2.txt").write_text("\n".join(frames) + "\n")
    splits = root / "semeval2023-task3" / "splits"
    splits.mkdir()
    (splits / "en-validation-articles.txt").write_text(f"10{articles - 1}\n")
    return folder


def narrative_data(root: Path, validation: bool = True, subtask2: bool = True) -> Path:
    folder = root / "semeval2025-task10" / "EN"
    (folder / "raw-documents").mkdir(parents=True)
    text = "Putin attacked Kyiv.\nThe West helped Ukraine.\n"
    mentions = []
    narratives = []
    for i in range(3):
        doc = f"EN_UA_{i}.txt"
        (folder / "raw-documents" / doc).write_text(text)
        mentions.append(f"{doc}\tPutin\t0\t4\tAntagonist\tInstigator")
        narratives.append(f"{doc}\tURW: Blaming the war on others\tOther")
    (folder / "subtask-1-annotations.txt").write_text("\n".join(mentions) + "\n")
    if subtask2:
        (folder / "subtask-2-annotations.txt").write_text("\n".join(narratives) + "\n")
    splits = root / "semeval2025-task10" / "splits"
    splits.mkdir()
    (splits / "EN-validation-documents.txt").write_text("EN_UA_2.txt\n" if validation else "")
    return folder


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def assert_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    assert "error:" in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


# ------------------------------------------------------------------ 5: nothing to evaluate


def test_evaluate_with_nothing_to_score_is_an_error():
    assert_error(invoke("evaluate", "--no-techniques"), "nothing to evaluate")


def test_empty_labels_file_is_an_error_not_perfect_scores(tmp_path):
    folder = technique_data(tmp_path)
    (folder / "train-labels-subtask-3.txt").write_text("")
    result = invoke("evaluate-spans", "--data-dir", str(tmp_path), "-l", "en", "--gold-only")
    assert_error(result, "train-labels-subtask-3.txt", "no labelled paragraphs")
    assert "1.000" not in result.output


def test_missing_articles_folder_is_an_error(tmp_path):
    folder = technique_data(tmp_path)
    for path in (folder / "train-articles-subtask-3").iterdir():
        path.unlink()
    (folder / "train-articles-subtask-3").rmdir()
    result = invoke("evaluate-spans", "--data-dir", str(tmp_path), "-l", "en", "--gold-only")
    assert_error(result, "no labelled en articles")


@pytest.mark.parametrize("validation,subtask2,fragment", [
    (False, True, "no validation documents"),
    (True, False, "subtask-2-annotations.txt"),
])
def test_evaluate_narratives_without_validation_labels(tmp_path, validation, subtask2, fragment):
    narrative_data(tmp_path, validation=validation, subtask2=subtask2)
    result = invoke("evaluate-narratives", "--data-dir", str(tmp_path), "--no-baseline")
    assert_error(result, "nothing to evaluate", fragment)


# ------------------------------------------------------------------ a language with no validation


def without_validation(root: Path, language: str = "fr") -> None:
    """`technique_data` plus a language whose split file lists none of its articles."""
    import shutil

    task = root / "semeval2023-task3"
    shutil.copytree(task / "en", task / language)
    (task / "splits" / f"{language}-validation-articles.txt").write_text("")


NOT_SCORED = "fr: not scored: {split} lists none of its 4 labelled articles as validation"


def _not_scored(root: Path) -> str:
    return NOT_SCORED.format(split=root / "semeval2023-task3" / "splits" /
                             "fr-validation-articles.txt")


def _rows_of(output: str, language: str) -> list[str]:
    return [line for line in output.splitlines() if line.strip("│┃ ").startswith(language)]


@pytest.mark.parametrize("command", [["evaluate-spans", "--gold-only", "-l", "en", "-l", "fr"],
                                     ["evaluate-articles", "-l", "en", "-l", "fr"]])
def test_a_language_without_validation_articles_is_not_scored(tmp_path, command):
    """evaluate-spans printed fr with every score 1.000 (and inf paragraphs per second);
    evaluate-articles a row of dashes. Now one warning line says why, exit status 1."""
    technique_data(tmp_path)
    without_validation(tmp_path)
    result = runner.invoke(app, [*command, "--data-dir", str(tmp_path)], terminal_width=400)
    assert result.exit_code == 1, result.output
    assert f"warning: {_not_scored(tmp_path)}" in result.output
    assert _rows_of(result.output, "en") and not _rows_of(result.output, "fr")


@pytest.mark.parametrize("command", [["evaluate-spans", "--gold-only", "-l", "fr"],
                                     ["evaluate-articles", "-l", "fr"],
                                     ["evaluate", "--languages", "fr", "--quick"]])
def test_only_languages_without_validation_articles_is_an_error(tmp_path, command):
    """`plens evaluate` trained the other languages first, then stopped with 'no training or
    validation articles'; the others printed scores of nothing."""
    technique_data(tmp_path)
    without_validation(tmp_path)
    result = invoke(*command, "--data-dir", str(tmp_path))
    assert_error(result)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"error: {_not_scored(tmp_path)}"]


def test_a_language_all_in_validation_is_not_scored_where_fitting_needs_train(tmp_path):
    """Genre and framing fit per language on the train split: with every fr article in
    validation, a row of dashes was printed. Spans fit nothing, and are scored."""
    technique_data(tmp_path)
    without_validation(tmp_path)
    (tmp_path / "semeval2023-task3" / "splits" / "fr-validation-articles.txt").write_text(
        "100\n101\n102\n103\n")
    split = tmp_path / "semeval2023-task3" / "splits" / "fr-validation-articles.txt"
    articles = runner.invoke(app, ["evaluate-articles", "-l", "en", "-l", "fr", "--data-dir",
                                   str(tmp_path)], terminal_width=400)
    assert articles.exit_code == 1, articles.output
    assert (f"warning: fr: not scored: {split} lists all of its 4 labelled articles as "
            "validation, leaving none to fit on") in articles.output
    spans = runner.invoke(app, ["evaluate-spans", "--gold-only", "-l", "fr", "--data-dir",
                                str(tmp_path)], terminal_width=400)
    assert spans.exit_code == 0, spans.output
    assert _rows_of(spans.output, "fr")


def test_evaluate_says_it_once_for_all_its_parts(tmp_path):
    technique_data(tmp_path)
    without_validation(tmp_path)
    result = runner.invoke(app, ["evaluate", "--no-techniques", "--spans", "--articles",
                                 "--languages", "en,fr", "--data-dir", str(tmp_path)],
                           terminal_width=400)
    assert result.exit_code == 1, result.output
    assert result.output.count(_not_scored(tmp_path)) == 1
    # spans: gold and predicted labels; articles: one row
    assert len(_rows_of(result.output, "en")) == 3 and not _rows_of(result.output, "fr")


def test_evaluate_narratives_names_a_language_without_validation_documents(tmp_path):
    import shutil

    narrative_data(tmp_path)
    task = tmp_path / "semeval2025-task10"
    shutil.copytree(task / "EN", task / "BG")
    result = runner.invoke(app, ["evaluate-narratives", "--data-dir", str(tmp_path),
                                 "--no-baseline"], terminal_width=400)
    assert result.exit_code == 1, result.output
    split = task / "splits" / "BG-validation-documents.txt"
    assert (f"warning: bg: not scored: {split} lists none of its 3 annotated documents as "
            "validation") in result.output


# ------------------------------------------------------------------ 6: --languages


def test_only_the_languages_asked_for_are_loaded(tmp_path):
    technique_data(tmp_path)
    assert {a.language for a in semeval2023.load_technique_articles(tmp_path, ["en"])} == {"en"}
    result = invoke("evaluate-articles", "--data-dir", str(tmp_path), "-l", "en")
    assert result.exit_code == 0, result.output
    assert "Errno" not in result.output


def test_a_missing_language_says_so(tmp_path):
    technique_data(tmp_path)
    result = invoke("evaluate-spans", "--data-dir", str(tmp_path), "--gold-only")
    assert_error(result, "no fr training data under", "(pass --languages)")
    assert "Errno" not in result.output


def test_train_and_evaluate_take_lang_as_the_evaluate_commands_do(tmp_path):
    """`evaluate-spans` and `evaluate-articles` take `--lang`/`-l`; `plens evaluate --lang en`
    and `plens train -l en` said "No such option"."""
    technique_data(tmp_path)
    model = tmp_path / "model"
    result = invoke("train", "--data-dir", str(tmp_path), "-l", "en", "--output", str(model),
                    "--no-static-member", "--no-token-member")
    assert result.exit_code == 0, result.output
    assert (model / "en.npz").is_file() and not (model / "fr.npz").exists()
    result = invoke("evaluate", "--data-dir", str(tmp_path), "--lang", "en", "--quick")
    assert result.exit_code == 0, result.output
    assert "│ en " in result.output
    assert_error(invoke("evaluate", "--data-dir", str(tmp_path), "-l", "en", "-l", "fr"),
                 "no fr training data under")


def test_evaluate_shows_the_stored_numbers_of_the_languages_asked_for_only(tmp_path):
    """`plens evaluate -l en` also printed the stored "measured by plens train" rows of fr, de,
    it, pl and ru, as if this run had scored them."""
    technique_data(tmp_path)
    result = invoke("evaluate", "--data-dir", str(tmp_path), "-l", "en", "--quick")
    assert result.exit_code == 0, result.output
    assert "measured by plens train" in result.output
    assert "│ en " in result.output
    for other in ("fr", "de", "it", "pl", "ru"):
        assert f"│ {other} " not in result.output, result.output


@pytest.mark.parametrize("options", [["-l", "en", "-l", "fr"], ["--lang", "en,fr"],
                                     ["--languages", "en"]])
def test_train_encoder_takes_lang_as_train_and_evaluate_do(tmp_path, options):
    """`plens train-encoder` took only `--languages` (one comma-separated value)."""
    pytest.importorskip("transformers")
    (tmp_path / "empty").mkdir()
    result = invoke("train-encoder", "--encoder", str(tmp_path / "empty"), *options)
    assert_error(result, "not a model folder")  # the languages were taken; the encoder is next
    assert_error(invoke("train-encoder", "--encoder", str(tmp_path / "empty"), "-l", "en",
                        "-l", "es"), "no training data for es")


@pytest.mark.parametrize("value", ["", ",,"])
def test_empty_languages_is_an_error(tmp_path, value):
    technique_data(tmp_path)
    result = invoke("evaluate", "--data-dir", str(tmp_path), "--languages", value)
    assert_error(result, "names no language")


# ------------------------------------------------------------------ 7: bad training data


def test_binary_article_names_the_file(tmp_path):
    folder = technique_data(tmp_path)
    (folder / "train-articles-subtask-3" / "article101.txt").write_bytes(b"\x00\xb2\xff" * 40)
    result = invoke("evaluate-spans", "--data-dir", str(tmp_path), "-l", "en", "--gold-only")
    assert_error(result, "article101.txt", "not a text file")


def test_labels_file_that_is_a_folder(tmp_path):
    folder = technique_data(tmp_path)
    (folder / "train-labels-subtask-3.txt").unlink()
    (folder / "train-labels-subtask-3.txt").mkdir()
    with pytest.raises(semeval2023.DataError, match="is a folder"):
        semeval2023.load_technique_articles(tmp_path, ["en"])


def test_utf16_labels_are_read(tmp_path):
    folder = technique_data(tmp_path)
    labels = folder / "train-labels-subtask-3.txt"
    labels.write_bytes(labels.read_text().encode("utf-16"))
    articles = semeval2023.load_technique_articles(tmp_path, ["en"])
    assert articles[0].paragraph_labels[1] == {"Name_Calling-Labeling"}


def test_roles_reads_mentions_in_a_legacy_code_page(tmp_path):
    """Entity names saved as cp1251 failed: 'not a text file (not UTF-8 at byte 12)'."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "RU_UA_1.txt").write_text("Путин напал на Киев. Зеленский призвал Запад помочь.\n",
                                      encoding="utf-8")
    mentions = tmp_path / "mentions.txt"
    mentions.write_bytes("RU_UA_1.txt\tПутин\t0\t4\tAntagonist\n"
                         "RU_UA_1.txt\tЗеленский\t21\t29\tProtagonist\n".encode("cp1251"))
    result = invoke("semeval", "roles", str(docs), "--mentions", str(mentions), "-l", "ru")
    assert result.exit_code == 0, result.output
    assert f"warning: {mentions}: not UTF-8; read as cp1251" in result.output
    assert [line.split("\t")[1] for line in result.output.splitlines() if "\t" in line] == [
        "Путин", "Зеленский"]


@pytest.mark.parametrize("document_encoding", ["utf-8", "latin-1"])
def test_narrative_annotations_in_latin1_are_read(tmp_path, capsys, document_encoding):
    """The annotations failed to load; a Latin-1 document was read with U+FFFD for each
    accented letter, so that no mention with one was found in it."""
    folder = tmp_path / "semeval2025-task10" / "PT"
    (folder / "raw-documents").mkdir(parents=True)
    (folder / "raw-documents" / "PT_CC_1.txt").write_text(
        "A ministra Marina Silva visitou São Paulo.\n", encoding=document_encoding)
    (folder / "subtask-1-annotations.txt").write_bytes(
        "PT_CC_1.txt\tSão Paulo\t32\t40\tInnocent\tVictim\n".encode("latin-1"))
    (tmp_path / "semeval2025-task10" / "splits").mkdir()
    articles = semeval2025.load_articles(tmp_path, ["pt"])
    assert [m.entity for m in articles[0].mentions] == ["São Paulo"]
    assert "subtask-1-annotations.txt: not UTF-8; read as" in capsys.readouterr().err


@pytest.mark.parametrize("raw,fragment", [
    ("100\t3\tЗеленский\n".encode() + b"100\t5\t\xff\n", ":2: not a text file (not UTF-8 at byte"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xb2\xff", "not a text file"),
])
def test_damaged_utf8_and_binary_labels_are_still_errors(tmp_path, raw, fragment):
    """A UTF-8 file with a stray byte is not guessed as a code page (its Cyrillic would come
    out garbled): the error names the file, line and byte to fix."""
    folder = technique_data(tmp_path)
    (folder / "train-labels-subtask-3.txt").write_bytes(raw)
    result = invoke("evaluate-spans", "--data-dir", str(tmp_path), "-l", "en", "--gold-only")
    assert_error(result, "train-labels-subtask-3.txt", fragment)


def test_bad_lines_are_warned_about_once_per_file(tmp_path, capsys):
    folder = technique_data(tmp_path)
    labels = folder / "train-labels-subtask-3.txt"
    labels.write_text(labels.read_text() + "garbage\n100\t7\tNot_A_Technique\n")
    spans = folder / "train-labels-subtask-3-spans" / "article100-labels-subtask-3.txt"
    spans.write_text("100\tDoubt\tabc\t10\n100\tDoubt\t5\t99999\n100\tDoubt\t1\t3\n")
    (folder / "train-labels-subtask-1.txt").write_text("100\tnot_a_genre\n101\topinion\n")
    (tmp_path / "semeval2023-task3" / "splits" / "en-validation-articles.txt").write_text(
        "103\nno-such-id\n")
    (folder / "train-articles-subtask-3" / "article102.txt").unlink()
    (folder / "train-articles-subtask-3" / "article102.txt").symlink_to(tmp_path / "nowhere")
    articles = semeval2023.load_technique_articles(tmp_path, ["en"])
    semeval2023.load_article_level(tmp_path, ["en"])
    err = capsys.readouterr().err
    assert "train-labels-subtask-3.txt: skipped 1 line not of the form" in err
    assert "skipped 1 unknown technique (first: line 10: 'Not_A_Technique')" in err
    assert ("train-labels-subtask-3-spans: skipped 2 unusable span lines (first: "
            "article100-labels-subtask-3.txt line 1: offsets must be whole numbers") in err
    assert "unknown genre (first: line 1: 'not_a_genre')" in err
    assert "validation id of no labelled article (first: line 2: 'no-such-id')" in err
    assert "labelled article with no file (first: article102.txt)" in err
    assert {a.article_id for a in articles} == {"100", "101", "103"}
    assert [(s.start, s.end) for s in articles[0].spans] == [(1, 3)]


def test_a_technique_misnamed_in_every_span_file_is_one_warning(tmp_path, capsys):
    """The span files are one per article: a technique misnamed throughout gave a warning per
    file, 113 lines for Polish alone."""
    folder = technique_data(tmp_path)
    for path in (folder / "train-labels-subtask-3-spans").iterdir():
        path.write_text(path.read_text() + f"{path.name[7:10]}\tCasting_Doubts\t1\t3\n")
    articles = semeval2023.load_technique_articles(tmp_path, ["en"])
    warnings = [line for line in capsys.readouterr().err.splitlines() if "span line" in line]
    assert warnings == [f"warning: {folder / 'train-labels-subtask-3-spans'}: skipped 4 unusable "
                        "span lines (first: article100-labels-subtask-3.txt line 2: unknown "
                        "technique 'Casting_Doubts')"]
    assert all(len(a.spans) == 1 for a in articles)


def test_spellings_of_known_techniques_are_read_as_them(tmp_path):
    """`Casting_Doubt` (the label of the data's `Doubt`), `Loaded language`, `loaded-language`
    and the task's long forms were dropped as unknown techniques."""
    folder = technique_data(tmp_path)
    (folder / "train-labels-subtask-3.txt").write_text(
        "100\t3\tname calling or labeling,Casting_Doubt\n100\t5\tLoaded language\n"
        "101\t3\tloaded-language,Appeal to fear or prejudice\n"
        "102\t3\tNAME_CALLING-LABELING\n103\t3\tName_Calling-Labeling\n")
    (folder / "train-labels-subtask-3-spans" / "article100-labels-subtask-3.txt").write_text(
        "100\tCasting_Doubt\t1\t3\n100\tLoaded language\t22\t30\n")
    result = invoke("evaluate-spans", "--data-dir", str(tmp_path), "-l", "en", "--gold-only")
    assert result.exit_code == 0, result.output
    assert "unknown technique" not in result.output
    articles = {a.article_id: a for a in semeval2023.load_technique_articles(tmp_path, ["en"])}
    assert articles["100"].paragraph_labels[1:] == [
        frozenset({"Name_Calling-Labeling", "Doubt"}), frozenset({"Loaded_Language"})]
    assert articles["101"].paragraph_labels[1] == {"Loaded_Language", "Appeal_to_Fear-Prejudice"}
    assert [s.technique for s in articles["100"].spans] == ["Doubt", "Loaded_Language"]


def test_labels_that_are_all_unknown_are_an_error_not_an_empty_gold_standard(tmp_path):
    """Every technique unknown: the paragraphs were read as unlabelled, and `evaluate-spans`
    scored nothing with exit status 0."""
    folder = technique_data(tmp_path)
    labels = folder / "train-labels-subtask-3.txt"
    labels.write_text(labels.read_text().replace("Name_Calling-Labeling", "Insults"))
    result = invoke("evaluate-spans", "--data-dir", str(tmp_path), "-l", "en", "--gold-only")
    assert_error(result, "train-labels-subtask-3.txt: none of its 4 technique labels is a "
                 "known technique (first: line 1: 'Insults')")


def test_span_files_with_no_usable_line_are_an_error(tmp_path):
    folder = technique_data(tmp_path)
    for path in (folder / "train-labels-subtask-3-spans").iterdir():
        path.write_text(path.read_text().replace("Name_Calling-Labeling", "Insults"))
    result = invoke("evaluate-spans", "--data-dir", str(tmp_path), "-l", "en", "--gold-only")
    assert_error(result, "train-labels-subtask-3-spans: none of its 4 span lines is usable "
                 "(first: article100-labels-subtask-3.txt line 1: unknown technique 'Insults')")


def test_genres_that_are_all_unknown_are_an_error(tmp_path):
    folder = technique_data(tmp_path)
    genres = folder / "train-labels-subtask-1.txt"
    genres.write_text(genres.read_text().replace("opinion", "editorial"))
    result = invoke("evaluate-articles", "--data-dir", str(tmp_path), "-l", "en")
    assert_error(result, "train-labels-subtask-1.txt: none of its 4 genre labels is a known "
                 "genre (first: line 1: 'editorial')")


@pytest.mark.parametrize("command,make,articles", [
    ("roles", narrative_data, "raw-documents"),
    ("narratives", narrative_data, "raw-documents"),
    ("st3", technique_data, "train-articles-subtask-3"),
])
def test_a_language_folder_given_for_the_articles_names_their_folder(tmp_path, command, make,
                                                                   articles):
    """`semeval roles EN/` read the three annotation files as documents and wrote 3,473 lines
    of predictions for them, exit status 0; `st3 en/` said only "no article<ID>.txt files"."""
    folder = make(tmp_path)
    (folder / "subtask-3-annotations.txt").write_text("EN_UA_0.txt\tOther\tOther\tnone\n")
    result = invoke("semeval", command, str(folder), "-o", str(tmp_path / "pred.txt"))
    assert_error(result, "a language folder of the task data, not a folder of articles: give",
                 articles)
    assert not (tmp_path / "pred.txt").exists()


def test_narrative_data_bad_lines_are_warned_about(tmp_path, capsys):
    folder = narrative_data(tmp_path)
    st1 = folder / "subtask-1-annotations.txt"
    st1.write_text(st1.read_text() + "EN_UA_0.txt\tX\tabc\t3\tAntagonist\n"
                   "EN_UA_0.txt\tPutin\t999999999\t999999999999\tAntagonist\n"
                   "EN_UA_1.txt\tPutin\t0\t4\tBogusRole\n")
    st2 = folder / "subtask-2-annotations.txt"
    st2.write_bytes(st2.read_text().encode("utf-16"))
    articles = semeval2025.load_articles(tmp_path)
    err = capsys.readouterr().err
    assert "subtask-1-annotations.txt: skipped 1 line not a subtask-1 mention" in err
    assert "skipped 2 mentions with an unknown role or not found in its document" in err
    assert all(a.narratives == ["URW: Blaming the war on others"] for a in articles)
    assert [len(a.mentions) for a in articles] == [1, 1, 1]


# ------------------------------------------------------------------ 8 and 12: options


@pytest.mark.parametrize("args,fragment", [
    (["train-embeddings", "-o", "/proc/plens-emb"], "/proc/plens-emb: cannot write"),
    (["train-crosslingual", "-o", "/proc/plens-xl"], "/proc/plens-xl: cannot write"),
    (["distill-embeddings", "-o", "/proc/plens-de"], "/proc/plens-de: cannot write"),
    (["train-embeddings", "--cache", "/nonexistent/c.npy"], "/nonexistent/c.npy: cannot write"),
    (["train-encoder", "--encoder", "x", "--epochs", "nan"], "--epochs must be a finite"),
    (["train-encoder", "--encoder", "x", "--learning-rate", "inf"], "--learning-rate must"),
    (["train-encoder", "--encoder", ""], "the name is empty"),
])
def test_options_are_checked_first(args, fragment):
    assert_error(invoke(*args), fragment)


@pytest.mark.parametrize("args", [
    ["train-embeddings", "--threads", "99999999999999999999999"],
    ["train-encoder", "--encoder", "x", "--seed", "99999999999999999999999"],
    ["train", "--seed", "-1"],
])
def test_numbers_are_bounded(args):
    result = invoke(*args)
    assert result.exit_code == 2
    assert args[-2] in result.output and "range" in result.output
    assert "Overflow" not in result.output


def test_train_checks_its_output_before_training(tmp_path):
    technique_data(tmp_path)
    result = invoke("train", "--data-dir", str(tmp_path), "--output", "/proc/plens-x",
                    "--languages", "en")
    assert_error(result, "/proc/plens-x: cannot write")


def test_output_that_is_a_file(tmp_path):
    (tmp_path / "emb").write_text("x")
    assert_error(invoke("train-embeddings", "-o", str(tmp_path / "emb")), "a file is there")


@pytest.mark.parametrize("content,fragment", [
    (None, "the cache is a folder"),
    (b"\x00\x01binary" * 10, "not an embeddings cache"),
])
def test_embeddings_cache_must_be_a_cache_file(tmp_path, content, fragment):
    cache = tmp_path / "c.npy"
    if content is None:
        cache.mkdir()
    else:
        cache.write_bytes(content)
    result = invoke("train-embeddings", "-o", str(tmp_path / "out"), "--cache", str(cache))
    assert_error(result, str(cache), fragment)


def test_encoder_is_checked_before_the_data(tmp_path, monkeypatch):
    pytest.importorskip("transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (tmp_path / "empty").mkdir()
    no_data = str(tmp_path / "no-data")
    assert_error(invoke("train-encoder", "--encoder", str(tmp_path / "empty"), "--data-dir",
                        no_data), "not a model folder")
    # offline, in a process of its own (the hub reads HF_HUB_OFFLINE when it is imported)
    result = subprocess.run(
        [sys.executable, "-m", "persuasion_lens", "train-encoder", "--encoder",
         "bogus-org/bogus-model", "--data-dir", no_data], capture_output=True, text=True,
        timeout=120, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert result.returncode == 2
    assert result.stderr.startswith("error: --encoder bogus-org/bogus-model: no such model")
    assert len(result.stderr.strip().splitlines()) == 1
    assert_error(invoke("train-encoder", "--encoder", str(tmp_path / "empty"), "--device",
                        "bogus"), "--device bogus: not a torch device")


# ------------------------------------------------------------------ 9: roles --mentions


def _roles(tmp_path: Path, mentions: str | bytes | None):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "EN_UA_1.txt").write_text("Putin attacked Kyiv yesterday.\n")
    path = tmp_path / "mentions.txt"
    if isinstance(mentions, bytes):
        path.write_bytes(mentions)
    elif mentions is None:
        path.mkdir()
    else:
        path.write_text(mentions)
    return invoke("semeval", "roles", str(docs), "--mentions", str(path), "-l", "en")


@pytest.mark.parametrize("mentions,fragment", [
    ("EN_UA_1.txt\tPutin\t0\t99999999999999999999999\tAntagonist\n",
     "mentions.txt:1: offsets outside the document"),
    ("\nEN_UA_1.txt\tPutin\t-5\t4\tAntagonist\n", "mentions.txt:2: offsets -5-4"),
    ("EN_UA_1.txt\tPutin\t9\t4\tAntagonist\n", "mentions.txt:1: offsets 9-4"),
    (None, "is a folder"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xb2\xff", "not a text file"),
])
def test_roles_mentions_are_checked(tmp_path, mentions, fragment):
    result = _roles(tmp_path, mentions)
    assert_error(result, fragment)
    assert "PNG" not in result.output


def test_roles_reads_utf16_mentions(tmp_path):
    from persuasion_lens.cli.semeval_narratives import _read_mentions
    from persuasion_lens.text.documents import Document

    path = tmp_path / "m.txt"
    path.write_bytes("EN_UA_1.txt\tPutin\t0\t4\tAntagonist\n".encode("utf-16"))
    documents = {"EN_UA_1.txt": Document.from_text("Putin attacked.", "en")}
    assert _read_mentions(path, documents) == {"EN_UA_1.txt": [("Putin", 0, 5, 0, 4)]}


def test_roles_warns_about_an_empty_mentions_file(tmp_path, capsys):
    from persuasion_lens.cli.semeval_narratives import _read_mentions

    path = tmp_path / "m.txt"
    path.write_text("\n")
    assert _read_mentions(path, {}) == {}
    assert "holds no mentions" in capsys.readouterr().err
