"""The two ONNX graphs the page runs, assembled around the traced step bodies of exporter/steps.py.

autocomplete(chars int64[n], state float32[S]) -> top_ids int64[K], top_probs float32[K], state_out [S]
    the model's best words after the last character; typing on costs one Scan step per new character.
connectivity(chars int64[n], position int64[], target int64[]) -> connectivity float32[n],
    top_ids int64[3], top_probs float32[3]
    a forward Scan keeps each step's incoming state and the values its VJP needs (exporter/residuals.py);
    a reversed Scan runs the step's VJP back from the chosen logit, reading those values; the gradient
    reaching each character's embedding, times the transposed embedding matrix, gives d logit / d onehot,
    whose squared norm is the connectivity (zero after `position`). What a step computes from its
    character alone is a table read by character before the forward Scan, and what it computes only for
    the input's gradient one product after the backward Scan (exporter/inputs.py).
Both check their inputs (1 <= n, ids 1..27, 0 <= position < n) and fail instead of answering garbage.
All weights are initializers of the outer graph, shared by both Scan bodies (no per-body copy); in the
connectivity graph what the bodies compute from weights alone (transposed matrices) is computed once there
too (exporter/hoist.py).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from build.alphabet import ALPHABET
from build.model import Model
from exporter.hoist import hoist_step_invariants
from exporter.inputs import (
    slice_products,
    split_concatenated_products,
    take_input_gradient,
    take_input_products,
)
from exporter.residuals import reuse_forward_values
from exporter.steps import StepGraphs, trace_step

IR_VERSION = 10  # onnxruntime-web 1.30 reads IR <= 13 and opset <= 26
AUTOCOMPLETE_K = 10
CONNECTIVITY_K = 3
_FAIL_INDEX = -(2**62)  # a Gather index no tensor has: onnxruntime stops with "out of bounds"


def _rename_graph(graph: onnx.GraphProto, prefix: str, keep: set[str]) -> onnx.GraphProto:
    """A copy of `graph` whose value names get `prefix`, except those in `keep` (outer-scope weights)."""
    graph = onnx.GraphProto.FromString(graph.SerializeToString())

    def name(value: str) -> str:
        return value if (not value or value in keep) else prefix + value

    for node in graph.node:
        node.input[:] = [name(v) for v in node.input]
        node.output[:] = [name(v) for v in node.output]
        node.name = prefix + node.name
    for collection in (graph.input, graph.output, graph.value_info):
        for value in collection:
            value.name = name(value.name)
    for tensor in graph.initializer:
        tensor.name = name(tensor.name)
    return graph


def _body(
    graph: onnx.GraphProto,
    prefix: str,
    weights: set[str],
    inputs: list[str],
    outputs: list[str],
    pass_through: dict[str, str] | None = None,
) -> onnx.GraphProto:
    """A Scan body: the weights become outer-scope references; inputs and outputs in Scan's order.

    `pass_through` adds outputs that copy an input (name of the new output -> input it copies).
    """
    body = _rename_graph(graph, prefix, weights)
    by_name = {v.name: v for v in body.input}
    ordered_inputs = [by_name[prefix + n] for n in inputs]
    del body.input[:]
    body.input.extend(ordered_inputs)
    known_outputs = {v.name: v for v in body.output}
    new_outputs = []
    for output in outputs:
        if output in (pass_through or {}):
            source = by_name[prefix + pass_through[output]]
            body.node.append(helper.make_node("Identity", [source.name], [prefix + output]))
            copy = onnx.ValueInfoProto.FromString(source.SerializeToString())
            copy.name = prefix + output
            new_outputs.append(copy)
        else:
            new_outputs.append(known_outputs[prefix + output])
    del body.output[:]
    body.output.extend(new_outputs)
    body.name = prefix.strip("/") or "body"
    return body


def _tensor(name: str, array: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(array, order="C"), name)  # ascontiguousarray makes 0-d 1-d


class _Builder:
    """Collects nodes and initializers of one outer graph."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.count = 0

    def const(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(_tensor(name, array))
        return name

    def op(self, op_type: str, inputs: list[str], outputs: int | list[str] = 1, **attributes) -> list[str]:
        if isinstance(outputs, int):
            outputs = [f"{op_type.lower()}_{self.count}_{i}" for i in range(outputs)]
        self.count += 1
        self.nodes.append(helper.make_node(op_type, inputs, outputs, **attributes))
        return outputs

    def one(self, op_type: str, inputs: list[str], **attributes) -> str:
        return self.op(op_type, inputs, 1, **attributes)[0]


def _weights(builder: _Builder, model: Model, steps: StepGraphs) -> None:
    for name, value in steps.weights.items():
        builder.const(name, value.numpy().astype(np.float32))
    builder.const("embedding", model.embedding.weight.detach().numpy().astype(np.float32))
    builder.const("dense.weight", model.dense.weight.detach().numpy().astype(np.float32))
    builder.const("dense.bias", model.dense.bias.detach().numpy().astype(np.float32))


def _guard(builder: _Builder, chars: str, n: str, position: str | None = None) -> str:
    """A float 1.0 that exists only when the inputs are valid: otherwise its Gather fails at run time."""
    checks = [
        builder.one("GreaterOrEqual", [n, builder.const("one_i64", np.array(1, np.int64))]),
        builder.one(
            "GreaterOrEqual",
            [
                builder.one("ReduceMin", [chars], keepdims=0),
                builder.const("first_char", np.array(1, np.int64)),
            ],
        ),
        builder.one(
            "LessOrEqual",
            [
                builder.one("ReduceMax", [chars], keepdims=0),
                builder.const("last_char", np.array(len(ALPHABET) - 1, np.int64)),
            ],
        ),
    ]
    if position is not None:
        checks.append(
            builder.one("GreaterOrEqual", [position, builder.const("zero_i64", np.array(0, np.int64))])
        )
        checks.append(builder.one("Less", [position, n]))
    valid = checks[0]
    for check in checks[1:]:
        valid = builder.one("And", [valid, check])
    index = builder.one(
        "Where", [valid, "zero_index", builder.const("fail_index", np.array(_FAIL_INDEX, np.int64))]
    )
    return builder.one("Gather", [builder.const("guard_value", np.array([1.0], np.float32)), index], axis=0)


def _embed(builder: _Builder, chars: str) -> str:
    """The embedded characters as Scan inputs [n, 1, E] (a batch of one per step)."""
    embedded = builder.one("Gather", ["embedding", chars], axis=0)  # [n, E]
    return builder.one("Unsqueeze", [embedded, builder.const("axis1", np.array([1], np.int64))])


def _forward_body(steps: StepGraphs, keep_states: bool) -> onnx.GraphProto:
    """The forward step as a Scan body: inputs (state, x), outputs state_out, h and, with keep_states, the
    incoming state (the backward pass runs from it)."""
    outputs = ["h", "state_in"] if keep_states else ["h"]
    return _body(
        steps.forward,
        "forward/",
        set(steps.weights),
        ["state", "x"],
        ["state_out", *outputs],
        {"state_in": "state"},
    )


def _forward_scan(builder: _Builder, body: onnx.GraphProto, xs: str, state: str) -> list[str]:
    """Run the forward `body` over the embedded `xs`: [final state [1, S], outputs [n, 1, H], then every
    other output of the body stacked over the steps]."""
    return builder.op("Scan", [state, xs], len(body.output), body=body, num_scan_inputs=1)


def _top(builder: _Builder, h: str, k: int) -> tuple[str, str, str]:
    """Logits [1, V] of the output `h` [1, H], and the top-k word ids and probabilities (flattened)."""
    logits = builder.one("Gemm", [h, "dense.weight", "dense.bias"], transB=1)
    probs = builder.one("Softmax", [logits], axis=-1)
    values, indices = builder.op("TopK", [probs, builder.const(f"k{k}", np.array([k], np.int64))], 2, axis=-1)
    flat = builder.const("flat", np.array([-1], np.int64))
    return logits, builder.one("Reshape", [indices, flat]), builder.one("Reshape", [values, flat])


def _model(
    builder: _Builder, name: str, inputs: list, outputs: list, opset: int, hoist: bool = True
) -> onnx.ModelProto:
    """The checked model of `builder`'s graph; `hoist`: step-invariant work leaves the Scan bodies."""
    graph = helper.make_graph(builder.nodes, name, inputs, outputs, builder.initializers)
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="memorization-rnns"
    )
    model.ir_version = IR_VERSION
    if hoist:
        hoist_step_invariants(model)
    onnx.checker.check_model(model, full_check=True)
    return model


def autocomplete_graph(model: Model, steps: StepGraphs | None = None) -> onnx.ModelProto:
    steps = steps or trace_step(model.rnn)
    builder = _Builder()
    _weights(builder, model, steps)
    builder.const("zero_index", np.array(0, np.int64))
    n = builder.one("Squeeze", [builder.one("Shape", ["chars"])])
    guard = _guard(builder, "chars", n)
    start = builder.one("Unsqueeze", ["state", builder.const("axis0", np.array([0], np.int64))])
    final, hs = _forward_scan(builder, _forward_body(steps, False), _embed(builder, "chars"), start)
    last = builder.one("Gather", [hs, builder.const("last", np.array(-1, np.int64))], axis=0)  # [1, H]
    _, top_ids, top_probs = _top(builder, last, AUTOCOMPLETE_K)
    builder.op("Mul", [top_probs, guard], ["top_probs"])
    builder.op("Identity", [top_ids], ["top_ids"])
    builder.op("Reshape", [final, "flat"], ["state_out"])
    size = model.rnn.state_size
    return _model(
        builder,
        "autocomplete",
        [
            helper.make_tensor_value_info("chars", TensorProto.INT64, ["n"]),
            helper.make_tensor_value_info("state", TensorProto.FLOAT, [size]),
        ],
        [
            helper.make_tensor_value_info("top_ids", TensorProto.INT64, [AUTOCOMPLETE_K]),
            helper.make_tensor_value_info("top_probs", TensorProto.FLOAT, [AUTOCOMPLETE_K]),
            helper.make_tensor_value_info("state_out", TensorProto.FLOAT, [size]),
        ],
        steps.opset,
        # one step a key, and weights converted at each run: in the body onnxruntime fuses each Transpose
        # into its MatMul, where hoisted it would transpose every matrix at every key
        hoist=False,
    )


def connectivity_graph(model: Model, steps: StepGraphs | None = None) -> onnx.ModelProto:
    steps = steps or trace_step(model.rnn)
    unit = model.rnn
    builder = _Builder()
    _weights(builder, model, steps)
    builder.const("zero_index", np.array(0, np.int64))
    n = builder.one("Squeeze", [builder.one("Shape", ["chars"])])
    guard = _guard(builder, "chars", n, "position")
    zeros = builder.const("zero_state", np.zeros((1, unit.state_size), np.float32))
    xs = _embed(builder, "chars")  # read by both Scans
    forward = _forward_body(steps, True)
    backward = _body(
        steps.backward,
        "backward/",
        set(steps.weights),
        ["g_state", "x", "state", "g_h"],
        ["g_state_in", "g_x"],
    )
    # the backward steps read the forward steps' values (gates, products) instead of recomputing them
    residuals = reuse_forward_values(
        forward, backward, {"backward/x": "forward/x", "backward/state": "forward/state"}
    )
    shapes = {tensor.name: list(tensor.dims) for tensor in builder.initializers}
    # what a step computes from its character alone: a table of 28 rows, read by character
    split_concatenated_products(forward, "forward/x", shapes)
    table_nodes, tables = take_input_products(forward, "forward/x", "embedding", shapes)
    builder.nodes.extend(table_nodes)
    by_character = {
        body_input: builder.one("Unsqueeze", [builder.one("Gather", [table, "chars"], axis=0), "axis1"])
        for table, body_input in tables
    }
    direct = {out for out, _ in residuals if out in by_character}  # a residual that is a table's row
    kept_outputs = [v for v in forward.output if v.name not in direct]
    del forward.output[:]
    forward.output.extend(kept_outputs)
    _, hs, states_in, *stacked = builder.op(
        "Scan",
        [zeros, xs, *by_character.values()],
        len(forward.output),
        body=forward,
        num_scan_inputs=1 + len(by_character),
    )
    stacked_by_output = dict(zip([v.name for v in forward.output[3:]], stacked, strict=True))
    h = builder.one("Gather", [hs, "position"], axis=0)  # [1, H]
    logits, top_ids, top_probs = _top(builder, h, CONNECTIVITY_K)
    own = builder.one("ArgMax", [logits], axis=-1, keepdims=0)  # [1]
    wanted = builder.one("Reshape", ["target", builder.const("one_dim", np.array([1], np.int64))])
    chosen = builder.one("Where", [builder.one("GreaterOrEqual", [wanted, "zero_i64"]), wanted, own])
    cotangent = builder.one("Gather", ["dense.weight", chosen], axis=0)  # d logit_k / d h = W[k], [1, H]
    steps_range = builder.one("Range", ["zero_i64", n, "one_i64"])
    at_position = builder.one("Cast", [builder.one("Equal", [steps_range, "position"])], to=TensorProto.FLOAT)
    mask = builder.one("Reshape", [at_position, builder.const("mask_shape", np.array([-1, 1, 1], np.int64))])
    g_hs = builder.one("Mul", [mask, cotangent])  # [n, 1, H]: the cotangent enters at `position` only
    scanned = [xs, states_in, g_hs] + [
        by_character.get(out) or stacked_by_output[out] for out, _ in residuals
    ]
    outer_of = dict(zip([v.name for v in backward.input[1:]], scanned, strict=True))
    # what a step does only to produce the gradient for its input: after the Scan, over every step at once
    slice_products(backward, "backward/g_x", shapes)
    moved = take_input_gradient(backward, "backward/g_x", shapes, {"backward/g_state"})
    _, *gradients = builder.op(
        "Scan",
        [zeros, *scanned],
        len(backward.output),
        body=backward,
        num_scan_inputs=len(scanned),
        scan_input_directions=[1] * len(scanned),
        scan_output_directions=[1] * (len(backward.output) - 1),
    )
    embedding_t = builder.one("Transpose", ["embedding"])
    if moved is None:
        g_xs = gradients[0]
    else:
        gradient_nodes, _, g_xs = moved
        outer_of.update(zip([v.name for v in backward.output[1:]], gradients, strict=True))
        for node in gradient_nodes:
            node.input[:] = [outer_of.get(name, name) for name in node.input]
        *sources, last = gradient_nodes
        builder.nodes.extend(sources)
        if last.op_type == "MatMul" and last.output[0] == g_xs:
            # (a W) E^T = a (W E^T): the product by W joins the embedding's, a constant of 28 columns
            last.input[1] = builder.one("MatMul", [last.input[1], embedding_t])
            embedding_t = None
        builder.nodes.append(last)
    if embedding_t is None:  # g_xs is d logit / d onehot already, [n, 1, 28]
        g_onehot = builder.one(
            "Reshape", [g_xs, builder.const("rows", np.array([-1, len(ALPHABET)], np.int64))]
        )
    else:
        g_embedded = builder.one(
            "Reshape", [g_xs, builder.const("rows", np.array([-1, unit.input_size], np.int64))]
        )
        g_onehot = builder.one("MatMul", [g_embedded, embedding_t])  # [n, 28]
    squared = builder.one(
        "ReduceSumSquare", [g_onehot, builder.const("axis_last", np.array([1], np.int64))], keepdims=0
    )
    builder.op("Mul", [squared, guard], ["connectivity"])
    builder.op("Identity", [top_ids], ["top_ids"])
    builder.op("Identity", [top_probs], ["top_probs"])
    return _model(
        builder,
        "connectivity",
        [
            helper.make_tensor_value_info("chars", TensorProto.INT64, ["n"]),
            helper.make_tensor_value_info("position", TensorProto.INT64, []),
            helper.make_tensor_value_info("target", TensorProto.INT64, []),
        ],
        [
            helper.make_tensor_value_info("connectivity", TensorProto.FLOAT, ["n"]),
            helper.make_tensor_value_info("top_ids", TensorProto.INT64, [CONNECTIVITY_K]),
            helper.make_tensor_value_info("top_probs", TensorProto.FLOAT, [CONNECTIVITY_K]),
        ],
        steps.opset,
    )
