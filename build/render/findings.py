"""What the measurements say, reduced to the few values the article's sentences turn on: the example
passage's long-term position against the original's, accuracy against the no-context baseline, and the
weakest model with no letter typed. Computed here so that article/index.md chooses its sentences with
simple conditions instead of counting and comparing in Jinja2."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property


class LongTerm:
    """Our models against the original's at one position of the example passage where no letter of the
    word is known yet (the original's long-term situation), by the share of each prediction's
    connectivity that falls before the current word.

    Each value is computed when the article first reads it, so a run whose passage file lacks a model
    fails only where the article asks about that model. `share(key)` is ours, `published(key)` the
    original's; `least_key` names the original's model with the lowest published share (None: none).
    """

    def __init__(
        self,
        share: Callable[[str], float],
        published: Callable[[str], float],
        least_key: str | None,
        models: dict[str, dict],
        compared: list[dict],
    ) -> None:
        self.share = share
        self.published = published
        self.least_key = least_key
        self.models = models
        self.compared = compared

    @cached_property
    def least(self) -> dict | None:
        """Our model of the key the original's passage shows looking back least (None: the run has none)."""
        return self.models.get(self.least_key) if self.least_key is not None else None

    @cached_property
    def lower(self) -> int:
        """How many of the compared models put less before the word than their published counterparts."""
        return sum(self.share(m["key"]) < self.published(m["key"]) for m in self.compared)

    @cached_property
    def order(self) -> str | None:
        """Whether our models repeat the original's ordering: `same` when our `least` also has the lowest
        share of the compared models, `different` when it does not, None when the run lacks that model or
        has nothing to set beside it."""
        if self.least is None or len(self.compared) < 2:
            return None
        low = self.share(self.least_key)
        others = [m for m in self.compared if m["key"] != self.least_key]
        return "same" if all(low < self.share(m["key"]) for m in others) else "different"

    @cached_property
    def wide_gap(self) -> dict | None:
        """When the two compared models other than `least` are more than 20 points apart in our run but
        within 10 in the original's: `models` (the two, in the run's order) and `more` (the one with the
        higher share); otherwise None."""
        others = [m for m in self.compared if m["key"] != self.least_key]
        if len(others) != 2:
            return None
        a, b = others
        ours_a, ours_b = self.share(a["key"]), self.share(b["key"])
        if abs(ours_a - ours_b) > 0.2 and abs(self.published(a["key"]) - self.published(b["key"])) < 0.1:
            return {"models": others, "more": a if ours_a > ours_b else b}
        return None


def least_looking_back(original_models: list[dict], published: Callable[[str], float]) -> str | None:
    """The key of the original's model with the lowest published share before the word (the first of
    equals; None when there is no model)."""
    least = min(original_models, key=lambda o: published(o["key"]), default=None)
    return least["key"] if least is not None else None


def _top1(model: dict) -> list[float]:
    return model["test"]["accuracy_by_letters"]["top1"]


def _times(ours: float, baseline: float) -> float | None:
    """How many times as often ours is right as the baseline, when ours is ahead (else None)."""
    return ours / baseline if baseline > 0 and ours > baseline else None


def against_baseline(model_list: list[dict], baseline: dict) -> dict:
    """Top-1 accuracy by letters typed, ours against the no-context baseline's.

    `best`: our model most often right with no letter typed (the first of equals); `no_letter` (that
    model) and `one_letter` (the first model): `ours`, `baseline` and `times` (ours over the baseline's,
    None unless ours is ahead); `gains_most_with_no_letter`: the models' lead over the baseline is
    relatively largest with no letter; `caught_up`: the first letter count at which the baseline is at
    least as accurate as the best of our models there (None: never); `ahead_after`: from there on the
    baseline is ahead at more than half the letter counts; `all_beat`: every model's overall accuracy is
    above the baseline's.
    """
    base = baseline["accuracy_by_letters"]["top1"]
    best = max(model_list, key=lambda m: _top1(m)[0])
    zero, one = _top1(best)[0], _top1(model_list[0])[1]
    # the lead is relatively largest with no letter: more times the baseline's than after one letter
    gains_most = base[0] > 0 and base[1] > 0 and zero / base[0] > one / base[1] and zero > base[0]
    caught_up, after, ahead = None, 0, 0
    for letters, value in enumerate(base):
        best_there = max(_top1(m)[letters] for m in model_list)
        if caught_up is None and value >= best_there:
            caught_up = letters
        if caught_up is not None:
            after += 1
            ahead += value > best_there
    return {
        "best": best,
        "no_letter": {"ours": zero, "baseline": base[0], "times": _times(zero, base[0])},
        "one_letter": {"ours": one, "baseline": base[1], "times": _times(one, base[1])},
        "gains_most_with_no_letter": gains_most,
        "caught_up": caught_up,
        "ahead_after": ahead * 2 > after,
        "all_beat": all(m["test"]["accuracy"] > baseline["accuracy"] for m in model_list),
    }


def weakest(model_list: list[dict], original_models: list[dict], published: dict) -> dict:
    """The models least often right with no letter typed (the first of equals): `original`, the
    original's (`key`, `name`, by its published curves); `ours`, ours; `counterpart`, our model of the
    original's weakest key (None: the run has none)."""
    original = min(original_models, key=lambda o: published["accuracy"][o["key"]]["top1"][0])
    ours = min(model_list, key=lambda m: _top1(m)[0])
    counterpart = next((m for m in model_list if m["key"] == original["key"]), None)
    return {"original": original, "ours": ours, "counterpart": counterpart}


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
