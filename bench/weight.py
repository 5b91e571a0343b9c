"""What opening the page costs (bench/browser.py): the bytes a first view requests, and the site's size."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from tests.browser import open_page, serve


def first_view(browser, site: Path, wait_ms: int) -> tuple[int, list[tuple[str, int]], list[str]]:
    """Bytes requested by loading the page over http (as GitHub Pages serves it) and waiting `wait_ms`
    untouched: (total, [(path, bytes)], problems the page reported)."""
    with serve(site, isolated=False) as origin:
        with open_page(browser, origin + "/index.html", origin, block=False, wait_until="load") as (
            page,
            log,
        ):
            page.wait_for_timeout(wait_ms)
    files = []
    for url in dict.fromkeys(log.requests):
        parts = urlsplit(url)
        if url.startswith(origin):
            path = site / unquote(parts.path.lstrip("/"))
            files.append((parts.path, path.stat().st_size if path.is_file() else 0))
    return sum(size for _, size in files), files, log.problems()


def report_weight(site: Path, weight: float, files: list) -> None:
    files_all = [p for p in site.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files_all)
    wrappers = sum(p.stat().st_size for p in files_all if p.suffix == ".js" and p.with_suffix("").is_file())
    biggest = sorted(files, key=lambda f: -f[1])[:6]
    largest = ", ".join(f"{path} {size / 1e3:.0f} KB" for path, size in biggest)
    print("\n## Page weight\n")
    print(
        f"First view over http (load + 2 s untouched): {weight / 1e6:.2f} MB in {len(files)} requests "
        f"(target <= 2 MB): {largest}"
    )
    print(
        f"site/ in total: {total / 1e6:.1f} MB, of which {wrappers / 1e6:.1f} MB are the file:// wrappers "
        "(<file>.js)"
    )
