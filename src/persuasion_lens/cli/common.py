"""Shared pieces of the command line: the Typer apps, the console, one-line errors."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from persuasion_lens.text.languages import UnknownLanguageError
from persuasion_lens.text.reading import InputError

app = typer.Typer(
    name="plens",
    help="persuasion-lens: shows how news and opinion articles try to persuade.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
semeval_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)

# The panels of `plens --help`, in the order cli/__init__.py registers their first commands.
ANALYSE_PANEL = "Analyse articles"
CORPUS_PANEL = "Corpus: store, search, report"
MODELS_PANEL = "Train and evaluate the models"
SEMEVAL_PANEL = "SemEval file formats"



class _Console(Console):
    def on_broken_pipe(self) -> None:
        """The reader of our output (`| head`) stopped early: that is not a failure."""
        _quiet_closed_stdout()
        raise SystemExit(0)


console = _Console()
error_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

# The exit status when the output was written but some inputs could not be read or analysed
# (bad input on its own, or bad options, exit with 2).
SOME_INPUTS_SKIPPED = 1

# The models that --model names besides a folder (plens analyze --help says what each is).
OTHER_MODELS = "or 'linear', 'embeddings' or 'crosslingual' (see plens analyze --help)"

# Errors a user can cause; they become one red line and exit code 2 instead of a traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (
    InputError,
    UnknownLanguageError,
    OSError,  # missing files, permissions, a model hub that cannot be reached
    ValueError,
)


def fail(message: str, code: int = 2) -> NoReturn:
    error_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    error_console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)


def scored_rows(rows: list[dict[str, Any]], said: set[str] | None = None
                ) -> list[dict[str, Any]]:
    """The evaluation rows of the languages scored. A language that could not be (a row with
    `not_scored`, its reason) is one warning line, said once where `said` collects the lines
    said already; when no language could be, the reasons are the error."""
    reasons = [row["not_scored"] for row in rows if row.get("not_scored")]
    scored = [row for row in rows if not row.get("not_scored")]
    if reasons and not scored:
        raise ValueError("; ".join(reasons))
    for reason in reasons:
        if said is None or reason not in said:
            warn(reason)
        if said is not None:
            said.add(reason)
    return scored


def exit_if_not_scored(rows: list[dict[str, Any]]) -> None:
    """Exit with SOME_INPUTS_SKIPPED when a language asked for was not scored."""
    if any(row.get("not_scored") for row in rows):
        raise typer.Exit(SOME_INPUTS_SKIPPED)


def _quiet_closed_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit does not raise again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def user_errors_are_one_line(func: F) -> F:
    """Turn expected failures into `error: ...` on stderr and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:  # an OSError, but the reader (`| head`) just stopped early
            _quiet_closed_stdout()
            sys.exit(0)
        except USER_ERRORS as error:
            fail(str(error).replace("\n", " "))
        except KeyboardInterrupt:
            error_console.print("interrupted")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]
