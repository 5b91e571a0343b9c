"""Export: the ONNX graphs, run by onnxruntime, against the PyTorch model and build.connectivity."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import onnxruntime as ort
import pytest
import torch

from build import dataset, profiles
from build.connectivity import connectivity
from build.passages import P1


@pytest.fixture(params=["gru", "lstm", "nlstm"])
def graphs(request, exported):
    return exported[request.param]


def ids(text: str) -> np.ndarray:
    return dataset.encode_text(text).astype(np.int64)


def test_autocomplete_matches_pytorch(graphs) -> None:
    model, autocomplete, _, _ = graphs
    chars = ids(" parts of north africa")
    top_ids, top_probs, state = autocomplete.run(
        None, {"chars": chars, "state": np.zeros(model.rnn.state_size, np.float32)}
    )
    with torch.no_grad():
        hidden, expected_state = model.hidden(torch.from_numpy(chars)[None])
        probs = torch.softmax(model.dense(hidden[0, -1]), -1)
    top = probs.topk(len(top_ids))
    assert top_ids.tolist() == top.indices.tolist()
    np.testing.assert_allclose(top_probs, top.values.numpy(), atol=1e-4, rtol=0)
    np.testing.assert_allclose(state, expected_state[0].numpy(), atol=1e-5, rtol=0)


@pytest.mark.parametrize("chunk", [1, 3, 7])
def test_typing_in_chunks_equals_reading_at_once(graphs, chunk: int) -> None:
    model, autocomplete, _, _ = graphs
    chars = ids(" the rules taught in schools")
    zeros = np.zeros(model.rnn.state_size, np.float32)
    at_once = autocomplete.run(None, {"chars": chars, "state": zeros})
    state = zeros
    for start in range(0, len(chars), chunk):
        top_ids, top_probs, state = autocomplete.run(
            None, {"chars": chars[start : start + chunk], "state": state}
        )
    assert top_ids.tolist() == at_once[0].tolist()
    np.testing.assert_allclose(top_probs, at_once[1], atol=1e-6)
    np.testing.assert_allclose(state, at_once[2], atol=1e-5)


def test_connectivity_matches_pytorch_at_every_position(graphs) -> None:
    model, _, graph, _ = graphs
    chars = ids(P1)
    targets = torch.arange(len(chars)) % 50 + 2  # any known word ids; -1 is tested below
    reference = connectivity(model, torch.from_numpy(chars), targets)
    for position in range(len(chars)):
        values, top_ids, top_probs = graph.run(
            None, {"chars": chars, "position": np.array(position), "target": np.array(int(targets[position]))}
        )
        expected = reference.values[position].numpy()
        np.testing.assert_allclose(values, expected, rtol=1e-3, atol=1e-3 * expected.max())
        assert np.all(values[position + 1 :] == 0)
        assert top_ids.tolist() == reference.top_ids[position].tolist()
        np.testing.assert_allclose(top_probs, reference.top_probs[position].numpy(), atol=1e-5)


def test_connectivity_of_the_models_own_top_word(graphs) -> None:
    model, _, graph, _ = graphs
    chars = ids(P1[:60])
    reference = connectivity(model, torch.from_numpy(chars), positions=torch.tensor([40]))
    values, top_ids, _ = graph.run(None, {"chars": chars, "position": np.array(40), "target": np.array(-1)})
    assert top_ids[0] == int(reference.targets[0])
    np.testing.assert_allclose(values, reference.values[0].numpy(), rtol=1e-3, atol=1e-6)


def test_long_texts_run(graphs) -> None:
    model, autocomplete, graph, _ = graphs
    chars = np.tile(ids(P1), 6)[:1100]
    top_ids, _, _ = autocomplete.run(
        None, {"chars": chars, "state": np.zeros(model.rnn.state_size, np.float32)}
    )
    values, _, _ = graph.run(None, {"chars": chars, "position": np.array(1099), "target": np.array(-1)})
    assert len(top_ids) == 10 and values.shape == (1100,) and np.all(np.isfinite(values))


@pytest.mark.parametrize(
    ("chars", "position"),
    [
        (np.array([], np.int64), 0),  # no text
        (np.array([1, 2, 28], np.int64), 0),  # an id past the alphabet
        (np.array([1, 0, 3], np.int64), 0),  # <eos> is padding, not text
        (np.array([1, -3, 3], np.int64), 0),  # a negative id
        (np.array([1, 2, 3], np.int64), 3),  # position past the end
        (np.array([1, 2, 3], np.int64), -1),  # negative position
    ],
)
def test_bad_inputs_fail_instead_of_answering(exported, chars: np.ndarray, position: int) -> None:
    model, autocomplete, graph, _ = exported["gru"]
    with pytest.raises(Exception, match="ONNXRuntimeError"):
        graph.run(None, {"chars": chars, "position": np.array(position), "target": np.array(-1)})
    if position == 0:
        with pytest.raises(Exception, match="ONNXRuntimeError"):
            autocomplete.run(None, {"chars": chars, "state": np.zeros(model.rnn.state_size, np.float32)})


def test_graphs_are_compact_and_not_unrolled(exported) -> None:
    for _, _, _, report in exported.values():
        for graph in report["graphs"].values():
            assert graph["structure_bytes"] < 1_000_000
            assert graph["nodes"] < 80  # one Scan per direction, whatever the text's length
        assert json.loads(json.dumps(report))["opset"] <= 26


def run_in_onnxruntime_web(path, feeds: dict, weights=None) -> dict:
    """The graph run by onnxruntime-web's WASM backend (the page's runtime) under Node; `weights` is the
    web graphs' shared weights file, handed to the runtime as external data the way the page does."""
    result = subprocess.run(
        ["node", str(profiles.ROOT / "tests" / "js" / "run_graph.mjs"), str(path), json.dumps(feeds)]
        + ([str(weights)] if weights else []),
        capture_output=True,
        text=True,
        cwd=profiles.ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_web_graphs_run_in_onnxruntime_web(tiny, exported) -> None:
    chars = ids(P1[:80])
    for key, (model, _, _, _) in exported.items():
        directory = tiny.run_dir / key
        web_autocomplete = ort.InferenceSession(str(directory / "autocomplete.web.onnx"))
        web_connectivity = ort.InferenceSession(str(directory / "connectivity.web.onnx"))
        zeros = np.zeros(model.rnn.state_size, np.float32)
        expected = web_autocomplete.run(None, {"chars": chars, "state": zeros})
        weights = directory / "weights.web.bin"
        got = run_in_onnxruntime_web(
            directory / "autocomplete.web.onnx",
            {"chars": [chars.tolist(), "int64"], "state": [zeros.tolist(), "float32"]},
            weights,
        )
        assert got["top_ids"] == expected[0].tolist(), key
        np.testing.assert_allclose(got["top_probs"], expected[1], atol=1e-5)
        np.testing.assert_allclose(got["state_out"], expected[2], atol=1e-5)
        expected = web_connectivity.run(
            None, {"chars": chars, "position": np.array(50), "target": np.array(-1)}
        )
        got = run_in_onnxruntime_web(
            directory / "connectivity.web.onnx",
            {"chars": [chars.tolist(), "int64"], "position": [50, "int64"], "target": [-1, "int64"]},
            weights,
        )
        np.testing.assert_allclose(got["connectivity"], expected[0], rtol=1e-4, atol=1e-4 * expected[0].max())
        assert got["top_ids"] == expected[1].tolist()
        bad = run_in_onnxruntime_web(
            directory / "connectivity.web.onnx",
            {"chars": [chars.tolist(), "int64"], "position": [500, "int64"], "target": [-1, "int64"]},
            weights,
        )
        assert "error" in bad, f"{key}: a position past the end must fail in the browser's runtime too"
