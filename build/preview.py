"""`python -m build.preview` (`make preview`): the site on http://127.0.0.1:PORT/, rebuilt on every save.

It serves the site folder with the standard library's http.server and watches article/ (the Markdown,
references.bib, templates/, static/, reference/) with watchfiles. A change runs `make <site>/index.html`
with the same profile and corpus (the other variables travel in the environment), so Make redoes only
what depends on the edit (precompute and render), then every open page reloads: the index.html it serves
carries a small script listening on /__preview/events (server-sent events) for "reload". The file on
disk is never changed by the preview.

When a rebuild fails, the terminal shows the error (`file:line: message`, as the stages print it) and the
served page gets a banner with it at the top; site/index.html on disk stays the last good page, and the
next good rebuild takes the banner away. Saves made while a rebuild runs give one more rebuild after it.
Ctrl-C stops the server, the watcher and any rebuild under way.
"""

from __future__ import annotations

import argparse
import html
import os
import queue
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path

import watchfiles

from build import profiles
from build.run_files import ARTICLE_DIR
from build.serve import IsolatedHandler

EVENTS = "/__preview/events"
MAX_ERROR = 3000  # characters of error text shown in the page; the terminal has all of it
KEEP_OUTPUT = 1 << 20  # bytes of a build's output kept to find its error in
POLL_S = 0.5  # how often an event stream checks that its page is still there
KEEP_ALIVE_S = 15.0  # a comment on every idle event stream this often keeps proxies from closing it
# Variables of the `make preview` that started this process, which would make the rebuilds look like
# recursive Makes (directory messages, a jobserver they cannot reach); the variables given on Make's
# command line are in the environment too, so nothing is lost without them.
MAKE_STATE = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")

CLIENT_SCRIPT = (
    '<script id="memo-preview">(function () {\n'
    f'  var events = new EventSource("{EVENTS}");\n'
    "  events.onmessage = function (event) {\n"
    '    if (event.data === "reload") { events.close(); location.reload(); }\n'
    "  };\n"
    "})();</script>\n"
)
BANNER_STYLE = (
    "position:fixed;top:0;left:0;right:0;z-index:2147483647;max-height:45vh;overflow:auto;margin:0;"
    "padding:.75em 1em;background:#fff1f0;color:#5c0011;border-bottom:3px solid #cf1322;"
    "font:14px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;box-shadow:0 2px 8px rgba(0,0,0,.2)"
)
EMPTY_PAGE = (
    '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Preview</title></head>\n'
    "<body>\n</body>\n</html>\n"
)


def bounded(text: str, limit: int = MAX_ERROR) -> str:
    """`text`, cut to at most `limit` characters with a note of what was left out."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… ({len(text) - limit} more characters in the terminal)"


def banner(error: str, kept: bool = True) -> str:
    """The fixed banner at the top of the page that shows a failed build's error, HTML-escaped; `kept`:
    the page under it is the last good one."""
    title = "The rebuild failed; this is the last good page." if kept else "The build failed."
    return (
        f'<div id="memo-preview-error" role="alert" style="{BANNER_STYLE}">'
        f"<strong>{title}</strong>"
        f'<div style="margin-top:.5em;white-space:pre-wrap">{html.escape(bounded(error))}</div>'
        "</div>\n"
    )


def inject(page: str, error: str | None, kept: bool = True) -> str:
    """The page as served: the reload script before </body>, and the error banner after <body> when the
    last build failed (`kept`: the page is the last good one)."""
    if error is not None:
        opening = re.search(r"<body\b[^>]*>", page, re.I)
        at = opening.end() if opening else 0
        page = page[:at] + "\n" + banner(error, kept) + page[at:]
    closing = page.lower().rfind("</body>")
    at = closing if closing >= 0 else len(page)
    return page[:at] + CLIENT_SCRIPT + page[at:]


def error_text(output: Iterable[str]) -> str:
    """The error of a failed build from its output: the lines the stages print as `error: ...` (they
    start with `file:line:` where there is one), else the last lines (a traceback's end, Make's own)."""
    lines = [line.rstrip() for line in output]
    errors = [line.removeprefix("error: ") for line in lines if line.startswith("error: ")]
    if errors:
        return "\n".join(errors)
    tail = [line for line in lines if line.strip()][-20:]
    return "\n".join(tail) or "the build failed and printed nothing"


class Clients:
    """The event streams of the open pages: each gets every message sent (None ends the stream)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: set[queue.Queue] = set()

    def connect(self) -> queue.Queue:
        stream: queue.Queue = queue.Queue()
        with self._lock:
            self._queues.add(stream)
        return stream

    def disconnect(self, stream: queue.Queue) -> None:
        with self._lock:
            self._queues.discard(stream)

    def send(self, message: str | None) -> int:
        """Sends `message` to every open page; returns how many there are."""
        with self._lock:
            for stream in self._queues:
                stream.put(message)
            return len(self._queues)


class Builder:
    """Runs the rebuilds, one at a time, in a thread; requests made while one runs give one more."""

    def __init__(self, command: list[str], env: dict[str, str], clients: Clients) -> None:
        self.command = command
        self.env = env
        self.clients = clients
        self.error: str | None = None  # the last build's error, None after a good one
        self._wanted = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._changed: set[str] = set()  # changed since the last rebuild started
        self._thread = threading.Thread(target=self._loop, name="preview-rebuild", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request(self, changed: Iterable[str]) -> bool:
        """Asks for a rebuild after changes to these files (paths as Make names them, from the repository
        root); returns whether one is under way, in which case one more follows it."""
        with self._lock:
            self._changed.update(changed)
            busy = self._process is not None
        self._wanted.set()
        return busy

    def run(self, command: list[str], first: bool = False) -> bool:
        """Runs a Make command (`first`: the build of a missing site, otherwise a rebuild), its output
        passed on to the terminal as it comes (progress bars too); records its error if it fails."""
        started = time.monotonic()
        with self._lock:
            if self._stopping.is_set():
                return False
            process = subprocess.Popen(
                command,
                cwd=profiles.ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, which `stop` ends with its stage
            )
            self._process = process
        assert process.stdout is not None
        kept = bytearray()
        while chunk := process.stdout.read1(1 << 16):
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
            kept += chunk
            del kept[: max(0, len(kept) - KEEP_OUTPUT)]
        code = process.wait()
        with self._lock:
            self._process = None
        if self._stopping.is_set():
            return False
        seconds = time.monotonic() - started
        what = "build" if first else "rebuild"
        if code == 0:
            self.error = None
            say(f"{what} done in {seconds:.1f} s")
            return True
        self.error = error_text(kept.decode(errors="replace").splitlines())
        kept_page = (profiles.ROOT / self.target).exists()
        note = f" ({self.target} stays the last good page)" if kept_page else ""
        say(f"the {what} failed after {seconds:.1f} s{note}:")
        for line in self.error.splitlines():
            say(f"  {line}")
        return False

    @property
    def target(self) -> str:
        """The page Make rebuilds, as Make names it."""
        return self.command[1]

    def _loop(self) -> None:
        while True:
            self._wanted.wait()
            if self._stopping.is_set():
                return
            self._wanted.clear()
            with self._lock:
                changed, self._changed = self._changed, set()
            # `-W file`: Make takes each changed file as newer than anything, so what depends on it is
            # redone even when the previous rebuild's outputs got later times than an edit it ran into.
            marked = [f"--what-if={path}" for path in sorted(changed) if (profiles.ROOT / path).is_file()]
            self.run([*self.command, *marked])
            if self._stopping.is_set():
                return
            pages = self.clients.send("reload")
            say(f"reloading {pages} open page{'' if pages == 1 else 's'}" if pages else "no page is open")

    def stop(self) -> None:
        """Ends the build under way, Make and its stage (Make would leave the stage running), and the
        thread."""
        self._stopping.set()
        self._wanted.set()
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self._thread.join(timeout=10)


class Handler(IsolatedHandler):
    """The site's files, index.html with the reload script (and the error banner), and the events, with
    the headers `make serve` sends (build/serve.py)."""

    builder: Builder
    clients: Clients

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        if path == EVENTS:
            self.events()
        elif path in ("/", "/index.html"):
            self.page()
        else:
            super().do_GET()

    def page(self) -> None:
        index = Path(self.directory) / "index.html"
        try:
            text, kept = index.read_text(encoding="utf-8"), True
        except FileNotFoundError:
            text, kept = EMPTY_PAGE, False  # the first build failed: the page is the banner alone
        body = inject(text, self.builder.error, kept).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def events(self) -> None:
        stream = self.clients.connect()
        self.close_connection = True
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b"retry: 1000\n: connected\n\n")
            self.wfile.flush()
            idle = 0.0
            while not self.went_away():
                try:
                    message = stream.get(timeout=POLL_S)
                except queue.Empty:
                    idle += POLL_S
                    if idle < KEEP_ALIVE_S:
                        continue
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    if message is None:
                        return
                    self.wfile.write(f"data: {message}\n\n".encode())
                idle = 0.0
                self.wfile.flush()
        except OSError:
            return  # the page went away
        finally:
            self.clients.disconnect(stream)

    def went_away(self) -> bool:
        """Whether the page closed its event stream (it sends nothing, so a readable socket is at its end)."""
        readable, _, _ = select.select([self.connection], [], [], 0)
        return bool(readable) and not self.connection.recv(1, socket.MSG_PEEK)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a reload always gets the rebuilt files
        super().end_headers()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if isinstance(code, int) and code >= 400:
            super().log_request(code, size)


class ArticleFilter(watchfiles.DefaultFilter):
    """What watchfiles ignores by default (editor swap and backup files), and the writing guide."""

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        return Path(path) != ARTICLE_DIR / "README.md" and super().__call__(change, path)


def say(message: str) -> None:
    print(f"preview: {message}", flush=True)


def make_env() -> dict[str, str]:
    """The environment of the builds: this one's, unbuffered, so that the stages print as they go."""
    env = {name: value for name, value in os.environ.items() if name not in MAKE_STATE}
    return {**env, "PYTHONUNBUFFERED": "1"}


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Serve the site, rebuild it on every save, reload the page.")
    profiles.add_arguments(parser)  # the run: --profile, --corpus, --models and a study's settings
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--site",
        default=os.environ.get("MEMORIZATION_SITE") or "site",
        help="the site folder as Make names it ($(SITE)); relative to the repository root",
    )
    parser.add_argument("--make", default="make", help="the Make to run the rebuilds with")
    return parser.parse_args(argv)


def rebuild_variables(options: argparse.Namespace) -> list[str]:
    """The Make variables of every rebuild: the same run as the `make preview` that started this one
    (given on Make's command line, they win over what the environment the rebuilds inherit says)."""
    variables = [f"PROFILE={options.profile}", f"CORPUS={options.corpus or ''}"]
    return variables + [f"{name.upper()}={value}" for name, value in profiles.study(options).items()]


def main(argv: list[str] | None = None) -> int:
    options = arguments(argv)
    variables = rebuild_variables(options)
    site = profiles.ROOT / options.site
    clients = Clients()
    builder = Builder([options.make, f"{options.site}/index.html", *variables], make_env(), clients)
    handler_class = type("PreviewHandler", (Handler,), {"builder": builder, "clients": clients})
    handler = partial(handler_class, directory=str(site))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", options.port), handler)
    except OSError as error:
        say(f"cannot listen on 127.0.0.1:{options.port} ({error.strerror}): choose another port with PORT=")
        return 1
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stops the preview as Ctrl-C does
    serving = threading.Thread(target=server.serve_forever, name="preview-http", daemon=True)
    try:
        if not (site / "index.html").exists():
            say(f"{options.site}/index.html is missing: building the article first")
            builder.run([options.make, "article", *variables], first=True)
        builder.start()
        serving.start()
        say(f"http://127.0.0.1:{options.port}/ serves {options.site}/; watching article/ (Ctrl-C stops)")
        for changes in watchfiles.watch(ARTICLE_DIR, watch_filter=ArticleFilter()):
            changed = sorted({profiles.relative_to_root(Path(path)).as_posix() for _, path in changes})
            # an editor's or sed's temporary files come and go: name the files that are there
            names = [name for name in changed if (profiles.ROOT / name).exists()] or changed
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            busy = builder.request(changed)
            say(f"{shown} changed: " + ("one more rebuild after this one" if busy else "rebuilding"))
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the clean-up short
        say("stopping")
        builder.stop()
        clients.send(None)
        if serving.is_alive():
            server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
