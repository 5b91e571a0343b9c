"""One build at a time per site and per run folder: Make takes <site>/.lock and <run>/.lock for as long as
it runs.

Two builds writing one site (a tiny build beside a paper-shapes one, say, in two terminals) would leave
its pages, its data and site/.run from different runs. So Make, while it reads the Makefile, asks

    python3 -m build.build_lock take --owner <make's pid> <site>/.lock <run>/.lock

which takes an exclusive flock(2) on each file, writes who holds it (pid and command line) into it, and
leaves a small process behind that keeps the locks until that Make ends, however it ends: the kernel
drops a flock with the last descriptor of it, so a killed build leaves no stale lock behind. A second
build into the same site or run is refused at once, with one line naming the build that holds it and the
lock's path. Make hands its pid (after those of the builds it runs inside) to the Makes it starts itself
(make retrain, make preview's rebuilds) in MEMORIZATION_BUILD_OWNER: a lock held for one of those pids is
theirs already.

Standard library only: Make runs it before .venv exists.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import select
import subprocess
import time
from pathlib import Path

OWNER_VARIABLE = "MEMORIZATION_BUILD_OWNER"
POLL_SECONDS = 0.5  # how often the holder looks for its build's end where pidfd_open is missing


class Busy(RuntimeError):
    """Another build holds a lock; the message, one line, names it and the lock's path."""


def command_line(pid: int) -> str:
    """The command line of process `pid` as one string ("" when it cannot be read)."""
    with contextlib.suppress(OSError):
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        if raw:
            return " ".join(part.decode(errors="replace") for part in raw.rstrip(b"\0").split(b"\0"))
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        found = subprocess.run(["ps", "-o", "args=", "-p", str(pid)], capture_output=True, text=True)
        return found.stdout.strip()
    return ""


def holder_of(path: Path) -> dict:
    """Who a lock file says holds it: {"pid", "command"} (empty when unreadable)."""
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _lock(path: Path) -> int | None:
    """A descriptor of `path` holding an exclusive flock, or None when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor


def _refusal(path: Path) -> Busy:
    holder = holder_of(path)
    who = f"pid {holder['pid']}" if holder.get("pid") else "a process"
    command = f": {holder['command']}" if holder.get("command") else ""
    return Busy(
        f"another build ({who}{command}) is using {path.parent} (lock {path}); wait for it to end, or "
        "stop it, then run this again"
    )


def take(paths: list[Path], owner: int, inherited: set[str] = frozenset()) -> list[int]:
    """Exclusive locks on `paths` for build `owner`, in the order given; their descriptors (none for a
    lock that one of `inherited`, the builds this one runs inside, already holds). Busy, with no lock
    kept, when another build holds one."""
    taken: list[int] = []
    record = json.dumps({"pid": owner, "command": command_line(owner)}) + "\n"
    try:
        for path in paths:
            descriptor = _lock(path)
            if descriptor is None:
                if str(holder_of(path).get("pid")) in inherited:
                    continue  # a build that this one runs inside holds it
                raise _refusal(path)
            taken.append(descriptor)
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, record.encode(), 0)
    except BaseException:
        for descriptor in taken:
            os.close(descriptor)
        raise
    return taken


def wait_for_end(pid: int) -> None:
    """Return once process `pid` has ended (at once if it has)."""
    try:
        watch = os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd (not Linux 5.3+), or it has ended already
        while alive(pid):
            time.sleep(POLL_SECONDS)
        return
    try:
        select.select([watch], [], [])
    finally:
        os.close(watch)


def hold_until_end(descriptors: list[int], owner: int) -> None:
    """Keep `descriptors` (their locks) in a detached child process until process `owner` ends; this
    process goes on at once. The child's output goes nowhere, so Make's $(shell) does not wait for it."""
    if not descriptors:
        return
    if os.fork():
        for descriptor in descriptors:
            os.close(descriptor)
        return
    try:  # the child: its own session, away from the terminal's Ctrl-C, which is the build's to get
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1, 2):
            os.dup2(null, stream)
        wait_for_end(owner)
    finally:
        os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="action", required=True)
    taking = sub.add_parser("take", help="lock PATHs for the build OWNER until it ends; prints the owner")
    taking.add_argument("--owner", type=int, required=True, help="the build's pid (Make's: $$PPID)")
    taking.add_argument("paths", nargs="+", type=Path)
    args = parser.parse_args()
    inherited = [pid for pid in os.environ.get(OWNER_VARIABLE, "").split(",") if pid]
    try:
        descriptors = take(args.paths, args.owner, set(inherited))
    except Busy as error:
        print(f"error: {error}")
        raise SystemExit(1) from None
    hold_until_end(descriptors, args.owner)
    # What Make hands on in MEMORIZATION_BUILD_OWNER: the builds whose locks its own Makes may share.
    print(",".join([*inherited, *([str(args.owner)] if descriptors else [])]))


if __name__ == "__main__":
    main()
