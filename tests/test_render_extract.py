"""The extractor: passage and figure blocks out, one placeholder paragraph each, lines mapped back."""

from __future__ import annotations

from pathlib import Path

import pytest

from build.passages import PassageError
from build.render.errors import RenderError
from build.render.extract import extract

SOURCE = (
    "Title: T\n"  # 1
    "\n"
    "```figure units\n"  # 3
    "The caption.\n"
    "```\n"  # 5
    "Text.\n"  # 6
    "```passage id=p models=lstm\n"  # 7
    "ab cd\n"
    "```\n"  # 9
    "```text\n"  # 10
    "[@key]\n"
    "```\n"  # 12
    "End.\n"  # 13
)


def test_blocks_become_placeholder_paragraphs_and_code_stays() -> None:
    extracted = extract(Path("a.md"), SOURCE, ("gru", "lstm"), {})
    units, passage = extracted.figures
    assert (units.kind, units.caption, units.source) == ("units", "The caption.", "a.md:3")
    assert passage.kind == "passage" and passage.passage is not None
    assert passage.passage.models == ("lstm",) and passage.source == "a.md:7"
    lines = extracted.text.split("\n")
    assert lines[:7] == ["Title: T", "", "", "MEMOFIGURE0X", "", "", "Text."]
    assert lines[7:12] == ["", "MEMOFIGURE1X", "", "", "```text"]
    assert "[@key]" in extracted.text and "The caption." not in extracted.text


def test_each_line_maps_back_to_the_files_line() -> None:
    extracted = extract(Path("a.md"), SOURCE, ("gru", "lstm"), {})
    lines = extracted.text.split("\n")
    assert len(extracted.origins) == len(lines) == len(SOURCE.split("\n")) + 2  # one more line per figure
    assert extracted.line(lines.index("Text.") + 1) == 6
    assert extracted.line(lines.index("```text") + 1) == 10
    assert extracted.line(lines.index("End.") + 1) == 13
    assert extracted.line(lines.index("MEMOFIGURE1X") + 1) == 7


def test_bad_blocks_name_file_and_line() -> None:
    with pytest.raises(PassageError, match=r"^a\.md:2: unknown model 'rnn'"):
        extract(Path("a.md"), "x\n```passage id=p models=rnn\nab\n```\n", ("gru",), {})
    with pytest.raises(RenderError, match=r"^a\.md:2: the figure block is never closed"):
        extract(Path("a.md"), "x\n```figure units\nab\n", ("gru",), {})
    with pytest.raises(PassageError, match=r"^a\.md:5: duplicate passage id 'p' \(first at a\.md:1\)"):
        extract(Path("a.md"), "```passage id=p\nab\n```\n\n```passage id=p\ncd\n```\n", ("gru",), {})
