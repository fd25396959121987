"""Spans from a fine-tuned encoder: a token head beside its paragraph head.

`plens train-encoder` (unless `--no-spans`) trains one linear layer over the encoder's last
hidden states that scores, for every token of a paragraph and every technique the paragraph
carries, whether the token lies inside a gold span of that technique. Like the shipped span
model (`models/spans.py`) it only says WHERE a technique sits, given that the paragraph has it,
so paragraph labels and spans agree by construction. Both heads share one forward pass.

Sub-word scores are mapped to the words of `spans.tokenize` (a word scores its best sub-word)
and decoded with the shipped model's decoder (`SpanDetector.decode_runs`), with one threshold and
gap tuned on the validation split.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from persuasion_lens.models.spans import DecodeSettings, SpanDetector, tokenize

SPAN_HEAD_FILE = "span_head.safetensors"


@dataclass
class TokenScores:
    """The token head's output for one paragraph: sub-word tokens of the paragraph (not the
    title segment) with their character offsets into the paragraph text."""

    offsets: np.ndarray  # (n_tokens, 2) int, end exclusive
    probabilities: np.ndarray  # (n_tokens, n_techniques) float32


def make_span_head(torch: Any, hidden_size: int, n_techniques: int) -> Any:
    return torch.nn.Linear(hidden_size, n_techniques)


def save_span_head(head: Any, directory: Path) -> None:
    from safetensors.torch import save_file

    state = {name: tensor.detach().float().cpu().contiguous()
             for name, tensor in head.state_dict().items()}
    save_file(state, str(Path(directory) / SPAN_HEAD_FILE))


def load_span_head(torch: Any, directory: Path, hidden_size: int, n_techniques: int) -> Any:
    """The saved token head, or None for a folder trained without spans."""
    path = Path(directory) / SPAN_HEAD_FILE
    if not path.is_file():
        return None
    from safetensors.torch import load_file

    head = make_span_head(torch, hidden_size, n_techniques)
    head.load_state_dict(load_file(str(path)))
    return head


def paragraph_token_positions(batch: Any, row: int, offsets: np.ndarray) -> np.ndarray:
    """Positions of the row's first-segment tokens that cover some text (no special tokens);
    `offsets` is the batch's offset mapping as a numpy array."""
    segments = np.array([-1 if s is None else s for s in batch.sequence_ids(row)])
    covers = offsets[row, :len(segments), 1] > offsets[row, :len(segments), 0]
    return np.flatnonzero((segments == 0) & covers)


def token_targets(
    batch: Any,
    gold: list[list[tuple[int, int, int]]],
    labels: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Targets and loss mask, each (rows, sequence length, techniques), for a tokenised batch.

    `gold[r]` holds (technique column, start, end) of the row's gold spans, offsets relative to
    the paragraph; `labels[r]` its paragraph labels. A token is inside a span when its centre
    is; only the row's labelled techniques and its paragraph tokens count in the loss."""
    rows, length = batch["input_ids"].shape
    targets = np.zeros((rows, length, labels.shape[1]), dtype=np.float32)
    mask = np.zeros_like(targets)
    offsets = batch["offset_mapping"].numpy()
    for row in range(rows):
        columns = np.flatnonzero(labels[row])
        positions = paragraph_token_positions(batch, row, offsets)
        if not len(columns) or not len(positions):
            continue
        mask[row, positions[:, None], columns[None, :]] = 1.0
        centres = offsets[row, positions].mean(axis=1)
        for column, start, end in gold[row]:
            inside = positions[(centres >= start) & (centres < end)]
            targets[row, inside, column] = 1.0
    return targets, mask


def word_probabilities(
    text: str, scores: TokenScores, columns: list[int]
) -> tuple[list[tuple[int, int]], np.ndarray]:
    """The paragraph's words (`spans.tokenize`) and, per word and asked technique, the best
    probability of the sub-word tokens whose centre falls in it (0 past a truncation)."""
    words = tokenize(text)
    result = np.zeros((len(words), len(columns)), dtype=np.float32)
    if not words or not len(scores.offsets):
        return words, result
    starts = np.array([a for a, _ in words])
    ends = np.array([b for _, b in words])
    centres = (scores.offsets[:, 0] + scores.offsets[:, 1] - 1) // 2
    index = np.searchsorted(starts, centres, side="right") - 1
    valid = (index >= 0) & (centres < ends[np.maximum(index, 0)])
    np.maximum.at(result, index[valid], scores.probabilities[valid][:, columns])
    return words, result


@functools.lru_cache(maxsize=1)
def function_words() -> frozenset[str]:
    """Words too frequent to quote as cues: the shipped span model's most frequent words."""
    from persuasion_lens.models.spans import FUNCTION_WORD_RANK, load_default_span_detector

    try:
        return frozenset(load_default_span_detector().space.words[:FUNCTION_WORD_RANK])
    except (FileNotFoundError, OSError):
        return frozenset()


def decode_paragraph(
    text: str,
    scores: TokenScores,
    techniques: list[str],
    column_of: dict[str, int],
    settings: DecodeSettings,
) -> list[tuple[str, int, int, float, list[str]]]:
    """(technique, start, end, localisation probability, cue words) for each asked technique,
    offsets relative to the paragraph text; at least one span per technique."""
    techniques = [t for t in dict.fromkeys(techniques) if t in column_of]
    words, probabilities = word_probabilities(text, scores, [column_of[t] for t in techniques])
    if not words:
        return []
    strings = [text[a:b] for a, b in words]
    is_word = np.array([s[:1].isalnum() for s in strings])
    frequent = function_words()
    found = []
    for k, technique in enumerate(techniques):
        p = probabilities[:, k]
        for a, b in SpanDetector.decode_runs(p, is_word, strings, settings):
            ranked = a + np.argsort(-p[a:b], kind="stable")
            cues = [strings[i] for i in ranked[:8] if is_word[i] and len(strings[i]) > 2
                    and strings[i].lower() not in frequent]
            found.append((technique, words[a][0], words[b - 1][1], float(p[a:b].mean()), cues))
    return found
