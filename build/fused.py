"""The output layer and its cross entropy fused, chunk by chunk over positions.

At the paper's shapes half of a GRU training step is the output layer: 12,800 positions x 16,386 classes
of logits written, read and written again (softmax, loss, gradient), about 0.8 GB each time in fp32.
`linear_cross_entropy` never holds those [N, V] logits at once: the forward keeps only each position's
log-sum-exp (N numbers), and the backward recomputes one chunk of logits at a time and turns it straight
into its share of grad_hidden, grad_weight and grad_bias. One extra matmul buys the memory traffic of
three [N, V] tensors. Plain PyTorch on CPU and CUDA, so the CPU tests check exactly what a GPU runs.
"""

from __future__ import annotations

import torch
from torch.autograd.function import FunctionCtx, once_differentiable

# A chunk's logits stay under this many bytes counted in fp32 (the log-sum-exp and the softmax gradient
# are fp32 even when the logits are bf16). The backward holds about three such buffers at once (the
# logits, their fp32 copy turned in place into the gradient, and that gradient in the input dtype), so
# its peak is a small multiple of this, against about four full [N, V] fp32 tensors for plain PyTorch.
CHUNK_BYTES = 256 * 2**20


def default_chunk(vocab_size: int, budget_bytes: int = CHUNK_BYTES) -> int:
    """Positions per chunk so that one chunk of fp32 logits fits `budget_bytes`.

    The paper's 16,386 classes give 4,095 positions (3 or 4 chunks of a batch of 64 x 200 characters,
    depending on how many of them are counted); the small profile's 4,098 classes give 16,375, more than
    any of its batches of 32 x 200 holds (one chunk).
    Larger chunks mean fewer, larger matmuls (better on a GPU); smaller ones less memory.
    """
    return max(1, budget_bytes // (4 * max(vocab_size, 1)))


def _compute_dtype(hidden: torch.Tensor) -> torch.dtype:
    """The dtype of the logits: autocast's when it is on for this device (bf16/fp16), else the input's."""
    device_type = hidden.device.type
    if torch.is_autocast_enabled(device_type):
        return torch.get_autocast_dtype(device_type)
    return hidden.dtype


def _accumulate_dtype(dtype: torch.dtype) -> torch.dtype:
    """At least fp32 for sums (log-sum-exp, loss, weight and bias gradients); float64 stays float64."""
    return torch.promote_types(dtype, torch.float32)


class _LinearCrossEntropy(torch.autograd.Function):
    """sum_i CE(hidden_i @ weight.T + bias, targets_i) and the top-1 correct count, in chunks of rows."""

    @staticmethod
    def forward(
        ctx: FunctionCtx,
        hidden: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor,
        targets: torch.Tensor,
        chunk: int,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        dtype = _compute_dtype(hidden)
        accumulate = _accumulate_dtype(dtype)
        n = hidden.shape[0]
        # Explicit casts instead of autocast's: the same dtypes in forward and backward, and the
        # log-sum-exp in `accumulate` whatever autocast would have chosen for it.
        with torch.autocast(hidden.device.type, enabled=False):
            h, w, b = hidden.to(dtype), weight.to(dtype), bias.to(dtype)
            logsumexp = torch.empty(n, dtype=accumulate, device=hidden.device)
            loss = torch.zeros((), dtype=accumulate, device=hidden.device)
            correct = torch.zeros((), dtype=torch.int64, device=hidden.device)
            for start in range(0, n, chunk):
                rows = slice(start, min(start + chunk, n))
                logits = torch.addmm(b, h[rows], w.t())
                wide = logits.to(accumulate)
                lse = torch.logsumexp(wide, dim=1)
                wanted = targets[rows]
                loss += (lse - wide.gather(1, wanted[:, None]).squeeze(1)).sum()
                correct += (logits.argmax(dim=1) == wanted).sum()
                logsumexp[rows] = lse
        ctx.save_for_backward(hidden, weight, bias, targets, logsumexp)
        ctx.chunk = chunk
        ctx.dtype = dtype
        ctx.mark_non_differentiable(correct)
        return loss.to(_accumulate_dtype(hidden.dtype)), correct

    @staticmethod
    @once_differentiable
    def backward(
        ctx: FunctionCtx, grad_loss: torch.Tensor, _grad_correct: torch.Tensor | None
    ) -> tuple[torch.Tensor | None, ...]:
        hidden, weight, bias, targets, logsumexp = ctx.saved_tensors
        dtype, chunk = ctx.dtype, ctx.chunk
        accumulate = logsumexp.dtype
        need_hidden, need_weight, need_bias = ctx.needs_input_grad[:3]
        n = hidden.shape[0]
        grad_hidden = torch.empty_like(hidden) if need_hidden else None
        grad_weight = (
            torch.zeros(weight.shape, dtype=accumulate, device=weight.device) if need_weight else None
        )
        grad_bias = torch.zeros(bias.shape, dtype=accumulate, device=bias.device) if need_bias else None
        scale = grad_loss.to(accumulate)
        with torch.autocast(hidden.device.type, enabled=False):
            h, w, b = hidden.to(dtype), weight.to(dtype), bias.to(dtype)
            for start in range(0, n, chunk):
                rows = slice(start, min(start + chunk, n))
                # d loss / d logits = softmax - onehot(target), recomputed from the saved log-sum-exp.
                grad = torch.addmm(b, h[rows], w.t()).to(accumulate)
                grad.sub_(logsumexp[rows, None]).exp_()
                grad[torch.arange(grad.shape[0], device=grad.device), targets[rows]] -= 1
                grad.mul_(scale)
                if grad_bias is not None:
                    grad_bias += grad.sum(dim=0)
                narrow = grad.to(dtype)
                if grad_hidden is not None:
                    grad_hidden[rows] = narrow @ w
                if grad_weight is not None and dtype == accumulate:
                    grad_weight.addmm_(narrow.t(), h[rows])
                elif grad_weight is not None:  # bf16/fp16 product, summed over the chunks in fp32
                    grad_weight += (narrow.t() @ h[rows]).to(accumulate)
        return (
            grad_hidden,
            None if grad_weight is None else grad_weight.to(weight.dtype),
            None if grad_bias is None else grad_bias.to(bias.dtype),
            None,
            None,
        )


def linear_cross_entropy(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor,
    targets: torch.Tensor,
    chunk: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed cross entropy of `hidden @ weight.T + bias` against `targets`, and top-1 correct count.

    hidden [N, H], weight [V, H], bias [V], targets [N] (class ids in [0, V); no ignore index: select the
    counted positions before). Equals `F.cross_entropy(F.linear(hidden, weight, bias), targets,
    reduction="sum")` and `(logits.argmax(-1) == targets).sum()`, with gradients for hidden, weight and
    bias, but at most `chunk` rows of logits exist at a time (default: `default_chunk(V)`). Logits are
    computed in the input dtype (autocast's under autocast), the log-sum-exp and all sums in at least fp32.
    """
    if hidden.dim() != 2 or weight.dim() != 2 or hidden.shape[1] != weight.shape[1]:
        raise ValueError(f"hidden {tuple(hidden.shape)}, weight {tuple(weight.shape)}: not [N, H], [V, H]")
    if targets.shape != hidden.shape[:1]:
        raise ValueError(f"targets {tuple(targets.shape)} must be [N] for hidden {tuple(hidden.shape)}")
    chunk = default_chunk(weight.shape[0]) if chunk is None else chunk
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1, not {chunk}")
    return _LinearCrossEntropy.apply(hidden, weight, bias, targets.long(), chunk)
