"""Make knows the stages: `make article` on the tiny profile runs them all, then redoes only what changed."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from build import build_lock, profiles, run_files
from tests.train_helpers import copy_runs_and_cache


def make(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["make", *arguments], cwd=profiles.ROOT, env=env, capture_output=True, text=True)


def isolated_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a build whose runs, caches and site live in tmp_path; no PROFILE or CORPUS in it,
    so the tests give them on the command line, as the README does."""
    env = {
        **os.environ,
        "MEMORIZATION_RUNS": str(tmp_path / "runs"),
        "MEMORIZATION_CACHE": str(tmp_path / "cache"),
        "MEMORIZATION_SITE": str(tmp_path / "site"),
        "CUDA_VISIBLE_DEVICES": "",
    }
    # MAKELEVEL too: under `make test` it would make these builds print "Entering/Leaving directory" lines.
    for name in ("PROFILE", "CORPUS", "MODEL", "MODELS", "STEPS", "UNITS", "LR", "SEED", "SEEDS"):
        env.pop(name, None)
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", build_lock.OWNER_VARIABLE):
        env.pop(name, None)
    return env


def copy_checkout(destination: Path, mtime: float | None = None) -> Path:
    """The checkout's files as git lists them (tracked and new, never ignored ones) under `destination`,
    their times kept, or all set to `mtime`; .venv and node_modules are linked to the checkout's."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=profiles.ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = profiles.ROOT / name
        if source.is_symlink() or not source.is_file():
            continue  # deleted in the work tree, or a link
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        if mtime is not None:
            os.utime(target, (mtime, mtime))
    for linked in (".venv", "node_modules"):
        (destination / linked).symlink_to((profiles.ROOT / linked).resolve())
    return destination


def test_make_article_builds_every_stage_and_then_only_what_changed(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    built = make("article", "PROFILE=tiny", env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    run = tmp_path / "runs" / "tiny"
    results = json.loads((run / "results.json").read_text())
    assert [m["key"] for m in results["models"]] == ["gru", "lstm", "nlstm"]
    assert "no context" in built.stdout and "Nested LSTM" in built.stdout
    for key in ("gru", "lstm", "nlstm"):
        assert (run / key / "autocomplete.onnx").exists() and (run / key / "connectivity.onnx").exists()
    manifest = json.loads((tmp_path / "site" / "data" / "manifest.json").read_text())
    assert [p["id"] for p in manifest["passages"]] == ["navy", "grammar"]  # from article/index.md
    assert 'data-passage="grammar"' in (tmp_path / "site" / "index.html").read_text()

    # The summary line comes last but for one line per model and the no-context baseline.
    lines = built.stdout.splitlines()
    summary = [i for i, line in enumerate(lines) if line.startswith("article: profile tiny -> ")]
    assert summary, built.stdout
    assert [line.split()[0] for line in lines[summary[-1] + 1 :]][:4] == ["GRU", "LSTM", "Nested", "no"]
    assert manifest["run"] == "tiny" and (tmp_path / "site" / ".run").read_text().strip() == str(run)

    assert make("-q", str(run / "results.json"), "PROFILE=tiny", env=env).returncode == 0  # nothing left
    env["PROFILE"] = "tiny"  # the environment form plans the same
    # An edit to the article's Markdown recomputes the page's data and the page, nothing upstream.
    planned = make("-n", "-W", "article/index.md", "article", env=env).stdout
    assert "build.precompute" in planned and "build.render" in planned
    assert (
        "build.train" not in planned and "exporter.export" not in planned and "build.evaluate" not in planned
    )
    assert "build.lookback" not in planned  # the context measurement reads no Markdown
    assert "build.truncated" not in planned  # nor does the context taken away
    # They read the model and the test split: a changed model is measured again.
    planned = make("-n", "-W", str(run / "gru" / "model.pt"), "article", env=env).stdout
    assert re.findall(r"build\.lookback .*--model (\S+)", planned) == ["gru"], planned
    assert re.findall(r"build\.truncated .*--model (\S+)", planned) == ["gru"], planned
    planned = make("-n", "-W", "article/static/style.css", "article", env=env).stdout
    assert "build.render" in planned and "build.precompute" not in planned
    (run / "lstm" / "eval.json").unlink()
    planned = make("-n", "article", env=env).stdout
    assert "build.evaluate --profile tiny --model lstm" in planned
    assert "build.results --profile tiny" in planned
    assert "build.train" not in planned and "--model gru" not in planned and "build.dataset" not in planned
    assert "exporter.export" not in planned  # the model did not change, so neither do its graphs
    assert "build.lookback" not in planned and "build.truncated" not in planned  # nor what they measured

    # A model depends on its own unit file: an edit to one retrains that model only, and one more model
    # on the command line trains only that one, then redoes the results for the new list.
    del env["PROFILE"]
    planned = make("-n", "-W", "build/units/lstm.py", "article", "PROFILE=tiny", env=env).stdout
    assert re.findall(r"build\.train .*--model (\S+)", planned) == ["lstm"], planned
    planned = make("-n", "article", "PROFILE=tiny", "MODELS=gru,lstm,nlstm,rnn", env=env).stdout
    assert re.findall(r"build\.train .*--model (\S+)", planned) == ["rnn"], planned
    assert "build.results --profile tiny --models gru,lstm,nlstm,rnn" in planned


def run_stages(planned: str) -> list[str]:
    """The commands of a plan that build the run and its site (the claims check reads only the site)."""
    return [
        line
        for line in planned.splitlines()
        if (" -m build." in line or " -m exporter." in line) and " -m build.render.claims " not in line
    ]


def test_models_and_study_settings_on_the_command_line_reach_every_stage(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    planned = make("-n", "article", "PROFILE=tiny", "MODELS=gru,rnn", "STEPS=8", "LR=0.01", env=env).stdout
    stages = run_stages(planned)
    assert stages and all("--profile tiny --models gru,rnn --steps 8 --lr 0.01" in line for line in stages)
    assert sorted(set(re.findall(r"--model (\S+)", planned))) == ["gru", "rnn"]
    assert str(tmp_path / "runs" / "tiny-steps8-lr0.01" / "results.json") in planned
    assert "runs/tiny/" not in planned
    for wrong, message in (("STEPS=many", "STEPS='many': must be an integer"), ("MODELS=gru,x", "'x'")):
        result = make("-n", "article", "PROFILE=tiny", wrong, env=env)
        assert result.returncode != 0 and message in result.stderr, result.stderr


def test_a_site_always_holds_the_run_make_names(tiny_built: Path, tmp_path: Path) -> None:
    """Pointing Make at another run (here a copy of the tiny run in another runs folder) redoes precompute
    and render from it, and pointing it back redoes them again: the site never keeps another run's data.
    The first run is a copy of the session's tiny run, which Make finds built but for the site."""
    env = isolated_env(copy_runs_and_cache(tiny_built, tmp_path))
    built = make("article", "PROFILE=tiny", env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    copy = tmp_path / "other-runs"
    shutil.copytree(tmp_path / "runs", copy)  # copytree keeps mtimes: nothing upstream is out of date
    other = {**env, "MEMORIZATION_RUNS": str(copy)}
    planned = make("-n", "article", "PROFILE=tiny", env=other).stdout
    assert "build.precompute" in planned and "build.render" in planned
    assert "build.train" not in planned and "exporter.export" not in planned
    switched = make("article", "PROFILE=tiny", env=other)
    assert switched.returncode == 0, switched.stdout + switched.stderr
    assert (tmp_path / "site" / ".run").read_text().strip() == str(copy / "tiny")
    assert make("-q", str(tmp_path / "site" / "index.html"), "PROFILE=tiny", env=other).returncode == 0
    assert "build.precompute" in make("-n", "article", "PROFILE=tiny", env=env).stdout  # and back again

    # A site whose page and data are another run's while site/.run names this one (two builds that ran at
    # once before builds locked the site left one so) is remade from this run, not refused for ever.
    rebuilt = make("article", "PROFILE=tiny", env=env)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    manifest = tmp_path / "site" / "data" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"run": "tiny"', '"run": "paper-shapes"', 1))
    assert (tmp_path / "site" / ".run").read_text().strip() == str(tmp_path / "runs" / "tiny")
    planned = make("-n", "article", "PROFILE=tiny", env=env).stdout
    assert "build.precompute" in planned and "build.render" in planned and "build.train" not in planned


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["PROFILE=bogus"], "unknown profile 'bogus': choose one of paper, small, paper-shapes, tiny"),
        (["PROFILE=paper", "CORPUS=wiki"], "unknown corpus 'wiki': choose one of text8, brown"),
        (["PROFILE=tiny", "MODEL=gruu"], "unknown model 'gruu' in profile 'tiny': choose one of gru, lstm"),
    ],
)
def test_unknown_names_stop_make_before_anything_runs(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    env = isolated_env(tmp_path)
    for goal in ("article", "retrain", "clean-runs"):
        result = make(goal, *arguments, env=env)
        assert result.returncode != 0 and message in result.stderr, result.stderr
        assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
    assert not (tmp_path / "runs").exists() and not (tmp_path / "site").exists()


@pytest.mark.parametrize("seeds", ["0", "-1", "two", "2.5", "11"])
def test_a_bad_count_of_seeds_stops_make_before_anything_runs(tmp_path: Path, seeds: str) -> None:
    env = isolated_env(tmp_path)
    for where in ("command line", "environment"):
        arguments = ["article", "PROFILE=tiny"] + ([f"SEEDS={seeds}"] if where == "command line" else [])
        result = make(*arguments, env={**env, "SEEDS": seeds} if where == "environment" else env)
        assert result.returncode != 0, where
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and f"SEEDS='{seeds}': must be an integer from 1 to 10" in lines[0], lines
    assert not (tmp_path / "runs").exists() and not (tmp_path / "site").exists()


def test_tiny_builds_with_two_seeds_beside_the_first_seeds_run(
    tiny_built: Path, tiny_results: dict, tmp_path: Path
) -> None:
    """`make article PROFILE=tiny SEEDS=2` in a run of its own, which here starts from a copy of the
    session's one-seed tiny run (its seed-1 models are the same training): only the second seed trains,
    every seed is measured, and results.json keeps the first seed's values where one seed's are."""
    env = isolated_env(copy_runs_and_cache(tiny_built, tmp_path))
    runs = tmp_path / "runs"
    (runs / "tiny").rename(runs / "tiny-seeds2")
    record = run_files.run_record(profiles.load("tiny", seeds="2"))  # what its dataset stage records
    (runs / "tiny-seeds2" / "run.json").write_text(json.dumps(record))
    built = make("article", "PROFILE=tiny", "SEEDS=2", env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    trained = re.findall(r"build\.train .*", built.stdout)
    assert len(trained) == 3 and all("--seeds 2" in line and "--training-seed 2" in line for line in trained)
    results = json.loads((runs / "tiny-seeds2" / "results.json").read_text())
    assert results["training"]["seeds"] == [1, 2]
    for model, alone in zip(results["models"], tiny_results["models"], strict=True):
        assert (runs / "tiny-seeds2" / "seed2" / model["key"] / "context.json").is_file()
        assert [s["seed"] for s in model["seeds"]] == [1, 2]
        assert model["test"] == alone["test"] == model["seeds"][0]["test"]  # the first seed's, as before
        assert model["seeds"][1]["test"]["cross_entropy"] != model["test"]["cross_entropy"]
        spread = model["across_seeds"]["share_before_word_0"]
        assert spread["min"] <= spread["mean"] <= spread["max"] and "low" not in spread  # two: no interval
    page = " ".join((tmp_path / "site" / "index.html").read_text().split())
    assert "Averaged over all 2 training runs" in page and "Each model was trained 2 times" in page
    assert "building" not in make("-n", "article", "PROFILE=tiny", "SEEDS=2", env=env).stdout
    assert "build.train" not in make("-n", "article", "PROFILE=tiny", "SEEDS=2", env=env).stdout


def test_retrain_refuses_an_empty_model_and_removes_nothing(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    keep = tmp_path / "runs" / "tiny" / "gru" / "model.pt"
    keep.parent.mkdir(parents=True)
    keep.write_text("trained")
    for arguments in ([], ["MODEL="], ["MODEL= "]):
        result = make("retrain", "PROFILE=tiny", *arguments, env=env)
        assert result.returncode != 0 and "say which model" in result.stdout
        assert keep.read_text() == "trained"
    planned = make("-n", "retrain", "PROFILE=tiny", "MODEL=gru", env=env).stdout
    assert f'rm -rf -- "{tmp_path}/runs/tiny/gru"' in planned


def test_command_line_profile_and_corpus_reach_every_stage(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    planned = make("-n", "article", "PROFILE=paper", "CORPUS=brown", env=env).stdout
    stages = run_stages(planned)
    assert stages and all("--profile paper --corpus brown" in line for line in stages), planned
    assert str(tmp_path / "runs" / "paper-brown" / "results.json") in planned
    assert "runs/small" not in planned and str(tmp_path / "runs" / "paper ") not in planned


def plain_env(tmp_path: Path) -> dict[str, str]:
    """isolated_env with the default site and cache folders (those `clean` names) and PROFILE=tiny in the
    environment."""
    env = {**isolated_env(tmp_path), "PROFILE": "tiny"}
    for name in ("MEMORIZATION_SITE", "MEMORIZATION_CACHE"):
        env.pop(name)
    return env


def test_help_lists_every_phony_target_once(tmp_path: Path) -> None:
    text = (profiles.ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:((?:.*\\\n)*.*)$", text, re.M)[1].replace("\\\n", " ").split()
    shown = make("help", env=plain_env(tmp_path))
    assert shown.returncode == 0, shown.stderr
    listed = re.findall(r"^make (\S+) ", shown.stdout, re.M)
    assert sorted(listed) == sorted(phony) and len(phony) == len(set(phony)) > 10


def test_clean_keeps_runs_and_cache_and_distclean_removes_them(tmp_path: Path) -> None:
    env = plain_env(tmp_path)
    clean = make("-n", "clean", env=env).stdout
    assert "rm -rf site" in clean and "dist" in clean
    assert not re.search(r"\b(runs|cache|\.venv|node_modules)\b", clean)
    distclean = make("-n", "distclean", env=env).stdout
    assert "rm -rf site" in distclean and re.search(r"rm -rf runs cache \.venv node_modules", distclean)


def test_the_build_installs_without_test_tools_under_the_constraints(tmp_path: Path) -> None:
    env = plain_env(tmp_path)
    build = make("-n", "-W", "pyproject.toml", ".venv/.installed", env=env).stdout
    installs = [line for line in build.splitlines() if "pip install" in line]
    assert len(installs) == 2 and all("--constraint constraints.txt" in line for line in installs)
    assert installs[-1].endswith("--build-constraint constraints.txt -e .") and "[dev]" not in build
    # `make article` reaches the install only through the build's prerequisites, never the dev extra
    assert "[dev]" not in make("-n", "-W", "pyproject.toml", "article", env=env).stdout
    tests = make("-n", "-W", "pyproject.toml", "test", env=env).stdout
    assert "--constraint constraints.txt --build-constraint constraints.txt -e '.[dev]'" in tests


def test_two_builds_at_once_never_share_a_site_or_a_run(tmp_path: Path) -> None:
    """A second build into the site or the run of one that is running stops at once with one line naming
    the first (its pid and command) and the lock; a Make started inside the first shares its locks; and
    the first, killed, leaves no lock behind. The first build waits in its first stage (a python that
    waits for a file) for as long as the test needs."""
    env = isolated_env(tmp_path)
    gate, slow = tmp_path / "go", tmp_path / "slow-python"
    slow.write_text(
        f"#!/bin/sh\nwhile [ ! -e '{gate}' ]; do sleep 0.1; done\nexec '{sys.executable}' \"$@\"\n"
    )
    slow.chmod(0o755)
    command = ["make", "article", "PROFILE=tiny", f"PY={slow}"]
    first = subprocess.Popen(command, cwd=profiles.ROOT, env=env, text=True, start_new_session=True)
    site_lock, run_lock = tmp_path / "site" / ".lock", tmp_path / "runs" / "tiny" / ".lock"
    try:
        deadline = time.monotonic() + 60
        while build_lock.holder_of(run_lock).get("pid") != first.pid:
            assert first.poll() is None and time.monotonic() < deadline, "the first build never locked"
            time.sleep(0.1)
        named = f"error: another build (pid {first.pid}: {' '.join(command)}) is using"
        other_site = {**env, "MEMORIZATION_SITE": str(tmp_path / "other-site")}
        for arguments, environment, lock in (
            (["PROFILE=tiny"], env, site_lock),
            (["PROFILE=paper-shapes"], env, site_lock),  # another run, the same site
            (["PROFILE=tiny"], other_site, run_lock),  # another site, the same run
        ):
            second = make("article", *arguments, env=environment)
            lines = [line for line in second.stderr.splitlines() if line.strip()]
            assert second.returncode != 0 and len(lines) == 1, second.stderr
            assert named in lines[0] and f"(lock {lock})" in lines[0], lines[0]
            assert "build." not in second.stdout  # no stage ran
        assert not (tmp_path / "runs" / "paper-shapes").exists()
        inside = make(
            "article", "PROFILE=tiny", "PY=false", env={**env, build_lock.OWNER_VARIABLE: str(first.pid)}
        )
        # past the lock, into its first recipe (which PY=false then fails)
        assert "another build" not in inside.stderr and "false -m " in inside.stdout, inside.stderr
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    deadline = time.monotonic() + 20
    while not all(map(lock_is_free, (site_lock, run_lock))):
        assert time.monotonic() < deadline, "a killed build left its lock behind"
        time.sleep(0.1)


def lock_is_free(path: Path) -> bool:
    descriptor = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)


def planned_rules(env: dict[str, str], *arguments: str) -> tuple[str, dict[str, list[str]]]:
    """Make's flags and its rules (target -> prerequisites, order-only ones after a "|") for `article`,
    from its printed database (make -p -n: nothing runs)."""
    database = make("-p", "-n", "article", *arguments, env=env).stdout
    flags = re.search(r"^MAKEFLAGS = (.*)$", database, re.M)[1]
    rules = {}
    for target, prerequisites in re.findall(r"^([^#\s:=][^:=]*): ([^=\n]*)$", database, re.M):
        rules.setdefault(target, []).extend(prerequisites.split())
    return flags, rules


@pytest.mark.parametrize("form", ["command line", "environment"])
def test_each_models_later_stages_wait_for_its_own_training_alone(tmp_path: Path, form: str) -> None:
    """With the models trained side by side (one thread each), Make runs as many jobs as models and a
    model's evaluation, context and export depend on its own training alone, so they start when it ends
    while the others still train; nothing waits for every training. With a profile that trains one model
    at a time on every core (paper-shapes), one job."""
    env = isolated_env(tmp_path)
    arguments = ["PROFILE=tiny"] if form == "command line" else []
    if form == "environment":
        env["PROFILE"] = "tiny"
    flags, rules = planned_rules(env, *arguments)
    assert "-j3" in flags.split()
    run = str(tmp_path / "runs" / "tiny")
    keys = ("gru", "lstm", "nlstm")
    for key in keys:
        for stage in ("eval.json", "context.json", "truncated.json", "during.json", "export.json"):
            prerequisites = rules[f"{run}/{key}/{stage}"]
            assert "|" not in prerequisites
            assert [p for p in prerequisites if p.endswith("model.pt")] == [f"{run}/{key}/model.pt"]
    assert not [p for p in rules[f"{run}/baseline.json"] if p.endswith("model.pt") or p == "|"]
    assert not [t for t, prerequisites in rules.items() if t.startswith(run) and "|" in prerequisites]
    flags, _ = planned_rules(isolated_env(tmp_path), "PROFILE=paper-shapes")
    assert not [flag for flag in flags.split() if flag.startswith("-j")]
