"""Nested LSTM of depth 2 (Moniz & Krueger, 2018), as the original article built it (spec section 2).

The outer cell's gates i, f, o, z come from [x, h] with an identity z; instead of c = i*z + f*c, the
memory update is an inner LSTM that reads x~ = i*z with previous hidden state h~ = f*c and keeps its own
memory c~. Both forget gates carry a constant +1.0 inside the sigmoid. Per layer the state is (h, c, c~).
No cuDNN layer exists for it. `forward` runs a layer at a time over the whole sequence, the input's share
of the outer gates one product for all steps before the loop: on CUDA with the pointwise work of each
step fused into Triton kernels (build/kernels/nlstm.py, held to `step` by tests/test_kernels.py), on the
CPU in plain PyTorch (`torch_layer`, held to the loop over `step` by tests/test_units.py; bench/train_step.py
times it against that loop).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import torch
from torch import nn

from build.units import RecurrentUnit

NAME = "Nested LSTM"  # the label the article shows
LAYERS = 1  # one layer: its depth-2 memory is the stack (the original's size)
OPTIONS = {"depth": 2}  # keyword arguments of Unit

FORGET_BIAS = 1.0


class Unit(RecurrentUnit):
    states_per_layer = 3  # h, c, inner c~
    #: the Triton time step in `forward`: None on CUDA tensors only, True always (on the CPU only under
    #: TRITON_INTERPRET=1, for the tests), False never (`torch_layer`, plain PyTorch)
    fused: bool | None = None

    def __init__(self, input_size: int, hidden_size: int, layers: int = 1, depth: int = 2) -> None:
        if depth != 2:
            raise ValueError(f"Nested LSTM depth {depth}: only depth 2 (the article's) is implemented")
        super().__init__(input_size, hidden_size, layers)
        bound = 1 / math.sqrt(hidden_size)
        self.outer = nn.ParameterList()
        self.inner = nn.ParameterList()
        for layer in range(layers):
            width = (input_size if layer == 0 else hidden_size) + hidden_size
            self.outer.append(nn.Parameter(torch.empty(width, 4 * hidden_size).uniform_(-bound, bound)))
            self.outer.append(nn.Parameter(torch.zeros(4 * hidden_size)))
            self.inner.append(
                nn.Parameter(torch.empty(2 * hidden_size, 4 * hidden_size).uniform_(-bound, bound))
            )
            self.inner.append(nn.Parameter(torch.zeros(4 * hidden_size)))

    def step(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        new_states = []
        for layer, (h, c, inner_c) in enumerate(self.layer_states(state)):
            kernel, bias = self.outer[2 * layer], self.outer[2 * layer + 1]
            i, f, o, z = (torch.cat([x, h], dim=-1) @ kernel + bias).chunk(4, dim=-1)
            inner_x = torch.sigmoid(i) * z  # outer sigma_z is the identity
            inner_h = torch.sigmoid(f + FORGET_BIAS) * c
            kernel, bias = self.inner[2 * layer], self.inner[2 * layer + 1]
            ii, fi, oi, zi = (torch.cat([inner_x, inner_h], dim=-1) @ kernel + bias).chunk(4, dim=-1)
            inner_c = torch.sigmoid(ii) * torch.tanh(zi) + torch.sigmoid(fi + FORGET_BIAS) * inner_c
            c = torch.sigmoid(oi) * torch.tanh(inner_c)  # the inner LSTM's output is the outer memory
            x = torch.sigmoid(o) * torch.tanh(c)
            new_states.append((x, c, inner_c))
        return x, self.join_states(new_states)

    def forward(
        self, x: torch.Tensor, state: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Layer by layer over the whole sequence: the fused step where `fused` asks for it, else
        `torch_layer` (the equations of `step` in plain PyTorch, held to the loop over it by the tests)."""
        nlstm_layer = self._fused_layer(x) or torch_layer
        if state is None:
            state = self.initial_state(x.shape[0], x)
        new_states = []
        for n, (h, c, inner_c) in enumerate(self.layer_states(state)):
            weights = (*self.outer[2 * n : 2 * n + 2], *self.inner[2 * n : 2 * n + 2])
            x, h, c, inner_c = nlstm_layer(x, h, c, inner_c, *weights, FORGET_BIAS)
            new_states.append((h, c, inner_c))
        return x, self.join_states(new_states)

    def _fused_layer(self, x: torch.Tensor) -> Callable[..., tuple[torch.Tensor, ...]] | None:
        """build.kernels.nlstm.nlstm_layer if this call should use it, else None.

        Imported only here: triton comes with torch's CUDA wheels, not with the CPU one.
        """
        if self.fused is False or (self.fused is None and not x.is_cuda):
            return None
        try:
            from build.kernels.nlstm import nlstm_layer
        except ModuleNotFoundError as error:
            if self.fused or error.name != "triton":
                raise
            warnings.warn("triton is not installed: the Nested LSTM runs its reference loop", stacklevel=3)
            return None
        return nlstm_layer


def torch_layer(
    x: torch.Tensor,
    h: torch.Tensor,
    c: torch.Tensor,
    inner_c: torch.Tensor,
    outer_kernel: torch.Tensor,
    outer_bias: torch.Tensor,
    inner_kernel: torch.Tensor,
    inner_bias: torch.Tensor,
    forget_bias: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """One layer of `Unit.step` over a sequence x [B, T, I] -> outputs [B, T, H] and the final h, c, c~,
    in plain PyTorch (the CPU's path; the CUDA one is build/kernels/nlstm.py's `nlstm_layer`).

    What a step computes from its input alone, x @ W[:I] + b of the outer gates, is one product over all
    T steps before the loop, as the exporter does for the graph (exporter/inputs.py); each step multiplies
    only h by the recurrent rows W[I:]. The inner product [x~, h~] @ W~ is two products accumulated into
    one, without the concatenation, and each cell's three sigmoid gates are one sigmoid of [B, 3H] (the
    forget gate's +1 added to its third). Fewer, larger operations for autograd to record and replay: the
    same sums as `step` in another order, equal to rounding (tests/test_units.py).
    """
    batch, steps, width = x.shape
    hidden = h.shape[-1]
    projected = torch.addmm(outer_bias, x.reshape(batch * steps, width), outer_kernel[:width])
    # unbind, not projected[:, t]: its backward is one stack, where T selects would each zero-fill and add
    # a whole [B, T, 4H] gradient
    projected = projected.view(batch, steps, -1).unbind(1)
    recurrent = outer_kernel[width:]
    inner_x, inner_h = inner_kernel[:hidden], inner_kernel[hidden:]
    forget = torch.zeros(3 * hidden, dtype=x.dtype, device=x.device)  # + forget_bias on the f gate
    forget[hidden : 2 * hidden] = forget_bias
    outputs = []
    for t in range(steps):
        gates = torch.addmm(projected[t], h, recurrent)
        i, f, o = torch.sigmoid(gates[:, : 3 * hidden] + forget).chunk(3, dim=-1)
        inner_gates = torch.addmm(
            torch.addmm(inner_bias, i * gates[:, 3 * hidden :], inner_x), f * c, inner_h
        )
        inner_i, inner_f, inner_o = torch.sigmoid(inner_gates[:, : 3 * hidden] + forget).chunk(3, dim=-1)
        inner_c = inner_i * torch.tanh(inner_gates[:, 3 * hidden :]) + inner_f * inner_c
        c = inner_o * torch.tanh(inner_c)
        h = o * torch.tanh(c)
        outputs.append(h)
    return torch.stack(outputs, dim=1), h, c, inner_c
