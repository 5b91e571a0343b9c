"""Passages in the article's Markdown: the article's own block, and every error with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from build import passages, profiles
from build.passages import P1, PassageError

MODELS = ("gru", "lstm", "nlstm")


def write(tmp_path: Path, text: str, name: str = "a.md") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_articles_passages_are_ours_then_p1() -> None:
    """A passage from the test split that the default build's models can read, then the original's P1."""
    navy, grammar = passages.read([Path("article/index.md")], MODELS)
    assert navy.id == "navy" and navy.text.startswith(" designs supplied by the united states")
    assert navy.text[31] == " " and navy.text[32:35] == "sta" and navy.text[177] == "u"
    assert navy.highlights == (31, 34, 177, 192, 193) and navy.outside == ()
    assert grammar.id == "grammar" and grammar.text == P1 and len(grammar.text) == 198
    assert grammar.position == 28 and grammar.highlights == (28, 34, 106, 32, 159, 162, 141)
    assert grammar.text[28] == " " and grammar.text[29:35] == "gramma"  # spec section 5's indices
    assert grammar.models == MODELS
    assert grammar.source.startswith("article/index.md:")


def test_options_and_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "text\n\n```passage id=one models=gru,nlstm\nHello   World\nagain\n```\n"
        "~~~passage id=two position=3\nabc\n~~~\n",
    )
    one, two = passages.read([path], MODELS)
    assert one.text == " hello world again" and one.models == ("gru", "nlstm")
    assert one.position == len(one.text) - 1 and one.highlights == ()
    assert one.source == f"{path}:3"
    assert two.text == " abc" and two.position == 3


@pytest.mark.parametrize(
    ("block", "line", "message"),
    [
        ("```passage id=x colour=red\nabc\n```", 2, "unknown option 'colour'"),
        ("```passage id=x position\nabc\n```", 2, "option 'position' needs a value"),
        ("```passage models=gru\nabc\n```", 2, "needs an id"),
        ("```passage id=Big\nabc\n```", 2, "id 'Big': use lowercase"),
        ("```passage id=x\nabc\nin 1999\n```", 4, r"character '1' \(column 4\).*write numbers as words"),
        ("```passage id=x\nhello, world\n```", 3, r"character ',' \(column 6\)"),
        ("```passage id=x\ncafé\n```", 3, "character 'é'"),
        ("```passage id=x\n   \n```", 2, "the passage is empty"),
        ("```passage id=x\n" + "word " * 120 + "\n```", 2, "600 characters; at most 500"),
        ("```passage id=x position=4\nabc\n```", 2, r"index 4 is past the end of the passage \(4 characters"),
        ('```passage id=x highlights="1 9"\nabc\n```', 2, "index 9 is past the end"),
        ("```passage id=x position=-1\nabc\n```", 2, "'-1' is not a character index"),
        ("```passage id=x models=gru,rnn\nabc\n```", 2, "unknown model 'rnn'"),
        ("```passage id=x\nabc\n", 2, "never closed"),
        ('```passage id=x highlights="1\nabc\n```', 2, "cannot read the options"),
    ],
)
def test_bad_blocks_name_file_and_line(tmp_path: Path, block: str, line: int, message: str) -> None:
    path = write(tmp_path, "# title\n" + block + "\n")
    with pytest.raises(PassageError, match=rf"^{path}:{line}: .*{message}"):
        passages.read([path], MODELS)


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    first = write(tmp_path, "```passage id=same\nabc\n```\n", "a.md")
    second = write(tmp_path, "x\n\n```passage id=same\ndef\n```\n", "b.md")
    with pytest.raises(
        PassageError, match=rf"{second}:3: duplicate passage id 'same' \(first at {first}:1\)"
    ):
        passages.read([first, second], MODELS)


def test_other_code_blocks_are_left_alone(tmp_path: Path) -> None:
    path = write(tmp_path, "```python\nprint(1, 2)\n```\n```passage-note\n1\n```\n")
    assert passages.read([path], MODELS) == []


def test_profiles_models_are_what_the_article_may_name() -> None:
    keys = tuple(m.key for m in profiles.load("small").models)
    assert keys == MODELS


def test_a_passage_fence_inside_a_code_block_is_code(tmp_path: Path) -> None:
    text = "````markdown\n```passage id=shown\nab\n```\n````\n\n```passage id=real\ncd\n```\n"
    (real,) = passages.read_text(tmp_path / "a.md", text, MODELS)
    assert real.id == "real" and real.source == f"{tmp_path / 'a.md'}:7"


def passage_of(tmp_path: Path, info: str, body: str = "the grammar of parts") -> passages.Passage:
    (passage,) = passages.read([write(tmp_path, f"# A\n\n```passage id=p {info}\n{body}\n```\n")], MODELS)
    return passage


def test_word_at_counts_the_space_before_a_word_as_its_own() -> None:
    text = " the grammar of"
    assert [passages.word_at(text, i) for i in (0, 3, 4, 5, 11, 12, 14)] == [
        "the", "the", "grammar", "grammar", "grammar", "of", "of",
    ]  # fmt: skip


def test_shown_words_without_a_class_are_found_unless_outside_lists_them(tmp_path: Path) -> None:
    # " the grammar of parts": the (0-3), grammar (4-11), of (12-14), parts (15-20); grammar has no class
    targets = [2] * 4 + [-1] * 8 + [3] * 3 + [4] * 6
    passage = passage_of(tmp_path, 'position=0 highlights="0 6 16"')
    assert passages.unnamed_positions(passage, targets) == [(6, "grammar")]
    assert passages.unnamed_positions(passage_of(tmp_path, 'position=4 highlights="4 6 4"'), targets) == [
        (4, "grammar"), (6, "grammar"),
    ]  # fmt: skip
    assert passages.unnamed_positions(passage_of(tmp_path, ""), targets) == []  # the last character


def test_outside_lets_a_highlight_name_an_unknown_word_on_purpose(tmp_path: Path) -> None:
    targets = [2] * 4 + [-1] * 8 + [3] * 3 + [4] * 6
    passage = passage_of(tmp_path, 'position=4 highlights="4 6 16" outside="4 6"')
    assert passage.outside == (4, 6)
    assert passages.unnamed_positions(passage, targets) == []
    with pytest.raises(PassageError, match=r"a\.md:3: outside: 9 is neither the position nor one of"):
        passage_of(tmp_path, 'position=4 highlights="4" outside="9"')
    with pytest.raises(PassageError, match="outside: 'x' is not a character index"):
        passage_of(tmp_path, 'outside="x"')
