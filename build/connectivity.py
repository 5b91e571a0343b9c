"""The article's measure of memorization (spec section 4), batched over output positions.

connectivity(t, t~) = squared L2 norm over the alphabet of d logit_k(t~) / d onehot(t), for t <= t~,
where k is the target word at t~ (or the model's own top-1). The gradient with respect to the one-hot
input is the gradient with respect to the embedded input times the transposed embedding matrix.

All output positions of a passage come from one backward pass: the passage is copied once per output
position into a batch, row p scores only position p, and rows do not interact, so the gradient of the
sum of the scores with respect to row p's input is row p's connectivity. That backward runs without
cuDNN: cuDNN's recurrent layers differentiate only in training mode, and the model is in eval mode
(PyTorch's own kernels compute the same gradient on CUDA).

`published_agreement` compares a model's connectivity on the original's passage P1 with the values the
original published for its own model (article/reference/connectivity_<key>.json): at every output
position, the Spearman rank correlation of the two rows over the characters read so far.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from build.alphabet import UNKNOWN
from build.dataset import Dataset, encode_text
from build.model import Model
from build.profiles import TOP_K
from build.run_files import REFERENCE_DIR

REPORTED_POSITIONS = (28, 34)  # the space before "grammar" (long-term) and "gramma" (short-term)


@dataclass
class Connectivity:
    values: torch.Tensor  # [P, T] squared norms; zero after each row's output position
    targets: torch.Tensor  # [P] the word whose logit was differentiated
    top_ids: torch.Tensor  # [P, TOP_K] the model's best words at each output position
    top_probs: torch.Tensor  # [P, TOP_K]


def selected_logits(
    model: Model, embedded: torch.Tensor, positions: torch.Tensor, targets: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Row p of `embedded` [P, T, E] scored at positions[p]: (logit of targets[p] [P], logits [P, V])."""
    hidden, _ = model.rnn(embedded)
    rows = torch.arange(len(positions), device=embedded.device)
    logits = model.dense(hidden[rows, positions])
    chosen = torch.where(targets >= 0, targets, logits.argmax(-1))
    return logits[rows, chosen], logits


def connectivity(
    model: Model,
    chars: torch.Tensor,
    targets: torch.Tensor | None = None,
    positions: torch.Tensor | None = None,
) -> Connectivity:
    """Connectivity of the passage `chars` [T] (alphabet ids) at output `positions` [P] (default: all).

    `targets` [T] holds, per position, the word id to differentiate, or -1 for the model's own top-1.
    """
    model.eval()
    length = len(chars)
    positions = torch.arange(length) if positions is None else positions.long()
    if len(positions) == 0 or int(positions.min()) < 0 or int(positions.max()) >= length:
        raise ValueError(f"output positions must lie in 0..{length - 1}, got {positions.tolist()[:10]}")
    wanted = torch.full((length,), -1, dtype=torch.long) if targets is None else targets.long()
    wanted = wanted.to(chars.device)[positions]
    span = int(positions.max()) + 1  # later characters cannot matter to any chosen output
    with torch.enable_grad(), torch.backends.cudnn.flags(enabled=False):
        embedded = model.embedding(chars[:span].long()).detach()
        batch = embedded.expand(len(positions), span, -1).clone().requires_grad_(True)
        scores, logits = selected_logits(model, batch, positions.to(chars.device), wanted)
        (gradient,) = torch.autograd.grad(scores.sum(), batch)
    onehot_gradient = gradient @ model.embedding.weight.detach().T  # [P, span, alphabet]
    values = torch.zeros(len(positions), length, dtype=gradient.dtype, device=gradient.device)
    values[:, :span] = onehot_gradient.pow(2).sum(-1)
    probs = torch.softmax(logits.detach().float(), dim=-1)
    top = probs.topk(TOP_K, dim=-1)
    chosen = torch.where(wanted >= 0, wanted, logits.detach().argmax(-1))
    return Connectivity(values.detach(), chosen, top.indices, top.values)


def passage_targets(text: str, data: Dataset) -> list[int]:
    """Per character, the id of the word it belongs to, or -1 where that word is not in the vocabulary."""
    ids = []
    for word in text[1:].split(" "):
        word_id = data.word_id(word)
        ids += [word_id if word_id > UNKNOWN else -1] * (len(word) + 1)
    return ids


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two vectors (average ranks for ties)."""

    def ranks(v: np.ndarray) -> np.ndarray:
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        r[order] = np.arange(len(v))
        for value in np.unique(v[np.diff(np.sort(v), prepend=np.nan) == 0]):  # tied values share a rank
            r[v == value] = r[v == value].mean()
        return r

    if len(a) < 2:
        return 1.0
    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return 1.0 if np.array_equal(ra, rb) else 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


def published_connectivity(entries: list, path: Path) -> tuple[str, np.ndarray]:
    """The text and connectivity [T, T] of the original's per-character entries read from `path`."""
    try:
        text = "".join(entry["char"] for entry in entries)
        values = np.array([entry["connectivity"] for entry in entries], dtype=np.float64)
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not the original's connectivity data ({error})") from error
    if values.shape != (len(text), len(text)):
        raise ValueError(f"{path}: connectivity is {values.shape}, expected {len(text)} x {len(text)}")
    return text, values


def read_published(key: str, reference_dir: Path = REFERENCE_DIR) -> tuple[str, np.ndarray] | None:
    """The original's P1 text and connectivity [T, T] for model `key`, or None when it published none."""
    path = reference_dir / f"connectivity_{key}.json"
    if not path.exists():
        return None
    try:
        entries = json.loads(path.read_text())
    except ValueError as error:
        raise ValueError(f"{path}: not the original's connectivity data ({error})") from error
    return published_connectivity(entries, path)


def rank_agreement(ours: np.ndarray, theirs: np.ndarray) -> dict:
    """Per output position t~ >= 1, Spearman of rows t~ over t <= t~ (position 0 has a single value),
    summarised: mean, median and the positions the article discusses."""
    values = [spearman(ours[t, : t + 1], theirs[t, : t + 1]) for t in range(1, len(ours))]
    at = {str(p): round(values[p - 1], 5) for p in REPORTED_POSITIONS if 1 <= p < len(ours)}
    return {
        "spearman": [round(v, 5) for v in values],  # entry i is output position i + 1
        "mean": round(float(np.mean(values)), 5) if values else None,
        "median": round(float(np.median(values)), 5) if values else None,
        "at": at,
    }


def distance_agreement(values: np.ndarray) -> dict:
    """What ranking characters by distance alone (the most recent highest) shares with `values` [T, T]:
    rank_agreement of that ranking against them. A model's agreement with the published rows means
    something only where it is above this: the original's Nested LSTM ranks by distance almost exactly."""
    length = len(values)
    recency = np.tril(np.tile(np.arange(1, length + 1, dtype=float), (length, 1)))
    return rank_agreement(recency, values)


def published_agreement(
    model: Model, data: Dataset, key: str, reference_dir: Path = REFERENCE_DIR
) -> dict | None:
    """Rank agreement of `model`'s connectivity on P1 with the original's published values for `key`.

    Our row differentiates the same word the page's figure does: the target word where it is in our
    vocabulary, else the model's own first suggestion. None when the original published no data for `key`.
    """
    published = read_published(key, reference_dir)
    if published is None:
        return None
    text, theirs = published
    chars = torch.from_numpy(encode_text(text).astype(np.int64))
    ours = connectivity(model, chars, torch.tensor(passage_targets(text, data))).values.double().numpy()
    return {"passage": "P1", "characters": len(text), **rank_agreement(ours, theirs)}
