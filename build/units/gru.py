"""GRU (Cho et al., 2014) in PyTorch's form: the reset gate multiplies W_hn h + b_hn.

The fast layer is torch.nn.GRU (cuDNN on a GPU); `step` writes the same equations out and uses the very
same parameters, so both compute one function (tests/test_units.py holds them to 1e-5).
"""

from __future__ import annotations

import torch
from torch import nn

from build.units import RecurrentUnit

NAME = "GRU"  # the label the article shows


class Unit(RecurrentUnit):
    states_per_layer = 1

    def __init__(self, input_size: int, hidden_size: int, layers: int = 1) -> None:
        super().__init__(input_size, hidden_size, layers)
        self.rnn = nn.GRU(input_size, hidden_size, num_layers=layers, batch_first=True)

    def step(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        new_states = []
        for layer, (h,) in enumerate(self.layer_states(state)):
            w_ih, w_hh, b_ih, b_hh = self.rnn.all_weights[layer]
            xr, xz, xn = (x @ w_ih.T + b_ih).chunk(3, dim=-1)
            hr, hz, hn = (h @ w_hh.T + b_hh).chunk(3, dim=-1)
            r = torch.sigmoid(xr + hr)
            z = torch.sigmoid(xz + hz)
            n = torch.tanh(xn + r * hn)
            x = (1 - z) * n + z * h
            new_states.append((x,))
        return x, self.join_states(new_states)

    def forward(
        self, x: torch.Tensor, state: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        h0 = (
            None
            if state is None
            else state.view(-1, self.layers, self.hidden_size).transpose(0, 1).contiguous()
        )
        output, h_n = self.rnn(x, h0)
        return output, h_n.transpose(0, 1).reshape(x.shape[0], self.state_size)
