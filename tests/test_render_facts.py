"""The run's numbers that claims test: a model's share at the cross entropy every model reaches."""

from __future__ import annotations

from build.render import facts


def point(step: int, ce: float, share: float) -> dict:
    return {"step": step, "valid_cross_entropy": ce, "share_before_word_0": {"mean": share}}


def test_the_share_at_a_cross_entropy_is_interpolated_along_the_curve() -> None:
    curve = [point(5, 3.0, 0.5), point(10, 2.0, 0.7), point(12, 1.5, 0.8)]
    assert facts.share_at(curve, 2.5) == 0.6
    assert facts.share_at(curve, 1.0) is None  # never that good
    assert facts.common_cross_entropy([curve, [point(12, 1.9, 0.4)]]) == 1.9
