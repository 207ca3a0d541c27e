"""Batches of pairs: in blocks that fit the cache, and second passes for a few pairs only.

:func:`in_blocks` takes a large batch a block of rows at a time, so that the
temporaries of :func:`mathlib.gaussian.kl_mvn` stay in the processor's cache;
:func:`patched` recomputes only the pairs that need a slower, more careful path.
"""

import math

import numpy as np

# kl_mvn takes a large batch in blocks of at most this many pairs and matrix entries,
# small enough for its temporaries to stay in the processor's cache.
BLOCK_PAIRS = 2**14
BLOCK_ENTRIES = 2**16


def in_blocks(compute, args, cores, batch, entries_per_pair):
    """``compute(*args)`` over a batch, a block of rows of its first axis at a time.

    ``cores`` gives each argument's number of trailing axes that belong to one
    pair; an argument without the batch's first axis broadcasts against each
    block as it is. A batch whose matrices (arguments with two core axes) share
    one matrix, or that fits one block, is computed whole.
    """
    if math.prod(batch) == 0:  # an empty batch: nothing to compute
        return np.empty(batch)
    has_axis = [len(batch) > 0 and a.ndim - core == len(batch) and a.shape[0] == batch[0]
                for a, core in zip(args, cores)]
    pairs_per_row = math.prod(batch[1:])
    rows = max(1, min(BLOCK_PAIRS // pairs_per_row, BLOCK_ENTRIES // (entries_per_pair * pairs_per_row)))
    matrices_vary = any(cut for cut, core in zip(has_axis, cores) if core == 2)
    if not matrices_vary or batch[0] <= rows:
        return compute(*args)
    out = np.empty(batch)
    for start in range(0, batch[0], rows):
        block = slice(start, start + rows)
        out[block] = compute(*(a[block] if cut else a for a, cut in zip(args, has_axis)))
    return out


def patched(values, mask, compute, *args):
    """``values`` with the pairs where ``mask`` holds recomputed as ``compute(*args)``.

    Each argument comes with the number of its trailing axes that belong to one pair;
    only the masked pairs are gathered (by index, at a cost in proportion to their
    number), and a single pair (a 0-d mask) is passed whole.
    """
    batch = mask.shape
    pick = np.nonzero(mask) if batch else ()
    values = np.array(np.broadcast_to(values, batch))
    values[pick] = compute(*(np.broadcast_to(a, batch + a.shape[a.ndim - core:])[pick] for a, core in args))
    return values
