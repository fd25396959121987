"""Bad input never produces a traceback: one line on stderr and a non-zero exit."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from html_pages import (
    BRIEF_TEXT,
    BRIEF_TITLE,
    HEADLINE_ABOVE_ARTICLE_PAGE,
    LINKS_ONLY_PAGE,
    LONGER_STORY_TEXT,
    MENU_WORDS,
    NAVIGATION_PAGE,
    NEWS_BRIEF_PAGE,
    SHORT_STORY_PAGE,
    SHORT_STORY_TEXT,
    SHORT_STORY_TITLE,
    article_lines,
    article_page,
    linked_article_page,
)
from typer.testing import CliRunner

from persuasion_lens.cli import app

runner = CliRunner()


def run_plens(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "persuasion_lens", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, fragment: str) -> None:
    stderr = result.stderr.decode()
    assert result.returncode != 0
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error:")
    assert fragment in lines[0]


def test_empty_file(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert_one_line_error(run_plens("analyze", str(empty)), "empty")


def test_binary_file(tmp_path):
    binary = tmp_path / "image.txt"
    binary.write_bytes(bytes(range(256)) * 50)
    assert_one_line_error(run_plens("analyze", str(binary)), "binary")


def test_missing_path(tmp_path):
    assert_one_line_error(run_plens("analyze", str(tmp_path / "nope.txt")), "no such file")


def test_directory_without_articles(tmp_path):
    (tmp_path / "notes.csv").write_text("a,b\n")
    assert_one_line_error(run_plens("analyze", str(tmp_path)), "no .txt")


def test_huge_file(tmp_path):
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"All work and no play makes a dull article.\n" * (50 * 1024 * 1024 // 44))
    assert_one_line_error(run_plens("analyze", str(huge)), "the file is 51.2 MB; the limit is "
                                                          "20 MB (split it into articles)")
    just_over = tmp_path / "just-over.txt"
    just_over.write_bytes(b"x" * 21_000_000)  # was "21.0 MB; the limit is 21 MB" (20 MiB)
    assert_one_line_error(run_plens("analyze", str(just_over)), "21 MB; the limit is 20 MB")


@pytest.mark.parametrize("code", ["elvish", "xx"])  # "english" is English now
def test_bad_language_code(project_example, code):
    assert_one_line_error(
        run_plens("analyze", "--lang", code, str(project_example)),
        f"'{code}' is not a known language code",
    )


def test_bad_option_value(project_example):
    result = run_plens("analyze", "--format", "pdf", str(project_example))
    assert result.returncode != 0
    assert "Traceback" not in result.stderr.decode()


def test_output_dash_is_standard_output_for_analyze_and_semeval(tmp_path, monkeypatch):
    """`-o -` wrote a file called "-" (plens analyze, plens semeval st3); it is standard
    output now, as when no file is given. A command that writes a folder refuses it."""
    article = tmp_path / "in" / "article1.txt"
    article.parent.mkdir()
    article.write_text("A shameful betrayal\n\nThese corrupt traitors sold the nation, "
                       "everyone knows it.", encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    analysed = runner.invoke(app, ["analyze", str(article), "--format", "json", "-o", "-",
                                   "--no-spans"])
    assert analysed.exit_code == 0, analysed.output
    assert json.loads(analysed.stdout)["paragraphs"]
    page = runner.invoke(app, ["analyze", str(article), "--format", "html", "-o", "-",
                               "--no-spans"])
    assert page.exit_code == 0 and page.stdout.lstrip().startswith("<!DOCTYPE html>")
    predicted = runner.invoke(app, ["semeval", "st3", str(article.parent), "-o", "-",
                                    "--lang", "en"])
    assert predicted.exit_code == 0, predicted.output
    assert predicted.stdout.startswith("1\t1\t")
    folder = runner.invoke(app, ["train-embeddings", "-o", "-"])
    assert folder.exit_code != 0 and "a folder is written here" in folder.output
    assert list(work.iterdir()) == []


def test_semeval_folder_without_articles(tmp_path):
    result = runner.invoke(app, ["semeval", "st3", str(tmp_path), "-o", str(tmp_path / "p.txt")])
    assert result.exit_code == 2
    assert "no article<ID>.txt" in result.output


@pytest.mark.parametrize("encoding", ["latin-1", "cp1251"])
def test_legacy_encoded_file_is_analysed(tmp_path, encoding):
    text = {
        "latin-1": "Un scandale inouï\nCe gouvernement de traîtres a vendu la patrie, "
        "c'est une honte absolue et une trahison éhontée.",
        "cp1251": "Позор власти\nЭти предатели продали родину, и это настоящая катастрофа "
        "для всей страны.",
    }[encoding]
    path = tmp_path / "article.txt"
    path.write_bytes(text.encode(encoding))
    result = run_plens("analyze", "--format", "json", str(path))
    assert result.returncode == 0, result.stderr.decode()
    import json

    data = json.loads(result.stdout)
    assert data["paragraphs"][1]["text"] == text.split("\n")[1]


def test_stdin_is_read(project_example):
    result = run_plens("analyze", "--format", "json", "-", stdin=project_example.read_bytes())
    assert result.returncode == 0, result.stderr.decode()
    assert b'"language": "en"' in result.stdout


def test_unsupported_language_warns_and_falls_back(tmp_path):
    spanish = tmp_path / "es.txt"
    spanish.write_text(
        "El Gobierno miente otra vez\nLos corruptos de siempre han robado al pueblo "
        "trabajador y nadie dice nada.\n",
        encoding="utf-8",
    )
    result = run_plens("analyze", "--format", "json", str(spanish))
    assert result.returncode == 0, result.stderr.decode()
    import json

    data = json.loads(result.stdout)
    assert data["language"] == "es"
    assert any("no model" in w for w in data["warnings"])


def test_one_bad_file_among_several_is_skipped(tmp_path, project_example):
    empty = tmp_path / "empty.txt"
    empty.write_text("   ")
    result = run_plens("analyze", "--format", "jsonl", str(project_example), str(empty))
    assert result.returncode == 1
    assert len(result.stdout.decode().strip().splitlines()) == 1
    assert "skipped" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()
    # JSON: a list for several inputs, even when only one of them could be analysed
    listed = run_plens("analyze", "--format", "json", str(project_example), str(empty))
    assert listed.returncode == 1
    data = json.loads(listed.stdout)
    assert isinstance(data, list) and len(data) == 1 and data[0]["paragraphs"]


def test_html_page_without_an_article_is_an_error(tmp_path):
    """A page of menus and links was analysed as if its menu words were an article."""
    menu = tmp_path / "opinion.html"
    menu.write_text(NAVIGATION_PAGE, encoding="utf-8")
    assert_one_line_error(run_plens("analyze", str(menu)), "no article text")
    piped = run_plens("analyze", "--format", "json", "-", stdin=NAVIGATION_PAGE.encode())
    assert_one_line_error(piped, "stdin: no article text")


def test_html_page_with_an_article_is_analysed(tmp_path):
    page = tmp_path / "bridge.html"
    page.write_text(article_page(), encoding="utf-8")
    result = run_plens("analyze", "--format", "json", str(page))
    assert result.returncode == 0, result.stderr.decode()
    texts = [p["text"] for p in json.loads(result.stdout)["paragraphs"]]
    title, *paragraphs = article_lines()
    assert texts[0] == title
    assert all(paragraph in texts for paragraph in paragraphs)
    assert not any(word in texts for word in MENU_WORDS)


def test_html_page_of_a_few_links_is_an_error(tmp_path):
    """Trafilatura read this page as the one-paragraph article "Home News"."""
    page = tmp_path / "home.html"
    page.write_text(LINKS_ONLY_PAGE, encoding="utf-8")
    result = run_plens("analyze", str(page))
    assert result.returncode == 2
    assert_one_line_error(result, "home.html: no article text")


@pytest.mark.parametrize(("page", "expected"), [
    (linked_article_page(), article_lines()),
    (NEWS_BRIEF_PAGE, [BRIEF_TITLE, BRIEF_TEXT]),
    # "Home" (the nav link) was the first paragraph, so the title
    (SHORT_STORY_PAGE, [SHORT_STORY_TITLE, SHORT_STORY_TEXT]),
    # the headline was left out, so the first paragraph was the title
    (HEADLINE_ABOVE_ARTICLE_PAGE, [SHORT_STORY_TITLE, *LONGER_STORY_TEXT]),
], ids=["article with links", "brief without <article>", "short page with a Home link",
        "headline above the <article>"])
def test_html_articles_with_links_or_in_a_plain_div_are_analysed(tmp_path, page, expected):
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    result = run_plens("analyze", "--format", "json", str(path))
    assert result.returncode == 0, result.stderr.decode()
    assert [p["text"] for p in json.loads(result.stdout)["paragraphs"]] == expected


@pytest.mark.parametrize("suffix", [".htm", ".html"])
def test_plain_text_named_as_a_web_page_is_read_as_text(tmp_path, suffix):
    """A text file without any markup, saved as .htm, was 'no article text'."""
    path = tmp_path / f"story{suffix}"
    path.write_text(f"{SHORT_STORY_TITLE}\n{LONGER_STORY_TEXT[0]}\n{LONGER_STORY_TEXT[1]}\n",
                    encoding="utf-8")
    result = run_plens("analyze", "--format", "json", str(path))
    assert result.returncode == 0, result.stderr.decode()
    texts = [p["text"] for p in json.loads(result.stdout)["paragraphs"]]
    assert texts == [SHORT_STORY_TITLE, *LONGER_STORY_TEXT]


def test_endless_input_stops_at_the_limit():
    """Reading stops at the limit: /dev/zero used to be read until the memory ran out."""
    started = time.perf_counter()
    result = run_plens("analyze", "/dev/zero")
    assert_one_line_error(result, "larger than the limit of 20 MB (split it into articles)")
    assert time.perf_counter() - started < 60


def test_stdin_over_the_limit_is_refused():
    result = run_plens("analyze", "-", stdin=b"The corrupt elite lies.\n" * 1_000_000)
    assert_one_line_error(result, "stdin: the input is larger than the limit")


def test_a_file_that_is_no_database_is_one_line_and_left_alone(tmp_path, project_example):
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_bytes(project_example.read_bytes())
    url = f"sqlite:///{not_a_database}"
    for args in (("search", "bridge", "--db", url), ("batch", str(project_example), "--db", url),
                 ("serve", "--db", url)):
        assert_one_line_error(run_plens(*args), "file is not a database")
    assert not_a_database.read_bytes() == project_example.read_bytes()


def test_serve_checks_its_options_before_loading_models(tmp_path):
    assert_one_line_error(run_plens("serve", "--log-level", "loud"), "'loud' is not one of")
    missing = tmp_path / "typo.db"
    assert_one_line_error(run_plens("serve", "--db", f"sqlite:///{missing}"), "no database here")
    assert not missing.exists()


def test_output_to_a_folder_is_one_line(tmp_path, project_example):
    for output_format in ("text", "json"):
        result = run_plens("analyze", str(project_example), "-f", output_format,
                           "-o", str(tmp_path))
        assert_one_line_error(result, f"{tmp_path}: cannot write (it is a folder")


def test_summary_leaves_the_paragraphs_out_of_json_too(project_example):
    import json

    full = json.loads(run_plens("analyze", str(project_example), "-f", "json").stdout)
    result = run_plens("analyze", str(project_example), "-f", "json", "--summary")
    summary = json.loads(result.stdout)
    assert "paragraphs" in full and "paragraphs" not in summary
    assert summary == {key: value for key, value in full.items() if key != "paragraphs"}


def test_long_inputs_show_progress_in_a_terminal_only(tmp_path):
    import shutil

    if shutil.which("script") is None:
        pytest.skip("util-linux's script (a pseudo-terminal) is not installed")
    long_article = tmp_path / "long.txt"
    long_article.write_text("\n\n".join(
        f"Paragraph {i}: the shameful elites lie again." for i in range(2500)), encoding="utf-8")
    command = f"{sys.executable} -m persuasion_lens analyze {long_article} --summary"
    in_terminal = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True,
                                 text=True, timeout=300)
    assert in_terminal.returncode == 0, in_terminal.stdout
    assert "analysing paragraphs" in in_terminal.stdout
    assert "reading the article" in in_terminal.stdout  # before the models load: a large page
    piped = run_plens("analyze", str(long_article), "--summary")
    assert piped.returncode == 0 and b"analysing paragraphs" not in piped.stderr
    assert b"reading the article" not in piped.stderr


@pytest.mark.parametrize("command", [[], ["analyze"], ["batch"], ["serve"]])
def test_help_shows_flags_without_a_value_placeholder(command):
    """A flag takes no value; typer 0.29 printed "<bool>" after each one (hence the pin)."""
    result = runner.invoke(app, [*command, "--help"], terminal_width=100)
    assert result.exit_code == 0 and "--help" in result.output
    assert "<bool>" not in result.output


def _commands(group, path=()):
    # a group is what has commands: typer 0.28 brings its own click, whose Group is not
    # click.Group (checking for that skipped `plens semeval`'s commands)
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


def test_help_keeps_the_bracketed_words_of_extras():
    """The help is rich markup: "needs the [transformers] extra" lost its "[transformers]"."""
    import re

    import typer

    checked = 0
    for path, command in _commands(typer.main.get_command(app)):
        for parameter in command.params:
            for extra in re.findall(r"\\?(\[\w+\])", getattr(parameter, "help", None) or ""):
                shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "400"}).output
                assert extra in shown, (path, parameter.name, extra)
                checked += 1
    assert checked  # the train command's --encoder names one


RUSSIAN = ("Позор власти\nЭти предатели продали родину, и это настоящая катастрофа для всей "
           "страны. Чиновники в Москве снова обещают народу светлое будущее, но цены растут "
           "каждый день, а зарплаты остаются прежними. Люди устали от лжи и пустых слов.\n")
ENGLISH_AND_GERMAN = (
    "The council has failed again\nThe council has once again failed the people of this "
    "city, and nobody is held to account for the lost millions of the bridge project.\n"
    "Der Stadtrat hat wieder einmal versagt, und niemand wird für die verlorenen Millionen "
    "des Brückenprojekts zur Rechenschaft gezogen.\n")
MISMATCH_HINT = "the text looks Russian, not German as --lang says"


def test_a_lang_that_the_text_plainly_is_not_gets_a_one_line_hint(tmp_path):
    """`--lang de` on a Russian article was analysed as German without a word."""
    article = tmp_path / "russian.txt"
    article.write_text(RUSSIAN, encoding="utf-8")
    report = run_plens("analyze", "--lang", "de", str(article))
    assert report.returncode == 0, report.stderr.decode()
    said = " ".join(report.stdout.decode().replace("│", " ").split())  # unwrapped from its box
    assert said.count(MISMATCH_HINT) == 1
    assert "Language German (given)" in said  # --lang is still obeyed
    data = json.loads(run_plens("analyze", "--lang", "de", "-f", "json", str(article)).stdout)
    assert data["language"] == "de" and not data["language_detected"]
    assert [w for w in data["warnings"] if "looks" in w] == [
        f"{MISMATCH_HINT} (lang= in the API); analysed as German all the same"]


def test_semeval_lang_that_an_article_plainly_is_not_gets_a_warning_per_article(tmp_path):
    """`plens semeval ... --lang de` read Russian articles as German without a word."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "article1.txt").write_text(RUSSIAN, encoding="utf-8")
    (folder / "article2.txt").write_text(RUSSIAN.replace("Позор", "Стыд"), encoding="utf-8")
    result = runner.invoke(app, ["semeval", "st3", str(folder), "--lang", "de",
                                 "-o", str(tmp_path / "p.txt")])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    for name in ("article1.txt", "article2.txt"):
        assert said.count(f"{name}: {MISMATCH_HINT}; analysed as German all the same") == 1
    right = runner.invoke(app, ["semeval", "st3", str(folder), "--lang", "ru",
                                "-o", str(tmp_path / "q.txt")])
    assert right.exit_code == 0 and "looks" not in right.output


@pytest.mark.parametrize(("text", "lang"), [
    (RUSSIAN, "ru"),  # the language it is
    ("Позор власти\nЭти предатели продали родину, и это настоящая катастрофа.\n", "de"),  # short
    (ENGLISH_AND_GERMAN, "en"),  # half of it is English
    (ENGLISH_AND_GERMAN, "de"),
    ("El Gobierno miente otra vez\nLos corruptos de siempre han robado al pueblo trabajador y "
     "nadie dice nada, mientras los precios suben cada semana y los sueldos no.\n", "it"),
])  # ... and Spanish, which has no model, is not a language we point to instead
def test_no_language_hint_for_the_right_short_or_mixed_texts(text, lang):
    result = runner.invoke(app, ["analyze", "-", "--lang", lang, "-f", "json"], input=text)
    assert result.exit_code == 0, result.output
    assert not [w for w in json.loads(result.output)["warnings"] if "looks" in w]


@pytest.mark.parametrize("output_format", ["json", "text"])
def test_a_reader_that_stops_early_is_not_an_error(tmp_path, output_format):
    """`plens analyze ... | head -c 0`: the closed pipe ends the command quietly, exit 0."""
    article = tmp_path / "article.txt"
    article.write_text("Title\n\n" + "The reckless government lied to us again.\n\n" * 40)
    process = subprocess.Popen(
        [sys.executable, "-m", "persuasion_lens", "analyze", str(article), "--all",
         "--format", output_format],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    process.stdout.close()  # before the models are loaded, so every write finds it closed
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, stderr
    assert stderr.strip() == ""


def test_serve_on_a_port_in_use_is_one_error_line_and_never_says_it_runs():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_plens("serve", "--port", str(port))
    assert_one_line_error(result, f"cannot listen on 127.0.0.1:{port} (the port is in use)")
    assert b"running at" not in result.stdout


def test_serve_answers_on_its_port_and_stops_on_ctrl_c():
    import signal
    import socket
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "persuasion_lens", "serve", "--port",
                               str(port), "--log-level", "warning"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        health = _poll_json(f"http://127.0.0.1:{port}/healthz", urllib.request, seconds=90)
        assert health["status"] == "ok"
    finally:
        server.send_signal(signal.SIGINT)
        output, errors = server.communicate(timeout=30)
    # uvicorn stops on Ctrl-C; whether it then raises the signal again (Ctrl-C's code, 130,
    # after "interrupted") differs between its versions
    assert server.returncode in (0, 130), errors
    if server.returncode == 130:
        assert errors.decode().strip().endswith("interrupted")
    assert f"running at http://127.0.0.1:{port}/" in output.decode()
    assert b"Traceback" not in errors


def _poll_json(url: str, request_module, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with request_module.urlopen(url, timeout=5) as response:
                return json.loads(response.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_html_as_a_flag_points_to_the_format_option(tmp_path):
    article = tmp_path / "article.txt"
    article.write_text("Title\n\nThe reckless government lied to us again.\n")
    assert_one_line_error(run_plens("analyze", "--html", str(article)),
                          "for an HTML page use --format html --output FILE.html")


@pytest.mark.parametrize(("args", "fragment"), [
    (["analyze"], "Missing argument 'files'. (see 'plens analyze --help')"),
    (["serve", "--port", "70000"], "70000 is not in the range 1<=x<=65535."),
    (["analyze", "--format", "xml", "x.txt"], "'xml' is not one of"),
    (["search", "-f", "csv", "x"], "(see 'plens search --help')"),
    (["semeval", "st3", "."], "Missing option '--output'"),
    (["bogus"], "No such command 'bogus'. (see 'plens --help')"),
    (["--bogus"], "No such option: --bogus (see 'plens --help')"),
    # an option without its value pointed to 'plens --help' (Click's parser gives no context)
    (["analyze", "-o"], "Option '-o' requires an argument. (see 'plens analyze --help')"),
    (["semeval", "st3", ".", "-o"], "(see 'plens semeval st3 --help')"),
])
def test_a_bad_option_or_argument_is_one_error_line(args, fragment):
    """Click drew a box of five lines (Usage, Try, the box) for every usage error."""
    result = run_plens(*args)
    assert result.returncode == 2
    assert_one_line_error(result, fragment)
    assert result.stdout == b""


def test_the_help_groups_the_commands_in_panels_with_one_line_summaries():
    """The commands were one list in import order (evaluate-articles between analyze and batch),
    and three summaries broke mid-sentence ("... detected in them. JSON is" / "one object")."""
    import re

    output = runner.invoke(app, ["--help"], env={"COLUMNS": "400"}).output
    panels = re.findall(r"╭─ (.+?) ─", output)
    assert panels[1:] == ["Analyse articles", "Corpus: store, search, report",
                          "Train and evaluate the models", "SemEval file formats"]
    rows = re.findall(r"│ ([a-z][\w-]+) +(.+?) *│", output)
    in_order = [name for name, _ in rows]
    assert in_order[:7] == ["analyze", "serve", "batch", "search", "report", "export", "stats"]
    assert in_order[-1] == "semeval" and len(in_order) == len(set(in_order)) == 18
    assert all(summary.endswith(".") for _, summary in rows), rows


def _groups(group, path=()):
    yield path, group
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group (see _commands)
            yield from _groups(command, (*path, name))


def _command_rows(output: str) -> list[str]:
    """The lines inside the help's command panels (every panel but Options and Arguments)."""
    import re

    rows, inside = [], False
    for line in output.splitlines():
        if heading := re.match(r"╭─ (.+?) ─", line):
            inside = heading.group(1) not in ("Options", "Arguments")
        elif line.startswith("╰"):
            inside = False
        elif inside:
            rows.append(line.strip("│ "))
    return rows


def test_every_command_list_gives_each_command_one_whole_sentence():
    """`plens semeval --help` broke four summaries mid-sentence ("...; files" / "that cannot
    be read ..."): the docstring's first paragraph, with its line breaks, is the summary."""
    import re

    import typer

    checked = 0
    for path, group in _groups(typer.main.get_command(app)):
        output = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "400"}).output
        rows = _command_rows(output)
        assert sorted(row.split()[0] for row in rows) == sorted(group.commands), (path, rows)
        for row in rows:
            summary = row.split(maxsplit=1)[1]
            # ends a sentence, and only there ("v1.2" and "/docs." are no sentence ends)
            assert re.fullmatch(r"[^.]+(\.[^ .][^.]*)*\.", summary), (path, row)
            checked += 1
    assert checked == 18 + 6  # plens and plens semeval


SKIPPED_FILES_NOTE = ("Files that cannot be read are left out, each with a warning; the exit "
                      "status is then 1.")


@pytest.mark.parametrize("command", ["st1", "st2", "st3", "spans", "narratives", "roles"])
def test_every_semeval_command_says_what_happens_to_unreadable_files(command):
    """`plens semeval st1 --help` and `st2 --help` lacked the note the other commands have."""
    output = runner.invoke(app, ["semeval", command, "--help"], env={"COLUMNS": "400"}).output
    assert SKIPPED_FILES_NOTE in " ".join(output.split()), output


def test_plens_alone_shows_its_help_once():
    result = run_plens()
    assert result.returncode == 2 and result.stdout.decode().count("Usage: plens") <= 1
    assert "analyze" in result.stdout.decode() + result.stderr.decode()


def _text_pdf(text: str) -> bytes:
    """A small but valid PDF whose one page shows `text` in an uncompressed stream: bytes that
    decode as text, so only its signature tells it is no article."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)]
    body = b"%PDF-1.4\n"
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return body + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)


def _docx(text: str) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", f"<w:document><w:t>{text}</w:t></w:document>")
    return buffer.getvalue()


ARTICLE_LINE = "The minister's shameful lies betray every honest family in this great country."


@pytest.mark.parametrize(("name", "data", "what"), [
    ("column.pdf", _text_pdf(ARTICLE_LINE), "a PDF document"),
    ("column.txt", _text_pdf(ARTICLE_LINE), "a PDF document"),
    ("column.docx", _docx(ARTICLE_LINE), "Word .docx"),
    ("column.rtf", b"{\\rtf1\\ansi\\deff0 " + ARTICLE_LINE.encode() + b"}", "an RTF document"),
], ids=["pdf", "pdf named .txt", "docx", "rtf"])
def test_office_documents_are_refused_with_a_hint(tmp_path, name, data, what):
    """A text PDF was analysed as a Portuguese article of PDF operators; a .docx was 'binary'."""
    document = tmp_path / name
    document.write_bytes(data)
    result = run_plens("analyze", str(document))
    assert_one_line_error(result, what)
    assert "save or export the article as text first" in result.stderr.decode()


@pytest.mark.parametrize("command", [["analyze"], ["batch", "--db", "sqlite:///unused.db"]])
def test_a_web_address_is_not_fetched_and_says_so(tmp_path, command):
    result = subprocess.run([sys.executable, "-m", "persuasion_lens", *command,
                             "https://example.com/news/article-1"], capture_output=True,
                            timeout=120, cwd=tmp_path)
    assert_one_line_error(result, "https://example.com/news/article-1: persuasion-lens works "
                                  "offline and does not download pages")
    assert not (tmp_path / "unused.db").exists()


def test_analyze_reads_the_articles_in_subfolders(tmp_path, project_example):
    """A folder of articles sorted by year was "the folder holds no .txt, .md or .html
    articles" (plens batch reads subfolders; plens analyze read only the top)."""
    for year in ("2023", "2024"):
        (tmp_path / "articles" / year).mkdir(parents=True)
        (tmp_path / "articles" / year / f"column-{year}.txt").write_bytes(
            project_example.read_bytes())
    result = run_plens("analyze", str(tmp_path / "articles"), "-f", "jsonl", "--summary")
    assert result.returncode == 0, result.stderr.decode()
    ids = [json.loads(line)["id"] for line in result.stdout.decode().splitlines()]
    assert ids == ["column-2023", "column-2024"]


def test_analyze_gives_files_of_one_name_in_subfolders_distinct_ids(tmp_path, project_example):
    """a/x.txt and b/x.txt both had the id "x" (only `source` told them apart); they now take
    the folders that tell them apart, as in `plens batch`, and a unique name keeps its id."""
    for folder, name in (("a", "x.txt"), ("b", "x.txt"), ("b", "y.txt"), ("b", "y.md")):
        (tmp_path / "articles" / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / "articles" / folder / name).write_bytes(project_example.read_bytes())
    (tmp_path / "z.txt").write_bytes(project_example.read_bytes())
    result = run_plens("analyze", str(tmp_path / "articles"), str(tmp_path / "z.txt"),
                       "-f", "json", "--summary")
    assert result.returncode == 0, result.stderr.decode()
    ids = {Path(item["source"]).relative_to(tmp_path).as_posix(): item["id"]
           for item in json.loads(result.stdout)}
    assert ids == {"articles/a/x.txt": "a/x", "articles/b/x.txt": "b/x",
                   "articles/b/y.md": "y.md", "articles/b/y.txt": "y.txt", "z.txt": "z"}


def test_lines_ending_in_cr_alone_are_paragraphs(tmp_path, project_example):
    """A file saved with classic Mac OS line endings was one paragraph, the whole article,
    with every technique of the article in it."""
    lf_text = project_example.read_text(encoding="utf-8")
    mac_file = tmp_path / "mac.txt"
    mac_file.write_bytes(lf_text.replace("\n", "\r").encode("utf-8"))
    mac = json.loads(run_plens("analyze", str(mac_file), "-f", "json").stdout)
    unix = json.loads(run_plens("analyze", str(project_example), "-f", "json").stdout)
    assert [p["text"] for p in mac["paragraphs"]] == [p["text"] for p in unix["paragraphs"]]
    assert mac["summary"] == unix["summary"]
    text = mac_file.read_bytes().decode("utf-8")
    for paragraph in mac["paragraphs"]:
        assert text[paragraph["start"]:paragraph["end"]] == paragraph["text"]
        for span in paragraph["spans"]:
            assert text[span["start"]:span["end"]] == span["text"]


@pytest.mark.parametrize("output_format", ["text", "json", "html"])
def test_an_output_that_is_an_input_is_refused(tmp_path, project_example, output_format):
    """`-o` naming the article itself replaced the article with its own report."""
    article = tmp_path / "column.txt"
    article.write_bytes(project_example.read_bytes())
    result = run_plens("analyze", str(article), "-f", output_format, "-o",
                       str(tmp_path / "." / "column.txt"))
    assert_one_line_error(result, "is one of the inputs")
    assert article.read_bytes() == project_example.read_bytes()


def test_an_unwritable_output_is_said_before_the_analysis(tmp_path, project_example):
    """A folder of articles was analysed in full before `-o` in a missing folder failed."""
    unreadable = tmp_path / "later.txt"
    unreadable.write_bytes(b"\x00\x01\x02" * 100)  # analysed first, it would be skipped
    missing = tmp_path / "no-such-folder" / "report.json"
    result = run_plens("analyze", str(project_example), str(unreadable), "-f", "json", "-o",
                       str(missing))
    assert_one_line_error(result, f"{missing}: cannot write (no folder")


def test_a_text_report_written_to_a_file_says_so(tmp_path, project_example):
    report = tmp_path / "report.txt"
    result = run_plens("analyze", str(project_example), "-o", str(report))
    assert result.returncode == 0
    assert result.stdout.decode().strip() == f"wrote {report}"
    assert "Loaded language" in report.read_text(encoding="utf-8")


def test_an_unknown_model_name_lists_the_named_models(project_example):
    result = run_plens("analyze", str(project_example), "--model", "Linear")
    assert_one_line_error(result, "Linear: no model folder here (a model is a folder, or "
                                  "'linear', 'embeddings' or 'crosslingual')")


@pytest.mark.parametrize("code", ["en-US", "en_GB", "EN-au"])
def test_a_locale_is_read_as_its_language(project_example, code):
    """`--lang en-US` (the form feeds and HTML pages give) was "not a known language code"."""
    result = run_plens("analyze", str(project_example), "--lang", code, "-f", "json",
                       "--summary")
    assert result.returncode == 0, result.stderr.decode()
    data = json.loads(result.stdout)
    assert (data["language"], data["language_detected"]) == ("en", False)


@pytest.mark.parametrize("args", [
    ["evaluate-articles", "-l", "es"],
    ["evaluate-articles", "--languages", "en,es"],
    ["evaluate-spans", "--languages", "es"],
])
def test_evaluations_name_a_language_without_training_data(args):
    """`evaluate-articles -l es` said that a split file 'lists none of its 0 labelled articles'
    (there is no Spanish data at all); `--languages`, which the data errors tell users to
    pass, was no option of evaluate-spans or evaluate-articles."""
    assert_one_line_error(run_plens(*args),
                          "no training data for es; choose from en, fr, de, it, pl, ru")


_XHTML_HEAD = ('<?xml version="1.0" encoding="{charset}"?>\n<!DOCTYPE html PUBLIC '
               '"-//W3C//DTD XHTML 1.0 Strict//EN" '
               '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
               '<html xmlns="http://www.w3.org/1999/xhtml"><head>'
               '<meta http-equiv="Content-Type" content="text/html; charset={charset}"/>')


def _xhtml_story(charset: str) -> str:
    paragraphs = "".join(f"<p>{text}</p>" for text in LONGER_STORY_TEXT)
    return (_XHTML_HEAD.format(charset=charset) + f"<title>{SHORT_STORY_TITLE}</title></head>"
            f"<body><article><h1>{SHORT_STORY_TITLE}</h1>{paragraphs}</article></body></html>")


def test_xhtml_and_pages_saved_as_text_are_read_as_pages(tmp_path):
    """XHTML (an XML declaration before the doctype), a .xhtml file, and a page saved as .txt
    by a browser (a "saved from url" comment first) were analysed as their markup."""
    pages = {
        "story.xhtml": _xhtml_story("utf-8").encode("utf-8"),
        # the declaration says Latin-1, the bytes are UTF-8 (and the other way round)
        "declared-latin-1.xhtml": _xhtml_story("iso-8859-1").encode("utf-8"),
        "declared-utf-8.xhtml": _xhtml_story("utf-8").encode("cp1252"),
        "xhtml-saved-as.txt": _xhtml_story("utf-8").encode("utf-8"),
        "browser-saved-as.txt": ("<!-- saved from url=(0040)https://news.example.com/ferry -->\n"
                                 + article_page()).encode("utf-8"),
    }
    for name, data in pages.items():
        (tmp_path / name).write_bytes(data)
    result = run_plens("analyze", "--format", "json", *(str(tmp_path / name) for name in pages))
    assert result.returncode == 0, result.stderr.decode()
    read = {Path(item["source"]).name: [p["text"] for p in item["paragraphs"]]
            for item in json.loads(result.stdout)}
    for name in pages:
        texts = read[name]
        assert not any("<" in text for text in texts), (name, texts[0])
        if name == "browser-saved-as.txt":
            assert texts[0] == article_lines()[0]
        else:
            assert texts == [SHORT_STORY_TITLE, *LONGER_STORY_TEXT], name


def test_a_folder_holds_xhtml_articles(tmp_path):
    from persuasion_lens.text.reading import expand_paths

    (tmp_path / "story.xhtml").write_text(_xhtml_story("utf-8"), encoding="utf-8")
    assert expand_paths([str(tmp_path)]) == [str(tmp_path / "story.xhtml")]


def test_a_frameset_says_where_its_text_is(tmp_path):
    """A frameset page was "no article text", as if the article were missing; its text is in
    the frames' own files."""
    page = tmp_path / "frames.html"
    page.write_text('<!DOCTYPE html><html><head><title>Bay Courier</title></head>'
                    '<frameset cols="25%,75%"><frame src="menu.html"><frame src="story.html">'
                    "<noframes><body>Your browser does not support frames.</body></noframes>"
                    "</frameset></html>", encoding="utf-8")
    assert_one_line_error(run_plens("analyze", str(page)),
                          "frames.html: the HTML page is a frameset, whose text is in the "
                          "files of its frames (menu.html, story.html)")
