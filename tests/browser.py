"""Helpers shared by the browser tests (tests/test_browser.py, tests/test_accessibility.py) and
bench/browser.py: Debian's Chromium driven by Playwright, the site served the way `make serve` serves it,
a log of what a page printed and requested, and the steps that bring a live figure up and type into it.

Playwright never downloads a browser here: it drives /usr/bin/chromium (apt-get install chromium), or the
Chromium or Chrome that $MEMORIZATION_CHROMIUM names (GitHub's Ubuntu runners: /usr/bin/google-chrome).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = Path(os.environ.get("MEMORIZATION_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
ARTIFACTS = Path(os.environ.get("MEMORIZATION_ARTIFACTS", "/tmp/memorization-artifacts"))


class BrowserMissing(RuntimeError):
    """Chromium or Playwright is not installed: the message says what to install."""


def launch(playwright):
    """Headless Chromium from Debian's package (never one Playwright downloads)."""
    if not CHROMIUM.is_file():
        raise BrowserMissing(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium (`apt-get install chromium`)"
            " or MEMORIZATION_CHROMIUM set to another Chromium or Chrome"
        )
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(site: Path, isolated: bool = True) -> Iterator[str]:
    """The site over http on a free port; yields the origin (http://127.0.0.1:PORT).

    Isolated: the same command `make serve` runs ($(PY) -m build.serve $(PORT) --bind 127.0.0.1
    --directory $(SITE)), without its dependency on `article`, which would rebuild the checkout's site.
    Not isolated: the standard library's server, which sends no cross-origin isolation headers (as GitHub
    Pages sends none): the page runs on one thread."""
    port = free_port()
    server = "build.serve" if isolated else "http.server"
    process = subprocess.Popen(
        [sys.executable, "-m", server, str(port), "--bind", "127.0.0.1", "--directory", str(site)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{server} on port {port} did not start") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL ("file://" for every file URL)."""
    parts = urlsplit(url)
    return "file://" if parts.scheme == "file" else f"{parts.scheme}://{parts.netloc}"


@dataclass
class PageLog:
    """Everything a page said and asked for: console errors, uncaught errors, failed and all requests."""

    origin: str  # "file://" or "http://127.0.0.1:PORT"
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    # Chromium probes /favicon.ico once per browser unless the page names an icon; its 404 is kept apart
    # (its console error depends on which page of the browser came first; the tests check the <link>).
    favicon: list[str] = field(default_factory=list)

    def attach(self, page, block: bool = True) -> PageLog:
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status}: {r.url}"))
        if block:  # nothing may leave the origin; should the page try, it is recorded above and stopped here
            page.route(lambda url: not self.allowed(url), lambda route: route.abort())
        return self

    def _console(self, message) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        if url.endswith("/favicon.ico"):
            self.favicon.append(f"console: {message.text} ({url})")
        else:
            self.errors.append(f"console: {message.text}" + (f" ({url})" if url else ""))

    def allowed(self, url: str) -> bool:
        """Same origin; blob: and data: URLs are made by the page itself and never reach a network."""
        scheme = urlsplit(url).scheme
        if scheme in ("blob", "data"):
            return True
        return origin_of(url) == self.origin

    def foreign(self) -> list[str]:
        return [url for url in self.requests if not self.allowed(url)]

    def problems(self) -> list[str]:
        return self.errors + [f"request leaves the origin {self.origin}: {url}" for url in self.foreign()]


@contextlib.contextmanager
def open_page(
    browser,
    url: str,
    origin: str | None = None,
    *,
    width: int = 1280,
    height: int = 900,
    timeout: float = 30_000,
    block: bool = True,
    wait_until: str = "load",
    **context_options,
) -> Iterator[tuple[object, PageLog]]:
    """`url` in a new page of its own browser context (storage, downloads and scripts settings apart, as
    `context_options` asks), every console error and request logged by a PageLog for `origin` (default:
    the URL's own); yields (page, log) and closes the context after."""
    context = browser.new_context(viewport={"width": width, "height": height}, **context_options)
    try:
        page = context.new_page()
        page.set_default_timeout(timeout)
        log = PageLog(origin or origin_of(url)).attach(page, block=block)
        page.goto(url, wait_until=wait_until)
        yield page, log
    finally:
        context.close()


def wait_updated(page, body: str, before: int, timeout: float = 30_000, states=("ready",)) -> None:
    """Wait until the live figure body `body` (a selector) counts more than `before` updates and its
    data-state is one of `states` (an empty text leaves a figure that was loading "idle"); a figure that
    fails (data-state=error) raises with its .memo-status."""
    page.wait_for_function(
        """([selector, before, states]) => {
            const body = document.querySelector(selector);
            if (!body) return false;
            const state = body.getAttribute("data-state");
            const count = Number(body.getAttribute("data-updates"));
            return state === "error" || (count > before && states.includes(state));
        }""",
        arg=[body, before, list(states)],
        timeout=timeout,
    )
    state = page.get_attribute(body, "data-state")
    if state == "error":
        status = page.eval_on_selector(body, "b => (b.querySelector('.memo-status') || b).textContent")
        raise AssertionError(f"{body}: data-state=error: {status.strip()}")


def updates(page, body: str) -> int:
    return int(page.get_attribute(body, "data-updates") or 0)


def save_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1) + "\n")


def require(page, selector: str) -> None:
    assert page.query_selector(selector) is not None, (
        f"the page has no {selector}: article/index.md needs that figure (article/README.md, Figures)"
    )


def start(page, figure: str, body: str) -> None:
    """Bring a live figure into view (it loads its models then) and wait for its first update."""
    require(page, figure)
    page.locator(figure).scroll_into_view_if_needed()
    if updates(page, body) == 0 or page.get_attribute(body, "data-state") != "ready":
        wait_updated(page, body, 0, timeout=60_000)


def replace_text(page, figure: str, text: str, keyboard: bool = True) -> None:
    """Empty the figure's .memo-input and enter `text`: typed key by key, or pasted in one input event."""
    field = page.locator(figure + " .memo-input")
    field.click()
    if keyboard:
        page.keyboard.press("Control+A")
        page.keyboard.press("Backspace")
        page.keyboard.type(text)
    else:
        field.fill(text)
