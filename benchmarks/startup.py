"""Start-up cost of the `plens` command: wall time of fresh processes, and the heavy libraries
they import.

Times, best of N fresh processes each: `plens --help`; `plens analyze` on the project's small
example (models loaded, one article analysed); the same with `--narratives`; and `plens semeval
st3 --lang en` over the English unlabelled test articles when the data is there. Then lists
which of scikit-learn, pandas, scipy.stats, torch, matplotlib, SQLAlchemy and FastAPI an
`analyze --narratives` process imported (analysis needs none of them).

Usage: python benchmarks/startup.py [--repeat 3] [--data-dir ../shared/data]
(to compare with another checkout: PYTHONPATH=OTHER/src python benchmarks/startup.py)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _articles import DEFAULT_DATA, write_article_folder

EXAMPLE = Path(__file__).parents[1] / "examples" / "harbour-bridge-opinion-en.txt"
HEAVY = ("sklearn", "pandas", "scipy.stats", "torch", "matplotlib", "sqlalchemy", "fastapi")
RUN_PLENS = (
    "import sys\n"
    "from persuasion_lens.cli import main\n"
    "sys.argv = ['plens', *sys.argv[1:]]\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
    f"print('imported:', *[m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)\n"
)


def fresh_process(arguments: list[str]) -> tuple[float, str]:
    """(wall seconds, the line naming the heavy modules imported) of one `plens` process."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", RUN_PLENS, *arguments], capture_output=True,
                          text=True, check=True)
    seconds = time.perf_counter() - started
    return seconds, done.stderr.strip().splitlines()[-1]


def best_of(repeat: int, arguments: list[str]) -> tuple[float, str]:
    runs = [fresh_process(arguments) for _ in range(repeat)]
    return min(seconds for seconds, _ in runs), runs[-1][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        cases = {
            "plens --help": ["--help"],
            "plens analyze EXAMPLE": ["analyze", str(EXAMPLE)],
            "plens analyze EXAMPLE --narratives": ["analyze", str(EXAMPLE), "--narratives"],
        }
        english = Path(tmp) / "english"
        if (args.data_dir / "semeval2023-task3" / "test-unlabelled").is_dir():
            everything = Path(tmp) / "all"
            write_article_folder(everything, args.data_dir)
            english.mkdir()
            for path in everything.glob("articleen-*.txt"):
                path.rename(english / path.name)
            cases["plens semeval st3 ENGLISH --lang en"] = [
                "semeval", "st3", str(english), "--lang", "en", "-o", str(Path(tmp) / "p.txt")]
        imported = ""
        for name, arguments in cases.items():
            seconds, modules = best_of(args.repeat, arguments)
            print(f"{name:40} {seconds:5.2f} s (best of {args.repeat} fresh processes)")
            if "--narratives" in arguments:
                imported = modules
        print(f"heavy libraries an analyze --narratives process imported: "
              f"{imported.removeprefix('imported:').strip() or 'none'}")


if __name__ == "__main__":
    main()
