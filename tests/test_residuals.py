"""exporter/residuals.py: the backward steps read the forward steps' values; the outputs stay those of the
float32 model, at the small profile's sizes and at the paper's."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from build import dataset, profiles
from build.connectivity import connectivity
from build.model import Model
from build.passages import P1
from exporter import web
from exporter.graphs import autocomplete_graph, connectivity_graph
from exporter.steps import trace_step

TEXT = (P1 + P1)[:200]


def _scan_bodies(graph: onnx.ModelProto) -> dict[str, onnx.GraphProto]:
    return {
        node.attribute[0].g.name: node.attribute[0].g for node in graph.graph.node if node.op_type == "Scan"
    }


def _products(body: onnx.GraphProto) -> int:
    return sum(node.op_type in ("MatMul", "Gemm") for node in body.node)


@pytest.fixture(scope="module", params=[("small", "gru"), ("small", "lstm"), ("small", "nlstm")])
def small_model(request) -> Model:
    name, unit = request.param
    torch.manual_seed(7)
    return Model.for_profile(profiles.load(name), unit).eval()


def test_the_backward_step_does_no_product_of_the_forward_step_again(small_model: Model) -> None:
    """Differentiating a step takes one product per matrix product of the step (to its input and state);
    the recomputed forward products are gone, as is every step-invariant node."""
    bodies = _scan_bodies(connectivity_graph(small_model))
    forward, backward = bodies["forward"], bodies["backward"]
    assert _products(backward) == _products(forward) > 0
    residuals = [v.name for v in backward.input if "residual_" in v.name]
    assert residuals and len(forward.output) == 3 + len(residuals)  # state_out, h, state_in, residuals
    for body in (forward, backward):
        assert not body.initializer
        assert all(node.op_type != "Transpose" or not node.input[0].startswith("unit.") for node in body.node)


def _connectivity_rows(model: Model, graph: onnx.ModelProto, positions: list[int]) -> list[np.ndarray]:
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    chars = dataset.encode_text(TEXT).astype(np.int64)
    rows = []
    for position in positions:
        values, _, _ = session.run(
            None, {"chars": chars, "position": np.array(position), "target": np.array(-1)}
        )
        rows.append(values)
    return rows


def _equal_to_float32_reference(model: Model, graph: onnx.ModelProto, positions: list[int]) -> None:
    """Rows of the graph against build.connectivity's float32 PyTorch (within 1e-5 of each row's largest
    value), for the model's own top word at each position."""
    chars = torch.from_numpy(dataset.encode_text(TEXT).astype(np.int64))
    reference = connectivity(model, chars, positions=torch.tensor(positions))
    for row, got in zip(reference.values.numpy(), _connectivity_rows(model, graph, positions), strict=True):
        np.testing.assert_allclose(got, row[: len(got)], rtol=0, atol=1e-5 * row.max())


def _top3_unchanged(model: Model, graph: onnx.ModelProto) -> None:
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    chars = dataset.encode_text(TEXT[:120]).astype(np.int64)
    top_ids, _, _ = session.run(None, {"chars": chars, "state": np.zeros(model.rnn.state_size, np.float32)})
    with torch.no_grad():
        hidden, _ = model.hidden(torch.from_numpy(chars)[None])
        expected = model.dense(hidden[0, -1]).topk(3).indices
    assert top_ids[:3].tolist() == expected.tolist()


def test_small_models_web_graphs_equal_the_float32_model(small_model: Model) -> None:
    """The graphs the page loads (int8 weights) against PyTorch with the same rounded weights."""
    rounded = web.rounded_model(small_model, "int8")
    steps = trace_step(rounded.rnn)
    _equal_to_float32_reference(
        rounded, web.convert_graph(connectivity_graph(rounded, steps), "int8"), [0, 57, 199]
    )
    _top3_unchanged(rounded, web.convert_graph(autocomplete_graph(rounded, steps), "int8"))


@pytest.mark.parametrize("unit", ["gru", "lstm", "nlstm"])
def test_paper_size_web_graphs_equal_the_float32_model(unit: str) -> None:
    """The paper-shapes profile's sizes (600 units, vocabulary of 2^14), freshly initialised as it is."""
    torch.manual_seed(11)
    model = web.rounded_model(Model.for_profile(profiles.load("paper-shapes"), unit).eval(), "int8")
    steps = trace_step(model.rnn)
    _equal_to_float32_reference(model, web.convert_graph(connectivity_graph(model, steps), "int8"), [199])
    _top3_unchanged(model, web.convert_graph(autocomplete_graph(model, steps), "int8"))
