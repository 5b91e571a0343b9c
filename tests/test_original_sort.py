"""numpy 1.x's integer argsort, transcribed (build/original_sort.py): the order that chose the original's
vocabulary among words of equal count."""

from __future__ import annotations

import numpy as np
import pytest

from build.original_sort import original_argsort


@pytest.mark.parametrize("dtype", [np.int16, np.uint8])
def test_original_argsort_is_numpys_introsort(dtype: type) -> None:
    """numpy still runs its portable introsort for 16- and 8-bit keys (no SIMD sort there): the
    transcription must order ties exactly as it does, including the heapsort fallback that an
    organ-pipe array reaches."""
    rng = np.random.RandomState(0)
    arrays = [rng.randint(0, high, size=n) for n in (2, 16, 17, 18, 100, 5000) for high in (3, 40)]
    arrays.append(np.concatenate([np.arange(100), np.arange(100)[::-1]]))
    for values in arrays:
        values = values.astype(dtype)
        assert original_argsort(values.tolist()) == np.argsort(values, kind="quicksort").tolist()
    assert original_argsort([3, 1, 2]) == [1, 2, 0]
