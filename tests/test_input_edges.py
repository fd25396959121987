"""Odd inputs found by QA: an empty path, FIFOs and other non-regular files, the same file named
several ways, out-of-range options. Each is one `error:` line (or a recorded failure), never a
traceback, a hang or a second copy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from corpus_helpers import analyzer_args, article_text, db_url, subprocess_env  # noqa: F401
from typer.testing import CliRunner

from persuasion_lens.cli import app

runner = CliRunner()


def one_error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: "), output
    return lines[0]


def run_plens(*args: str, cwd: Path | None = None,
              timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "persuasion_lens", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                          env=subprocess_env())


# --- an empty path ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", [
    ["analyze", ""],
    ["batch", "--db", "sqlite:///corpus.db", ""],
    ["semeval", "st1", ""],
    ["semeval", "st2", ""],
    ["semeval", "st3", "", "-o", "p.txt"],
    ["semeval", "spans", "", "-o", "p.txt"],
])
def test_an_empty_path_is_no_current_folder(tmp_path, monkeypatch, command):
    (tmp_path / "article1.txt").write_text(article_text(1), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, command)
    assert result.exit_code == 2, result.output
    assert one_error_line(result.output) == "error: the path is empty"
    assert not (tmp_path / "corpus.db").exists()


def test_semeval_documents_over_the_size_limit_are_left_out(tmp_path):
    (tmp_path / "huge.txt").write_bytes(b"x" * 21_000_000)
    result = runner.invoke(app, ["semeval", "narratives", str(tmp_path)])
    assert result.exit_code == 2
    assert "huge.txt: the file is 21 MB; the limit is 20 MB" in result.output
