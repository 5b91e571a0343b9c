"""The Triton Nested LSTM step (build/kernels/nlstm.py) equals `Unit.step`: outputs, state, gradients.

On a machine without CUDA the kernels run in Triton's interpreter, which has to be chosen before the
kernels' module is imported (`@triton.jit` decides at decoration time), hence the environment variable
set above the imports; on CUDA the same tests run the compiled kernels. triton is imported without a
skip: it is in the `dev` extra, and a missing install must fail here rather than pass unnoticed.
"""

from __future__ import annotations

import os

import pytest
import torch

DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")
if DEVICE.type == "cpu":
    os.environ["TRITON_INTERPRET"] = "1"

from triton.runtime.interpreter import InterpretedFunction  # noqa: E402

from build.kernels import nlstm as kernels  # noqa: E402
from build.units import RecurrentUnit, unit_class  # noqa: E402
from build.units.nlstm import FORGET_BIAS, Unit  # noqa: E402


def random_unit(input_size: int, hidden: int, layers: int, seed: int) -> Unit:
    """A Nested LSTM with every parameter random, biases included (they start at zero)."""
    torch.manual_seed(seed)
    unit = unit_class("nlstm")(input_size, hidden, layers).to(DEVICE)
    with torch.no_grad():
        for parameter in unit.parameters():
            parameter.normal_(0, 0.4)
    return unit


def assert_relative(actual: torch.Tensor, expected: torch.Tensor, tolerance: float, name: str = "") -> None:
    """Largest difference within `tolerance` of the largest magnitude (elementwise rtol fails near 0)."""
    scale = expected.abs().max().item()
    error = (actual - expected).abs().max().item()
    assert scale > 0, f"{name}: no gradient reached it"
    assert error <= tolerance * scale, f"{name}: max error {error:.3g} vs scale {scale:.3g}"


def test_the_kernels_run_in_the_interpreter_on_the_cpu() -> None:
    """Off CUDA the tests mean something only if Triton interprets the kernels on CPU tensors."""
    if DEVICE.type == "cpu":
        assert os.environ["TRITON_INTERPRET"] == "1"
        assert kernels.interpreted()
        assert isinstance(kernels._inner_backward, InterpretedFunction)
    else:
        assert not kernels.interpreted()


@pytest.mark.parametrize(("batch", "hidden", "block"), [(1, 24, None), (3, 40, 32)])
def test_fused_step_equals_step_outputs_state_and_gradients(
    batch: int, hidden: int, block: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several steps from a random state: the fused step's h, c, c~ and all gradients equal `step`'s.

    A block of 32 spreads 3 x 40 elements over four programs, the last one part masked.
    """
    if block is not None:
        monkeypatch.setattr(kernels, "BLOCK", block)
    unit = random_unit(5, hidden, 1, seed=batch)
    steps = 4
    xs = torch.randn(steps, batch, 5, device=DEVICE, requires_grad=True)
    start = torch.randn(batch, unit.state_size, device=DEVICE, requires_grad=True)
    weights = [unit.outer[0], unit.outer[1], unit.inner[0], unit.inner[1]]
    # the loss weighs every output and the final state, so each kernel's every input gets a gradient
    readout = torch.randn(steps, batch, hidden, device=DEVICE)
    final_readout = torch.randn(batch, unit.state_size, device=DEVICE)

    state = start
    h, c, inner_c = unit.layer_states(start)[0]  # views of the [B, 3H] state: strided inputs
    slow_loss = fast_loss = 0
    for t in range(steps):
        out, state = unit.step(xs[t], state)
        h, c, inner_c = kernels.nlstm_step(xs[t], h, c, inner_c, *weights, FORGET_BIAS)
        torch.testing.assert_close(h, out, atol=1e-5, rtol=0)
        torch.testing.assert_close(torch.cat([h, c, inner_c], -1), state, atol=1e-5, rtol=0)
        slow_loss = slow_loss + (out * readout[t]).sum()
        fast_loss = fast_loss + (h * readout[t]).sum()
    slow_loss = slow_loss + (state * final_readout).sum()
    fast_loss = fast_loss + (torch.cat([h, c, inner_c], -1) * final_readout).sum()

    inputs = [xs, start, *weights]
    slow = torch.autograd.grad(slow_loss, inputs)
    fast = torch.autograd.grad(fast_loss, inputs)
    names = ["x", "state", "outer kernel", "outer bias", "inner kernel", "inner bias"]
    for name, f, s in zip(names, fast, slow, strict=True):
        assert_relative(f, s, 1e-4, name)


@pytest.mark.parametrize("layers", [1, 2])
def test_unit_forward_with_kernels_equals_reference_loop(layers: int) -> None:
    """`Unit.forward` with `fused=True`: outputs, final state and gradients of the loop over `step`."""
    unit = random_unit(6, 24, layers, seed=10 + layers)
    unit.fused = True
    x = torch.randn(2, 7, 6, device=DEVICE, requires_grad=True)
    state = torch.randn(2, unit.state_size, device=DEVICE, requires_grad=True)
    fast, fast_state = unit(x, state)
    slow, slow_state = RecurrentUnit.forward(unit, x, state)
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=0)
    torch.testing.assert_close(fast_state, slow_state, atol=1e-5, rtol=0)

    # .sum() of the state hands the kernels stride-0 gradients, the squares dense ones; a loss of the
    # outputs alone hands the last step a strided slice of their gradient for h and none for c, c~
    names = ["x", "state", *(name for name, _ in unit.named_parameters())]
    inputs = [x, state, *unit.parameters()]
    readout = torch.randn_like(fast)
    for loss in (lambda out, end: out.square().sum() + end.sum(), lambda out, _: (out * readout).sum()):
        fast_grads = torch.autograd.grad(loss(fast, fast_state), inputs, retain_graph=True)
        slow_grads = torch.autograd.grad(loss(slow, slow_state), inputs, retain_graph=True)
        for name, f, s in zip(names, fast_grads, slow_grads, strict=True):
            assert_relative(f, s, 1e-4, name)

    # from the zero state (state=None) too
    torch.testing.assert_close(unit(x)[0], RecurrentUnit.forward(unit, x)[0], atol=1e-5, rtol=0)


def test_the_plain_layer_is_the_default_off_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    """`fused=None` uses the kernels on CUDA tensors only; `fused=False` never (plain PyTorch instead)."""
    unit = random_unit(3, 8, 1, seed=3)
    x = torch.randn(2, 3, 3, device=DEVICE)
    calls = []

    def spy(*args: torch.Tensor) -> tuple[torch.Tensor, ...]:
        calls.append(1)
        return real(*args)

    real = kernels.nlstm_layer
    monkeypatch.setattr(kernels, "nlstm_layer", spy)
    unit(x)
    assert len(calls) == (1 if DEVICE.type == "cuda" else 0)
    unit.fused = False
    unit(x)
    assert len(calls) == (1 if DEVICE.type == "cuda" else 0)
    unit.fused = True
    unit(x)
    assert len(calls) == (2 if DEVICE.type == "cuda" else 1)


def test_cpu_tensors_without_the_interpreter_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiled kernels cannot read CPU memory: a clear error, not a crash inside Triton."""
    monkeypatch.setattr(kernels, "interpreted", lambda: False)
    gates, c = torch.zeros(2, 12), torch.zeros(2, 3)
    with pytest.raises(RuntimeError, match="TRITON_INTERPRET=1"):
        kernels.outer_gates(gates, c, FORGET_BIAS)
