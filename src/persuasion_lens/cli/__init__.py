"""The `plens` command line. Each command group lives in its own module and registers on `app`."""

from __future__ import annotations

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
from persuasion_lens.cli.common import app, semeval_app

app.add_typer(semeval_app, name="semeval", help="Read and write the official SemEval file formats.")


def main() -> None:
    app()


__all__ = ["app", "main"]
