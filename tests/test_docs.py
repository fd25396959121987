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
