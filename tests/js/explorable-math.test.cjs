// Unit tests of the explorable figures' math (_static/explorables/explorable-math.js), with
// node's built-in test runner: `node --test tests/js/` (tests/test_explorables.py runs it).
// Known values come from mathlib (printed by its doctests and the chapters) or from closed forms.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const M = require("../../_static/explorables/explorable-math.js");

const close = (actual, expected, tolerance, what = "") =>
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)),
    `${what} ${actual} is not ${expected} within ${tolerance}`);

test("KL, cross entropy, entropy and JSD of the chapter's worked example", () => {
  const P = [0.1, 0.4, 0.5], Q = [0.2, 0.3, 0.5];
  close(M.kl(P, Q), 0.0457581109, 1e-10, "D_KL(P‖Q) in nats");
  close(M.kl(P, Q) / M.LN2, 0.0660149997, 1e-10, "in bits");
  close(M.crossEntropy(P, Q), 0.9891065033, 1e-10, "H(P, Q)");
  close(M.crossEntropy(P, Q) - M.entropy(P), M.kl(P, Q), 1e-15, "H(p, q) - H(p) = D_KL");
  close(M.jsd(P, Q) / M.LN2, 0.017425777280, 1e-12, "JSD in bits");
  close(M.jsd(P, Q), M.jsd(Q, P), 0, "JSD is symmetric");
});

test("zeros: +∞ exactly where the support condition fails, 0 log 0 = 0", () => {
  assert.equal(M.kl([0.5, 0.5, 0], [1, 0, 0]), Infinity);
  assert.equal(M.crossEntropy([0.5, 0.5, 0], [1, 0, 0]), Infinity);
  close(M.kl([1, 0, 0], [0.5, 0.5, 0]), Math.LN2, 1e-15, "p misses an outcome of q");
  assert.equal(M.entropy([1, 0, 0]), 0);
  assert.equal(M.jsd([0.7, 0.3, 0, 0], [0, 0, 0.4, 0.6]), Math.LN2, "disjoint supports");
  assert.deepEqual(M.missing([0.5, 0.5, 0], [1, 0, 0]), [1]);
});

test("identical distributions: every divergence is exactly 0", () => {
  const p = [0.34, 0.33, 0.33];
  assert.equal(M.kl(p, p), 0);
  assert.equal(M.jsd(p, p), 0);
  assert.equal(M.klNormal(0.3, 2, 0.3, 2), 0);
  const S = M.covariance(0.8, 0.3, 0.7);
  close(M.klMvn2([1, 2], S, [1, 2], S), 0, 1e-15, "(B.9) of a normal with itself");
});

test("close distributions keep their relative accuracy (series near p = q)", () => {
  const eps = 1e-7, p = [0.5 + eps, 0.5 - eps], q = [0.5, 0.5];
  close(M.kl(p, q), 2 * eps * eps, 1e-6, "D_KL ≈ Σ (p - q)² / (2q)");
  close(M.xlogxSeries(0.05), 1.05 * Math.log(1.05) - 0.05, 1e-14);
  close(M.dMinusLog1p(-0.1), -0.1 - Math.log(0.9), 1e-14);
});

test("(B.9) at m = 1 against quadrature, and the JSD of normals", () => {
  for (const [m1, s1, m2, s2] of [[0, 1, 1, 2.25], [0, 0.0025, 2, 9], [-4, 0.09, 4, 0.09]]) {
    const quadrature = M.klQuadrature((x) => M.normalLogPdf(x, m1, s1), (x) => M.normalLogPdf(x, m2, s2), [[m1, s1], [m2, s2]]);
    close(quadrature, M.klNormal(m1, s1, m2, s2), 1e-9, `quadrature at ${[m1, s1, m2, s2]}`);
  }
  close(M.klNormal(0, 1, 3, 1), 4.5, 1e-15, "δ²/2");
  close(M.jsdNormals(0, 1, 0, 1), 0, 1e-12, "JSD of one normal with itself");
  close(M.jsdNormals(0, 1, 40, 1), Math.LN2, 1e-12, "far apart: log 2");
  assert.ok(M.jsdNormals(0, 1, 1, 1) < M.klNormal(0, 1, 1, 1));
});

test("fits of one normal to the mixture: the chapter's values at a = 2", () => {
  const forward = M.forwardFit(2), reverse = M.reverseFit(2);
  assert.deepEqual([forward.mu, forward.s2], [0, 4.36]);
  close(forward.kl, 0.5551555286, 1e-9, "forward minimum");
  close(reverse.mu, 1.997078, 1e-6, "reverse μ (chapter: 1.997)");
  close(reverse.s2, 0.365851, 1e-6, "reverse σ² (chapter: 0.366)");
  close(reverse.kl, 0.6918360050, 1e-9, "reverse minimum, just below log 2");
  close(M.nelderMead(([x, y]) => (x - 1) ** 2 + 10 * (y + 2) ** 2, [0, 0]).x[1], -2, 1e-8, "Nelder–Mead");
});

test("(B.9), (B.10) and (B.11) in the plane", () => {
  // chapter B.2's first pair, and its mirror
  const mu1 = [0, 0], S1 = [0.3, 0.1, 0.2], mu2 = [0.3, 0], S2 = [1, 0, 1];
  const direct = (a, A, b, B) => {  // (B.9) with the inverse and determinants, for comparison
    const det = B[0] * B[2] - B[1] * B[1], inv = [B[2] / det, -B[1] / det, B[0] / det];
    const d = [a[0] - b[0], a[1] - b[1]];
    const quad = inv[0] * d[0] * d[0] + 2 * inv[1] * d[0] * d[1] + inv[2] * d[1] * d[1];
    const trace = inv[0] * A[0] + 2 * inv[1] * A[1] + inv[2] * A[2];
    return 0.5 * (quad - 2 + trace + Math.log(det / (A[0] * A[2] - A[1] * A[1])));
  };
  close(M.klMvn2(mu1, S1, mu2, S2), direct(mu1, S1, mu2, S2), 1e-13, "(B.9)");
  close(M.klMvn2(mu2, S2, mu1, S1), direct(mu2, S2, mu1, S1), 1e-13, "(B.9) reversed");
  close(M.klMvnStandard([0.5, -1], S1), M.klMvn2([0.5, -1], S1, [0, 0], [1, 0, 1]), 1e-13, "(B.11) = (B.9)");
  close(M.klMvnIsotropic(mu1, S1, [1, 2], 2.5), M.klMvn2(mu1, S1, [1, 2], [2.5, 0, 2.5]), 1e-13, "(B.10) = (B.9)");
  const thin = M.covariance(2, 0.05, Math.PI / 4);
  close(M.klMvn2([1.5, 0.5], thin, [0, 0], [1, 0, 1]), M.klMvnStandard([1.5, 0.5], thin), 1e-12, "a thin ellipse");
  assert.ok(M.isotropic(M.covariance(0.7, 0.7, 1.2)) && !M.isotropic(M.covariance(0.7, 0.8, 0)));
});

test("distillation: T² D_KL, its limit (4.5), and logits equal up to a shift", () => {
  const v = [4, 1.5, 0.5, -1, -3], z = [2, 2, -1, 0, -2];
  const far = M.distillation(z, v, 1e4);
  close(far.limit, 0.83, 1e-14, "(4.5) for the chapter's logits");
  close(far.loss, 0.830040, 1e-6, "T² D_KL at T = 1e4 (chapter: 0.830040)");
  close(far.loss / far.limit - 1, 4.9e-5, 0.05e-5, "relative gap at 1e4 (chapter: 4.9e-05)");
  assert.equal(M.distillation([1, 2, 3], [11, 12, 13], 2).kl, 0);
  const cold = M.distillation(z, v, 0.1);
  assert.ok(Number.isFinite(cold.kl) && cold.p[0] > 0.9999);
  const binary = M.distillation([1.5, -0.5], [3, 0], 1000);
  close(binary.limit, ((2 - 3) ** 2) / 8, 1e-15, "K = 2: (Δz - Δv)²/8");
  close(M.softmax([1, 2, 3]).reduce((a, b) => a + b), 1, 1e-15);
});

test("numbers as the figures show them", () => {
  assert.equal(M.fixed(Infinity), "+∞");
  assert.equal(M.fixed(0.04575811), "0.0458");
  assert.equal(M.fixed(-1e-17), "0.0000");
  assert.equal(M.fixed(-2e-9, 3), "0.000");
  assert.equal(M.significant(8.30040488709682e-9), "8.300e-9");
  assert.equal(M.significant(0.830040488), "0.8300");
  assert.equal(M.significant(0), "0");
});
