"""Links to a figure's state in Chromium (the tiny site): Copy link carries every control the figure
shows (each toggle's pressed state and each choice), so the link reopens the figure as it was; a linked
figure is where the page lands once the figures above it have their final size, over http and from
disk; and a fragment set after the page loaded (an in-page link with state) is honoured."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import open_page, serve

PRESSED = """f => Array.from(document.getElementById(f).querySelectorAll(
    '.figure-body button[aria-pressed], .figure-body select'))
    .map(b => (b.getAttribute('data-model') || b.getAttribute('data-value') || b.getAttribute('data-k') ||
               b.getAttribute('data-series') || b.getAttribute('data-scale') || b.textContent.trim()) + '=' +
              (b.tagName === 'SELECT' ? b.value : b.getAttribute('aria-pressed')))"""

# what a reader changes in each figure: buttons clicked in turn
CHANGES = {
    "accuracy": [
        '#accuracy button[data-model="lstm"]',
        '#accuracy button[data-k="top2"]',
        '#accuracy button[data-series="baseline"]',
        '#accuracy button[data-value="original"]',
    ],
    "lookback": ['#lookback button[data-model="gru"]', '#lookback button[data-value="linear"]'],
    "skill": ['#skill button[data-model="lstm"]'],
    "curves": [
        '#curves button[data-model="nlstm"]',
        "#curves .memo-train-toggle",
        '#curves button[data-value="seconds"]',
        "#curves .memo-published-toggle",
    ],
    "vanishing": ['#vanishing button[aria-label$=" 1.5"]', '#vanishing button[data-scale="logarithmic"]'],
}


@pytest.mark.parametrize("anchor", list(CHANGES))
def test_copy_link_carries_every_state_the_figure_shows(chromium, tiny_site: Path, anchor: str) -> None:
    url = (tiny_site / "index.html").as_uri()
    with open_page(chromium, url) as (page, log):
        page.wait_for_selector(f"#{anchor} .figure-body[data-state=ready]")
        default = page.evaluate(PRESSED, anchor)
        for selector in CHANGES[anchor]:
            page.click(selector)
        changed = page.evaluate(PRESSED, anchor)
        assert changed != default
        page.click(f"#{anchor} .memo-copy-link")
        link = page.input_value(f"#{anchor} .memo-link-field")
        assert not log.problems(), log.problems()
    with open_page(chromium, link) as (page, log):
        page.wait_for_selector(f"#{anchor} .figure-body[data-state=ready]")
        assert page.evaluate(PRESSED, anchor) == changed, link
        assert not log.problems(), log.problems()


SETTLED = """() => Array.from(document.querySelectorAll('figure[data-figure] > .figure-body'))
    .every(b => ['ready', 'error'].includes(b.dataset.state) || b.closest('figure').matches(
        '[data-figure=autocomplete], [data-figure=owntext]'))"""


def _lands_on(page, anchor: str) -> float:
    """Where figure `anchor`'s top is in the window once every figure has drawn (and a moment more)."""
    page.wait_for_function(SETTLED, timeout=60_000)
    page.wait_for_timeout(1500)
    return page.evaluate(f"document.getElementById('{anchor}').getBoundingClientRect().top")


@pytest.mark.parametrize("mode", ["http", "file"])
@pytest.mark.parametrize("fragment", ["lookback", "lookback?scale=linear", "accuracy?counting=original"])
def test_a_linked_figure_is_where_the_page_lands_once_it_has_drawn(
    chromium, tiny_site: Path, mode: str, fragment: str
) -> None:
    anchor = fragment.split("?")[0]

    def visit(url: str) -> None:
        with open_page(chromium, url, width=1280, height=800) as (page, log):
            top = _lands_on(page, anchor)
            assert -2 <= top <= 40, (url, top)
            assert not log.problems(), log.problems()

    if mode == "file":
        visit((tiny_site / "index.html").as_uri() + "#" + fragment)
    else:
        with serve(tiny_site) as origin:
            visit(f"{origin}/index.html#{fragment}")


def test_a_fragment_set_after_load_is_honoured(chromium, tiny_site: Path) -> None:
    with open_page(chromium, (tiny_site / "index.html").as_uri()) as (page, log):
        page.wait_for_function(SETTLED, timeout=60_000)
        assert page.get_attribute('#accuracy button[data-value="original"]', "aria-pressed") == "false"
        page.evaluate("location.hash = 'accuracy?counting=original&models=gru'")
        page.wait_for_selector('#accuracy button[data-value="original"][aria-pressed="true"]')
        assert page.get_attribute('#accuracy button[data-model="lstm"]', "aria-pressed") == "false"
        assert -2 <= _lands_on(page, "accuracy") <= 40
        page.evaluate("location.hash = 'lookback?scale=linear'")
        page.wait_for_selector('#lookback .figure-body[data-scale="linear"]')
        assert -2 <= _lands_on(page, "lookback") <= 40
        assert not log.problems(), log.problems()
