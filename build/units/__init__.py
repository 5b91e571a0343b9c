"""Recurrent units: one file per unit, each defining `Unit`, a subclass of `RecurrentUnit`.

The contract every later stage relies on (training, connectivity, ONNX export, figures):
- `step(x, state) -> (h, state)`: one time step of the whole stack, the single source of truth for the
  unit's equations. `x` is [B, input_size], `state` is [B, state_size] (all layers' state vectors,
  flattened), `h` is the top layer's output [B, hidden_size].
- `forward(x, state) -> (h, state)` over a sequence [B, T, input_size]; the default loops `step`, a unit
  may override it with a fast layer that tests prove equal to the loop.
A researcher's new cell is one more file here with a `Unit` class, named by a `ModelConfig` in
build/profiles.py.
"""

from __future__ import annotations

import importlib

import torch
from torch import nn


class RecurrentUnit(nn.Module):
    """A stack of `layers` recurrent layers of `hidden_size` units reading `input_size` features."""

    #: state vectors of width hidden_size that each layer carries (GRU 1: h; LSTM 2: h, c)
    states_per_layer: int = 1

    def __init__(self, input_size: int, hidden_size: int, layers: int = 1) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.layers = input_size, hidden_size, layers

    @property
    def state_size(self) -> int:
        return self.layers * self.states_per_layer * self.hidden_size

    def initial_state(self, batch: int, like: torch.Tensor | None = None) -> torch.Tensor:
        device = like.device if like is not None else None
        dtype = like.dtype if like is not None else None
        return torch.zeros(batch, self.state_size, device=device, dtype=dtype)

    def layer_states(self, state: torch.Tensor) -> list[tuple[torch.Tensor, ...]]:
        """[B, state_size] -> per layer, its `states_per_layer` tensors [B, H] (views, no copy)."""
        parts = state.split(self.hidden_size, dim=-1)
        n = self.states_per_layer
        return [tuple(parts[i * n : (i + 1) * n]) for i in range(self.layers)]

    @staticmethod
    def join_states(states: list[tuple[torch.Tensor, ...]]) -> torch.Tensor:
        return torch.cat([s for layer in states for s in layer], dim=-1)

    def step(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def forward(
        self, x: torch.Tensor, state: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The reference sequence loop over `step`; fast units override it."""
        if state is None:
            state = self.initial_state(x.shape[0], x)
        outputs = []
        for t in range(x.shape[1]):
            h, state = self.step(x[:, t], state)
            outputs.append(h)
        return torch.stack(outputs, dim=1), state


def unit_class(name: str) -> type[RecurrentUnit]:
    """The `Unit` class of build/units/<name>.py."""
    try:
        module = importlib.import_module(f"build.units.{name}")
    except ModuleNotFoundError as error:
        raise ValueError(f"unknown recurrent unit {name!r}: no file build/units/{name}.py") from error
    unit = getattr(module, "Unit", None)
    if not (isinstance(unit, type) and issubclass(unit, RecurrentUnit)):
        raise ValueError(f"build/units/{name}.py must define `Unit`, a subclass of RecurrentUnit")
    return unit
