"""The live figures measured inside the page (bench/browser.py): keystrokes in the autocomplete, the
own-text figure's updates, and each model's connectivity graph run by the page's onnxruntime-web."""

from __future__ import annotations

import time

from build.passages import P1
from tests.browser import open_page, updates, wait_updated

AUTOCOMPLETE = "figure[data-figure=autocomplete]"
OWNTEXT = "figure[data-figure=owntext]"
AC_BODY = AUTOCOMPLETE + " .figure-body"
OWN_BODY = OWNTEXT + " .figure-body"
TEXT_100 = P1[1:101]  # the original's passage, 100 characters: letters and spaces only
LONG_TEXT = (P1[1:] + " " + P1[1:]) * 2  # 200-character windows of it
DEBOUNCE_MS = 150  # owntext.js waits this long after the last key before it computes
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

# In the page: set the text, dispatch one input event, resolve with the time until data-updates changes,
# and the time until the figure's progress bar first showed (null: it did not).
DISPATCH = """([figure, text]) => new Promise(resolve => {
    const body = document.querySelector(figure + " .figure-body");
    const input = document.querySelector(figure + " .memo-input");
    const progress = body.querySelector(".memo-status progress");
    const before = Number(body.getAttribute("data-updates"));
    let start, progressMs = null;
    const shown = new MutationObserver(() => {
        if (progressMs === null && progress && !progress.hidden) progressMs = performance.now() - start;
    });
    if (progress) shown.observe(progress, {attributes: true, attributeFilter: ["hidden"]});
    const observer = new MutationObserver(() => {
        if (Number(body.getAttribute("data-updates")) > before) {
            observer.disconnect();
            shown.disconnect();
            resolve({ms: performance.now() - start, dataMs: Number(body.getAttribute("data-ms")),
                     firstMs: Number(body.getAttribute("data-first-ms")), progressMs});
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
    """Per key of `text` typed into the autocomplete with model `key`: keydown -> DOM, the figure's own
    data-ms, a dispatched input event (timed in the page and around the call), and the graph alone with
    the carried state against the baseline on the whole prefix."""
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


def measure(browser, url: str, origin: str, keys: list, text: str, long_texts: list, repeats: int) -> dict:
    """Everything the report shows for one way of opening the page (file://, http, http isolated)."""
    with open_page(browser, url, origin, timeout=120_000, block=False) as (page, log):
        page.evaluate(WATCH_KEYS, AC_BODY)
        cold = start_figure(page, AUTOCOMPLETE, AC_BODY)
        typing = {key: keystrokes(page, key, text) for key in keys}
        start_figure(page, OWNTEXT, OWN_BODY)
        figure = [
            page.evaluate(DISPATCH, [OWNTEXT, t]) for t in long_texts
        ]  # each text new: every model runs
        limit = page.evaluate(DISPATCH, [OWNTEXT, LIMIT_TEXT])
        in_page = {key: page.evaluate(CONNECTIVITY_RUNS, [key, long_texts[0], repeats]) for key in keys}
        threads = page.evaluate("() => Memo.ort.env.wasm.numThreads")
        problems = log.problems()
    return {
        "cold": cold,
        "typing": typing,
        "figure_ms": [r["dataMs"] for r in figure],
        "figure_wall": [r["ms"] for r in figure],
        "figure_first": [r["firstMs"] for r in figure],
        "limit_ms": limit["dataMs"],
        "limit_progress_ms": limit["progressMs"],
        "in_page": in_page,
        "threads": threads,
        "problems": problems,
    }
