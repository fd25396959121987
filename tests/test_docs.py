"""The documentation against the code, as a new user meets it: the keys README.md's JSON contract
names, the options its commands use, and the links between the documents."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from persuasion_lens.cli import app

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
DOCUMENTS = [README, *sorted((REPO / "docs").glob("*.md"))]
# the documents whose shell examples a user copies: every `plens` line of their code blocks
COMMAND_DOCUMENTS = [README, *(REPO / "docs" / name for name in (
    "corpus.md", "web.md", "narratives.md", "spans.md", "transformers.md", "embeddings.md",
    "MODEL_CARD.md"))]

runner = CliRunner()


def _code_blocks(text: str, language: str | None = None) -> list[str]:
    """The fenced code blocks of a Markdown text (of one language, when given)."""
    blocks = re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M)
    return [body for tag, body in blocks if language is None or tag == language]


def _json_contract_keys() -> set[str]:
    """Every key the README's JSON contract example names."""
    section = README.read_text(encoding="utf-8").split("### JSON contract", 1)[1]
    example = _code_blocks(section, "json")[0]
    return set(re.findall(r'"(\w+)":', example))


def _keys(data: dict, nested: tuple[str, ...]) -> set[str]:
    """The keys of an analysis result, its summary, paragraphs, techniques and spans."""
    keys = set(data) | set(data["summary"])
    for paragraph in data.get("paragraphs", []):
        keys |= set(paragraph)
        for name in nested:
            for item in paragraph[name]:
                keys |= set(item)
    return keys


def test_the_json_contract_names_every_key_of_plens_analyze_json(project_example: Path) -> None:
    """README's JSON contract left out `source`, `id` and `language_detected`, which every
    `plens analyze --format json` output has."""
    result = runner.invoke(app, ["analyze", str(project_example), "--format", "json"])
    assert result.exit_code == 0, result.output
    produced = _keys(json.loads(result.stdout), ("techniques", "spans"))

    undocumented = produced - _json_contract_keys()

    assert not undocumented, f"README's JSON contract does not show {sorted(undocumented)}"


def test_the_readme_names_the_keys_narratives_and_summary_add(seed_example: Path) -> None:
    result = runner.invoke(app, ["analyze", str(seed_example), "--narratives", "--summary",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    plain = runner.invoke(app, ["analyze", str(seed_example), "--format", "json"])
    added = set(json.loads(result.stdout)) - set(json.loads(plain.stdout))
    full = runner.invoke(app, ["analyze", str(seed_example), "--narratives", "--format", "json"])
    added |= set(json.loads(full.stdout)) - set(json.loads(plain.stdout))
    readme = README.read_text(encoding="utf-8")

    unnamed = {key for key in added if f"`{key}`" not in readme}

    assert added and not unnamed, f"README does not name {sorted(unnamed)}"


def _plens_lines(text: str) -> list[str]:
    """The `plens` command lines of a document's shell code blocks, comments cut, continued
    lines joined."""
    lines = []
    for block in _code_blocks(text):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("  #")[0].strip()
            if line.startswith("cat ") and "| plens " in line:
                line = line.split("| ", 1)[1]
            if line.startswith("plens "):
                lines.append(line)
    return lines


def _command(words: list[str]) -> tuple[Any, list[str]]:
    """The Click command a `plens` line runs, and the words after its name. (Typer may vendor
    Click: groups are known by their `commands`, not by class.)"""
    command = typer.main.get_command(app)
    rest = words[1:]
    while hasattr(command, "commands") and rest and rest[0] in command.commands:
        command, rest = command.commands[rest[0]], rest[1:]
    return command, rest


def _documented_commands() -> list[tuple[str, str]]:
    return [(path.name, line) for path in COMMAND_DOCUMENTS
            for line in _plens_lines(path.read_text(encoding="utf-8"))]


@pytest.mark.parametrize(("document", "line"), _documented_commands())
def test_every_option_a_documented_command_uses_exists(document: str, line: str) -> None:
    words = shlex.split(line.replace("…", "x").replace("[", " ").replace("]", " "))
    command, rest = _command(words)
    assert not hasattr(command, "commands"), f"{document}: `{line}` names no command"
    known = {name for parameter in command.params for name in parameter.opts
             + getattr(parameter, "secondary_opts", [])}

    unknown = [word.split("=")[0] for word in rest
               if word.startswith("-") and word != "-" and word.split("=")[0] not in known]

    assert not unknown, f"{document}: `{line}`: {command.name} has no option {unknown}"


def _anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    text = re.sub(r"[`*]", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {_anchor(heading) for heading in re.findall(r"^#+\s+(.*)$", text, flags=re.M)}


def test_every_link_between_the_documents_resolves() -> None:
    broken = []
    for path in DOCUMENTS:
        for link in re.findall(r"\]\(([^)\s]+)\)", path.read_text(encoding="utf-8")):
            if re.match(r"\w+://", link):
                continue
            target_name, _, anchor = link.partition("#")
            target = (path.parent / target_name).resolve() if target_name else path
            if not target.exists():
                broken.append(f"{path.name}: {link} (no such file)")
            elif anchor and target.suffix == ".md" and anchor not in _anchors(target):
                broken.append(f"{path.name}: {link} (no such heading)")

    assert not broken, broken


def _section(path: Path, heading: str) -> str:
    """The text of a document from a heading to the next heading of any level."""
    text = path.read_text(encoding="utf-8").split(heading, 1)[1]
    return re.split(r"^#+ ", text, maxsplit=1, flags=re.M)[0]


def _report(arguments: list[str], columns: int, monkeypatch: pytest.MonkeyPatch) -> str:
    """What `plens analyze` prints from the repository root in a terminal this wide."""
    monkeypatch.chdir(REPO)
    result = runner.invoke(app, ["analyze", *arguments], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_what_it_shows_is_what_plens_analyze_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    """README's "What it shows" block is the output of its command, as a user sees it in a
    terminal 100 columns wide."""
    shown = _code_blocks(_section(README, "## What it shows"), "text")[0]
    command = re.search(r"`plens analyze ([^`]+)`", _section(README, "## What it shows"))
    assert command, "README's What it shows names no command"

    printed = _report(shlex.split(command.group(1)), 100, monkeypatch)

    assert [line.rstrip() for line in printed.splitlines()] == shown.splitlines()


def test_the_uses_readme_counts_for_the_linear_model_are_found(
        monkeypatch: pytest.MonkeyPatch) -> None:
    claim = re.search(r"`--model linear` is more recall-oriented.*?\((\d+) uses",
                      _section(README, "## What it shows"), flags=re.S)
    assert claim, "README no longer counts the uses of --model linear"

    printed = _report(["examples/harbour-bridge-opinion-en.txt", "--model", "linear"], 100,
                      monkeypatch)

    assert f"Found    {claim.group(1)} technique uses" in printed


def _words(text: str) -> str:
    return " ".join(text.split())


def _narrative_lines(printed: str) -> str:
    """The summary box's lines from `Narrative` to the line that counts the other names, without
    the box, the word "experimental" after each (which the documents leave out) and wrapping."""
    lines = [line.strip().strip("│").strip() for line in printed.splitlines()]
    start = next(n for n, line in enumerate(lines) if line.startswith("Narrative"))
    end = next(n for n, line in enumerate(lines) if "other names found" in line)
    return _words("\n".join(line.removesuffix(" experimental") for line in lines[start:end + 1]))


@pytest.mark.parametrize(("document", "heading"), [
    (README, "## Narratives and roles"), (REPO / "docs" / "narratives.md", "## Worked example")])
def test_the_worked_example_is_what_plens_analyze_narratives_prints(
        document: Path, heading: str, seed_example: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    shown = _code_blocks(_section(document, heading))[0]

    printed = _report([str(seed_example), "--narratives"], 400, monkeypatch)

    assert _narrative_lines(printed) == _words(shown), f"{document.name}: {heading}"


def test_every_key_the_json_contract_names_is_in_plens_analyze_json(
        project_example: Path) -> None:
    """The converse of the first test: a key shown in the contract that the output lost."""
    result = runner.invoke(app, ["analyze", str(project_example), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    produced = _keys(data, ("techniques", "spans")) | set(data["genre"])
    produced |= {key for frame in data["frames"] for key in frame}
    produced |= set(data["summary"]["techniques"])  # technique names, shown as keys there

    missing = _json_contract_keys() - produced

    assert not missing, f"README's JSON contract shows {sorted(missing)}, which are not produced"


def _serve_options_table() -> dict[str, str]:
    """`docs/web.md`'s table of `plens serve` options: each option's names -> its default."""
    rows = re.findall(r"^\| (`--[^|]+) \| ([^|]+) \|", (REPO / "docs" / "web.md").read_text(
        encoding="utf-8"), flags=re.M)
    return {names: default.strip() for names, default in rows}


def test_the_web_options_table_names_every_serve_option_and_its_default() -> None:
    serve, _ = _command(["plens", "serve"])
    documented: dict[str, str] = {}
    for names, default in _serve_options_table().items():
        for name in re.findall(r"`(-[-\w]+)", names):
            documented[name] = default
    wrong = []
    for parameter in serve.params:
        if parameter.name == "help" or not parameter.opts:
            continue
        default = documented.get(parameter.opts[0])
        if default is None:
            wrong.append(f"{parameter.opts[0]} is not in the table")
        elif default.startswith("`") and default.strip("`") != str(parameter.default):
            wrong.append(f"{parameter.opts[0]}: the table says {default}, "
                         f"the default is {parameter.default}")
        wrong += [f"{name} is not an option" for name in parameter.opts[1:] if name not in
                  documented]
    wrong += [f"{name} is not an option of plens serve" for name in documented
              if not any(name in parameter.opts for parameter in serve.params)]

    assert not wrong, wrong


def _pyproject_extras() -> set[str]:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    section = text.split("[project.optional-dependencies]", 1)[1].split("\n[", 1)[0]
    return set(re.findall(r"^([\w-]+)\s*=", section, flags=re.M))


def test_every_extra_and_script_the_documents_name_exists() -> None:
    """`pip install 'persuasion-lens[X]'`, `python benchmarks/X.py` and `python -m X` in the
    documents name extras, scripts and modules the project has."""
    extras, missing = _pyproject_extras(), []
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        for names in re.findall(r"persuasion-lens\[([\w,-]+)\]|'\.\[([\w,-]+)\]'", text):
            missing += [f"{path.name}: extra {name}" for group in names for name in
                        group.split(",") if name and name not in extras]
        for script in re.findall(r"python ((?:benchmarks|tests)/[\w/]+\.py)", text):
            if not (REPO / script).exists():
                missing.append(f"{path.name}: {script}")
        for module in re.findall(r"python -m (persuasion_lens[\w.]*)", text):
            module_path = REPO / "src" / module.replace(".", "/")
            if not (module_path.with_suffix(".py").exists()
                    or (module_path / "__main__.py").exists()):
                missing.append(f"{path.name}: module {module}")

    assert not missing, missing


def _stats_of_the_examples(tmp_path: Path, *batch_options: str) -> list[str]:
    """What `plens stats` prints, 100 columns wide, after `plens batch examples/` (with
    `batch_options`), its lines without the spaces that end them."""
    url = f"sqlite:///{tmp_path / 'examples.db'}"
    stored = runner.invoke(app, ["batch", str(REPO / "examples"), "--db", url, "--no-progress",
                                 *batch_options])
    assert stored.exit_code == 0, stored.output
    result = runner.invoke(app, ["stats", "--db", url], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    return [line.rstrip() for line in result.stdout.splitlines()]


def test_the_readme_stats_block_is_what_plens_stats_prints(tmp_path: Path) -> None:
    section = _section(README, "## Corpus mode")
    assert "`plens batch examples/ --db sqlite:///examples.db`, `plens stats --db " \
        "sqlite:///examples.db`" in _words(section)
    shown = _code_blocks(section, "text")[0]

    assert _stats_of_the_examples(tmp_path) == shown.splitlines()


def test_the_corpus_guide_stats_block_is_what_plens_stats_prints(tmp_path: Path) -> None:
    guide = (REPO / "docs" / "corpus.md").read_text(encoding="utf-8")
    block = re.search(r"--narratives`, the narrative part of `plens stats --db "
                      r"sqlite:///examples.db` reads.*?\n  ```text\n(.*?)\n  ```", guide, re.S)
    assert block, "docs/corpus.md shows no plens stats block"
    shown = [line.removeprefix("  ") for line in block.group(1).splitlines()]

    printed = _stats_of_the_examples(tmp_path, "--narratives")

    assert printed[printed.index(shown[0]):] == shown


def test_the_transformer_smoke_run_trains_on_the_data_its_snippet_reads() -> None:
    """The snippet built the tiny encoder from `data`, but the command after it named no
    --data-dir, so it looked in ../shared/data and stopped there."""
    text = (REPO / "docs" / "transformers.md").read_text(encoding="utf-8")
    read = {folder for block in _code_blocks(text, "python")
            for folder in re.findall(r'load_technique_articles\("([^"]+)"', block)}
    assert read, "the smoke run's snippet no longer reads training data"
    smoke = [line for line in _plens_lines(text) if "--encoder ./tiny-bert" in line]
    assert smoke, "no smoke run trains the tiny encoder"
    for line in smoke:
        words = shlex.split(line)
        assert "--data-dir" in words, f"`{line}` names no --data-dir (the snippet reads {read})"
        assert {words[words.index("--data-dir") + 1]} == read, line
