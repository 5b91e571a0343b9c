"""The appendix: what follows the mark goes after the main text."""

from __future__ import annotations

from pathlib import Path

from build.render.appendix import APPENDIX_MARK, split_appendix
from tests.render_helpers import article


def test_the_mark_splits_main_text_and_appendix(tmp_path: Path) -> None:
    result = article(tmp_path, "Title: T\n\nMain.\n\n<!-- appendix -->\n\n## More\n\nLater.\n")
    assert "Main." in result.body and "Later." not in result.body
    assert '<h2 id="more">More</h2>' in result.appendix and "Main." not in result.appendix


def test_without_the_mark_there_is_no_appendix() -> None:
    assert split_appendix("<p>a</p>") == ("<p>a</p>", "")
    assert split_appendix(f"a{APPENDIX_MARK}b{APPENDIX_MARK}c") == ("a", f"b{APPENDIX_MARK}c")


def test_the_mark_in_code_is_text(tmp_path: Path) -> None:
    result = article(tmp_path, "Title: T\n\nWrite `<!-- appendix -->` there.\n")
    assert result.appendix == "" and "<code>&lt;!-- appendix --&gt;</code>" in result.body
