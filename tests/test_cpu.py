"""build/cpu.py: subnormal floats flushed to zero in every process that runs a model, and a profile's CPU
settings applied and put back."""

from __future__ import annotations

import ast
import dataclasses
import functools
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from build import cpu, profiles, units  # noqa: F401 (importing build.units is what flushes)

SUBNORMAL = 1e-39  # below float32's smallest normal number, 1.18e-38


def subnormal_survives() -> bool:
    """Whether a float32 subnormal survives a multiplication by one here (it does not when flushed)."""
    return (torch.tensor([SUBNORMAL], dtype=torch.float32) * 1.0).item() != 0.0


can_flush = pytest.mark.skipif(not torch.set_flush_denormal(True), reason="this CPU cannot flush subnormals")


@can_flush
def test_importing_the_units_flushes_and_flush_denormal_switches_it() -> None:
    """In a fresh process (here an earlier test's onnxruntime session may have reset this thread's flag)."""
    program = (
        "import torch; import build.units; from build import cpu; "
        f"print(cpu.flushing(), (torch.tensor([{SUBNORMAL}]) * 1.0).item())"
    )
    done = subprocess.run([sys.executable, "-c", program], cwd=profiles.ROOT, capture_output=True, text=True)
    assert done.stdout.split() == ["True", "0.0"], done.stdout + done.stderr
    cpu.flush_denormal()
    assert cpu.flushing() and not subnormal_survives()
    try:
        assert cpu.flush_denormal(False) is False and not cpu.flushing()
        assert subnormal_survives()
    finally:
        assert cpu.flush_denormal() is True
    assert not subnormal_survives()


@can_flush
def test_a_profiles_settings_hold_for_the_block_and_are_put_back() -> None:
    threads = torch.get_num_threads()
    kept = dataclasses.replace(profiles.load("tiny"), flush_denormal=False, train_threads=1)
    with cpu.settings(kept):
        assert torch.get_num_threads() == 1 and subnormal_survives() and not cpu.flushing()
    assert torch.get_num_threads() == threads and cpu.flushing() and not subnormal_survives()
    with cpu.settings(profiles.load("paper")):  # flushes, and leaves the thread count alone
        assert torch.get_num_threads() == threads and not subnormal_survives()
    with pytest.raises(KeyError), cpu.settings(kept):
        raise KeyError("a stage that fails")
    assert torch.get_num_threads() == threads and cpu.flushing()


def test_every_profile_flushes() -> None:
    assert all(profile.flush_denormal for profile in profiles.PROFILES.values())


def test_a_cpu_that_cannot_flush_is_named_once_and_the_stage_goes_on(monkeypatch, capsys) -> None:
    monkeypatch.setattr(torch, "set_flush_denormal", lambda on: False)
    with cpu.settings(profiles.load("tiny")):
        assert not cpu.flushing()
    assert capsys.readouterr().err.count("cannot flush subnormal floats to zero") == 1
    monkeypatch.undo()
    cpu.flush_denormal()


@functools.cache
def _imports(path: Path) -> tuple[set[str], bool]:
    """The modules a file imports (anywhere in it) and whether it runs as a program (`__main__`)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found, "__main__" in path.read_text()


def _module_path(name: str) -> Path | None:
    path = profiles.ROOT.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _reaches(path: Path) -> set[str]:
    """Every module a file imports, directly or through the project's modules it imports."""
    seen: set[str] = set()
    todo = list(_imports(path)[0])
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for part in (name, name.rsplit(".", 1)[0]):
            inner = _module_path(part)
            if inner is not None:
                todo.extend(_imports(inner)[0] - seen)
    return seen


# Programs that import torch but run no model in it: the dataset stage (tensors of a batch) and the
# browser benchmark (its graphs run in onnxruntime).
RUN_NO_MODEL = {"build/dataset.py", "bench/browser.py"}


def test_every_program_that_runs_torch_imports_the_units_and_so_flushes() -> None:
    """Every stage and benchmark that imports torch (itself or through the project's modules) imports
    build.units, whose import flushes: training, evaluation, lookback, truncated, export, precompute and
    bench/."""
    programs = [
        path
        for folder in ("build", "exporter", "bench")
        for path in sorted((profiles.ROOT / folder).rglob("*.py"))
        if _imports(path)[1]
    ]
    using_torch = [path for path in programs if "torch" in _reaches(path)]
    names = {path.relative_to(profiles.ROOT).as_posix(): path for path in using_torch}
    assert {"build/train.py", "build/evaluate.py", "build/lookback.py", "build/truncated.py"} <= set(names)
    assert "build/precompute.py" in names
    assert {"exporter/export.py", "bench/train_step.py", "bench/flush_denormal.py"} <= set(names)
    missing = [
        name
        for name, path in sorted(names.items())
        if "build.units" not in _reaches(path) and name not in RUN_NO_MODEL
    ]
    assert not missing, f"these run torch without importing build.units (no flush): {missing}"
