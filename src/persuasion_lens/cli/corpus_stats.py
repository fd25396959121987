"""`plens stats`: the stored corpus's numbers in the terminal (or as JSON), with the filters of
`plens report`."""

from __future__ import annotations

import io
import json
import os
import sys
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from persuasion_lens.cli.common import (
    CORPUS_PANEL,
    app,
    console,
    error_console,
    user_errors_are_one_line,
    warn,
)
from persuasion_lens.cli.corpus import (
    CATEGORY_OPTION,
    DB_OPTION,
    LANG_OPTION,
    NARRATIVE_OPTION,
    OUTLET_OPTION,
    SINCE_OPTION,
    TECHNIQUE_OPTION,
    UNTIL_OPTION,
    check_output_file,
    corpus_filters,
    open_corpus,
    warn_if_no_narratives,
)
from persuasion_lens.cli.output_checks import named_descriptor, names_stdout

FILE_WIDTH = 120  # columns of the tables written into a file


class StatsFormat(str, Enum):
    text = "text"
    json = "json"


_SUFFIXES = {StatsFormat.text: (".txt",), StatsFormat.json: (".json",)}
_WHAT = {StatsFormat.text: "the statistics are text", StatsFormat.json: "the statistics are JSON"}


@app.command("stats", rich_help_panel=CORPUS_PANEL)
@user_errors_are_one_line
def stats_command(
    output: Path | None = typer.Option(None, "--output", "-o", help="The file to write "
                                       "('-' or left out: standard output)."),
    output_format: StatsFormat | None = typer.Option(
        None, "--format", "-f", help="text (tables) or json (the data of /corpus/api/stats); "
        "default: json for a .json file, else text."),
    db: str = DB_OPTION,
    technique: str | None = TECHNIQUE_OPTION,
    category: str | None = CATEGORY_OPTION,
    outlet: str | None = OUTLET_OPTION,
    lang: str | None = LANG_OPTION,
    since: str | None = SINCE_OPTION,
    until: str | None = UNTIL_OPTION,
    narrative: str | None = NARRATIVE_OPTION,
    top: int = typer.Option(20, "--top", min=1, max=500,
                            help="Articles in the JSON's densest list."),
) -> None:
    """Show the corpus's numbers: techniques overall, by outlet and language, over time; narratives.

    JSON (--format json) is the data of /corpus/api/stats."""
    from persuasion_lens.storage.queries import stats

    filters = corpus_filters(technique, category, outlet, lang, since, until, narrative)
    output_format = _format_for(output, output_format)
    if _names_a_path(output):
        check_output_file(output, _SUFFIXES[output_format], _WHAT[output_format], name="stats",
                          db=db)
    database = open_corpus(db)
    try:
        warn_if_no_narratives(database, narrative)
        data = stats(database, filters, top=top)
    finally:
        database.dispose()
    _write(data, output, output_format)
    if not data["articles"]:
        warn(_nothing_matched(data))


def _names_a_path(output: Path | None) -> bool:
    """`-o FILE`, not standard output or an open descriptor (/dev/stdout, /dev/fd/3)."""
    return output is not None and not names_stdout(output) and named_descriptor(output) is None


def _format_for(output: Path | None, chosen: StatsFormat | None) -> StatsFormat:
    if chosen is not None:
        return chosen
    named_json = _names_a_path(output) and output.suffix.lower() == ".json"
    return StatsFormat.json if named_json else StatsFormat.text


def _nothing_matched(data: dict[str, Any]) -> str:
    if data["filters"]:
        return "nothing matched: no stored article matches the filters (check them)"
    return "the database holds no articles yet: plens batch stores them"


def _write(data: dict[str, Any], output: Path | None, output_format: StatsFormat) -> None:
    """The statistics to standard output, through an open descriptor, or into a file (then a
    line saying so)."""
    if output is None or names_stdout(output):
        if output_format == StatsFormat.json:
            typer.echo(_json_text(data))
        else:
            _print_text(data, console)
        return
    descriptor = named_descriptor(output)
    text = _json_text(data) + "\n" if output_format == StatsFormat.json else _plain_text(data)
    if descriptor is not None:
        sys.stdout.flush()
        with os.fdopen(os.dup(descriptor), "w", encoding="utf-8") as stream:
            stream.write(text)
        return
    output.write_text(text, encoding="utf-8")
    # into a named pipe, the line would be read as part of the statistics
    said_on = console if output.is_file() else error_console
    said_on.print(f"wrote {output}", soft_wrap=True, highlight=False)


def _json_text(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def _plain_text(data: dict[str, Any]) -> str:
    """The tables as plain text (no colours), FILE_WIDTH columns wide."""
    buffer = io.StringIO()
    _print_text(data, Console(file=buffer, width=FILE_WIDTH, color_system=None,
                              force_terminal=False, highlight=False))
    return buffer.getvalue()


def _print_text(data: dict[str, Any], out: Console) -> None:
    from persuasion_lens.reporting.corpus_terminal import print_corpus_stats

    print_corpus_stats(data, out)
