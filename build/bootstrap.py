"""The bootstrap over test observations that every measurement of the test split shares (test.context,
test.truncated): the same resamples, drawn from the same seed, so that two measurements over the same
observations are resampled alike and their intervals can be read side by side.

Positions of one observation share their context, so observations are resampled, not positions.
"""

from __future__ import annotations

import numpy as np

RESAMPLES = 1000
BOOTSTRAP_SEED = 20190425  # the original article's publication date


def resample_weights(observations: int, resamples: int, seed: int) -> np.ndarray:
    """[resamples, observations]: how many times each observation is drawn in each resample (draws
    with replacement, `observations` per resample)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, observations, size=(resamples, observations))
    weights = np.zeros((resamples, observations))
    np.add.at(weights, (np.arange(resamples)[:, None], draws), 1.0)
    return weights


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is 0 (nothing counted)."""
    out = np.full(np.broadcast(numerator, denominator).shape, np.nan)
    return np.divide(numerator, denominator, out=out, where=denominator > 0)


def bootstrap(sums: np.ndarray, counts: np.ndarray, resamples: int, seed: int) -> dict[str, np.ndarray]:
    """Means sum(sums)/sum(counts) over observations [N, K] and their 95% percentile intervals over
    `resamples` resamples of the observations with replacement (NaN where nothing was counted)."""
    weights = resample_weights(len(sums), resamples, seed)
    mean = ratio(sums.sum(0), counts.sum(0))
    resampled = ratio(weights @ sums, weights @ counts)
    low, high = np.full(len(mean), np.nan), np.full(len(mean), np.nan)
    defined = ~np.isnan(resampled).all(axis=0)
    if defined.any():
        low[defined], high[defined] = np.nanpercentile(resampled[:, defined], [2.5, 97.5], axis=0)
    return {"mean": mean, "low": low, "high": high, "positions": counts.sum(0)}
