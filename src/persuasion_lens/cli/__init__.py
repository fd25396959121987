"""The `plens` command line. Each command group lives in its own module and registers on `app`."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.markup import escape

# Importing the modules registers their commands.
from persuasion_lens.cli import analyze as _analyze  # noqa: F401
from persuasion_lens.cli import article_eval as _article_eval  # noqa: F401
from persuasion_lens.cli import corpus as _corpus  # noqa: F401
from persuasion_lens.cli import models as _models  # noqa: F401
from persuasion_lens.cli import semeval as _semeval  # noqa: F401
from persuasion_lens.cli import semeval_articles as _semeval_articles  # noqa: F401
from persuasion_lens.cli import semeval_narratives as _semeval_narratives  # noqa: F401
from persuasion_lens.cli import semeval_spans as _semeval_spans  # noqa: F401
from persuasion_lens.cli import serve as _serve  # noqa: F401
from persuasion_lens.cli import transformer_train as _transformer_train  # noqa: F401
from persuasion_lens.cli.common import app, error_console, semeval_app

app.add_typer(semeval_app, name="semeval", help="Read and write the official SemEval file formats.")


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
    context = getattr(error, "ctx", None)
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
