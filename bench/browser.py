"""The page's live figures in headless Chromium (Debian's /usr/bin/chromium through Playwright): keystroke
latency of the autocomplete against the plain baseline, live connectivity of a 200-character text, and
the page's weight. Prints Markdown tables; a benchmark, never a timed unit test.

    python bench/browser.py                  # site/ (built by make article; rendered again first)
    python bench/browser.py --site /tmp/site --no-render --keys 50 --modes file,http,isolated

Each mode opens the page afresh: file:// and http (the standard library's server, which, like GitHub
Pages, sends no cross-origin isolation headers: one WASM thread) by default, and `isolated` (build/serve.py,
what make serve runs: up to four threads) when asked for; a live figure whose download the
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
   without its 150 ms typing debounce, and to the first model's panel), at the 1,000-character limit
   (and when its progress bar showed), and each model's connectivity graph alone in the page, against
   the same file in onnxruntime in Python and in onnxruntime-web under Node (one thread each).
4. Page weight over http: every request made by loading the page and waiting 2 s without scrolling or
   touching it; and the total of site/.
Targets (one thread): first view <= 2 MB, cold start <= 3 s, keystroke median <= 30 ms and p95 <= 60 ms,
live connectivity of 200 characters <= 400 ms per model, the owntext figure with every model <= 1.2 s
after its debounce and its first panel <= 400 ms, 1,000 characters <= 6 s with the progress bar shown
within 200 ms of the figure's start (after the debounce).
The parts: bench/live.py (in the page), bench/outside.py (Python and Node), bench/weight.py (first view).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import onnxruntime as ort  # noqa: E402

from bench.live import DEBOUNCE_MS, LONG_TEXT, TEXT_100, measure  # noqa: E402
from bench.outside import node_connectivity, python_connectivity  # noqa: E402
from bench.weight import first_view, report_weight  # noqa: E402
from tests.browser import launch, serve  # noqa: E402


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


def render(site: Path, manifest: dict) -> None:
    """build.render on `site` (reads the data and graphs already there; trains nothing)."""
    env = dict(os.environ, MEMORIZATION_SITE=str(site))
    stage = ["--profile", manifest["profile"]] + (
        ["--corpus", manifest["corpus"]] if manifest.get("run", "") != manifest["profile"] else []
    )
    subprocess.run([sys.executable, "-m", "build.render", *stage], cwd=ROOT, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="the built site (default: site)")
    parser.add_argument("--no-render", action="store_true", help="do not run build.render on the site first")
    parser.add_argument("--keys", type=int, default=100, help="characters typed per model (default 100)")
    parser.add_argument("--repeats", type=int, default=5, help="runs per connectivity measurement")
    parser.add_argument("--modes", default="file,http", help="file, http and/or isolated, comma-separated")
    args = parser.parse_args()
    site = args.site.resolve()
    if not (site / "data" / "manifest.json").is_file():
        sys.exit(f"{site}: no data/manifest.json: build the site first (make article)")
    modes = args.modes.split(",")
    unknown = set(modes) - {"file", "http", "isolated"}
    if unknown:
        sys.exit(f"unknown mode {sorted(unknown)[0]!r}: choose from file, http, isolated")

    from playwright.sync_api import sync_playwright

    manifest = json.loads((site / "data" / "manifest.json").read_text())
    if not args.no_render:
        render(site, manifest)
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
        for mode in modes:
            if mode == "file":
                url = (site / "index.html").as_uri()
                measured[mode] = measure(browser, url, "file://", keys, text, long_texts, args.repeats)
                continue
            with serve(site, isolated=mode == "isolated") as origin:
                url = origin + "/index.html"
                measured[mode] = measure(browser, url, origin, keys, text, long_texts, args.repeats)
        browser.close()
    for m in measured.values():
        problems += m["problems"]
    outside = {
        "python": {key: python_connectivity(site, key, long_texts[0], args.repeats) for key in keys},
        "node": {key: node_connectivity(site, key, long_texts[0], args.repeats) for key in keys},
    }

    for mode, m in measured.items():
        print(f"# {mode} ({threads(m['threads'], 'WASM thread')})\n")
        report_typing(keys, names, text, m["typing"], m["cold"], mode)
        report_connectivity(keys, names, m, outside, args.repeats)
    report_weight(site, weight, files)
    report_targets(keys, weight, measured, problems)


def row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def threads(count: int, noun: str = "thread") -> str:
    return f"{count} {noun}{'s' if count > 1 else ''}"


def header(*cells: object) -> None:
    """A Markdown table's header row and the line under it."""
    print(row(*cells))
    print(row(*["---"] * len(cells)))


def report_typing(keys: list[str], names: dict, text: str, typing: dict, cold: float, mode: str) -> None:
    median = statistics.median
    print(f"## Keystroke latency, {len(text)} keys typed one at a time (ms, median / p95)\n")
    header(
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


def report_connectivity(keys: list[str], names: dict, m: dict, outside: dict, repeats: int) -> None:
    median = statistics.median
    print(f"## Live connectivity of a 200-character text (ms, median / p95 of {repeats})\n")
    header(
        "model",
        f"graph in the page (WASM, {threads(m['threads'])})",
        "onnxruntime Python (1 thread)",
        "onnxruntime-web in Node (WASM, 1 thread)",
        "page/Python",
        "page/Node",
    )
    for key in keys:
        page, python, node = m["in_page"][key], outside["python"][key], outside["node"][key]
        print(
            row(
                names[key],
                summary(page),
                summary(python),
                summary(node),
                f"{median(page) / median(python):.2f}",
                f"{median(page) / median(node):.2f}",
            )
        )
    everything = f"owntext figure, all {len(keys)} models"
    print(
        row(
            f"{everything}, input -> DOM after the {DEBOUNCE_MS} ms debounce (data-ms)",
            summary(m["figure_ms"]),
            "",
            "",
            "",
            "",
        )
    )
    print(row(f"{everything}, input -> DOM with the debounce", summary(m["figure_wall"]), "", "", "", ""))
    print(
        row("owntext figure, first model's panel (data-first-ms)", summary(m["figure_first"]), "", "", "", "")
    )
    shown = m["limit_progress_ms"]
    progress = (
        "never"
        if shown is None
        else f"{shown:.0f} ms after the input ({shown - DEBOUNCE_MS:.0f} after the debounce)"
    )
    print(
        f"\nowntext figure at the 1,000-character limit, all models (data-ms): {m['limit_ms']:.0f} ms; "
        f"its progress bar showed: {progress}\n"
    )


def report_targets(keys: list[str], weight: float, measured: dict, problems: list) -> None:
    median = statistics.median
    verdicts = [("first view <= 2 MB", weight <= 2e6)]
    for mode, m in measured.items():
        worst_median = max(median(m["typing"][k]["keydown"]) for k in keys)
        worst_p95 = max(p95(m["typing"][k]["keydown"]) for k in keys)
        worst_connectivity = max(median(m["in_page"][k]) for k in keys)
        shown = m["limit_progress_ms"]
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
            (
                f"{mode}: owntext, first panel <= 400 ms ({median(m['figure_first']):.0f} ms)",
                median(m["figure_first"]) <= 400,
            ),
            (f"{mode}: 1,000 characters <= 6 s ({m['limit_ms']:.0f} ms)", m["limit_ms"] <= 6000),
            (
                f"{mode}: progress shown within 200 ms of the start "
                + ("(never)" if shown is None else f"({shown - DEBOUNCE_MS:.0f} ms)"),
                shown is not None and shown - DEBOUNCE_MS <= 200,
            ),
        ]
    print("\nTargets: " + "; ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in verdicts))
    if problems:
        print("\nThe page reported problems:\n" + "\n".join(f"  {p}" for p in problems))


if __name__ == "__main__":
    main()
