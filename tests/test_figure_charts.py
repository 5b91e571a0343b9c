"""The chart figures in Chromium (the tiny site): the time axis ticks at round durations, the distance
panels draw every point with plain tick labels and an axis title clear of them at a phone's width, no
hover guide shows before a hover, and the autocomplete's bars are absolute like the passage's."""

from __future__ import annotations

import re
from pathlib import Path

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
        for chart in charts[1:]:  # the distance panels: 101 points a model, all inside the plot
            top, bottom = chart["box"]
            for d in chart["series"]:
                points = _points(d)
                assert len(points) == 101, (scale, len(points))
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
