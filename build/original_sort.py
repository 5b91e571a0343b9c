"""numpy 1.x's argsort of integers, transcribed: the sort that chose the original's vocabulary.

The original ranked its words with a reversed `np.argsort(counts)` (numpy's default, an unstable
introsort), so the words tied at the 2**k cut-off got in by that sort's order. numpy 2 on AVX-512 machines
orders ties differently, so build/dataset.py calls this transcription, never np.argsort.
"""

from __future__ import annotations

SMALL_QUICKSORT = 15  # numpy's introsort: runs of at most 16 items are insertion-sorted


def _heapsort_indices(values: list, index: list[int], low: int, high: int) -> None:
    """numpy's indirect heapsort of index[low..high] (the introsort's fallback when it recurses too deep)."""
    a = index[low : high + 1]
    n = len(a)

    def sift(start: int, size: int, item: int) -> None:
        i, j = start, 2 * start
        while j <= size:
            if j < size and values[a[j - 1]] < values[a[j]]:
                j += 1
            if values[item] < values[a[j - 1]]:
                a[i - 1] = a[j - 1]
                i, j = j, 2 * j
            else:
                break
        a[i - 1] = item

    for start in range(n >> 1, 0, -1):
        sift(start, n, a[start - 1])
    while n > 1:
        item = a[n - 1]
        a[n - 1] = a[0]
        n -= 1
        sift(1, n, item)
    index[low : high + 1] = a


def original_argsort(values: list) -> list[int]:
    """np.argsort(values) as numpy 1.x computed it for integers (kind "quicksort": an introsort).

    Unstable: equal values end up in an order set by the partitioning, which is what decided the
    original's vocabulary among words of equal count. A transcription of numpy's `aquicksort`: median
    of three, Hoare partition, the larger side pushed on a stack, insertion sort for short runs, heapsort
    past a depth of twice the bit length of the size.
    """
    index = list(range(len(values)))
    if len(index) < 2:
        return index
    v = values
    stack: list[tuple[int, int, int]] = []
    low, high, depth = 0, len(index) - 1, 2 * (len(index).bit_length() - 1)
    while True:
        if depth < 0:
            _heapsort_indices(v, index, low, high)
        else:
            while high - low > SMALL_QUICKSORT:
                middle = low + ((high - low) >> 1)
                if v[index[middle]] < v[index[low]]:
                    index[middle], index[low] = index[low], index[middle]
                if v[index[high]] < v[index[middle]]:
                    index[high], index[middle] = index[middle], index[high]
                if v[index[middle]] < v[index[low]]:
                    index[middle], index[low] = index[low], index[middle]
                pivot = v[index[middle]]
                i, j = low, high - 1
                index[middle], index[j] = index[j], index[middle]
                while True:
                    i += 1
                    while v[index[i]] < pivot:
                        i += 1
                    j -= 1
                    while pivot < v[index[j]]:
                        j -= 1
                    if i >= j:
                        break
                    index[i], index[j] = index[j], index[i]
                index[i], index[high - 1] = index[high - 1], index[i]
                depth -= 1
                if i - low < high - i:
                    stack.append((i + 1, high, depth))
                    high = i - 1
                else:
                    stack.append((low, i - 1, depth))
                    low = i + 1
            for i in range(low + 1, high + 1):
                item = index[i]
                value = v[item]
                j = i
                while j > low and value < v[index[j - 1]]:
                    index[j] = index[j - 1]
                    j -= 1
                index[j] = item
        if not stack:
            return index
        low, high, depth = stack.pop()
