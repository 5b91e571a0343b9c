"""Initial weights: every tensor of every model drawn as the original's TensorFlow 1.x defaults drew it.

The expected bounds are written out here from TensorFlow's kernel shapes (fan_in + fan_out of the
kernel [I + H, k H]), independently of build/init.py.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from build import profiles
from build.model import Model

E, H, V = 40, 48, 300  # embedding, units, output classes: small, and all different


def uniform_in(tensor: torch.Tensor, bound: float) -> None:
    """Uniform on [-bound, bound]: inside, reaching near both ends, mean 0 and std bound / sqrt(3)."""
    values = tensor.detach().double().flatten()
    assert values.abs().max() <= bound + 1e-7
    assert values.max() > 0.9 * bound and values.min() < -0.9 * bound
    assert values.mean().abs() < 4 * bound / math.sqrt(3 * values.numel())
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.1)


def glorot(fan_in: int, fan_out: int) -> float:
    return math.sqrt(6 / (fan_in + fan_out))


def model(unit: str, layers: int, init: str = "original") -> Model:
    torch.manual_seed(0)
    options = {"depth": 2} if unit == "nlstm" else {}
    return Model(profiles.ModelConfig(unit, unit, unit, H, layers, options), V, E, init)


def check_shared(m: Model, checked: set[str]) -> None:
    weight = m.embedding.weight
    uniform_in(weight[1:], math.sqrt(1 / 27))  # embedding_matrix.py: +-sqrt(1 / (alphabet - 1))
    assert torch.all(weight[0] == 0)  # <eos>
    uniform_in(m.dense.weight, glorot(H, V))
    assert torch.all(m.dense.bias == 0)
    checked |= {"embedding.weight", "dense.weight", "dense.bias"}


def test_gru_as_tensorflows_grucell() -> None:
    m, checked = model("gru", 2), set()
    check_shared(m, checked)
    for layer, inputs in enumerate((E, H)):
        for kind in ("ih", "hh"):
            weight = getattr(m.rnn.rnn, f"weight_{kind}_l{layer}")
            uniform_in(weight[: 2 * H], glorot(inputs + H, 2 * H))  # gates/kernel [I + H, 2H]
            uniform_in(weight[2 * H :], glorot(inputs + H, H))  # candidate/kernel [I + H, H]
            checked.add(f"rnn.rnn.weight_{kind}_l{layer}")
        b_ih, b_hh = getattr(m.rnn.rnn, f"bias_ih_l{layer}"), getattr(m.rnn.rnn, f"bias_hh_l{layer}")
        assert torch.all(b_ih[: 2 * H] == 1.0) and torch.all(b_ih[2 * H :] == 0)  # gate bias 1.0
        assert torch.all(b_hh == 0)  # PyTorch's second bias adds nothing at the start
        checked |= {f"rnn.rnn.bias_ih_l{layer}", f"rnn.rnn.bias_hh_l{layer}"}
    assert checked == {name for name, _ in m.named_parameters()}  # every tensor checked


def test_lstm_as_tensorflows_basiclstmcell() -> None:
    m, checked = model("lstm", 2), set()
    check_shared(m, checked)
    for layer, inputs in enumerate((E, H)):
        for kind in ("ih", "hh"):
            uniform_in(getattr(m.rnn.rnn, f"weight_{kind}_l{layer}"), glorot(inputs + H, 4 * H))
            checked.add(f"rnn.rnn.weight_{kind}_l{layer}")
        b_ih, b_hh = getattr(m.rnn.rnn, f"bias_ih_l{layer}"), getattr(m.rnn.rnn, f"bias_hh_l{layer}")
        forget = torch.zeros(4 * H)
        forget[H : 2 * H] = 1.0  # rows i, f, g, o: the original's constant forget bias as a start value
        assert torch.equal(b_ih.detach(), forget) and torch.all(b_hh == 0)
        checked |= {f"rnn.rnn.bias_ih_l{layer}", f"rnn.rnn.bias_hh_l{layer}"}
    assert checked == {name for name, _ in m.named_parameters()}


def test_nested_lstm_as_the_originals_cell() -> None:
    m, checked = model("nlstm", 1), set()
    check_shared(m, checked)
    uniform_in(m.rnn.outer[0], glorot(E + H, 4 * H))  # kernel_0 [I + H, 4H]
    uniform_in(m.rnn.inner[0], glorot(2 * H, 4 * H))  # kernel_1 [2H, 4H]
    assert torch.all(m.rnn.outer[1] == 0) and torch.all(m.rnn.inner[1] == 0)
    checked |= {"rnn.outer.0", "rnn.outer.1", "rnn.inner.0", "rnn.inner.1"}
    assert checked == {name for name, _ in m.named_parameters()}


def test_pytorch_init_keeps_pytorchs_defaults() -> None:
    """The small profile's setting: the embedding is N(0, 1), about nine times the original's spread."""
    m = model("gru", 2, init="pytorch")
    assert float(m.embedding.weight[1:].detach().std()) == pytest.approx(1.0, rel=0.1)
    uniform_in(m.dense.weight, 1 / math.sqrt(H))
    uniform_in(m.rnn.rnn.weight_ih_l0, 1 / math.sqrt(H))


def test_profiles_choose_their_initialisation() -> None:
    assert profiles.load("paper").init == "original" and profiles.load("paper-shapes").init == "original"
    assert profiles.load("small").init == "pytorch"
    tiny = profiles.load("tiny")
    weight = Model.for_profile(dataclasses.replace(tiny, init="original"), "gru").embedding.weight
    std = weight[1:].detach().std()
    assert float(std) == pytest.approx(math.sqrt(1 / 27) / math.sqrt(3), rel=0.2)
    with pytest.raises(ValueError, match="unknown initialisation 'xavier'"):
        Model.for_profile(dataclasses.replace(tiny, init="xavier"), "gru")
    with pytest.raises(ValueError, match="no original initialisation for unit 'rnn'"):
        model("rnn", 1)
