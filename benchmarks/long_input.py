"""Time and peak memory of `plens analyze` on one book-length input.

The input is every English SemEval-2023 training article joined into one file (about 2.5 MB,
9,498 paragraphs; written to a temporary folder, never to the repository). Each case runs in a
fresh process, and a small parent process reports that child's peak resident memory.

Usage: python benchmarks/long_input.py [--data-dir ../shared/data] [--narratives]
(to compare with another checkout: PYTHONPATH=OTHER/src python benchmarks/long_input.py)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _articles import DEFAULT_DATA

# the parent of one `plens` process: its wall time and the child's peak memory, as JSON
PLENS = "import sys; from persuasion_lens.cli import main; sys.argv[0] = 'plens'; main()"
MEASURE = (
    "import json, resource, subprocess, sys, time\n"
    "began = time.perf_counter()\n"
    f"subprocess.run([sys.executable, '-c', {PLENS!r}, *sys.argv[1:]], check=True,\n"
    "               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "seconds = time.perf_counter() - began\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(json.dumps({'seconds': seconds, 'peak_mb': peak}))\n"
)


def joined_articles(data_dir: Path, target: Path) -> tuple[int, int]:
    """Write the English training articles as one text; (bytes, paragraphs)."""
    folder = data_dir / "semeval2023-task3" / "en" / "train-articles-subtask-3"
    texts = [path.read_text(encoding="utf-8").strip() for path in sorted(folder.glob("*.txt"))]
    text = "\n\n".join(texts)
    target.write_text(text, encoding="utf-8")
    paragraphs = sum(1 for line in text.splitlines() if line.strip())
    return len(text.encode("utf-8")), paragraphs


def measure(arguments: list[str]) -> dict:
    done = subprocess.run([sys.executable, "-c", MEASURE, *arguments], capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--narratives", action="store_true",
                        help="also measure `--narratives` (about half a minute more)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        long_file = Path(tmp) / "english-articles-joined.txt"
        size, paragraphs = joined_articles(args.data_dir, long_file)
        print(f"input: {size / 1e6:.1f} MB, {paragraphs:,} paragraphs in one file")
        cases = {"plens analyze": []}
        if args.narratives:
            cases["plens analyze --narratives"] = ["--narratives"]
        for name, extra in cases.items():
            result = measure(["analyze", str(long_file), "--lang", "en", "--format", "json",
                              "-o", str(Path(tmp) / "out.json"), *extra])
            print(f"{name:28} {result['seconds']:6.1f} s, peak {result['peak_mb']:5.0f} MB")


if __name__ == "__main__":
    main()
