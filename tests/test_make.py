"""Make knows the stages: `make article` on the tiny profile runs them all, then redoes only what changed."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from build import profiles


def make(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["make", *arguments], cwd=profiles.ROOT, env=env, capture_output=True, text=True)


def test_make_article_builds_every_stage_and_then_only_what_changed(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PROFILE": "tiny",
        "MEMORIZATION_RUNS": str(tmp_path / "runs"),
        "MEMORIZATION_CACHE": str(tmp_path / "cache"),
        "MEMORIZATION_SITE": str(tmp_path / "site"),
        "CUDA_VISIBLE_DEVICES": "",
    }
    env.pop("CORPUS", None)
    built = make("article", env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    run = tmp_path / "runs" / "tiny"
    results = json.loads((run / "results.json").read_text())
    assert [m["key"] for m in results["models"]] == ["gru", "lstm", "nlstm"]
    assert "no context" in built.stdout and "Nested LSTM" in built.stdout
    for key in ("gru", "lstm", "nlstm"):
        assert (run / key / "autocomplete.onnx").exists() and (run / key / "connectivity.onnx").exists()
    manifest = json.loads((tmp_path / "site" / "data" / "manifest.json").read_text())
    assert [p["id"] for p in manifest["passages"]] == ["grammar"]  # from article/index.md
    assert 'data-passage="grammar"' in (tmp_path / "site" / "index.html").read_text()

    assert make("-q", str(run / "results.json"), env=env).returncode == 0  # nothing left to do
    # An edit to the article's Markdown recomputes the page's data and the page, nothing upstream.
    planned = make("-n", "-W", "article/index.md", "article", env=env).stdout
    assert "build.precompute" in planned and "build.render" in planned
    assert (
        "build.train" not in planned and "exporter.export" not in planned and "build.evaluate" not in planned
    )
    planned = make("-n", "-W", "article/static/style.css", "article", env=env).stdout
    assert "build.render" in planned and "build.precompute" not in planned
    (run / "lstm" / "eval.json").unlink()
    planned = make("-n", "article", env=env).stdout
    assert "build.evaluate --model lstm" in planned and "build.evaluate --results" in planned
    assert "build.train" not in planned and "--model gru" not in planned and "build.dataset" not in planned
    assert "exporter.export" not in planned  # the model did not change, so neither do its graphs
