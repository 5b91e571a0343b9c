"""One time step of a unit, and its vector-Jacobian product, as ONNX graphs traced from `unit.step`.

Nothing here is written by hand per unit: the forward body is `step` traced with make_fx, the backward
body is `torch.autograd.grad` of that same `step`, and both are translated by torch.onnx (dynamo). The
weights are graph inputs while tracing, so that the two bodies can later read one shared copy of them
from the enclosing graph (see exporter/graphs.py).
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings
from dataclasses import dataclass

import onnx
import torch
from torch import nn
from torch.fx.experimental.proxy_tensor import make_fx

from build.units import RecurrentUnit


class _Step(nn.Module):
    """`unit.step` as a module's forward, so torch.func.functional_call can swap its weights."""

    def __init__(self, unit: RecurrentUnit) -> None:
        super().__init__()
        self.unit = unit

    def forward(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.unit.step(x, state)


@dataclass
class StepGraphs:
    forward: (
        onnx.GraphProto
    )  # inputs: weights..., x [1, E], state [1, S]; outputs: h [1, H], state_out [1, S]
    backward: onnx.GraphProto  # inputs: weights..., x, state, g_h, g_state; outputs: g_x, g_state_in
    weights: dict[str, torch.Tensor]  # graph input name -> value
    opset: int


def _export(
    function, example: tuple[torch.Tensor, ...], inputs: list[str], outputs: list[str]
) -> onnx.ModelProto:
    graph = make_fx(function)(*example)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        program = torch.onnx.export(
            graph, example, dynamo=True, input_names=inputs, output_names=outputs, verbose=False
        )
    model = program.model_proto
    if model.functions:
        raise RuntimeError("the exported step holds ONNX functions; expected a flat graph")
    return model


def trace_step(unit: RecurrentUnit) -> StepGraphs:
    """Trace the forward step and its VJP of `unit` (in eval mode, float32, batch of one)."""
    step = _Step(unit).eval()
    parameters = {name: p.detach().float().clone() for name, p in step.named_parameters()}
    names = list(parameters)
    inputs = names  # "unit.<parameter>": the names the outer graph gives the shared weights

    def forward(*args: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        weights, (x, state) = args[: len(names)], args[len(names) :]
        return torch.func.functional_call(step, dict(zip(names, weights, strict=True)), (x, state))

    def backward(*args: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        weights, (x, state, g_h, g_state) = args[: len(names)], args[len(names) :]
        x = x.detach().requires_grad_(True)
        state = state.detach().requires_grad_(True)
        with torch.enable_grad():
            h, new_state = torch.func.functional_call(
                step, dict(zip(names, weights, strict=True)), (x, state)
            )
            g_x, g_state_in = torch.autograd.grad(
                (h, new_state), (x, state), (g_h, g_state), allow_unused=True
            )
        g_x = torch.zeros_like(x) if g_x is None else g_x
        g_state_in = torch.zeros_like(state) if g_state_in is None else g_state_in
        return g_x, g_state_in

    def example(*shapes: tuple[int, ...]) -> tuple[torch.Tensor, ...]:
        # distinct tensors: make_fx would merge one tensor passed for two arguments into one input
        return tuple(p.clone() for p in parameters.values()) + tuple(torch.randn(*s) for s in shapes)

    e, s, h = unit.input_size, unit.state_size, unit.hidden_size
    forward_model = _export(forward, example((1, e), (1, s)), [*inputs, "x", "state"], ["h", "state_out"])
    backward_model = _export(
        backward,
        example((1, e), (1, s), (1, h), (1, s)),
        [*inputs, "x", "state", "g_h", "g_state"],
        ["g_x", "g_state_in"],
    )
    opset = next(o.version for o in forward_model.opset_import if o.domain in ("", "ai.onnx"))
    return StepGraphs(
        forward_model.graph, backward_model.graph, dict(zip(inputs, parameters.values(), strict=True)), opset
    )
