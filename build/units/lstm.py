"""LSTM (Hochreiter & Schmidhuber, 1997) in PyTorch's form, gates i, f, g (= z), o.

The original (TensorFlow) added a constant 1.0 inside the forget gate's sigmoid; here the forget bias
starts at 1.0 instead, which is the same function family and, under Adam, the same training dynamics.
The fast layer is torch.nn.LSTM (cuDNN on a GPU); `step` writes the equations out with the same weights.
"""

from __future__ import annotations

import torch
from torch import nn

from build.units import RecurrentUnit

NAME = "LSTM"  # the label the article shows


class Unit(RecurrentUnit):
    states_per_layer = 2  # h, c

    def __init__(self, input_size: int, hidden_size: int, layers: int = 1) -> None:
        super().__init__(input_size, hidden_size, layers)
        self.rnn = nn.LSTM(input_size, hidden_size, num_layers=layers, batch_first=True)
        with torch.no_grad():
            for layer in range(layers):
                _, _, b_ih, b_hh = self.rnn.all_weights[layer]
                b_ih[hidden_size : 2 * hidden_size] = 1.0
                b_hh[hidden_size : 2 * hidden_size] = 0.0

    def step(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        new_states = []
        for layer, (h, c) in enumerate(self.layer_states(state)):
            w_ih, w_hh, b_ih, b_hh = self.rnn.all_weights[layer]
            i, f, z, o = (x @ w_ih.T + b_ih + h @ w_hh.T + b_hh).chunk(4, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(z)
            x = torch.sigmoid(o) * torch.tanh(c)
            new_states.append((x, c))
        return x, self.join_states(new_states)

    def forward(
        self, x: torch.Tensor, state: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hc = None
        if state is not None:
            per_layer = state.view(-1, self.layers, 2, self.hidden_size)
            hc = (
                per_layer[:, :, 0].transpose(0, 1).contiguous(),
                per_layer[:, :, 1].transpose(0, 1).contiguous(),
            )
        output, (h_n, c_n) = self.rnn(x, hc)
        state_out = torch.stack([h_n, c_n], dim=2).transpose(0, 1).reshape(x.shape[0], self.state_size)
        return output, state_out
