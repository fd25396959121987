"""The `plens` command line. Each command group lives in its own module and registers on `app`."""

from __future__ import annotations

import importlib
import sys
from typing import Any, NoReturn

import typer
from rich.markup import escape

from persuasion_lens.cli.common import SEMEVAL_PANEL, app, error_console, semeval_app

# Importing a module registers its commands; `plens --help` lists them in this order, in the
# panel of each module's first command (analyse, corpus, models).
_COMMAND_MODULES = ("analyze", "serve", "corpus", "corpus_stats", "models", "article_eval",
                    "semeval_spans", "semeval_narratives", "transformer_train", "semeval",
                    "semeval_articles")
for _module in _COMMAND_MODULES:
    importlib.import_module(f"persuasion_lens.cli.{_module}")

app.add_typer(semeval_app, name="semeval", help="Read and write the official SemEval file formats.",
              rich_help_panel=SEMEVAL_PANEL)


def main() -> None:
    """`plens`: a bad option or argument is one `error:` line (Click draws a box of five)."""
    try:
        code = app(standalone_mode=False, prog_name="plens")
    except Exception as error:  # Click's, vendored by Typer 0.28 or not: known by class name
        _handle_click_error(error)
        raise
    sys.exit(code if isinstance(code, int) else 0)


def _handle_click_error(error: Exception) -> None:
    """Exit as Click's standalone mode would, with one line instead of its box; return for an
    exception that is not Click's."""
    kinds = {kind.__name__ for kind in type(error).__mro__}
    context = getattr(error, "ctx", None) or _parsing_context(error)
    if "NoArgsIsHelpError" in kinds:  # `plens` alone: the help, as before
        _show_help(error)
        sys.exit(error.exit_code)  # type: ignore[attr-defined]
    if "UsageError" in kinds:
        command = context.command_path if context else "plens"
        _one_line_error(f"{error.format_message()} (see '{command} --help')",  # type: ignore[attr-defined]
                        error.exit_code)  # type: ignore[attr-defined]
    if "ClickException" in kinds:
        _one_line_error(error.format_message(), error.exit_code)  # type: ignore[attr-defined]
    if "Abort" in kinds:  # Ctrl-C or end of input outside a command's own handling
        error_console.print("interrupted")
        sys.exit(130)


def _parsing_context(error: Exception) -> Any:
    """The context of the command whose arguments were being parsed when `error` was raised,
    for the errors Click's parser raises without one (an option missing its value, `-o` at
    the end): the innermost `ctx` on the error's way up, else None."""
    found = None
    traceback = error.__traceback__
    while traceback is not None:
        candidate = traceback.tb_frame.f_locals.get("ctx")
        if hasattr(candidate, "command_path"):
            found = candidate
        traceback = traceback.tb_next
    return found


def _show_help(error: Exception) -> None:
    """The help of `plens` alone: Typer's rich help printed itself when the error was made;
    Click's plain help is the error's message."""
    if text := error.format_message():  # type: ignore[attr-defined]
        typer.echo(text)


def _one_line_error(message: str, code: int) -> NoReturn:
    error_console.print(f"[bold red]error:[/] {escape(' '.join(message.split()))}",
                        highlight=False, soft_wrap=True)
    sys.exit(code)


__all__ = ["app", "main"]
