// The mathematics behind the book's explorable figures, in plain JavaScript: no DOM here, so
// that node's test runner checks it (tests/js/) and the browser tests compare every number a
// figure shows with mathlib. Each function follows the mathlib function named beside it.
(function (root, factory) {
  const math = factory();
  if (typeof module === "object" && module.exports) module.exports = math;
  else root.ExplorableMath = math;
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";
  const LN2 = Math.LN2;
  const sum = (xs) => xs.reduce((a, b) => a + b, 0);

  // (1 + d) log(1 + d) - d, by its power series for |d| <= 0.1 (mathlib._series), so that a
  // term of a divergence between close distributions keeps its relative accuracy.
  function xlogxSeries(d) {
    if (Math.abs(d) > 0.1) return (1 + d) * Math.log1p(d) - d;
    let total = 0, power = d;
    for (let k = 2; k < 40; k++) {
      power *= -d;  // (-1)^k d^k, up to the sign of d^1
      const term = -power / (k * (k - 1));
      total += term;
      if (Math.abs(term) < 1e-17 * Math.abs(total)) break;
    }
    return total;
  }

  // d - log(1 + d) >= 0, by its series near 0.
  function dMinusLog1p(d) {
    if (Math.abs(d) > 0.2) return d - Math.log1p(d);
    let total = 0, power = d;
    for (let k = 2; k < 60; k++) {
      power *= -d;
      const term = -power / k;
      total += term;
      if (Math.abs(term) < 1e-17 * Math.abs(total)) break;
    }
    return total;
  }

  // D_KL(p‖q) in nats, (B.1), as mathlib.kl_divergence: the sum of p log(p/q) - p + q >= 0.
  function kl(p, q) {
    let total = 0;
    for (let i = 0; i < p.length; i++) {
      if (p[i] === 0) total += q[i];
      else if (q[i] === 0) return Infinity;
      else if (Math.abs(p[i] - q[i]) <= 0.1 * q[i]) total += q[i] * xlogxSeries((p[i] - q[i]) / q[i]);
      else total += p[i] * Math.log(p[i] / q[i]) - p[i] + q[i];
    }
    return total;
  }

  // H(p) = -Σ p log p, (B.3), with 0 log 0 = 0.
  const entropy = (p) => 0 - sum(p.map((x) => (x > 0 ? x * Math.log(x) : 0)));  // 0, not -0

  // H(p, q) = -Σ p log q, (B.2): +∞ where p has mass and q has none.
  function crossEntropy(p, q) {
    let total = 0;
    for (let i = 0; i < p.length; i++) {
      if (p[i] === 0) continue;
      if (q[i] === 0) return Infinity;
      total -= p[i] * Math.log(q[i]);
    }
    return total;
  }

  // JSD(p‖q) = (D_KL(p‖m) + D_KL(q‖m)) / 2 with m = (p + q)/2, (B.7); at most log 2.
  function jsd(p, q) {
    const m = p.map((x, i) => 0.5 * (x + q[i]));
    return Math.min(0.5 * (kl(p, m) + kl(q, m)), LN2);
  }

  // Weights (such as slider positions) scaled to a probability vector.
  function normalise(w) {
    const total = sum(w);
    return w.map((x) => x / total);
  }

  // Outcomes where p has mass and q has none: the support condition of (B.1) fails there.
  const missing = (p, q) => p.map((x, i) => (x > 0 && q[i] === 0 ? i : -1)).filter((i) => i >= 0);

  // ---- Softmax and distillation (mathlib.losses) ----
  function logSoftmax(z) {
    const top = Math.max(...z);
    const logTotal = Math.log(sum(z.map((a) => Math.exp(a - top))));
    return z.map((a) => a - top - logTotal);
  }
  const softmax = (z) => logSoftmax(z).map(Math.exp);

  // D_KL(p‖q) from log-probabilities, term by term as mathlib.distillation_loss.
  function klFromLogs(logP, logQ) {
    let total = 0;
    for (let i = 0; i < logP.length; i++) {
      const p = Math.exp(logP[i]), q = Math.exp(logQ[i]);
      const d = Math.expm1(logP[i] - logQ[i]);
      total += Math.abs(d) <= 0.1 ? q * xlogxSeries(d) : p * (logP[i] - logQ[i]) - p + q;
    }
    return total;
  }

  const centred = (a) => { const mean = sum(a) / a.length; return a.map((x) => x - mean); };

  // Teacher logits v, student logits z, temperature T: p_T, q_T, D_KL(p_T‖q_T), T² D_KL and
  // the high-temperature limit (4.5), ‖(z - z̄) - (v - v̄)‖² / (2K).
  function distillation(z, v, T) {
    const logP = logSoftmax(v.map((a) => a / T)), logQ = logSoftmax(z.map((a) => a / T));
    const divergence = klFromLogs(logP, logQ);
    const zc = centred(z), vc = centred(v);
    const limit = sum(zc.map((a, i) => (a - vc[i]) ** 2)) / (2 * z.length);
    return { p: logP.map(Math.exp), q: logQ.map(Math.exp), kl: divergence, loss: T * T * divergence, limit };
  }

  // ---- Normals on a line (mathlib.gaussian, B.8 and B.9 at m = 1) ----
  const normalLogPdf = (x, mu, s2) => -0.5 * ((x - mu) ** 2 / s2 + Math.log(2 * Math.PI * s2));
  const logAddExp = (a, b) => (a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b)));

  // (B.9) at m = 1 with variances s1 = σ₁², s2 = σ₂²: ((μ₁-μ₂)²/σ₂² + r - 1 - log r) / 2, r = σ₁²/σ₂².
  const klNormal = (mu1, s1, mu2, s2) => 0.5 * ((mu1 - mu2) ** 2 / s2 + dMinusLog1p(s1 / s2 - 1));

  // ∫ f over [a, b] by six-point Gauss–Legendre (exact for polynomials of degree 11).
  const GAUSS = [[0.2386191860831909, 0.4679139345726910], [0.6612093864662645, 0.3607615730481386],
                 [0.9324695142031521, 0.1713244923791704]];
  function gauss(f, a, b) {
    const half = 0.5 * (b - a), centre = 0.5 * (a + b);
    let total = 0;
    for (const [node, weight] of GAUSS) total += weight * (f(centre - half * node) + f(centre + half * node));
    return total * half;
  }

  // ∫ f over the real line, for f concentrated within 14 standard deviations of the given
  // normals: Gauss–Legendre on every half standard deviation of each, so that a narrow normal
  // is resolved however broad the other one is.
  function integrateNear(f, normals) {
    const points = [];
    for (const [mu, s2] of normals) {
      const s = Math.sqrt(s2);
      for (let k = -28; k <= 28; k++) points.push(mu + 0.5 * k * s);
    }
    points.sort((a, b) => a - b);
    let total = 0;
    for (let i = 1; i < points.length; i++) {
      if (points[i] > points[i - 1]) total += gauss(f, points[i - 1], points[i]);
    }
    return total;
  }

  // D_KL(p‖q) for two log-densities, by quadrature.
  const klQuadrature = (logP, logQ, normals) =>
    integrateNear((x) => { const lp = logP(x); return Math.exp(lp) * (lp - logQ(x)); }, normals);

  // JSD between N(μ₁, s1) and N(μ₂, s2), (B.7) by quadrature: log m = logaddexp(log p, log q) - log 2.
  function jsdNormals(mu1, s1, mu2, s2) {
    const value = integrateNear((x) => {
      const lp = normalLogPdf(x, mu1, s1), lq = normalLogPdf(x, mu2, s2);
      const lm = logAddExp(lp, lq) - LN2;
      return 0.5 * (Math.exp(lp) * (lp - lm) + Math.exp(lq) * (lq - lm));
    }, [[mu1, s1], [mu2, s2]]);
    return Math.min(Math.max(value, 0), LN2);
  }

  // ---- Fitting one normal to the mixture ½N(-a, 0.36) + ½N(a, 0.36) (chapter B.1) ----
  const COMPONENT_VARIANCE = 0.36;
  const mixtureLogPdf = (a) => (x) =>
    logAddExp(normalLogPdf(x, -a, COMPONENT_VARIANCE), normalLogPdf(x, a, COMPONENT_VARIANCE)) - LN2;
  const mixtureParts = (a) => [[-a, COMPONENT_VARIANCE], [a, COMPONENT_VARIANCE]];

  // Minimise f over R^n by Nelder–Mead from x0 (initial steps `step`).
  function nelderMead(f, x0, { step = 0.5, tolerance = 1e-11, maxIterations = 2000 } = {}) {
    let simplex = [x0.slice()];
    for (let i = 0; i < x0.length; i++) { const x = x0.slice(); x[i] += step; simplex.push(x); }
    let values = simplex.map(f);
    const along = (from, to, t) => from.map((a, i) => a + t * (to[i] - a));
    for (let it = 0; it < maxIterations; it++) {
      const order = values.map((_, i) => i).sort((i, j) => values[i] - values[j]);
      simplex = order.map((i) => simplex[i]);
      values = order.map((i) => values[i]);
      const n = x0.length, worst = simplex[n];
      const spread = Math.max(...simplex.slice(1).flatMap((x) => x.map((a, k) => Math.abs(a - simplex[0][k]))));
      if (values[n] - values[0] <= tolerance && spread <= 1e-9) break;
      const centroid = x0.map((_, k) => sum(simplex.slice(0, n).map((x) => x[k])) / n);
      const reflected = along(centroid, worst, -1), fr = f(reflected);
      if (fr < values[0]) {
        const expanded = along(centroid, worst, -2), fe = f(expanded);
        [simplex[n], values[n]] = fe < fr ? [expanded, fe] : [reflected, fr];
      } else if (fr < values[n - 1]) {
        [simplex[n], values[n]] = [reflected, fr];
      } else {
        const contracted = fr < values[n] ? along(centroid, reflected, 0.5) : along(centroid, worst, 0.5);
        const fc = f(contracted);
        if (fc < Math.min(fr, values[n])) [simplex[n], values[n]] = [contracted, fc];
        else {
          for (let i = 1; i <= n; i++) { simplex[i] = along(simplex[0], simplex[i], 0.5); values[i] = f(simplex[i]); }
        }
      }
    }
    return { x: simplex[0], value: values[0] };
  }

  // The forward fit minimises D_KL(p‖q): the normal with p's mean and variance (the chapter
  // shows the optimiser finds exactly these moments). Its divergence is computed by quadrature.
  function forwardFit(a) {
    const mu = 0, s2 = COMPONENT_VARIANCE + a * a;
    const value = klQuadrature(mixtureLogPdf(a), (x) => normalLogPdf(x, mu, s2), mixtureParts(a));
    return { mu, s2, kl: value };
  }

  // The reverse fit minimises D_KL(q‖p) over (μ, log σ²) by Nelder–Mead from μ = 1, σ = 1,
  // the chapter's starting point (so it finds the mode at +a).
  function reverseFit(a) {
    const logP = mixtureLogPdf(a);
    const divergence = ([mu, logS2]) => {
      const s2 = Math.exp(logS2);
      return integrateNear((x) => { const lq = normalLogPdf(x, mu, s2); return Math.exp(lq) * (lq - logP(x)); }, [[mu, s2]]);
    };
    const best = nelderMead(divergence, [1, 0]);
    return { mu: best.x[0], s2: Math.exp(best.x[1]), kl: best.value };
  }

  // ---- Normals in the plane (B.9, B.10, B.11), covariances as [Σ11, Σ12, Σ22] ----
  // Σ = R(θ) diag(σa², σb²) R(θ)ᵀ; exactly σ² I when σa = σb.
  function covariance(sa, sb, theta) {
    if (sa === sb) return [sa * sa, 0, sa * sa];
    const c = Math.cos(theta), s = Math.sin(theta), a2 = sa * sa, b2 = sb * sb;
    return [c * c * a2 + s * s * b2, c * s * (a2 - b2), s * s * a2 + c * c * b2];
  }
  const isotropic = (S) => S[1] === 0 && S[0] === S[2];

  // (B.9) in the plane: with Σ₂ = L Lᵀ (Cholesky) and M = L⁻¹ Σ₁ L⁻ᵀ, whose eigenvalues λ are
  // those of Σ₂⁻¹Σ₁, D_KL = (‖L⁻¹(μ₁ - μ₂)‖² + Σ (λ - 1 - log λ)) / 2: the trace and the log
  // of the determinants together, without cancellation when the two are close.
  function klMvn2(mu1, S1, mu2, S2) {
    const l11 = Math.sqrt(S2[0]), l21 = S2[1] / l11, l22 = Math.sqrt(S2[2] - l21 * l21);
    const solve = (b0, b1) => { const y0 = b0 / l11; return [y0, (b1 - l21 * y0) / l22]; };
    const y = solve(mu1[0] - mu2[0], mu1[1] - mu2[1]);
    // A = L⁻¹ Σ₁, then M = A L⁻ᵀ = (L⁻¹ Aᵀ)ᵀ.
    const [a00, a10] = solve(S1[0], S1[1]), [a01, a11] = solve(S1[1], S1[2]);
    const [m00, m01] = solve(a00, a01), [, m11] = solve(a10, a11);
    const half = 0.5 * ((m00 - 1) + (m11 - 1)), radius = Math.hypot(0.5 * (m00 - m11), m01);
    const d1 = half + radius, d2 = half - radius;  // λ - 1 for both eigenvalues, λ₁ >= λ₂
    // λ - 1 - log λ: by its series near λ = 1; far from 1, the smaller eigenvalue comes from
    // λ₁λ₂ = det Σ₁ / det Σ₂, so that a tiny λ₂ keeps its relative accuracy.
    let t2 = dMinusLog1p(d2);
    if (Math.abs(d2) > 0.2) {
      const lambda2 = (S1[0] * S1[2] - S1[1] * S1[1]) / (S2[0] * S2[2] - S2[1] * S2[1]) / (1 + d1);
      t2 = lambda2 - 1 - Math.log(lambda2);
    }
    return 0.5 * (y[0] * y[0] + y[1] * y[1] + dMinusLog1p(d1) + t2);
  }

  // (B.10): Σ₂ = σ₂² I, and (B.11): μ₂ = 0, Σ₂ = I.
  function klMvnIsotropic(mu1, S1, mu2, s2) {
    const distance2 = (mu1[0] - mu2[0]) ** 2 + (mu1[1] - mu2[1]) ** 2;
    const logDet1 = Math.log(S1[0] * S1[2] - S1[1] * S1[1]);
    return distance2 / (2 * s2) - 1 + (S1[0] + S1[2]) / (2 * s2) + Math.log(s2) - logDet1 / 2;
  }
  const klMvnStandard = (mu1, S1) => klMvnIsotropic(mu1, S1, [0, 0], 1);

  // ---- Numbers as the figures show them ----
  // Four decimals (or an exponent beyond 10⁵); +∞ as such. Tests read "the digits shown" from it.
  function fixed(x, decimals = 4) {
    if (x === Infinity) return "+∞";
    if (Math.abs(x) >= 1e5) return x.toExponential(decimals);
    const shown = x.toFixed(decimals);
    return /^-0\.0*$/.test(shown) ? shown.slice(1) : shown;
  }
  // Four significant digits, with an exponent below 10⁻³ (tiny divergences at high temperature).
  function significant(x, digits = 4) {
    if (x === Infinity) return "+∞";
    if (x === 0) return "0";
    if (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5) return x.toExponential(digits - 1);
    return x.toPrecision(digits);
  }

  return {
    LN2, kl, entropy, crossEntropy, jsd, normalise, missing, xlogxSeries, dMinusLog1p,
    logSoftmax, softmax, klFromLogs, distillation,
    normalLogPdf, klNormal, gauss, integrateNear, klQuadrature, jsdNormals,
    COMPONENT_VARIANCE, mixtureLogPdf, nelderMead, forwardFit, reverseFit,
    covariance, isotropic, klMvn2, klMvnIsotropic, klMvnStandard, fixed, significant,
  };
});
