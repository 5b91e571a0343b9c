"""Training: determinism, resume after Ctrl-C or kill, refusal of foreign or damaged checkpoints, and a stop
naming the unit file when a unit is broken or its loss turns NaN."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from build import checkpoints, cpu, dataset, profiles, run_files, train, training_state
from build.checkpoints import CheckpointError
from build.profiles import ModelConfig
from build.units import UnitError
from tests.train_helpers import interrupted_at

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


def test_same_profile_gives_the_same_losses(tiny_run: Path, isolated) -> None:
    """The LSTM trained again from a dataset prepared again equals the session's tiny LSTM."""
    profile = profiles.load("tiny")
    dataset.prepare(profile)
    first = tiny_run / "lstm"
    first_losses = [r["train_loss"] for r in losses(first / "losses.csv")]
    second = train.train(profile, "lstm", CPU, progress=False)
    assert [r["train_loss"] for r in losses(second.parent / "losses.csv")] == first_losses
    assert_same_weights(first / "model.pt", second)


class Interrupt(Exception):
    pass


def test_resume_after_ctrl_c_ends_with_the_same_weights(tiny_run: Path, isolated) -> None:
    """An interrupted and resumed Nested LSTM ends as the session's, trained in one go."""
    profile = profiles.load("tiny")
    dataset.prepare(profile)
    reference_dir = tiny_run / "nlstm"

    interrupted_at(profile, "nlstm", 6)  # between checkpoints 4 and 8: steps 5 and 6 are lost and redone
    directory = profile.run_dir / "nlstm"
    assert torch.load(directory / "checkpoint.pt", weights_only=True)["step"] == 4
    assert not (directory / "model.pt").exists()
    train.train(profile, "nlstm", CPU, progress=False)
    assert_same_weights(reference_dir / "model.pt", directory / "model.pt")
    assert [r["train_loss"] for r in losses(directory / "losses.csv")] == [
        r["train_loss"] for r in losses(reference_dir / "losses.csv")
    ]
    # the kept weights (steps 5 and 10) are all there after the resume, equal to the uninterrupted run's
    kept = sorted(p.name for p in (directory / "kept").glob("*.pt"))
    assert kept == ["step00005.pt", "step00010.pt"]
    assert kept == sorted(p.name for p in (reference_dir / "kept").glob("*.pt"))
    for name in kept:
        ours = torch.load(directory / "kept" / name, weights_only=True)
        theirs = torch.load(reference_dir / "kept" / name, weights_only=True)
        assert all(torch.equal(ours[k], theirs[k]) for k in theirs)


def test_setup_resume_loop_finish_are_what_train_runs(tiny_run: Path, isolated) -> None:
    """The four stages called by hand, stopped after step 6 and run again from the checkpoint, end with the
    weights and losses of one train() call (the session's tiny GRU); the clock carries on from the
    checkpoint's."""
    profile = profiles.load("tiny")
    dataset.prepare(profile)
    reference_dir = tiny_run / "gru"

    def stop(step: int) -> None:
        if step == 6:
            raise Interrupt

    with cpu.settings(profile):
        run = training_state.setup(profile, "gru", CPU, None)
        assert training_state.resume(run, None) and run.step == 0
        with pytest.raises(Interrupt):
            train.loop(run, stop, progress=False, yes=False)
        assert (run.step, run.saved) == (6, 4)

        again = training_state.setup(profile, "gru", CPU, None)
        assert training_state.resume(again, None) and again.step == 4
        saved = torch.load(again.checkpoint_path, weights_only=True)
        assert again.elapsed == saved["elapsed"] > 0
        train.loop(again, None, progress=False, yes=False)
        assert again.elapsed > saved["elapsed"]
        assert train.finish(again) == again.final_path == profile.run_dir / "gru" / "model.pt"
        assert not training_state.resume(training_state.setup(profile, "gru", CPU, None), None)

    assert_same_weights(reference_dir / "model.pt", again.final_path)
    assert [r["train_loss"] for r in losses(again.directory / "losses.csv")] == [
        r["train_loss"] for r in losses(reference_dir / "losses.csv")
    ]


def scheduled(profile: profiles.Profile) -> profiles.Profile:
    """`profile` with a warm-up, a cosine decay, clipping and one thread: every setting a schedule has."""
    return dataclasses.replace(
        profile,
        learning_rate=0.02,
        lr_schedule="cosine",
        warmup_steps=3,
        min_learning_rate=0.001,
        clip_norm=0.5,
        train_threads=1,
    )


def test_learning_rate_warms_up_then_decays_along_a_cosine_to_the_floor() -> None:
    profile = dataclasses.replace(scheduled(profiles.load("tiny")), steps=13)
    rates = [train.learning_rate(profile, step) for step in range(profile.steps)]
    assert rates[:3] == pytest.approx([0.02 / 3, 0.04 / 3, 0.02])  # warm-up, the last one at the peak
    assert rates[3] == pytest.approx(0.02) and rates[-1] > 0.001
    assert all(a > b for a, b in zip(rates[3:], rates[4:], strict=False))  # falling after the peak
    assert rates[3 + 5] == pytest.approx(0.001 + 0.5 * (0.02 - 0.001))  # half-way down the cosine
    assert train.learning_rate(profile, profile.steps) == pytest.approx(0.001)
    assert train.learning_rate(profiles.load("tiny"), 5) == profiles.load("tiny").learning_rate
    with pytest.raises(ValueError, match="lr_schedule 'linear' is not 'constant' or 'cosine'"):
        train.learning_rate(dataclasses.replace(profile, lr_schedule="linear"), 0)


def test_a_scheduled_clipped_run_is_repeatable_and_resumes_to_the_same_weights(isolated) -> None:
    """The schedule and the clipping depend on the step alone: interrupted and resumed, a run ends with
    the weights of one that was never interrupted; its thread count is put back afterwards."""
    profile = scheduled(profiles.load("tiny"))
    dataset.prepare(profile)
    threads = torch.get_num_threads()
    reference = train.train(profile, "lstm", CPU, progress=False)
    assert torch.get_num_threads() == threads
    reference_dir = reference.parent.rename(reference.parent.with_name("lstm-reference"))
    identity = torch.load(reference_dir / "model.pt", weights_only=True)["identity"]
    assert (identity["lr_schedule"], identity["clip_norm"], identity["train_threads"]) == ("cosine", 0.5, 1)

    interrupted_at(profile, "lstm", 7)
    train.train(profile, "lstm", CPU, progress=False)
    assert_same_weights(reference_dir / "model.pt", profile.run_dir / "lstm" / "model.pt")
    constant = dataclasses.replace(profile, lr_schedule="constant")
    with pytest.raises(CheckpointError, match="made with lr_schedule = 'cosine', but this"):
        train.train(constant, "lstm", CPU, progress=False)


def test_a_run_from_before_schedules_resumes_as_a_constant_rate(isolated, capsys) -> None:
    """Checkpoints and run records written before the schedule settings existed lack them: they were made
    with a constant rate, no clipping, PyTorch's threads and subnormals kept, and resume under exactly
    those settings."""
    profile = dataclasses.replace(profiles.load("tiny"), train_threads=None, flush_denormal=False)
    record = run_files.claim_run_dir(profile)
    dataset.prepare(profile)

    interrupted_at(profile, "gru", 5)
    checkpoint = profile.run_dir / "gru" / "checkpoint.pt"
    payload = torch.load(checkpoint, weights_only=True)
    old = json.loads(record.read_text())
    for field in run_files.IDENTITY_DEFAULTS:
        del payload["identity"][field]
        del old["profile"][field]
    torch.save(payload, checkpoint)
    record.write_text(json.dumps(old))
    assert run_files.claim_run_dir(profile) == record
    train.train(profile, "gru", CPU, progress=False)
    assert f"resuming from {checkpoint} at step 4" in capsys.readouterr().out


def test_a_checkpoint_made_without_the_flush_is_refused_naming_it(isolated) -> None:
    """A model trained with subnormal floats kept (older checkpoints lack the field) is neither resumed
    nor evaluated by a profile that flushes them: one line names the file, the setting and what to do."""
    kept = dataclasses.replace(profiles.load("tiny"), flush_denormal=False, steps=4)
    dataset.prepare(kept)
    train.train(kept, "gru", CPU, progress=False)
    path = kept.run_dir / "gru" / "checkpoint.pt"
    payload = torch.load(path, weights_only=True)
    assert payload["identity"]["flush_denormal"] is False
    del payload["identity"]["flush_denormal"]
    torch.save(payload, path)
    flushing = dataclasses.replace(kept, flush_denormal=True)
    with pytest.raises(CheckpointError) as refused:
        train.train(flushing, "gru", CPU, progress=False)
    message = str(refused.value)
    assert message.startswith(
        f"{path}: made with flush_denormal = False, but this run has flush_denormal = True"
    )
    assert f"delete {path.parent} to train this model from scratch" in message and "\n" not in message
    with pytest.raises(CheckpointError, match="model.pt: made with flush_denormal = False"):
        checkpoints.load_trained(flushing, "gru")


def test_resume_after_kill_ends_with_the_same_weights(isolated) -> None:
    """A real process killed with SIGKILL mid-run, then run again to the end."""
    steps = 60
    profile = profiles.load("tiny", steps=steps)  # what `--steps 60` runs: its own run directory
    assert profile.run_dir.name == "tiny-steps60"
    dataset.prepare(profile)
    reference = train.train(profile, "gru", CPU, progress=False)
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
        checkpoints.read_checkpoint(
            tmp_path / "runs" / "tiny" / "gru" / "model.pt",
            training_state.identity(renamed, "gru", dataset.load(tiny)),
        )


def test_corrupt_checkpoint_is_an_error_not_a_restart(tiny, tmp_path, monkeypatch) -> None:
    target = copy_run(tiny, "gru", tmp_path)
    monkeypatch.setattr(profiles, "RUNS_DIR", tmp_path / "runs")
    (target / "checkpoint.pt").write_bytes((target / "checkpoint.pt").read_bytes()[:200])
    with pytest.raises(CheckpointError, match="checkpoint.pt: unreadable checkpoint"):
        train.train(tiny, "gru", CPU, progress=False)
    (target / "model.pt").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="model.pt: unreadable checkpoint"):
        checkpoints.load_trained(tiny, "gru")


def test_batches_cover_the_epoch_and_depend_only_on_the_step() -> None:
    first_epoch = [train.batch_indices(s, 100, 10, seed=3) for s in range(10)]
    flat = sorted(i for batch in first_epoch for i in batch.tolist())
    assert flat == list(range(100))
    assert train.batch_indices(4, 100, 10, seed=3).tolist() == first_epoch[4].tolist()
    assert train.batch_indices(10, 100, 10, seed=3).tolist() != first_epoch[0].tolist()


def test_keep_best_ships_the_best_validation_weights_and_survives_a_resume(isolated) -> None:
    """With keep_best, model.pt holds the weights of the lowest validation loss, which are exactly the
    weights a run stopped at that step has, and an interrupted run ships the same."""
    # A learning rate far too high, so the validation loss does not simply fall to the last step.
    profile = dataclasses.replace(
        profiles.load("tiny"), keep_best=True, learning_rate=0.3, validate_every=2, steps=12
    )
    dataset.prepare(profile)
    final = train.train(profile, "gru", CPU, progress=False)
    selected = torch.load(final, weights_only=True)["selected"]
    scored = {
        int(r["step"]): float(r["valid_loss"]) for r in losses(final.parent / "losses.csv") if r["valid_loss"]
    }
    best_step = min(scored, key=lambda s: (scored[s], s))
    assert selected["step"] == best_step and selected["valid_loss"] == pytest.approx(
        scored[best_step], abs=1e-5
    )
    assert selected["last_step"] == 12 and selected["last_valid_loss"] == pytest.approx(scored[12], abs=1e-5)
    assert best_step != 12, scored  # otherwise this test shows nothing: pick another learning rate
    kept = final.parent.rename(final.parent.with_name("gru-kept"))

    shorter = dataclasses.replace(profile, steps=best_step)
    train.train(shorter, "gru", CPU, progress=False)
    assert_same_weights(shorter.run_dir / "gru" / "model.pt", kept / "model.pt")
    (shorter.run_dir / "gru").rename(shorter.run_dir / "gru-shorter")

    interrupted_at(profile, "gru", 10)
    train.train(profile, "gru", CPU, progress=False)
    assert_same_weights(profile.run_dir / "gru" / "model.pt", kept / "model.pt")
    assert torch.load(profile.run_dir / "gru" / "model.pt", weights_only=True)["selected"] == selected


def test_a_long_cpu_run_states_its_estimate_and_needs_yes(isolated, monkeypatch, capsys) -> None:
    profile = profiles.load("tiny")
    dataset.prepare(profile)
    monkeypatch.setattr(train, "ESTIMATE_FROM_STEPS", 1)
    monkeypatch.setattr(train, "CPU_HOURS_WITHOUT_ASKING", 1e-9)
    with pytest.raises(train.TooSlowError, match=r"would take about .* pass --yes"):
        train.train(profile, "gru", CPU, progress=False)
    assert "on this CPU (12 steps at" in capsys.readouterr().out
    assert not (profile.run_dir / "gru" / "model.pt").exists()
    assert train.train(profile, "gru", CPU, progress=False, yes=True).exists()


def test_describe_duration() -> None:
    assert train.describe_duration(2.9 * 86400) == "2.9 days"
    assert train.describe_duration(5 * 3600) == "5.0 hours"
    assert train.describe_duration(600) == "10 minutes"


# A unit whose outputs turn NaN from training pass NAN_FROM on, as an overflowing cell's would.
NAN_CELL = """
import torch
from torch import nn

from build.units import RecurrentUnit

NAN_FROM = {nan_from}


class Unit(RecurrentUnit):
    def __init__(self, input_size: int, hidden_size: int, layers: int = 1) -> None:
        super().__init__(input_size, hidden_size, layers)
        self.cell = nn.Linear(input_size + hidden_size, hidden_size)
        self.passes = 0  # training passes over a batch so far

    def forward(self, x, state=None):
        self.passes += self.training
        return super().forward(x, state)

    def step(self, x, state):
        h = torch.tanh(self.cell(torch.cat([x, state], dim=-1)))
        if self.passes >= NAN_FROM:
            h = h * float("nan")
        return h, h
"""


def with_models(*models: ModelConfig) -> profiles.Profile:
    """The tiny profile with the tiny GRU and `models` (the run directory stays runs/tiny)."""
    tiny = profiles.load("tiny")
    return dataclasses.replace(tiny, models=(tiny.model("gru"), *models))


def run_files_of(directory: Path) -> dict[str, bytes]:
    """Every file of a model's folder by its path there (kept weights included)."""
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    return {str(path.relative_to(directory)): path.read_bytes() for path in files}


@pytest.mark.parametrize(("nan_from", "kept"), [(1, None), (6, 4)])
def test_a_loss_gone_nan_stops_training_naming_the_unit_file(
    nan_from: int, kept: int | None, tiny_run: Path, isolated, unit_files
) -> None:
    """The run stops at the step whose loss is NaN, saves none of those weights (a checkpoint from before
    stays), and the other model of the run (a copy of the session's tiny GRU) is untouched."""
    path = unit_files("nancell", NAN_CELL.format(nan_from=nan_from))
    profile = with_models(ModelConfig("nan", "NaN cell", "nancell", 16, 1))
    dataset.prepare(profile)
    shutil.copytree(tiny_run / "gru", profile.run_dir / "gru")
    gru_before = run_files_of(profile.run_dir / "gru")
    with pytest.raises(UnitError) as raised:
        train.train(profile, "nan", CPU, progress=False)
    assert str(raised.value).startswith(f"{path.resolve()}: loss is nan at step {nan_from}; ")
    assert run_files_of(profile.run_dir / "gru") == gru_before
    directory = profile.run_dir / "nan"
    assert not (directory / "model.pt").exists()
    if kept is None:
        assert not (directory / "checkpoint.pt").exists()
        assert str(raised.value).endswith("(no checkpoint was written)")
    else:
        saved = torch.load(directory / "checkpoint.pt", weights_only=True)
        assert saved["step"] == kept
        assert all(torch.isfinite(w).all() for w in saved["weights"].values())
        assert str(raised.value).endswith(f"({directory / 'checkpoint.pt'} keeps step {kept})")
        assert [int(r["step"]) for r in losses(directory / "losses.csv")] == list(range(1, nan_from))


def test_a_broken_unit_stops_training_before_it_writes_anything(isolated, unit_files, monkeypatch) -> None:
    """`make train` on a unit that fails its check: one line naming the file, status 1, no run files."""
    path = unit_files(
        "mycell", "from build.units import RecurrentUnit\n\nclass Cell(RecurrentUnit):\n    pass\n"
    )
    profile = with_models(ModelConfig("mine", "My cell", "mycell", 16, 1))
    monkeypatch.setitem(profiles.PROFILES, "tiny", profile)
    monkeypatch.setattr(sys, "argv", ["train", "--profile", "tiny", "--model", "mine", "--device", "cpu"])
    with pytest.raises(SystemExit) as exited:
        train.main()
    assert exited.value.code == (
        f"error: {path.resolve()} must define `Unit`, a subclass of RecurrentUnit; it defines no `Unit`"
    )
    assert not profiles.RUNS_DIR.exists()
