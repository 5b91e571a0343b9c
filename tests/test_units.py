"""Recurrent units: the fast layers equal the step-wise cells; the Nested LSTM equals its equations; a
researcher's unit file that is wrong is refused with a message naming the file and what is wrong."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pytest
import torch

from build import dataset, profiles, train
from build.profiles import ModelConfig
from build.units import RecurrentUnit, UnitError, check, unit_class, unit_file


@pytest.mark.parametrize("name", ["gru", "lstm", "nlstm"])
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


@pytest.mark.parametrize("layers", [1, 2])
def test_nested_lstm_layer_gradients_equal_the_loop_over_step(layers: int) -> None:
    """The Nested LSTM's CPU layer (the input's share of the gates for all steps before the loop) gives
    the gradients of the loop over `step` for the input, the initial state and every parameter, under a
    loss of the outputs and the final state, and under one of the outputs alone."""
    torch.manual_seed(2 + layers)
    unit = unit_class("nlstm")(5, 7, layers)
    assert unit.fused is None  # on the CPU: the plain PyTorch layer
    x = torch.randn(3, 13, 5, requires_grad=True)
    state = torch.randn(3, unit.state_size, requires_grad=True)
    inputs = [x, state, *unit.parameters()]
    names = ["x", "state", *(name for name, _ in unit.named_parameters())]
    readout = torch.randn(3, 13, 7)
    for loss in (lambda out, end: out.square().sum() + end.sum(), lambda out, _: (out * readout).sum()):
        fast = torch.autograd.grad(loss(*unit(x, state)), inputs)
        slow = torch.autograd.grad(loss(*RecurrentUnit.forward(unit, x, state)), inputs)
        for name, f, s in zip(names, fast, slow, strict=True):
            torch.testing.assert_close(f, s, atol=1e-5, rtol=1e-5, msg=name)


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
    with pytest.raises(
        UnitError, match=r"no file build/units/mycell.py \(the units are gru, lstm, nlstm, rnn\)"
    ):
        unit_class("mycell")
    with pytest.raises(UnitError, match="must define `Unit`"):
        unit_class("__init__")
    with pytest.raises(UnitError, match=r"'../gru': a unit is a file build/units/<name>.py"):
        unit_class("../gru")


def test_the_article_units_pass_the_check() -> None:
    state = torch.random.get_rng_state()
    for name, options in (("gru", {}), ("lstm", {}), ("nlstm", {"depth": 2}), ("rnn", {})):
        check(name, 5, 2, options)
        assert unit_file(name) == Path(f"build/units/{name}.py")
    assert torch.equal(torch.random.get_rng_state(), state)  # training's seeded weights stay the same


# The minimal gated unit (Zhou, Wu, Zhang & Zhou, 2016): one gate f both resets and updates,
#   f = sigmoid(W_f [h, x] + b_f),  h~ = tanh(W_h [f * h, x] + b_h),  h' = (1 - f) * h + f * h~
MGU = """
    import torch
    from torch import nn

    from build.units import RecurrentUnit


    class Unit(RecurrentUnit):
        def __init__(self, input_size: int, hidden_size: int, layers: int = 1) -> None:
            super().__init__(input_size, hidden_size, layers)
            widths = [input_size] + [hidden_size] * (layers - 1)
            self.gates = nn.ModuleList(nn.Linear(w + hidden_size, hidden_size) for w in widths)
            self.candidates = nn.ModuleList(nn.Linear(w + hidden_size, hidden_size) for w in widths)

        def step(self, x, state):
            new_states = []
            for layer, (h,) in enumerate(self.layer_states(state)):
                f = torch.sigmoid(self.gates[layer](torch.cat([h, x], dim=-1)))
                candidate = torch.tanh(self.candidates[layer](torch.cat([f * h, x], dim=-1)))
                x = (1 - f) * h + f * candidate
                new_states.append((x,))
            return x, self.join_states(new_states)
"""


def test_a_researchers_unit_passes_the_check_and_trains(unit_files, isolated) -> None:
    path = unit_files("mgu", MGU)
    assert unit_file("mgu") == path.resolve()  # the file where it was found, not build/units/
    check("mgu", 16, 2, {})
    profile = dataclasses.replace(
        profiles.load("tiny"), models=(ModelConfig("mgu", "MGU", "mgu", 16, 2),), steps=4
    )
    dataset.prepare(profile)
    final = train.train(profile, "mgu", torch.device("cpu"), progress=False)
    trained = torch.load(final, weights_only=True)
    assert trained["step"] == 4 and trained["parameters"]["recurrent"] == 2 * (2 * (32 * 16 + 16))


def one_layer(*lines: str, before: str = "", super_args: str = "input_size, hidden_size, layers") -> str:
    """A one-layer tanh unit whose step ends with `lines`; `before` opens the class body."""
    body = "".join(f"        {line}\n" for line in lines)
    return f"""\
import torch
from torch import nn

from build.units import RecurrentUnit


class Unit(RecurrentUnit):
{before}
    def __init__(self, input_size: int, hidden_size: int, layers: int = 1) -> None:
        super().__init__({super_args})
        self.cell = nn.Linear(input_size + hidden_size, hidden_size)

    def step(self, x, state):
{body}"""


GOOD_STEP = "h = torch.tanh(self.cell(torch.cat([x, state], dim=-1)))"

STEP_RAISES = one_layer(
    "h = torch.tanh(x @ self.cell.weight)  # x is [B, 3]: wants [x, state]", "return h, h"
)

FORWARD_LAST_ONLY = one_layer(GOOD_STEP, "return h, h") + (
    "\n    def forward(self, x, state=None):\n"
    "        outputs, state = super().forward(x, state)\n"
    "        return outputs[:, -1], state  # only the last output\n"
)

STEP = r"step\(x \[2, 3\], state \[2, 4\]\)"

# case: (the unit file's source, a pattern for the message after the file's name)
WRONG: dict[str, tuple[str, str]] = {
    "syntax error": (
        "from build.units import RecurrentUnit\n\nclass Unit(RecurrentUnit)\n    pass\n",
        r": SyntaxError at line 3: expected ':'$",
    ),
    "import error": (
        "import torch\nfrom build.units import RecurrentUnit, Cell\n",
        r": importing it raised ImportError: cannot import name 'Cell' from 'build.units' .* at line 2$",
    ),
    "exception on import": (
        "import torch\nSIZE = 1 // 0\n",
        r": importing it raised ZeroDivisionError: integer division or modulo by zero at line 2$",
    ),
    "no Unit": (
        "from build.units import RecurrentUnit\n\nclass Cell(RecurrentUnit):\n    pass\n",
        " must define `Unit`, a subclass of RecurrentUnit; it defines no `Unit`$",
    ),
    "Unit not a RecurrentUnit": (
        "from torch import nn\n\nclass Unit(nn.Module):\n    pass\n",
        " must define `Unit`, a subclass of RecurrentUnit; its `Unit` is a class derived from "
        r"torch\.nn\.modules\.module\.Module, not from build\.units\.RecurrentUnit$",
    ),
    "Unit not a class": (
        "Unit = 3\n",
        " must define `Unit`, a subclass of RecurrentUnit; its `Unit` is int 3, not a class$",
    ),
    "wrong h shape": (
        one_layer(GOOD_STEP, "return torch.cat([h, h], dim=-1), h"),
        rf": {STEP} returned h of shape \[2, 8\]; expected \[2, 4\]$",
    ),
    "step returns one tensor": (
        one_layer(GOOD_STEP, "return h"),
        rf": {STEP} must return a pair \(h, state\); it returned a Tensor$",
    ),
    "wrong state size from step": (
        one_layer(
            "((h, c),) = self.layer_states(state)",
            "h = torch.tanh(self.cell(torch.cat([x, h], dim=-1)))",
            "return h, h  # forgot c",
            before="    states_per_layer = 2  # h, c\n",
        ),
        r": step\(x \[2, 3\], state \[2, 8\]\) returned state of shape \[2, 4\]; expected \[2, 8\]$",
    ),
    "state_size not a multiple of hidden": (
        one_layer(GOOD_STEP, "return h, h", before="    state_size = 5\n"),
        ": state_size is 5; it must be a positive multiple of hidden size 4$",
    ),
    "step raises": (
        STEP_RAISES,
        rf": {STEP} raised RuntimeError: mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x7\) "
        rf"at line {next(i for i, line in enumerate(STEP_RAISES.splitlines(), 1) if '@' in line)}$",
    ),
    "forward returns the last output only": (
        FORWARD_LAST_ONLY,
        r": forward\(x \[2, 3, 3\]\) returned outputs of shape \[2, 4\]; expected \[2, 3, 4\]$",
    ),
}


@pytest.mark.parametrize("case", WRONG)
def test_a_wrong_unit_file_is_named_with_what_is_wrong(case: str, unit_files) -> None:
    source, pattern = WRONG[case]
    path = unit_files("mycell", source)
    with pytest.raises(UnitError) as raised:
        check("mycell", 4, 1, {})
    assert re.match(re.escape(str(path.resolve())) + pattern, str(raised.value)), str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_unit_that_keeps_its_layers_to_itself_is_named(unit_files) -> None:
    """A Unit that builds two layers but tells RecurrentUnit of one has a state too small for its stack."""
    path = unit_files("mycell", one_layer(GOOD_STEP, "return h, h", super_args="input_size, hidden_size"))
    with pytest.raises(UnitError) as raised:
        check("mycell", 4, 2, {})
    assert str(raised.value) == (
        f"{path.resolve()}: state_size is 4, but states_per_layer * layers * hidden = 1 * 2 * 4 = 8 "
        "(does Unit.__init__ pass its sizes to RecurrentUnit.__init__?)"
    )


def test_an_unknown_option_names_the_file_and_the_option(unit_files) -> None:
    path = unit_files("mgu", MGU)
    with pytest.raises(UnitError) as raised:
        check("mgu", 4, 1, {"depth": 2})
    assert str(raised.value) == (
        f"{path.resolve()}: Unit(3, 4, 1, depth=2) raised TypeError: Unit.__init__() got an unexpected "
        "keyword argument 'depth'"
    )
    with pytest.raises(
        UnitError, match=r"^build/units/nlstm.py: Unit\(3, 4, 1, depth=3\) raised ValueError: "
    ):
        check("nlstm", 4, 1, {"depth": 3})


def test_a_missing_unit_lists_the_units_there_are(unit_files) -> None:
    unit_files("mgu", MGU)
    with pytest.raises(UnitError) as raised:
        check("mgu2", 4, 1, {})
    assert str(raised.value) == (
        "unknown recurrent unit 'mgu2': no file build/units/mgu2.py "
        "(the units are gru, lstm, mgu, nlstm, rnn)"
    )
