"""The article's measure of memorization (spec section 4), batched over output positions.

connectivity(t, t~) = squared L2 norm over the alphabet of d logit_k(t~) / d onehot(t), for t <= t~,
where k is the target word at t~ (or the model's own top-1). The gradient with respect to the one-hot
input is the gradient with respect to the embedded input times the transposed embedding matrix.

All output positions of a passage come from one backward pass: the passage is copied once per output
position into a batch, row p scores only position p, and rows do not interact, so the gradient of the
sum of the scores with respect to row p's input is row p's connectivity.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from build.model import Model

TOP_K = 3


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
    with torch.enable_grad():
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
