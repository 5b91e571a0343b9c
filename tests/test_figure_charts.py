"""The chart figures in Chromium (the tiny site): the time axis ticks at round durations, the distance
panels draw every point with plain tick labels and an axis title clear of them at a phone's width, no
hover guide shows before a hover, and the autocomplete's bars are absolute like the passage's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.browser import open_page

NUMBER = r"-?\d+(?:\.\d+)?"
ROUND = {0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800}


@pytest.fixture(scope="module", params=[1280, 375], ids=["1280px", "375px"])
def page(request, chromium, tiny_site: Path):
    with open_page(chromium, (tiny_site / "index.html").as_uri(), width=request.param) as (opened, log):
        opened.wait_for_selector("#lookback .figure-body[data-state=ready]")
        opened.wait_for_selector("#curves .figure-body[data-state=ready]")
        yield opened
        assert not log.problems(), log.problems()


def test_a_time_axis_ticks_at_round_durations(page) -> None:
    ticks = page.evaluate("[Memo.timeTicks(10, 10000, 6, true), Memo.timeTicks(0, 300, 6, false)]")
    assert ticks == [[10, 60, 600, 3600], [0, 60, 120, 180, 240, 300]]
    labels = page.evaluate("[10, 60, 150, 600, 3600, 0.5].map(Memo.formatDuration)")
    assert labels == ["10 s", "1 min", "2.5 min", "10 min", "1 h", "0.5 s"]
    page.click('#curves button[data-value="seconds"]')
    for scale in ("log", "linear"):
        page.click(f'#curves button[data-value="{scale}"]')
        shown = page.eval_on_selector_all(
            "#curves .memo-axis text:not(.memo-axis-title)", "ts => ts.map(t => t.textContent)"
        )
        unit = {"s": 1, "min": 60, "h": 3600}
        times = [
            float(v) * unit[u]
            for v, u in (s.split() for s in shown if re.fullmatch(rf"{NUMBER} (s|min|h)", s))
        ]
        assert len(times) >= 2, shown
        if scale == "log":  # 1 s, 10 s, 1 min, 10 min, 1 h...: never 100 s ("1.7 min") or 10,000 s ("2.8 h")
            assert all(round(t, 6) in ROUND for t in times), (scale, shown)
        else:  # multiples of one round step
            steps = {round(b - a, 6) for a, b in zip(times, times[1:], strict=False)}
            assert len(steps) == 1 and steps <= ROUND, (scale, shown)
    page.click('#curves button[data-value="step"]')


def _points(d: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(rf"[ML]({NUMBER}),({NUMBER})", d)]


def test_the_distance_panels_draw_every_point_with_plain_tick_labels(page) -> None:
    for scale in ("log", "linear"):
        page.click(f'#lookback button[data-value="{scale}"]')
        charts = page.eval_on_selector_all(
            "#lookback .memo-chart",
            """cs => cs.map(c => ({
                series: Array.from(c.querySelectorAll('path[data-series]')).map(p => p.getAttribute('d')),
                box: (function (l) { return [+l.getAttribute('y1'), +l.getAttribute('y2')]; })(
                    c.querySelector('.memo-axis > line:last-of-type')),
                ticks: Array.from(c.querySelectorAll('.memo-axis text:not(.memo-axis-title)'))
                    .map(t => t.textContent),
            }))""",
        )
        assert len(charts) == 3
        # the distance panels: every value a model has, all inside the plot (a log axis cannot place a
        # value that underflowed to 0: a GRU's row can reach 0 at the longest distances once subnormal
        # floats are flushed)
        results = json.loads((Path(urlparse(page.url).path).parent / "data" / "results.json").read_text())
        for chart, group in zip(charts[1:], ("0", "3+"), strict=True):
            curves = [m["test"]["context"]["by_distance"][group] for m in results["models"]]
            drawn = [[v for v in c if v is not None and (scale == "linear" or v > 0)] for c in curves]
            expected = sorted(len(values) for values in drawn)
            assert sorted(len(_points(d)) for d in chart["series"]) == expected, (scale, group)
            top, bottom = chart["box"]
            for d in chart["series"]:
                points = _points(d)
                assert all(top - 1 <= y <= bottom + 1 for _, y in points), (scale, d[:200])
            labels = [t for t in chart["ticks"] if t.endswith("%")]
            assert labels, chart["ticks"]
            for label in labels:  # "1%", "0.01%", "10⁻⁵%": no "10.0%" or "1.00%"
                assert not re.search(r"\.\d*0%$", label), (scale, labels)


def test_the_y_axis_title_clears_its_tick_labels(page) -> None:
    overlaps = page.evaluate(
        """() => Array.from(document.querySelectorAll('.memo-chart svg')).map(svg => {
            const title = Array.from(svg.querySelectorAll('.memo-axis-title'))
                .find(t => (t.getAttribute('transform') || '').includes('rotate'));
            if (!title) return [];
            const a = title.getBoundingClientRect();
            return Array.from(svg.querySelectorAll('.memo-axis text[text-anchor=end]'))
                .filter(t => { const b = t.getBoundingClientRect();
                    return b.left < a.right && a.left < b.right && b.top < a.bottom && a.top < b.bottom; })
                .map(t => t.textContent);
        }).flat()"""
    )
    assert overlaps == []


def test_no_hover_guide_shows_before_a_hover(page) -> None:
    visible = page.eval_on_selector_all(
        ".memo-guide", "gs => gs.filter(g => getComputedStyle(g).visibility !== 'hidden').length"
    )
    assert visible == 0
    chart = page.locator("#lookback .memo-chart svg").first
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.4)
    shown = page.eval_on_selector_all(
        "#lookback .memo-guide", "gs => gs.filter(g => getComputedStyle(g).visibility !== 'hidden').length"
    )
    assert shown == 1
    page.mouse.move(0, 0)


def test_the_autocomplete_bars_are_absolute_like_the_passages(page) -> None:
    """A suggestion's bar fills its track by its probability (20% a fifth), not by its share of the top
    suggestion's, as the passage's top three do."""
    page.locator("#autocomplete").scroll_into_view_if_needed()
    page.wait_for_selector(
        "#autocomplete .figure-body[data-state=ready] li[data-probability]", timeout=60_000
    )
    for selector in (
        "#autocomplete li[data-probability]",
        "#passage-grammar ol.memo-top3 li[data-probability]",
    ):
        bars = page.eval_on_selector_all(
            selector,
            """ls => ls.map(l => {
                const bar = l.querySelector('.memo-bar'), fill = bar.firstElementChild;
                return [+l.dataset.probability, fill.getBoundingClientRect().width / bar.clientWidth];
            })""",
        )
        assert bars, selector
        for probability, filled in bars:
            assert abs(filled - probability) < 0.02, (selector, bars)


def test_the_autocomplete_snapshot_draws_absolute_bars(tiny_site: Path) -> None:
    from xml.etree import ElementTree

    root = ElementTree.parse(tiny_site / "snapshots" / "autocomplete.svg").getroot()
    svg = "{http://www.w3.org/2000/svg}"
    shown = [
        float(t.text.rstrip("%")) / 100
        for t in root.iter(f"{svg}text")
        if re.fullmatch(r"[\d.]+%", t.text or "")
    ]
    fills = [
        float(r.get("width"))
        for r in root.iter(f"{svg}rect")
        if r.get("x") == "140" and r.get("fill") != "#dddddd"
    ]
    assert len(shown) == len(fills) == 5
    for probability, width in zip(shown, fills, strict=True):
        assert abs(width / 300 - probability) < 0.002, (shown, fills)
