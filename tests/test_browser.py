"""The page in a real browser (Debian's Chromium, headless, through Playwright), opened from disk (file://)
and over http (the command `make serve` runs): it stays in its origin and prints no error, the passage
figure shows the precomputed connectivity, the live figures give what onnxruntime gives in Python on the
same graph files, hostile text does nothing, the layout fits a phone, and the keyboard reaches it all.

The site is the tiny profile's (conftest.py `tiny_site`); the hooks read here are listed in
article/README.md ("Hooks the browser tests read"). Screenshots go to $MEMORIZATION_ARTIFACTS
(default /tmp/memorization-artifacts).
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from build.corpus import normalise
from build.dataset import encode_text
from build.render import skill
from build.render.template import duration
from build.run_files import decode_lower_triangle
from tests.browser import (
    ARTIFACTS,
    PageLog,
    open_page,
    replace_text,
    require,
    serve,
    start,
    updates,
    wait_updated,
)

MAX_TEXT = 1000  # Memo.MAX_TEXT
PASSAGE = "#passage-grammar"
HERO = "#hero"
AUTOCOMPLETE = "figure[data-figure=autocomplete]"
OWNTEXT = "figure[data-figure=owntext]"
AC_BODY = AUTOCOMPLETE + " .figure-body"
OWN_BODY = OWNTEXT + " .figure-body"
SETTLE_S = 10.0  # how long a live figure may take to show the latest text after an update


# --- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def http_origin(tiny_site: Path):
    with serve(tiny_site) as origin:
        yield origin


@dataclass
class Loaded:
    """One page of the site, opened once per mode and shared by this module's tests."""

    mode: str  # "file" or "http"
    page: object
    log: PageLog
    site: Path

    def mark(self) -> int:
        return len(self.log.errors)

    def assert_clean(self, mark: int = 0) -> None:
        problems = self.log.errors[mark:] + [f"request leaves the origin: {u}" for u in self.log.foreign()]
        assert not problems, f"{self.mode}: " + "\n".join(problems)


@pytest.fixture(scope="module", params=["file", "http"])
def loaded(request, chromium, tiny_site: Path) -> Loaded:
    mode = request.param
    if mode == "file":
        origin, url = "file://", (tiny_site / "index.html").as_uri()
    else:
        origin = request.getfixturevalue("http_origin")
        url = origin + "/index.html"
    with open_page(chromium, url, origin) as (page, log):
        page.wait_for_selector(f"{PASSAGE}[data-selected]")
        yield Loaded(mode, page, log, tiny_site)


@dataclass
class Reference:
    """onnxruntime in Python on the site's own graph files."""

    site: Path
    manifest: dict
    words: list[str]

    def __post_init__(self) -> None:
        self.sessions: dict[tuple[str, str], ort.InferenceSession] = {}

    def session(self, key: str, graph: str) -> ort.InferenceSession:
        if (key, graph) not in self.sessions:
            path = self.site / "models" / key / f"{graph}.web.onnx"
            self.sessions[key, graph] = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return self.sessions[key, graph]

    def state_size(self, key: str) -> int:
        return next(m["state_size"] for m in self.manifest["models"] if m["key"] == key)

    def autocomplete(self, key: str, text: str) -> tuple[list[str], np.ndarray]:
        """Top words and probabilities after `text` (already prepared: " " + normalised), from zero state."""
        chars = encode_text(text).astype(np.int64)
        state = np.zeros(self.state_size(key), np.float32)
        top_ids, top_probs, _ = self.session(key, "autocomplete").run(None, {"chars": chars, "state": state})
        return [self.words[i] for i in top_ids], top_probs

    def target(self, text: str, position: int) -> int:
        """The target owntext.js explains: the word at `position` (a space belongs to the word after it)
        when in the vocabulary and not <eos>/<unknown>, else -1 (the graph then takes its own top-1)."""
        start = position + 1 if text[position] == " " else text.rfind(" ", 0, position + 1) + 1
        end = text.find(" ", start)
        word = text[start : end if end >= 0 else len(text)]
        word_id = self.words.index(word) if word in self.words else -1
        return word_id if word_id >= 2 else -1

    def connectivity(self, key: str, text: str, position: int) -> np.ndarray:
        values, _, _ = self.session(key, "connectivity").run(
            None,
            {
                "chars": encode_text(text[: position + 1]).astype(np.int64),
                "position": np.array(position, np.int64),
                "target": np.array(self.target(text, position), np.int64),
            },
        )
        return values


@pytest.fixture(scope="session")
def reference(tiny_site: Path) -> Reference:
    manifest = json.loads((tiny_site / "data" / "manifest.json").read_text())
    words = json.loads((tiny_site / "data" / "vocab.json").read_text())
    return Reference(tiny_site, manifest, words)


# --- helpers -------------------------------------------------------------------------------------------


def prepare(raw: str, keep_trailing_space: bool) -> str:
    """What a live figure feeds its model (Memo.prepare): " " + the corpus's normalisation, cut to 1,000."""
    text = normalise(raw)
    if not text:
        return ""
    text = " " + text
    if keep_trailing_space and re.search(r"[^A-Za-z]$", raw):
        text += " "
    return text[:MAX_TEXT]


def suggestions(page) -> list[tuple[str, float]]:
    return page.eval_on_selector_all(
        AUTOCOMPLETE + " ol.memo-suggestions > li",
        "items => items.map(li => [li.dataset.word, Number(li.dataset.probability)])",
    )


def eventually(check, what: str, timeout: float = SETTLE_S):
    """Poll `check()` (returns (ok, observed)) until ok; fail with the last observation."""
    deadline = time.monotonic() + timeout
    while True:
        ok, observed = check()
        if ok:
            return observed
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}; last seen: {observed}")
        time.sleep(0.05)


def check_autocomplete(
    loaded: Loaded, reference: Reference, key: str, raw: str, keyboard: bool = True
) -> None:
    """Type `raw` into the autocomplete figure with model `key`; its top 3 must be Python's."""
    page = loaded.page
    page.select_option(AUTOCOMPLETE + " .memo-model", key)
    before = updates(page, AC_BODY)
    replace_text(page, AUTOCOMPLETE, raw, keyboard)
    wait_updated(page, AC_BODY, before)
    text = prepare(raw, keep_trailing_space=True)
    words, probs = reference.autocomplete(key, text)
    expected = list(zip(words[:3], probs[:3].tolist(), strict=True))

    def matches():
        shown = suggestions(page)[:3]
        ok = len(shown) == 3 and all(
            w == ew and abs(p - ep) <= 1e-3 for (w, p), (ew, ep) in zip(shown, expected, strict=True)
        )
        return ok, shown

    eventually(matches, f"{loaded.mode}: {key} after {text!r}: expected top 3 {expected}")


def own_spans(page, key: str) -> list[dict]:
    return page.eval_on_selector_all(
        f"{OWNTEXT} .memo-panel[data-model={key}] span.memo-char",
        """spans => spans.map(s => ({index: Number(s.dataset.index), raw: Number(s.dataset.raw),
                                   value: Number(s.dataset.value), text: s.textContent}))""",
    )


def check_owntext(loaded: Loaded, reference: Reference, text: str, position: int | None = None) -> None:
    """Every model panel of the owntext figure shows Python's connectivity of `text` (prepared) at
    `position` (the body's data-selected; default the last character)."""
    page = loaded.page
    position = len(text) - 1 if position is None else position
    for model in reference.manifest["models"]:
        key = model["key"]
        expected = reference.connectivity(key, text, position)

        def matches(key=key, expected=expected):
            selected = page.get_attribute(OWN_BODY, "data-selected")
            spans = own_spans(page, key)
            shown = "".join(s["text"] for s in spans)
            if selected != str(position) or shown != text:
                return False, {"data-selected": selected, "text": shown[:80]}
            raw = np.array([s["raw"] for s in spans[: position + 1]])
            scale = float(np.abs(expected).max())
            ok = np.allclose(raw, expected, rtol=1e-3, atol=1e-3 * scale) and all(
                s["raw"] == 0 for s in spans[position + 1 :]
            )
            return ok, {"max abs error": float(np.abs(raw - expected).max()), "scale": scale}

        eventually(matches, f"{loaded.mode}: owntext {key} at {position} of {text[:40]!r}...")
        target = reference.target(text, position)
        shown_target = page.get_attribute(f'{OWN_BODY} .memo-panel[data-model="{key}"]', "data-target")
        assert target < 0 or shown_target == str(target), (key, target, shown_target)  # -1: its own top-1
    # Every panel shown, none still computing; the first panel came no later than all of them.
    assert page.eval_on_selector_all(f"{OWN_BODY} .memo-panel[aria-busy]", "panels => panels.length") == 0
    assert "Computing" not in page.inner_text(f"{OWN_BODY} .memo-status")
    first, every = (page.get_attribute(OWN_BODY, name) for name in ("data-first-ms", "data-ms"))
    assert first is not None and float(first) <= float(every), (first, every)


# --- tests ---------------------------------------------------------------------------------------------


def test_page_loads_without_errors_and_stays_in_its_origin(loaded: Loaded) -> None:
    page = loaded.page
    start(page, AUTOCOMPLETE, AC_BODY)
    start(page, OWNTEXT, OWN_BODY)
    states = page.eval_on_selector_all(
        "figure[data-figure] .figure-body",
        """bodies => bodies.map(b => [b.closest('figure').id, b.getAttribute('data-state'),
                                      (b.querySelector('.memo-status') || {}).textContent])""",
    )
    failed = [s for s in states if s[1] == "error"]
    assert not failed, f"{loaded.mode}: figures failed: {failed}; errors: {loaded.log.errors}"
    assert page.get_attribute(PASSAGE + " .figure-body", "data-state") == "ready"
    requested = {url.split("/")[-1] for url in loaded.log.requests}
    assert {"index.html", "10-memo.js", "start.js"} <= requested  # the log sees the page's requests
    model_file = "autocomplete.web.onnx" + (".js" if loaded.mode == "file" else "")
    assert model_file in requested
    prefixes = ("file:" if loaded.mode == "file" else loaded.log.origin + "/", "blob:", "data:")
    assert all(u.startswith(prefixes) for u in loaded.log.requests), loaded.log.requests
    loaded.assert_clean()
    # Without an icon of its own the page makes browsers fetch /favicon.ico: a 404 and a console error
    # over http (GitHub Pages included). <link rel="icon" href="data:,"> or a file in site/ avoids it.
    icon = page.eval_on_selector_all("link[rel~=icon]", "links => links.map(l => l.href)")
    assert icon and all(h.startswith(prefixes) for h in icon), (
        f"{loaded.mode}: the page names no icon (<link rel=icon>): browsers request /favicon.ico "
        f"(404 over http; seen: {loaded.log.favicon}); found {icon}"
    )


def test_accuracy_figure_sets_the_published_curves_beside_ours_counted_the_same_way(loaded: Loaded) -> None:
    """The accuracy figure starts with our counting and the baseline; "as the original counted" swaps in
    each model's as_original curves and the published ones, and hides the baseline."""
    page = loaded.page
    body = "figure[data-figure=accuracy] .figure-body"
    require(page, body)
    page.locator(body).scroll_into_view_if_needed()
    page.wait_for_selector(body + '[data-state="ready"]')
    results = json.loads((loaded.site / "data" / "results.json").read_text())
    models = len(results["models"])
    assert page.get_attribute(body, "data-counting") == "ours"
    assert page.get_attribute(body, "data-series") == str(3 * models + 3)  # top-1/2/3: models, baseline
    page.click(body + ' button[data-value="original"]')
    assert page.get_attribute(body, "data-counting") == "original"
    assert page.get_attribute(body, "data-series") == str(3 * models * 2)  # ours and the published
    assert page.is_hidden(body + ' button[data-series="baseline"]')
    assert page.is_visible(body + ' button[data-series="published"]')
    assert "Counted as the original counted" in page.text_content(body + " .memo-chart-note")
    page.click(body + ' button[data-value="ours"]')
    assert page.get_attribute(body, "data-series") == str(3 * models + 3)
    loaded.assert_clean()


def test_the_curves_note_gives_the_steps_and_times_the_text_gives(loaded: Loaded) -> None:
    """The note under the learning curves counts as the page's text does: each model's steps and training
    time from the manifest, the original's 14,278 mini-batches and its reported time, in the same words."""
    page = loaded.page
    body = "figure[data-figure=curves] .figure-body"
    require(page, body)
    page.locator(body).scroll_into_view_if_needed()
    page.wait_for_selector(body + '[data-state="ready"]')
    note = page.text_content(body + " .memo-chart-note")
    manifest = json.loads((loaded.site / "data" / "manifest.json").read_text())
    published = json.loads((loaded.site / "data" / "published.json").read_text())
    for model in manifest["models"]:
        told = f"{model['steps']:,} mini-batches in {duration(model['training_seconds'])} ({model['name']})"
        assert told in note, (told, note)
    assert f"for 14,278 mini-batches, about {duration(published['training_seconds'])} each," in note, note
    loaded.assert_clean()


def lookback_percent(value: float) -> str:
    """lookback.js `percent`: one decimal from 10%, two from 1%, else two significant digits."""
    p = value * 100
    if p >= 10:
        return f"{p:.1f}%"
    if p >= 1:
        return f"{p:.2f}%"
    return f"{float(f'{p:.2g}'):g}%"


def test_lookback_figure_reads_the_test_set_measurement(loaded: Loaded) -> None:
    """The test-set figure: a line and a band per model in each of its three charts, hover gives each
    model's share with its interval, the table view every number, and its controls act."""
    page = loaded.page
    body = "figure[data-figure=lookback] .figure-body"
    require(page, body)
    page.locator(body).scroll_into_view_if_needed()
    page.wait_for_selector(body + '[data-state="ready"]')
    results = json.loads((loaded.site / "data" / "results.json").read_text())
    models = results["models"]
    assert page.get_attribute(body, "data-series") == str(len(models))
    for chart in range(3):
        svg = page.locator(f"{body} .memo-chart svg").nth(chart)
        assert svg.locator("path[data-series]").count() == len(models)
        assert svg.locator("path[data-band]").count() == len(models)

    chart = page.locator(f"{body} .memo-chart").first
    chart.locator("svg").focus()
    page.keyboard.press("Home")  # letters read: 0
    tooltip = chart.locator(".memo-tooltip").text_content()
    for m in models:
        entry = m["test"]["context"]["share_before_word"]["0"]
        low, high = lookback_percent(entry["low"]), lookback_percent(entry["high"])
        said = f"{m['name']}{lookback_percent(entry['mean'])} ({low} to {high})"
        assert said in tooltip, (said, tooltip)

    summary = page.text_content(f"{body} > .memo-summary")
    for m in models:
        share = m["test"]["context"]["share_before_word"]["5+"]
        assert f"5+ letters {lookback_percent(share['mean'])} (95% interval" in summary, summary

    page.click(f"{body} details.memo-table-view summary")
    tables = page.locator(f"{body} details.memo-table-view table")
    assert tables.count() == 3
    assert tables.nth(0).locator("tbody tr").count() == 6  # 0, 1, 2, 3, 4, 5+
    distance = results["models"][0]["test"]["context"]["max_distance"]
    assert tables.nth(1).locator("tbody tr").count() == distance + 1
    first = models[0]["test"]["context"]["by_distance"]["0"][0]
    assert tables.nth(1).locator("tbody tr").first.text_content().startswith("0" + lookback_percent(first))

    assert page.get_attribute(body, "data-scale") == "log"
    page.click(f'{body} button[data-value="linear"]')
    assert page.get_attribute(body, "data-scale") == "linear"
    page.click(f"{body} .memo-controls button[data-model='{models[0]['key']}']")
    assert page.get_attribute(body, "data-series") == str(len(models) - 1)
    assert tables.nth(0).locator("thead th").count() == len(models)  # the table follows the toggles
    loaded.assert_clean()


def test_skill_figure_sets_the_share_against_the_cross_entropy(loaded: Loaded) -> None:
    """Memory against skill: a line, a band and an end per model and the common cross entropy's mark;
    hover gives model, step, cross entropy and share; the summary and the table view give the numbers;
    the toggles act."""
    page = loaded.page
    body = "figure[data-figure=skill] .figure-body"
    require(page, body)
    page.locator(body).scroll_into_view_if_needed()
    page.wait_for_selector(body + '[data-state="ready"]')
    results = json.loads((loaded.site / "data" / "results.json").read_text())
    models = results["models"]
    svg = page.locator(f"{body} .memo-chart svg")
    for m in models:
        for selector in (
            f"path[data-series='{m['key']}']",
            f"path[data-band='{m['key']}']",
            f"circle[data-end='{m['key']}']",
        ):
            assert svg.locator(selector).count() == 1, selector
    assert svg.locator("path[data-series=common]").count() == 1

    # the rightmost point: the first kept step of the model that started worst
    first = {m["name"]: m["seeds"][0]["during_training"][0] for m in models}
    name, start = max(first.items(), key=lambda item: item[1]["valid_cross_entropy"])
    svg.focus()
    page.keyboard.press("End")
    tooltip = page.locator(f"{body} .memo-tooltip").text_content()
    said = f"{start['share_before_word_0']['mean'] * 100:.1f}%"
    assert name in tooltip and said in tooltip, (name, said, tooltip)
    assert f"at step {start['step']}, cross entropy {start['valid_cross_entropy']:.4f}" in tooltip, tooltip

    names = skill.skill(models, results["evaluation"])
    summary = page.text_content(f"{body} > .memo-summary")
    assert f"At the validation cross entropy every model reaches, {names['common']:.4f}" in summary, summary
    for row in names["rows"]:
        mean, low, high = (row["at_common"][part] * 100 for part in ("mean", "low", "high"))
        told = f"{row['name']} {mean:.1f}% ({low:.1f}% to {high:.1f}%)"
        assert told in summary, (told, summary)

    page.click(f"{body} details.memo-table-view summary")
    tables = page.locator(f"{body} details.memo-table-view table")
    assert tables.count() == 2
    assert tables.nth(0).locator("tbody tr").count() == len(models)
    kept = sum(len(s["during_training"]) for m in models for s in m["seeds"])
    assert tables.nth(1).locator("tbody tr").count() == kept
    page.click(f"{body} .memo-controls button[data-model='{models[0]['key']}']")
    assert page.get_attribute(body, "data-series") == str(len(models) - 1)
    assert tables.nth(0).locator("tbody tr").count() == len(models) - 1  # the tables follow the toggles
    loaded.assert_clean()


def test_every_connectivity_view_takes_the_same_keys(loaded: Loaded) -> None:
    """hero, passage and owntext (js/lib/67-connectivity.js): arrows by one, Shift+arrow and up/down by
    ten, Home and End to the ends; the characters after the output are memo-future in all of them."""
    page = loaded.page
    start(page, OWNTEXT, OWN_BODY)
    for figure, selected in ((HERO, HERO), (PASSAGE, PASSAGE), (OWNTEXT, OWN_BODY)):
        text = page.locator(f"{figure} .memo-panel .memo-text").first
        text.scroll_into_view_if_needed()
        page.mouse.move(1, 1)  # no character under the pointer, which would select on hover
        text.focus()

        def press(key: str, expected: int, selected: str = selected) -> None:
            page.keyboard.press(key)
            page.wait_for_function(
                "([s, v]) => document.querySelector(s).getAttribute('data-selected') === String(v)",
                arg=[selected, expected],
            )

        last = page.locator(f"{figure} .memo-panel").first.locator(".memo-char").count() - 1
        press("Home", 0)
        press("ArrowRight", 1)
        press("Shift+ArrowRight", 11)
        press("ArrowDown", 21)
        press("ArrowUp", 11)
        press("Shift+ArrowLeft", 1)
        press("End", last)
        press("ArrowLeft", last - 1)
        after = page.locator(f"{figure} .memo-panel").first.locator(".memo-char.memo-future")
        assert after.count() == 1, figure
    loaded.assert_clean()


def test_table_mode_lists_every_character_of_each_connectivity_view(loaded: Loaded) -> None:
    """hero, passage and owntext: "Show as a table" gives a row per character (position, character, each
    panel's connectivity and top predictions), the selected one marked, and hides again."""
    page = loaded.page
    start(page, OWNTEXT, OWN_BODY)
    for figure in (HERO, PASSAGE, OWNTEXT):
        body = figure + " .figure-body"
        page.locator(figure).scroll_into_view_if_needed()
        page.click(f"{figure} .memo-table-toggle")
        assert page.get_attribute(body, "data-table") == "on"
        chars = page.locator(f"{figure} .memo-panel").first.locator(".memo-char").count()
        rows = page.locator(f"{figure} .memo-conn-table tbody tr")
        assert chars > 10 and rows.count() == chars, (figure, chars, rows.count())
        heads = f"{figure} .memo-conn-table thead th"
        head = page.eval_on_selector_all(heads, "hs => hs.map(h => h.textContent)")
        panels = page.locator(f"{figure} .memo-panel").count()
        assert head[:2] == ["position", "character"] and len(head) == 2 + 2 * panels, head
        selected = page.get_attribute(figure if figure != OWNTEXT else body, "data-selected")
        marked = page.eval_on_selector(f"{figure} .memo-selected-row th", "th => th.textContent")
        assert marked == selected, (figure, marked, selected)
        page.click(f"{figure} .memo-table-toggle")
        assert page.get_attribute(body, "data-table") == "off"
        assert page.is_hidden(f"{figure} .memo-conn-table")
    loaded.assert_clean()


def test_hover_selects_a_position_and_colours_follow_the_data(loaded: Loaded) -> None:
    page, mark = loaded.page, loaded.mark()
    panel = f"{PASSAGE} .memo-panel[data-model=gru]"
    page.locator(f"{panel} span.memo-char[data-index='50']").hover()
    assert page.get_attribute(PASSAGE, "data-selected") == "50"
    page.locator(f"{panel} span.memo-char[data-index='28']").hover()
    assert page.get_attribute(PASSAGE, "data-selected") == "28"

    data = json.loads((loaded.site / "data" / "passages" / "grammar.json").read_text())
    row = decode_lower_triangle(data["models"]["gru"]["connectivity"])[28][:29]
    expected = row / row.max()
    spans = page.eval_on_selector_all(
        f"{panel} span.memo-char",
        """spans => spans.map(s => ({index: Number(s.dataset.index), value: Number(s.dataset.value),
                                   colour: getComputedStyle(s).backgroundColor,
                                   memo: Memo.colour(Number(s.dataset.value))}))""",
    )
    assert [s["index"] for s in spans] == list(range(len(data["text"])))
    values = np.array([s["value"] for s in spans])
    np.testing.assert_allclose(values[:29], expected, atol=1e-3)
    assert np.all(values[29:] == 0)  # later characters cannot influence output 28

    shown = spans[:29]
    highest = max(shown, key=lambda s: s["value"])
    lowest = min(shown, key=lambda s: s["value"])
    assert highest["value"] == pytest.approx(1) and lowest["value"] < 0.5
    assert highest["colour"] != lowest["colour"]
    assert all(s["colour"] == s["memo"] for s in shown), [(s["index"], s["colour"], s["memo"]) for s in shown]
    by_value: dict[float, set[str]] = {}
    for s in shown:
        by_value.setdefault(s["value"], set()).add(s["colour"])
    assert all(len(colours) == 1 for colours in by_value.values())
    loaded.assert_clean(mark)


def test_autocomplete_matches_onnxruntime_for_every_model(loaded: Loaded, reference: Reference) -> None:
    page, mark = loaded.page, loaded.mark()
    start(page, AUTOCOMPLETE, AC_BODY)
    keys = page.eval_on_selector_all(AUTOCOMPLETE + " .memo-model option", "os => os.map(o => o.value)")
    assert keys == [m["key"] for m in reference.manifest["models"]]
    texts = ["the history of the gr", "In 1961 The Pres", "she said that the "]
    for key, raw in zip(keys, texts, strict=True):
        check_autocomplete(loaded, reference, key, raw)
    loaded.assert_clean(mark)


def test_owntext_connectivity_matches_onnxruntime(loaded: Loaded, reference: Reference) -> None:
    page, mark = loaded.page, loaded.mark()
    start(page, OWNTEXT, OWN_BODY)
    raw = "The man went to the house of his father"
    before = updates(page, OWN_BODY)
    replace_text(page, OWNTEXT, raw)
    wait_updated(page, OWN_BODY, before)
    text = prepare(raw, keep_trailing_space=False)
    check_owntext(loaded, reference, text)  # the last character by default

    space = text.index(" ", 10)  # a space: the figure explains the word after it
    before = updates(page, OWN_BODY)
    page.locator(f"{OWNTEXT} .memo-panel[data-model=gru] span.memo-char[data-index='{space}']").hover()
    wait_updated(page, OWN_BODY, before)
    check_owntext(loaded, reference, text, space)
    loaded.assert_clean(mark)


def test_served_pages_are_isolated_and_run_on_several_threads(loaded: Loaded) -> None:
    """`make serve` (build/serve.py) sends the cross-origin isolation headers: the models run on up to four
    WASM threads there, and on one from disk; the live figures work either way (the tests around)."""
    page, mark = loaded.page, loaded.mark()
    start(page, AUTOCOMPLETE, AC_BODY)
    isolated, threads, cores, runtime = page.evaluate(
        "() => [crossOriginIsolated, Memo.runtimeThreads(), navigator.hardwareConcurrency,"
        " Memo.ort.env.wasm.numThreads]"
    )
    assert isolated == (loaded.mode == "http")
    assert threads == runtime == (min(4, cores) if isolated else 1)
    loaded.assert_clean(mark)


def test_the_isolation_headers_are_on_every_file(http_origin: str, tiny_site: Path) -> None:
    for path in ("index.html", "vendor/ort.wasm.min.js", "models/gru/weights.web.bin"):
        with urllib.request.urlopen(f"{http_origin}/{path}") as response:
            assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin", path
            assert response.headers["Cross-Origin-Embedder-Policy"] == "require-corp", path
            assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin", path


# In the page: every connectivity run delayed by `delay` ms and counted by its text's length; the owntext
# figure's progress line recorded whenever it changes.
SLOW_RUNS = """delay => {
    window.__runs = [];
    window.__progress = [];
    const run = window.__plainRun = Memo.run;
    Memo.run = (session, feeds) => {
        if (feeds.position) window.__runs.push(Number(feeds.chars.dims[0]));
        return new Promise(resolve => setTimeout(resolve, delay)).then(() => run(session, feeds));
    };
    const status = document.querySelector("figure[data-figure=owntext] .memo-status");
    const progress = status.querySelector("progress");
    new MutationObserver(() => window.__progress.push(
        {shown: !progress.hidden, value: progress.value, text: status.textContent}
    )).observe(status, {attributes: true, childList: true, subtree: true, characterData: true});
}"""


def test_owntext_shows_progress_and_drops_runs_the_reader_moved_past(
    loaded: Loaded, reference: Reference
) -> None:
    """A long job shows a progress bar of the models done before its first run; typing again drops the
    runs of the old text not started yet, and the panels show the new text's connectivity."""
    page, mark = loaded.page, loaded.mark()
    start(page, OWNTEXT, OWN_BODY)
    models = reference.manifest["models"]
    page.evaluate("() => { Memo.PROGRESS_MS = 0; }")  # every job counts as long (tiny models are fast)
    page.evaluate(SLOW_RUNS, 400)
    try:
        long_text = ("the children walked to the old school by the river " * 20)[:999]
        before = updates(page, OWN_BODY)
        replace_text(page, OWNTEXT, long_text, keyboard=False)
        page.wait_for_function("() => window.__runs.length >= 1")
        replace_text(page, OWNTEXT, "after all that the", keyboard=False)  # while the first model runs
        wait_updated(page, OWN_BODY, before)
        runs = page.evaluate("window.__runs")
        new_length = len(prepare("after all that the", False))
        assert runs[0] == len(prepare(long_text, False))
        assert runs[1:] == [new_length] * len(models), runs  # the old text's other models never ran
        progress = page.evaluate("window.__progress")
        shown = [p for p in progress if p["shown"]]
        assert shown and "(1 of " in shown[0]["text"] and "characters)" in shown[0]["text"], progress
        assert not progress[-1]["shown"]  # gone once every model is done
        check_owntext(loaded, reference, prepare("after all that the", False))
    finally:
        page.evaluate("() => { Memo.run = window.__plainRun; Memo.PROGRESS_MS = 200; }")
    loaded.assert_clean(mark)


HOSTILE = [
    "<script>window.__pwned=1</script>",
    "<img src=x onerror=window.__pwned=1>",
    "abc def " * 1250,  # 10,000 characters, every one readable: only the cut is noted
    "hello 😀 world 🎉 👩‍👩‍👧",
    "",
]

WATCH = """selector => {
    // elements the reader's text could smuggle in, added inside the figure or anywhere outside <head>
    window.__added = [];
    const risky = /^(SCRIPT|IMG|IFRAME|OBJECT|EMBED|LINK|STYLE|FORM|VIDEO|AUDIO|IMAGE|FOREIGNOBJECT)$/i;
    const figure = document.querySelector(selector);
    new MutationObserver(records => records.forEach(r => r.addedNodes.forEach(n => {
        if (n.nodeType !== 1) return;
        const inFigure = figure.contains(r.target);
        [n, ...n.querySelectorAll("*")]
            .filter(e => inFigure ? risky.test(e.tagName) || e.tagName.toUpperCase() === "SVG"
                                  : risky.test(e.tagName) && r.target !== document.head)
            .forEach(e => window.__added.push(e.outerHTML.slice(0, 120)));
    }))).observe(document.documentElement, {childList: true, subtree: true});
}"""


@pytest.mark.parametrize("figure", ["autocomplete", "owntext"])
def test_hostile_input_does_nothing(loaded: Loaded, reference: Reference, figure: str) -> None:
    page, mark = loaded.page, loaded.mark()
    selector, body = (AUTOCOMPLETE, AC_BODY) if figure == "autocomplete" else (OWNTEXT, OWN_BODY)
    start(page, selector, body)
    page.evaluate(WATCH, selector)
    for raw in HOSTILE:
        before = updates(page, body)
        replace_text(page, selector, raw, keyboard=False)
        wait_updated(page, body, before)
        what = f"{loaded.mode} {figure} {raw[:40]!r}"
        assert page.evaluate("typeof window.__pwned") == "undefined", what
        assert page.evaluate("window.__added") == [], what
        inner = page.eval_on_selector(selector, "f => f.innerHTML")
        assert "<script" not in inner and "<img" not in inner, what
        note = page.locator(selector + " .memo-note")
        noted = note.count() == 1 and note.is_visible() and note.inner_text().strip() != ""
        dropped = any(not (c.isascii() and (c.isalnum() or c.isspace())) for c in raw)
        cut = len(prepare(raw, figure == "autocomplete")) == MAX_TEXT and len(" " + normalise(raw)) > MAX_TEXT
        assert noted == (dropped or cut), f"{what}: .memo-note visible={noted}, dropped={dropped}, cut={cut}"
        if cut:
            assert str(MAX_TEXT) in note.inner_text().replace(",", ""), what
        if figure == "owntext":
            for model in reference.manifest["models"]:
                panel = f"{OWNTEXT} .memo-panel[data-model={model['key']}]"
                count = page.locator(panel + " span.memo-char").count()
                assert count == len(prepare(raw, False)) <= MAX_TEXT, f"{what}: {count} characters drawn"
    loaded.assert_clean(mark)
    # and the figure still works
    if figure == "autocomplete":
        key = reference.manifest["models"][0]["key"]
        check_autocomplete(loaded, reference, key, "after all that the", keyboard=False)
    else:
        before = updates(page, body)
        replace_text(page, OWNTEXT, "after all that the", keyboard=False)
        wait_updated(page, body, before)
        check_owntext(loaded, reference, prepare("after all that the", False))
    loaded.assert_clean(mark)


def test_screenshots_and_no_horizontal_scroll_on_a_phone(loaded: Loaded) -> None:
    page, mark = loaded.page, loaded.mark()
    start(page, AUTOCOMPLETE, AC_BODY)
    start(page, OWNTEXT, OWN_BODY)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900})
            page.evaluate("window.scrollTo(0, 0)")
            path = ARTIFACTS / f"page-{loaded.mode}-{width}.png"
            page.screenshot(path=str(path), full_page=True)
            print(f"screenshot: {path}")
            assert path.stat().st_size > 10_000
            if width == 375:
                scroll = page.evaluate("document.documentElement.scrollWidth")
                wide = page.evaluate(
                    """() => [...document.querySelectorAll('body *')]
                        .filter(e => e.getBoundingClientRect().right > 376)
                        .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
                )
                assert scroll <= 375 + 1, f"{loaded.mode}: scrollWidth {scroll} at 375 px; too wide: {wide}"
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
    loaded.assert_clean(mark)


def test_keyboard_reaches_the_figures_and_arrows_move_the_selection(loaded: Loaded) -> None:
    page, mark = loaded.page, loaded.mark()
    page.evaluate("window.scrollTo(0, 0); document.activeElement && document.activeElement.blur()")
    where = """() => {
        const e = document.activeElement;
        if (!e || e === document.body) return "body";
        if (e.matches("figure[data-figure=autocomplete] .memo-input")) return "autocomplete";
        if (e.closest("#passage-grammar") && e.querySelector(".memo-char")) return "passage";
        return e.tagName + "." + e.className;
    }"""
    reached: list[str] = []
    arrows = None
    for _ in range(400):
        page.keyboard.press("Tab")
        here = page.evaluate(where)
        reached.append(here)
        if here == "passage" and arrows is None:
            first = int(page.get_attribute(PASSAGE, "data-selected"))
            page.keyboard.press("ArrowRight")
            right = int(page.get_attribute(PASSAGE, "data-selected"))
            page.keyboard.press("ArrowLeft")
            page.keyboard.press("ArrowLeft")
            left = int(page.get_attribute(PASSAGE, "data-selected"))
            arrows = (first, right, left)
        if "autocomplete" in reached and arrows is not None:
            break
    assert "passage" in reached, f"Tab never reached the passage text: {reached}"
    assert "autocomplete" in reached, f"Tab never reached the autocomplete input: {reached}"
    first, right, left = arrows
    assert (right, left) == (first + 1, first - 1), arrows
    loaded.assert_clean(mark)


# --- the passage figure's training steps --------------------------------------------------------------

STEP_SELECT = f"{PASSAGE} select.memo-step"
SHADING = """f => Object.fromEntries(Array.from(document.querySelectorAll(f + ' .memo-panel[data-model]'))
    .map(p => [p.dataset.model,
               Array.from(p.querySelectorAll('span.memo-char')).map(s => Number(s.dataset.value))]))"""
TOP3 = """f => Array.from(document.querySelectorAll(f + ' .memo-panel[data-model=gru] ol.memo-top3 li'))
    .map(li => li.dataset.word)"""


@pytest.mark.parametrize("mode", ["http", "file"])
def test_the_training_step_loads_its_file_on_demand_and_travels_in_the_link(
    chromium, tiny_site: Path, http_origin: str, mode: str
) -> None:
    manifest = json.loads((tiny_site / "data" / "manifest.json").read_text())
    steps = next(p for p in manifest["passages"] if p["id"] == "grammar")["steps"]
    data = json.loads((tiny_site / steps["file"]).read_text())
    step = str(steps["steps"][0])
    url = f"{http_origin}/index.html" if mode == "http" else (tiny_site / "index.html").as_uri()

    def step_files(log: PageLog) -> list[str]:
        return [u for u in log.requests if ".steps.json" in u]

    with open_page(chromium, url) as (page, log):
        page.wait_for_selector(f"{PASSAGE} .figure-body[data-state=ready]")
        page.wait_for_load_state("networkidle")
        assert step_files(log) == []  # the first view loads no training steps
        assert page.get_attribute(PASSAGE, "data-step") == "final"
        assert page.get_attribute(STEP_SELECT, "aria-label") == "Training step"
        options = page.eval_on_selector_all(
            f"{STEP_SELECT} option", "os => os.map(o => [o.value, o.textContent])"
        )
        assert options == [[str(s), f"step {s}"] for s in steps["steps"]] + [
            ["final", f"final (step {steps['final']})"]
        ]
        page.click(f"{PASSAGE} .memo-highlight[data-position='34']")
        final_shading, final_top = page.evaluate(SHADING, PASSAGE), page.evaluate(TOP3, PASSAGE)

        page.select_option(STEP_SELECT, step)
        page.wait_for_selector(f'{PASSAGE}[data-step="{step}"]')
        assert page.get_attribute(PASSAGE, "data-selected") == "34"
        shading = page.evaluate(SHADING, PASSAGE)
        ours = [key for key in shading if not key.startswith("published-")]
        assert ours and any(shading[key] != final_shading[key] for key in ours)
        assert all(shading[key] == final_shading[key] for key in shading if key not in ours)
        for key in ours:  # each panel shows the steps file's row of that step
            row = decode_lower_triangle(data["models"][key][step]["connectivity"])[34][:35]
            np.testing.assert_allclose(shading[key][:35], row / row.max(), atol=1e-3)
        words = json.loads((tiny_site / "data" / "vocab.json").read_text())
        assert page.evaluate(TOP3, PASSAGE) == [words[i] for i in data["models"]["gru"][step]["top_ids"][34]]
        page.wait_for_function(f"location.hash.indexOf('step={step}') >= 0")
        link = page.evaluate("location.href")
        assert "#passage-grammar?" in link and "position=34" in link, link

        page.select_option(STEP_SELECT, str(steps["steps"][-1]))  # from memory: no second load
        page.wait_for_selector(f'{PASSAGE}[data-step="{steps["steps"][-1]}"]')
        page.focus(STEP_SELECT)
        page.keyboard.press("ArrowDown")  # the keyboard reaches the control: the final model, after the last
        page.wait_for_selector(f'{PASSAGE}[data-step="final"]')
        assert page.evaluate(SHADING, PASSAGE) == final_shading and page.evaluate(TOP3, PASSAGE) == final_top
        page.wait_for_function("location.hash.indexOf('step=') < 0")
        assert len(step_files(log)) == 1, step_files(log)
        assert not log.problems(), log.problems()

    with open_page(chromium, link) as (page, log):  # the link restores the step and the position
        page.wait_for_selector(f'{PASSAGE}[data-step="{step}"]')
        assert page.get_attribute(PASSAGE, "data-selected") == "34"
        assert page.input_value(STEP_SELECT) == step
        assert page.evaluate(SHADING, PASSAGE) == shading
        assert not log.problems(), log.problems()
