"""Work that does not change from one time step to the next leaves the Scan bodies of a graph.

The traced step bodies transpose (and, in the web graphs, read converted) weight matrices inside the
body, so a runtime that cannot fold them repeats that work at every character. Any node of a body whose
inputs are all weights or other such nodes computes the same value at every step: it moves to the
enclosing graph, once, and the forward and backward bodies share one copy of each such value (the
transposed matrix a forward step multiplies by is the one its VJP's recomputation multiplies by). The
runtime then sees a constant matrix where it prepacks its products.
"""

from __future__ import annotations

import onnx
from onnx import helper

HOISTED = "hoisted/"  # prefix of the enclosing graph's names for the values that left a body


def _subgraphs(node: onnx.NodeProto) -> list[onnx.GraphProto]:
    return [a.g for a in node.attribute if a.type == onnx.AttributeProto.GRAPH]


def signature(node: onnx.NodeProto, inputs: list[str]) -> bytes:
    """Two nodes with equal signatures compute the same value (same op, inputs and attributes)."""
    key = helper.make_node(node.op_type, inputs, [], domain=node.domain)
    key.attribute.extend(sorted(node.attribute, key=lambda a: a.name))
    return key.SerializeToString()


def hoist_step_invariants(model: onnx.ModelProto) -> int:
    """Move every step-invariant node of the Scan bodies of `model`'s graph (in place) to just before the
    first Scan; returns how many nodes the enclosing graph gained. A body's own initializers move out too,
    under the same (already prefixed) names."""
    graph = model.graph
    scans = [i for i, node in enumerate(graph.node) if node.op_type == "Scan"]
    if not scans:
        return 0
    taken = {v.name for v in graph.input} | {t.name for t in graph.initializer}
    taken |= {out for node in graph.node for out in node.output}
    hoisted: list[onnx.NodeProto] = []
    moved_initializers: list[onnx.TensorProto] = []
    by_signature: dict[bytes, list[str]] = {}
    for index in scans:
        for body in _subgraphs(graph.node[index]):
            local = {v.name for v in body.input} | {out for node in body.node for out in node.output}
            for tensor in body.initializer:
                if tensor.name in taken:
                    raise ValueError(f"body {body.name}: initializer {tensor.name} clashes with a graph name")
                taken.add(tensor.name)
            moved_initializers.extend(body.initializer)
            del body.initializer[:]
            renamed: dict[str, str] = {}
            kept = []
            for node in body.node:
                inputs = [renamed.get(name, name) for name in node.input]
                invariant = (
                    not _subgraphs(node)
                    and node.output
                    and all(not name or name not in local or name in renamed for name in node.input)
                )
                if not invariant:
                    node.input[:] = inputs
                    kept.append(node)
                    continue
                key = signature(node, inputs)
                if key not in by_signature:
                    outputs = [HOISTED + out for out in node.output]
                    clash = [out for out in outputs if out in taken]
                    if clash:
                        raise ValueError(f"body {body.name}: hoisted name {clash[0]} is taken")
                    taken.update(outputs)
                    copy = helper.make_node(
                        node.op_type,
                        inputs,
                        outputs,
                        name=HOISTED + (node.name or node.output[0]),
                        domain=node.domain,
                    )
                    copy.attribute.extend(node.attribute)
                    hoisted.append(copy)
                    by_signature[key] = outputs
                renamed.update(zip(node.output, by_signature[key], strict=True))
            for output in body.output:
                if output.name in renamed:  # a body output that is step-invariant stays a body value
                    kept.append(helper.make_node("Identity", [renamed[output.name]], [output.name]))
            del body.node[:]
            body.node.extend(kept)
            kept_info = [v for v in body.value_info if v.name not in renamed]
            del body.value_info[:]
            body.value_info.extend(kept_info)
    graph.initializer.extend(moved_initializers)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes[: scans[0]] + hoisted + nodes[scans[0] :])
    return len(hoisted)
