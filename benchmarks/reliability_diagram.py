"""Reliability diagram of the shipped technique detector, one panel per language.

Reads the reliability tables stored in the default model's artifact (the token ensemble's
``model.json``, ``metadata.validation.<lang>.calibration``; for the linear detector's folder, its
``metadata.json``, ``languages.<lang>.validation.calibration``): the final probabilities of the
train-split fits on the validation split, over all (paragraph, technique) cells, 10 equal-width
bins. (Running the shipped model itself on the validation split would be in-sample: it is
refitted on train+validation.) Each point is a bin's mean predicted probability against its
observed rate, with a 95% Wilson interval; the grey bars (right axis, log scale) count the cells
per bin.

Usage: python benchmarks/reliability_diagram.py [--artifact DIR] [--output docs/reliability.png]
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ARTIFACT = REPO / "src" / "persuasion_lens" / "models" / "artifacts" / "techniques-token"
DEFAULT_OUTPUT = REPO / "docs" / "reliability.png"
ORDER = ["en", "fr", "de", "it", "pl", "ru"]


def wilson_interval(rate: float, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of an observed rate over n cells."""
    if n <= 0:
        return 0.0, 1.0
    centre = (rate + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(rate * (1 - rate) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def reliability_tables(artifact: Path) -> tuple[str, dict[str, dict]]:
    """The artifact's version and, per language, its stored ECE and reliability bins."""
    if (artifact / "model.json").is_file():
        meta = json.loads((artifact / "model.json").read_text(encoding="utf-8"))
        reports = meta.get("metadata", {}).get("validation", {})
    else:
        meta = json.loads((artifact / "metadata.json").read_text(encoding="utf-8"))
        reports = {code: info.get("validation", {}) for code, info in meta["languages"].items()}
    ordered = sorted(reports, key=lambda c: ORDER.index(c) if c in ORDER else len(ORDER))
    tables = {code: reports[code]["calibration"] for code in ordered
              if reports[code].get("calibration")}
    if not tables:
        raise SystemExit(f"{artifact}: no validation reliability tables in metadata.json")
    return meta.get("version", "?"), tables


def draw_panel(axis, language: str, calibration: dict) -> None:
    bins = calibration["reliability"]
    predicted = [b["mean_probability"] for b in bins]
    observed = [b["observed_rate"] for b in bins]
    intervals = [wilson_interval(b["observed_rate"], b["n"]) for b in bins]
    errors = [[o - lo for o, (lo, _) in zip(observed, intervals, strict=True)],
              [hi - o for o, (_, hi) in zip(observed, intervals, strict=True)]]
    counts = axis.twinx()
    counts.bar([(i + 0.5) / 10 for i in range(10)], _counts_by_bin(bins), width=0.09,
               color="0.85", zorder=0)
    counts.set_yscale("log")
    counts.set_ylim(1, 1e6)
    counts.set_yticks([10, 1e3, 1e5])
    counts.minorticks_off()
    counts.tick_params(labelsize=6, colors="0.5")
    axis.set_zorder(counts.get_zorder() + 1)
    axis.patch.set_visible(False)
    axis.plot([0, 1], [0, 1], linestyle="--", color="0.4", linewidth=0.8)
    axis.errorbar(predicted, observed, yerr=errors, marker="o", markersize=3, linewidth=1,
                  capsize=2, color="tab:blue")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_title(f"{language}  (ECE {calibration['ece']:.3f})", fontsize=9)
    axis.tick_params(labelsize=7)


def _counts_by_bin(bins: list[dict]) -> list[int]:
    counts = [0] * 10
    for b in bins:
        low = float(b["bin"].split("-")[0])
        counts[min(round(low * 10), 9)] = b["n"]
    return counts


def draw(artifact: Path, output: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    version, tables = reliability_tables(artifact)
    columns = 3
    rows = math.ceil(len(tables) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(9, 3 * rows), squeeze=False)
    for axis, (language, calibration) in zip(axes.flat, tables.items(), strict=False):
        draw_panel(axis, language, calibration)
    for axis in list(axes.flat)[len(tables):]:
        axis.set_visible(False)
    for axis in axes[-1]:
        axis.set_xlabel("mean predicted probability", fontsize=8)
    for axis in axes[:, 0]:
        axis.set_ylabel("observed rate", fontsize=8)
    figure.suptitle("Technique detector: reliability on the validation split (train-split "
                    f"fits; bars: cells per bin, log)\n{version}", fontsize=9)
    figure.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=90)
    plt.close(figure)
    print(f"wrote {output} ({output.stat().st_size / 1024:.0f} KB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--artifact", type=Path, default=DEFAULT_ARTIFACT)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    draw(args.artifact, args.output)


if __name__ == "__main__":
    main()
