"""The fenced-block scanner shared by precompute (passages) and render (figures, code blocks)."""

from __future__ import annotations

import pytest

from build import fences


def test_the_first_word_of_the_info_string_names_the_kind() -> None:
    text = (
        "intro\n"
        '```passage id=a highlights="1 2"\nab\ncd\n```\n'
        "~~~figure curves\ncaption\n~~~\n"
        "```passage-note\n1\n```\n"
        "````text\n```passage id=inside\n````\n"
        "```\nplain\n```\n"
    )
    blocks = fences.scan(text, "a.md")
    assert [(b.kind, b.info, b.start, b.end) for b in blocks] == [
        ("passage", 'id=a highlights="1 2"', 2, 5),
        ("figure", "curves", 6, 8),
        ("code", "passage-note", 9, 11),  # not a passage: its first word is passage-note
        ("code", "text", 12, 14),  # a passage fence inside a longer fence is the code's text
        ("code", "", 15, 17),
    ]
    assert blocks[0].body == ((3, "ab"), (4, "cd"))
    assert blocks[2].language == "passage-note" and blocks[4].language == ""


def test_a_fence_closes_only_with_its_own_character_at_least_as_long() -> None:
    text = "````text\n```\n~~~~\n`````  \nafter\n"
    (block,) = fences.scan(text, "a.md")
    assert block.body == ((2, "```"), (3, "~~~~")) and block.end == 4


def test_a_line_of_backticks_with_a_backtick_after_is_a_code_span_not_a_fence() -> None:
    assert fences.scan("```code``` in a line\n", "a.md") == []


@pytest.mark.parametrize("kind", ["passage id=x", "figure units", "python"])
def test_an_unclosed_fence_names_file_and_line(kind: str) -> None:
    word = kind.split()[0] if kind.split()[0] in fences.KINDS else "code"
    with pytest.raises(fences.FenceError, match=rf"^a\.md:3: the {word} block is never closed with ```$"):
        fences.scan(f"one\n\n```{kind}\nbody\n", "a.md")


def test_windows_line_ends_are_read_like_unix_ones() -> None:
    (block,) = fences.scan("```figure units\r\ncap\r\n```\r\n", "a.md")
    assert (block.kind, block.info, block.body) == ("figure", "units", ((2, "cap"),))
