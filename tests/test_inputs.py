"""exporter/inputs.py: the input-side work leaves the Scans (a table read by character before the forward
Scan, one product after the backward Scan); a unit whose input meets its state at once keeps its forward
body. The values stay the float32 model's (tests/test_residuals.py runs the article's units)."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from torch import nn

from build import dataset, profiles
from build.connectivity import connectivity
from build.model import Model
from build.units import RecurrentUnit
from exporter.graphs import connectivity_graph


def _graph(unit: str) -> onnx.ModelProto:
    torch.manual_seed(3)
    return connectivity_graph(Model.for_profile(profiles.load("tiny"), unit).eval())


def _bodies(graph: onnx.ModelProto) -> tuple[onnx.NodeProto, onnx.NodeProto]:
    forward, backward = (node for node in graph.graph.node if node.op_type == "Scan")
    return forward, backward


def _reads(body: onnx.GraphProto) -> set[str]:
    return {name for node in body.node for name in node.input}


@pytest.mark.parametrize(("unit", "per_step"), [("gru", 3), ("lstm", 3), ("nlstm", 2)])
def test_the_input_products_are_a_table_and_one_product_after(unit: str, per_step: int) -> None:
    """GRU and LSTM: per step, the recurrent products of both layers and the second layer's input product
    remain; the Nested LSTM's [x, h] K is split so that x K[:E] leaves, and its gradient's slice too."""
    graph = _graph(unit)
    forward, backward = _bodies(graph)
    body = forward.attribute[0].g
    assert sum(node.op_type == "MatMul" for node in body.node) == per_step
    assert "forward/x" not in _reads(body)  # the character's row comes from the table
    assert len(forward.input) == 3 and forward.input[2].startswith("unsqueeze")
    table = next(node for node in graph.graph.node if node.op_type == "MatMul" and "embedding" in node.input)
    assert table.input[0] == "embedding"  # the 28 rows of the embedding times the input's matrix: a constant
    back = backward.attribute[0].g
    assert sum(node.op_type == "MatMul" for node in back.node) == per_step
    assert "backward/g_x" not in {value.name for value in back.output}
    # after the Scan: the stacked gradient of the input's products times (W E^T), 28 columns
    producer = {out: node for node in graph.graph.node for out in node.output}
    folded, per_character = [node for node in graph.graph.node if node.op_type == "MatMul"][-2:]
    assert producer[folded.input[1]].op_type == "Transpose"
    assert producer[folded.input[1]].input[0] == "embedding"
    assert per_character.input[1] == folded.output[0]
    assert producer[per_character.input[0]] is backward  # the backward Scan's stacked gradients


class Entangled(RecurrentUnit):
    """A unit whose input meets its state before anything else: no work on the input alone."""

    def __init__(self, size: int) -> None:
        super().__init__(size, size, 1)
        self.w = nn.Parameter(torch.randn(size, size) / size)

    def step(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.tanh((x * state + x) @ self.w + 0.5 * state)
        return h, h


def test_a_unit_whose_input_meets_its_state_at_once_keeps_its_forward_body_and_its_values() -> None:
    torch.manual_seed(5)
    model = Model.for_profile(profiles.load("tiny"), "gru").eval()
    model.rnn = Entangled(model.embedding.embedding_dim)
    graph = connectivity_graph(model)
    forward, backward = _bodies(graph)
    assert "forward/x" in _reads(forward.attribute[0].g) and len(forward.input) == 2  # no table
    # backwards, the input's gradient (g * state + g) is row-wise in stacked values: it may leave
    chars = dataset.encode_text(" the old school by the river").astype(np.int64)
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    values, _, _ = session.run(None, {"chars": chars, "position": np.array(20), "target": np.array(-1)})
    expected = connectivity(model, torch.from_numpy(chars), positions=torch.tensor([20])).values[0].numpy()
    np.testing.assert_allclose(values, expected[: len(chars)], rtol=0, atol=1e-5 * expected.max())
