"""The appendix: what follows `<!-- appendix -->` in the article goes after the main text, in the page's
appendix section (before the references)."""

from __future__ import annotations

APPENDIX_MARK = "<!-- appendix -->"


def split_appendix(page: str) -> tuple[str, str]:
    """(main text, appendix) of the article's HTML; the appendix is empty when there is no mark."""
    main, _, appendix = page.partition(APPENDIX_MARK)
    return main, appendix
