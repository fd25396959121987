"""The `plens` command line. Each command group lives in its own module and registers on `app`."""

from __future__ import annotations

from persuasion_lens.cli.common import app, semeval_app

# Importing the modules registers their commands.
from persuasion_lens.cli import analyze as _analyze  # noqa: F401,E402
from persuasion_lens.cli import semeval as _semeval  # noqa: F401,E402

app.add_typer(semeval_app, name="semeval", help="Read and write the official SemEval file formats.")


def main() -> None:
    app()


__all__ = ["app", "main"]
