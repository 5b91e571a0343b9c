"""Math: `$...$` inline and `$$...$$` display TeX, typeset by KaTeX (node, build/render/math.mjs) into
MathML at build time, all expressions of the page in one node run. A `$` with a word character or a
backslash before it, or a space just inside it, is not math (`5$`, `\\$`)."""

from __future__ import annotations

import json
import re
import subprocess

from build import profiles
from build.render.errors import Origin, RenderError, placeholder

_MATH = re.compile(
    r"\$\$(?P<display>.+?)\$\$|(?<![\\$\w])\$(?P<inline>[^\s$](?:[^$\n]*?[^\s\\$])?)\$(?!\w)", re.S
)


def typeset(expressions: list[tuple[str, bool, str]]) -> list[str]:
    """MathML of (tex, display, source) expressions, all in one node run."""
    if not expressions:
        return []
    script = profiles.ROOT / "build" / "render" / "math.mjs"
    payload = json.dumps([{"tex": tex, "display": display} for tex, display, _ in expressions])
    try:
        done = subprocess.run(
            ["node", str(script)],
            input=payload,
            capture_output=True,
            text=True,
            check=True,
            cwd=profiles.ROOT,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        detail = getattr(error, "stderr", "") or error
        raise RenderError(
            f"{script}: KaTeX failed (is node installed and `npm ci` run?): {detail}"
        ) from error
    results = json.loads(done.stdout)
    for (tex, _, source), result in zip(expressions, results, strict=True):
        if "error" in result:
            raise RenderError(f"{source}: {result['error']} in ${tex}$")
    return [result["html"] for result in results]


class Math:
    """The TeX taken out of the texts it protected; `typeset` makes the MathML that `restore` puts back."""

    def __init__(self) -> None:
        self.expressions: list[tuple[str, bool, str]] = []  # (tex, display, file:line)
        self.mathml: list[str] = []

    def protect(self, text: str, origin: Origin) -> str:
        """`text` with each expression replaced by a placeholder Markdown leaves alone."""

        def take(match: re.Match) -> str:
            display = match["display"] is not None
            tex = (match["display"] if display else match["inline"]).strip()
            self.expressions.append((tex, display, origin.at(tex)))
            return placeholder("MATH", len(self.expressions) - 1)

        return _MATH.sub(take, text)

    def typeset(self) -> None:
        self.mathml = typeset(self.expressions)

    def restore(self, page: str) -> str:
        for index, rendered in enumerate(self.mathml):
            page = page.replace(placeholder("MATH", index), rendered)
        return page
