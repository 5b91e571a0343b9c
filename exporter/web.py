"""Smaller weights for the browser, chosen per tensor, stored once per model for both graphs.

Each weight matrix is stored as int8 (per-row scales), fp16 or float32 and cast back to float32 inside
the graph, so the PyTorch model with rounded weights is exactly what the browser runs (tests hold the two
together). The conversion is a Cast (times the row scales) of constants, which onnxruntime folds when it
creates the session: the Scan bodies then multiply by constant float32 matrices, which it prepacks, as
in the float32 graph (a DequantizeLinear it leaves unfolded, which made every step of the connectivity
graph 1.7-2.6x slower in onnxruntime-web).

A choice of formats is kept only if the model still agrees with float32: top-1 agreement of at least 99%
on the test split and a Spearman rank correlation of connectivity (over t <= t~, for each
output position t~ of passage P1 and every 8th of four test observations) of at least 0.99 on average
and 0.95 at every position. The search tries every matrix in int8, then every matrix in fp16 (float32
throughout when that fails too), then, from the largest matrix down, moves each to int8 while the bars
still hold.

Both graphs of a model read their weights from one file beside them (ONNX external data), so a reader
downloads each model's weights once whichever figures run it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from build.alphabet import UNKNOWN
from build.connectivity import connectivity, spearman
from build.dataset import Dataset, encode_text
from build.model import Model, pick_device
from build.passages import P1

FORMATS = ("int8", "fp16")  # smallest first
MIN_ELEMENTS = 1024  # smaller tensors (biases) stay float32
TOP1_BAR = 0.99  # top-1 agreement on the test split
SPEARMAN_BAR = 0.99  # mean over output positions of the per-position rank correlation of connectivity
SPEARMAN_FLOOR = 0.95  # and no output position below this
AGREEMENT_OBSERVATIONS = 256  # test observations the top-1 agreement is measured on
SAMPLE_STRIDE = 8  # connectivity of the test observations at every 8th output position (P1: at every one)


def quantise(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes and per-row float32 scales (axis 0) of a 2-D float32 array."""
    scale = np.abs(values).max(axis=1) / 127
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    codes = np.clip(np.round(values / scale[:, None]), -127, 127).astype(np.int8)
    return codes, scale


Formats = Mapping[str, str]  # model parameter name -> "int8" | "fp16" | "fp32"


def quantisable(values: np.ndarray | torch.Tensor) -> bool:
    """Only weight matrices get a smaller format; biases and small tensors stay float32."""
    size = values.numel() if isinstance(values, torch.Tensor) else values.size
    return values.ndim == 2 and size >= MIN_ELEMENTS


def graph_name(parameter: str) -> str:
    """The name the exported graphs give model parameter `parameter` (see exporter/graphs.py)."""
    if parameter == "embedding.weight":
        return "embedding"
    if parameter.startswith("rnn."):
        return "unit." + parameter.removeprefix("rnn.")
    return parameter


# Parameters that stay float32 whatever the search finds. The embedding is small (28 rows), and in int8 it
# stops onnxruntime-web (1.30, WASM) from creating the connectivity graph's session at all: its graph
# optimiser fails ("vector") on the dequantised embedding that the backward pass multiplies by.
FLOAT32_ONLY = ("embedding.weight",)


def uniform(model: Model, fmt: str) -> dict[str, str]:
    """Every weight matrix of `model` in `fmt` (but FLOAT32_ONLY)."""
    return {name: fmt for name, p in model.named_parameters() if quantisable(p) and name not in FLOAT32_ONLY}


def round_trip(values: np.ndarray, fmt: str) -> np.ndarray:
    """What the graph computes from `values` stored in `fmt` (float32 again)."""
    if fmt == "fp32" or not quantisable(values):
        return values
    if fmt == "fp16":
        return values.astype(np.float16).astype(np.float32)
    codes, scale = quantise(values)
    return codes.astype(np.float32) * scale[:, None]


def rounded_model(model: Model, formats: Formats | str) -> Model:
    """A copy of `model` whose weights went through their formats (a string: one format for all)."""
    formats = uniform(model, formats) if isinstance(formats, str) else formats
    rounded = copy.deepcopy(model)
    with torch.no_grad():
        for name, parameter in rounded.named_parameters():
            fmt = "fp32" if name in FLOAT32_ONLY else formats.get(name, "fp32")
            parameter.copy_(torch.from_numpy(round_trip(parameter.detach().numpy(), fmt)))
    return rounded


def convert_graph(
    graph_model: onnx.ModelProto, formats: Formats | str, folded: bool = True
) -> onnx.ModelProto:
    """The same graph with its weight matrices stored in their formats and converted back at load (a
    string: that format for every matrix; a mapping: by model parameter name, float32 when absent).

    `folded`: int8 matrices are converted by a Cast times the row scales, which onnxruntime folds into
    float32 constants when it creates the session (the connectivity graph, whose every run multiplies by
    each matrix at every character); otherwise by a DequantizeLinear it runs at each run instead, which
    keeps the session's creation (on the page's cold start: the autocomplete graph) as quick as the
    int8 file's loading."""
    converted = onnx.ModelProto.FromString(graph_model.SerializeToString())
    kept_float = {graph_name(name) for name in FLOAT32_ONLY}
    by_graph_name = None if isinstance(formats, str) else {graph_name(k): v for k, v in formats.items()}
    graph = converted.graph
    kept, nodes = [], []
    for tensor in graph.initializer:
        values = numpy_helper.to_array(tensor)
        name = tensor.name
        fmt = formats if by_graph_name is None else by_graph_name.get(name, "fp32")
        fmt = "fp32" if name in kept_float else fmt
        if fmt == "fp32" or tensor.data_type != TensorProto.FLOAT or not quantisable(values):
            kept.append(tensor)
        elif fmt == "fp16":
            kept.append(numpy_helper.from_array(values.astype(np.float16), name + ".fp16"))
            nodes.append(helper.make_node("Cast", [name + ".fp16"], [name], to=TensorProto.FLOAT))
        else:
            codes, scale = quantise(values)
            kept += [
                numpy_helper.from_array(codes, name + ".int8"),
                numpy_helper.from_array(scale[:, None] if folded else scale, name + ".scale"),
            ]
            if folded:
                nodes += [
                    helper.make_node("Cast", [name + ".int8"], [name + ".codes"], to=TensorProto.FLOAT),
                    helper.make_node("Mul", [name + ".codes", name + ".scale"], [name]),
                ]
            else:
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


WEIGHT_ALIGNMENT = 64  # bytes; every tensor in the shared weights file starts at a multiple of this


def share_weights(
    graphs: Mapping[str, onnx.ModelProto], location: str, weight_names: set[str]
) -> tuple[dict[str, onnx.ModelProto], bytes]:
    """Move the initializers named in `weight_names` (graph names, with the .int8/.scale/.fp16 a format
    adds) out of every graph into one blob that all of them reference as ONNX external data at
    `location` (a file name beside the graphs). A name must hold the same bytes in every graph."""

    def is_weight(name: str) -> bool:
        return name in weight_names or name.rsplit(".", 1)[0] in weight_names

    blob = bytearray()
    offsets: dict[str, tuple[int, int, bytes]] = {}
    shared = {}
    for key, graph_model in graphs.items():
        graph_model = onnx.ModelProto.FromString(graph_model.SerializeToString())
        for tensor in graph_model.graph.initializer:
            if not is_weight(tensor.name):
                continue
            data = numpy_helper.to_array(tensor).tobytes()
            if tensor.name in offsets:
                if offsets[tensor.name][2] != data:
                    raise ValueError(f"graph {key}: weight {tensor.name} differs from another graph's copy")
            else:
                blob.extend(b"\0" * (-len(blob) % WEIGHT_ALIGNMENT))
                offsets[tensor.name] = (len(blob), len(data), data)
                blob.extend(data)
            offset, length, _ = offsets[tensor.name]
            for field in ("raw_data", "float_data", "int32_data", "int64_data", "double_data"):
                tensor.ClearField(field)
            tensor.data_location = TensorProto.EXTERNAL
            del tensor.external_data[:]
            for k, v in (("location", location), ("offset", str(offset)), ("length", str(length))):
                tensor.external_data.add(key=k, value=v)
        shared[key] = graph_model
    return shared, bytes(blob)


def weight_graph_names(model: Model) -> set[str]:
    """Graph names of every parameter of `model`: what `share_weights` moves to the weights file."""
    return {graph_name(name) for name, _ in model.named_parameters()}


def describe(formats: Formats, model: Model) -> str:
    """A short account of a choice, e.g. "int8" or "int8 + fp16" (matrices only; the rest is float32)."""
    sizes: dict[str, int] = {}
    for name, parameter in model.named_parameters():
        if quantisable(parameter) and name not in FLOAT32_ONLY:
            fmt = formats.get(name, "fp32")
            sizes[fmt] = sizes.get(fmt, 0) + parameter.numel()
    return " + ".join(sorted(sizes, key=lambda fmt: -sizes[fmt])) or "fp32"


Texts = Sequence[str | tuple[str, int]]  # a text, or (text, stride): every stride-th output position


class Agreement:
    """How well a model with rounded weights agrees with the float32 `reference`: the reference's top-1
    words and connectivity are computed once, each candidate's on demand (on CUDA when there is one)."""

    def __init__(
        self, reference: Model, data: Dataset, texts: Texts, device: torch.device | None = None
    ) -> None:
        self.device = device or pick_device()
        self.reference = copy.deepcopy(reference).to(self.device).eval()
        self.chars, targets = data.batch("test", slice(0, AGREEMENT_OBSERVATIONS), self.device)
        self.mask = targets > UNKNOWN
        self.top1 = self._top1(self.reference)
        self.texts, self.positions, self.expected = [], [], []
        for text, stride in ((t, 1) if isinstance(t, str) else t for t in texts):
            chars = torch.from_numpy(encode_text(text).astype(np.int64)).to(self.device)
            positions = torch.arange(1, len(chars), stride, device=self.device)
            if len(positions):
                self.texts.append(chars)
                self.positions.append(positions)
                self.expected.append(connectivity(self.reference, chars, positions=positions))

    @torch.no_grad()
    def _top1(self, model: Model) -> list[torch.Tensor]:
        tops = []
        for start in range(0, len(self.chars), 32):  # the dense layer only where the position counts
            hidden = model.hidden(self.chars[start : start + 32])[0]
            tops.append(model.dense(hidden[self.mask[start : start + 32]]).argmax(-1))
        return tops

    def measure(self, candidate: Model) -> dict:
        """top1_agreement (share of counted test positions ranking the same word first) and the smallest
        and mean connectivity rank correlation over every output position t~ >= 1 of the texts. A
        candidate that already fails on top-1 agreement, or falls below the floor at some position, is
        not measured further (its remaining connectivity is the costly part at the paper's sizes):
        `complete` says whether every text was measured."""
        candidate = candidate.to(self.device).eval()
        same = sum(int((a == b).sum()) for a, b in zip(self.top1, self._top1(candidate), strict=True))
        total = sum(len(a) for a in self.top1)
        measured = {"top1_agreement": round(same / max(total, 1), 5)}
        values: list[float] = []
        complete = measured["top1_agreement"] >= TOP1_BAR
        for chars, positions, expected in zip(self.texts, self.positions, self.expected, strict=True):
            if not complete:
                break
            targets = torch.full((len(chars),), -1, dtype=torch.long, device=self.device)
            targets[positions] = expected.targets  # the reference's words: both differentiate the same
            a = expected.values.cpu().numpy()
            b = connectivity(candidate, chars, targets, positions).values.cpu().numpy()
            values += [spearman(a[i, : p + 1], b[i, : p + 1]) for i, p in enumerate(positions.tolist())]
            complete = min(values, default=1.0) >= SPEARMAN_FLOOR
        return {
            **measured,
            "connectivity_spearman_min": round(min(values), 5) if values else None,
            "connectivity_spearman_mean": round(float(np.mean(values)), 5) if values else None,
            "complete": complete,
        }


def passes(measured: dict) -> bool:
    return (
        measured["complete"]
        and measured["top1_agreement"] >= TOP1_BAR
        and measured["connectivity_spearman_mean"] >= SPEARMAN_BAR
        and measured["connectivity_spearman_min"] >= SPEARMAN_FLOOR
    )


def sample_texts(data: Dataset, count: int = 4) -> list[str]:
    """The first `count` test observations as text: passages the article does not choose."""
    alphabet = " abcdefghijklmnopqrstuvwxyz"
    return ["".join(alphabet[i - 1] for i in row if i > 0) for row in data.inputs["test"][:count]]


def agreement_texts(data: Dataset) -> list[tuple[str, int]]:
    """What the connectivity bars are measured on: every output position of the article's passage P1,
    and every SAMPLE_STRIDE-th of four test observations (the whole of them is five times the work,
    which at the paper's sizes on a CPU takes longer than the rest of the export)."""
    return [(P1, 1), *((text, SAMPLE_STRIDE) for text in sample_texts(data))]


def choose_formats(model: Model, data: Dataset, texts: Texts) -> tuple[dict[str, str], list[dict]]:
    """The per-matrix formats to ship (see the module docstring for the search), and every trial made:
    {"formats": {parameter: format}, "top1_agreement", "connectivity_spearman_min"/"_mean", "passed"}."""
    agreement = Agreement(model, data, texts)
    trials: list[dict] = []

    def trial(formats: dict[str, str]) -> bool:
        measured = agreement.measure(rounded_model(model, formats))
        trials.append({"formats": dict(formats), **measured, "passed": passes(measured)})
        return trials[-1]["passed"]

    smallest = uniform(model, FORMATS[0])
    if trial(smallest):
        return smallest, trials
    chosen = uniform(model, FORMATS[1])
    if not trial(chosen):
        return uniform(model, "fp32"), trials
    matrices = sorted(chosen, key=lambda name: -model.get_parameter(name).numel())
    for name in matrices:
        candidate = {**chosen, name: FORMATS[0]}
        if trial(candidate):
            chosen = candidate
    return chosen, trials
