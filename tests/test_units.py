"""Recurrent units: the fast layers equal the step-wise cells; the Nested LSTM equals its equations."""

from __future__ import annotations

import math

import pytest
import torch

from build.units import RecurrentUnit, unit_class


@pytest.mark.parametrize("name", ["gru", "lstm"])
@pytest.mark.parametrize("layers", [1, 2])
def test_fast_layer_equals_step_wise_cell(name: str, layers: int) -> None:
    torch.manual_seed(0)
    unit = unit_class(name)(6, 9, layers)
    x = torch.randn(4, 23, 6)
    state = torch.randn(4, unit.state_size)
    fast, fast_state = unit(x, state)
    slow, slow_state = RecurrentUnit.forward(unit, x, state)  # the reference loop over `step`
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=0)
    torch.testing.assert_close(fast_state, slow_state, atol=1e-5, rtol=0)
    # and from the zero state the fast layer's default agrees too
    torch.testing.assert_close(unit(x)[0], RecurrentUnit.forward(unit, x)[0], atol=1e-5, rtol=0)


def test_fast_layer_gradients_equal_step_wise_cell() -> None:
    torch.manual_seed(1)
    for name in ("gru", "lstm"):
        unit = unit_class(name)(3, 5, 2)
        x = torch.randn(2, 11, 3, requires_grad=True)
        (fast,) = torch.autograd.grad(unit(x)[0].square().sum(), x)
        (slow,) = torch.autograd.grad(RecurrentUnit.forward(unit, x)[0].square().sum(), x)
        torch.testing.assert_close(fast, slow, atol=1e-5, rtol=0)


def test_lstm_forget_bias_starts_at_one() -> None:
    unit = unit_class("lstm")(4, 3, 2)
    for layer in range(2):
        _, _, b_ih, b_hh = unit.rnn.all_weights[layer]
        assert torch.all(b_ih[3:6] + b_hh[3:6] == 1.0)


def sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v))


def test_nested_lstm_step_matches_the_equations_by_hand() -> None:
    """One unit wide, one input: every gate written out with plain floats (spec section 2)."""
    unit = unit_class("nlstm")(1, 1, 1)
    with torch.no_grad():
        # outer kernel rows [x, h], columns i, f, o, z; inner kernel rows [x~, h~]
        unit.outer[0].copy_(torch.tensor([[0.5, -0.3, 0.8, 1.2], [0.1, 0.4, -0.6, 0.7]]))
        unit.outer[1].copy_(torch.tensor([0.05, -0.1, 0.2, 0.3]))
        unit.inner[0].copy_(torch.tensor([[0.9, 0.2, -0.4, 0.6], [-0.7, 0.3, 0.5, -0.2]]))
        unit.inner[1].copy_(torch.tensor([0.0, 0.1, -0.05, 0.15]))
    x, h, c, inner_c = 0.7, -0.2, 0.4, -0.3

    i = sigmoid(0.5 * x + 0.1 * h + 0.05)
    f = sigmoid(-0.3 * x + 0.4 * h - 0.1 + 1.0)  # forget bias 1.0
    o = sigmoid(0.8 * x - 0.6 * h + 0.2)
    z = 1.2 * x + 0.7 * h + 0.3  # the outer sigma_z is the identity
    x_in, h_in = i * z, f * c
    i_in = sigmoid(0.9 * x_in - 0.7 * h_in)
    f_in = sigmoid(0.2 * x_in + 0.3 * h_in + 0.1 + 1.0)
    o_in = sigmoid(-0.4 * x_in + 0.5 * h_in - 0.05)
    z_in = math.tanh(0.6 * x_in - 0.2 * h_in + 0.15)
    inner_c_new = i_in * z_in + f_in * inner_c
    c_new = o_in * math.tanh(inner_c_new)
    h_new = o * math.tanh(c_new)

    out, state = unit.step(torch.tensor([[x]]), torch.tensor([[h, c, inner_c]]))
    assert out.item() == pytest.approx(h_new, abs=1e-6)
    assert state[0].tolist() == pytest.approx([h_new, c_new, inner_c_new], abs=1e-6)


def test_state_layout_and_stacking() -> None:
    unit = unit_class("nlstm")(4, 5, 2)
    assert unit.state_size == 2 * 3 * 5
    x = torch.randn(3, 7, 4)
    out, state = unit(x)
    assert out.shape == (3, 7, 5) and state.shape == (3, 30)
    # reading the sequence in two pieces, carrying the state, equals reading it at once
    first, middle = unit(x[:, :3])
    second, end = unit(x[:, 3:], middle)
    torch.testing.assert_close(torch.cat([first, second], 1), out)
    torch.testing.assert_close(end, state)


def test_a_new_unit_is_one_file() -> None:
    """build/units/rnn.py defines only `step`; the rest of the contract comes from the base class."""
    unit = unit_class("rnn")(3, 4, 2)
    out, state = unit(torch.randn(2, 5, 3))
    assert out.shape == (2, 5, 4) and state.shape == (2, 8)


def test_unknown_unit_names_the_file_it_looked_for() -> None:
    with pytest.raises(ValueError, match=r"no file build/units/mycell.py"):
        unit_class("mycell")
    with pytest.raises(ValueError, match="must define `Unit`"):
        unit_class("__init__")
