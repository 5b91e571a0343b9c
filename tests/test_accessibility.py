"""Accessibility held by a real checker: axe-core (the npm package, pinned in package.json, injected into
the page from node_modules, never from a CDN) finds no violation of the WCAG 2 A/AA rules or of its
best-practice rules on the built page, opened from disk in Debian's Chromium, in the light and the dark
colour scheme, 1280 and 375 px wide, with every figure scrolled into view and after text was typed into
both live figures. And every data figure says in words, with its numbers, what it shows.

The site is the tiny profile's (conftest.py `tiny_site`); MEMORIZATION_A11Y_SITE=path/to/site checks a
site already built instead (e.g. `make article` -> site/). axe's full results go to
$MEMORIZATION_ARTIFACTS (default /tmp/memorization-artifacts).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from build import profiles
from build.render.context import share_before_word
from build.run_files import decode_lower_triangle
from tests.browser import (
    ARTIFACTS,
    PageLog,
    open_page,
    replace_text,
    save_json,
    start,
    updates,
    wait_updated,
)

AXE = profiles.ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_VERSION = json.loads((profiles.ROOT / "package.json").read_text())["devDependencies"]["axe-core"]
# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
# Rules switched off, each with the reason (none: every rule of TAGS applies).
EXCEPTIONS: dict[str, str] = {}

AUTOCOMPLETE = "figure[data-figure=autocomplete]"
OWNTEXT = "figure[data-figure=owntext]"
HERO = "figure[data-figure=hero]"
PASSAGE = "#passage-grammar"

# preload: false: axe would fetch the stylesheets (XMLHttpRequest, refused on file://, a console error)
# for its one CSSOM rule, css-orientation-lock, which is experimental and not among TAGS.
RUN_AXE = """async ([tags, off]) => {
    const rules = Object.fromEntries(off.map(id => [id, {enabled: false}]));
    const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, rules, preload: false,
                                       resultTypes: ["violations", "incomplete"]});
    const brief = list => list.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 200),
                                  summary: n.failureSummary}))}));
    return {version: axe.version, violations: brief(r.violations), incomplete: brief(r.incomplete),
            passes: r.passes.map(p => p.id), inapplicable: r.inapplicable.map(p => p.id)};
}"""


@pytest.fixture(scope="module")
def site(request) -> Path:
    """MEMORIZATION_A11Y_SITE when set (a built site), else the tiny profile's site built for the tests."""
    given = os.environ.get("MEMORIZATION_A11Y_SITE")
    if not given:
        return request.getfixturevalue("tiny_site")
    path = Path(given).resolve()
    if not (path / "index.html").is_file():
        pytest.fail(f"MEMORIZATION_A11Y_SITE={given}: {path / 'index.html'} does not exist (build it first)")
    return path


@contextlib.contextmanager
def opened(chromium, site: Path, scheme: str, width: int) -> Iterator[tuple[object, PageLog]]:
    """The page from disk in a fresh context: colour scheme and viewport as given."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` (axe-core is a dev dependency in package.json)")
    with open_page(chromium, (site / "index.html").as_uri(), width=width, color_scheme=scheme) as (page, log):
        page.wait_for_selector(f"{PASSAGE}[data-selected]")
        yield page, log


def show_every_figure(page) -> list[str]:
    """Scroll each figure into view and wait until it is drawn; -> the figure ids."""
    ids = page.eval_on_selector_all("figure[data-figure]", "fs => fs.map(f => f.id)")
    assert len(ids) >= 8, f"the page has only {len(ids)} figures: {ids}"
    for figure_id in ids:
        figure = f"#{figure_id}"
        body = figure + " .figure-body"
        page.locator(figure).scroll_into_view_if_needed()
        if page.get_attribute(figure, "data-figure") in ("autocomplete", "owntext"):
            start(page, figure, body)
        else:
            page.wait_for_function(
                "b => ['ready', 'error'].includes(document.querySelector(b).getAttribute('data-state'))",
                arg=body,
            )
        state = page.get_attribute(body, "data-state")
        assert state == "ready", f"{figure}: data-state={state}"
    return ids


TYPED = ((AUTOCOMPLETE, "the history of the gr"), (OWNTEXT, "The man went to the house of his"))


def type_into_live_figures(page) -> None:
    for figure, text in TYPED:
        body = figure + " .figure-body"
        before = updates(page, body)
        replace_text(page, figure, text)
        wait_updated(page, body, before)


# axe leaves some text's contrast to a person: single characters ("too short to determine"), SVG text
# ("contains an image node"), text near other boxes ("partially overlaps"). The connectivity shading puts
# text on dozens of backgrounds, so the contrast of those (GLYPHS, and every node axe left undecided) is
# computed here: WCAG 2 contrast of the text's colour (CSS color, or fill in SVG) against the first
# opaque background behind it (its own or an ancestor's); -> how many were checked, those under 4.5:1.
LOW_CONTRAST = """selectors => {
    const parse = c => {
        const m = c.match(/[\\d.]+/g).map(Number);
        return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1];
    };
    const lum = ([r, g, b]) => [r, g, b]
        .map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
        .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    const behind = e => {
        for (; e; e = e.parentElement) {
            const c = parse(getComputedStyle(e).backgroundColor);
            if (c[3] >= 1) return c;
        }
        return [255, 255, 255, 1];
    };
    const out = [];
    let checked = 0;
    for (const e of new Set(selectors.flatMap(s => [...document.querySelectorAll(s)]))) {
        if (!e.textContent.trim() || !e.getClientRects().length) continue;
        const style = getComputedStyle(e);
        const back = behind(e);
        let fore = parse(e instanceof SVGElement ? style.fill : style.color);
        const a = fore[3] * Number(style.opacity);
        fore = [0, 1, 2].map(i => fore[i] * a + back[i] * (1 - a));
        const [l1, l2] = [lum(fore), lum(back)].sort((x, y) => y - x);
        const ratio = (l1 + 0.05) / (l2 + 0.05);
        checked++;
        if (ratio < 4.5) out.push({text: e.textContent.slice(0, 20), ratio: Math.round(ratio * 100) / 100,
                                   colour: style.color, fill: style.fill, background: String(back),
                                   where: e.closest("figure") ? e.closest("figure").id : e.tagName});
    }
    return {checked, low: out};
}"""
GLYPHS = ".memo-char, .memo-cell, .memo-segment, .memo-chart svg text, .memo-vanishing svg text"


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}, {len(v['nodes'])} node(s)")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['html'][:120]}")
            lines.append("      " + (node["summary"] or "").replace("\n", "\n      "))
    return "\n".join(lines)


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_violation(chromium, site: Path, scheme: str, width: int) -> None:
    with opened(chromium, site, scheme, width) as (page, log):
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
        show_every_figure(page)
        type_into_live_figures(page)
        page.evaluate("window.scrollTo(0, 0)")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(RUN_AXE, [TAGS, sorted(EXCEPTIONS)])
        left = [v for v in result["incomplete"] if v["id"] == "color-contrast"]
        undecided = [node["target"] for v in left for node in v["nodes"]]
        contrast = page.evaluate(LOW_CONTRAST, [GLYPHS, *undecided])
        problems = log.problems()
    save_json(ARTIFACTS / f"axe-{site.parent.name}-{scheme}-{width}.json", result)
    print(
        f"axe {result['version']} {scheme} {width}px: {len(result['violations'])} violations, "
        f"{len(result['passes'])} rules passed, incomplete: {[v['id'] for v in result['incomplete']]}; "
        f"contrast computed for {contrast['checked']} texts, {len(contrast['low'])} under 4.5:1"
    )
    assert result["version"] == AXE_VERSION
    # The checker really looked: the rules this page once failed ran, colour contrast among them.
    ran = set(result["passes"]) | {v["id"] for v in result["incomplete"] + result["violations"]}
    assert {"color-contrast", "heading-order", "region", "scrollable-region-focusable"} <= ran, ran
    assert not result["violations"], f"{scheme} {width}px:\n{describe(result['violations'])}"
    assert contrast["checked"] > 500, contrast  # the passages' characters were there to check
    assert not contrast["low"], f"{scheme} {width}px: text under 4.5:1: {contrast['low'][:10]}"
    assert not problems, problems


def js_percent(share: float) -> str:
    """passage.js `percent`: no decimals from 10% up, one below."""
    value = share * 100
    return f"{value:.0f}%" if value >= 10 else f"{value:.1f}%"


def test_every_data_figure_says_what_it_shows_in_numbers(chromium, site: Path) -> None:
    with opened(chromium, site, "light", 1280) as (page, log):
        show_every_figure(page)
        type_into_live_figures(page)

        # The hero: position, target and the share of connectivity before the word, from the data, and
        # again after the reader picks another position.
        hero_passage = page.get_attribute(HERO, "data-passage")
        data = json.loads((site / "data" / "passages" / f"{hero_passage}.json").read_text())
        vocab = json.loads((site / "data" / "vocab.json").read_text())
        text = data["text"]
        rows = decode_lower_triangle(data["models"]["gru"]["connectivity"])
        box = page.locator(f"{HERO} .memo-text")
        summary_id = box.get_attribute("aria-describedby")
        assert summary_id, "the hero's text names no description (aria-describedby)"
        summary = page.locator(f"#{summary_id}")
        assert summary.evaluate("e => e.closest('figure').dataset.figure") == "hero"
        hero_links = [
            int(b)
            for b in page.eval_on_selector_all(
                f"{HERO} .memo-highlight", "bs => bs.map(b => b.dataset.position)"
            )
        ]
        assert len(hero_links) >= 2, hero_links
        for index in hero_links[::-1]:
            page.click(f"{HERO} .memo-highlight[data-position='{index}']")
            assert page.get_attribute(HERO, "data-selected") == str(index)
            start = text.rfind(" ", 0, index + 1)
            word = data["targets"][index]
            target = vocab[word] if word >= 0 else text[start + 1 :].split(" ")[0]  # passage.js ourPanel
            share = share_before_word(text, rows[index][: index + 1], index)
            said = summary.text_content()
            assert f"output at index {index} " in said, said
            assert f"target “{target}”" in said, said
            before = f"{js_percent(share)} of the connectivity lies on the {start} characters before the word"
            assert before in said, (said, share)
            assert f"{js_percent(1 - share)} on the word itself" in said, said

        # Every other data figure: a name or description with numbers in it (its aria-label, its SVG's, or
        # a visually hidden summary).
        said = page.eval_on_selector_all(
            "figure[data-figure]",
            """fs => Object.fromEntries(fs.map(f => [f.dataset.figure + (f.id ? '#' + f.id : ''),
                [...f.querySelectorAll('[role=img][aria-label], .memo-summary')]
                    .map(e => e.getAttribute('aria-label') || e.textContent).join(' | ')]))""",
        )
        for name, words in said.items():
            if name.startswith("units"):
                continue  # diagrams of the equations, named by their titles: no data in them
            assert re.search(r"\d", words), f"{name}: no numbers in its text alternative: {words!r}"
            if name.split("#")[0] in ("hero", "passage", "accuracy", "autocomplete", "owntext"):  # shares
                assert re.search(r"\d(\.\d+)?%", words), f"{name}: no percentage in {words!r}"

        # The accuracy chart's description is the build's numbers.
        results = json.loads((site / "data" / "results.json").read_text())
        described = page.eval_on_selector(
            "figure[data-figure=accuracy] .memo-chart svg",
            "s => document.getElementById(s.getAttribute('aria-describedby')).textContent",
        )
        for model in results["models"]:
            first = model["test"]["accuracy_by_letters"]["top1"][0]
            assert f"{model['name']}, top-1: {100 * first:.1f}% at letters seen: 0" in described, described

        # The live figures follow the typing: each owntext panel describes the selected position, and the
        # autocomplete's output strip names the first suggestion with its probability.
        position = page.get_attribute(OWNTEXT + " .figure-body", "data-selected")
        own = page.eval_on_selector_all(f"{OWNTEXT} .memo-summary", "ss => ss.map(s => s.textContent)")
        assert own and all(f"output at index {position} " in s and "%" in s for s in own), own
        first = page.eval_on_selector(
            AUTOCOMPLETE + " ol.memo-suggestions > li",
            "li => ['.memo-word', '.memo-probability'].map(c => li.querySelector(c).textContent)",
        )
        strip = page.get_attribute(AUTOCOMPLETE + " .memo-strip", "aria-label")
        assert f"“{first[0]}”, {first[1]}" in strip, (strip, first)
        problems = log.problems()
    assert not problems, problems
