"""Smaller weights for the browser: int8 (per-row scales) or fp16, cast back to float32 inside the graph.

A format is kept for a model only if the model with its weights rounded through that format still
agrees with float32: top-1 agreement of at least 99% on the test split and, on passage P1 and a few test
observations, a Spearman rank correlation of connectivity (over t <= t~, for each output position t~)
of at least 0.99 on average and 0.95 at every position. Formats are tried smallest first; float32 is
the fallback. The graph computes in float32 either way, so the
PyTorch model with rounded weights is exactly what the browser runs (tests hold the two together).
"""

from __future__ import annotations

import copy

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from build.connectivity import connectivity
from build.dataset import UNKNOWN, Dataset, encode_text
from build.model import Model

FORMATS = ("int8", "fp16")  # smallest first
MIN_ELEMENTS = 1024  # smaller tensors (biases) stay float32
TOP1_BAR = 0.99  # top-1 agreement on the test split
SPEARMAN_BAR = 0.99  # mean over output positions of the per-position rank correlation of connectivity
SPEARMAN_FLOOR = 0.95  # and no output position below this
AGREEMENT_OBSERVATIONS = 256  # test observations the top-1 agreement is measured on


def quantise(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes and per-row float32 scales (axis 0) of a 2-D float32 array."""
    scale = np.abs(values).max(axis=1) / 127
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    codes = np.clip(np.round(values / scale[:, None]), -127, 127).astype(np.int8)
    return codes, scale


def round_trip(values: np.ndarray, fmt: str) -> np.ndarray:
    """What the graph computes from `values` stored in `fmt` (float32 again)."""
    if fmt == "fp32" or values.ndim != 2 or values.size < MIN_ELEMENTS:
        return values
    if fmt == "fp16":
        return values.astype(np.float16).astype(np.float32)
    codes, scale = quantise(values)
    return codes.astype(np.float32) * scale[:, None]


def rounded_model(model: Model, fmt: str) -> Model:
    """A copy of `model` whose weights went through `fmt`."""
    rounded = copy.deepcopy(model)
    with torch.no_grad():
        for parameter in rounded.parameters():
            parameter.copy_(torch.from_numpy(round_trip(parameter.detach().numpy(), fmt)))
    return rounded


def convert_graph(graph_model: onnx.ModelProto, fmt: str) -> onnx.ModelProto:
    """The same graph with its large float32 initializers stored in `fmt` and converted back at load."""
    converted = onnx.ModelProto.FromString(graph_model.SerializeToString())
    if fmt == "fp32":
        return converted
    graph = converted.graph
    kept, nodes = [], []
    for tensor in graph.initializer:
        values = numpy_helper.to_array(tensor)
        if tensor.data_type != TensorProto.FLOAT or values.ndim != 2 or values.size < MIN_ELEMENTS:
            kept.append(tensor)
            continue
        name = tensor.name
        if fmt == "fp16":
            kept.append(numpy_helper.from_array(values.astype(np.float16), name + ".fp16"))
            nodes.append(helper.make_node("Cast", [name + ".fp16"], [name], to=TensorProto.FLOAT))
        else:
            codes, scale = quantise(values)
            kept += [
                numpy_helper.from_array(codes, name + ".int8"),
                numpy_helper.from_array(scale, name + ".scale"),
            ]
            nodes.append(
                helper.make_node("DequantizeLinear", [name + ".int8", name + ".scale"], [name], axis=0)
            )
    del graph.initializer[:]
    graph.initializer.extend(kept)
    existing = list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes + existing)
    onnx.checker.check_model(converted, full_check=True)
    return converted


@torch.no_grad()
def top1_agreement(reference: Model, candidate: Model, data: Dataset) -> float:
    """Share of the counted test positions (known-word targets) where both models rank the same word first."""
    chars = torch.from_numpy(data.inputs["test"][:AGREEMENT_OBSERVATIONS].astype(np.int64))
    mask = torch.from_numpy(data.targets["test"][:AGREEMENT_OBSERVATIONS].astype(np.int64)) > UNKNOWN
    same, total = 0, 0
    for start in range(0, len(chars), 32):
        batch, keep = chars[start : start + 32], mask[start : start + 32]
        a = reference(batch)[keep].argmax(-1)
        b = candidate(batch)[keep].argmax(-1)
        same, total = same + int((a == b).sum()), total + int(keep.sum())
    return same / max(total, 1)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two vectors (average ranks for ties)."""

    def ranks(v: np.ndarray) -> np.ndarray:
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        r[order] = np.arange(len(v))
        for value in np.unique(v[np.diff(np.sort(v), prepend=np.nan) == 0]):  # tied values share a rank
            r[v == value] = r[v == value].mean()
        return r

    if len(a) < 2:
        return 1.0
    ra, rb = ranks(a), ranks(b)
    if ra.std() == 0 or rb.std() == 0:
        return 1.0 if np.array_equal(ra, rb) else 0.0
    return float(np.corrcoef(ra, rb)[0, 1])


def connectivity_spearman(reference: Model, candidate: Model, texts: list[str]) -> tuple[float, float]:
    """Rank correlation over t <= t~ of the two models' connectivity, for every passage and output
    position t~ >= 1 (both differentiate the reference's top-1 word): (smallest, mean)."""
    values = []
    for text in texts:
        chars = torch.from_numpy(encode_text(text).astype(np.int64))
        expected = connectivity(reference, chars)
        a = expected.values.numpy()
        b = connectivity(candidate, chars, expected.targets).values.numpy()
        values += [spearman(a[t, : t + 1], b[t, : t + 1]) for t in range(1, len(chars))]
    return min(values), float(np.mean(values))


def sample_texts(data: Dataset, count: int = 4) -> list[str]:
    """The first `count` test observations as text: passages the article does not choose."""
    alphabet = " abcdefghijklmnopqrstuvwxyz"
    return ["".join(alphabet[i - 1] for i in row if i > 0) for row in data.inputs["test"][:count]]


def choose_format(model: Model, data: Dataset, texts: list[str]) -> tuple[str, dict]:
    """The smallest format that clears both bars, and the measurements of every format tried."""
    measured = {}
    for fmt in FORMATS:
        candidate = rounded_model(model, fmt)
        worst, mean = connectivity_spearman(model, candidate, texts)
        measured[fmt] = {
            "top1_agreement": round(top1_agreement(model, candidate, data), 5),
            "connectivity_spearman_min": round(worst, 5),
            "connectivity_spearman_mean": round(mean, 5),
        }
        if (
            measured[fmt]["top1_agreement"] >= TOP1_BAR
            and measured[fmt]["connectivity_spearman_mean"] >= SPEARMAN_BAR
            and measured[fmt]["connectivity_spearman_min"] >= SPEARMAN_FLOOR
        ):
            return fmt, measured
    return "fp32", measured
