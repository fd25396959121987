"""Fine-tune a Hugging Face encoder on the SemEval-2023 paragraphs (`plens train-encoder`).

The encoder is named by the user (a hub id, read from the local Hugging Face cache when it is
there and otherwise downloaded by transformers, or a local folder; see `hub`); this code
downloads nothing itself. Training uses the `train` split; the thresholds are then
tuned on the `validation` split (one set per language with validation data, shrunk towards the
language's global threshold, plus a `default` set tuned on all languages for the others).
Runs on the GPU when there is one (bf16 autocast), otherwise on the CPU.

With spans (the default) a token head is trained in the same passes (`transformer_spans`): its
loss, over the paragraph's tokens and the techniques the paragraph carries, is added to the
paragraph loss; its decoding threshold and gap are then tuned on the validation split with gold
paragraph labels, for the mean of the two span F1 scores (as the shipped span model's are).
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from persuasion_lens.models.hub import from_cache_first
from persuasion_lens.models.metrics import label_matrix, score_matrices
from persuasion_lens.models.span_metrics import (
    span_identification_scores,
    technique_span_scores,
)
from persuasion_lens.models.span_training import GAPS, THRESHOLDS
from persuasion_lens.models.spans import DecodeSettings
from persuasion_lens.models.technique_training import tune_thresholds
from persuasion_lens.models.transformer import (
    DEFAULT_THRESHOLD_KEY,
    TransformerDetector,
    encode_batch,
    forward,
    import_torch_stack,
    paragraph_inputs,
    pick_device,
    predict_outputs,
)
from persuasion_lens.models.transformer_spans import (
    TokenScores,
    decode_paragraph,
    make_span_head,
    token_targets,
)
from persuasion_lens.taxonomy import TECHNIQUE_NAMES


def _examples(articles: Sequence[Any], use_title: bool) -> tuple[list[str], list[str], np.ndarray]:
    texts, pairs = paragraph_inputs([a.document for a in articles], use_title)
    labels = label_matrix([lab for a in articles for lab in a.paragraph_labels], TECHNIQUE_NAMES)
    return texts, pairs, labels.astype(np.float32)


def _paragraph_gold_spans(articles: Sequence[Any]) -> list[list[tuple[int, int, int]]]:
    """Per paragraph (in `_examples` order): (technique column, start, end) of the gold spans
    that overlap it, offsets relative to the paragraph and clipped to it."""
    column = {t: k for k, t in enumerate(TECHNIQUE_NAMES)}
    result = []
    for article in articles:
        for paragraph in article.document.paragraphs:
            result.append([
                (column[s.technique], max(s.start, paragraph.start) - paragraph.start,
                 min(s.end, paragraph.end) - paragraph.start)
                for s in article.spans
                if s.technique in column and s.start < paragraph.end and paragraph.start < s.end
            ])
    return result


def model_version(encoder: str, model: Any, span_head: Any = None) -> str:
    """`transformer-ENCODER-DIGEST`: the encoder's name and the first 8 hex digits of the
    sha256 of the fine-tuned weights, so that two models fine-tuned from one encoder are told
    apart in stored results, /api/info and the check that Dask workers load the same model."""
    digest = hashlib.sha256()
    for module in (model, span_head):
        if module is None:
            continue
        for name, tensor in sorted(module.state_dict().items()):
            digest.update(name.encode("utf-8"))
            digest.update(tensor.detach().float().cpu().numpy().tobytes())
    return f"transformer-{Path(str(encoder).rstrip('/')).name}-{digest.hexdigest()[:8]}"


def _encoder_with_new_head(transformers: Any, encoder: str) -> Any:
    """The encoder with a freshly initialised multi-label head; transformers' load report,
    which lists that head as missing weights (and a pretraining head as unused ones), is
    what fine-tuning expects, so it is not shown."""
    verbosity = transformers.utils.logging.get_verbosity()
    transformers.utils.logging.set_verbosity_error()
    try:
        return from_cache_first(
            transformers.AutoModelForSequenceClassification.from_pretrained,
            encoder,
            num_labels=len(TECHNIQUE_NAMES),
            problem_type="multi_label_classification",
            id2label=dict(enumerate(TECHNIQUE_NAMES)),
            label2id={t: i for i, t in enumerate(TECHNIQUE_NAMES)},
            ignore_mismatched_sizes=True,
        )
    finally:
        transformers.utils.logging.set_verbosity(verbosity)


def train_encoder(
    encoder: str,
    output: Path,
    data_dir: str | Path | None = None,
    languages: Sequence[str] | None = None,
    epochs: float = 3.0,
    max_steps: int | None = None,
    batch_size: int = 16,
    learning_rate: float = 2e-5,
    weight_decay: float = 0.01,
    warmup_ratio: float = 0.1,
    max_length: int = 256,
    use_title: bool = True,
    device: str | None = None,
    seed: int = 13,
    max_articles: int | None = None,
    spans: bool = True,
    span_weight: float = 1.0,
    log: Callable[[str], None] = print,
) -> TransformerDetector:
    """Fine-tune `encoder` (with a span head unless `spans` is false) and save a technique
    model folder to `output`."""
    from persuasion_lens.data.semeval2023 import TRAINING_LANGUAGES, load_technique_articles

    torch, transformers = import_torch_stack()
    local = Path(str(encoder)).expanduser()
    if str(encoder).startswith((".", "/", "~")) and not local.is_dir():
        raise FileNotFoundError(f"{encoder}: no model folder here")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    device = pick_device(device)
    languages = list(languages or TRAINING_LANGUAGES)
    articles = load_technique_articles(data_dir, languages)
    if max_articles:  # a quick run on a subset, the same share of each split
        rng = random.Random(seed)
        rng.shuffle(articles)
        articles = articles[:max_articles]
    train = [a for a in articles if a.split == "train"]
    validation = [a for a in articles if a.split == "validation"]
    if not train:
        raise ValueError("no training articles found for " + ", ".join(languages))
    texts, pairs, labels = _examples(train, use_title)
    log(f"{len(train)} training articles, {len(texts)} paragraphs, {len(validation)} validation "
        f"articles; device {device}")

    tokenizer = from_cache_first(transformers.AutoTokenizer.from_pretrained, encoder)
    model = _encoder_with_new_head(transformers, encoder).float().to(device)  # float32 even
    # from a half-precision checkpoint
    log(f"fine-tuning {encoder} with a new head for the {len(TECHNIQUE_NAMES)} techniques")
    if spans and not getattr(tokenizer, "is_fast", False):
        log("this tokenizer gives no character offsets (not a fast tokenizer): no spans")
        spans = False
    span_head = (make_span_head(torch, model.config.hidden_size, len(TECHNIQUE_NAMES))
                 .float().to(device) if spans else None)
    gold_spans = _paragraph_gold_spans(train) if spans else []

    steps_per_epoch = math.ceil(len(texts) / batch_size)
    total_steps = max(1, math.ceil(epochs * steps_per_epoch))
    if max_steps is not None:
        total_steps = min(total_steps, max_steps)
    no_decay = ("bias", "LayerNorm.weight", "layer_norm.weight", "norm.weight")
    named = list(model.named_parameters())
    if span_head is not None:
        named += [(f"span_head.{n}", p) for n, p in span_head.named_parameters()]
    groups = [
        {"params": [p for n, p in named if not n.endswith(no_decay)],
         "weight_decay": weight_decay},
        {"params": [p for n, p in named if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=learning_rate)
    scheduler = transformers.get_linear_schedule_with_warmup(
        optimizer, int(warmup_ratio * total_steps), total_steps
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    use_bf16 = device.startswith("cuda") and torch.cuda.is_bf16_supported()

    model.train()
    if span_head is not None:
        span_head.train()
    parameters = [p for _, p in named]
    step, started, running = 0, time.time(), 0.0
    generator = np.random.default_rng(seed)
    while step < total_steps:
        order = generator.permutation(len(texts))
        for begin in range(0, len(order), batch_size):
            if step >= total_steps:
                break
            rows = order[begin:begin + batch_size]
            batch = encode_batch(
                tokenizer, [texts[i] for i in rows], [pairs[i] for i in rows], max_length,
                offsets=span_head is not None,
            )
            target = torch.from_numpy(labels[rows]).to(device)
            token_target = (token_targets(batch, [gold_spans[i] for i in rows], labels[rows])
                            if span_head is not None else None)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=use_bf16):
                logits, token_logits = forward(model, span_head, batch.to(device))
            loss = loss_fn(logits.float(), target)
            if token_logits is not None:
                loss = loss + span_weight * _token_loss(torch, token_logits, *token_target)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            value = float(loss.detach())
            running = 0.9 * running + 0.1 * value if step > 1 else value
            if step % 50 == 0 or step == total_steps:
                log(f"step {step}/{total_steps}  loss {running:.4f}  "
                    f"{time.time() - started:.0f}s")

    texts_val, pairs_val = paragraph_inputs([a.document for a in validation], use_title)
    probabilities_val, tokens_val = predict_outputs(
        model, span_head, tokenizer, texts_val, pairs_val, max_length, batch_size * 2, device
    )
    thresholds, scores = tune_on_validation(probabilities_val, validation, log)
    span_settings, span_scores = None, {}
    if span_head is not None:
        span_settings, span_scores = tune_span_decoding(tokens_val, validation, log)
    detector = TransformerDetector(
        model,
        tokenizer,
        TECHNIQUE_NAMES,
        thresholds,
        sorted({a.language for a in train}),
        max_length=max_length,
        use_title=use_title,
        device=device,
        version=model_version(encoder, model, span_head),
        metadata={
            "encoder": str(encoder),
            "languages": languages,
            "steps": step,
            "batch_size": batch_size,
            "learning_rate": learning_rate,
            "max_length": max_length,
            "train_paragraphs": len(texts),
            "validation_scores": scores,
            "span_validation_scores": span_scores,
            "span_weight": span_weight if span_head is not None else None,
            "note": "validation scores use thresholds tuned on the same validation split",
        },
        span_head=span_head,
        span_settings=span_settings,
    )
    detector.save(Path(output))
    log(f"saved to {output}")
    return detector


def _token_loss(torch: Any, token_logits: Any, targets: np.ndarray, mask: np.ndarray) -> Any:
    """Binary cross-entropy of the token head over the paragraph tokens and the techniques
    each paragraph carries (`transformer_spans.token_targets`; 0 for a batch without labelled
    paragraphs)."""
    targets_t = torch.from_numpy(targets).to(token_logits.device)
    mask_t = torch.from_numpy(mask).to(token_logits.device)
    losses = torch.nn.functional.binary_cross_entropy_with_logits(
        token_logits.float(), targets_t, reduction="none")
    return (losses * mask_t).sum() / mask_t.sum().clamp(min=1.0)


def tune_on_validation(
    probabilities: np.ndarray,
    validation: Sequence[Any],
    log: Callable[[str], None] = print,
    shrinkage: float = 30.0,
) -> tuple[dict[str, np.ndarray], dict[str, dict[str, float | int]]]:
    """Thresholds per language (+ `default`) and the validation scores they give, from the
    model's probabilities for the validation paragraphs."""
    n = len(TECHNIQUE_NAMES)
    if not validation:
        log("no validation articles: thresholds left at 0.5")
        return {DEFAULT_THRESHOLD_KEY: np.full(n, 0.5)}, {}
    gold = label_matrix([lab for a in validation for lab in a.paragraph_labels],
                        TECHNIQUE_NAMES).astype(bool)
    language_of_row = np.array(
        [a.language for a in validation for _ in a.document.paragraphs]
    )
    default = tune_thresholds(probabilities, gold, shrinkage)
    thresholds = {DEFAULT_THRESHOLD_KEY: default}
    scores: dict[str, dict[str, float | int]] = {}
    predicted = np.zeros_like(gold)
    for language in sorted({str(code) for code in language_of_row}):
        rows = language_of_row == language
        thresholds[language] = tune_thresholds(probabilities[rows], gold[rows], shrinkage)
        predicted[rows] = probabilities[rows] >= thresholds[language]
        scores[language] = score_matrices(gold[rows], predicted[rows]).to_dict()
        log(f"validation {language}: micro-F1 {scores[language]['micro_f1']:.3f}")
    scores["all"] = score_matrices(gold, predicted).to_dict()
    return thresholds, scores


def tune_span_decoding(
    tokens: list[TokenScores | None],
    validation: Sequence[Any],
    log: Callable[[str], None] = print,
) -> tuple[DecodeSettings, dict[str, dict[str, float]]]:
    """The decoding threshold and gap with the best mean of technique-aware and
    identification span F1 on the validation split (gold paragraph labels), and its scores per
    language, from the token head's scores for the validation paragraphs."""
    if not validation:
        log("no validation articles: span decoding left at its defaults")
        return DecodeSettings(), {}
    labelled = _labelled_paragraphs(validation, tokens)
    gold = {a.article_id: [(s.technique, s.start, s.end) for s in a.spans] for a in validation}
    best, best_score = DecodeSettings(), -1.0
    for threshold in THRESHOLDS:
        for gap in GAPS:
            settings = DecodeSettings(threshold, gap)
            predicted = _decoded_spans(labelled, settings)
            score = (technique_span_scores(predicted, gold).f1
                     + span_identification_scores(predicted, gold).f1) / 2
            if score > best_score + 1e-9:
                best, best_score = settings, score
    predicted = _decoded_spans(labelled, best)
    scores = {}
    for language in [*sorted({a.language for a in validation}), "all"]:
        ids = {a.article_id for a in validation if language in ("all", a.language)}
        gold_l = {k: v for k, v in gold.items() if k in ids}
        predicted_l = {k: v for k, v in predicted.items() if k in ids}
        scores[language] = {
            "tc_f1": technique_span_scores(predicted_l, gold_l).f1,
            "si_f1": span_identification_scores(predicted_l, gold_l).f1,
        }
        log(f"validation spans {language} (gold paragraph labels): technique-aware F1 "
            f"{scores[language]['tc_f1']:.3f}, identification F1 {scores[language]['si_f1']:.3f}")
    log(f"span decoding: threshold {best.threshold}, gap {best.gap}")
    return best, scores


def _labelled_paragraphs(
    articles: Sequence[Any], tokens: list[TokenScores | None]
) -> list[tuple[str, Any, list[str], TokenScores]]:
    """(article id, paragraph, gold techniques, token scores) of the labelled paragraphs."""
    result, row = [], 0
    for article in articles:
        labels = list(article.paragraph_labels or [])
        for index, paragraph in enumerate(article.document.paragraphs):
            scores = tokens[row]
            row += 1
            if index < len(labels) and labels[index] and scores is not None:
                result.append((article.article_id, paragraph, sorted(labels[index]), scores))
    return result


def _decoded_spans(
    labelled: list[tuple[str, Any, list[str], TokenScores]], settings: DecodeSettings
) -> dict[str, list[tuple[str, int, int]]]:
    column_of = {t: k for k, t in enumerate(TECHNIQUE_NAMES)}
    predicted: dict[str, list[tuple[str, int, int]]] = {}
    for article_id, paragraph, techniques, scores in labelled:
        for technique, start, end, _, _ in decode_paragraph(
            paragraph.text, scores, techniques, column_of, settings
        ):
            predicted.setdefault(article_id, []).append(
                (technique, paragraph.start + start, paragraph.start + end))
    return predicted


def make_tiny_encoder(
    directory: Path,
    texts: Sequence[str],
    vocab_size: int = 2000,
    hidden_size: int = 64,
    layers: int = 2,
    heads: int = 2,
    seed: int = 13,
) -> Path:
    """A small randomly initialised BERT with a WordPiece tokenizer trained on `texts`.

    For tests and smoke runs of the training pipeline without any download; it learns little.
    """
    torch, transformers = import_torch_stack()
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers.trainers import WordPieceTrainer

    torch.manual_seed(seed)
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    tokenizer.train_from_iterator(
        list(texts), WordPieceTrainer(vocab_size=vocab_size, special_tokens=special)
    )
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", model_max_length=512,
    )
    config = transformers.BertConfig(
        vocab_size=tokenizer.get_vocab_size(), hidden_size=hidden_size,
        num_hidden_layers=layers, num_attention_heads=heads, intermediate_size=4 * hidden_size,
        max_position_embeddings=512, pad_token_id=tokenizer.token_to_id("[PAD]"),
    )
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    transformers.BertModel(config).save_pretrained(str(directory), safe_serialization=True)
    fast.save_pretrained(str(directory))
    return directory
