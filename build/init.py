"""Initial weights as the original's TensorFlow 1.x code drew them, tensor by tensor.

The original (github.com/distillpub/post--memorization-in-rnns) relied on TensorFlow's defaults:
- embedding (python/operator/embedding/embedding_matrix.py): the 27 rows after `<eos>` uniform in
  +-sqrt(1 / 27), the `<eos>` row zero;
- dense layer (tf.layers.dense): Glorot-uniform kernel, zero bias;
- GRU (tf.nn.rnn_cell.GRUCell): a Glorot-uniform gate kernel [I + H, 2H] for reset and update with a
  bias of 1.0, a Glorot-uniform candidate kernel [I + H, H] with a zero bias;
- LSTM (BasicLSTMCell): one Glorot-uniform kernel [I + H, 4H], zero bias, and a constant 1.0 added inside
  the forget gate, which our LSTM holds as its forget bias's starting value (build/units/lstm.py);
- Nested LSTM (its BasicNLSTMCell): Glorot-uniform kernels [I + H, 4H] and [2H, 4H], zero biases.
Glorot-uniform draws from +-sqrt(6 / (fan_in + fan_out)) of TensorFlow's kernel shape, so here each
block of PyTorch's rows gets the bound of the TensorFlow kernel it stands for. What stays different:
PyTorch's GRU and LSTM carry a second bias vector (it starts at zero, so the sum starts as the
original's), and PyTorch's GRU applies the reset gate after the recurrent weights (TensorFlow: before).
"""

from __future__ import annotations

import math

import torch
from torch import nn

INITS = ("pytorch", "original")


def glorot_bound(fan_in: int, fan_out: int) -> float:
    return math.sqrt(6.0 / (fan_in + fan_out))


def _uniform(tensor: torch.Tensor, bound: float) -> None:
    tensor.uniform_(-bound, bound)


def _gru(rnn: nn.GRU) -> None:
    hidden = rnn.hidden_size
    for layer in range(rnn.num_layers):
        w_ih, w_hh, b_ih, b_hh = rnn.all_weights[layer]
        inputs = w_ih.shape[1]
        gates, candidate = glorot_bound(inputs + hidden, 2 * hidden), glorot_bound(inputs + hidden, hidden)
        for weight in (w_ih, w_hh):  # rows: reset, update, candidate
            _uniform(weight[: 2 * hidden], gates)
            _uniform(weight[2 * hidden :], candidate)
        b_ih.zero_()
        b_ih[: 2 * hidden] = 1.0  # TensorFlow's gate bias
        b_hh.zero_()


def _lstm(rnn: nn.LSTM) -> None:
    hidden = rnn.hidden_size
    for layer in range(rnn.num_layers):
        w_ih, w_hh, b_ih, b_hh = rnn.all_weights[layer]
        bound = glorot_bound(w_ih.shape[1] + hidden, 4 * hidden)
        _uniform(w_ih, bound)
        _uniform(w_hh, bound)
        b_ih.zero_()
        b_ih[hidden : 2 * hidden] = 1.0  # rows i, f, g, o: the original's constant forget bias
        b_hh.zero_()


def _nlstm(unit: nn.Module) -> None:
    for kernels, biases in ((unit.outer[0::2], unit.outer[1::2]), (unit.inner[0::2], unit.inner[1::2])):
        for kernel, bias in zip(kernels, biases, strict=True):
            _uniform(kernel, glorot_bound(*kernel.shape))
            bias.zero_()


@torch.no_grad()
def original(model: nn.Module) -> None:
    """Redraw every parameter of a build.model.Model as the original's TensorFlow code initialised it."""
    embedding = model.embedding.weight
    _uniform(embedding[1:], math.sqrt(1.0 / (embedding.shape[0] - 1)))
    embedding[0] = 0.0
    _uniform(model.dense.weight, glorot_bound(model.dense.in_features, model.dense.out_features))
    model.dense.bias.zero_()
    unit = model.config.unit
    if unit == "gru":
        _gru(model.rnn.rnn)
    elif unit == "lstm":
        _lstm(model.rnn.rnn)
    elif unit == "nlstm":
        _nlstm(model.rnn)
    else:
        raise ValueError(f"no original initialisation for unit {unit!r} (the original had gru, lstm, nlstm)")


def apply(model: nn.Module, init: str) -> None:
    """Initialise `model` by the profile's setting: "pytorch" keeps the modules' own defaults."""
    if init not in INITS:
        raise ValueError(f"unknown initialisation {init!r}: choose one of {', '.join(INITS)}")
    if init == "original":
        original(model)
