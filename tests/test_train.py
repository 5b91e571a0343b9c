"""Training: determinism, resume after Ctrl-C or kill, and refusal of foreign or damaged checkpoints."""

from __future__ import annotations

import csv
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from build import dataset, profiles, train
from build.train import CheckpointError

CPU = torch.device("cpu")


def weights(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)["weights"]


def assert_same_weights(a: Path, b: Path) -> None:
    wa, wb = weights(a), weights(b)
    assert wa.keys() == wb.keys()
    for name in wa:
        assert torch.equal(wa[name], wb[name]), name


def losses(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_training_writes_csv_checkpoint_and_model(tiny) -> None:
    directory = tiny.run_dir / "gru"
    rows = losses(directory / "losses.csv")
    assert [int(r["step"]) for r in rows] == list(range(1, tiny.steps + 1))
    assert all(float(r["train_loss"]) > 0 for r in rows)
    seconds = [float(r["seconds"]) for r in rows]
    assert seconds == sorted(seconds) and seconds[0] > 0
    measured = [int(r["step"]) for r in rows if r["valid_loss"]]
    assert measured == [1, 4, 8, 12]  # the first step, every validate_every, the last
    final = torch.load(directory / "model.pt", weights_only=True)
    assert final["step"] == tiny.steps and "optimizer" not in final
    assert final["device"].startswith("cpu") and final["parameters"]["total"] > 0


def test_same_profile_gives_the_same_losses(isolated) -> None:
    profile = profiles.load("tiny")
    dataset.prepare(profile)
    first = train.train(profile, "lstm", CPU, progress=False)
    first_losses = [r["train_loss"] for r in losses(first.parent / "losses.csv")]
    saved = first.parent.rename(first.parent.with_name("lstm-first"))
    second = train.train(profile, "lstm", CPU, progress=False)
    assert [r["train_loss"] for r in losses(second.parent / "losses.csv")] == first_losses
    assert_same_weights(saved / "model.pt", second)


class Interrupt(Exception):
    pass


def test_resume_after_ctrl_c_ends_with_the_same_weights(isolated) -> None:
    profile = profiles.load("tiny")
    dataset.prepare(profile)
    reference = train.train(profile, "nlstm", CPU, progress=False)
    reference_dir = reference.parent.rename(reference.parent.with_name("nlstm-reference"))

    def ctrl_c(step: int) -> None:
        if step == 6:  # between checkpoints 4 and 8: steps 5 and 6 are lost and redone
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train.train(profile, "nlstm", CPU, on_step=ctrl_c, progress=False)
    directory = profile.run_dir / "nlstm"
    assert torch.load(directory / "checkpoint.pt", weights_only=True)["step"] == 4
    assert not (directory / "model.pt").exists()
    train.train(profile, "nlstm", CPU, progress=False)
    assert_same_weights(reference_dir / "model.pt", directory / "model.pt")
    assert [r["train_loss"] for r in losses(directory / "losses.csv")] == [
        r["train_loss"] for r in losses(reference_dir / "losses.csv")
    ]


def test_resume_after_kill_ends_with_the_same_weights(isolated) -> None:
    """A real process killed with SIGKILL mid-run, then run again to the end."""
    profile = profiles.load("tiny")
    dataset.prepare(profile)
    steps = 60
    reference = train.train(dataclasses.replace(profile, steps=steps), "gru", CPU, progress=False)
    reference_dir = reference.parent.rename(reference.parent.with_name("gru-reference"))

    env = {
        **os.environ,
        "MEMORIZATION_RUNS": str(profiles.RUNS_DIR),
        "MEMORIZATION_CACHE": str(profiles.CACHE_DIR),
        "PYTHONPATH": str(profiles.ROOT),
        "CUDA_VISIBLE_DEVICES": "",
    }
    command = [
        sys.executable,
        "-m",
        "build.train",
        "--profile",
        "tiny",
        "--model",
        "gru",
        "--steps",
        str(steps),
    ]
    checkpoint = profile.run_dir / "gru" / "checkpoint.pt"
    process = subprocess.Popen(
        command, env=env, cwd=profiles.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while not checkpoint.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed_at = torch.load(checkpoint, weights_only=True)["step"]
    assert killed_at < steps, "the run finished before it could be killed"
    resumed = subprocess.run(command, env=env, cwd=profiles.ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming from {checkpoint} at step {killed_at}" in resumed.stdout
    assert_same_weights(reference_dir / "model.pt", checkpoint.parent / "model.pt")


def test_finished_model_is_up_to_date(tiny, capsys) -> None:
    path = tiny.run_dir / "lstm" / "model.pt"
    stamp = path.stat().st_mtime_ns
    assert train.train(tiny, "lstm", CPU, progress=False) == path
    assert "up to date" in capsys.readouterr().out
    assert path.stat().st_mtime_ns == stamp


def copy_run(source: profiles.Profile, key: str, target_root: Path) -> Path:
    target = target_root / "runs" / source.run_name / key
    target.mkdir(parents=True)
    for name in ("checkpoint.pt", "model.pt", "losses.csv"):
        (target / name).write_bytes((source.run_dir / key / name).read_bytes())
    (target.parent / "dataset.json").write_bytes((source.run_dir / "dataset.json").read_bytes())
    return target


def test_checkpoint_of_another_unit_is_refused(tiny, tmp_path, monkeypatch) -> None:
    copy_run(tiny, "gru", tmp_path)
    monkeypatch.setattr(profiles, "RUNS_DIR", tmp_path / "runs")
    gru_files = tmp_path / "runs" / "tiny" / "gru"
    (tmp_path / "runs" / "tiny" / "lstm").mkdir()
    for name in ("checkpoint.pt", "model.pt"):
        (gru_files / name).rename(gru_files.with_name("lstm") / name)
    (gru_files.with_name("lstm") / "model.pt").unlink()
    with pytest.raises(CheckpointError, match=r"lstm/checkpoint.pt: made with model = .*'unit': 'gru'"):
        train.train(tiny, "lstm", CPU, progress=False)


def test_checkpoint_of_another_profile_is_refused(tiny, tmp_path, monkeypatch) -> None:
    copy_run(tiny, "gru", tmp_path)
    monkeypatch.setattr(profiles, "RUNS_DIR", tmp_path / "runs")
    other = dataclasses.replace(tiny, learning_rate=0.01)
    with pytest.raises(CheckpointError, match="made with learning_rate = 0.001, but this run has"):
        train.train(other, "gru", CPU, progress=False)
    renamed = dataclasses.replace(tiny, name="small")
    with pytest.raises(CheckpointError, match="made with profile = 'tiny'"):
        train.read_checkpoint(
            tmp_path / "runs" / "tiny" / "gru" / "model.pt",
            train.identity(renamed, "gru", dataset.load(tiny)),
        )


def test_corrupt_checkpoint_is_an_error_not_a_restart(tiny, tmp_path, monkeypatch) -> None:
    target = copy_run(tiny, "gru", tmp_path)
    monkeypatch.setattr(profiles, "RUNS_DIR", tmp_path / "runs")
    (target / "checkpoint.pt").write_bytes((target / "checkpoint.pt").read_bytes()[:200])
    with pytest.raises(CheckpointError, match="checkpoint.pt: unreadable checkpoint"):
        train.train(tiny, "gru", CPU, progress=False)
    (target / "model.pt").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="model.pt: unreadable checkpoint"):
        train.load_trained(tiny, "gru")


def test_batches_cover_the_epoch_and_depend_only_on_the_step() -> None:
    first_epoch = [train.batch_indices(s, 100, 10, seed=3) for s in range(10)]
    flat = sorted(i for batch in first_epoch for i in batch.tolist())
    assert flat == list(range(100))
    assert train.batch_indices(4, 100, 10, seed=3).tolist() == first_epoch[4].tolist()
    assert train.batch_indices(10, 100, 10, seed=3).tolist() != first_epoch[0].tolist()
