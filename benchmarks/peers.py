"""Other ways to compute the KL divergence between normals, measured against mathlib.

Each takes (mu1, Sigma1, mu2, Sigma2) for one pair, as NumPy arrays.
"""

import numpy as np
from scipy.linalg import cho_factor, cho_solve, cholesky, solve_triangular

from mathlib.reference import kl_mvn_plain_cholesky, kl_mvn_textbook


def scipy_cho_solve(mu1, S1, mu2, S2):
    """cho_factor/cho_solve for Sigma2^-1 Sigma1 (two triangular solves)."""
    c2 = cho_factor(S2, lower=True)
    c1 = cho_factor(S1, lower=True)
    d = mu1 - mu2
    logdet = 2 * (np.log(np.diag(c2[0])).sum() - np.log(np.diag(c1[0])).sum())
    return 0.5 * (d @ cho_solve(c2, d) - len(mu1) + np.trace(cho_solve(c2, S1)) + logdet)


def numpy_only(mu1, S1, mu2, S2):
    """NumPy's Cholesky with a general solver (NumPy has no triangular solve)."""
    L1, L2 = np.linalg.cholesky(S1), np.linalg.cholesky(S2)
    z = np.linalg.solve(L2, mu1 - mu2)
    A = np.linalg.solve(L2, L1)
    logdet = 2 * (np.log(np.diag(L2)).sum() - np.log(np.diag(L1)).sum())
    return 0.5 * (z @ z - len(mu1) + np.sum(A**2) + logdet)


def lapack_floor(mu1, S1, mu2, S2):
    """The unavoidable work: two Cholesky factorisations and one triangular solve with m right-hand sides."""
    L1 = cholesky(S1, lower=True, check_finite=False)
    L2 = cholesky(S2, lower=True, check_finite=False)
    solve_triangular(L2, L1, lower=True, check_finite=False)


def torch_peers():
    """torch.distributions, if torch is installed (it is optional): {name: function}."""
    try:
        import torch
        from torch.distributions import MultivariateNormal, kl_divergence
    except ImportError:
        return {}

    def make(validate):
        def kl(mu1, S1, mu2, S2):
            p = MultivariateNormal(torch.as_tensor(mu1), torch.as_tensor(S1), validate_args=validate)
            q = MultivariateNormal(torch.as_tensor(mu2), torch.as_tensor(S2), validate_args=validate)
            return kl_divergence(p, q).numpy()
        return kl

    return {"torch": make(True), "torch (no validation)": make(False)}


# The first two are the textbook versions of mathlib.reference.
PEERS = {"naive inv/det": kl_mvn_textbook, "scipy cholesky": kl_mvn_plain_cholesky, "scipy cho_solve": scipy_cho_solve,
         "numpy only": numpy_only}
