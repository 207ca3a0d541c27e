"""Batches of pairs: in blocks that fit the cache, and second passes for a few pairs only.

:func:`in_blocks` takes a large batch a block of rows at a time, so that the
temporaries of :func:`mathlib.gaussian.kl_mvn` stay in the processor's cache;
:func:`patched` recomputes only the pairs that need a slower, more careful path.

Both take the batch as a ``NamedTuple`` of arrays whose fields are annotated
:data:`Scalars`, :data:`Vectors` or :data:`Matrices`: how many trailing axes of the
array belong to one pair (the leading axes are the batch's, or broadcast against it).
"""

import functools
import math
from typing import Annotated

import numpy as np

Scalars = Annotated[np.ndarray, 0]
Vectors = Annotated[np.ndarray, 1]
Matrices = Annotated[np.ndarray, 2]

# kl_mvn takes a large batch in blocks of at most this many pairs and matrix entries,
# small enough for its temporaries to stay in the processor's cache.
BLOCK_PAIRS = 2**14
BLOCK_ENTRIES = 2**16


def in_blocks(compute, parts, batch, entries_per_pair):
    """``compute(block, offset)`` over a batch, a block of rows of its first axis at a time.

    ``block`` holds the fields of ``parts`` cut to the rows from ``offset`` on; a field
    without the batch's first axis broadcasts against each block as it is. ``compute``
    adds ``offset`` to the first index of a bad pair it names, so that the message
    names it by its place in the whole batch (a field taken whole is checked in the
    first block, at offset 0). A batch whose matrices (fields annotated
    :data:`Matrices`) share one matrix, or that fits one block, is computed whole.
    """
    if math.prod(batch) == 0:  # an empty batch: nothing to compute
        return np.empty(batch)
    axes = pair_axes(parts)
    has_axis = [len(batch) > 0 and a.ndim - k == len(batch) and a.shape[0] == batch[0]
                for a, k in zip(parts, axes)]
    pairs_per_row = math.prod(batch[1:])
    rows = max(1, min(BLOCK_PAIRS // pairs_per_row, BLOCK_ENTRIES // (entries_per_pair * pairs_per_row)))
    matrices_vary = any(cut for cut, k in zip(has_axis, axes) if k == 2)
    if not matrices_vary or batch[0] <= rows:
        return compute(parts, 0)
    out = np.empty(batch)
    for start in range(0, batch[0], rows):
        block = slice(start, start + rows)
        out[block] = compute(type(parts)._make(a[block] if cut else a for a, cut in zip(parts, has_axis)), start)
    return out


def patched(values, mask, compute, parts):
    """``values`` with the pairs where ``mask`` holds recomputed as ``compute(parts)``.

    ``compute`` gets a record of the type of ``parts`` holding the masked pairs only
    (gathered by index, at a cost in proportion to their number); a single pair (a 0-d
    mask) is passed whole.
    """
    batch = mask.shape
    pick = np.nonzero(mask) if batch else ()
    values = np.array(np.broadcast_to(values, batch))
    values[pick] = compute(type(parts)._make(
        np.broadcast_to(a, batch + a.shape[a.ndim - k:])[pick] for a, k in zip(parts, pair_axes(parts))))
    return values


def pair_axes(parts):
    """The number of trailing axes of one pair, for each field of the record ``parts``."""
    return _axes_of(type(parts))


@functools.cache
def _axes_of(record_type):
    return tuple(kind.__metadata__[0] for kind in record_type.__annotations__.values())
