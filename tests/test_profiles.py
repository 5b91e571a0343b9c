"""Profiles and Make's plan of a run (build/make_plan.py), with their one-line refusals."""

from __future__ import annotations

import subprocess
import sys

import pytest

from build import make_plan, profiles, unit_files


def test_plan_names_the_run_directory_and_models(isolated) -> None:
    assert make_plan.plan("tiny") == f"{isolated / 'runs' / 'tiny'} gru lstm nlstm"
    assert make_plan.plan("paper", "brown").split()[0] == str(isolated / "runs" / "paper-brown")
    assert make_plan.plan("paper", "text8").split()[0] == str(isolated / "runs" / "paper")
    assert make_plan.plan("small", "", "lstm").split()[1:] == ["gru", "lstm", "nlstm"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--profile", "papr"],
            "error: unknown profile 'papr': choose one of paper, small, paper-shapes, tiny",
        ),
        (["--profile", "paper", "--corpus", "enwik8"], "error: unknown corpus 'enwik8': choose one of text8"),
        (["--profile", "tiny", "--model", "rnn"], "error: unknown model 'rnn' in profile 'tiny'"),
        (["--profile", ""], "error: unknown profile ''"),
    ],
)
def test_unknown_names_answer_one_line_and_status_2(arguments: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "build.make_plan", "plan", *arguments],
        cwd=profiles.ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and result.stdout.startswith(message), result.stdout + result.stderr
    assert len(result.stdout.strip().splitlines()) == 1 and not result.stderr


def test_models_are_unit_files_sized_by_the_profile() -> None:
    tiny = profiles.load("tiny", models="nlstm,rnn")
    assert [(m.key, m.name, m.unit, m.units, m.layers, m.options) for m in tiny.models] == [
        ("nlstm", "Nested LSTM", "nlstm", 16, 1, {"depth": 2}),
        ("rnn", "RNN", "rnn", 16, 2, {}),
    ]
    assert tiny.run_name == "tiny"  # models of a run share its directory, each in its own folder
    assert profiles.load("tiny", models="") == profiles.load("tiny")
    assert [m.key for m in profiles.load("paper", models=" gru , lstm ").models] == ["gru", "lstm"]
    assert profiles.load("small").models == profiles.model_configs(profiles.ARTICLE_MODELS, 128)


def test_a_unit_file_gives_name_layers_and_options_or_they_are_derived(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(unit_files, "UNITS_DIR", tmp_path)
    (tmp_path / "mgu.py").write_text("class Unit: pass\n")
    (tmp_path / "my_cell.py").write_text('NAME = "My cell"\nLAYERS = 3\nOPTIONS = {"gain": 0.5}\n')
    (tmp_path / "deep_gated.py").write_text("LAYERS = 1\n")
    configs = profiles.model_configs(["mgu", "my_cell", "deep_gated"], 32)
    assert [(m.name, m.layers, m.options) for m in configs] == [
        ("MGU", 2, {}),
        ("My cell", 3, {"gain": 0.5}),
        ("Deep Gated", 1, {}),
    ]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"models": "gru,nosuch"}, "unknown model 'nosuch': no unit file build/units/nosuch.py (units: gru"),
        ({"models": "gru,gru"}, "a model is listed twice"),
        ({"models": "gru,lstm,nlstm,rnn,gru2,gru3,gru4"}, "list 1 to 6 models"),
        ({"models": "GRU"}, "'GRU' is not a unit file's name"),
        ({"models": "../gru"}, "is not a unit file's name"),
        ({"steps": "x"}, "STEPS='x': must be an integer at least 1"),
        ({"steps": "0"}, "STEPS='0': must be an integer at least 1"),
        ({"units": "1.5"}, "UNITS='1.5': must be an integer"),
        ({"lr": "-1"}, "LR='-1': must be a number above 0"),
        ({"lr": "nan"}, "LR='nan': must be a number above 0"),
        ({"seed": "-3"}, "SEED='-3': must be an integer at least 0"),
        ({"seeds": "0"}, "SEEDS='0': must be an integer from 1 to 10"),
        ({"seeds": "-2"}, "SEEDS='-2': must be an integer from 1 to 10"),
        ({"seeds": "three"}, "SEEDS='three': must be an integer from 1 to 10"),
        ({"seeds": "1.5"}, "SEEDS='1.5': must be an integer from 1 to 10"),
        ({"seeds": "11"}, "SEEDS='11': must be an integer from 1 to 10"),
    ],
)
def test_wrong_models_or_settings_stop_with_one_line(settings: dict, message: str) -> None:
    with pytest.raises(SystemExit) as stopped:
        profiles.load("tiny", **settings)
    assert message in str(stopped.value)


def test_a_quick_study_gets_its_own_run_directory_named_after_what_differs() -> None:
    tiny = profiles.load("tiny")
    study = profiles.load("tiny", steps="8", units="32", lr="0.01", seed="7")
    assert study.run_name == "tiny-steps8-units32-lr0.01-seed7"
    assert (study.steps, study.learning_rate, study.train_seed) == (8, 0.01, 7)
    assert {m.units for m in study.models} == {32} and study.embedding == tiny.embedding
    assert study.seed == tiny.seed  # the dataset's shuffle and split stay the profile's
    assert profiles.load("tiny", steps=tiny.steps, lr=str(tiny.learning_rate)) == tiny  # nothing differs
    assert profiles.load("paper", "brown", steps=5).run_name == "paper-brown-steps5"


def test_seeds_train_every_model_with_consecutive_training_seeds_in_a_run_of_their_own() -> None:
    tiny = profiles.load("tiny")
    assert (tiny.seeds, tiny.training_seeds, tiny.seed_dir) == (1, (1,), "")
    assert profiles.load("tiny", seeds="1") == tiny  # the profile's own count: the same run
    seeded = profiles.load("tiny", seeds="3")
    assert seeded.run_name == "tiny-seeds3" and seeded.training_seeds == (1, 2, 3)
    assert profiles.load("tiny", seed="5", seeds="2").training_seeds == (5, 6)
    assert make_plan.make_variables(seeded) == ["SEEDS=3"]
    third = profiles.for_seed(seeded, 3)
    assert (third.model_seed, third.seed_dir, third.run_dir) == (3, "seed3", seeded.run_dir)
    first = profiles.for_seed(seeded, "1")
    assert (first.model_seed, first.seed_dir) == (1, "")  # the first seed keeps a one-seed run's layout
    assert make_plan.seed_dirs(seeded) == ["seed2", "seed3"] and make_plan.seed_dirs(tiny) == []
    for wrong, message in (("4", "seeds 1 to 3"), ("x", "'x'"), ("0", "seeds 1 to 3")):
        with pytest.raises(SystemExit, match=message):
            profiles.for_seed(seeded, wrong)
    with pytest.raises(SystemExit, match="--training-seed '2': this run trains with seed 1 only"):
        profiles.for_seed(tiny, "2")


def test_make_asks_for_the_stage_options_and_the_plan() -> None:
    def ask(*arguments: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "build.make_plan", *arguments],
            cwd=profiles.ROOT,
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin"},
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout.strip()

    assert ask("stage", "--profile", "tiny", "--corpus", "", "--models", "gru, rnn", "--steps", "") == (
        "--profile tiny --models gru,rnn"
    )
    assert ask("models", "--profile", "tiny", "--models", "rnn,gru") == "rnn gru"
    assert ask("run-dir", "--profile", "tiny", "--lr", "0.5").endswith("runs/tiny-lr0.5")
    assert ask("seed-dirs", "--profile", "tiny", "--seeds", "3") == "seed2 seed3"
    assert ask("seed-dirs", "--profile", "tiny") == ""
    assert ask("stage", "--profile", "tiny", "--seeds", "2") == "--profile tiny --seeds 2"


def test_paper_keeps_the_originals_recipe_exactly() -> None:
    """The paper profile trains as the original did (spec sections 1-2): Adam's default 1e-3, constant,
    unclipped, 14,278 mini-batches of 64, TensorFlow's initial weights, 600 units, 2^14 words."""
    paper = profiles.load("paper")
    assert (paper.batch_size, paper.steps, paper.learning_rate) == (64, 14_278, 1e-3)
    assert (paper.lr_schedule, paper.warmup_steps, paper.clip_norm) == ("constant", 0, None)
    assert paper.init == "original" and paper.corpus == "text8" and paper.vocab_bits == 14
    assert paper.embedding == 600 and {(m.key, m.units, m.layers) for m in paper.models} == {
        ("gru", 600, 2),
        ("lstm", 600, 2),
        ("nlstm", 600, 1),
    }
    assert paper.train_threads is None  # one model at a time, on every core or the GPU
    assert make_plan.train_jobs(paper) == 1 and make_plan.train_jobs(profiles.load("small")) == 3


def test_a_schedule_is_recorded_as_settings_of_the_profile() -> None:
    small = profiles.load("small")
    assert small.lr_schedule in {"constant", "cosine"}
    assert 0 <= small.warmup_steps < small.steps and 0 <= small.min_learning_rate <= small.learning_rate
