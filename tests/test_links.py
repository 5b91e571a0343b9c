"""Links to a figure's state, in Chromium on the tiny site: a fragment `#<anchor>?<parameters>` restores
the autocomplete, own-text, passage and hero figures and scrolls to them, the numbered ids of earlier
builds still land, a hostile fragment leaves each figure in its default state without an error, and the
address bar and "Copy link" follow what the reader does."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from tests.browser import PageLog, open_page, serve

AC = "#autocomplete"
OWN = "#owntext"
PASSAGE = "#passage-grammar"
HERO = "#hero"


@pytest.fixture
def visit(chromium, tiny_site: Path):
    """visit(fragment, mode="file") -> (page, log): the tiny site opened at index.html + fragment."""
    with contextlib.ExitStack() as opened:

        def open_at(fragment: str, mode: str = "file"):
            if mode == "file":
                origin, url = "file://", (tiny_site / "index.html").as_uri()
            else:
                origin = opened.enter_context(serve(tiny_site))
                url = origin + "/index.html"
            page, log = opened.enter_context(open_page(chromium, url + fragment, origin))
            page.wait_for_selector(f"{PASSAGE}[data-selected]")
            page.wait_for_selector(f"{HERO}[data-selected]")
            return page, log

        yield open_at


def updated(page, figure: str) -> None:
    """Wait until the live figure has shown a result."""
    page.wait_for_function(
        "f => Number(document.querySelector(f + ' .figure-body').getAttribute('data-updates')) > 0",
        arg=figure,
        timeout=60_000,
    )


def in_view(page, figure: str) -> bool:
    top = page.eval_on_selector(figure, "f => f.getBoundingClientRect().top")
    return -5 <= top <= 200


@pytest.mark.parametrize("mode", ["file", "http"])
def test_a_link_restores_the_autocomplete_and_scrolls_to_it(visit, mode: str) -> None:
    page, log = visit("#autocomplete?model=lstm&text=the+river", mode)
    updated(page, AC)
    assert page.input_value(f"{AC} .memo-input") == "the river"
    assert page.eval_on_selector(f"{AC} select.memo-model", "s => s.value") == "lstm"
    assert page.eval_on_selector_all(f"{AC} li[data-word]", "items => items.length") > 0
    assert in_view(page, AC), page.eval_on_selector(AC, "f => f.getBoundingClientRect().top")
    assert not log.problems(), log.problems()


def test_links_restore_the_own_text_passage_and_hero_figures(visit) -> None:
    page, log = visit("#owntext?text=The+cat+sat+on+the+mat&position=5")
    updated(page, OWN)
    assert page.input_value(f"{OWN} .memo-input") == "the cat sat on the mat"
    assert page.get_attribute(f"{OWN} .figure-body", "data-selected") == "5"
    assert in_view(page, OWN)
    page, log2 = visit("#passage-grammar?position=106")
    assert page.get_attribute(PASSAGE, "data-selected") == "106"
    page, log3 = visit("#figure-hero-1?position=34")  # the id earlier builds gave the hero
    assert page.get_attribute(HERO, "data-selected") == "34"
    assert not log.problems() + log2.problems() + log3.problems()


HOSTILE = [
    "#autocomplete?model=nope&text=the+river",  # no such model
    "#autocomplete?model=gru&text=%3Cscript%3Ealert(1)%3C%2Fscript%3E",  # outside the alphabet
    "#autocomplete?text=" + "a" * 100_000,  # 100 KB
    "#owntext?text=ab&position=99",  # past the end
    "#owntext?text=ab+cd&position=-1",
    "#owntext?text=caf%C3%A9&position=1",
    "#passage-grammar?position=99999",
    "#passage-grammar?position=1e3",
    "#hero?position=%00",
    "#%E0%A4%A",  # not even a fragment of this page's
]


@pytest.mark.parametrize("fragment", HOSTILE, ids=lambda f: f[:40])
def test_a_hostile_link_leaves_every_figure_in_its_default_state(visit, fragment: str) -> None:
    page, log = visit(fragment)
    time.sleep(0.3)
    assert page.input_value(f"{AC} .memo-input") == page.get_attribute(AC, "data-text")
    first = page.eval_on_selector(f"{AC} select.memo-model", "s => s.options[0].value")
    model = page.get_attribute(AC, "data-model") or first
    assert page.eval_on_selector(f"{AC} select.memo-model", "s => s.value") == model
    assert page.input_value(f"{OWN} .memo-input") == page.get_attribute(OWN, "data-text")
    assert page.get_attribute(PASSAGE, "data-selected") == page.get_attribute(PASSAGE, "data-position")
    hero_first = page.get_attribute(HERO, "data-links").split()[0]
    assert page.get_attribute(HERO, "data-selected") == hero_first
    assert not log.problems(), log.problems()
    assert page.eval_on_selector_all("script:not([src]):not([type])", "s => s.length") == 0  # none injected


def test_the_address_bar_and_copy_link_follow_the_reader(visit) -> None:
    page, log = visit("")
    page.locator(AC).scroll_into_view_if_needed()
    page.fill(f"{AC} .memo-input", "the history of")
    page.select_option(f"{AC} select.memo-model", "nlstm")
    page.wait_for_function("location.hash.startsWith('#autocomplete?')")
    time.sleep(0.4)
    assert page.evaluate("location.hash") == "#autocomplete?model=nlstm&text=" + quote_plus("the history of")
    page.click(f"{AC} .memo-copy-link")
    field = page.input_value(f"{AC} .memo-link-field")
    assert field == page.evaluate("location.href")

    # A link of the prose selects its position and becomes the address.
    page.click("a[href='#passage-grammar?position=106']")
    assert page.get_attribute(PASSAGE, "data-selected") == "106"
    page.wait_for_function("location.hash === '#passage-grammar?position=106'")

    # Every figure has the control, and its link opens the figure as it was.
    kinds = page.eval_on_selector_all("figure[data-figure]", "fs => fs.map(f => f.dataset.figure)")
    assert page.eval_on_selector_all("figure[data-figure] .memo-copy-link", "bs => bs.length") == len(kinds)
    reopened, log2 = visit("#" + field.split("#", 1)[1])
    updated(reopened, AC)
    assert reopened.input_value(f"{AC} .memo-input") == "the history of"
    assert reopened.eval_on_selector(f"{AC} select.memo-model", "s => s.value") == "nlstm"
    assert not log.problems() + log2.problems()


def test_every_figure_page_opens_alone_from_disk_and_the_menu_offers_its_iframe(
    chromium, tiny_site: Path, visit
) -> None:
    pages = sorted((tiny_site / "figures").glob("*.html"))
    assert len(pages) >= 9
    context = chromium.new_context(viewport={"width": 900, "height": 900})
    try:
        for path in pages:
            page = context.new_page()
            page.set_default_timeout(60_000)
            log = PageLog("file://").attach(page)
            page.goto(path.as_uri())
            page.wait_for_selector(f"figure#{path.stem} .figure-body[data-state=ready]")
            if path.stem in ("autocomplete", "owntext"):
                updated(page, f"#{path.stem}")
            assert page.locator("figure").count() == 1 and page.locator("figcaption").count() == 1
            back = page.get_attribute("a[target=_top]", "href")
            assert back == f"index.html#{path.stem}", back
            assert not log.problems(), (path.name, log.problems())
            page.close()
    finally:
        context.close()

    page, log = visit("")
    page.click(f"{AC} .memo-embed")
    snippet = page.input_value(f"{AC} .memo-link-field")
    src = (tiny_site / "figures" / "autocomplete.html").as_uri()
    assert snippet.startswith(f'<iframe src="{src}" title="Figure '), snippet
    assert snippet.endswith("></iframe>"), snippet
    assert not log.problems()


@pytest.mark.parametrize(
    ("fragment", "figure", "attribute", "value"),
    [
        ("#accuracy?counting=original", "#accuracy .figure-body", "data-counting", "original"),
        ("#accuracy?counting=evil", "#accuracy .figure-body", "data-counting", "ours"),
        ("#curves?x=seconds&scale=log", "#curves .figure-body", "data-log", "true"),
        ("#lookback?scale=linear", "#lookback .figure-body", "data-scale", "linear"),
        ("#lookback?scale=%3Cb%3E", "#lookback .figure-body", "data-scale", "log"),
        ("#units?model=lstm", "#units", "data-model", "lstm"),
        ("#units?model=nope", "#units", "data-model", "gru"),
    ],
)
def test_links_restore_the_charts_and_units(
    visit, fragment: str, figure: str, attribute: str, value: str
) -> None:
    page, log = visit(fragment)
    body = figure if figure.endswith(".figure-body") else figure + " .figure-body"
    page.locator(figure).scroll_into_view_if_needed()
    page.wait_for_selector(body + "[data-state=ready]")
    assert page.get_attribute(figure, attribute) == value
    assert not log.problems(), log.problems()
