"""mathlib: the formulas of Appendix B, small, tested and imported by every chapter.

Modules, one concept each:

- :mod:`mathlib.divergences`: entropy, cross entropy, KL and Jensen--Shannon (B.1--B.7)
- :mod:`mathlib.gaussian`: normal densities and the KL between normals (B.8--B.11)
- :mod:`mathlib.montecarlo`: Monte Carlo estimates of the KL with standard errors
- :mod:`mathlib.losses`: cross entropy as a loss on logits, with its derivatives, label
  smoothing and knowledge distillation
- :mod:`mathlib.table`: tables of results, as HTML in a page and as aligned text
- :mod:`mathlib.figures`: figures drawn twice, for a laptop's column and for a phone's
- :mod:`mathlib.notation`: numbers written as the chapters print them (a bound as
  :math:`10^{-8}`, not ``1e-08``)
- :mod:`mathlib.symbolic`: SymPy derivations of (B.8)--(B.11), for the chapters and tests
- :mod:`mathlib.reference`: 50-digit mpmath references and test families, for checking

Beneath them, private modules keep the formulas readable: ``_validate`` (input checks
only), ``_linalg`` (Cholesky factors, solves, log-determinants), ``_series`` (the series
that keep tiny divergences accurate), ``_accuracy`` (the cancellation-free form of (B.9)
and its refinement), ``_batching`` and ``_small`` (large and small batches).

Every numerical function is re-exported here, so ``from mathlib import kl_divergence``
works; ``mathlib.symbolic`` (SymPy) and ``mathlib.reference`` (mpmath) are imported on demand,
and need the optional dependencies ``pip install "mathlib-medl[symbolic,reference]"``.
"""

from .divergences import (
    binary_cross_entropy,
    binary_entropy,
    cross_entropy,
    entropy,
    js_distance,
    js_divergence,
    kl_divergence,
)
from .gaussian import kl_mvn, kl_mvn_isotropic, kl_mvn_standard, mvn_logpdf, mvn_pdf, normal_pdf
from .losses import (
    binary_cross_entropy_with_logits,
    distillation_loss,
    distillation_loss_grad,
    log_softmax,
    sigmoid,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
    softmax_cross_entropy_hessian,
    smooth_labels,
)
from .montecarlo import MonteCarloResult, mc_kl, mc_kl_mvn
from .notation import power_of_ten
from .table import Table

from . import divergences, figures, gaussian, losses, montecarlo, notation, table

__all__ = (
    divergences.__all__ + gaussian.__all__ + montecarlo.__all__ + losses.__all__ + table.__all__
    + notation.__all__
)

__version__ = "0.1.0"
