"""The vanilla (Elman) recurrent unit, h = tanh(W [x, h] + b): the article's example of vanishing gradients.

It is also the smallest example of adding a unit: one file, a `Unit` with its `step`, nothing else.
Without a `forward` of its own it runs through the reference loop over `step`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from build.units import RecurrentUnit

NAME = "RNN"  # the label the article shows


class Unit(RecurrentUnit):
    states_per_layer = 1

    def __init__(self, input_size: int, hidden_size: int, layers: int = 1) -> None:
        super().__init__(input_size, hidden_size, layers)
        bound = 1 / math.sqrt(hidden_size)
        self.kernels = nn.ParameterList(
            nn.Parameter(
                torch.empty((input_size if layer == 0 else hidden_size) + hidden_size, hidden_size).uniform_(
                    -bound, bound
                )
            )
            for layer in range(layers)
        )
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(hidden_size)) for _ in range(layers))

    def step(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        new_states = []
        for layer, (h,) in enumerate(self.layer_states(state)):
            x = torch.tanh(torch.cat([x, h], dim=-1) @ self.kernels[layer] + self.biases[layer])
            new_states.append((x,))
        return x, self.join_states(new_states)
