"""exporter/hoist.py: step-invariant work leaves the Scan bodies, once for all bodies, outputs unchanged."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from exporter.hoist import HOISTED, hoist_step_invariants

SIZE = 5


def _body(name: str) -> onnx.GraphProto:
    """state' = tanh(state @ W^T + x * scale): W^T and the body's own `scale` constant are step-invariant."""
    return helper.make_graph(
        [
            helper.make_node("Transpose", ["W"], [f"{name}/wt"], perm=[1, 0]),
            helper.make_node("MatMul", [f"{name}/state", f"{name}/wt"], [f"{name}/mm"]),
            helper.make_node("Mul", [f"{name}/x", f"{name}/scale"], [f"{name}/xs"]),
            helper.make_node("Add", [f"{name}/mm", f"{name}/xs"], [f"{name}/sum"]),
            helper.make_node("Tanh", [f"{name}/sum"], [f"{name}/next"]),
            helper.make_node("Identity", [f"{name}/next"], [f"{name}/out"]),
        ],
        name,
        [
            helper.make_tensor_value_info(f"{name}/state", TensorProto.FLOAT, [1, SIZE]),
            helper.make_tensor_value_info(f"{name}/x", TensorProto.FLOAT, [1, SIZE]),
        ],
        [
            helper.make_tensor_value_info(f"{name}/next", TensorProto.FLOAT, [1, SIZE]),
            helper.make_tensor_value_info(f"{name}/out", TensorProto.FLOAT, [1, SIZE]),
        ],
        [numpy_helper.from_array(np.array(0.5, np.float32), f"{name}/scale")],
    )


def _model() -> onnx.ModelProto:
    """Two Scans over the same inputs whose bodies both transpose the outer weight W."""
    weights = np.random.default_rng(0).standard_normal((SIZE, SIZE)).astype(np.float32) / SIZE
    graph = helper.make_graph(
        [
            helper.make_node(
                "Scan", ["start", "xs"], ["a_last", "a_all"], body=_body("a"), num_scan_inputs=1
            ),
            helper.make_node(
                "Scan",
                ["a_last", "xs"],
                ["b_last", "b_all"],
                body=_body("b"),
                num_scan_inputs=1,
                scan_input_directions=[1],
            ),
        ],
        "two-scans",
        [
            helper.make_tensor_value_info("start", TensorProto.FLOAT, [1, SIZE]),
            helper.make_tensor_value_info("xs", TensorProto.FLOAT, ["n", 1, SIZE]),
        ],
        [helper.make_tensor_value_info("b_all", TensorProto.FLOAT, ["n", 1, SIZE])],
        [numpy_helper.from_array(weights, "W")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 10
    return model


def _run(model: onnx.ModelProto) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    feeds = {
        "start": rng.standard_normal((1, SIZE)).astype(np.float32),
        "xs": rng.standard_normal((7, 1, SIZE)).astype(np.float32),
    }
    return session.run(None, feeds)[0]


def test_invariant_nodes_leave_the_bodies_once_and_outputs_stay() -> None:
    model = _model()
    expected = _run(model)
    assert hoist_step_invariants(model) == 1  # one Transpose of W, shared by both bodies
    onnx.checker.check_model(model, full_check=True)
    outer = [node for node in model.graph.node if node.op_type != "Scan"]
    assert [(n.op_type, list(n.input), n.output[0].startswith(HOISTED)) for n in outer] == [
        ("Transpose", ["W"], True)
    ]
    assert model.graph.node[0].op_type == "Transpose"  # before the first Scan
    for scan in model.graph.node[1:]:
        body = scan.attribute[0].g
        assert [n.op_type for n in body.node] == ["MatMul", "Mul", "Add", "Tanh", "Identity"]
        assert body.node[0].input[1] == outer[0].output[0]
        assert not body.initializer  # the body's constant is an initializer of the enclosing graph now
    assert {t.name for t in model.graph.initializer} == {"W", "a/scale", "b/scale"}
    np.testing.assert_array_equal(_run(model), expected)


def test_a_graph_without_scans_is_left_alone() -> None:
    model = _model()
    del model.graph.node[:]
    before = model.SerializeToString()
    assert hoist_step_invariants(model) == 0
    assert model.SerializeToString() == before
