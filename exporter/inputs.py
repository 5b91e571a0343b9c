"""What a step does with its input alone leaves the Scans: the input-side products before the forward Scan,
and the gradient with respect to the input after the backward Scan.

The input of every step is one of the 27 characters' embedding rows. Whatever the forward body computes
from that row and the weights only (for the GRU and LSTM: the first layer's x W_ih^T + b_ih) is the same
for every occurrence of a character: the enclosing graph computes it for the 28 rows of the embedding at
once (constants, which onnxruntime folds at load into a table of 28 rows) and the Scan reads each step's
row of that table (a Gather by the characters). Backwards, whatever the body does only to produce the
gradient with respect to the input (the product by W_ih) moves after the Scan, as one product over all
steps, whose last factor the caller may multiply into the transposed embedding once. Only row-wise
operations move (elementwise operations with a constant or another moved operand, and products by a
constant matrix on the right), which give the same values on a row of 1 or of N; anything else stays in
the body, so a unit whose input enters otherwise loses nothing.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from exporter.residuals import prune
from exporter.residuals import varying as _varying

UNARY = {"Sigmoid", "Tanh", "Relu", "Neg", "Exp", "Abs", "Identity"}
BINARY = {"Add", "Sub", "Mul", "Div"}


def _shape(body: onnx.GraphProto, outer_shapes: dict[str, list[int]], name: str) -> list[int] | None:
    if name in outer_shapes:
        return outer_shapes[name]
    for value in (*body.value_info, *body.input, *body.output):
        if value.name == name and value.type.tensor_type.HasField("shape"):
            dims = value.type.tensor_type.shape.dim
            return [d.dim_value if d.HasField("dim_value") else -1 for d in dims]
    return None


def _rowwise(node: onnx.NodeProto, moved: set[str], constant: callable) -> bool:
    """Whether `node`, with its `moved` operands given N rows instead of 1, gives those N rows' values."""
    operands = [name for name in node.input if name]
    if not operands or not any(name in moved for name in operands):
        return False
    if node.op_type in UNARY:
        return True
    if node.op_type in BINARY:
        return all(name in moved or constant(name, row=True) for name in operands)
    if node.op_type == "MatMul":
        return operands[0] in moved and operands[1] not in moved and constant(operands[1], row=False)
    return False


def _constant_test(body: onnx.GraphProto, outer_shapes: dict[str, list[int]], varying: set[str]):
    def constant(name: str, row: bool) -> bool:
        """A value that does not change from step to step: a matrix (row=False), or (row=True) one that
        broadcasts over rows: a vector, or a single row."""
        if name in varying:
            return False
        shape = _shape(body, outer_shapes, name)
        if shape is None:
            return False
        return len(shape) == 2 if not row else len(shape) <= 1 or (len(shape) == 2 and shape[0] == 1)

    return constant


def _outer_copies(
    body: onnx.GraphProto, cone: list[onnx.NodeProto], prefix: str, renamed: dict[str, str], varying: set[str]
) -> list[onnx.NodeProto]:
    """Copies of `cone` for the enclosing graph, preceded by copies of the step-invariant body nodes they
    read (transposed weights), every value they produce named with `prefix`; `renamed`: inputs that take
    another name there (updated with the produced ones)."""
    producer = {out: node for node in body.node for out in node.output}
    needed: list[onnx.NodeProto] = []
    seen: set[int] = {id(node) for node in cone}

    def source(name: str) -> None:
        node = producer.get(name)
        if node is None or id(node) in seen or name in varying:
            return
        seen.add(id(node))
        for value in node.input:
            source(value)
        needed.append(node)

    for node in cone:
        for name in node.input:
            if name not in renamed:
                source(name)
    copies = []
    for node in needed + cone:
        renamed.update({out: prefix + out for out in node.output})
        copy = helper.make_node(
            node.op_type,
            [renamed.get(name, name) for name in node.input],
            [renamed[out] for out in node.output],
            name=prefix + (node.name or node.output[0]),
            domain=node.domain,
        )
        copy.attribute.extend(node.attribute)
        copies.append(copy)
    return copies


def take_input_products(
    forward: onnx.GraphProto, x: str, rows: str, outer_shapes: dict[str, list[int]]
) -> tuple[list[onnx.NodeProto], list[tuple[str, str]]]:
    """Move the row-wise work the forward body does on its input `x` ([1, E]) out of it (in place).

    Returns the enclosing graph's nodes that compute it on `rows` (the embedding, [28, E]) and the
    (table, body input) pairs: each table [28, K] holds, per character, the value that the new body input
    [1, K] (last among the body's inputs) receives at each step. `x` stays a body input (unused if
    nothing else reads it). `outer_shapes`: the shapes of the enclosing graph's constants."""
    varying = _varying(forward)
    constant = _constant_test(forward, outer_shapes, varying)
    moved = {x}
    cone: list[onnx.NodeProto] = []
    for node in forward.node:
        if _rowwise(node, moved, constant):
            cone.append(node)
            moved.update(node.output)
    if not cone:
        return [], []
    in_cone = {id(node) for node in cone}
    rest = [node for node in forward.node if id(node) not in in_cone]
    read = {name for node in rest for name in node.input} | {value.name for value in forward.output}
    frontier = [out for node in cone for out in node.output if out in read]
    prefix = forward.name + "/table/"
    renamed = {x: rows}
    outer = _outer_copies(forward, cone, prefix, renamed, varying)
    pairs = []
    for name in frontier:
        value = onnx.ValueInfoProto.FromString(
            next(v for v in (*forward.value_info, *forward.output) if v.name == name).SerializeToString()
        )
        forward.input.append(value)
        pairs.append((renamed[name], name))
    del forward.node[:]
    forward.node.extend(rest)
    kept = [v for v in forward.value_info if v.name not in {p[1] for p in pairs}]
    del forward.value_info[:]
    forward.value_info.extend(kept)
    prune(forward)
    return outer, pairs


def take_input_gradient(
    backward: onnx.GraphProto, g_x: str, outer_shapes: dict[str, list[int]], carried: set[str]
) -> tuple[list[onnx.NodeProto], list[str], str] | None:
    """Move the row-wise work the backward body does only to produce its output `g_x` out of it (in place).

    Returns the enclosing graph's nodes, the values that work starts from (named as in the body: scan
    inputs of the body, or body values that become body outputs in place of `g_x`, in this order among
    them) and the name their nodes give the gradient: the caller names each of those values' stacks over
    the steps as in the body (or renames the nodes' inputs), and the nodes give every step's gradient.
    None when no such work is found (the body is left as it was). `carried`: the body's loop-carried
    inputs, which cannot leave it."""
    varying = _varying(backward)
    constant = _constant_test(backward, outer_shapes, varying)
    readers: dict[str, list[onnx.NodeProto]] = {}
    for node in backward.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    outputs = {value.name for value in backward.output}
    cone: list[onnx.NodeProto] = []
    in_cone: set[int] = set()
    for node in reversed(backward.node):
        feeds_only_g_x = all(
            (name == g_x or name not in outputs) and all(id(r) in in_cone for r in readers.get(name, []))
            for name in node.output
        ) and (g_x in node.output or any(readers.get(name) for name in node.output))
        if feeds_only_g_x and _rowwise(node, varying, constant):
            cone.append(node)
            in_cone.add(id(node))
    if not cone or not any(g_x in node.output for node in cone):
        return None
    cone.reverse()
    produced = {out for node in cone for out in node.output}
    starts = (name for node in cone for name in node.input if name in varying and name not in produced)
    frontier = list(dict.fromkeys(starts))
    if any(name in carried for name in frontier):
        return None
    prefix = backward.name + "/gradient/"
    renamed = {name: name for name in frontier}
    outer = _outer_copies(backward, cone, prefix, renamed, varying)
    kept = [node for node in backward.node if id(node) not in in_cone]
    del backward.node[:]
    backward.node.extend(kept)
    known = {v.name: v for v in (*backward.value_info, *backward.output)}
    inputs = {v.name for v in backward.input}
    new_outputs = [v for v in backward.output if v.name != g_x]
    for name in frontier:
        if name not in inputs:  # a scan input is stacked outside already
            new_outputs.append(onnx.ValueInfoProto.FromString(known[name].SerializeToString()))
    del backward.output[:]
    backward.output.extend(new_outputs)
    prune(backward)
    return outer, frontier, renamed[g_x]


def _constant_ints(body: onnx.GraphProto, name: str) -> list[int] | None:
    for tensor in body.initializer:
        if tensor.name == name:
            return [int(v) for v in numpy_helper.to_array(tensor).reshape(-1)]
    return None


def _info(name: str, shape: list[int]) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def split_concatenated_products(forward: onnx.GraphProto, x: str, outer_shapes: dict[str, list[int]]) -> int:
    """[x, h] K = x K[:E] + h K[E:] (in place), wherever the forward body multiplies a concatenation of
    its input with a value of the state by a constant matrix: the input's part can then leave the body
    (take_input_products). Returns how many products were split."""
    varying = _varying(forward)
    from_state = _varying(forward, {v.name for v in forward.input if v.name != x})
    constant = _constant_test(forward, outer_shapes, varying)
    producer = {out: node for node in forward.node for out in node.output}
    rewritten, count = [], 0
    for node in forward.node:
        concat = producer.get(node.input[0]) if node.op_type == "MatMul" else None
        matrix = node.input[1] if concat is not None else None
        if (
            concat is None
            or concat.op_type != "Concat"
            or not constant(matrix, row=False)
            or {a.i for a in concat.attribute if a.name == "axis"} - {1, -1}
        ):
            rewritten.append(node)
            continue
        widths = [(_shape(forward, outer_shapes, part) or [0, -1])[-1] for part in concat.input]
        from_input = [part not in from_state for part in concat.input]
        if min(widths) <= 0 or all(from_input) or not any(from_input):
            rewritten.append(node)
            continue
        columns = _shape(forward, outer_shapes, matrix)[1]
        prefix, start, terms = node.output[0] + "/part", 0, []
        for i, (part, width) in enumerate(zip(concat.input, widths, strict=True)):
            bounds = [f"{prefix}{i}/{what}" for what in ("starts", "ends", "axes")]
            for name, value in zip(bounds, (start, start + width, 0), strict=True):
                forward.initializer.append(numpy_helper.from_array(np.array([value], np.int64), name))
            rows, product = f"{prefix}{i}/rows", f"{prefix}{i}/product"
            rewritten.append(helper.make_node("Slice", [matrix, *bounds], [rows]))
            rewritten.append(helper.make_node("MatMul", [part, rows], [product]))
            forward.value_info.extend([_info(rows, [width, columns]), _info(product, [1, columns])])
            terms.append(product)
            start += width
        for i, term in enumerate(terms[1:], 1):
            total = node.output[0] if i == len(terms) - 1 else f"{prefix}/sum{i}"
            rewritten.append(
                helper.make_node("Add", [terms[i - 1] if i == 1 else f"{prefix}/sum{i - 1}", term], [total])
            )
        count += 1
    del forward.node[:]
    forward.node.extend(rewritten)
    prune(forward)
    return count


def slice_products(backward: onnx.GraphProto, g_x: str, outer_shapes: dict[str, list[int]]) -> int:
    """(a B)[:, i:j] = a B[:, i:j] (in place), wherever the backward body only slices the columns of a
    product by a constant matrix and one slice is its output `g_x`: each slice is its own product (the
    input's part can then leave the body, take_input_gradient). Returns how many products were sliced."""
    varying = _varying(backward)
    constant = _constant_test(backward, outer_shapes, varying)
    producer = {out: node for node in backward.node for out in node.output}
    readers: dict[str, list[onnx.NodeProto]] = {}
    for node in backward.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    outputs = {value.name for value in backward.output}

    def column_slice(node: onnx.NodeProto) -> bool:
        if node.op_type != "Slice" or len(node.input) < 4:
            return False
        axes = _constant_ints(backward, node.input[3])
        steps = _constant_ints(backward, node.input[4]) if len(node.input) > 4 and node.input[4] else [1]
        return axes in ([1], [-1]) and steps == [1]

    products = {
        out
        for out, node in producer.items()
        if node.op_type == "MatMul"
        and out not in outputs
        and constant(node.input[1], row=False)
        and readers.get(out)
        and all(column_slice(reader) for reader in readers[out])
        and any(reader.output[0] == g_x for reader in readers[out])
    }
    rewritten = []
    for node in backward.node:
        if node.output[0] in products:
            continue  # each slice below makes its own product
        if node.op_type == "Slice" and node.input[0] in products:
            product = producer[node.input[0]]
            columns = node.output[0] + "/columns"
            rows, width = _shape(backward, outer_shapes, product.input[1])
            start, end = (_constant_ints(backward, name) for name in node.input[1:3])
            if start is not None and end is not None:
                width = max(0, min(end[0], width) - start[0])
                backward.value_info.append(_info(columns, [rows, width]))
            rewritten.append(helper.make_node("Slice", [product.input[1], *node.input[1:]], [columns]))
            rewritten.append(helper.make_node("MatMul", [product.input[0], columns], [node.output[0]]))
            continue
        rewritten.append(node)
    del backward.node[:]
    backward.node.extend(rewritten)
    return len(products)
