"""Web weight formats: rounding, the converted graphs against PyTorch, and the choice of format."""

from __future__ import annotations

import dataclasses

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
from tests.test_export import run_in_onnxruntime_web


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


def test_formats_fall_back_to_float32_when_no_format_agrees(tiny, exported, monkeypatch) -> None:
    model = exported["gru"][0]
    monkeypatch.setattr(web, "TOP1_BAR", 1.01)  # unreachable
    formats, trials = web.choose_formats(model, dataset.load(tiny), [P1[:40]])
    assert set(formats.values()) == {"fp32"} and web.describe(formats, model) == "fp32"
    assert [set(t["formats"].values()) for t in trials] == [{"int8"}, {"fp16"}]
    for trial in trials:  # top-1 agreement fails first, so the costly connectivity is never measured
        assert 0.9 <= trial["top1_agreement"] <= 1 and trial["connectivity_spearman_min"] is None
        assert not trial["passed"] and not trial["complete"]


def test_a_candidate_below_the_floor_is_not_measured_further(tiny, exported, monkeypatch) -> None:
    model = exported["gru"][0]
    texts = [P1[:40], P1[40:90], P1[90:150]]
    agreement = web.Agreement(model, dataset.load(tiny), texts)
    full = agreement.measure(web.rounded_model(model, "fp16"))
    assert full["complete"] and web.passes(full) == (full["connectivity_spearman_min"] >= web.SPEARMAN_FLOOR)
    monkeypatch.setattr(web, "SPEARMAN_FLOOR", 1.01)  # unreachable: the first text ends the measurement
    calls = []
    real = web.connectivity
    monkeypatch.setattr(web, "connectivity", lambda *a, **k: calls.append(1) or real(*a, **k))
    partial = agreement.measure(web.rounded_model(model, "fp16"))
    assert len(calls) == 1 and not partial["complete"] and not web.passes(partial)


def test_formats_are_chosen_per_matrix_largest_first(tiny, exported, monkeypatch) -> None:
    """When int8 everywhere fails, each matrix, largest first, goes to int8 only if the bars still hold:
    here a bar that only the dense layer's rounding may touch."""
    model = exported["lstm"][0]
    data = dataset.load(tiny)
    agreement = web.Agreement(model, data, [P1[:40]])
    measure = agreement.measure

    def strict(candidate) -> dict:
        """The real measurement, failed whenever a matrix other than the dense layer is in int8."""
        measured = measure(candidate)
        for name, parameter in candidate.named_parameters():
            int8 = web.round_trip(model.get_parameter(name).detach().numpy(), "int8")
            matrix = web.quantisable(parameter) and name != "dense.weight"
            if matrix and np.array_equal(parameter.detach().numpy(), int8):
                return {**measured, "top1_agreement": 0.0}
        return measured

    monkeypatch.setattr(web.Agreement, "measure", lambda self, candidate: strict(candidate))
    formats, trials = web.choose_formats(model, data, [P1[:40]])
    matrices = [n for n, p in model.named_parameters() if web.quantisable(p)]
    assert formats == {n: "int8" if n == "dense.weight" else "fp16" for n in matrices}
    assert len(trials) == 2 + len(matrices) and trials[2]["formats"]["dense.weight"] == "int8"
    sizes = [model.get_parameter(n).numel() for n in matrices]
    assert max(sizes) == model.dense.weight.numel()  # so it was tried first
    assert web.describe(formats, model) in ("int8 + fp16", "fp16 + int8")


def test_shared_weights_serve_both_graphs(tiny, exported, tmp_path) -> None:
    """One weights file, referenced by both web graphs as external data, gives what the self-contained
    graphs give, and holds each tensor once."""
    model = exported["nlstm"][0]
    formats = {
        n: ("int8" if n == "dense.weight" else "fp16")
        for n, p in model.named_parameters()
        if web.quantisable(p)
    }
    graphs = {
        "autocomplete.web.onnx": web.convert_graph(autocomplete_graph(model), formats),
        "connectivity.web.onnx": web.convert_graph(connectivity_graph(model), formats),
    }
    shared, blob = web.share_weights(graphs, "weights.web.bin", web.weight_graph_names(model))
    (tmp_path / "weights.web.bin").write_bytes(blob)
    for name, graph in shared.items():
        (tmp_path / name).write_bytes(graph.SerializeToString())
        assert len(graph.SerializeToString()) < 200_000  # the weights are elsewhere
        locations = {e.value for t in graph.graph.initializer for e in t.external_data if e.key == "location"}
        assert locations == {"weights.web.bin"}
    stored = sum(p.numel() * 4 for p in model.parameters())
    assert len(blob) < stored / 2  # int8 and fp16 matrices, each stored once for both graphs
    chars = dataset.encode_text(P1).astype(np.int64)
    state = np.zeros(model.rnn.state_size, np.float32)
    for name in graphs:
        inline = ort.InferenceSession(graphs[name].SerializeToString())
        external = ort.InferenceSession(str(tmp_path / name))
        feeds = (
            {"chars": chars, "state": state}
            if name.startswith("autocomplete")
            else {"chars": chars, "position": np.array(60), "target": np.array(-1)}
        )
        for a, b in zip(inline.run(None, feeds), external.run(None, feeds), strict=True):
            np.testing.assert_array_equal(a, b)
    different = dict(graphs)
    other_weights = web.rounded_model(model, "int8")  # the same names holding other values
    different["connectivity.web.onnx"] = web.convert_graph(connectivity_graph(other_weights), formats)
    with pytest.raises(ValueError, match="differs"):
        web.share_weights(different, "weights.web.bin", web.weight_graph_names(model))


def test_export_report_and_web_files(tiny, exported) -> None:
    for key, (_, _, _, report) in exported.items():
        web_report = report["web"]
        assert set(web_report["formats"].values()) <= {"int8", "fp16", "fp32"}
        assert any(t["passed"] and t["formats"] == web_report["formats"] for t in web_report["trials"]) or (
            set(web_report["formats"].values()) == {"fp32"}
        )
        weights = tiny.run_dir / key / web_report["weights"]["file"]
        assert weights.stat().st_size == web_report["weights"]["bytes"]
        for graph in web_report["graphs"].values():
            path = tiny.run_dir / key / graph["file"]
            assert path.exists() and path.stat().st_size == graph["bytes"]
            ort.InferenceSession(str(path))  # loads, reading the weights file beside it
        assert web_report["bytes"] == weights.stat().st_size + sum(
            g["bytes"] for g in web_report["graphs"].values()
        )
        if "int8" in web_report["formats"].values():  # folded at load only where a run takes many steps
            ops = {
                name: {
                    n.op_type
                    for n in onnx.load(
                        str(tiny.run_dir / key / g["file"]), load_external_data=False
                    ).graph.node
                }
                for name, g in web_report["graphs"].items()
            }
            assert "DequantizeLinear" in ops["autocomplete"] and "DequantizeLinear" not in ops["connectivity"]


def test_web_graphs_with_a_large_embedding_run_in_onnxruntime_web(tmp_path) -> None:
    """An embedding of 28 x 40 is large enough to be a candidate for int8 (the paper's is 28 x 600); it
    stays float32, because onnxruntime-web cannot create the int8 connectivity graph's session."""
    profile = dataclasses.replace(profiles.load("tiny"), embedding=40)
    torch.manual_seed(0)
    model = Model.for_profile(profile, "gru").eval()
    assert web.quantisable(model.embedding.weight) and "embedding.weight" not in web.uniform(model, "int8")
    graphs = {
        "autocomplete.web.onnx": web.convert_graph(autocomplete_graph(model), "int8"),
        "connectivity.web.onnx": web.convert_graph(connectivity_graph(model), "int8"),
    }
    shared, blob = web.share_weights(graphs, "weights.web.bin", web.weight_graph_names(model))
    (tmp_path / "weights.web.bin").write_bytes(blob)
    for name, graph in shared.items():
        (tmp_path / name).write_bytes(graph.SerializeToString())
    chars = dataset.encode_text(P1[:60]).astype(np.int64)
    feeds = {"chars": chars, "position": np.array(50), "target": np.array(-1)}
    expected = ort.InferenceSession(str(tmp_path / "connectivity.web.onnx")).run(None, feeds)
    got = run_in_onnxruntime_web(
        tmp_path / "connectivity.web.onnx",
        {"chars": [chars.tolist(), "int64"], "position": [50, "int64"], "target": [-1, "int64"]},
        tmp_path / "weights.web.bin",
    )
    assert "error" not in got, got
    np.testing.assert_allclose(got["connectivity"], expected[0], rtol=1e-4, atol=1e-4 * expected[0].max())


@pytest.mark.parametrize("fmt", ["int8", "fp16"])
@pytest.mark.parametrize("unit", ["gru", "lstm", "nlstm"])
def test_onnxruntime_folds_every_weight_conversion_out_of_the_steps(tmp_path, unit: str, fmt: str) -> None:
    """The web graphs convert their stored matrices with nodes of constants only, which onnxruntime folds
    when it creates the session, and no Scan body converts or transposes a weight: its steps read constant
    float32 matrices, as the float32 graph's do."""
    model = Model.for_profile(profiles.load("tiny"), unit).eval()
    graph = web.convert_graph(connectivity_graph(model), fmt)
    assert "DequantizeLinear" not in {node.op_type for node in graph.graph.node}
    for scan in (node for node in graph.graph.node if node.op_type == "Scan"):
        for node in scan.attribute[0].g.node:
            assert node.op_type not in ("Cast", "Transpose", "DequantizeLinear") or not node.input[
                0
            ].startswith("unit."), node
    options = ort.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    ort.InferenceSession(graph.SerializeToString(), options, providers=["CPUExecutionProvider"])
    optimized = onnx.load(str(tmp_path / "optimized.onnx"))
    stored = {t.name for t in graph.graph.initializer if t.name.endswith((".int8", ".fp16"))}
    assert stored
    reads = {name for node in optimized.graph.node for name in node.input}
    assert not reads & stored  # every conversion became a float32 constant at load
