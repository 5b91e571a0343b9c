"""`make preview` (build/preview.py): the served page reloads after a save, shows a failed rebuild's error
in a banner while the last good page stays on disk, and Ctrl-C leaves no process behind.

The preview runs in a copy of the checkout (its tracked and untracked files, mtimes set far in the past so
that Make finds the tiny fixture's run up to date), so the test edits the copy's article, never the real one.
"""

from __future__ import annotations

import http.client
import os
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from build import preview
from tests.browser import free_port
from tests.test_make import copy_checkout, isolated_env, make
from tests.train_helpers import copy_runs_and_cache

LONG_AGO = 1_000_000_000  # 2001: older than any run, install marker or site file the test makes


class Output:
    """A process's output lines, read in a thread as they come, and a wait for a condition on them."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition(threading.RLock())
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait(self, found: Callable[[list[str]], bool], timeout: float, what: str) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: found(self.lines), timeout=timeout):
                pytest.fail(f"no {what} after {timeout} s; output:\n" + self.text())

    def count(self, pattern: str) -> int:
        with self._changed:
            return sum(1 for line in self.lines if re.search(pattern, line))

    def text(self) -> str:
        with self._changed:
            return "\n".join(self.lines)


class Events:
    """The messages of the preview's event stream, as an open page receives them."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.connection.request("GET", preview.EVENTS)
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type") == "text/event-stream"
        assert self.response.readline() == b"retry: 1000\n"
        assert self.response.readline() == b": connected\n"  # the server counts this page from here on
        self.messages: queue.Queue = queue.Queue()
        self.ended = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self.response:
                if line.startswith(b"data: "):
                    self.messages.put(line[6:].decode().strip())
        except OSError:
            pass
        self.ended.set()

    def next(self, timeout: float) -> str:
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no event after {timeout} s")

    def close(self) -> None:
        self.connection.close()


def get(port: int, path: str = "/") -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        assert response.status == 200, (path, response.status)
        return response.read().decode()
    finally:
        connection.close()


def running_in(root: Path) -> list[str]:
    """The processes whose working directory is `root` (Make and the stages it runs), as command lines."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and Path(os.readlink(entry / "cwd")) == root:
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue  # ended meanwhile, or another user's
    return found


def rebuilds(output: Output) -> int:
    """How many rebuilds have ended, well or not."""
    return output.count(r"^preview: (rebuild done in|the rebuild failed)")


def test_preview_rebuilds_reloads_and_shows_a_broken_passage(tiny_built: Path, tmp_path: Path) -> None:
    """A copy of the session's tiny run (trained, evaluated, exported) is what the preview's Make reads;
    it builds its own site in tmp_path."""
    root = copy_checkout(tmp_path / "checkout", LONG_AGO)
    env = isolated_env(copy_runs_and_cache(tiny_built, tmp_path))
    site = tmp_path / "site"
    # The fixture's run, trained once a session, is what the preview's Make reads: should its results be
    # older than a file they are gathered from, they are gathered again first (never trained again); then
    # the run is up to date and the preview builds only the site.
    results = str(tmp_path / "runs" / "tiny" / "results.json")
    gathered = subprocess.run(
        ["make", results, "PROFILE=tiny"], cwd=root, env=env, capture_output=True, text=True
    )
    assert gathered.returncode == 0, gathered.stdout + gathered.stderr
    assert "build.train" not in gathered.stdout, gathered.stdout
    assert subprocess.run(["make", "-q", results, "PROFILE=tiny"], cwd=root, env=env).returncode == 0
    markdown = root / "article" / "index.md"
    port = free_port()
    process = subprocess.Popen(
        ["make", "preview", "PROFILE=tiny", f"PORT={port}"],
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, which gets the Ctrl-C below
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as a terminal would start it
    )
    events = None
    try:
        output = Output(process.stdout)
        output.wait(lambda lines: any(f"127.0.0.1:{port}/ serves" in line for line in lines), 180, "server")
        assert "build.precompute --profile tiny" in output.text()  # `article` first: the site was absent
        assert f"build.preview --profile tiny --port {port} --site '{site}'" in output.text()
        events = Events(port)
        served = get(port)
        assert '<script id="memo-preview">' in served and f'new EventSource("{preview.EVENTS}")' in served
        assert "memo-preview" not in (site / "index.html").read_text()  # only in what is served

        # An edit: the page is rebuilt through Make and the open page told to reload.
        markdown.write_text(markdown.read_text().replace("## Introduction\n", "## Introduction, edited\n"))
        assert events.next(timeout=90) == "reload"
        output.wait(lambda lines: rebuilds(output) >= 1, 10, "rebuild")
        assert rebuilds(output) == output.count("^preview: rebuild done in") == 1, output.text()
        good = (site / "index.html").read_text()
        assert "Introduction, edited" in good

        # A broken passage: the terminal names file:line, the served page shows it escaped, the file on
        # disk stays the last good page.
        text = markdown.read_text()
        body = "context the formal study of grammar"
        line = text[: text.index(body)].count("\n") + 1
        markdown.write_text(text.replace(body, "context the <b>formal</b> study of grammar"))
        assert events.next(timeout=90) == "reload"
        output.wait(lambda lines: rebuilds(output) >= 2, 10, "rebuild")
        assert rebuilds(output) == 2, output.text()
        where = f"article/index.md:{line}: character '<' (column 13)"
        assert output.count(f"^preview:   {re.escape(where)}") == 1, output.text()
        served = get(port)
        assert served.count('id="memo-preview-error"') == 1
        shown = re.search(r'<div id="memo-preview-error".*?</div>', served, re.S)[0]
        assert "article/index.md:" + f"{line}: character &#x27;&lt;&#x27; (column 13)" in shown
        assert "<b>" not in shown
        assert (site / "index.html").read_text() == good

        # The fix, then two saves while it rebuilds: one more rebuild, with the last save in it.
        markdown.write_text(text.replace("## Introduction, edited\n", "## Introduction, fixed\n"))
        output.wait(lambda lines: output.count("changed: rebuilding$") >= 3, 30, "rebuild")
        for word in ("again", "at last"):
            markdown.write_text(text.replace("## Introduction, edited\n", f"## Introduction, {word}\n"))
            time.sleep(0.3)
        assert events.next(timeout=90) == "reload" and events.next(timeout=90) == "reload"
        output.wait(lambda lines: rebuilds(output) >= 4, 10, "rebuild")
        time.sleep(3)
        assert rebuilds(output) == 4 and events.messages.empty(), output.text()
        served = get(port)
        assert "memo-preview-error" not in served and "Introduction, at last" in served
        assert "Introduction, at last" in (site / "index.html").read_text()

        # Ctrl-C during a rebuild: Make, the preview, the rebuild and the open page's stream all end.
        stages = output.count(r"-m build\.precompute")
        markdown.write_text(text.replace("## Introduction, edited\n", "## Introduction, stopped\n"))
        output.wait(lambda lines: output.count(r"-m build\.precompute") > stages, 30, "rebuild")
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=30)
        assert events.ended.wait(timeout=10)
        output.wait(lambda lines: "preview: stopping" in lines, 10, "stop")
        with pytest.raises(ProcessLookupError):
            os.killpg(process.pid, 0)  # nothing left in the process group
        deadline = time.monotonic() + 10  # nor in the rebuild's own, which the preview ended
        while running_in(root) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert running_in(root) == []
    finally:
        if events is not None:
            events.close()
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_make_preview_passes_the_variables_as_arguments(tmp_path: Path) -> None:
    planned = make("-n", "preview", "PROFILE=paper", "CORPUS=brown", "PORT=8123", env=isolated_env(tmp_path))
    line = next(line for line in planned.stdout.splitlines() if "-m build.preview" in line)
    assert line.endswith(
        f"-m build.preview --profile paper --corpus brown --port 8123 --site '{tmp_path}/site'"
    )


def test_the_rebuilds_name_the_run_of_the_preview(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PROFILE", "CORPUS", "MODELS", "STEPS", "UNITS", "LR", "SEED", "SEEDS"):
        monkeypatch.delenv(name, raising=False)
    planned = make("-n", "preview", "PROFILE=tiny", "MODELS=gru,rnn", "STEPS=8", env=isolated_env(tmp_path))
    line = next(line for line in planned.stdout.splitlines() if "-m build.preview" in line)
    words = line.split("-m build.preview ", 1)[1].replace("'", "").split()
    assert words[:6] == ["--profile", "tiny", "--models", "gru,rnn", "--steps", "8"]
    options = preview.arguments(words)
    assert preview.rebuild_variables(options) == [
        "PROFILE=tiny",
        "CORPUS=",
        "MODELS=gru,rnn",
        "STEPS=8",
        "UNITS=",
        "LR=",
        "SEED=",
        "SEEDS=",
    ]


def test_the_served_page_gets_the_script_and_an_escaped_bounded_banner() -> None:
    page = "<!doctype html>\n<html><head></head>\n<body class='x'>\n<p>article</p>\n</body>\n</html>\n"
    assert preview.inject(page, None) == page.replace("</body>", preview.CLIENT_SCRIPT + "</body>")
    error = "article/index.md:7: character '<' (column 3)\n" + "x" * 5000
    shown = preview.inject(page, error)
    assert (
        shown.index("<body class='x'>") < shown.index('id="memo-preview-error"') < shown.index("<p>article")
    )
    assert "character &#x27;&lt;&#x27; (column 3)" in shown and "'<'" not in shown
    assert "x" * preview.MAX_ERROR not in shown and "more characters in the terminal" in shown
    assert len(shown) < len(page) + preview.MAX_ERROR + 2000


def test_the_error_is_what_the_stages_print() -> None:
    output = [
        ".venv/bin/python -m build.precompute --profile tiny\n",
        "error: article/index.md:189: character '4' (column 13) is not in the models' alphabet\n",
        "make: *** [Makefile:140: site/data/manifest.json] Error 1\n",
    ]
    assert (
        preview.error_text(output)
        == "article/index.md:189: character '4' (column 13) is not in the models' alphabet"
    )
    crash = [
        "Traceback (most recent call last):\n",
        '  File "x.py", line 1\n',
        "KeyError: 'gru'\n",
        "make: *** Error 1\n",
    ]
    assert preview.error_text(crash).splitlines()[-2:] == ["KeyError: 'gru'", "make: *** Error 1"]
