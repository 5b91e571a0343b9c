"""Run files: the record that ties a run directory to what made it, atomic writes, the passage encoding."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from build import profiles, run_files


def test_a_run_directory_is_never_reused_by_other_settings_or_code(isolated) -> None:
    profile = profiles.load("tiny")
    record = run_files.claim_run_dir(profile)
    assert json.loads(record.read_text())["profile"]["steps"] == profile.steps
    assert run_files.claim_run_dir(profile) == record  # the same settings: fine, unchanged
    changed = dataclasses.replace(profile, steps=profile.steps + 1, learning_rate=0.5)
    with pytest.raises(run_files.RunDirError, match=r"run\.json: .*other settings \(steps, learning_rate\)"):
        run_files.claim_run_dir(changed)
    stored = json.loads(record.read_text())
    record.write_text(json.dumps({**stored, "format": profiles.RUN_FORMAT - 1}))
    with pytest.raises(run_files.RunDirError, match="another version of this code"):
        run_files.claim_run_dir(profile)
    record.write_text("{ not json")
    with pytest.raises(run_files.RunDirError, match="make clean-runs"):
        run_files.claim_run_dir(profile)


def test_a_run_recorded_before_the_context_measurement_is_still_its_run(isolated) -> None:
    profile = profiles.load("small")
    record = run_files.claim_run_dir(profile)
    stored = json.loads(record.read_text())
    del stored["profile"]["context_observations"]  # what a run recorded before that setting holds
    record.write_text(json.dumps(stored))
    assert run_files.claim_run_dir(profile) == record
    other = dataclasses.replace(profile, context_observations=10)
    stored["profile"]["context_observations"] = 200
    record.write_text(json.dumps(stored))
    with pytest.raises(run_files.RunDirError, match=r"other settings \(context_observations\)"):
        run_files.claim_run_dir(other)


def test_each_training_seed_has_its_models_apart_and_one_record_of_the_run(isolated) -> None:
    seeded = profiles.load("tiny", seeds="2")
    first, second = (profiles.for_seed(seeded, seed) for seed in seeded.training_seeds)
    assert run_files.model_dir(first, "gru") == seeded.run_dir / "gru"  # as in a one-seed run
    assert run_files.model_dir(second, "gru") == seeded.run_dir / "seed2" / "gru"
    record = run_files.claim_run_dir(seeded)
    assert json.loads(record.read_text())["profile"]["seeds"] == 2
    assert "seed_offset" not in json.loads(record.read_text())["profile"]  # which seed a stage works on
    assert run_files.claim_run_dir(second) == record
    with pytest.raises(run_files.RunDirError, match=r"other settings \(seeds\)"):
        run_files.claim_run_dir(dataclasses.replace(seeded, seeds=3))


def test_a_run_recorded_before_seeds_trained_once(isolated) -> None:
    profile = profiles.load("tiny")
    record = run_files.claim_run_dir(profile)
    stored = json.loads(record.read_text())
    del stored["profile"]["seeds"]  # what a run recorded before seeds holds
    record.write_text(json.dumps(stored))
    assert run_files.claim_run_dir(profile) == record


def test_lower_triangle_round_trip() -> None:
    values = np.tril(np.random.default_rng(0).random((7, 7)) * 10)
    decoded = run_files.decode_lower_triangle(run_files.encode_lower_triangle(values))
    np.testing.assert_allclose(decoded, values, atol=10 / 65535)


def test_kept_steps_lists_the_kept_weights_by_step_and_none_when_training_kept_none(tmp_path: Path) -> None:
    assert run_files.kept_steps(tmp_path) == []  # a run trained before weights were kept
    for step in (100, 20, 5):
        path = run_files.kept_path(tmp_path, step)
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"")
    (tmp_path / "kept" / "notes.txt").write_text("not weights")
    found = run_files.kept_steps(tmp_path)
    assert [step for step, _ in found] == [5, 20, 100]
    assert found[0][1] == tmp_path / "kept" / "step00005.pt"


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "file.json"
    run_files.replace_bytes(target, b"old")
    with pytest.raises(KeyboardInterrupt), run_files.replacing(target) as temporary:
        temporary.write_bytes(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"old" and [p.name for p in target.parent.iterdir()] == ["file.json"]


def test_write_if_changed_keeps_an_unchanged_file_untouched(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    assert run_files.write_if_changed(target, "x\n")
    before = target.stat().st_mtime_ns
    assert not run_files.write_if_changed(target, "x\n") and target.stat().st_mtime_ns == before
    assert run_files.write_if_changed(target, "y\n") and target.read_text() == "y\n"


def test_a_missing_dataset_record_says_which_stage_makes_it(isolated) -> None:
    with pytest.raises(FileNotFoundError, match=r"dataset\.json: missing; run `python -m build\.dataset"):
        run_files.dataset_key(profiles.load("tiny"))


NO_TORCH = """
import sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("this stage imported torch: " + name)
sys.meta_path.insert(0, Refuse())
import build.corpus, build.render.page, build.preview, build.run_files
from build.render.figures import parse_figure
assert build.corpus.normalise("Hello, World 2") == "hello world two"
assert parse_figure("curves id=loss", "Caption.", "a.md:1").anchor == "loss"
assert build.run_files.versions()["torch"]  # read from the package's metadata, not by importing it
print("no torch")
"""


def test_the_stages_that_write_text_and_html_never_import_torch() -> None:
    """run_files, the corpus, the render and the preview work where importing torch fails
    (build/checkpoints.py holds what needs it)."""
    done = subprocess.run([sys.executable, "-c", NO_TORCH], cwd=profiles.ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "no torch", done.stderr[-2000:]
