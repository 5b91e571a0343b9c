"""Nested LSTM of depth 2 (Moniz & Krueger, 2018), as the original article built it (spec section 2).

The outer cell's gates i, f, o, z come from [x, h] with an identity z; instead of c = i*z + f*c, the
memory update is an inner LSTM that reads x~ = i*z with previous hidden state h~ = f*c and keeps its own
memory c~. Both forget gates carry a constant +1.0 inside the sigmoid. Per layer the state is (h, c, c~).
No cuDNN layer exists for it. On CUDA `forward` runs the same equations with the pointwise work of each
step fused into Triton kernels (build/kernels/nlstm.py, held to `step` by tests/test_kernels.py); on the
CPU it is the sequence loop over `step` (bench/train_step.py times both).
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
    #: TRITON_INTERPRET=1, for the tests), False never (the reference loop over `step`)
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
        """Layer by layer over the whole sequence with the fused step where `fused` asks for it."""
        nlstm_layer = self._fused_layer(x)
        if nlstm_layer is None:
            return super().forward(x, state)
        if state is None:
            state = self.initial_state(x.shape[0], x)
        new_states = []
        for layer, (h, c, inner_c) in enumerate(self.layer_states(state)):
            weights = (*self.outer[2 * layer : 2 * layer + 2], *self.inner[2 * layer : 2 * layer + 2])
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
