"""The backward step reads the forward step's values instead of computing them again.

The backward body is the VJP of the unit's step, traced as autograd runs it: it first recomputes the
step's forward values from (x, state) (every gate's matrix products included), then differentiates. The
forward Scan has computed the very same values already. `reuse_forward_values` finds every node of the
backward body that repeats a node of the forward body on the same inputs (same operator, attributes and,
matched back to the step's inputs, the same operands), makes the forward body output those of its values
that the backward body still needs (one more Scan output each, the residuals), and removes the repeated
nodes from the backward body, which reads them as Scan inputs. The arithmetic is unchanged; per step, the
matrix products of the forward pass are no longer done twice.
"""

from __future__ import annotations

import onnx
from onnx import helper

from exporter.hoist import signature

RESIDUAL = "residual_"  # prefix of the forward body's added outputs and the backward body's added inputs


def varying(body: onnx.GraphProto, starts: set[str] | None = None) -> set[str]:
    """The body's values that change from step to step: its inputs (or only `starts`) and what is computed
    from them."""
    values = {value.name for value in body.input} if starts is None else set(starts)
    for node in body.node:
        if any(name in values for name in node.input):
            values.update(node.output)
    return values


def _type_of(body: onnx.GraphProto, name: str) -> onnx.ValueInfoProto:
    for value in (*body.value_info, *body.output, *body.input):
        if value.name == name:
            return value
    raise ValueError(f"body {body.name}: no type known for {name}")


def prune(body: onnx.GraphProto) -> None:
    """Drop the nodes of `body` whose outputs nothing reads (no later node, no body output)."""
    needed = {value.name for value in body.output}
    kept = []
    for node in reversed(body.node):
        if any(out in needed for out in node.output):
            kept.append(node)
            needed.update(name for name in node.input if name)
    del body.node[:]
    body.node.extend(reversed(kept))
    live = needed | {out for node in body.node for out in node.output}
    values = [v for v in body.value_info if v.name in live]
    del body.value_info[:]
    body.value_info.extend(values)


def reuse_forward_values(
    forward: onnx.GraphProto, backward: onnx.GraphProto, same_inputs: dict[str, str]
) -> list[tuple[str, str]]:
    """Link two Scan bodies (in place): `same_inputs` maps backward body inputs to the forward body inputs
    that hold the same value at the same step (x, state). Returns the residuals in order, as (forward
    output, backward input) pairs: the forward Scan outputs them stacked, the backward Scan reads them as
    scan inputs, in its own direction. Names of neither body's inputs nor of the enclosing graph change."""
    backward_local = {v.name for v in backward.input} | {out for n in backward.node for out in n.output}
    backward_local |= {t.name for t in backward.initializer}
    matched = dict(same_inputs)  # backward value -> forward value
    forward_constants = {(t.data_type, tuple(t.dims), t.raw_data): t.name for t in forward.initializer}
    for tensor in backward.initializer:
        twin = forward_constants.get((tensor.data_type, tuple(tensor.dims), tensor.raw_data))
        if twin is not None and tensor.raw_data:
            matched[tensor.name] = twin
    forward_nodes = {signature(node, list(node.input)): node for node in forward.node}

    def known(name: str) -> str | None:
        """The forward name of a backward value, the name itself for the enclosing graph's values."""
        if not name or name not in backward_local:
            return name
        return matched.get(name)

    steps = varying(backward)
    repeated = set()
    for index, node in enumerate(backward.node):
        inputs = [known(name) for name in node.input]
        if any(name is None for name in inputs):
            continue
        twin = forward_nodes.get(signature(node, inputs))  # type: ignore[arg-type]
        if twin is not None:
            matched.update(zip(node.output, twin.output, strict=True))
            if node.output[0] in steps:  # a step-invariant node stays: exporter/hoist.py computes it once
                repeated.add(index)

    # the repeated values that the rest of the backward body (or its outputs) still reads
    kept_nodes = [node for i, node in enumerate(backward.node) if i not in repeated]
    read = [name for node in kept_nodes for name in node.input] + [v.name for v in backward.output]
    needed = [name for name in dict.fromkeys(read) if name in matched and name in steps]
    forward_inputs = {v.name: v for v in forward.input}
    backward_of = {forward_name: name for name, forward_name in same_inputs.items()}
    renamed: dict[str, str] = {}
    residuals: list[tuple[str, str]] = []
    forward_outputs = {v.name for v in forward.output}
    for name in needed:
        source = matched[name]
        if source in forward_inputs and source in backward_of:  # x or state: the backward body has its own
            renamed[name] = backward_of[source]
            continue
        count = len(residuals)
        output = source
        if source in forward_outputs:  # already a body output: a copy under a name of its own
            output = forward.name + "/" + RESIDUAL + str(count)
            forward.node.append(helper.make_node("Identity", [source], [output]))
        value = onnx.ValueInfoProto.FromString(_type_of(forward, source).SerializeToString())
        value.name = output
        forward.output.append(value)
        scan_input = backward.name + "/" + RESIDUAL + str(count)
        value = onnx.ValueInfoProto.FromString(_type_of(forward, source).SerializeToString())
        value.name = scan_input
        backward.input.append(value)
        renamed[name] = scan_input
        residuals.append((output, scan_input))
    for node in kept_nodes:
        node.input[:] = [renamed.get(name, name) for name in node.input]
    for output in backward.output:
        if output.name in renamed:
            kept_nodes.append(helper.make_node("Identity", [renamed[output.name]], [output.name]))
    del backward.node[:]
    backward.node.extend(kept_nodes)
    prune(backward)
    return residuals
