"""The run's results (build/results.py): the spread of a model's numbers over its training seeds. The
gathering of a whole run is tested with the session's tiny run (tests/test_evaluate.py) and, with two
seeds, by Make (tests/test_make.py)."""

from __future__ import annotations

import math
import statistics

import pytest

from build import results


def seed_test(cross_entropy: float, share_at_space: float | None) -> dict:
    """One seed's test values, as eval.json and context.json give them."""
    test = {
        "cross_entropy": cross_entropy,
        "accuracy": 0.3,
        "as_original": {"cross_entropy": cross_entropy + 0.1, "accuracy": 0.2},
        "accuracy_by_letters": {"top1": [0.1, 0.4]},
    }
    if share_at_space is not None:
        groups = {g: {"mean": share_at_space, "low": 0.0, "high": 1.0} for g in results.LETTER_GROUPS}
        test["context"] = {"share_before_word": groups}
    return test


def test_one_seed_spreads_to_itself_without_an_interval() -> None:
    assert results.spread([2.5]) == {"mean": 2.5, "min": 2.5, "max": 2.5}
    assert set(results.spread([2.5, 2.7])) == {"mean", "min", "max"}  # two seeds: no interval either


def test_three_seeds_or_more_give_a_t_interval_of_the_mean() -> None:
    values = [0.80, 0.76, 0.83]
    found = results.spread(values)
    half = 4.303 * statistics.stdev(values) / math.sqrt(3)
    assert found["mean"] == pytest.approx(0.79667, abs=1e-5)
    assert (found["min"], found["max"]) == (0.76, 0.83)
    assert (found["low"], found["high"]) == pytest.approx((found["mean"] - half, found["mean"] + half))
    assert set(results.T_975) == set(range(2, 10))  # every count of seeds a run may have (up to 10)


def test_across_seeds_summarises_every_test_number_that_each_seed_has() -> None:
    summary = results.across_seeds([seed_test(2.4, 0.8), seed_test(2.6, 0.6), seed_test(2.5, 0.7)])
    assert summary["cross_entropy"]["mean"] == pytest.approx(2.5)
    assert summary["share_before_word_0"]["min"] == 0.6 and summary["share_before_word_5+"]["max"] == 0.8
    assert summary["as_original_accuracy"]["mean"] == pytest.approx(0.2)
    assert summary["accuracy_1"]["mean"] == pytest.approx(0.4)
    assert "low" in summary["cross_entropy"]
    # a seed without the context measurement leaves the shares out rather than averaging fewer seeds
    assert "share_before_word_0" not in results.across_seeds([seed_test(2.4, 0.8), seed_test(2.6, None)])
