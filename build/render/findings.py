"""What the measurements say, reduced to the few values the article's sentences quote: accuracy against
the no-context baseline, and accuracy counted as the original counted it. Computed here so that
article/index.md quotes numbers instead of counting and comparing in Jinja2."""

from __future__ import annotations


def _top1(model: dict) -> list[float]:
    return model["test"]["accuracy_by_letters"]["top1"]


def against_baseline(model_list: list[dict], baseline: dict) -> dict:
    """Top-1 accuracy by letters typed, ours against the no-context baseline's.

    `best`: our model most often right with no letter typed (the first of equals); `no_letter` (that
    model) and `one_letter` (the first model): `ours` and `baseline`; `caught_up`: the first letter count
    at which the baseline is at least as accurate as the best of our models there (None: never).
    """
    base = baseline["accuracy_by_letters"]["top1"]
    best = max(model_list, key=lambda m: _top1(m)[0])
    best_by_letters = [max(_top1(m)[letters] for m in model_list) for letters in range(len(base))]
    caught_up = next((n for n, value in enumerate(base) if value >= best_by_letters[n]), None)
    return {
        "best": best,
        "no_letter": {"ours": _top1(best)[0], "baseline": base[0]},
        "one_letter": {"ours": _top1(model_list[0])[1], "baseline": base[1]},
        "caught_up": caught_up,
    }


def counted_as_original(compared: list[dict], published: dict) -> dict | None:
    """The first compared model's accuracy with no letter typed, counted as the original counted:
    `model`, `ours` and `published` (the original's for the same unit); None when nothing is compared."""
    if not compared:
        return None
    model = compared[0]
    return {
        "model": model,
        "ours": model["test"]["as_original"]["accuracy_by_letters"]["top1"][0],
        "published": published["accuracy"][model["key"]]["top1"][0],
    }
