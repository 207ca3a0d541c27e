// Chapter B.1: two normals on a line, with the integrand p log(p/q) of (B.6) shaded, the KL
// both ways by (B.9) at m = 1 and the JSD by quadrature; then the forward and reverse fits of
// one normal to the mixture ½N(-a, 0.36) + ½N(a, 0.36), as the chapter computes them.
(function () {
  "use strict";
  const M = window.ExplorableMath, UI = window.ExplorableUI;
  const W = 400, LEFT = 14, RIGHT = 386, X_MIN = -6, X_MAX = 6;
  const sx = (x) => LEFT + ((x - X_MIN) / (X_MAX - X_MIN)) * (RIGHT - LEFT);

  // Points of the window, denser within five standard deviations of each mean (a narrow
  // normal is drawn by its own points, not missed between the grid's).
  function abscissae(normals) {
    const xs = [];
    for (let i = 0; i <= 480; i++) xs.push(X_MIN + ((X_MAX - X_MIN) * i) / 480);
    for (const [mu, s2] of normals) {
      const s = Math.sqrt(s2);
      for (let i = -60; i <= 60; i++) xs.push(mu + (5 * s * i) / 60);
    }
    return xs.filter((x) => x >= X_MIN && x <= X_MAX).sort((a, b) => a - b);
  }

  // One density plot: its <svg> and the y of its axis.
  function plot(parent, height, label) {
    const picture = UI.svg("svg", { viewBox: `0 0 ${W} ${height}`, class: "explorable-svg", role: "img", "aria-label": label });
    parent.append(picture);
    const base = height - 20;
    UI.svg("line", { x1: LEFT, x2: RIGHT, y1: base, y2: base, class: "explorable-axis" }, picture);
    for (let x = X_MIN; x <= X_MAX; x += 2) {
      UI.svg("line", { x1: sx(x), x2: sx(x), y1: base, y2: base + 4, class: "explorable-axis" }, picture);
      UI.svg("text", { x: sx(x), y: base + 16, "text-anchor": "middle", text: String(x).replace("-", "−") }, picture);
    }
    return { picture, base };
  }

  UI.register("two-normals", (root) => {
    const state = { mu1: 0, s1: 1, mu2: 1, s2: 1.5, a: 2 };

    // ---- Panel 1: two normals ----
    root.append(UI.el("p", { class: "explorable-title", text: "Two normals on a line" }));
    const top = plot(root, 250, "densities of p and q above, the integrand p log(p/q) below");
    const mid = 120, integrandZero = 190;
    const shapes = {
      positive: UI.svg("path", { class: "explorable-positive" }, top.picture),
      negative: UI.svg("path", { class: "explorable-negative" }, top.picture),
      p: UI.svg("path", { class: "explorable-p-line" }, top.picture),
      q: UI.svg("path", { class: "explorable-q-line" }, top.picture),
    };
    UI.svg("line", { x1: LEFT, x2: RIGHT, y1: mid, y2: mid, class: "explorable-axis" }, top.picture);
    UI.svg("line", { x1: LEFT, x2: RIGHT, y1: integrandZero, y2: integrandZero, class: "explorable-grid" }, top.picture);
    UI.legend(top.picture, RIGHT, 14, "end", [["densities of "], ["— p", "explorable-p-text"], ["  "], ["— q", "explorable-q-text"]]);
    const integrandLabel = UI.svg("text", { x: RIGHT, y: mid + 16, "text-anchor": "end" }, top.picture);

    const controls = UI.el("div", { class: "explorable-controls" });
    root.append(controls);
    const sliders = {};
    for (const [who, mu, s] of [["p", "mu1", "s1"], ["q", "mu2", "s2"]]) {
      const group = UI.el("fieldset", { class: `explorable-group explorable-${who}` },
        [UI.el("legend", { text: `${who} = N(μ, σ²)` })]);
      controls.append(group);
      sliders[mu] = UI.slider(group, { control: mu, label: "mean μ =", min: -4, max: 4, step: 0.1, value: state[mu],
        show: (v) => v.toFixed(1) });
      sliders[s] = UI.slider(group, { control: s, label: "standard deviation σ =", min: 0.05, max: 3, step: 0.01,
        value: state[s], show: (v) => v.toFixed(2) });
    }
    const table = UI.readouts(root, [
      ["kl_pq", "D_KL(p‖q), (B.9)", "nats"], ["area", "shaded area, by quadrature", "nats"],
      ["kl_qp", "D_KL(q‖p), (B.9)", "nats"], ["jsd", "JSD(p‖q), by quadrature", "nats"],
    ], "Divergences between p and q");

    // ---- Panel 2: fitting one normal to a mixture ----
    root.append(UI.el("p", { class: "explorable-title", text: "Fitting one normal to a mixture of two" }));
    const bottom = plot(root, 170, "the mixture p, its forward fit and its reverse fit");
    const fitShapes = {
      mixture: UI.svg("path", { class: "explorable-mixture" }, bottom.picture),
      forward: UI.svg("path", { class: "explorable-p-line" }, bottom.picture),
      reverse: UI.svg("path", { class: "explorable-q-line dashed" }, bottom.picture),
    };
    UI.legend(bottom.picture, LEFT, 14, "start", [["▇ p, two modes", "explorable-mixture-text"]]);
    UI.legend(bottom.picture, RIGHT, 14, "end", [["— forward fit", "explorable-p-text"], ["  "], ["- - reverse fit", "explorable-q-text"]]);
    const fitControls = UI.el("div", { class: "explorable-controls" });
    root.append(fitControls);
    sliders.a = UI.slider(fitControls, { control: "a", label: "modes of p at ±a, a =", min: 0, max: 3, step: 0.05,
      value: state.a, show: (v) => v.toFixed(2) });
    const fitTable = UI.readouts(root, [
      ["fwd_mu", "forward fit, min D_KL(p‖q): μ"], ["fwd_s2", "σ²"], ["fwd_kl", "D_KL(p‖q) there", "nats"],
      ["rev_mu", "reverse fit, min D_KL(q‖p): μ"], ["rev_s2", "σ²"], ["rev_kl", "D_KL(q‖p) there", "nats"],
    ], "The two fits (forward: the moments of p; reverse: Nelder–Mead in your browser)");
    const announce = UI.announcer(root);

    let fitsFor = null;  // the separation the fits were last computed for
    const draw = UI.scheduler(render);
    for (const [key, s] of Object.entries(sliders)) {
      s.input.addEventListener("input", () => { state[key] = s.value; draw(); });
    }

    function render() {
      const v1 = state.s1 ** 2, v2 = state.s2 ** 2;
      const logP = (x) => M.normalLogPdf(x, state.mu1, v1), logQ = (x) => M.normalLogPdf(x, state.mu2, v2);
      const xs = abscissae([[state.mu1, v1], [state.mu2, v2]]);
      const peak = Math.max(Math.exp(logP(state.mu1)), Math.exp(logQ(state.mu2)));
      const yScale = (mid - 24) / Math.min(1.1 * peak, 1.2);
      const dens = (f) => UI.path(xs.map((x) => [sx(x), Math.max(mid - Math.exp(f(x)) * yScale, 2)]));
      shapes.p.setAttribute("d", dens(logP));
      shapes.q.setAttribute("d", dens(logQ));
      const integrand = xs.map((x) => { const lp = logP(x); return Math.exp(lp) * (lp - logQ(x)); });
      const biggest = Math.max(...integrand.map(Math.abs), 1e-300);
      const iScale = 45 / biggest;
      const area = (sign) => UI.path([[sx(xs[0]), integrandZero],
        ...xs.map((x, i) => [sx(x), integrandZero - iScale * (sign > 0 ? Math.max(integrand[i], 0) : Math.min(integrand[i], 0))]),
        [sx(xs[xs.length - 1]), integrandZero]]) + "Z";
      shapes.positive.setAttribute("d", area(1));
      shapes.negative.setAttribute("d", area(-1));
      integrandLabel.textContent = `p log(p/q), largest |value| ${biggest > 1e-300 ? M.significant(biggest, 3) : 0}`;

      const values = {
        kl_pq: M.klNormal(state.mu1, v1, state.mu2, v2),
        area: M.klQuadrature(logP, logQ, [[state.mu1, v1], [state.mu2, v2]]),
        kl_qp: M.klNormal(state.mu2, v2, state.mu1, v1),
        jsd: M.jsdNormals(state.mu1, v1, state.mu2, v2),
      };
      for (const [key, value] of Object.entries(values)) table.set(key, M.fixed(value));

      if (fitsFor !== state.a) {
        fitsFor = state.a;
        const forward = M.forwardFit(state.a), reverse = M.reverseFit(state.a);
        const logMix = M.mixtureLogPdf(state.a);
        const fitXs = abscissae([[-state.a, M.COMPONENT_VARIANCE], [state.a, M.COMPONENT_VARIANCE], [reverse.mu, reverse.s2]]);
        const fitPeak = Math.max(...fitXs.map((x) => Math.exp(logMix(x))), Math.exp(M.normalLogPdf(0, 0, reverse.s2)));
        const fy = (bottom.base - 24) / (1.05 * fitPeak);
        const curve = (f) => fitXs.map((x) => [sx(x), bottom.base - Math.exp(f(x)) * fy]);
        fitShapes.mixture.setAttribute("d", UI.path([[sx(X_MIN), bottom.base], ...curve(logMix), [sx(X_MAX), bottom.base]]) + "Z");
        fitShapes.forward.setAttribute("d", UI.path(curve((x) => M.normalLogPdf(x, forward.mu, forward.s2))));
        fitShapes.reverse.setAttribute("d", UI.path(curve((x) => M.normalLogPdf(x, reverse.mu, reverse.s2))));
        fitTable.set("fwd_mu", M.fixed(forward.mu, 3));
        fitTable.set("fwd_s2", M.fixed(forward.s2, 3));
        fitTable.set("fwd_kl", M.fixed(forward.kl));
        fitTable.set("rev_mu", M.fixed(reverse.mu, 3));
        fitTable.set("rev_s2", M.fixed(reverse.s2, 3));
        fitTable.set("rev_kl", M.fixed(Math.max(reverse.kl, 0)));
      }
      announce(`p normal with mean ${state.mu1.toFixed(1)} and sd ${state.s1.toFixed(2)}, q mean ${state.mu2.toFixed(1)} ` +
        `and sd ${state.s2.toFixed(2)}: KL p to q ${M.fixed(values.kl_pq)}, KL q to p ${M.fixed(values.kl_qp)}, ` +
        `JSD ${M.fixed(values.jsd)} nats. Modes at ±${state.a.toFixed(2)}: reverse fit mean ` +
        `${fitTable.table.querySelector('[data-quantity="rev_mu"]').textContent}.`);
    }
    return render;  // drawn by register
  });
})();
