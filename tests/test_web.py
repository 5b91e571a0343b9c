"""Web weight formats: rounding, the converted graphs against PyTorch, and the choice of format."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
import torch

from build import dataset
from build.connectivity import connectivity
from build.passages import P1
from exporter import web
from exporter.graphs import autocomplete_graph, connectivity_graph


def test_int8_rounding_is_within_half_a_step_per_row() -> None:
    values = np.random.default_rng(0).normal(size=(40, 64)).astype(np.float32)
    values[3] = 0  # an all-zero row keeps a usable scale
    codes, scale = web.quantise(values)
    assert codes.dtype == np.int8 and scale.shape == (40,)
    error = np.abs(web.round_trip(values, "int8") - values)
    assert np.all(error <= scale[:, None] / 2 + 1e-7)
    assert np.all(web.round_trip(values, "int8")[3] == 0)
    np.testing.assert_array_equal(
        web.round_trip(values, "fp16"), values.astype(np.float16).astype(np.float32)
    )
    bias = np.ones(64, np.float32) / 3
    assert web.round_trip(bias, "int8") is bias  # small and 1-D tensors stay float32


def test_spearman() -> None:
    a = np.array([1.0, 5.0, 3.0, 4.0])
    assert web.spearman(a, a * 2 + 1) == pytest.approx(1.0)
    assert web.spearman(a, -a) == pytest.approx(-1.0)
    assert web.spearman(np.array([1.0, 1.0, 2.0]), np.array([1.0, 1.0, 2.0])) == pytest.approx(1.0)
    assert web.spearman(np.array([3.0]), np.array([1.0])) == 1.0


@pytest.mark.parametrize("fmt", ["int8", "fp16"])
def test_converted_graphs_compute_the_rounded_model(exported, fmt: str) -> None:
    model = exported["lstm"][0]
    rounded = web.rounded_model(model, fmt)
    autocomplete = ort.InferenceSession(web.convert_graph(autocomplete_graph(model), fmt).SerializeToString())
    graph = ort.InferenceSession(web.convert_graph(connectivity_graph(model), fmt).SerializeToString())
    chars = dataset.encode_text(P1).astype(np.int64)
    top_ids, top_probs, _ = autocomplete.run(
        None, {"chars": chars, "state": np.zeros(model.rnn.state_size, np.float32)}
    )
    with torch.no_grad():
        expected = torch.softmax(rounded(torch.from_numpy(chars)[None])[0, -1], -1).topk(10)
    assert top_ids.tolist() == expected.indices.tolist()
    np.testing.assert_allclose(top_probs, expected.values.numpy(), atol=1e-4)
    reference = connectivity(rounded, torch.from_numpy(chars), positions=torch.tensor([30]))
    values, _, _ = graph.run(None, {"chars": chars, "position": np.array(30), "target": np.array(-1)})
    np.testing.assert_allclose(
        values, reference.values[0].numpy(), rtol=1e-3, atol=1e-3 * float(values.max())
    )


def test_converted_graph_is_smaller(exported) -> None:
    model = exported["gru"][0]
    sizes = {
        fmt: web.convert_graph(autocomplete_graph(model), fmt).ByteSize() for fmt in ("fp32", "fp16", "int8")
    }
    assert sizes["int8"] < sizes["fp16"] < sizes["fp32"]


def test_format_falls_back_to_float32_when_no_format_agrees(tiny, exported, monkeypatch) -> None:
    model = exported["gru"][0]
    monkeypatch.setattr(web, "TOP1_BAR", 1.01)  # unreachable
    fmt, measured = web.choose_format(model, dataset.load(tiny), [P1[:40]])
    assert fmt == "fp32" and set(measured) == {"int8", "fp16"}
    for values in measured.values():
        assert 0.9 <= values["top1_agreement"] <= 1 and values["connectivity_spearman_min"] <= 1


def test_export_report_and_web_files(tiny, exported) -> None:
    for key, (_, _, _, report) in exported.items():
        assert report["web"]["format"] in ("int8", "fp16", "fp32")
        for graph in report["web"]["graphs"].values():
            path = tiny.run_dir / key / graph["file"]
            assert path.exists() and path.stat().st_size == graph["bytes"]
            ort.InferenceSession(str(path))  # loads
