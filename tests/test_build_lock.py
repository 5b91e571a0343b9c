"""build/build_lock.py: a build's locks hold until its process ends, however it ends; a second build is
refused at once with one line naming the first; builds started inside the first share its locks."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from build import build_lock, profiles


def take(paths: list[Path], owner: int, inherited: str = "") -> subprocess.CompletedProcess:
    """`python -m build.build_lock take` as Make runs it."""
    env = {**os.environ, build_lock.OWNER_VARIABLE: inherited}
    return subprocess.run(
        [sys.executable, "-m", "build.build_lock", "take", "--owner", str(owner), *map(str, paths)],
        cwd=profiles.ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def free(path: Path) -> bool:
    """Whether nobody holds the lock on `path` now."""
    descriptor = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)
    return True


def becomes_free(path: Path, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if free(path):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def builds() -> list[subprocess.Popen]:
    """Stand-ins for running builds (sleeping processes), stopped after the test."""
    started: list[subprocess.Popen] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


def a_build(builds: list[subprocess.Popen]) -> subprocess.Popen:
    process = subprocess.Popen(["sleep", "300"])
    builds.append(process)
    return process


def test_a_lock_holds_while_its_build_runs_and_is_free_once_it_is_killed(tmp_path: Path, builds) -> None:
    site, run = tmp_path / "site" / ".lock", tmp_path / "runs" / "tiny" / ".lock"
    first = a_build(builds)
    taken = take([site, run], first.pid)
    assert taken.returncode == 0 and taken.stdout.strip() == str(first.pid), taken.stdout + taken.stderr
    assert not free(site) and not free(run)
    assert json.loads(site.read_text()) == {"pid": first.pid, "command": "sleep 300"}

    second = a_build(builds)
    for paths, busy in (([site, run], site), ([tmp_path / "other-site" / ".lock", run], run)):
        refused = take(paths, second.pid)
        assert refused.returncode == 1 and refused.stderr == ""
        assert refused.stdout == (
            f"error: another build (pid {first.pid}: sleep 300) is using {busy.parent} (lock {busy}); wait "
            "for it to end, or stop it, then run this again\n"
        )
    assert free(tmp_path / "other-site" / ".lock")  # refused: the lock it did get is let go

    first.kill()
    first.wait()
    assert becomes_free(site) and becomes_free(run)  # no stale lock: the holder saw its build end
    assert take([site, run], second.pid).returncode == 0


def test_builds_inside_a_build_share_its_locks(tmp_path: Path, builds) -> None:
    site, run, other_run = (tmp_path / name / ".lock" for name in ("site", "run", "other-run"))
    outer = a_build(builds)
    assert take([site, run], outer.pid).stdout.strip() == str(outer.pid)
    inner = a_build(builds)
    shared = take([site, run], inner.pid, inherited=str(outer.pid))
    assert shared.returncode == 0 and shared.stdout.strip() == str(outer.pid)
    # inside it, a build of another run shares the site and takes the new run for itself
    nested = take([site, other_run], inner.pid, inherited=str(outer.pid))
    assert nested.stdout.strip() == f"{outer.pid},{inner.pid}" and not free(other_run)
    assert take([site, other_run], a_build(builds).pid, inherited=nested.stdout.strip()).returncode == 0
    # a stray MEMORIZATION_BUILD_OWNER of another build lets nobody in
    assert take([site, run], inner.pid, inherited="1").returncode == 1


def test_wait_for_end_returns_when_the_process_ends() -> None:
    sleeper = subprocess.Popen(["sleep", "0.5"])
    started = time.monotonic()
    build_lock.wait_for_end(sleeper.pid)
    assert time.monotonic() - started >= 0.3
    sleeper.wait()
    build_lock.wait_for_end(sleeper.pid)  # ended: returns at once
