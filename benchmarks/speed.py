"""Speed of mathlib against its peers, as ratios to work measured in the same run.

Run with `make bench`. Every time is the median of several repeats; only ratios are
meaningful across machines.
"""

import time

import numpy as np

import mathlib
from mathlib.reference import random_covariance
from peers import PEERS, lapack_floor, torch_peers


def median_time(f, repeats=7):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def single_pairs(dims=(2, 10, 100, 1000)):
    peers = {"mathlib": mathlib.kl_mvn, **PEERS, **torch_peers()}
    print("One pair of normals: time as a multiple of the LAPACK floor "
          "(two Cholesky factorisations and one triangular solve)")
    print(f"{'m':>5} {'floor':>10} " + " ".join(f"{name:>21}" for name in peers))
    rng = np.random.default_rng(0)
    for m in dims:
        args = (rng.standard_normal(m), random_covariance(rng, m, 100.0),
                rng.standard_normal(m), random_covariance(rng, m, 100.0))
        repeats = 7 if m >= 500 else 101
        floor = median_time(lambda: lapack_floor(*args), repeats)
        ratios = []
        for f in peers.values():
            with np.errstate(all="ignore"):
                ratios.append(median_time(lambda: f(*args), repeats) / floor)
        print(f"{m:5d} {floor * 1e3:8.3f}ms " + " ".join(f"{r:21.2f}" for r in ratios))


def batches(n=100_000, dims=(1, 2, 8)):
    print(f"\nBatches of {n:,} pairs: time in seconds, and as a multiple of mathlib's")
    torch = torch_peers()
    rng = np.random.default_rng(1)
    for m in dims:
        A, B = rng.standard_normal((2, n, m, m))
        S1 = A @ np.swapaxes(A, -1, -2) + np.eye(m)
        S2 = B @ np.swapaxes(B, -1, -2) + np.eye(m)
        mu1, mu2 = rng.standard_normal((2, n, m))
        ours = median_time(lambda: mathlib.kl_mvn(mu1, S1, mu2, S2), 5)
        line = f"m = {m}: mathlib {ours:.4f} s"
        loop = median_time(lambda: np.linalg.cholesky(S1), 5) + median_time(lambda: np.linalg.cholesky(S2), 5)
        line += f"; NumPy's batched Cholesky of both alone {loop / ours:.2f}x"
        for name, f in torch.items():
            line += f"; {name} {median_time(lambda: f(mu1, S1, mu2, S2), 5) / ours:.2f}x"
        print(line)
    if not torch:
        print("(torch is not installed: its columns are skipped)")


def monte_carlo():
    print("\nMonte Carlo against quasi-Monte Carlo (32 scrambles), m = 2: |error| and standard error")
    mu1, S1 = np.array([1.0, -1.0]), np.array([[1.0, 0.95], [0.95, 1.0]])
    mu2, S2 = np.zeros(2), np.array([[2.0, 0.3], [0.3, 1.0]])
    exact = mathlib.kl_mvn(mu1, S1, mu2, S2)
    for n in (2**12, 2**15, 2**18, 2**21):
        mc = mathlib.mc_kl_mvn(mu1, S1, mu2, S2, n, rng=np.random.default_rng(n))
        start = time.perf_counter()
        qmc = mathlib.mc_kl_mvn(mu1, S1, mu2, S2, n, rng=np.random.default_rng(n), method="qmc")
        t_qmc = time.perf_counter() - start
        print(f"n = {n:>9,}: MC {abs(mc.estimate - exact):.1e} (SE {mc.stderr:.1e});  "
              f"QMC {abs(qmc.estimate - exact):.1e} (SE {qmc.stderr:.1e}, {t_qmc:.2f} s)")


if __name__ == "__main__":
    single_pairs()
    batches()
    monte_carlo()
