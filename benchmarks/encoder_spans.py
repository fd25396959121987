"""Fine-tune an encoder with and without the span head, and score its spans (needs a GPU to be
quick: about 4 minutes per seed for all-MiniLM-L6-v2 on English on one H200).

    python benchmarks/encoder_spans.py --data-dir ../shared/data --language en --seeds 13 14

Default encoder: all-MiniLM-L6-v2 from the `embeddings` extra. For each seed it trains as
`plens train-encoder --epochs 8 --batch-size 32 --learning-rate 8e-5 --max-length 256` does,
once with spans and once with `--no-spans`, and prints paragraph micro-F1 (thresholds tuned on
validation) and, for the span model, the span scores of `plens evaluate-spans --model` (gold and
predicted paragraph labels, beside the whole-paragraph baseline).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from persuasion_lens.cli.semeval_spans import span_evaluation_rows
from persuasion_lens.models.transformer_training import train_encoder


def default_encoder() -> str:
    from persuasion_lens.models.embeddings import minilm_directory, verify_weights

    return str(verify_weights(minilm_directory()).parent)


def run(encoder: str, data_dir: str, language: str, seed: int, spans: bool) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        detector = train_encoder(
            encoder, Path(folder) / "model", data_dir=data_dir, languages=[language],
            epochs=8, batch_size=32, learning_rate=8e-5, max_length=256, seed=seed,
            spans=spans, log=lambda line: None,
        )
        result = {
            "seed": seed,
            "spans": spans,
            "training_seconds": round(time.perf_counter() - started, 1),
            "paragraph_micro_f1": detector.metadata["validation_scores"][language]["micro_f1"],
        }
        if spans:
            result["span_decoding"] = vars(detector.span_settings)
            result["span_rows"] = [
                {k: row[k] for k in ("setting", "si_f1", "tc_f1", "baseline_si_f1",
                                     "baseline_tc_f1")}
                for row in span_evaluation_rows(data_dir, [language], detector=detector,
                                                technique_detector=detector)
            ]
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default=None, help="model folder or hub id")
    parser.add_argument("--data-dir", default="../shared/data")
    parser.add_argument("--language", default="en")
    parser.add_argument("--seeds", type=int, nargs="+", default=[13])
    args = parser.parse_args()
    encoder = args.encoder or default_encoder()
    for seed in args.seeds:
        for spans in (True, False):
            print(json.dumps(run(encoder, args.data_dir, args.language, seed, spans),
                             default=float), flush=True)


if __name__ == "__main__":
    main()
