"""bench/gpu_check.py: the GPU visit rehearsed on the CPU (--dry-run), and its refusals at the start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from build import profiles

SCRIPT = profiles.ROOT / "bench" / "gpu_check.py"


def check(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *arguments],
        cwd=profiles.ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


def test_without_cuda_it_stops_at_once_with_one_line(tmp_path: Path) -> None:
    done = check(str(tmp_path / "out"), "--work", str(tmp_path / "work"))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "CUDA device" in done.stderr and "--dry-run" in done.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "work").exists()


def test_a_missing_requirement_is_named_before_any_work(tmp_path: Path) -> None:
    """No node on PATH (render typesets the math with it): exit 2, the line names it, nothing written."""
    bare = tmp_path / "bin"
    bare.mkdir()
    (bare / "python").symlink_to(sys.executable)
    done = check("--dry-run", str(tmp_path / "out"), env={"PATH": str(bare)})
    assert done.returncode == 2
    assert "node on PATH" in done.stderr and done.stderr.strip().count("\n") == 0
    assert not (tmp_path / "out").exists()


def test_dry_run_rehearses_every_part_and_archives_no_weights(tmp_path: Path) -> None:
    out, work = tmp_path / "out", tmp_path / "work"
    done = check("--dry-run", str(out), "--work", str(work))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["failures"] == [] and summary["dry_run"] is True
    assert summary["tests"]["passed"] and " passed" in summary["tests"]["summary"]
    assert summary["agreement"] and max(summary["agreement"].values()) < 1e-4
    keys = [m.key for m in profiles.load("tiny").models]
    # every unit timed plain and with the fused output layer; the Nested LSTM's kernels too
    assert [row["model"] for row in summary["timing"]] == [m.name for m in profiles.load("tiny").models]
    for row in summary["timing"]:
        assert row["plain ms"] > 0 and row["fused head ms"] > 0 and row["ratio"] > 0
    assert summary["timing"][keys.index("nlstm")]["kernels ms"] > 0
    stages = [s["stage"] for s in summary["stages"]]
    for stage in ("dataset", "evaluate baseline", "results", "precompute", "render"):
        assert stage in stages
    for key in keys:
        for stage in ("train", "evaluate", "lookback", "truncated", "during", "export"):
            assert f"{stage} {key}" in stages
    assert all(s["seconds"] >= 0 and "error" not in s for s in summary["stages"])

    archived = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    expected = {"gpu_check.log", "summary.json", "results.json", *(f"losses/{k}.csv" for k in keys)}
    assert expected <= set(archived)
    assert any(name.startswith("passages/") for name in archived)
    assert not [name for name in archived if name.endswith((".pt", ".onnx", ".bin"))]
    results = json.loads((out / "results.json").read_text())
    assert [m["key"] for m in results["models"]] == keys
    log = (out / "gpu_check.log").read_text()
    assert "## Versions" in log and "test cross entropy" in log and "nothing failed" in log
    # the run itself (weights included) stayed in --work, with its site
    assert (work / "site" / "index.html").is_file()
    assert list((work / "runs").rglob("model.pt"))
