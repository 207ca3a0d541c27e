"""Hypothesis strategies for probability vectors and covariance matrices."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


@st.composite
def distributions(draw, n_outcomes=None, *, allow_zeros=True):
    """A probability vector; draws share one length when `n_outcomes` is given."""
    k = n_outcomes if n_outcomes is not None else draw(st.integers(2, 8))
    low = 0.0 if allow_zeros else 1e-3
    w = draw(hnp.arrays(float, k, elements=st.floats(low, 1.0)))
    if w.sum() == 0:
        w[0] = 1.0
    return w / w.sum()


@st.composite
def covariances(draw, m):
    """A symmetric positive definite m x m matrix with condition number below ~1e4."""
    a = draw(hnp.arrays(float, (m, m), elements=st.floats(-2.0, 2.0)))
    return a @ a.T + 1e-3 * np.trace(a @ a.T) * np.eye(m) + 1e-2 * np.eye(m)


@st.composite
def means(draw, m):
    return draw(hnp.arrays(float, m, elements=st.floats(-3.0, 3.0)))
