"""Precompute: passage files match the PyTorch reference, the manifest describes the site, an edit to
one passage recomputes that passage alone, and each passage's steps file holds every kept weight set's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from build import dataset, passage_steps, precompute, run_files
from build.checkpoints import load_trained
from build.connectivity import connectivity
from build.passages import P1
from build.run_files import decode_lower_triangle, model_dir, sha256_file

ARTICLE = f"""# A test article

```passage id=grammar position=28 highlights="28 34"
{P1.strip()}
```

Some prose.

```passage id=short models=gru
the cat sat on the mat
```
"""


@pytest.fixture
def site(tiny, exported, tiny_site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with its own article and site; the tiny run's results.json, which precompute reads,
    comes from `tiny_site` (otherwise these tests pass only after another file's tests made it)."""
    monkeypatch.setenv("MEMORIZATION_SITE", str(tmp_path / "site"))
    (tmp_path / "article").mkdir()
    (tmp_path / "article" / "index.md").write_text(ARTICLE)
    return tmp_path


def run(tiny, site: Path) -> dict:
    return precompute.precompute(tiny, [site / "article" / "index.md"])


def test_passage_file_holds_text_predictions_and_connectivity(tiny, site: Path) -> None:
    run(tiny, site)
    grammar = json.loads((site / "site" / "data" / "passages" / "grammar.json").read_text())
    assert grammar["text"] == P1 and grammar["position"] == 28 and grammar["highlights"] == [28, 34]
    assert set(grammar["models"]) == {"gru", "lstm", "nlstm"}
    data = dataset.load(tiny)
    targets = precompute.passage_targets(P1, data)
    assert len(targets) == len(P1) and targets[0] == targets[7]  # " context" is one word
    for key, result in grammar["models"].items():
        model, _ = load_trained(tiny, key)
        reference = connectivity(
            model, torch.from_numpy(dataset.encode_text(P1).astype(np.int64)), torch.tensor(targets)
        )
        assert result["top_ids"] == reference.top_ids.tolist()
        np.testing.assert_allclose(result["top_probs"], reference.top_probs.numpy(), atol=1e-5)
        values = decode_lower_triangle(result["connectivity"])
        expected = reference.values.double().numpy()
        tolerance = expected.max(axis=1, keepdims=True) / 65535  # uint16 fractions of each row's maximum
        assert np.all(np.abs(values - expected) <= tolerance)
        assert np.all(np.triu(values, 1) == 0)
    short = json.loads((site / "site" / "data" / "passages" / "short.json").read_text())
    assert list(short["models"]) == ["gru"]


def test_manifest_describes_models_graphs_and_passages(tiny, site: Path) -> None:
    manifest = run(tiny, site)
    root = site / "site"
    assert json.loads((root / "data" / "manifest.json").read_text()) == manifest
    assert manifest["profile"] == "tiny" and manifest["run"] == "tiny"
    assert manifest["seeds"]["dataset"] == 450849059
    assert manifest["corpus_sha256"] == dataset.load(tiny).stats["corpus_sha256"]
    assert {"torch", "onnx", "onnxruntime"} <= set(manifest["versions"])
    for model in manifest["models"]:
        files = [*model["graphs"].values(), model["weights_file"]]
        for file in files:
            assert sha256_file(root / file["file"]) == file["sha256"]
            assert (root / file["file"]).stat().st_size == file["bytes"]
        assert model["download_bytes"] == sum(f["bytes"] for f in files)
        assert model["weights_file"]["file"] == f"models/{model['key']}/weights.web.bin"
        assert model["state_size"] > 0 and model["parameters"]["total"] > 0
        assert set(model["weights"].split(" + ")) <= {"int8", "fp16", "fp32"}
        assert model["training_seconds"] > 0
        assert set(model["formats"].values()) <= {"int8", "fp16", "fp32"}
    for entry in manifest["passages"]:
        assert sha256_file(root / entry["file"]) == entry["sha256"]
    assert json.loads((root / "data" / "vocab.json").read_text()) == dataset.load(tiny).words


def test_editing_one_passage_recomputes_only_that_one(tiny, site: Path) -> None:
    run(tiny, site)
    passages_dir = site / "site" / "data" / "passages"
    grammar_stamp = (passages_dir / "grammar.json").stat().st_mtime_ns
    short_before = (passages_dir / "short.json").read_text()
    article = site / "article" / "index.md"
    article.write_text(
        "More prose.\n\n" + article.read_text().replace("the cat sat on the mat", "the dog sat on the mat")
    )
    manifest = run(tiny, site)
    assert (passages_dir / "grammar.json").stat().st_mtime_ns == grammar_stamp  # moved down, not stale
    assert manifest["passages"][0]["source"].endswith("index.md:5")
    short_after = json.loads((passages_dir / "short.json").read_text())
    assert (
        short_after["text"] == " the dog sat on the mat"
        and (passages_dir / "short.json").read_text() != short_before
    )
    article.write_text(ARTICLE.split("Some prose.")[0])  # the short passage is deleted from the article
    manifest = run(tiny, site)
    assert [p["id"] for p in manifest["passages"]] == ["grammar"] and not (
        passages_dir / "short.json"
    ).exists()


def test_each_model_downloads_as_one_zip_that_runs_on_its_own(tiny, site: Path, tmp_path: Path) -> None:
    """The graphs read their weights from a file beside them: the zip carries all three, so onnxruntime
    opens a graph straight from the unpacked folder; the same files give the same zip."""
    import zipfile

    import onnxruntime as ort

    manifest = run(tiny, site)
    root = site / "site"
    for model in manifest["models"]:
        download = model["download"]
        path = root / download["file"]
        assert download["file"] == f"downloads/{model['key']}-onnx.zip"
        assert sha256_file(path) == download["sha256"] and path.stat().st_size == download["bytes"]
        with zipfile.ZipFile(path) as archive:
            names = sorted(archive.namelist())
            archive.extractall(tmp_path / "unpacked")
        files = [*model["graphs"].values(), model["weights_file"]]
        assert names == sorted(f"{model['key']}/{Path(f['file']).name}" for f in files)
        for graph in model["graphs"].values():
            unpacked = tmp_path / "unpacked" / model["key"] / Path(graph["file"]).name
            assert ort.InferenceSession(str(unpacked)).get_inputs()
    before = {m["key"]: m["download"]["sha256"] for m in manifest["models"]}
    assert {m["key"]: m["download"]["sha256"] for m in run(tiny, site)["models"]} == before


def test_steps_file_holds_every_kept_step_of_every_model(tiny, site: Path) -> None:
    manifest = run(tiny, site)
    root = site / "site"
    kept = list(range(tiny.keep_every, tiny.steps, tiny.keep_every))
    assert kept
    entry = next(e for e in manifest["passages"] if e["id"] == "grammar")
    assert entry["steps"]["file"] == "data/passages/grammar.steps.json"
    assert entry["steps"]["steps"] == kept and entry["steps"]["final"] == tiny.steps
    assert sha256_file(root / entry["steps"]["file"]) == entry["steps"]["sha256"]
    steps = json.loads((root / entry["steps"]["file"]).read_text())
    assert steps["id"] == "grammar" and steps["steps"] == kept
    assert set(steps["models"]) == {"gru", "lstm", "nlstm"}
    assert all(list(by_step) == [str(s) for s in kept] for by_step in steps["models"].values())
    short = json.loads((root / "data" / "passages" / "short.steps.json").read_text())
    assert list(short["models"]) == ["gru"]

    # One kept step's entry is what that step's weights give, not the final model's.
    data = dataset.load(tiny)
    targets = precompute.passage_targets(P1, data)
    model, _ = load_trained(tiny, "lstm")
    final = json.loads((root / entry["file"]).read_text())["models"]["lstm"]
    model.load_state_dict(torch.load(run_files.kept_path(model_dir(tiny, "lstm"), kept[0])))
    reference = connectivity(
        model, torch.from_numpy(dataset.encode_text(P1).astype(np.int64)), torch.tensor(targets)
    )
    stored = steps["models"]["lstm"][str(kept[0])]
    assert stored["top_ids"] == reference.top_ids.tolist()
    np.testing.assert_allclose(stored["top_probs"], reference.top_probs.numpy(), atol=1e-5)
    values = decode_lower_triangle(stored["connectivity"])
    expected = reference.values.double().numpy()
    assert np.all(np.abs(values - expected) <= expected.max(axis=1, keepdims=True) / 65535)
    assert stored["connectivity"]["data"] != final["connectivity"]["data"]


def test_steps_files_are_not_recomputed_unchanged_and_go_when_no_weights_were_kept(
    tiny, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(tiny, site)
    steps_file = site / "site" / "data" / "passages" / "grammar.steps.json"
    stamp = steps_file.stat().st_mtime_ns

    def refuse(*args: object) -> dict:
        raise AssertionError("a steps file was computed again with nothing changed")

    with monkeypatch.context() as patched:
        patched.setattr(passage_steps, "compute_steps", refuse)
        run(tiny, site)
    assert steps_file.stat().st_mtime_ns == stamp
    monkeypatch.setattr(passage_steps, "kept_steps", lambda directory: [])  # a run that kept no weights
    manifest = run(tiny, site)
    assert all("steps" not in e for e in manifest["passages"])
    assert not steps_file.exists() and (site / "site" / "data" / "passages" / "grammar.json").exists()
