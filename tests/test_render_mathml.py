"""Math: TeX to MathML by KaTeX at build time; what is not math stays text; errors name file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from build.render.errors import Origin, RenderError
from build.render.mathml import Math, typeset
from tests.render_helpers import article


def test_inline_and_display_math_become_mathml(tmp_path: Path) -> None:
    body = article(
        tmp_path, "Title: T\n\nInline $c_l^t = i \\odot z$ here.\n\n$$h^t = o \\odot \\tanh(c^t)$$\n"
    ).body
    assert body.count("<math") == 2 and 'display="block"' in body and "<msubsup>" in body


def test_what_is_not_math_stays_text() -> None:
    math = Math()
    text = "A price of 5$ or \\$3, $ spaced $, a$b$ and $$."
    assert math.protect(text, Origin(Path("a.md"), text)) == text and math.expressions == []


def test_a_katex_error_names_the_line_it_was_written_on(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"index\.md:4: KaTeX parse error.* in \$\\frac\{a\$"):
        article(tmp_path, "Title: T\n\nFine $x$.\nMath $\\frac{a$ here.\n")


def test_protect_and_restore_keep_the_order() -> None:
    math = Math()
    source = "one\n$a$ and\n$$b$$\n"
    protected = math.protect(source, Origin(Path("a.md"), source))
    assert protected == "one\nMEMOMATH0X and\nMEMOMATH1X\n"
    assert math.expressions == [("a", False, "a.md:2"), ("b", True, "a.md:3")]
    math.typeset()
    restored = math.restore(protected)
    assert restored.count("<math") == 2 and "MEMO" not in restored
    assert typeset([]) == []
