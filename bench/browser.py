"""The page's live figures in headless Chromium (Debian's /usr/bin/chromium through Playwright): keystroke
latency of the autocomplete against the plain baseline, live connectivity of a 200-character text, and
the page's weight. Prints Markdown tables; a benchmark, never a timed unit test.

    python bench/browser.py                  # site/ (built by make article; rendered again first)
    python bench/browser.py --site /tmp/site --no-render --keys 50 --modes file,http

Each mode (file:// and/or http, default both) opens the page afresh: a live figure whose download the
page asks for first (paper-size models) is started by clicking its button, and the cold start counts
from that click.

1. Keystroke latency, per model: a 100-character text typed one key at a time into the autocomplete
   figure (file://). Per key, "keydown -> DOM": from the keydown event to the figure's data-updates
   attribute changing (both timed in the page); "data-ms": the figure's own record (input event -> DOM);
   "dispatched": page.evaluate sets the text, dispatches an input event and awaits the update (timed in
   the page, and "python" around the call, which adds the DevTools round trip). The figure carries the
   RNN state, so a key costs one character of the graph.
2. The plain baseline in the same page: the same per-key answer without the carried state, i.e. the
   autocomplete graph run on the whole prefix from the zero state at every key (Memo.session + run,
   timed in the page). Ratio = baseline / ours (above 1: ours is faster).
3. Live connectivity of a 200-character text: the owntext figure (input -> DOM, all models, with and
   without its 150 ms typing debounce, and to the first model's panel) and each model's connectivity
   graph alone in the page, against onnxruntime in Python on the same file (one thread, as the page's
   WASM backend runs).
4. Page weight over http (python -m http.server, what make serve runs): every request made by loading
   the page and waiting 2 s without scrolling or touching it; and the total of site/.
Targets: first view <= 2 MB, cold start <= 3 s, keystroke median <= 30 ms and p95 <= 60 ms, live
connectivity of 200 characters <= 400 ms per model, the owntext figure with every model <= 1.2 s after
its debounce (and, measured for reference, at the 1,000-character limit).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import onnxruntime as ort  # noqa: E402

from build.dataset import encode_text  # noqa: E402
from build.passages import P1  # noqa: E402
from tests.browser import PageLog, launch, serve, updates, wait_updated  # noqa: E402

AUTOCOMPLETE = "figure[data-figure=autocomplete]"
OWNTEXT = "figure[data-figure=owntext]"
AC_BODY = AUTOCOMPLETE + " .figure-body"
OWN_BODY = OWNTEXT + " .figure-body"
TEXT_100 = P1[1:101]  # the original's passage, 100 characters: letters and spaces only
LONG_TEXT = (P1[1:] + " " + P1[1:]) * 2  # 200-character windows of it
LIMIT_TEXT = " " + ((P1[1:] + " ") * 6)[:999]  # the live figures' 1,000-character limit

# In the page: the time from a keydown to the next change of the figure's data-updates.
WATCH_KEYS = """body => {
    const target = document.querySelector(body);
    window.__latency = [];
    let keydown = null;
    document.addEventListener("keydown", () => { keydown = performance.now(); }, true);
    new MutationObserver(() => {
        if (keydown !== null) { window.__latency.push(performance.now() - keydown); keydown = null; }
    }).observe(target, {attributes: true, attributeFilter: ["data-updates"]});
}"""

# In the page: set the text, dispatch one input event, resolve with the time until data-updates changes.
DISPATCH = """([figure, text]) => new Promise(resolve => {
    const body = document.querySelector(figure + " .figure-body");
    const input = document.querySelector(figure + " .memo-input");
    const before = Number(body.getAttribute("data-updates"));
    let start;
    const observer = new MutationObserver(() => {
        if (Number(body.getAttribute("data-updates")) > before) {
            observer.disconnect();
            resolve({ms: performance.now() - start, dataMs: Number(body.getAttribute("data-ms")),
                     firstMs: Number(body.getAttribute("data-first-ms"))});
        }
    });
    observer.observe(body, {attributes: true, attributeFilter: ["data-updates"]});
    start = performance.now();
    input.value = text;
    input.dispatchEvent(new Event("input", {bubbles: true}));
})"""

# In the page: the autocomplete graph on each whole prefix from the zero state (the baseline), and on one
# character from the carried state (the figure's run without its DOM work).
GRAPH_RUNS = """async ([key, texts]) => {
    const session = await Memo.session(key, "autocomplete");
    const ort = Memo.ort, size = Memo.model(key).state_size;
    const zeros = () => new ort.Tensor("float32", new Float32Array(size), [size]);
    const whole = [], carried = [];
    let state = zeros(), previous = "";
    for (const text of texts) {
        let chars = Memo.encode(text);
        let start = performance.now();
        await session.run({chars: new ort.Tensor("int64", chars, [chars.length]), state: zeros()});
        whole.push(performance.now() - start);
        chars = Memo.encode(text.slice(previous.length));
        start = performance.now();
        const out = await session.run({chars: new ort.Tensor("int64", chars, [chars.length]), state: state});
        carried.push(performance.now() - start);
        state = out.state_out;
        previous = text;
    }
    return {whole, carried};
}"""

CONNECTIVITY_RUNS = """async ([key, text, repeats]) => {
    const session = await Memo.session(key, "connectivity");
    const ort = Memo.ort, chars = Memo.encode(text), times = [];
    const scalar = v => new ort.Tensor("int64", BigInt64Array.of(BigInt(v)), []);
    for (let i = 0; i < repeats; i++) {
        const start = performance.now();
        await session.run({chars: new ort.Tensor("int64", chars, [chars.length]),
                           position: scalar(chars.length - 1), target: scalar(-1)});
        times.push(performance.now() - start);
    }
    return times;
}"""


def p95(values: list[float]) -> float:
    return float(np.percentile(values, 95))


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} / {p95(values):.1f}"


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def open_page(browser, url: str, origin: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(120_000)
    log = PageLog(origin).attach(page, block=False)
    page.goto(url)
    return page, log


def start_figure(page, figure: str, body: str) -> float:
    """Scroll a live figure into view (and click its download button when it asks first); seconds from
    then until its first update (loading runtime and models)."""
    page.locator(figure).scroll_into_view_if_needed()
    button = page.locator(figure + " button.memo-load")
    try:
        button.wait_for(timeout=1500)
    except Exception:  # Playwright's TimeoutError: the figure did not ask, it is loading already
        button = None
    begin = time.perf_counter()
    if button is not None:
        button.click()
    if updates(page, body) == 0 or page.get_attribute(body, "data-state") != "ready":
        wait_updated(page, body, 0, timeout=120_000)
    return time.perf_counter() - begin


def keystrokes(page, key: str, text: str) -> dict[str, list[float]]:
    page.select_option(AUTOCOMPLETE + " .memo-model", key)
    field = page.locator(AUTOCOMPLETE + " .memo-input")
    before = updates(page, AC_BODY)
    field.fill("")
    wait_updated(page, AC_BODY, before, states=("ready", "idle"))
    field.focus()
    page.evaluate("window.__latency = []")
    data_ms = []
    for char in text:
        before = updates(page, AC_BODY)
        page.keyboard.type(char)
        wait_updated(page, AC_BODY, before)
        data_ms.append(float(page.get_attribute(AC_BODY, "data-ms")))
    keydown = page.evaluate("window.__latency")
    assert len(keydown) == len(text), (len(keydown), len(text))

    before = updates(page, AC_BODY)
    field.fill("")
    wait_updated(page, AC_BODY, before, states=("ready", "idle"))
    dispatched, python = [], []
    for i in range(1, len(text) + 1):
        begin = time.perf_counter()
        result = page.evaluate(DISPATCH, [AUTOCOMPLETE, text[:i]])
        python.append(1000 * (time.perf_counter() - begin))
        dispatched.append(result["ms"])
    runs = page.evaluate(GRAPH_RUNS, [key, [" " + text[:i] for i in range(1, len(text) + 1)]])
    return {
        "keydown": keydown,
        "data_ms": data_ms,
        "dispatched": dispatched,
        "python": python,
        "baseline": runs["whole"],
        "graph": runs["carried"],
    }


def python_connectivity(site: Path, key: str, text: str, repeats: int) -> list[float]:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        str(site / "models" / key / "connectivity.web.onnx"), options, providers=["CPUExecutionProvider"]
    )
    feeds = {
        "chars": encode_text(text).astype(np.int64),
        "position": np.array(len(text) - 1, np.int64),
        "target": np.array(-1, np.int64),
    }
    session.run(None, feeds)  # warm-up
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        session.run(None, feeds)
        times.append(1000 * (time.perf_counter() - begin))
    return times


def first_view(browser, site: Path, wait_ms: int) -> tuple[int, list[tuple[str, int]], list[str]]:
    """Bytes requested by loading the page over http and waiting `wait_ms` untouched."""
    with serve(site) as origin:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        log = PageLog(origin).attach(page, block=False)
        page.goto(origin + "/index.html", wait_until="load")
        page.wait_for_timeout(wait_ms)
        page.close()
    files = []
    for url in dict.fromkeys(log.requests):
        parts = urlsplit(url)
        if url.startswith(origin):
            path = site / unquote(parts.path.lstrip("/"))
            files.append((parts.path, path.stat().st_size if path.is_file() else 0))
    return sum(size for _, size in files), files, log.problems()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="the built site (default: site)")
    parser.add_argument("--no-render", action="store_true", help="do not run build.render on the site first")
    parser.add_argument("--keys", type=int, default=100, help="characters typed per model (default 100)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per connectivity measurement")
    parser.add_argument("--modes", default="file,http", help="how the page is opened: file, http or both")
    args = parser.parse_args()
    site = args.site.resolve()
    if not (site / "data" / "manifest.json").is_file():
        sys.exit(f"{site}: no data/manifest.json: build the site first (make article)")
    import json

    from playwright.sync_api import sync_playwright

    manifest = json.loads((site / "data" / "manifest.json").read_text())
    if not args.no_render:  # renders only (reads the data and graphs already there); trains nothing
        env = dict(os.environ, MEMORIZATION_SITE=str(site))
        stage = ["--profile", manifest["profile"]] + (
            ["--corpus", manifest["corpus"]] if manifest.get("run", "") != manifest["profile"] else []
        )
        subprocess.run([sys.executable, "-m", "build.render", *stage], cwd=ROOT, env=env, check=True)
    keys = [m["key"] for m in manifest["models"]]
    names = {m["key"]: m["name"] for m in manifest["models"]}
    text = TEXT_100[: args.keys]
    long_texts = [" " + LONG_TEXT[i * 7 : i * 7 + 199] for i in range(args.repeats)]
    assert all(len(t) == 200 for t in long_texts)

    with sync_playwright() as playwright:
        browser = launch(playwright)
        print(f"# bench/browser.py: {site}, run {manifest.get('run', manifest['profile'])}")
        print(
            f"CPU: {cpu_name()}, {os.cpu_count()} cores; Chromium {browser.version} headless; "
            f"onnxruntime {ort.__version__} (Python)\n"
        )
        weight, files, problems = first_view(browser, site, 2000)
        measured = {}
        with serve(site) as http_origin:
            for mode in args.modes.split(","):
                if mode == "file":
                    url, origin = (site / "index.html").as_uri(), "file://"
                else:
                    url, origin = http_origin + "/index.html", http_origin
                measured[mode] = measure(browser, site, url, origin, keys, text, long_texts, args.repeats)
                problems += measured[mode]["problems"]
        browser.close()

    for mode, m in measured.items():
        print(f"# {mode}\n")
        report_typing(keys, names, text, m["typing"], m["cold"], mode)
        report_connectivity(
            keys, names, m["in_page"], m["in_python"], m["figure_ms"], m["figure_wall"], args.repeats
        )
        print(f"owntext figure, first model's panel shown (data-first-ms): {summary(m['figure_first'])} ms")
        print(f"owntext figure at the 1,000-character limit, all models (data-ms): {m['limit_ms']:.0f} ms\n")
    report_weight(site, weight, files)
    report_targets(keys, weight, measured, problems)


def measure(
    browser, site: Path, url: str, origin: str, keys: list, text: str, long_texts: list, repeats: int
):
    """Everything the report prints for one way of opening the page (file:// or http)."""
    page, log = open_page(browser, url, origin)
    page.evaluate(WATCH_KEYS, AC_BODY)
    cold = start_figure(page, AUTOCOMPLETE, AC_BODY)
    typing = {key: keystrokes(page, key, text) for key in keys}
    start_figure(page, OWNTEXT, OWN_BODY)
    figure_ms, figure_wall, figure_first = [], [], []
    for long_text in long_texts:  # each a new text: every model runs again at its last character
        result = page.evaluate(DISPATCH, [OWNTEXT, long_text])
        figure_wall.append(result["ms"])
        figure_ms.append(result["dataMs"])
        figure_first.append(result["firstMs"])
    limit_ms = page.evaluate(DISPATCH, [OWNTEXT, LIMIT_TEXT])["dataMs"]
    in_page = {key: page.evaluate(CONNECTIVITY_RUNS, [key, long_texts[0], repeats]) for key in keys}
    in_python = {key: python_connectivity(site, key, long_texts[0], repeats) for key in keys}
    page.close()
    return {
        "cold": cold,
        "typing": typing,
        "figure_ms": figure_ms,
        "figure_wall": figure_wall,
        "figure_first": figure_first,
        "limit_ms": limit_ms,
        "in_page": in_page,
        "in_python": in_python,
        "problems": log.problems(),
    }


def row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def report_typing(keys: list[str], names: dict, text: str, typing: dict, cold: float, mode: str) -> None:
    median = statistics.median
    print(f"## Keystroke latency, {len(text)} keys typed one at a time (ms, median / p95)\n")
    print(
        row(
            "model",
            "keydown -> DOM",
            "data-ms",
            "dispatched (page)",
            "dispatched (python)",
            "graph, carried state",
            "baseline: graph on the whole prefix",
            "baseline / keydown -> DOM",
            "baseline / graph, carried state",
        )
    )
    print(row(*["---"] * 9))
    for key in keys:
        t = typing[key]
        ratio = median(t["baseline"]) / median(t["keydown"])
        graphs = median(t["baseline"]) / median(t["graph"])
        print(
            row(
                names[key],
                summary(t["keydown"]),
                summary(t["data_ms"]),
                summary(t["dispatched"]),
                summary(t["python"]),
                summary(t["graph"]),
                summary(t["baseline"]),
                f"{ratio:.2f}",
                f"{graphs:.1f}",
            )
        )
    last = ", ".join(f"{names[k]} {median(typing[k]['baseline'][-10:]):.1f} ms" for k in keys)
    print(f"\nBaseline at the last 10 keys ({len(text) - 9}-{len(text)} characters read), median: {last}")
    print(
        f"Cold start: {cold:.2f} s from scrolling to the autocomplete to its first suggestions "
        f"(runtime + {names[keys[0]]} model, {mode}).\n"
    )


def report_connectivity(
    keys: list[str],
    names: dict,
    in_page: dict,
    in_python: dict,
    figure_ms: list,
    figure_wall: list,
    repeats: int,
) -> None:
    median = statistics.median
    print(f"## Live connectivity of a 200-character text (ms, median / p95 of {repeats})\n")
    print(row("model", "graph in the page (WASM, 1 thread)", "onnxruntime Python (1 thread)", "page/Python"))
    print(row(*["---"] * 4))
    for key in keys:
        ratio = median(in_page[key]) / median(in_python[key])
        print(row(names[key], summary(in_page[key]), summary(in_python[key]), f"{ratio:.2f}"))
    print(
        row(
            f"owntext figure, all {len(keys)} models, input -> DOM after the 150 ms debounce (data-ms)",
            summary(figure_ms),
            "",
            "",
        )
    )
    print(
        row(
            f"owntext figure, all {len(keys)} models, input -> DOM with the debounce",
            summary(figure_wall),
            "",
            "",
        )
    )


def report_weight(site: Path, weight: float, files: list) -> None:
    files_all = [p for p in site.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files_all)
    wrappers = sum(p.stat().st_size for p in files_all if p.suffix == ".js" and p.with_suffix("").is_file())
    biggest = sorted(files, key=lambda f: -f[1])[:6]
    largest = ", ".join(f"{path} {size / 1e3:.0f} KB" for path, size in biggest)
    print("\n## Page weight\n")
    print(
        f"First view over http (load + 2 s untouched): {weight / 1e6:.2f} MB in {len(files)} requests "
        f"(target <= 2 MB): {largest}"
    )
    print(
        f"site/ in total: {total / 1e6:.1f} MB, of which {wrappers / 1e6:.1f} MB are the file:// wrappers "
        "(<file>.js)"
    )


def report_targets(keys: list[str], weight: float, measured: dict, problems: list) -> None:
    median = statistics.median
    verdicts = [("first view <= 2 MB", weight <= 2e6)]
    for mode, m in measured.items():
        worst_median = max(median(m["typing"][k]["keydown"]) for k in keys)
        worst_p95 = max(p95(m["typing"][k]["keydown"]) for k in keys)
        worst_connectivity = max(median(m["in_page"][k]) for k in keys)
        verdicts += [
            (f"{mode}: cold start <= 3 s ({m['cold']:.2f} s)", m["cold"] <= 3),
            (f"{mode}: keystroke median <= 30 ms ({worst_median:.1f})", worst_median <= 30),
            (f"{mode}: keystroke p95 <= 60 ms ({worst_p95:.1f})", worst_p95 <= 60),
            (
                f"{mode}: connectivity 200 chars <= 400 ms per model ({worst_connectivity:.0f})",
                worst_connectivity <= 400,
            ),
            (
                f"{mode}: owntext, all models <= 1.2 s ({median(m['figure_ms']):.0f} ms)",
                median(m["figure_ms"]) <= 1200,
            ),
        ]
    print("\nTargets: " + "; ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in verdicts))
    if problems:
        print("\nThe page reported problems:\n" + "\n".join(f"  {p}" for p in problems))


if __name__ == "__main__":
    main()
