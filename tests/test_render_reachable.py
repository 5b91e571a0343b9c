"""What may scroll sideways gets a tab stop: display math, and tables in a labelled wrapper."""

from __future__ import annotations

import re
from pathlib import Path

from build.render.reachable import reachable
from tests.render_helpers import article


def test_what_may_scroll_sideways_gets_a_tab_stop(tmp_path: Path) -> None:
    body = article(
        tmp_path,
        "Title: T\n\nInline $x$ stays out of the tab order.\n\n$$h^t = o \\odot \\tanh(c^t)$$\n\n"
        "| model & unit | *units* |\n|---|---:|\n| GRU | 16 |\n",
    ).body
    display = re.findall(r"<math[^>]*>", body)
    assert len(display) == 2 and sum('tabindex="0"' in m for m in display) == 1, display
    assert re.search(r'<math[^>]*display="block"[^>]*tabindex="0"', body), body
    wrapper = re.search(r'<div class="table-scroll" tabindex="0" role="group" aria-label="([^"]*)">', body)
    assert wrapper and wrapper[1] == "Table: model &amp; unit, units", body
    assert body.count("<table>") == 1 and '"><table>' in body and "</table></div>" in body


def test_a_table_without_a_header_row_is_named_table() -> None:
    page = reachable("<table><tbody><tr><td>1</td></tr></tbody></table>")
    assert page.startswith('<div class="table-scroll" tabindex="0" role="group" aria-label="Table">')
