"""Tab stops on what may scroll sideways on a narrow screen, so that the keyboard can scroll it too:
display math gets tabindex="0", a table a focusable wrapper (div.table-scroll) named by its header row."""

from __future__ import annotations

import html
import re

_TABLE = re.compile(r"<table>.*?</table>", re.S)
_DISPLAY = '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">'


def reachable(part: str) -> str:
    """`part` (HTML) with its display math and tables reachable by keyboard."""
    part = part.replace(_DISPLAY, _DISPLAY.removesuffix(">") + ' tabindex="0">')
    return _TABLE.sub(_wrap_table, part)


def _wrap_table(match: re.Match) -> str:
    table = match[0]
    head = re.search(r"<tr>(.*?)</tr>", table, re.S)
    cells = re.findall(r"<th[^>]*>(.*?)</th>", head[1], re.S) if head else []
    names = [html.escape(html.unescape(re.sub(r"<[^>]+>", "", c)).strip(), quote=True) for c in cells]
    label = "Table: " + ", ".join(n for n in names if n) if names else "Table"
    return f'<div class="table-scroll" tabindex="0" role="group" aria-label="{label}">{table}</div>'
